"""De-duplicated works: the unit that is screened, coded and counted.

`works.jsonl` is written (atomically, whole) by `slr dedupe`. A work's id is the record id
of the earliest-added record of its cluster, so it is stable across runs and every
decision keyed by a work id can always be traced to a record; `resolve_work_id` maps an
old id to the work that holds that record now (after clusters merged).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from slr.corpus import removed_record_ids
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
    """The works of the last `slr dedupe`, in order of their first record, without the records
    of removed imports (`slr import --remove`); a work left with none is gone too."""
    works = read_entries(review.store.works_file, Work.from_dict, "work")
    gone = removed_record_ids(review) if works else set()
    if not gone:
        return works
    out = []
    for w in works:
        ids = tuple(rid for rid in w.record_ids if rid not in gone)
        if len(ids) == len(w.record_ids):
            out.append(w)
        elif ids:  # the work id stays, so decisions keyed by it still find the work
            rules = {rid: why for rid, why in w.rules.items() if rid in ids}
            sources = tuple(s for s in w.sources if any(r.startswith(f"{s}:") for r in ids))
            out.append(replace(w, record_ids=ids, rules=rules, sources=sources or w.sources))
    return out


def save_works(review: Review, works: list[Work]) -> None:
    """Replace works.jsonl atomically."""
    review.store.ensure()
    write_jsonl_atomic(review.store.works_file, (w.to_dict() for w in works))


def record_index(works: list[Work]) -> dict[str, str]:
    """record id -> work id; a work's own id maps to it even when its first record left."""
    index = {rid: w.work_id for w in works for rid in w.record_ids}
    for w in works:
        index.setdefault(w.work_id, w.work_id)
    return index


def resolve_work_id(work_id: str, index: dict[str, str]) -> str | None:
    """The current work holding the record an (older) work id names; None if unknown."""
    return index.get(work_id)
