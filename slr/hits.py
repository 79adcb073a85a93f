"""`slr search --count`: each source's hit count for the protocol's query, no records fetched.

A count asks every query (branch) of a source's compiled plan once, shrunk to a page of
one or none (`Source.count_request`), and reads the total the API reports (OpenAlex
`meta.count`, Scopus `opensearch:totalResults`, PubMed `esearchresult.count`, Crossref
`message.total-results`, ...). The responses are archived under
`raw/<source>/counts/<run-id>/` with the plan they answer, so `offline=True` replays the
newest count of the same plan without the network. Each online count is appended to the
search log as kind `count`: it documents how the query was tuned, and it is not a search
(the search log, PRISMA, status and report leave such entries out).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slr import query as q
from slr.corpus import log_search, now_iso
from slr.databases import MANUAL
from slr.errors import SlrError
from slr.http import Archive, Client
from slr.progress import Progress
from slr.protocol import SourceSpec
from slr.review import Review
from slr.search import chosen_sources, filters_entry, new_run_id, plan_to_json
from slr.sources import SOURCES
from slr.sources.base import Filters, Plan, Source, page_name

NO_API = "no API: count not available"
COUNTS = "counts"  # raw/<source>/counts/<run-id>/


@dataclass
class HitCount:
    """One source's count: the total (None when not known), per query, and what it means."""

    source: str
    status: str = "ok"
    total: int | None = None
    branches: list[int | None] = field(default_factory=list)
    query: str = ""
    cap: int | None = None
    run_id: str | None = None
    notes: list[str] = field(default_factory=list)


def count_hits(
    review: Review,
    names: list[str] | None = None,
    *,
    offline: bool = False,
    progress: Progress | None = None,
    client: Client | None = None,
    env: Mapping[str, str] | None = None,
) -> list[HitCount]:
    """The hit count of each protocol source (or of `names`), in protocol order."""
    specs = chosen_sources(review, names)
    filters = Filters.from_search(review.protocol.search)
    client = client or Client()
    out = []
    for spec in specs:
        if spec.name in MANUAL:
            out.append(HitCount(spec.name, NO_API))
            continue
        if spec.name not in SOURCES:
            out.append(HitCount(spec.name, f"failed: no fetcher for {spec.name} in this slr"))
            continue
        src = SOURCES.get(spec.name)(client, spec.options, env)
        try:
            if offline:
                out.append(_replay(review, src, spec, filters))
            else:
                out.append(_count(review, src, spec, filters, progress))
        except SlrError as exc:
            out.append(HitCount(spec.name, f"failed: {client.redactor.text(str(exc))}"))
    return out


def _result(src: Source, spec: SourceSpec, plan: Plan) -> HitCount:
    notes = [src.count_note] if src.count_note else []
    if len(plan.branches) > 1:
        notes.append(
            f"total: the sum of {len(plan.branches)} queries; a work found by several is "
            "counted in each"
        )
    return HitCount(spec.name, query=plan.text(), cap=src.cap(), notes=notes)


def _count(
    review: Review, src: Source, spec: SourceSpec, filters: Filters, progress: Progress | None
) -> HitCount:
    missing = src.missing_keys()
    if missing:
        return HitCount(spec.name, f"skipped: set {' and '.join(missing)}")
    plan = src.compile(spec.query, filters)
    result = _result(src, spec, plan)
    folder = review.store.raw / spec.name / COUNTS
    review.store.ensure()
    result.run_id = new_run_id(folder)
    archive = Archive(folder / result.run_id)
    started = now_iso()
    task = f"count {spec.name}"
    n = len(plan.branches)
    if progress is not None:
        progress(task, 0, n)
    try:
        for i in range(n):
            extra = {"source": spec.name, "branch": i, "kind": "count", "plan": plan_to_json(plan)}
            response = src.send(src.count_request(plan, i), archive, page_name(i, 0), extra)
            result.branches.append(src.hit_count(response, plan, i))
            if progress is not None:
                progress(task, i + 1, n)
    except SlrError as exc:
        result.status = f"failed: {src.client.redactor.text(str(exc))}"
    _sum(result, n)
    if result.branches:  # a count that got no answer has nothing to document
        log_search(review, _log_entry(src, spec, plan, filters, result, started))
    return result


def _replay(review: Review, src: Source, spec: SourceSpec, filters: Filters) -> HitCount:
    """The newest archived count of the same plan, re-read without the network."""
    plan = src.compile(spec.query, filters)
    result = _result(src, spec, plan)
    wanted = plan_to_json(plan)
    folder = review.store.raw / spec.name / COUNTS
    found = (
        sorted((p for p in folder.iterdir() if p.is_dir()), reverse=True) if folder.is_dir() else []
    )
    for run_dir in found:
        archive = Archive(run_dir)
        names = archive.names()
        metas = [archive.load(name) for name in names]
        if len(metas) != len(plan.branches) or any(m.get("plan") != wanted for _, m in metas):
            continue
        result.run_id = run_dir.name
        for response, meta in metas:
            result.branches.append(src.hit_count(response, plan, int(meta.get("branch", 0))))
        _sum(result, len(plan.branches))
        result.notes.append(f"replayed the count of {run_dir.name} from the raw archive")
        return result
    result.status = "skipped: no count of this query archived; run slr search --count online"
    return result


def _sum(result: HitCount, queries: int) -> None:
    """The hits: the sum over the plan's queries, only when every one of them answered
    (a partial sum would read as the source's count)."""
    known = [b for b in result.branches if b is not None]
    result.total = sum(known) if known and len(known) == queries else None


def _log_entry(
    src: Source,
    spec: SourceSpec,
    plan: Plan,
    filters: Filters,
    result: HitCount,
    started: str,
) -> dict[str, Any]:
    return {
        "run_id": f"count-{result.run_id}",
        "kind": "count",
        "source": spec.name,
        "database": src.database,
        "interface": src.interface,
        "query": plan.text(),
        "protocol_query": q.to_string(spec.query),
        "filters": filters_entry(plan, filters),
        "date": started[:10],
        "started": started,
        "finished": now_iso(),
        "reported_total": result.total,
        "branch_totals": result.branches,
        "status": result.status,
        "notes": [*plan.local, *result.notes],
    }


def format_counts(results: list[HitCount], fmt: str = "text") -> str:
    """The counts as a table (text, csv or markdown), then the notes per source."""
    from slr.search import format_rows

    head = ("source", "hits", "per query", "fetch cap", "status")
    rows = [
        (
            r.source,
            "-" if r.total is None else str(r.total),
            ", ".join("?" if b is None else str(b) for b in r.branches)
            if len(r.branches) > 1
            else "",
            "" if r.cap is None else str(r.cap),
            r.status,
        )
        for r in results
    ]
    notes = [f"{r.source}: query sent: {r.query}" for r in results if r.query]
    notes += [f"{r.source}: {n}" for r in results for n in r.notes]
    if any(r.total is not None for r in results):
        notes.append(
            "hits: what each API reports for the query as sent, before slr's local filter "
            "(a search keeps only the records the protocol's query matches)"
        )
    return format_rows(head, rows, fmt, [] if fmt == "csv" else notes)
