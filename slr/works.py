"""De-duplicated works: the unit that is screened, coded and counted.

`works.jsonl` is written (atomically, whole) by `slr dedupe`. A work's id is the record id
of the earliest-added record of its cluster, so it is stable across runs and every
decision keyed by a work id can always be traced to a record; `resolve_work_id` maps an
old id to the work that holds that record now (after clusters merged).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slr.records import Record
from slr.review import Review
from slr.store import field_of, read_entries, write_jsonl_atomic


@dataclass(frozen=True)
class Work:
    """One study: its source records, the sources that found it, a merged canonical record."""

    work_id: str
    record_ids: tuple[str, ...]
    sources: tuple[str, ...]
    canonical: Record
    rules: dict[str, str] = field(default_factory=dict, hash=False)  # record id -> why linked

    def to_dict(self) -> dict[str, Any]:
        return {
            "work_id": self.work_id,
            "record_ids": list(self.record_ids),
            "sources": list(self.sources),
            "rules": self.rules,
            "canonical": self.canonical.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Work:
        return cls(
            work_id=field_of(data, "work_id", str),
            record_ids=field_of(data, "record_ids", list),
            sources=field_of(data, "sources", list, ()),
            canonical=Record.from_dict(field_of(data, "canonical", dict)),
            rules=dict(field_of(data, "rules", dict, {})),
        )


def load_works(review: Review) -> list[Work]:
    """The works of the last `slr dedupe`, in order of their first record."""
    return read_entries(review.store.works_file, Work.from_dict, "work")


def save_works(review: Review, works: list[Work]) -> None:
    """Replace works.jsonl atomically."""
    review.store.ensure()
    write_jsonl_atomic(review.store.works_file, (w.to_dict() for w in works))


def record_index(works: list[Work]) -> dict[str, str]:
    """record id -> work id."""
    return {rid: w.work_id for w in works for rid in w.record_ids}


def resolve_work_id(work_id: str, index: dict[str, str]) -> str | None:
    """The current work holding the record an (older) work id names; None if unknown."""
    return index.get(work_id)
