"""Snowballing through Crossref (backward only: Crossref has no list of citing works): the
seed's deposited reference list, resolved in batches of `doi:` filters, and references
without a DOI matched by a bibliographic query when the title agrees."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from slr.http import Request
from slr.records import normalise_doi
from slr.snowball.base import (
    Fetcher,
    Found,
    State,
    Step,
    chunks,
    mailto,
    resolved,
    same_title,
    slug,
    steps,
    title_in,
    title_name,
)
from slr.sources.base import Source

BATCH = 50  # DOIs per `doi:` filter request
TITLE_BATCH = 10  # title look-ups per checkpointed step
SELECT = (
    "DOI,title,author,issued,published,container-title,type,language,abstract,volume,"
    "issue,page,publisher,URL,is-referenced-by-count"
)


def _params(src: Source, **params: Any) -> dict[str, Any]:
    return {**params, **mailto(src)}


def _label(ref: dict[str, Any]) -> str:
    for key in ("article-title", "volume-title", "unstructured", "DOI", "key"):
        if ref.get(key):
            return str(ref[key])
    return "(empty reference)"


def task(
    f: Fetcher, seed: dict[str, Any], direction: str, state: State, cap: int | None = None
) -> Iterator[Step]:
    """The deposited references of one seed (`direction` is always backward)."""
    src = f.src
    base = slug(seed["work_id"])
    if not seed.get("doi"):
        yield Step((), None, note="no DOI: Crossref reference lists are looked up by DOI")
        return
    url = f"{src.url}/works/{quote(seed['doi'], safe='')}"
    resp = f.get(f"seed-{base}", Request(url, _params(src)), True)
    if resp is None:
        yield Step((), None, note=f"DOI {seed['doi']} not found in Crossref")
        return
    refs = (resp.json().get("message") or {}).get("reference") or []
    with_doi: dict[str, dict[str, Any]] = {}
    others: list[dict[str, Any]] = []
    for ref in refs:
        doi = normalise_doi(ref.get("DOI"))
        if doi and "," not in doi:  # a comma would split the `doi:` filter list
            with_doi.setdefault(doi, ref)
        else:
            others.append(ref)
    groups: list[tuple[str, list[Any]]] = [("doi", b) for b in chunks(list(with_doi), BATCH)]
    groups += [("title", b) for b in chunks(others, TITLE_BATCH)]
    if not groups:
        yield Step((), None, total=0, note="no deposited references in Crossref")
        return
    for k, (kind, items), nxt in steps(groups, state):
        if kind == "doi":
            found = _by_doi(f, base, k, items, with_doi)
        else:
            found = [_by_title(f, ref) for ref in items]
        yield Step(tuple(found), nxt, total=len(refs))


def _by_doi(
    f: Fetcher, base: str, k: int, dois: list[str], refs: Mapping[str, dict[str, Any]]
) -> list[Found]:
    src = f.src
    name = f"backward-{base}-b{k:04d}"
    params = _params(src, filter=",".join(f"doi:{d}" for d in dois), rows=len(dois), select=SELECT)
    resp = f.get(name, Request(f"{src.url}/works", params))
    assert resp is not None
    items = (resp.json().get("message") or {}).get("items") or []
    got = {}
    for i, item in enumerate(items):
        rec = f.parse(item, name, i)
        got[rec.doi] = rec
    return [
        Found(got[d]) if d in got else Found(None, _label(refs[d]), "DOI not in Crossref", d)
        for d in dois
    ]


def _by_title(f: Fetcher, ref: dict[str, Any]) -> Found:
    """A reference without DOI matched by a bibliographic query, if the title agrees."""
    src = f.src
    title = ref.get("article-title") or ref.get("volume-title")
    text = ref.get("unstructured")
    if title:
        words = " ".join(
            str(ref[k]) for k in ("article-title", "volume-title", "author", "year") if ref.get(k)
        )
    elif text:
        words = text
    else:
        return Found(None, _label(ref), "no DOI, title or text to match")
    name = title_name(words)
    params = _params(src, **{"query.bibliographic": words, "rows": 5, "select": SELECT})
    resp = f.get(name, Request(f"{src.url}/works", params), True)
    items = ((resp.json().get("message") or {}).get("items") or []) if resp else []
    for i, item in enumerate(items):
        rec = src.to_record(item)
        if (title and same_title(title, rec.title)) or (not title and title_in(rec.title, text)):
            return resolved(rec.evolve(raw=f.raw(name, i)), "title")
    return Found(None, _label(ref), "no DOI; no title match in Crossref")
