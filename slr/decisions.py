"""Screening decision logs: one append-only JSONL file per reviewer.

A line: {time, reviewer, stage, work_id, decision, criteria, note, protocol_hash, ...}.
`decision` is one of DECISIONS; a changed decision is a new line (the latest counts) and
`undo` withdraws the reviewer's latest decision on that work at that stage. History is never
rewritten. Extra keys (e.g. the ranking model of issue 8) are allowed and kept.

A note is a line of its own, {time, kind: "note", reviewer, stage, work_id, note,
protocol_hash}, written the moment the reviewer enters it. It has no `decision`: `read_log`
leaves it out (so no count, state or agreement can take it for a decision) and `read_notes`
reads it. Notes are never withdrawn: an undo or a changed decision keeps them.

Reviewer names are compared case-insensitively (`log_name`), so a case-insensitive disk never
mixes two logs and `Alice` never starts a second log beside `alice`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slr.corpus import now_iso
from slr.errors import SlrError
from slr.review import Review
from slr.store import append_jsonl, field_of

STAGES = ("title-abstract", "full-text")
DECISIONS = ("include", "exclude", "maybe", "skip", "not-retrieved", "undo")
AUTO_REVIEWER = "auto"  # the reviewer name of `slr screen --auto`
NOTE = "note"  # the `kind` of a note line

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


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


@dataclass(frozen=True)
class Note:
    """A reviewer's note on a work at a stage: a line of its own, never a decision."""

    reviewer: str
    stage: str
    work_id: str
    text: str
    protocol_hash: str = ""
    time: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time or now_iso(),
            "kind": NOTE,
            "reviewer": self.reviewer,
            "stage": self.stage,
            "work_id": self.work_id,
            "note": self.text,
            "protocol_hash": self.protocol_hash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Note:
        return cls(
            reviewer=field_of(data, "reviewer", str),
            stage=field_of(data, "stage", str, choices=STAGES),
            work_id=field_of(data, "work_id", str),
            text=field_of(data, "note", str),
            protocol_hash=field_of(data, "protocol_hash", str, ""),
            time=field_of(data, "time", str, ""),
        )


def _entry(data: dict[str, Any]) -> Decision | Note:
    return Note.from_dict(data) if data.get("kind") == NOTE else Decision.from_dict(data)


def record_note(review: Review, note: Note) -> Note:
    """Append a note to its reviewer's log and fsync before returning."""
    stamped = Note(
        **{
            **note.__dict__,
            "time": note.time or now_iso(),
            "protocol_hash": note.protocol_hash or review.protocol.hash,
        }
    )
    review.store.ensure()
    append_jsonl(review.store.decisions_file(note.reviewer), stamped.to_dict())
    return stamped


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


def read_log_and_notes(review: Review, reviewer: str) -> tuple[list[Decision], list[Note]]:
    """One reviewer's decisions and notes, each oldest first, from one read of the log."""
    decisions: list[Decision] = []
    notes: list[Note] = []
    path = review.store.decisions_file(reviewer)
    for entry in review.entries(path, _entry, "decision"):
        if isinstance(entry, Note):
            notes.append(entry)
        else:
            decisions.append(entry)
    return decisions, notes


def read_log(review: Review, reviewer: str) -> list[Decision]:
    """One reviewer's decisions, oldest first (their notes left out: a note is no decision)."""
    return read_log_and_notes(review, reviewer)[0]


def read_notes(review: Review, reviewer: str) -> list[Note]:
    """One reviewer's notes, oldest first."""
    return read_log_and_notes(review, reviewer)[1]


def log_names(review: Review) -> list[str]:
    """The names of every decision log (the automatic and resolution logs included)."""
    folder = review.store.decisions_dir
    return sorted(p.stem for p in folder.glob("*.jsonl")) if folder.is_dir() else []


def reviewers(review: Review) -> list[str]:
    """Reviewers whose log holds at least one decision, the automatic one included.

    A log with only notes in it does not make its author a screener.
    """
    return [name for name in log_names(review) if read_log(review, name)]


def same_name(a: str, b: str) -> bool:
    """Two reviewer or coder names that are one person (and one file on a case-insensitive disk)."""
    return a.strip().casefold() == b.strip().casefold()


def default_log_name(existing: list[str], listed: tuple[str, ...], what: str, option: str) -> str:
    """The log to use when no name is given: the only existing one, else the protocol's first
    reviewer; several existing logs (or none and no reviewers) need the name."""
    if len(existing) == 1:
        return existing[0]
    if not existing and listed:
        return listed[0]
    if existing:
        raise SlrError(f"several {what}s ({', '.join(existing)}); choose one with {option} NAME")
    raise SlrError(f"no {what} name: pass {option} NAME (or list reviewers in the protocol)")


def log_name(
    name: str, listed: Iterable[str], existing: Iterable[str], what: str, option: str
) -> str:
    """The name to use for `name`: a listed one (case-insensitive), else an existing log's.

    With names listed (the protocol's reviewers) an unknown name is an error that lists
    them; without, a name matching an existing log but for case is that log's name, so two
    logs never differ only by case.
    """
    name = name.strip()
    listed, existing = list(listed), list(existing)
    if listed:
        for known in listed:
            if same_name(known, name):
                return known
        raise SlrError(
            f"unknown {what} {name!r}: the protocol lists {', '.join(listed)}; "
            f"pass one of them with {option} (or add {name!r} to the protocol's reviewers)"
        )
    exact = [e for e in existing if e == name]
    if exact:
        return name
    for known in existing:
        if same_name(known, name):
            return known
    return name


def current(log: list[Decision], stage: str) -> dict[str, Decision]:
    """work id -> the reviewer's standing decision at a stage (after undos and changes)."""
    return {wid: stack[-1][1] for wid, stack in stacks(log, stage).items() if stack}


def standing(
    entries: Iterable[T], key: Callable[[T], K | None], is_undo: Callable[[T], bool]
) -> dict[K, list[tuple[int, T]]]:
    """key -> (position, entry) still standing, oldest first: the one rule for undo lines.

    An undo withdraws the latest standing entry on its key (an undo with nothing standing
    is a no-op); any other entry stands on top. An entry whose key is None is passed over
    but still counts in the positions. Screening decisions, automatic exclusions and
    de-duplication answers are all replayed by it.
    """
    out: dict[K, list[tuple[int, T]]] = {}
    for i, entry in enumerate(entries):
        k = key(entry)
        if k is None:
            continue
        stack = out.setdefault(k, [])
        if is_undo(entry):
            if stack:
                stack.pop()
        else:
            stack.append((i, entry))
    return out


def stacks(
    log: Iterable[Decision], stage: str, skips: bool = True
) -> dict[str, list[tuple[int, Decision]]]:
    """work id -> (position in the log, decision) still standing at a stage, oldest first.

    An `undo` pops the latest; `skips=False` leaves skips out, as the counts do.
    """

    def key(d: Decision) -> str | None:
        if d.stage != stage or (d.decision == "skip" and not skips):
            return None
        return d.work_id

    return standing(log, key, lambda d: d.decision == "undo")
