"""Screening decision logs: one append-only JSONL file per reviewer.

A line: {time, reviewer, stage, work_id, decision, criteria, note, protocol_hash, ...}.
`decision` is one of DECISIONS; a changed decision is a new line (the latest counts) and
`undo` withdraws the reviewer's latest decision on that work at that stage. History is never
rewritten. Extra keys (e.g. the ranking model of issue 8) are allowed and kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from slr.corpus import now_iso
from slr.review import Review
from slr.store import append_jsonl, field_of, read_entries

STAGES = ("title-abstract", "full-text")
DECISIONS = ("include", "exclude", "maybe", "skip", "not-retrieved", "undo")
AUTO_REVIEWER = "auto"  # the reviewer name of `slr screen --auto`


@dataclass(frozen=True)
class Decision:
    reviewer: str
    stage: str
    work_id: str
    decision: str
    criteria: tuple[str, ...] = ()
    note: str = ""
    protocol_hash: str = ""
    time: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "time": self.time or now_iso(),
            "reviewer": self.reviewer,
            "stage": self.stage,
            "work_id": self.work_id,
            "decision": self.decision,
            "criteria": list(self.criteria),
            "note": self.note,
            "protocol_hash": self.protocol_hash,
        }
        data.update(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        known = {
            "time",
            "reviewer",
            "stage",
            "work_id",
            "decision",
            "criteria",
            "note",
            "protocol_hash",
        }
        return cls(
            reviewer=field_of(data, "reviewer", str),
            stage=field_of(data, "stage", str, choices=STAGES),
            work_id=field_of(data, "work_id", str),
            decision=field_of(data, "decision", str, choices=DECISIONS),
            criteria=field_of(data, "criteria", list, ()),
            note=field_of(data, "note", str, ""),
            protocol_hash=field_of(data, "protocol_hash", str, ""),
            time=field_of(data, "time", str, ""),
            extra={k: v for k, v in data.items() if k not in known},
        )


def record_decision(review: Review, decision: Decision) -> Decision:
    """Append a decision to its reviewer's log and fsync before returning."""
    stamped = Decision(
        **{
            **decision.__dict__,
            "time": decision.time or now_iso(),
            "protocol_hash": decision.protocol_hash or review.protocol.hash,
        }
    )
    review.store.ensure()
    append_jsonl(review.store.decisions_file(decision.reviewer), stamped.to_dict())
    return stamped


def read_log(review: Review, reviewer: str) -> list[Decision]:
    """One reviewer's whole log, oldest first."""
    return read_entries(review.store.decisions_file(reviewer), Decision.from_dict, "decision")


def reviewers(review: Review) -> list[str]:
    """Reviewers with a decision log, the automatic one included."""
    folder = review.store.root / "decisions"
    return sorted(p.stem for p in folder.glob("*.jsonl")) if folder.is_dir() else []


def current(log: list[Decision], stage: str) -> dict[str, Decision]:
    """work id -> the reviewer's standing decision at a stage (after undos and changes)."""
    return {wid: stack[-1][1] for wid, stack in stacks(log, stage).items() if stack}


def stacks(
    log: Iterable[Decision], stage: str, skips: bool = True
) -> dict[str, list[tuple[int, Decision]]]:
    """work id -> (position in the log, decision) still standing at a stage, oldest first.

    An `undo` pops the latest; `skips=False` leaves skips out, as the counts do.
    """
    out: dict[str, list[tuple[int, Decision]]] = {}
    for i, d in enumerate(log):
        if d.stage != stage or (d.decision == "skip" and not skips):
            continue
        stack = out.setdefault(d.work_id, [])
        if d.decision == "undo":
            if stack:
                stack.pop()
        else:
            stack.append((i, d))
    return out
