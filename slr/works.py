"""De-duplicated works: the unit that is screened, coded and counted.

`works.jsonl` is written (atomically, whole) by `slr dedupe`. A work's id is the record id
of the earliest-added record of its cluster, so it is stable across runs and every
decision keyed by a work id can always be traced to a record; `resolve_work_id` maps an
old id to the work that holds that record now (after clusters merged). works.jsonl is derived:
when a git merge of two clones leaves it stale, the next command rebuilds it (`refresh`).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from slr.corpus import removed_record_ids
from slr.records import Record
from slr.review import Review, file_sha256
from slr.store import DEDUPE_STATE_FILE, field_of, write_atomic, write_jsonl_atomic

DEDUPE_STATE = DEDUPE_STATE_FILE  # written by slr.dedupe.incremental, with a fingerprint


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


class RebuiltWarning(UserWarning):
    """A derived file was stale or damaged (e.g. after a git merge) and has been rebuilt."""


def read_works(review: Review) -> list[Work]:
    """works.jsonl as stored (not checked for staleness: what `slr dedupe` starts from),
    without the records of removed imports (`slr import --remove`); a work left with none
    is gone too."""
    works = review.entries(review.store.works_file, Work.from_dict, "work")
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


def load_works(review: Review) -> list[Work]:
    """The works of the last `slr dedupe`, in order of their first record.

    If a git merge left works.jsonl stale (see `stale_reason`), it is rebuilt first, with a
    one-line warning, so no command counts the works of one side only or twice.
    """
    if stale_reason(review):
        return refresh(review)
    return read_works(review)


def refresh(review: Review) -> list[Work]:
    """Rebuild works.jsonl (a full `slr dedupe`) if it is stale; the works either way."""
    why = stale_reason(review)
    if not why:
        return read_works(review)
    from slr.dedupe.incremental import update  # late: the engine is heavy and imports this

    warnings.warn(
        f"{review.store.works_file}: {why}; rebuilt from records.jsonl (a full `slr dedupe`)",
        RebuiltWarning,
        stacklevel=2,
    )
    return update(review, full=True).works


def fingerprint_file(path: Path) -> str:
    """sha256 of a file's bytes ("" if it does not exist)."""
    return file_sha256(path)


def stale_reason(review: Review) -> str:
    """Why works.jsonl no longer is what the last `slr dedupe` wrote ("" if it is).

    `slr dedupe` stores the file's sha256 in dedupe-state.json; a merge of two clones that
    both ran it leaves other bytes in works.jsonl (both sides' lines) and a state file that
    is no longer one JSON object. A state written by an older slr has no fingerprint and is
    trusted.
    """
    works_file = review.store.works_file
    state_file = review.store.dedupe_state_file
    if not works_file.exists() or not state_file.exists():
        return ""
    try:
        state = review.cached(state_file, "json", lambda: json.loads(state_file.read_text("utf-8")))
    except (OSError, UnicodeDecodeError, ValueError):
        return f"{DEDUPE_STATE} is damaged (two versions merged by git?)"
    expected = state.get("works_sha256") if isinstance(state, dict) else None
    if not isinstance(expected, str):
        return "" if isinstance(state, dict) else f"{DEDUPE_STATE} is damaged"
    if expected != review.sha256(works_file):
        return "changed since the last `slr dedupe` (a git merge?)"
    return ""


def save_works(review: Review, works: list[Work]) -> str:
    """Replace works.jsonl atomically (unless unchanged) and record its fingerprint in
    dedupe-state.json, whoever writes it (`slr dedupe`, `slr import --remove`)."""
    review.store.ensure()
    write_jsonl_atomic(review.store.works_file, (w.to_dict() for w in works))
    sha = fingerprint_file(review.store.works_file)
    path = review.store.dedupe_state_file
    try:
        state = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        state = {}
    state = state if isinstance(state, dict) else {}
    if state.get("works_sha256") != sha:
        state["works_sha256"] = sha
        write_atomic(path, json.dumps(state, indent=1) + "\n")
    return sha


def record_index(works: list[Work]) -> dict[str, str]:
    """record id -> work id; a work's own id maps to it even when its first record left."""
    index = {rid: w.work_id for w in works for rid in w.record_ids}
    for w in works:
        index.setdefault(w.work_id, w.work_id)
    return index


def resolve_work_id(work_id: str, index: dict[str, str]) -> str | None:
    """The current work holding the record an (older) work id names; None if unknown."""
    return index.get(work_id)
