"""Extraction logs: `extraction/<coder>.jsonl`, one append-only log per coder, fsynced per value.

A line: {time, coder, work_id, field, value, evidence, page, protocol_hash[, via]}. `value`
is the typed value (slr.extraction.form) or null for "not reported". A changed value is a
new line and the latest counts, so nothing typed is ever rewritten. The `consensus` log
holds the values agreed by `slr extract --reconcile`; it is not a coder.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slr.corpus import now_iso
from slr.decisions import default_log_name, log_name
from slr.errors import SlrError
from slr.review import Review
from slr.store import append_jsonl, field_of, read_entries

if TYPE_CHECKING:
    from slr.protocol import Field
    from slr.works import Work

CONSENSUS = "consensus"


@dataclass(slots=True)
class Value:
    """One coder's value of one field for one study, with its evidence (never changed: a
    changed value is a new Value; not frozen only because frozen ones build 3x slower)."""

    coder: str
    work_id: str
    field: str
    value: Any
    evidence: str = ""
    page: str = ""
    protocol_hash: str = ""
    time: str = ""
    extra: dict[str, Any] | None = dataclasses.field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "time": self.time or now_iso(),
            "coder": self.coder,
            "work_id": self.work_id,
            "field": self.field,
            "value": self.value,
            "evidence": self.evidence,
            "page": self.page,
            "protocol_hash": self.protocol_hash,
        }
        data.update(self.extra or {})
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Value:
        if "value" not in data:
            raise KeyError("value")
        page = data.get("page", "")
        if not isinstance(page, (str, int)) or isinstance(page, bool):
            raise TypeError(f"field 'page' must be a string or number, got {page!r}")
        return cls(
            coder=field_of(data, "coder", str),
            work_id=field_of(data, "work_id", str),
            field=field_of(data, "field", str),
            value=data["value"],
            evidence=field_of(data, "evidence", str, ""),
            page=str(page),
            protocol_hash=field_of(data, "protocol_hash", str, ""),
            time=field_of(data, "time", str, ""),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
        )


_KNOWN = {"time", "coder", "work_id", "field", "value", "evidence", "page", "protocol_hash"}
Values = dict[tuple[str, str], Value]  # (work id, field id) -> the standing value


def log_file(review: Review, coder: str) -> Path:
    return review.store.extraction_dir / f"{_file_name(review, coder)}.jsonl"


def _file_name(review: Review, coder: str) -> str:
    return review.store.coding_file(coder).stem  # the same safe-name rule as coding logs


def record_values(review: Review, values: list[Value]) -> None:
    """Append values (stamped with time and protocol hash), one fsynced write per coder."""
    if not values:
        return
    review.store.ensure()
    now = now_iso()
    by_coder: dict[str, list[dict[str, Any]]] = {}
    for v in values:
        data = {
            "time": v.time or now,
            "coder": v.coder,
            "work_id": v.work_id,
            "field": v.field,
            "value": v.value,
            "evidence": v.evidence,
            "page": v.page,
            "protocol_hash": v.protocol_hash or review.protocol.hash,
            **(v.extra or {}),
        }
        by_coder.setdefault(v.coder, []).append(data)
    for coder, items in by_coder.items():
        append_jsonl(log_file(review, coder), *items)


def read_values(review: Review, coder: str) -> list[Value]:
    """One coder's (or the consensus) whole log, oldest first."""
    path = log_file(review, coder)
    return list(review.cached(path, "extracted value", lambda: _load(path)))


def _load(path: Path) -> tuple[Value, ...]:
    """The whole log parsed as one JSON array (fast); any oddity falls back to the line reader,
    which names the bad line (`file:line: ...`) or warns about a torn last line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ()
    try:
        objs = json.loads(b"[" + b",".join(x for x in raw.split(b"\n") if x.strip()) + b"]")
        return tuple(_quick(o) for o in objs)
    except (ValueError, KeyError, TypeError, AttributeError):
        return tuple(read_entries(path, Value.from_dict, "extracted value"))


def _quick(o: dict[str, Any]) -> Value:
    """A well-formed line as a Value; TypeError for anything `Value.from_dict` would judge."""
    v = Value(
        o["coder"],
        o["work_id"],
        o["field"],
        o["value"],
        o.get("evidence", ""),
        o.get("page", ""),
        o.get("protocol_hash", ""),
        o.get("time", ""),
    )
    str_ = str
    if not (
        type(v.coder) is type(v.work_id) is type(v.field) is type(v.evidence) is str_
        and type(v.page) is type(v.protocol_hash) is type(v.time) is str_
    ):
        raise TypeError(o)
    if len(o) > len(_KNOWN) or "value" not in o:
        v.extra = {k: x for k, x in o.items() if k not in _KNOWN}
    return v


def latest(log: list[Value]) -> Values:
    """(work id, field id) -> the standing value (the last line wins)."""
    return {(v.work_id, v.field): v for v in log}


def coders(review: Review) -> list[str]:
    """Coders with an extraction log (the consensus log is not a coder)."""
    folder = review.store.extraction_dir
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.jsonl") if p.stem != CONSENSUS)


def resolve_coder(review: Review, name: str) -> str:
    """The log name of a coder, by the rules of `slr code` (protocol reviewers, any case)."""
    if name.strip().casefold() == CONSENSUS:
        raise SlrError(f"{name!r} is the reconciled log, not a coder; pass a reviewer's name")
    review.store.coding_file(name)  # rejects names that cannot be a file name
    return log_name(name, review.protocol.reviewers, coders(review), "coder", "--coder")


def default_coder(review: Review) -> str:
    """The only coder so far, else the protocol's first reviewer."""
    return default_log_name(coders(review), review.protocol.reviewers, "coder", "--coder")


def fields_of(review: Review) -> tuple[Field, ...]:
    """The protocol's extraction fields; an error naming the fix when there are none."""
    found = review.protocol.extraction
    if not found:
        raise SlrError(
            f"{review.protocol.path}: no [[extraction]] fields; add them to the protocol "
            '(id, label, type = "number" | "integer" | "category" | "text" | "boolean" | "date")'
        )
    return found


def first_open(works: list[Work], fields: tuple[Field, ...], current: Values) -> int:
    """Index of the first study with a field this coder has not entered; len(works) if none."""
    for i, w in enumerate(works):
        if any((w.work_id, f.id) not in current for f in fields):
            return i
    return len(works)
