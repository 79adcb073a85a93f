"""Snowballing through Semantic Scholar: `/references` and `/citations` with offset paging;
a `paperId: null` entry is looked up by its DOI, else matched by its title.

`/citations` has no sort and reports no total: under a per-seed cap the first works in the
API's own order are kept, and the number of citing works is "not reported"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from slr.http import Request
from slr.records import normalise_doi
from slr.snowball.base import (
    Fetcher,
    Found,
    State,
    Step,
    resolved,
    room,
    same_title,
    slug,
    title_name,
)
from slr.sources.base import Source
from slr.sources.semanticscholar import FIELDS

LIMIT = 500  # items per /references or /citations page (the API allows 1000)


def _headers(src: Source) -> dict[str, str]:
    key = src.secret("SEMANTIC_SCHOLAR_API_KEY")
    return {"x-api-key": key} if key else {}


def _match(f: Fetcher, title: str) -> tuple[dict[str, Any] | None, str]:
    """The paper `/paper/search/match` finds for a title, if its title really is the same."""
    src = f.src
    name = title_name(title)
    params = {"query": title, "fields": FIELDS}
    resp = f.get(name, Request(f"{src.url}/paper/search/match", params, _headers(src)), True)
    if resp is None:
        return None, name
    data = resp.json().get("data") or []
    best = data[0] if data else None
    if best and best.get("paperId") and same_title(title, best.get("title")):
        return best, name
    return None, name


def _resolve(f: Fetcher, paper: dict[str, Any]) -> Found:
    """A `paperId: null` entry looked up by its DOI, else matched by its title."""
    src = f.src
    doi = normalise_doi((paper.get("externalIds") or {}).get("DOI"))
    title = paper.get("title")
    if doi:
        name = f"resolve-doi-{slug(doi)}"
        url = f"{src.url}/paper/DOI:{quote(doi, safe='/')}"
        resp = f.get(name, Request(url, {"fields": FIELDS}, _headers(src)), True)
        if resp is not None:
            return resolved(f.parse(resp.json(), name, 0), "doi")
    if title:
        best, name = _match(f, title)
        if best is not None:
            return resolved(f.parse(best, name, 0), "title")
    label = title or doi or "(no title)"
    why = "paperId null; no title match" if title else "paperId null and no title"
    return Found(None, label, why, doi)


def task(
    f: Fetcher, seed: dict[str, Any], direction: str, state: State, cap: int | None = None
) -> Iterator[Step]:
    """The references (backward) or citing works (forward, at most `cap`) of one seed."""
    src = f.src
    base = slug(seed["work_id"])
    key = seed.get("semanticscholar") or (f"DOI:{seed['doi']}" if seed.get("doi") else None)
    if key is None and seed.get("title"):
        best, _ = _match(f, seed["title"])
        key = best["paperId"] if best else None
    if key is None:
        yield Step((), None, note="not found in Semantic Scholar (no id, DOI or title match)")
        return
    endpoint, wrap = (
        ("references", "citedPaper") if direction == "backward" else ("citations", "citingPaper")
    )
    if direction == "backward":
        cap = None
    offset, index = int(state.get("offset", 0)), int(state.get("index", 0))
    fetched = int(state.get("fetched", offset))
    while True:
        want = room(cap, fetched, LIMIT)
        name = f"{direction}-{base}-p{index:05d}"
        params = {"fields": FIELDS, "offset": offset, "limit": want}
        url = f"{src.url}/paper/{quote(key, safe=':/')}/{endpoint}"
        resp = f.get(name, Request(url, params, _headers(src)), True)
        if resp is None:
            yield Step((), None, note=f"not found in Semantic Scholar ({key})")
            return
        data = resp.json()
        items = data.get("data") or []
        kept = items[:want]  # a page longer than asked never takes us past the cap
        found = []
        for i, item in enumerate(kept):
            paper = (item or {}).get(wrap) or {}
            if paper.get("paperId"):
                found.append(Found(f.parse(paper, name, i)))
            else:
                found.append(_resolve(f, paper))
        fetched += len(kept)
        nxt = data.get("next")
        index += 1
        more = (nxt is not None and bool(items)) or len(kept) < len(items)
        full = cap is not None and fetched >= cap
        go_on = more and not full
        state_next = {"offset": int(nxt), "index": index, "fetched": fetched} if go_on else None
        yield Step(tuple(found), state_next, capped=full and more)
        if not go_on:
            return
        offset = int(nxt)
