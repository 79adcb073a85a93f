"""Adding records and search-log entries to a review: the one way every source and import writes.

Records are keyed by `<source>:<source_id>`; adding a record whose id is already stored is
a no-op, so re-running an import or resuming a search never duplicates anything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from slr.records import Record
from slr.review import Review
from slr.store import append_jsonl, read_entries, read_jsonl

_FIXED: list[str] = []  # the clock of a replay (see fixed_clock)


def now_iso() -> str:
    """The current UTC time, to the second, ISO 8601 with `Z` (a replay's time inside fixed_clock)."""
    if _FIXED:
        return _FIXED[-1]
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@contextlib.contextmanager
def fixed_clock(iso: str) -> Iterator[None]:
    """Within the block every time slr logs is `iso`: `make demo` replays a review to the byte."""
    _FIXED.append(iso)
    try:
        yield
    finally:
        _FIXED.pop()


def load_records(review: Review) -> list[Record]:
    """Every stored record, in the order it was added."""
    return read_entries(review.store.records_file, Record.from_dict, "record")


def add_records(review: Review, records: Iterable[Record], known: set[str] | None = None) -> int:
    """Append the records not stored yet (by id); returns how many were added.

    `known` may pass the set of stored ids to avoid re-reading records.jsonl; it is updated.
    """
    review.store.ensure()
    ids = known if known is not None else review.store.record_ids()
    fresh = []
    for rec in records:
        if rec.id not in ids:
            ids.add(rec.id)
            fresh.append(rec.to_dict())
    if fresh:
        append_jsonl(review.store.records_file, *fresh)
    return len(fresh)


def log_search(review: Review, entry: dict[str, Any]) -> None:
    """Append one PRISMA-S search-log entry.

    Fields: run_id, kind ("search" | "import" | "citation"), source, database, interface,
    query (exactly as sent or typed), filters, date (YYYY-MM-DD), started, finished,
    reported_total, fetched, kept, caps, status, notes; imports add file and sha256,
    citation searching adds round and direction. Never an API key.
    """
    review.store.ensure()
    append_jsonl(review.store.searchlog_file, {"logged": now_iso(), **entry})


def search_log(review: Review) -> list[dict[str, Any]]:
    """Every search-log entry, oldest first."""
    return list(read_jsonl(review.store.searchlog_file))
