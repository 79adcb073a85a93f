"""Snowballing (Wohlin 2014): backward and forward citation rounds from the included studies.

A round is one run of `slr snowball`. Its start set is the studies included at a stage that
were not yet snowballed in that direction through that source; backward follows their
references, forward the works citing them, through OpenAlex (`referenced_works` resolved in
batches of `openalex:` ids; `filter=cites:`), Semantic Scholar (`/references`, `/citations`,
offset paging) or Crossref (deposited reference lists; backward only). A reference without
an identifier is matched by DOI or title where the source can look it up; whatever stays
unresolved is counted and listed, never dropped silently.

Every response goes through the shared HTTP layer and is archived verbatim under
`raw/<via>/snowball-NN/`; `round.json` there is the checkpoint, rewritten atomically after
each step once the step's records are stored. A request already archived is read back, not
sent again: a killed round resumes where it stopped and `offline=True` replays every round.

Candidates keep their `<source>:<id>` record ids (one found again later is not added twice)
and are tagged in `extra` with method "citation", round, direction, seed (work id) and via.
After fetching, the round is de-duplicated against the whole review (slr.dedupe incremental;
decisions follow their works), the automatic criteria are applied (screening.auto_screen)
and one search-log row per direction is written (kind "citation").
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rapidfuzz import fuzz

from slr.corpus import add_records, load_records, log_search, now_iso, search_log
from slr.decisions import STAGES
from slr.errors import SlrError
from slr.http import Archive, Client, Request, Response
from slr.progress import progress
from slr.records import Record, normalise_doi, normalise_title
from slr.review import Review
from slr.screening import auto_screen, included_works, stage_states
from slr.sources import registry
from slr.sources.base import Source
from slr.sources.openalex import short_id
from slr.sources.semanticscholar import FIELDS as S2_FIELDS
from slr.store import write_atomic
from slr.works import Work, load_works, record_index

DIRECTIONS = ("backward", "forward")
VIAS = ("openalex", "semanticscholar", "crossref")
ROUND_FILE = "round.json"
OPENALEX_BATCH = 100  # ids per `openalex:` filter (OpenAlex allows 100 OR values)
CROSSREF_BATCH = 50  # DOIs per `doi:` filter request
S2_LIMIT = 500  # items per /references or /citations page (the API allows 1000)
TITLE_MATCH = 92.0  # rapidfuzz ratio on normalised titles to accept a title match
CROSSREF_SELECT = (
    "DOI,title,author,issued,published,container-title,type,language,abstract,volume,"
    "issue,page,publisher,URL,is-referenced-by-count"
)
INTERFACES = {
    ("openalex", "backward"): "OpenAlex REST API /works (referenced_works, filter=openalex:)",
    ("openalex", "forward"): "OpenAlex REST API /works?filter=cites:",
    ("semanticscholar", "backward"): "Semantic Scholar Graph API /paper/{id}/references",
    ("semanticscholar", "forward"): "Semantic Scholar Graph API /paper/{id}/citations",
    ("crossref", "backward"): "Crossref REST API /works/{doi} (deposited reference list)",
}

State = dict[str, Any]


class SnowballError(SlrError):
    """A snowballing round cannot run (nothing included, a missing key, a bad option...)."""


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class Found:
    """One reference or citing work: its record, or why it could not be resolved."""

    record: Record | None
    label: str = ""
    reason: str = ""
    doi: str | None = None


@dataclass(frozen=True)
class Step:
    """What one request (or one checkpointed group of requests) gave a task."""

    found: tuple[Found, ...]
    state: State | None  # where to resume after this step; None when the task is done
    total: int | None = None  # what the API reported for the whole task
    note: str = ""


@dataclass
class DirectionCounts:
    """The search-log counts of one direction of a round."""

    direction: str
    seeds: int = 0
    reported: int | None = None  # what the APIs reported, where they do
    found: int = 0
    resolved: int = 0
    unresolved: int = 0
    new_records: int = 0
    new_works: int = 0
    auto_excluded: int = 0
    to_screen: int = 0


@dataclass
class RoundReport:
    """The outcome of one round, for the CLI and the tests."""

    round: int
    via: str
    stage: str
    folder: Path
    seeds: list[str]
    directions: dict[str, DirectionCounts]
    unresolved: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = "complete"
    unresolved_file: Path | None = None

    @property
    def new_works(self) -> int:
        return sum(c.new_works for c in self.directions.values())

    @property
    def to_screen(self) -> int:
        return sum(c.to_screen for c in self.directions.values())


@dataclass
class Saturation:
    """Where `until_saturation` stopped: saturated, or paused for screening."""

    status: str  # "saturated" | "paused"
    rounds: list[RoundReport]
    pending: dict[str, int]
    last_round: int | None = None


# ---------------------------------------------------------------- helpers


def slug(text: str) -> str:
    """A file-name-safe form of an id (`openalex:W1` -> `openalex_W1`)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "x"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def same_title(a: str | None, b: str | None) -> bool:
    """Two titles name the same work (normalised, fuzzy ratio >= TITLE_MATCH)."""
    ka, kb = normalise_title(a), normalise_title(b)
    if not ka or not kb:
        return False
    return ka == kb or fuzz.ratio(ka, kb) >= TITLE_MATCH


def _title_in(title: str | None, text: str | None) -> bool:
    """A title (long enough to be specific) occurs inside a free-text reference."""
    kt, kx = normalise_title(title), normalise_title(text)
    return len(kt) >= 20 and kt in kx


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class _Fetcher:
    """Cache-first GETs for one round: an archived response is read back, never re-sent."""

    def __init__(self, src: Source, archive: Archive, offline: bool, review_root: Path) -> None:
        self.src = src
        self.archive = archive
        self.offline = offline
        self.done = set(archive.names())
        self.bodies: dict[str, str] = {}
        parts = archive.folder.relative_to(review_root).parts
        self.rel = "/".join(parts)

    def get(self, name: str, request: Request, missing_ok: bool = False) -> Response | None:
        """The response for `name` (archived or fetched); None for a 400/404 when `missing_ok`."""
        if name in self.done:
            response, _ = self.archive.load(name)
        elif self.offline:
            raise SnowballError(
                f"{self.archive.folder}: response {name!r} is not in the raw archive; "
                "run `slr snowball` without --offline to fetch it"
            )
        else:
            response = self.src.send(request, self.archive, name, {"snowball": name})
            self.done.add(name)
        if missing_ok and response.status in (400, 404):  # unknown id, or a title it rejects
            return None
        self.src.check(response)
        return response

    def raw(self, name: str, index: int) -> str:
        """`raw/<via>/snowball-NN/<body>#<index>` for a record parsed from page `name`."""
        if name not in self.bodies:
            meta = json.loads((self.archive.folder / f"{name}.meta.json").read_text("utf-8"))
            self.bodies[name] = meta["body"]
        return f"{self.rel}/{self.bodies[name]}#{index}"

    def record(self, record: Record, name: str, index: int) -> Record:
        return record.evolve(raw=self.raw(name, index))


# ---------------------------------------------------------------- OpenAlex


def _openalex_params(src: Source) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if src.client.mailto:
        params["mailto"] = src.client.mailto
    key = src.secret("OPENALEX_API_KEY")
    if key:
        params["api_key"] = key
    return params


def _openalex(f: _Fetcher, seed: dict[str, Any], direction: str, state: State) -> Iterator[Step]:
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
            Request(f"{src.url}/works/{quote(ident, safe=':/')}", _openalex_params(src)),
            True,
        )
        if resp is None:
            yield Step((), None, note=f"not found in OpenAlex ({ident})")
            return
        doc = resp.json()
        key = short_id(doc.get("id"))
    if direction == "forward":
        yield from _openalex_pages(f, base, f"cites:{key}", state)
        return
    ids = list(
        dict.fromkeys(s for s in (short_id(w) for w in doc.get("referenced_works") or []) if s)
    )
    batches = _chunks(ids, OPENALEX_BATCH)
    if not batches:
        yield Step((), None, total=0, note="no referenced_works in OpenAlex")
        return
    for b in range(int(state.get("step", 0)), len(batches)):
        batch = batches[b]
        name = f"backward-{base}-b{b:04d}"
        params = {"filter": "openalex:" + "|".join(batch), "per-page": OPENALEX_BATCH}
        resp = f.get(name, Request(f"{src.url}/works", {**params, **_openalex_params(src)}))
        assert resp is not None
        results = resp.json().get("results") or []
        got = {}
        for i, item in enumerate(results):
            rec = f.record(src.to_record(item), name, i)
            got[rec.source_id] = rec
        found = [
            Found(got.pop(w)) if w in got else Found(None, w, "not found in OpenAlex")
            for w in batch
        ]
        found += [Found(r) for r in got.values()]  # merged works answer under their new id
        nxt = {"step": b + 1} if b + 1 < len(batches) else None
        yield Step(tuple(found), nxt, total=len(ids))


def _openalex_pages(f: _Fetcher, base: str, filt: str, state: State) -> Iterator[Step]:
    src = f.src
    cursor, index = state.get("cursor", "*"), int(state.get("index", 0))
    while True:
        name = f"forward-{base}-p{index:05d}"
        params = {"filter": filt, "per-page": 100, "cursor": cursor, **_openalex_params(src)}
        resp = f.get(name, Request(f"{src.url}/works", params))
        assert resp is not None
        data = resp.json()
        results = data.get("results") or []
        meta = data.get("meta") or {}
        found = tuple(Found(f.record(src.to_record(x), name, i)) for i, x in enumerate(results))
        cursor, index = meta.get("next_cursor"), index + 1
        more = bool(cursor and results)
        total = meta.get("count")
        yield Step(found, {"cursor": cursor, "index": index} if more else None, total)
        if not more:
            return


# ---------------------------------------------------------------- Semantic Scholar


def _s2_headers(src: Source) -> dict[str, str]:
    key = src.secret("SEMANTIC_SCHOLAR_API_KEY")
    return {"x-api-key": key} if key else {}


def _s2_match(f: _Fetcher, title: str) -> tuple[dict[str, Any] | None, str]:
    """The paper `/paper/search/match` finds for a title, if its title really is the same."""
    src = f.src
    name = f"resolve-title-{_digest(normalise_title(title))}"
    params = {"query": title, "fields": S2_FIELDS}
    resp = f.get(name, Request(f"{src.url}/paper/search/match", params, _s2_headers(src)), True)
    if resp is None:
        return None, name
    data = resp.json().get("data") or []
    best = data[0] if data else None
    if best and best.get("paperId") and same_title(title, best.get("title")):
        return best, name
    return None, name


def _s2_resolve(f: _Fetcher, paper: dict[str, Any]) -> Found:
    """A `paperId: null` entry looked up by its DOI, else matched by its title."""
    src = f.src
    doi = normalise_doi((paper.get("externalIds") or {}).get("DOI"))
    title = paper.get("title")
    if doi:
        name = f"resolve-doi-{slug(doi)}"
        url = f"{src.url}/paper/DOI:{quote(doi, safe='/')}"
        resp = f.get(name, Request(url, {"fields": S2_FIELDS}, _s2_headers(src)), True)
        if resp is not None:
            rec = f.record(src.to_record(resp.json()), name, 0)
            return Found(rec.evolve(extra={**rec.extra, "resolved_by": "doi"}))
    if title:
        best, name = _s2_match(f, title)
        if best is not None:
            rec = f.record(src.to_record(best), name, 0)
            return Found(rec.evolve(extra={**rec.extra, "resolved_by": "title"}))
    label = title or doi or "(no title)"
    why = "paperId null; no title match" if title else "paperId null and no title"
    return Found(None, label, why, doi)


def _semanticscholar(
    f: _Fetcher, seed: dict[str, Any], direction: str, state: State
) -> Iterator[Step]:
    src = f.src
    base = slug(seed["work_id"])
    key = seed.get("semanticscholar") or (f"DOI:{seed['doi']}" if seed.get("doi") else None)
    if key is None and seed.get("title"):
        best, _ = _s2_match(f, seed["title"])
        key = best["paperId"] if best else None
    if key is None:
        yield Step((), None, note="not found in Semantic Scholar (no id, DOI or title match)")
        return
    endpoint, wrap = (
        ("references", "citedPaper") if direction == "backward" else ("citations", "citingPaper")
    )
    offset, index = int(state.get("offset", 0)), int(state.get("index", 0))
    while True:
        name = f"{direction}-{base}-p{index:05d}"
        params = {"fields": S2_FIELDS, "offset": offset, "limit": S2_LIMIT}
        url = f"{src.url}/paper/{quote(key, safe=':/')}/{endpoint}"
        resp = f.get(name, Request(url, params, _s2_headers(src)), True)
        if resp is None:
            yield Step((), None, note=f"not found in Semantic Scholar ({key})")
            return
        data = resp.json()
        items = data.get("data") or []
        found = []
        for i, item in enumerate(items):
            paper = (item or {}).get(wrap) or {}
            if paper.get("paperId"):
                found.append(Found(f.record(src.to_record(paper), name, i)))
            else:
                found.append(_s2_resolve(f, paper))
        nxt = data.get("next")
        index += 1
        more = nxt is not None and bool(items)
        yield Step(tuple(found), {"offset": int(nxt), "index": index} if more else None)
        if not more:
            return
        offset = int(nxt)


# ---------------------------------------------------------------- Crossref


def _crossref_params(src: Source, **params: Any) -> dict[str, Any]:
    if src.client.mailto:
        params["mailto"] = src.client.mailto
    return params


def _ref_label(ref: dict[str, Any]) -> str:
    for key in ("article-title", "volume-title", "unstructured", "DOI", "key"):
        if ref.get(key):
            return str(ref[key])
    return "(empty reference)"


def _crossref(f: _Fetcher, seed: dict[str, Any], direction: str, state: State) -> Iterator[Step]:
    src = f.src
    base = slug(seed["work_id"])
    if not seed.get("doi"):
        yield Step((), None, note="no DOI: Crossref reference lists are looked up by DOI")
        return
    url = f"{src.url}/works/{quote(seed['doi'], safe='')}"
    resp = f.get(f"seed-{base}", Request(url, _crossref_params(src)), True)
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
    steps: list[tuple[str, list[Any]]] = [
        ("doi", b) for b in _chunks(list(with_doi), CROSSREF_BATCH)
    ]
    steps += [("title", b) for b in _chunks(others, 10)]
    if not steps:
        yield Step((), None, total=0, note="no deposited references in Crossref")
        return
    for k in range(int(state.get("step", 0)), len(steps)):
        kind, items = steps[k]
        if kind == "doi":
            found = _crossref_dois(f, base, k, items, with_doi)
        else:
            found = [_crossref_title(f, ref) for ref in items]
        nxt = {"step": k + 1} if k + 1 < len(steps) else None
        yield Step(tuple(found), nxt, total=len(refs))


def _crossref_dois(
    f: _Fetcher, base: str, k: int, dois: list[str], refs: Mapping[str, dict[str, Any]]
) -> list[Found]:
    src = f.src
    name = f"backward-{base}-b{k:04d}"
    params = _crossref_params(
        src,
        filter=",".join(f"doi:{d}" for d in dois),
        rows=len(dois),
        select=CROSSREF_SELECT,
    )
    resp = f.get(name, Request(f"{src.url}/works", params))
    assert resp is not None
    items = (resp.json().get("message") or {}).get("items") or []
    got = {}
    for i, item in enumerate(items):
        rec = f.record(src.to_record(item), name, i)
        got[rec.doi] = rec
    return [
        Found(got[d]) if d in got else Found(None, _ref_label(refs[d]), "DOI not in Crossref", d)
        for d in dois
    ]


def _crossref_title(f: _Fetcher, ref: dict[str, Any]) -> Found:
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
        return Found(None, _ref_label(ref), "no DOI, title or text to match")
    name = f"resolve-title-{_digest(normalise_title(words))}"
    params = _crossref_params(
        src, **{"query.bibliographic": words, "rows": 5, "select": CROSSREF_SELECT}
    )
    resp = f.get(name, Request(f"{src.url}/works", params), True)
    items = ((resp.json().get("message") or {}).get("items") or []) if resp else []
    for i, item in enumerate(items):
        rec = src.to_record(item)
        if (title and same_title(title, rec.title)) or (not title and _title_in(rec.title, text)):
            rec = f.record(rec, name, i)
            return Found(rec.evolve(extra={**rec.extra, "resolved_by": "title"}))
    return Found(None, _ref_label(ref), "no DOI; no title match in Crossref")


TASKS: dict[str, Callable[[_Fetcher, dict[str, Any], str, State], Iterator[Step]]] = {
    "openalex": _openalex,
    "semanticscholar": _semanticscholar,
    "crossref": _crossref,
}


# ---------------------------------------------------------------- rounds on disk


def rounds(review: Review) -> list[tuple[Path, dict[str, Any]]]:
    """(folder, round state) of every round, in round order."""
    raw = review.store.raw
    found = []
    for path in raw.glob(f"*/snowball-*/{ROUND_FILE}") if raw.is_dir() else []:
        found.append((path.parent, json.loads(path.read_text("utf-8"))))
    return sorted(found, key=lambda item: int(item[1]["round"]))


def _save(folder: Path, state: dict[str, Any]) -> None:
    write_atomic(folder / ROUND_FILE, json.dumps(state, ensure_ascii=False, indent=1) + "\n")


def _task_key(direction: str, work_id: str) -> str:
    return f"{direction}|{work_id}"


def snowballed(review: Review, works: list[Work] | None = None) -> set[tuple[str, str, str]]:
    """(via, direction, current work id) of every seed already snowballed."""
    index = record_index(works if works is not None else load_works(review))
    out = set()
    for _, state in rounds(review):
        for task in state["tasks"].values():
            wid = index.get(task["seed"], task["seed"])
            out.add((state["via"], task["direction"], wid))
    return out


def _seed_info(work: Work, records: Mapping[str, Record]) -> dict[str, Any]:
    """What a source needs to find a seed: its ids at OpenAlex / Semantic Scholar and DOI."""
    info: dict[str, Any] = {"work_id": work.work_id, "title": work.canonical.title}
    doi = work.canonical.doi
    for rid in work.record_ids:
        rec = records.get(rid)
        if rec is None:
            continue
        doi = doi or rec.doi
        if rec.source in ("openalex", "semanticscholar") and rec.source not in info:
            info[rec.source] = rec.source_id
    info["doi"] = doi
    return info


def _directions(direction: str, via: str) -> tuple[list[str], list[str]]:
    """The directions a round runs, and notes for the ones a source cannot do."""
    if direction not in (*DIRECTIONS, "both"):
        raise SnowballError(f"unknown direction {direction!r}; use backward, forward or both")
    if via not in VIAS:
        raise SnowballError(
            f"unknown source {via!r} for snowballing; use one of: {', '.join(VIAS)}"
        )
    wanted = list(DIRECTIONS) if direction == "both" else [direction]
    if via == "crossref" and "forward" in wanted:
        if direction == "forward":
            raise SnowballError(
                "crossref has no list of citing works (only a count); "
                "use --via openalex or --via semanticscholar for forward snowballing"
            )
        return ["backward"], ["forward skipped: Crossref has no list of citing works"]
    return wanted, []


def _source(
    review: Review, via: str, client: Client | None, env: Mapping[str, str] | None
) -> Source:
    spec = next((s for s in review.protocol.search.sources if s.name == via), None)
    return registry()[via](client or Client(), spec.options if spec else {}, env)


# ---------------------------------------------------------------- a round


def run_round(
    review: Review,
    *,
    direction: str = "both",
    via: str = "openalex",
    stage: str = "full-text",
    quiet: bool = True,
    client: Client | None = None,
    env: Mapping[str, str] | None = None,
) -> RoundReport | None:
    """Run (or resume) one round; None when every included study is already snowballed."""
    if stage not in STAGES:
        raise SnowballError(f"unknown stage {stage!r}; use --from {' or --from '.join(STAGES)}")
    wanted, notes = _directions(direction, via)
    src = _source(review, via, client, env)
    review.store.ensure()
    unfinished = [(p, s) for p, s in rounds(review) if s["status"] != "complete"]
    folder: Path | None
    if unfinished:
        folder, state = unfinished[0]
        if state["via"] != via or state["directions"] != wanted:
            raise SnowballError(
                f"{folder / ROUND_FILE}: round {state['round']} ({state['via']}, "
                f"{'+'.join(state['directions'])}) was interrupted; finish it first with "
                f"`slr snowball --via {state['via']} --direction "
                f"{state['directions'][0] if len(state['directions']) == 1 else 'both'}`"
            )
    else:
        folder, state = _new_round(review, wanted, via, stage, notes)
    if folder is None:
        return None
    missing = src.missing_keys() if state["status"] == "running" else ()
    if missing:
        raise SnowballError(f"{via}: set {' and '.join(missing)} to snowball through {via}")
    _save(folder, state)
    return _complete(review, src, folder, state, offline=False, quiet=quiet)


def _new_round(
    review: Review, wanted: list[str], via: str, stage: str, notes: list[str]
) -> tuple[Path | None, dict[str, Any]]:
    works = load_works(review)
    included = included_works(review, stage) if works else []
    if not included:
        other = STAGES[0] if stage == STAGES[1] else STAGES[1]
        raise SnowballError(
            f"{review.store.works_file}: no study is included at {stage} yet; screen first "
            f"(slr screen --stage {stage}) or start from --from {other}"
        )
    done = snowballed(review, works)
    records = {r.id: r for r in load_records(review)}
    seeds, tasks = [], {}
    for work in included:
        todo = [d for d in wanted if (via, d, work.work_id) not in done]
        if not todo:
            continue
        seeds.append(_seed_info(work, records))
        for d in todo:
            tasks[_task_key(d, work.work_id)] = {
                "direction": d,
                "seed": work.work_id,
                "state": {},
                "done": False,
                "found": 0,
                "resolved": 0,
                "unresolved": 0,
                "total": None,
                "note": "",
            }
    if not tasks:
        return None, {}
    number = max((int(s["round"]) for _, s in rounds(review)), default=0) + 1
    run_id = f"snowball-{number:02d}"
    folder = review.store.raw / via / run_id
    state = {
        "round": number,
        "run_id": run_id,
        "via": via,
        "directions": wanted,
        "stage": stage,
        "status": "running",
        "started": now_iso(),
        "finished": None,
        "protocol_hash": review.protocol.hash,
        "seeds": seeds,
        "tasks": tasks,
        "unresolved": [],
        "notes": notes,
    }
    return folder, state


def _tag(record: Record, state: dict[str, Any], task: dict[str, Any]) -> Record:
    extra = {
        **record.extra,
        "method": "citation",
        "round": state["round"],
        "direction": task["direction"],
        "seed": task["seed"],
        "via": state["via"],
    }
    return record.evolve(extra=extra)


def _fetch(
    review: Review,
    src: Source,
    folder: Path,
    state: dict[str, Any],
    offline: bool,
    quiet: bool,
    replay: bool = False,
) -> None:
    """Run every unfinished task (all of them on replay), checkpointing after each step."""
    fetcher = _Fetcher(src, Archive(folder), offline, review.store.root)
    seeds = {s["work_id"]: s for s in state["seeds"]}
    known = review.store.record_ids()
    tasks = [t for t in state["tasks"].values() if replay or not t["done"]]
    run = TASKS[state["via"]]
    for task in progress(tasks, f"snowball round {state['round']} ({state['via']})", quiet):
        start: State = {} if replay else task["state"]
        for step in run(fetcher, seeds[task["seed"]], task["direction"], start):
            records = [_tag(x.record, state, task) for x in step.found if x.record is not None]
            add_records(review, records, known)
            if replay:
                continue
            lost = [x for x in step.found if x.record is None]
            task["found"] += len(step.found)
            task["resolved"] += len(records)
            task["unresolved"] += len(lost)
            task["total"] = step.total if step.total is not None else task["total"]
            task["note"] = step.note or task["note"]
            state["unresolved"] += [
                {
                    "seed": task["seed"],
                    "direction": task["direction"],
                    "reference": x.label,
                    "doi": x.doi or "",
                    "reason": x.reason,
                }
                for x in lost
            ]
            task["state"] = step.state or {}
            task["done"] = step.state is None
            _save(folder, state)


def _complete(
    review: Review, src: Source, folder: Path, state: dict[str, Any], offline: bool, quiet: bool
) -> RoundReport:
    if state["status"] == "running":
        _fetch(review, src, folder, state, offline, quiet)
        state["status"] = "fetched"
        state["finished"] = now_iso()
        _save(folder, state)
    grey = dedupe(review)
    auto_screen(review, quiet)
    report = _report(review, folder, state)
    if grey:
        report.notes.append(f"{grey} possible duplicate pair(s) to decide: slr dedupe --review")
    _log(review, src, state, report)
    state["status"] = report.status = "complete"
    _save(folder, state)
    return report


def dedupe(review: Review) -> int:
    """Link new records to the review's works (the dedupe library's incremental mode);
    returns how many possible-duplicate pairs wait for `slr dedupe --review`."""
    from slr.dedupe.incremental import update

    return len(update(review).result.grey)


# ---------------------------------------------------------------- counts and log


def round_of(work: Work, records: Mapping[str, Record]) -> int | None:
    """The round that brought a work into the review (None for a database/import work).

    A work's id is its earliest record, so the work is new in a round exactly when that
    record was added by the round.
    """
    first = records.get(work.work_id)
    if first is None or first.extra.get("method") != "citation":
        return None
    value = first.extra.get("round")
    return int(value) if value is not None else None


def _report(review: Review, folder: Path, state: dict[str, Any]) -> RoundReport:
    number = int(state["round"])
    records = {r.id: r for r in load_records(review)}
    works = load_works(review)
    ta = stage_states(review, works)[STAGES[0]]
    counts = {d: DirectionCounts(d) for d in state["directions"]}
    for task in state["tasks"].values():
        c = counts[task["direction"]]
        c.seeds += 1
        if task["total"] is not None:
            c.reported = (c.reported or 0) + task["total"]
        c.found += task["found"]
        c.resolved += task["resolved"]
        c.unresolved += task["unresolved"]
    for rec in records.values():
        if rec.extra.get("method") == "citation" and rec.extra.get("round") == number:
            if rec.extra.get("direction") in counts:
                counts[rec.extra["direction"]].new_records += 1
    for work in works:
        if round_of(work, records) != number:
            continue
        got = counts.get(records[work.work_id].extra.get("direction", ""))
        if got is None:
            continue
        got.new_works += 1
        if work.work_id in ta.auto:
            got.auto_excluded += 1
        elif work.work_id not in ta.final:
            got.to_screen += 1
    notes = list(state.get("notes") or [])
    for task in state["tasks"].values():
        if task["note"]:
            notes.append(f"{task['direction']} {task['seed']}: {task['note']}")
    report = RoundReport(
        number,
        state["via"],
        state["stage"],
        folder,
        [s["work_id"] for s in state["seeds"]],
        counts,
        list(state["unresolved"]),
        notes,
        state["status"],
    )
    if report.unresolved:
        report.unresolved_file = (
            review.store.root / "snowball" / f"round-{number:02d}-unresolved.csv"
        )
        write_atomic(report.unresolved_file, unresolved_csv(report.unresolved))
    return report


def unresolved_csv(rows: list[dict[str, Any]]) -> str:
    """The unresolved references of a round as CSV (seed, direction, reference, doi, reason)."""
    buf = io.StringIO()
    cols = ["seed", "direction", "reference", "doi", "reason"]
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _log(review: Review, src: Source, state: dict[str, Any], report: RoundReport) -> None:
    """One search-log row per direction, once (a resumed round does not log twice)."""
    logged = {
        (e.get("run_id"), e.get("direction"))
        for e in search_log(review)
        if e.get("kind") == "citation" and e.get("source") == state["via"]
    }
    for direction, c in report.directions.items():
        if (state["run_id"], direction) in logged:
            continue
        seeds = [t["seed"] for t in state["tasks"].values() if t["direction"] == direction]
        what = "references" if direction == "backward" else "citing works"
        log_search(
            review,
            {
                "run_id": state["run_id"],
                "kind": "citation",
                "source": state["via"],
                "database": src.database,
                "interface": INTERFACES[(state["via"], direction)],
                "query": f"{direction} citation searching: {what} of {len(seeds)} included "
                f"studies ({state['stage']}): {', '.join(seeds)}",
                "filters": {},
                "date": state["started"][:10],
                "started": state["started"],
                "finished": state["finished"],
                "round": state["round"],
                "direction": direction,
                "via": state["via"],
                "stage": state["stage"],
                "seeds": len(seeds),
                "reported_total": c.reported,
                "fetched": c.found,
                "kept": c.resolved,
                "found": c.found,
                "resolved": c.resolved,
                "unresolved": c.unresolved,
                "new_records": c.new_records,
                "new_works": c.new_works,
                "caps": [],
                "status": "ok",
                "notes": list(state.get("notes") or [])
                + [
                    f"{t['seed']}: {t['note']}"
                    for t in state["tasks"].values()
                    if t["direction"] == direction and t["note"]
                ],
            },
        )


# ---------------------------------------------------------------- replay and saturation


def replay(
    review: Review, *, quiet: bool = True, client: Client | None = None
) -> list[RoundReport]:
    """Rebuild every round's records from the raw archive, with no network (`--offline`)."""
    found = rounds(review)
    if not found:
        raise SnowballError(
            f"{review.store.raw}: no snowballing round archived (raw/<via>/snowball-NN/); "
            "run `slr snowball` without --offline first"
        )
    notes: dict[int, str] = {}
    for folder, state in found:
        src = _source(review, state["via"], client, {})
        try:
            _fetch(review, src, folder, state, offline=True, quiet=quiet, replay=True)
        except SnowballError as exc:
            if state["status"] != "running":
                raise
            # an interrupted round replays as far as it was archived
            notes[int(state["round"])] = f"replayed up to the interruption ({exc})"
    dedupe(review)
    auto_screen(review, quiet)
    reports = []
    for folder, state in rounds(review):
        report = _report(review, folder, state)
        if int(state["round"]) in notes:
            report.notes.append(notes[int(state["round"])])
        reports.append(report)
    return reports


def pending(review: Review, stage: str = "full-text") -> dict[str, int]:
    """Works brought in by snowballing that still need a decision, per stage up to `stage`."""
    records = {r.id: r for r in load_records(review)}
    works = load_works(review)
    states = stage_states(review, works)
    new = {w.work_id for w in works if round_of(w, records) is not None}
    out = {}
    for name in STAGES[: STAGES.index(stage) + 1]:
        st = states[name]
        out[name] = sum(1 for w in st.pool if w.work_id in new and w.work_id not in st.final)
    return out


def until_saturation(
    review: Review,
    *,
    direction: str = "both",
    via: str = "openalex",
    stage: str = "full-text",
    quiet: bool = True,
    client: Client | None = None,
    env: Mapping[str, str] | None = None,
    wait: Callable[[dict[str, int]], bool] | None = None,
) -> Saturation:
    """Repeat rounds until one adds no new included study, pausing whenever works await
    screening: `wait(pending)` returns True once they are screened (False stops here)."""
    reports: list[RoundReport] = []
    while True:
        todo = pending(review, stage)
        while any(todo.values()):
            if wait is None or not wait(todo):
                return Saturation("paused", reports, todo, _last_round(review))
            todo = pending(review, stage)
        report = run_round(
            review, direction=direction, via=via, stage=stage, quiet=quiet, client=client, env=env
        )
        if report is None:
            return Saturation("saturated", reports, todo, _last_round(review))
        reports.append(report)


def _last_round(review: Review) -> int | None:
    found = rounds(review)
    return int(found[-1][1]["round"]) if found else None


# ---------------------------------------------------------------- output


def format_round(report: RoundReport, limit: int = 10) -> str:
    """The end table of a round, the unresolved references and what to do next."""
    cols = ("seeds", "found", "resolved", "unresolved", "new_records", "new_works", "to_screen")
    head = ("direction", *(c.replace("_", " ") for c in cols))
    rows = [(d, *(str(getattr(c, k)) for k in cols)) for d, c in report.directions.items()]
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    lines = [
        f"round {report.round} via {report.via} from the studies included at "
        f"{report.stage}: {len(report.seeds)} seed(s)"
    ]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in (head, *rows)
    ]
    lines += [f"note: {n}" for n in report.notes]
    if report.unresolved:
        lines.append(f"{len(report.unresolved)} reference(s) could not be resolved:")
        for row in report.unresolved[:limit]:
            doi = f" (doi {row['doi']})" if row.get("doi") else ""
            lines.append(f"  - {row['reference'][:90]}{doi}: {row['reason']}")
        if len(report.unresolved) > limit:
            lines.append(f"  ... and {len(report.unresolved) - limit} more")
        lines.append(f"full list: {report.unresolved_file}")
    return "\n".join(lines)


def format_pending(todo: Mapping[str, int]) -> str:
    """What to screen before the next round."""
    steps = [
        f"{n} work(s) at {stage}: slr screen --stage {stage}" for stage, n in todo.items() if n
    ]
    return "screen next:\n  " + "\n  ".join(steps) if steps else "nothing left to screen"
