"""Snowballing through OpenAlex: backward resolves the seed's `referenced_works` in batches
of `openalex:` ids; forward pages through `filter=cites:` with a cursor, most-cited first
(`sort=cited_by_count:desc`), so that a per-seed cap keeps the most-cited citing works.

Both directions first read the seed's own work (one request, shared by the two directions
of a round): backward needs its `referenced_works`, forward its current id (OpenAlex merges
works) and its `cited_by_count`, the number of citing works a cap is measured against."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from slr.http import Request
from slr.snowball.base import Fetcher, Found, State, Step, chunks, mailto, room, slug, steps
from slr.sources.base import Source
from slr.sources.openalex import short_id

BATCH = 100  # ids per `openalex:` filter (OpenAlex allows 100 OR values)
PAGE = 200  # citing works per `cites:` page (the most OpenAlex serves)
ORDER = "cited_by_count:desc"  # forward order: most-cited first, so a cap keeps those


def _params(src: Source) -> dict[str, Any]:
    params: dict[str, Any] = mailto(src)
    key = src.secret("OPENALEX_API_KEY")
    if key:
        params["api_key"] = key
    return params


def task(
    f: Fetcher, seed: dict[str, Any], direction: str, state: State, cap: int | None = None
) -> Iterator[Step]:
    """The references (backward) or citing works (forward, at most `cap`) of one seed."""
    src = f.src
    base = slug(seed["work_id"])
    key = seed.get("openalex")
    ident = key or (f"doi:{seed['doi']}" if seed.get("doi") else None)
    if direction == "forward" and key and not f.can_get(f"seed-{base}"):
        # replaying a forward round archived before seeds were looked up: page as it did
        yield from _citing(f, base, f"cites:{key}", state, cap, None)
        return
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
    doc: dict[str, Any] = resp.json()
    key = short_id(doc.get("id")) or key
    if direction == "forward":
        cited = doc.get("cited_by_count")
        yield from _citing(
            f, base, f"cites:{key}", state, cap, cited if isinstance(cited, int) else None
        )
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


def _citing(
    f: Fetcher, base: str, filt: str, state: State, cap: int | None, citing: int | None
) -> Iterator[Step]:
    """Cursor paging, stopped once `cap` works are fetched: a 30,000-citation seed costs
    cap/PAGE requests, not 150."""
    cursor, index = state.get("cursor", "*"), int(state.get("index", 0))
    fetched = int(state.get("fetched", 0))
    while True:
        want = room(cap, fetched, PAGE)
        name = f"forward-{base}-p{index:05d}"
        params = {"filter": filt, "sort": ORDER, "per-page": want, "cursor": cursor}
        resp = f.get(name, Request(f"{f.src.url}/works", {**params, **_params(f.src)}))
        assert resp is not None
        data = resp.json()
        results = data.get("results") or []
        meta = data.get("meta") or {}
        kept = results[:want]  # a server ignoring per-page never takes us past the cap
        found = tuple(Found(f.parse(x, name, i)) for i, x in enumerate(kept))
        fetched += len(kept)
        cursor, index = meta.get("next_cursor"), index + 1
        count = meta.get("count")
        more = bool(cursor and results) or len(kept) < len(results)
        full = cap is not None and fetched >= cap
        go_on = more and not full
        if isinstance(count, int) and len(kept) == len(results):
            more = count > fetched  # the last page may still carry a cursor
        yield Step(
            found,
            {"cursor": cursor, "index": index, "fetched": fetched} if go_on else None,
            count if isinstance(count, int) else None,
            capped=full and more,
            citing=citing,
        )
        if not go_on:
            return
