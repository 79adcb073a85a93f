"""`slr search` as a library: run the protocol's sources, resume, replay, filter, log, enrich.

Each source runs in its own thread (sources in parallel, pages of one source strictly in
sequence). A run lives in `raw/<source>/<run-id>/`: the verbatim pages (`b00-p00000.json`
+ `.meta.json`) and `run.json`, the checkpoint rewritten atomically after every page once
that page's records are stored. A killed run therefore resumes at the page after the last
checkpoint; a page fetched but not checkpointed is fetched again under the same name and
its records are de-duplicated by id. A completed run is not fetched again unless
`refresh=True`, which starts a new dated run and keeps the old one. `offline=True`
re-parses every archived page and needs no network.

The local post-filter applies the source's query and the protocol's years, types and
languages to every fetched record. Records it rejects stay in the raw archive only; the
kept ones go to records.jsonl with `extra["filter"]` = "match" or "undecidable" and
`extra["undecidable"]` naming what could not be decided (query without abstract, year,
type, language), so they can be enriched or screened by hand but are never dropped.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slr import query as q
from slr.corpus import add_records, load_records, log_search, now_iso, update_records
from slr.databases import MANUAL, manual_hint
from slr.errors import SlrError, SourceError, StoreError
from slr.http import Archive, Client
from slr.progress import Progress, counted
from slr.protocol import SourceSpec
from slr.records import Record
from slr.review import Review
from slr.sources import SOURCES
from slr.sources.base import Branch, Filters, Plan, Source
from slr.store import read_jsonl, write_atomic

RUN_FILE = "run.json"


@dataclass
class SourceResult:
    """One line of the end table."""

    source: str
    status: str = "ok"
    reported_total: int | None = None
    fetched: int = 0
    kept: int = 0
    cap: str = ""
    run_id: str | None = None
    query: str = ""
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.status.startswith("failed")


@dataclass
class SearchReport:
    results: list[SourceResult] = field(default_factory=list)
    enriched: int = 0

    @property
    def exit_code(self) -> int:
        """Non-zero when a source failed or was skipped (the search is incomplete)."""
        bad = [r for r in self.results if r.failed or r.status.startswith("skipped")]
        return 1 if bad else 0


# ---------------------------------------------------------------- local post-filter


def local_filter(record: Record, query: q.Node, filters: Filters) -> tuple[bool, tuple[str, ...]]:
    """(keep, what could not be decided): the query and the years/types/languages re-check."""
    undecided: list[str] = []
    verdict = record.matches(query)
    if verdict is q.Verdict.NO_MATCH:
        return False, ()
    if verdict is q.Verdict.UNDECIDABLE:
        undecided.append("query")
    years = filters.years
    checks: list[tuple[str, Any, bool, bool]] = [
        (
            "year",
            record.year,
            years is not None,
            years is not None and record.year is not None and years[0] <= record.year <= years[1],
        ),
        ("type", record.type, bool(filters.types), record.type in filters.types),
        (
            "language",
            record.language,
            bool(filters.languages),
            record.language in filters.languages,
        ),
    ]
    for name, value, active, ok in checks:
        if not active:
            continue
        if value is None:
            undecided.append(name)
        elif not ok:
            return False, ()
    return True, tuple(undecided)


def flag(record: Record, undecided: tuple[str, ...]) -> Record:
    """The record marked with the post-filter's verdict."""
    extra = {**record.extra, "filter": "undecidable" if undecided else "match"}
    if undecided:
        extra["undecidable"] = list(undecided)
    else:
        extra.pop("undecidable", None)
    return record.evolve(extra=extra)


# ---------------------------------------------------------------- runs on disk


def new_run_id(folder: Path) -> str:
    """A dated run id (`2024-05-01T120000Z`), unique inside `folder`."""
    base = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    run, n = base, 1
    while (folder / run).exists():
        n += 1
        run = f"{base}-{n}"
    return run


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "branches": [{"query": b.query, "params": dict(b.params)} for b in plan.branches],
        "filters": dict(plan.filters),
        "local": list(plan.local),
    }


def plan_from_json(data: Mapping[str, Any]) -> Plan:
    branches = tuple(Branch(b["query"], b.get("params") or {}) for b in data["branches"])
    return Plan(branches, data.get("filters") or {}, tuple(data.get("local") or ()))


def runs(review: Review, source: str) -> list[Path]:
    """The run folders of a source, oldest first."""
    folder = review.store.raw / source
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if (p / RUN_FILE).exists())


@dataclass(frozen=True)
class BranchProgress:
    """Where one query of a run stands: the next page to fetch and what was fetched so far."""

    next_index: int
    next_state: Any  # the source's cursor for the next page (None: no next page)
    fetched: int
    kept: int
    total: int | None = None
    done: bool = False
    capped: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BranchProgress:
        return cls(
            data["next_index"],
            data["next_state"],
            data["fetched"],
            data["kept"],
            data.get("total"),
            bool(data.get("done", False)),
            bool(data.get("capped", False)),
        )


@dataclass(frozen=True)
class RunCheckpoint:
    """A run's checkpoint (`run.json`): rewritten, as a new value, after every page."""

    run_id: str
    source: str
    started: str
    finished: str | None
    status: str | None  # running | failed | complete (None: not recorded)
    protocol_hash: str
    plan: dict[str, Any]
    branches: dict[str, BranchProgress]  # branch index (as text) -> its progress
    extra: dict[str, Any] = field(default_factory=dict)  # keys of another slr, kept as read

    def to_dict(self) -> dict[str, Any]:
        """The JSON of run.json, keys in the order slr always wrote them."""
        data = {k: v for k, v in asdict(self).items() if k != "extra"}
        return {**data, **self.extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunCheckpoint:
        if not isinstance(data["run_id"], str) or not isinstance(data["branches"], dict):
            raise TypeError("run_id or branches")
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        return cls(
            data["run_id"],
            data.get("source", ""),
            data.get("started", ""),
            data.get("finished"),
            data.get("status"),
            data.get("protocol_hash", ""),
            data["plan"],
            {k: BranchProgress.from_dict(b) for k, b in data["branches"].items()},
            {k: v for k, v in data.items() if k not in known},
        )


def _load_run(run_dir: Path) -> RunCheckpoint:
    """A run checkpoint; a damaged one is a StoreError naming it, not a traceback."""
    path = run_dir / RUN_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
        plan_from_json(data["plan"])  # raises on a plan a reader could not replay
        return RunCheckpoint.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreError(
            f"{path}: unreadable run checkpoint ({exc.__class__.__name__}); restore it from "
            f"git, or move the folder {run_dir} out of raw/ and search again"
        ) from None


def _save_run(folder: Path, run: RunCheckpoint) -> None:
    write_atomic(folder / RUN_FILE, json.dumps(run.to_dict(), ensure_ascii=False, indent=1) + "\n")


# ---------------------------------------------------------------- one source


class _Shared:
    """What the source threads share: the records file lock, the stored ids, progress."""

    def __init__(self, review: Review, progress: Progress | None) -> None:
        self.review = review
        self.lock = threading.Lock()
        self.ids = review.store.record_ids()
        self.stop = threading.Event()
        self.progress = progress

    def store(self, records: list[Record]) -> None:
        with self.lock:
            add_records(self.review, records, self.ids)

    def log(self, entry: dict[str, Any]) -> None:
        with self.lock:
            log_search(self.review, entry)


def _summarise(result: SourceResult, run: RunCheckpoint) -> None:
    known = [b.total for b in run.branches.values() if b.total is not None]
    result.reported_total = sum(known) if known else None
    result.fetched = sum(b.fetched for b in run.branches.values())
    result.kept = sum(b.kept for b in run.branches.values())
    capped = [b for b in run.branches.values() if b.capped]
    if capped:
        result.cap = f"cap hit ({len(capped)} of {len(run.branches)} queries)"
    elif run.status == "complete" and result.reported_total is not None:
        short = result.reported_total - result.fetched
        result.cap = f"shortfall {short}" if short > 0 else ""


def _run_source(
    shared: _Shared,
    src: Source,
    spec: SourceSpec,
    filters: Filters,
    refresh: bool,
) -> SourceResult:
    review = shared.review
    result = SourceResult(spec.name)
    missing = src.missing_keys()
    if missing:
        result.status = f"skipped: set {' and '.join(missing)}"
        return result
    plan = src.compile(spec.query, filters)
    result.query = plan.text()
    with shared.lock:
        review.store.ensure()  # refuses a corpus written by a newer slr before any fetch
    folder = review.store.raw / spec.name
    previous = runs(review, spec.name)
    run: RunCheckpoint | None = None
    if previous and not refresh:
        last = _load_run(previous[-1])
        same = last.plan == plan_to_json(plan)
        if same and last.status == "complete":
            result.run_id = last.run_id
            _summarise(result, last)
            result.note = f"run {last.run_id} is complete; not fetched again (--refresh)"
            return result
        if same:
            run = last
    if run is None:
        run_id = new_run_id(folder)
        run = RunCheckpoint(
            run_id=run_id,
            source=spec.name,
            started=now_iso(),
            finished=None,
            status="running",
            protocol_hash=review.protocol.hash,
            plan=plan_to_json(plan),
            branches={},
        )
    result.run_id = run.run_id
    run_dir = folder / run.run_id
    archive = Archive(run_dir)
    branches = dict(run.branches)
    for i in range(len(plan.branches)):
        branches.setdefault(str(i), BranchProgress(0, src.first(plan, i), 0, 0))
    resume = {
        int(k): (b.next_index, None if b.done else b.next_state, b.fetched)
        for k, b in branches.items()
    }
    run = replace(run, status="running", branches=branches)
    _save_run(run_dir, run)
    query = spec.query
    try:
        for got in src.pages(plan, archive, resume):
            kept = []
            for rec in got.page.records:
                keep, undecided = local_filter(rec, query, filters)
                if keep:
                    kept.append(flag(rec, undecided))
            shared.store(kept)
            b = run.branches[str(got.branch)]
            b = BranchProgress(
                next_index=got.index + 1,
                next_state=got.page.next,
                fetched=b.fetched + len(got.page.records),
                kept=b.kept + len(kept),
                total=got.page.total,
                done=got.page.next is None,
                capped=got.capped,
            )
            run = replace(run, branches={**run.branches, str(got.branch): b})
            _save_run(run_dir, run)
            _summarise(result, run)
            if shared.progress is not None:
                shared.progress(spec.name, result.fetched, _goal(result.reported_total, src.cap()))
            if shared.stop.is_set():
                raise KeyboardInterrupt
    except SlrError as exc:
        result.status = f"failed: {src.client.redactor.text(str(exc))}"
        run = replace(run, status="failed")
    else:
        done = {k: replace(b, done=True) for k, b in run.branches.items()}
        run = replace(run, status="complete", branches=done)
    run = replace(run, finished=now_iso())
    _save_run(run_dir, run)
    _summarise(result, run)
    shared.log(_log_entry(src, spec, plan, run, result, filters))
    return result


def _log_entry(
    src: Source,
    spec: SourceSpec,
    plan: Plan,
    run: RunCheckpoint,
    result: SourceResult,
    filters: Filters,
) -> dict[str, Any]:
    notes = list(plan.local)
    if result.cap:
        notes.append(result.cap)
    return {
        "run_id": run.run_id,
        "kind": "search",
        "source": spec.name,
        "database": src.database,
        "interface": src.interface,
        "query": plan.text(),
        "protocol_query": q.to_string(spec.query),
        "filters": filters_entry(plan, filters),
        "date": run.started[:10],
        "started": run.started,
        "finished": run.finished,
        "reported_total": result.reported_total,
        "fetched": result.fetched,
        "kept": result.kept,
        "caps": [int(k) for k, b in run.branches.items() if b.capped],
        "status": result.status,
        "notes": notes,
    }


def _replay_source(
    shared: _Shared, src: Source, spec: SourceSpec, filters: Filters
) -> SourceResult:
    """Rebuild a source's records from every archived run, without the network."""
    result = SourceResult(spec.name)
    found = runs(shared.review, spec.name)
    if not found:
        result.status = "skipped: nothing archived to replay"
        return result
    for run_dir in found:
        run = _load_run(run_dir)
        plan = plan_from_json(run.plan)
        archive = Archive(run_dir)
        result.run_id = run.run_id
        result.query = plan.text()
        totals: dict[int, int | None] = {}
        for name in archive.names():
            page, meta = src.replay(plan, archive, name)
            totals[int(meta.get("branch", 0))] = page.total
            kept = []
            for rec in page.records:
                keep, undecided = local_filter(rec, spec.query, filters)
                if keep:
                    kept.append(flag(rec, undecided))
            shared.store(kept)
            result.fetched += len(page.records)
            result.kept += len(kept)
        known = [t for t in totals.values() if t is not None]
        result.reported_total = sum(known) if known else None
        if run.status != "complete":  # replaying it does not make it whole
            result.status = (
                f"failed: run {run.run_id} was archived {run.status}; "
                "run `slr search` online to finish it"
            )
    result.note = f"replayed {len(found)} run(s) from the raw archive"
    return result


# ---------------------------------------------------------------- the search


def filters_entry(plan: Plan, filters: Filters) -> dict[str, Any]:
    """The filters of a search-log entry: what the API was sent, and the protocol's own."""
    return {
        "api": dict(plan.filters),
        "years": list(filters.years) if filters.years else None,
        "types": list(filters.types),
        "languages": list(filters.languages),
    }


def chosen_sources(review: Review, names: list[str] | None) -> list[SourceSpec]:
    """The protocol's sources, or those of them named by `--source` (in protocol order)."""
    specs = list(review.protocol.search.sources)
    if names:
        listed = {s.name for s in specs}
        unknown = [n for n in names if n not in listed]
        if unknown:
            raise SourceError(
                f"{review.protocol.path}: search.sources has no {', '.join(unknown)}; "
                f"add it there or choose one of: {', '.join(sorted(listed))}"
            )
        specs = [s for s in specs if s.name in names]
    return specs


def search(
    review: Review,
    names: list[str] | None = None,
    *,
    refresh: bool = False,
    offline: bool = False,
    enrich: bool = False,
    progress: Progress | None = None,
    client: Client | None = None,
    env: Mapping[str, str] | None = None,
) -> SearchReport:
    """Run (or resume, or replay) the protocol's sources; returns one result per source."""
    specs = chosen_sources(review, names)
    filters = Filters.from_search(review.protocol.search)
    client = client or Client()
    sources = dict(SOURCES.items())
    shared = _Shared(review, progress)
    report = SearchReport()
    jobs: list[tuple[int, Source, SourceSpec]] = []
    for i, spec in enumerate(specs):
        report.results.append(SourceResult(spec.name))
        if spec.name in MANUAL:
            report.results[i].status = manual_hint(spec.name)
        elif spec.name not in sources:
            report.results[i].status = f"failed: no fetcher for {spec.name} in this slr"
        else:
            jobs.append((i, sources[spec.name](client, spec.options, env), spec))

    def work(src: Source, spec: SourceSpec) -> SourceResult:
        try:
            if offline:
                return _replay_source(shared, src, spec, filters)
            return _run_source(shared, src, spec, filters, refresh)
        except SlrError as exc:
            return SourceResult(spec.name, f"failed: {client.redactor.text(str(exc))}")

    if jobs:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            futures = [(i, pool.submit(work, src, spec)) for i, src, spec in jobs]
            try:
                for i, fut in futures:
                    report.results[i] = fut.result()
            except KeyboardInterrupt:
                shared.stop.set()  # workers stop after their current page, checkpointed
                raise
    if enrich:
        report.enriched = enrich_records(
            review, client, offline=offline, progress=progress, env=env
        )
    return report


# ---------------------------------------------------------------- enrichment


def enrich_records(
    review: Review,
    client: Client | None = None,
    *,
    offline: bool = False,
    progress: Progress | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Complete records without an abstract from OpenAlex by DOI; returns how many changed.

    Responses are archived under `raw/openalex/enrich/` and reused, so enrichment resumes,
    never asks twice and can be replayed offline. Enriched records carry
    `extra["enriched"] = {"from": "openalex", "id": ..., "fields": [...]}` and a fresh
    post-filter verdict.
    """
    from slr.sources.openalex import OpenAlex

    client = client or Client()
    src = OpenAlex(client, {}, env)
    archive = Archive(review.store.raw / "openalex" / "enrich")
    done = set(archive.names())
    load_records(review)  # a hand-edited line is named here (file:line), not met mid-way
    rows = list(read_jsonl(review.store.records_file))
    todo = [
        i
        for i, r in enumerate(rows)
        if not r.get("abstract") and r.get("doi") and "enriched" not in (r.get("extra") or {})
    ]
    filters = Filters.from_search(review.protocol.search)
    changed: dict[int, Record] = {}
    for i in counted(todo, "enrich (OpenAlex)", progress):
        rec = Record.from_dict(rows[i])
        name = "doi-" + "".join(c if c.isalnum() or c in "-._" else "_" for c in rec.doi or "")
        try:
            if name in done:
                response, _ = archive.load(name)
                if not response.ok:
                    continue
                found = src.to_record(response.json())
            elif offline:
                continue
            else:
                found = src.work(f"doi:{rec.doi}", archive=archive, name=name)
        except SourceError:
            continue  # not in OpenAlex (404) or unreachable: the record stays as it was
        fields = [
            f
            for f in ("abstract", "language", "year", "type", "venue")
            if getattr(rec, f) in (None, "") and getattr(found, f) not in (None, "")
        ]
        flagged = tuple(dict.fromkeys(rec.retraction + found.retraction))
        if flagged != rec.retraction:  # OpenAlex `is_retracted` (slr.retractions)
            fields.append("retraction")
        if not fields:
            continue
        new = rec.evolve(**{f: getattr(found, f) for f in fields if f != "retraction"})
        new = new.evolve(retraction=flagged)
        spec = next((s for s in review.protocol.search.sources if s.name == rec.source), None)
        query = spec.query if spec else review.protocol.search.query
        keep, undecided = local_filter(new, query, filters)
        extra = {
            **new.extra,
            "enriched": {"from": "openalex", "id": found.source_id, "fields": fields},
        }
        new = new.evolve(extra=extra)
        new = flag(new, undecided) if keep else new.evolve(extra={**extra, "filter": "no_match"})
        changed[i] = new
    return update_records(review, changed)  # the one writer of stored records


# ---------------------------------------------------------------- output


def _goal(total: int | None, cap: int | None) -> int | None:
    """What a source will fetch: the smaller of its reported total and its cap, if known."""
    if not (total or cap):
        return None
    return min(x for x in (total, cap) if x is not None) or None


def format_table(report: SearchReport) -> str:
    """The end table: reported total, fetched, kept, cap or shortfall, status per source."""
    head = ("source", "reported", "fetched", "kept", "cap/shortfall", "status")
    rows = [
        (
            r.source,
            "-" if r.reported_total is None else str(r.reported_total),
            str(r.fetched),
            str(r.kept),
            r.cap or "-",
            r.status,
        )
        for r in report.results
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=False)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
        for row in (head, *rows)
    ]
    notes = [f"{r.source}: {r.note}" for r in report.results if r.note]
    if report.enriched:
        notes.append(f"enriched {report.enriched} record(s) from OpenAlex")
    return "\n".join(lines + notes)


LOG_COLUMNS = (
    "date",
    "source",
    "database",
    "interface",
    "query",
    "filters",
    "reported_total",
    "fetched",
    "kept",
    "caps",
    "status",
    "notes",
    "run_id",
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{k}={_cell(v)}" for k, v in value.items() if v not in (None, [], {}))
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


NOT_RECORDED = "not recorded"
REQUIRED_COLUMNS = ("date", "query")  # PRISMA-S items 8 and 13: a gap is said, never left blank


def _log_row(entry: dict[str, Any]) -> dict[str, str]:
    row = {
        c: _cell(entry.get(c) if c != "source" else entry.get("source") or entry.get("file"))
        for c in LOG_COLUMNS
    }
    for c in REQUIRED_COLUMNS:
        if not row[c].strip() or row[c] == "None":
            row[c] = NOT_RECORDED
    return row


def format_log(entries: list[dict[str, Any]], fmt: str = "text") -> str:
    """The PRISMA-S search log as text, CSV or Markdown; a missing query or date reads
    "not recorded" (an import whose --query or --date was not given)."""
    rows = [_log_row(e) for e in entries]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=LOG_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    if fmt == "markdown":
        return format_rows(LOG_COLUMNS, [[r[c] for c in LOG_COLUMNS] for r in rows], fmt)
    if not rows:
        return "no searches logged yet"
    blocks = []
    for r in rows:
        blocks.append("\n".join(f"{c:<15}{r[c]}" for c in LOG_COLUMNS if r[c]))
    return "\n\n".join(blocks)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_rows(
    head: Sequence[str], rows: Sequence[Sequence[str]], fmt: str = "text", notes: Sequence[str] = ()
) -> str:
    """A table as aligned text, CSV or Markdown, as the search log prints; `notes` follow
    the text and Markdown tables (CSV stays a table)."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(head)
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    if fmt == "markdown":
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
        lines += [""] if notes else []  # a line right under a table would be one of its rows
    else:
        widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=False)]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
            for row in (head, *rows)
        ]
    return "\n".join([*lines, *notes])
