"""Quality answers on disk: `quality/<coder>.jsonl`, one line per answer, the latest counts.

A line: {time, coder, work_id, question, answer, note, protocol_hash, ...}. Answers where
two coders differ are settled in `quality-consensus.jsonl` (same shape, coder = who settled
it). Each append is fsynced before the next question is asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slr.corpus import now_iso
from slr.errors import SlrError
from slr.protocol import Quality
from slr.review import Review
from slr.store import append_jsonl, field_of

_KNOWN = {"time", "coder", "work_id", "question", "answer", "note", "protocol_hash"}


@dataclass(frozen=True)
class Answer:
    """One coder's answer to one checklist question for one study."""

    coder: str
    work_id: str
    question: str
    answer: str
    note: str = ""
    protocol_hash: str = ""
    time: str = ""
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time or now_iso(),
            "coder": self.coder,
            "work_id": self.work_id,
            "question": self.question,
            "answer": self.answer,
            "note": self.note,
            "protocol_hash": self.protocol_hash,
            **self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        return cls(
            coder=field_of(data, "coder", str),
            work_id=field_of(data, "work_id", str),
            question=field_of(data, "question", str),
            answer=field_of(data, "answer", str),
            note=field_of(data, "note", str, ""),
            protocol_hash=field_of(data, "protocol_hash", str, ""),
            time=field_of(data, "time", str, ""),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
        )


Answers = dict[tuple[str, str], Answer]  # (work id, question id) -> standing answer


def checklist(review: Review) -> Quality:
    """The protocol's checklist, or an error saying how to declare one."""
    from slr.protocol import error_at

    if review.protocol.quality is None:
        raise error_at(
            review.protocol,
            "quality",
            "no quality checklist; add a [quality] table with [[quality.questions]] "
            '(id = "QA1", text = "...") to assess the included studies',
        )
    return review.protocol.quality


def record(review: Review, answers: list[Answer], consensus: bool = False) -> None:
    """Append answers (one coder each, or settled ones) and fsync before returning."""
    if not answers:
        return
    review.store.ensure()
    now = now_iso()
    stamped = [
        Answer(
            a.coder,
            a.work_id,
            a.question,
            a.answer,
            a.note,
            a.protocol_hash or review.protocol.hash,
            a.time or now,
            a.extra,
        )
        for a in answers
    ]
    if consensus:
        append_jsonl(review.store.quality_consensus_file, *(a.to_dict() for a in stamped))
        return
    by_coder: dict[str, list[Answer]] = {}
    for a in stamped:
        by_coder.setdefault(a.coder, []).append(a)
    for coder, items in by_coder.items():
        append_jsonl(review.store.quality_file(coder), *(a.to_dict() for a in items))


def read(review: Review, coder: str) -> Answers:
    """A coder's standing answers (the last line per study and question wins)."""
    path = review.store.quality_file(coder)
    return _latest(review.entries(path, Answer.from_dict, "quality answer"))


def read_consensus(review: Review) -> Answers:
    """Answers settled by `slr quality --reconcile`."""
    path = review.store.quality_consensus_file
    return _latest(review.entries(path, Answer.from_dict, "quality answer"))


def _latest(log: list[Answer]) -> Answers:
    return {(a.work_id, a.question): a for a in log}


def coders(review: Review) -> list[str]:
    """Coders with a quality log."""
    folder = review.store.quality_dir
    return sorted(p.stem for p in folder.glob("*.jsonl")) if folder.is_dir() else []


def answer_keys(quality: Quality) -> dict[str, str]:
    """key -> answer name: y/p/n for the defaults; each other answer its first free letter.

    `q` (quit) and `?` are never answer keys; the full answer name is always accepted too.
    """
    keys: dict[str, str] = {}
    for name, _ in quality.answers:
        for ch in name + "abcdefghijklmnoprstuvwxyz0123456789":
            if ch not in keys and ch not in ("q", "?"):
                keys[ch] = name
                break
    return keys


def parse_answer(quality: Quality, text: str) -> str | None:
    """The answer a key or name stands for (any case); None when it is neither."""
    value = text.strip().lower()
    if value in quality.scores:
        return value
    return answer_keys(quality).get(value)


def answer_help(quality: Quality) -> str:
    """`y = yes (1) · p = partly (0.5) · n = no (0)`."""
    by_name = {name: key for key, name in answer_keys(quality).items()}
    return " · ".join(f"{by_name[n]} = {n} ({s:g})" for n, s in quality.answers)


def check_answer(quality: Quality, answer: Answer, where: str) -> None:
    """A logged answer the protocol no longer has is an error naming the line's file."""
    if answer.answer not in quality.scores:
        raise SlrError(
            f"{where}: answer {answer.answer!r} to {answer.question} for {answer.work_id} is "
            f"not in [quality.answers] ({', '.join(quality.scores)}); add it to the protocol"
        )
