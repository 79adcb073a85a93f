"""Adding records and search-log entries to a review: the one way every source and import writes.

Records are keyed by `<source>:<source_id>`; adding a record whose id is already stored is
a no-op, so re-running an import or resuming a search never duplicates anything.

Imports are corrected by appending, never by editing: an `amend` line changes an import's
source, query or date, a `remove` line (a tombstone) takes an import out of the review.
`search_log` and `load_records` give the review as corrected, so PRISMA, the report, status,
export and dedupe follow without knowing about corrections. A record leaves only when every
import that held it was removed (an import logs the stored ids it also held, in `held`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slr.clock import fixed_clock as fixed_clock  # re-exported: callers import the clock here
from slr.clock import now_iso
from slr.errors import StoreError
from slr.records import Record
from slr.review import Review
from slr.store import append_jsonl, read_jsonl, write_jsonl_atomic


def load_records(review: Review) -> list[Record]:
    """Every stored record of the review as corrected, in the order it was added."""
    records = _first_of_each(review.entries(review.store.records_file, Record.from_dict, "record"))
    fix = _corrections(search_log(review, removed=True))
    if fix is None:
        return records
    removed, held, relabel = fix
    out = []
    for rec in records:
        origin = (rec.raw or "").split("#", 1)[0]
        if origin in removed and rec.id not in held:
            continue  # only a removed import found it
        new = relabel.get(origin)
        if new and new != rec.source:
            rec = rec.evolve(source=new, key=rec.id)  # the id stays: decisions name it
        out.append(rec)
    return out


def _first_of_each(records: list[Record]) -> list[Record]:
    """One record per id: two clones that stored the same record append it twice, and git's
    union merge keeps both lines."""
    if len({r.id for r in records}) == len(records):
        return records
    seen: set[str] = set()
    return [r for r in records if not (r.id in seen or seen.add(r.id))]  # type: ignore[func-returns-value]


def removed_record_ids(review: Review) -> set[str]:
    """Ids of stored records that only removed imports held (empty when none was removed)."""
    log = search_log(review, removed=True)
    if not any("removed" in e for e in log):
        return set()
    kept = {r.id for r in load_records(review)}
    stored = review.entries(review.store.records_file, Record.from_dict, "record")
    return {r.id for r in stored} - kept


def _corrections(log: list[dict[str, Any]]) -> tuple[set[str], set[str], dict[str, str]] | None:
    """(files of removed imports, ids that live imports also held, file -> amended source),
    or None when no import was amended or removed."""
    imports = [e for e in log if e.get("kind") == "import" and e.get("file")]
    if not any("removed" in e or "amended" in e for e in imports):
        return None
    live = [e for e in imports if "removed" not in e]
    live_files = {e["file"] for e in live}
    removed = {e["file"] for e in imports if "removed" in e} - live_files
    held = {rid for e in live for rid in e.get("held", ())}
    relabel = {
        e["file"]: e["source"]
        for e in live
        if e.get("source") and e.get("source") != e.get("original_source", e["source"])
    }
    return removed, held, relabel


def add_records(review: Review, records: Iterable[Record], known: set[str] | None = None) -> int:
    """Append the records not stored yet (by id); returns how many were added.

    `known` may pass the set of stored ids to avoid re-reading records.jsonl; it is updated.
    """
    review.store.ensure()
    if known is None:
        stored = review.entries(review.store.records_file, Record.from_dict, "record")
        known = {r.id for r in stored}
    ids = known
    fresh = []
    for rec in records:
        if rec.id not in ids:
            ids.add(rec.id)
            fresh.append(rec.to_dict())
    if fresh:
        append_jsonl(review.store.records_file, *fresh)
    return len(fresh)


def update_records(review: Review, changed: dict[int, Record]) -> int:
    """Replace stored records in place (position in records.jsonl as `read_jsonl` gives it ->
    the record as it is now: e.g. enriched); returns how many. The whole file is rewritten atomically, so a kill
    leaves the old file or the new one, never a mix; a record keeps its id and its place.
    """
    if not changed:
        return 0
    path = review.store.records_file
    rows = list(read_jsonl(path))
    for at, rec in changed.items():
        if not 0 <= at < len(rows) or rows[at].get("id") != rec.id:
            raise StoreError(
                f"{path}: record {rec.id} is no longer where it was read (the file changed "
                "meanwhile?); run the command again"
            )
        rows[at] = rec.to_dict()
    write_jsonl_atomic(path, rows)
    return len(changed)


def log_search(review: Review, entry: dict[str, Any]) -> None:
    """Append one PRISMA-S search-log entry.

    Fields: run_id, kind ("search" | "import" | "citation" | "count"), source, database, interface,
    query (exactly as sent or typed), filters, date (YYYY-MM-DD), started, finished,
    reported_total, fetched, kept, caps, status, notes; imports add file and sha256,
    citation searching adds round and direction; a hit count (no search) adds branch_totals.
    Never an API key.
    """
    review.store.ensure()
    append_jsonl(review.store.searchlog_file, {"logged": now_iso(), **entry})


def search_log(review: Review, removed: bool = False, counts: bool = False) -> list[dict[str, Any]]:
    """Every search-log entry, oldest first, as corrected.

    `amend` lines are folded into the import they name (which then lists them under
    `amended`; `original_source` keeps what the import first said); a removed import is
    left out, or with `removed=True` kept and marked `removed` (the tombstone's time).
    Hit counts (kind `count`, `slr search --count`) are no searches: left out unless `counts`.
    """
    entries: list[dict[str, Any]] = []
    by_run: dict[Any, dict[str, Any]] = {}
    for line in review.entries(review.store.searchlog_file, dict, "search-log entry"):
        kind = line.get("kind")
        if kind == "count" and not counts:
            continue
        if kind in ("amend", "remove"):
            target = by_run.get(line.get("run_id"))
            if target is None:
                continue
            if kind == "remove":
                target["removed"] = line.get("logged", True)
            else:
                target.setdefault("original_source", target.get("source"))
                changes = {k: v for k, v in line.items() if k not in ("kind", "run_id", "logged")}
                target.update(changes)
                target.setdefault("amended", []).append({"logged": line.get("logged"), **changes})
            continue
        twin = by_run.get(line.get("run_id")) if kind == "import" else None
        if twin is not None and twin.get("sha256") == line.get("sha256"):
            continue  # the same bytes imported in two clones of the review, merged by git
        entry = dict(line)
        entries.append(entry)
        if kind == "import":
            by_run[entry.get("run_id")] = entry
    return [e for e in entries if removed or "removed" not in e]


def citation_caps_hit(log: list[dict[str, Any]]) -> list[str]:
    """One line per logged snowball round direction whose per-seed cap cut citing works (for
    `slr status`): the cap, and how many seeds it cut. Here, beside the search log it reads,
    so that `slr status` need not load the snowball package (and its HTTP client)."""
    out = []
    for e in log:
        if e.get("kind") == "citation" and e.get("caps"):
            out.append(
                f"snowball round {e.get('round')} {e.get('direction')}: cap of "
                f"{e.get('max_per_seed')} citing works per seed hit for "
                f"{len(e['caps'])} seed(s); see the search log"
            )
    return out
