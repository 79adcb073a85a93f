"""Snowballing through OpenAlex: backward resolves the seed's `referenced_works` in batches
of `openalex:` ids; forward pages through `filter=cites:` with a cursor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from slr.http import Request
from slr.snowball.base import Fetcher, Found, State, Step, chunks, mailto, slug, steps
from slr.sources.base import Source
from slr.sources.openalex import short_id

BATCH = 100  # ids per `openalex:` filter (OpenAlex allows 100 OR values)


def _params(src: Source) -> dict[str, Any]:
    params: dict[str, Any] = mailto(src)
    key = src.secret("OPENALEX_API_KEY")
    if key:
        params["api_key"] = key
    return params


def task(f: Fetcher, seed: dict[str, Any], direction: str, state: State) -> Iterator[Step]:
    """The references (backward) or citing works (forward) of one seed."""
    src = f.src
    base = slug(seed["work_id"])
    key = seed.get("openalex")
    doc: dict[str, Any] = {}
    if direction == "backward" or not key:
        ident = key or (f"doi:{seed['doi']}" if seed.get("doi") else None)
        if ident is None:
            yield Step((), None, note="no OpenAlex id or DOI to look it up")
            return
        resp = f.get(
            f"seed-{base}",
            Request(f"{src.url}/works/{quote(ident, safe=':/')}", _params(src)),
            True,
        )
        if resp is None:
            yield Step((), None, note=f"not found in OpenAlex ({ident})")
            return
        doc = resp.json()
        key = short_id(doc.get("id"))
    if direction == "forward":
        yield from _citing(f, base, f"cites:{key}", state)
        return
    ids = list(
        dict.fromkeys(s for s in (short_id(w) for w in doc.get("referenced_works") or []) if s)
    )
    batches = chunks(ids, BATCH)
    if not batches:
        yield Step((), None, total=0, note="no referenced_works in OpenAlex")
        return
    for b, batch, nxt in steps(batches, state):
        name = f"backward-{base}-b{b:04d}"
        params = {"filter": "openalex:" + "|".join(batch), "per-page": BATCH}
        resp = f.get(name, Request(f"{src.url}/works", {**params, **_params(src)}))
        assert resp is not None
        results = resp.json().get("results") or []
        got = {}
        for i, item in enumerate(results):
            rec = f.parse(item, name, i)
            got[rec.source_id] = rec
        found = [
            Found(got.pop(w)) if w in got else Found(None, w, "not found in OpenAlex")
            for w in batch
        ]
        found += [Found(r) for r in got.values()]  # merged works answer under their new id
        yield Step(tuple(found), nxt, total=len(ids))


def _citing(f: Fetcher, base: str, filt: str, state: State) -> Iterator[Step]:
    cursor, index = state.get("cursor", "*"), int(state.get("index", 0))
    while True:
        name = f"forward-{base}-p{index:05d}"
        params = {"filter": filt, "per-page": 100, "cursor": cursor, **_params(f.src)}
        resp = f.get(name, Request(f"{f.src.url}/works", params))
        assert resp is not None
        data = resp.json()
        results = data.get("results") or []
        meta = data.get("meta") or {}
        found = tuple(Found(f.parse(x, name, i)) for i, x in enumerate(results))
        cursor, index = meta.get("next_cursor"), index + 1
        more = bool(cursor and results)
        total = meta.get("count")
        yield Step(found, {"cursor": cursor, "index": index} if more else None, total)
        if not more:
            return
