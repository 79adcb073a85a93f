"""`slr diff`: what a living review gained since a run or a date.

Every record points at the raw file it came from (`raw/<source>/<run id>/...` for a search
run or a snowball round, `raw/import/<sha256>-<name>` for an import), and records.jsonl keeps
only the first copy of a record: so each record belongs to the one logged run that first
stored it. A record found again by a later run is not new.

Runs are the search log's entries with records (kinds search, import, citation), grouped
into batches: the sources of one `slr search` run in parallel, each under its own run id,
and the files of one `slr import` share a start time. A batch is what "the previous run"
means. Since RUN = the records first stored by a later batch; since DATE = the records of
runs dated that day or later (the search log's date column: the day a search ran, for an
import the search date given or read from the file, else the day it was imported).

From the state (records.jsonl and works.jsonl), with new = first stored since then:
- new works: works whose every record is new;
- changed works: works holding new and earlier records (they gained a record); for each,
  the merged fields (title, year, DOI, abstract) that differ from the merge of its earlier
  records alone, i.e. what the work showed before the new records joined it.
Records whose run the log does not name are never counted as new (said, not guessed).

Screening after an update: decisions are keyed by work id, the id of the earliest-added
record of the work, so a work that gains a later record keeps its id and its decisions and
is not queued again; only works without a decision are (the new works, and any left open).
The changed works that were decided at title-abstract are counted and marked "decision
stands", so that nobody mistakes them for screened with their new record in view.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date as Date
from typing import Any

from slr.corpus import load_records, search_log
from slr.errors import SlrError
from slr.records import Record
from slr.review import Review
from slr.works import Work, load_works

KINDS = ("search", "import", "citation")  # search-log kinds that store records
FIELDS = ("title", "year", "doi", "abstract")  # merged fields whose change is reported
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DiffError(SlrError):
    """`--since` names no run of the search log, or is not a date."""


@dataclass(frozen=True)
class Run:
    """One batch of search-log entries: one `slr search`, `slr import` or snowball round."""

    number: int  # position among the batches, oldest first
    run_ids: tuple[str, ...]
    kind: str
    sources: tuple[str, ...]
    dates: tuple[str, ...]  # the search log's date of each entry ("" when none is known)
    records: int = 0  # records this batch stored first (filled by `diff`)
    imported_only: bool = False  # imports whose search date nobody gave: `dates` are import days

    @property
    def date(self) -> str:
        known = sorted(d for d in self.dates if d)
        return known[0] if known else ""

    def label(self) -> str:
        ids = ", ".join(self.run_ids)
        when = self.date or "date not recorded"
        if self.imported_only and self.date:  # not a search date: the log says "not recorded"
            when = f"imported {self.date}, search date not recorded"
        return f"{ids} ({self.kind}, {'/'.join(self.sources)}, {when})"


@dataclass(frozen=True)
class Changed:
    """A work that existed before and gained records since."""

    work: Work
    new_records: tuple[str, ...]
    fields: tuple[str, ...]  # merged fields that differ from the merge of its earlier records
    decided: str = ""  # its final title-abstract decision, if it had one ("" otherwise)


@dataclass
class Diff:
    since: str  # what the cutoff is, for people
    runs: list[Run]  # the batches after the cutoff
    new_records: list[Record] = field(default_factory=list)
    new_works: list[Work] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    not_deduplicated: list[Record] = field(default_factory=list)  # new, in no work yet
    unknown_origin: int = 0  # records whose run the log does not name (never counted new)

    def by_source(self) -> dict[str, int]:
        return dict(sorted(Counter(r.source for r in self.new_records).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "runs": [r.run_ids for r in self.runs],
            "new_records": len(self.new_records),
            "new_records_by_source": self.by_source(),
            "new_works": len(self.new_works),
            "changed_works": len(self.changed),
            "changed_metadata": sum(1 for c in self.changed if c.fields),
            "changed_decided": sum(1 for c in self.changed if c.decided),
            "not_deduplicated": len(self.not_deduplicated),
            "unknown_origin": self.unknown_origin,
        }


# ---------------------------------------------------------------- runs


def _entry_date(entry: dict[str, Any]) -> str:
    value = entry.get("date") or str(entry.get("started") or entry.get("logged") or "")[:10]
    return str(value) if value else ""


def batches(log: list[dict[str, Any]]) -> tuple[list[Run], dict[int, int]]:
    """The batches of the log's record-storing entries, oldest first, and entry position ->
    batch number. An entry joins the batch before it when it is of the same kind and of the
    same command: a snowball round's directions share its run id, the files of one import
    share its start time, and the sources of one search each log once, starting before the
    first of them finished (they run in parallel)."""
    groups: list[list[dict[str, Any]]] = []
    member: dict[int, int] = {}
    for at, e in enumerate(log):
        kind = e.get("kind")
        if kind not in KINDS:
            continue
        last = groups[-1] if groups else []
        if last and last[0].get("kind") == kind and _same_command(last, e):
            last.append(e)
        else:
            groups.append([e])
        member[at] = len(groups) - 1
    runs = [
        Run(
            number,
            tuple(dict.fromkeys(str(e.get("run_id")) for e in entries)),
            str(entries[0].get("kind")),
            tuple(dict.fromkeys(str(e.get("source") or e.get("via") or "?") for e in entries)),
            tuple(_entry_date(e) for e in entries),
            imported_only=all(e.get("kind") == "import" and not e.get("date") for e in entries),
        )
        for number, entries in enumerate(groups)
    ]
    return runs, member


def _same_command(batch: list[dict[str, Any]], e: dict[str, Any]) -> bool:
    started = str(e.get("started") or "")
    if e.get("kind") == "citation":
        return any(x.get("run_id") == e.get("run_id") for x in batch)
    if e.get("kind") == "import":
        return bool(started) and started == str(batch[0].get("started") or "")
    end = max(str(x.get("finished") or "") for x in batch)
    fresh_source = all(x.get("source") != e.get("source") for x in batch)
    return fresh_source and bool(started) and started <= end


def origins(records: list[Record], log: list[dict[str, Any]]) -> dict[str, int]:
    """record id -> position in `log` of the entry that first stored it (absent: not named)."""
    by_file: dict[str, int] = {}
    by_run: dict[tuple[str, str], int] = {}
    held: dict[str, int] = {}
    for at, e in enumerate(log):
        kind, run_id = e.get("kind"), str(e.get("run_id"))
        if kind == "import" and e.get("file") and "removed" not in e:
            by_file.setdefault(str(e["file"]), at)
            for rid in e.get("held") or ():
                held.setdefault(rid, at)
        elif kind == "search":
            by_run.setdefault((str(e.get("source")), run_id), at)
        elif kind == "citation":
            by_run.setdefault(("*", run_id), at)
    out: dict[str, int] = {}
    for rec in records:
        origin = (rec.raw or "").split("#", 1)[0]
        parts = origin.split("/")
        found: int | None = None
        if origin in by_file:
            found = by_file[origin]
        elif len(parts) >= 3 and parts[0] == "raw":
            found = by_run.get((parts[1], parts[2]), by_run.get(("*", parts[2])))
        if found is None:
            found = held.get(rec.id)  # its own import was removed; a live one also held it
        if found is not None:
            out[rec.id] = found
    return out


def _check_date(text: str, runs: list[Run]) -> str:
    try:
        Date.fromisoformat(text)
    except ValueError:
        ids = ", ".join(i for r in runs for i in r.run_ids)
        raise DiffError(
            f"--since {text}: not a valid date (YYYY-MM-DD); or give a run id: {ids}"
        ) from None
    return text


def _named(
    since: str, runs: list[Run], log: list[dict[str, Any]], member: dict[int, int]
) -> list[Run]:
    """The batch a run id names; `SOURCE/RUN` (its raw folder) when two sources' runs share
    an id (they are dated to the second); an id naming two batches is an error."""
    source, _, run_id = since.rpartition("/") if "/" in since else ("", "", since)
    hits = sorted(
        {
            member[at]
            for at in member
            if str(log[at].get("run_id")) == run_id
            and (not source or source in (log[at].get("source"), log[at].get("via")))
        }
    )
    if len(hits) > 1:
        names = [
            f"{log[at].get('source')}/{run_id}"
            for at in member
            if str(log[at].get("run_id")) == run_id
        ]
        raise DiffError(
            f"--since {since}: names runs of different searches; give one of: {', '.join(names)}"
        )
    return [runs[hits[0]]] if hits else []


def _unknown(since: str, runs: list[Run]) -> DiffError:
    ids = [i for r in runs for i in r.run_ids]
    return DiffError(
        f"--since {since}: no such run in the search log and not a date (YYYY-MM-DD); "
        f"runs: {', '.join(ids)} (see slr search --log, slr import --list)"
    )


# ---------------------------------------------------------------- the diff


def diff(review: Review, since: str | None = None) -> Diff:
    """What is new since a run id, an import id or a date (default: the last-but-one run)."""
    log = search_log(review)
    runs, member = batches(log)
    if not runs:
        raise DiffError(
            f"{review.store.searchlog_file}: no search runs or imports logged yet; "
            "run `slr search` or `slr import` first"
        )
    records = load_records(review)
    origin = origins(records, log)
    per_run = Counter(member[at] for at in origin.values())
    runs = [replace(r, records=per_run[r.number]) for r in runs]
    if since is None:
        if len(runs) == 1:
            cutoff, what = -1, "the start (only one run is logged)"
        else:
            cutoff, what = len(runs) - 2, f"the previous run {runs[-2].label()}"
        is_new = {at: member[at] > cutoff for at in member}
        later = runs[cutoff + 1 :]
    else:
        named = _named(since, runs, log, member)
        if named:
            cutoff = named[0].number
            others = [i for i in named[0].run_ids if i != since]
            what = f"run {since}" + (f" (one run with {', '.join(others)})" if others else "")
            is_new = {at: member[at] > cutoff for at in member}
            later = runs[cutoff + 1 :]
        elif _DATE.match(since):
            day = _check_date(since, runs)
            is_new = {at: _entry_date(log[at]) >= day for at in member}
            later = [r for r in runs if any(d >= day for d in r.dates)]
            what = f"{day} (runs dated that day or later)"
        else:
            removed = search_log(review, removed=True)
            if any(e.get("removed") and str(e.get("run_id")) == since for e in removed):
                ids = ", ".join(i for r in runs for i in r.run_ids)
                raise DiffError(
                    f"--since {since}: that import was removed (`slr import --remove`), so "
                    f"nothing dates from it; give a date or one of the runs: {ids}"
                )
            raise _unknown(since, runs)
    fresh = {rid for rid, at in origin.items() if is_new.get(at)}
    out = Diff(what, later, unknown_origin=sum(1 for r in records if r.id not in origin))
    out.new_records = [r for r in records if r.id in fresh]
    _works_part(review, out, records, fresh)
    return out


def _works_part(review: Review, out: Diff, records: list[Record], fresh: set[str]) -> None:
    """New and changed works, from works.jsonl (what the last `slr dedupe` made)."""
    works = load_works(review)
    by_id = {r.id: r for r in records}
    in_work = {rid for w in works for rid in w.record_ids}
    out.not_deduplicated = [r for r in out.new_records if r.id not in in_work]
    grown: list[tuple[Work, tuple[str, ...], tuple[str, ...]]] = []
    for work in works:
        new = tuple(rid for rid in work.record_ids if rid in fresh)
        if not new:
            continue
        if len(new) == len(work.record_ids):
            out.new_works.append(work)
            continue
        before = [by_id[rid] for rid in work.record_ids if rid not in fresh and rid in by_id]
        grown.append((work, new, _changed_fields(work, before)))
    if not grown:
        return
    decided = _title_abstract_finals(review, works)
    out.changed = [Changed(w, new, fields, decided.get(w.work_id, "")) for w, new, fields in grown]


def _changed_fields(work: Work, before: list[Record]) -> tuple[str, ...]:
    """The merged fields of `work` that differ from the merge of its earlier records."""
    from slr.dedupe.merge import canonical  # the merge `slr dedupe` uses; heavy: load late

    if not before:
        return ()
    old = canonical(before)
    return tuple(f for f in FIELDS if getattr(old, f) != getattr(work.canonical, f))


def _title_abstract_finals(review: Review, works: list[Work]) -> dict[str, str]:
    from slr.screen.state import stage_states  # builds on works and the logs: load late

    return {w: d.decision for w, d in stage_states(review, works)["title-abstract"].final.items()}


def decided_then_grown(
    records: list[Record], log: list[dict[str, Any]], works: list[Work], final: dict[str, Any]
) -> int:
    """Works with a final decision (`final`: work id -> Decision) that hold a record of a run
    started after that decision: their decision stands (for `slr status`)."""
    origin = origins(records, log)
    started = {at: str(log[at].get("started") or "") for at in set(origin.values())}
    n = 0
    for work in works:
        decision = final.get(work.work_id)
        if decision is None or not decision.time:
            continue
        if any(started.get(origin.get(rid, -1), "") > decision.time for rid in work.record_ids):
            n += 1
    return n


# ---------------------------------------------------------------- output


def _rows(d: Diff) -> list[dict[str, str]]:
    rows = []
    for r in d.new_records:
        rows.append(_row("new record", r.id, r, r.source, ""))
    for w in d.new_works:
        rows.append(_row("new work", w.work_id, w.canonical, " ".join(w.sources), ""))
    for c in d.changed:
        detail = f"gained {', '.join(c.new_records)}; " + (
            f"changed: {', '.join(c.fields)}" if c.fields else "merged metadata unchanged"
        )
        if c.decided:
            detail += f"; title-abstract decision stands: {c.decided}"
        w = c.work
        rows.append(_row("changed work", w.work_id, w.canonical, " ".join(w.sources), detail))
    return rows


def _row(section: str, ident: str, rec: Record, source: str, detail: str) -> dict[str, str]:
    year = "" if rec.year is None else str(rec.year)
    return {
        "section": section,
        "id": ident,
        "title": rec.title or "",
        "year": year,
        "source": source,
        "detail": detail,
    }


COLUMNS = ("section", "id", "title", "year", "source", "detail")


def counts_lines(d: Diff) -> list[str]:
    """The counts, one line each (what --quiet prints)."""
    per = ", ".join(f"{s} {n}" for s, n in d.by_source().items())
    lines = [f"since {d.since}"]
    if d.runs:
        lines.append(f"runs since: {len(d.runs)}")
        lines += [f"  {r.label()}: {r.records} record(s) stored first" for r in d.runs]
    else:
        lines.append("runs since: none")
    lines.append(f"new records: {len(d.new_records)}" + (f" ({per})" if per else ""))
    lines.append(f"new works (every record new): {len(d.new_works)}")
    metadata = sum(1 for c in d.changed if c.fields)
    decided = sum(1 for c in d.changed if c.decided)
    lines.append(
        f"changed works (earlier works that gained records): {len(d.changed)}; merged "
        f"title/year/DOI/abstract changed in {metadata}; already decided at title-abstract: "
        f"{decided} (decisions stand, not queued again)"
    )
    if d.not_deduplicated:
        lines.append(
            f"new records in no work yet: {len(d.not_deduplicated)}; run `slr dedupe` to "
            "count their works"
        )
    if d.unknown_origin:
        lines.append(
            f"records whose run the search log does not name: {d.unknown_origin} "
            "(never counted as new)"
        )
    return lines


def format_diff(d: Diff, fmt: str = "text", quiet: bool = False) -> str:
    """The diff as text (counts, then lists), CSV (one row per item) or Markdown."""
    rows = [] if quiet else _rows(d)
    if fmt == "csv" and quiet:  # the counts, as a table (an empty item table would say nothing)
        buf = io.StringIO()
        counts = csv.writer(buf, lineterminator="\n")
        counts.writerow(["count", "n"])
        for key, value in d.to_dict().items():
            if key == "new_records_by_source":
                counts.writerows([f"new_records:{src}", n] for src, n in value.items())
            elif isinstance(value, int):
                counts.writerow([key, value])
        return buf.getvalue().rstrip("\n")
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue().rstrip("\n")
    if fmt == "markdown":
        lines = [f"- {line.strip()}" for line in counts_lines(d)]
        for section in ("new record", "new work", "changed work"):
            part = [r for r in rows if r["section"] == section]
            if not part:
                continue
            lines += ["", f"### {section}s", "", "| id | title | year | source | detail |"]
            lines.append("|---|---|---|---|---|")
            lines += [
                "| "
                + " | ".join(r[c].replace("|", "\\|") for c in COLUMNS if c != "section")
                + " |"
                for r in part
            ]
        return "\n".join(lines)
    lines = counts_lines(d)
    for section in ("new record", "new work", "changed work"):
        part = [r for r in rows if r["section"] == section]
        if not part:
            continue
        lines += ["", f"{section}s:"]
        for r in part:
            text = f"  {r['id']}  {r['title']}  {r['year'] or '-'}  {r['source']}"
            lines.append(text + (f"\n    {r['detail']}" if r["detail"] else ""))
    return "\n".join(lines)
