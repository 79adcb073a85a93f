"""What a round did: its counts per direction, the unresolved references (CSV), the
search-log rows (kind "citation") and the end table the CLI prints."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slr.corpus import citation_caps_hit, log_search, search_log
from slr.decisions import STAGES
from slr.records import Record
from slr.review import Review
from slr.screen.state import stage_states
from slr.snowball.base import records_by_id
from slr.sources.base import Source
from slr.store import write_atomic
from slr.works import Work, load_works

INTERFACES = {
    ("openalex", "backward"): "OpenAlex REST API /works (referenced_works, filter=openalex:)",
    ("openalex", "forward"): "OpenAlex REST API /works?filter=cites:",
    ("semanticscholar", "backward"): "Semantic Scholar Graph API /paper/{id}/references",
    ("semanticscholar", "forward"): "Semantic Scholar Graph API /paper/{id}/citations",
    ("crossref", "backward"): "Crossref REST API /works/{doi} (deposited reference list)",
}


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
    cap: int | None = None  # citing works fetched at most per seed (forward); None: no cap
    capped: list[dict[str, Any]] = field(default_factory=list)  # seed, citing, fetched


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


def round_report(review: Review, folder: Path, state: dict[str, Any]) -> RoundReport:
    """The counts of a round from its state and the stored records, works and decisions;
    writes `snowball/round-NN-unresolved.csv` when references stayed unresolved."""
    number = int(state["round"])
    records = records_by_id(review)
    works = load_works(review)
    ta = stage_states(review, works)[STAGES[0]]
    counts = {d: DirectionCounts(d) for d in state["directions"]}
    if "forward" in counts:
        counts["forward"].cap = state.get("max_per_seed")
    for task in state["tasks"].values():
        c = counts[task["direction"]]
        c.seeds += 1
        if task.get("capped"):
            c.capped.append(capped_seed(task))
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
    out = RoundReport(
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
    if out.unresolved:
        out.unresolved_file = review.store.unresolved_file(number)
        write_atomic(out.unresolved_file, unresolved_csv(out.unresolved))
    return out


ORDERS = {
    "openalex": "most-cited first (OpenAlex sort=cited_by_count:desc)",
    "semanticscholar": "in Semantic Scholar's own order (/citations has no sort)",
}


def capped_seed(task: dict[str, Any]) -> dict[str, Any]:
    """A seed whose citing works were cut at the cap: how many exist (the seed's own count,
    else the count the API reported for the query; None where neither says) and how many
    were fetched."""
    citing = task.get("citing") if task.get("citing") is not None else task.get("total")
    return {"seed": task["seed"], "citing": citing, "fetched": task["found"]}


def cap_notes(via: str, c: DirectionCounts) -> list[str]:
    """What the per-seed cap did in a forward direction, in words (search log, end table)."""
    if c.direction != "forward":
        return []
    if c.cap is None:
        return ["forward: no cap on citing works per seed (every citing work fetched)"]
    order = ORDERS.get(via, "in the API's order")
    head = f"forward: at most {c.cap} citing works per seed, {order}"
    if not c.capped:
        return [f"{head}; no seed reached the cap"]
    notes = [f"{head}; {len(c.capped)} of {c.seeds} seed(s) reached the cap"]
    for row in c.capped:
        citing = (
            f"{row['citing']:,} citing works"
            if row["citing"] is not None
            else "more citing works (the API reports no total)"
        )
        notes.append(
            f"cap hit: {row['seed']} has {citing}; {row['fetched']:,} fetched "
            f"(--max-per-seed 0 fetches all)"
        )
    return notes


def unresolved_csv(rows: list[dict[str, Any]]) -> str:
    """The unresolved references of a round as CSV (seed, direction, reference, doi, reason)."""
    buf = io.StringIO()
    cols = ["seed", "direction", "reference", "doi", "reason"]
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def log_round(review: Review, src: Source, state: dict[str, Any], report: RoundReport) -> None:
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
                "max_per_seed": c.cap if direction == "forward" else None,
                "order": ORDERS.get(state["via"]) if direction == "forward" else None,
                "caps": [{"cap": c.cap, **row} for row in c.capped],
                "status": "ok",
                "notes": list(state.get("notes") or [])
                + cap_notes(state["via"], c)
                + [
                    f"{t['seed']}: {t['note']}"
                    for t in state["tasks"].values()
                    if t["direction"] == direction and t["note"]
                ],
            },
        )


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
    for c in report.directions.values():  # the cap is said where it cut something
        lines += [f"note: {n}" for n in cap_notes(report.via, c) if c.capped]
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


def caps_hit(review: Review) -> list[str]:
    """One line per logged round direction whose per-seed cap cut citing works (for
    `slr status`): the cap, and how many seeds it cut (`slr.corpus.citation_caps_hit`)."""
    return citation_caps_hit(search_log(review))
