"""Grey-zone pairs: a person decides; answers are stored append-only and re-applied each run.

`corpus/<id>/dedupe-answers.jsonl` holds one line per answer:
`{"time", "a", "b", "answer": "y" | "s" | "n" | "undo", "rule", "score"}` (a < b, record
ids): `y` one work, `s` two reports of one study (linked in studies.jsonl), `n` unrelated.
An answer to a proposed study link also names the `relation` (erratum, conference-abstract
...) and the `study` record (the main report): an `s` keeps that relation.
`undo` withdraws the latest answer on that pair. The file is flushed at every answer, so
quitting or a crash loses nothing.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slr.corpus import now_iso
from slr.decisions import standing
from slr.records import Record
from slr.review import Review
from slr.store import append_jsonl, read_entries
from slr.studies import RELATIONS

ANSWERS = ("y", "s", "n")


def answers_path(review: Review) -> Path:
    """Where a review's grey-zone answers live."""
    return review.store.answers_file


def pair_key(a: str, b: str) -> tuple[str, str]:
    """The order-free key of a pair of record ids."""
    return (a, b) if a <= b else (b, a)


def _answer_lines(path: Path) -> list[dict[str, Any]]:
    """The answer lines; one without a, b or answer is a StoreError naming file:line."""

    def check(line: dict[str, Any]) -> dict[str, Any]:
        missing = [k for k in ("a", "b", "answer") if not isinstance(line.get(k), str)]
        if missing:
            raise KeyError(missing[0])
        return line

    return read_entries(path, check, "de-duplication answer")


def _standing_answers(
    lines: list[dict[str, Any]],
) -> dict[tuple[str, str], list[tuple[int, dict[str, Any]]]]:
    """(id, id) -> the answer lines still standing (position in the file, line), oldest first."""

    def key(line: dict[str, Any]) -> tuple[str, str] | None:
        known = line["answer"] in ANSWERS or line["answer"] == "undo"
        return pair_key(line["a"], line["b"]) if known else None

    return standing(lines, key, lambda line: line["answer"] == "undo")


def load_answers(path: Path) -> dict[tuple[str, str], str]:
    """(id, id) -> `y`/`s`/`n`: the standing answer per pair after undos."""
    return {
        key: stack[-1][1]["answer"]
        for key, stack in _standing_answers(_answer_lines(path)).items()
        if stack
    }


def record_answer(
    path: Path,
    a: str,
    b: str,
    answer: str,
    rule: str = "",
    score: float = 0,
    relation: str = "",
    study: str = "",
) -> None:
    """Append one answer (`y`, `s`, `n` or `undo`) and fsync before returning."""
    x, y = pair_key(a, b)
    line: dict[str, object] = {"time": now_iso(), "a": x, "b": y, "answer": answer}
    if rule:
        line.update(rule=rule, score=round(score, 1))
    if relation and answer != "undo":
        line.update(relation=relation, study=study)
    append_jsonl(path, line)


def proposed_relations(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(id, id) -> (relation, study record id) for standing `s` answers to a proposed link."""
    stacks = {
        key: [line for _, line in stack]
        for key, stack in _standing_answers(_answer_lines(path)).items()
    }
    out = {}
    for key, stack in stacks.items():
        if stack and stack[-1]["answer"] == "s":
            relation, study = stack[-1].get("relation"), stack[-1].get("study")
            if relation in RELATIONS and study in key:
                out[key] = (str(relation), str(study))
    return out


@dataclass(frozen=True)
class Question:
    """One grey pair, or one proposed study link (`a` is a `relation` of `b`), to put to the
    reviewer."""

    a: Record
    b: Record
    rule: str
    score: float
    relation: str = ""  # set for a study-link question
    evidence: str = ""


_ROWS = (
    ("id", lambda r: r.id),
    ("title", lambda r: r.title),
    ("authors", lambda r: "; ".join(r.authors[:4]) + (" et al." if len(r.authors) > 4 else "")),
    ("year", lambda r: r.year),
    ("venue", lambda r: r.venue),
    ("volume", lambda r: " ".join(x for x in (r.volume, r.issue and f"({r.issue})") if x)),
    ("pages", lambda r: r.pages),
    ("doi", lambda r: r.doi),
    ("type", lambda r: r.type),
    ("abstract", lambda r: (r.abstract or "")[:240]),
)


def side_by_side(q: Question, width: int | None = None) -> str:
    """The two records in two columns; `*` marks fields that differ."""
    total = width or shutil.get_terminal_size((120, 24)).columns
    col = max(24, (total - 14) // 2)
    if q.relation:
        lines = [
            f"study link? {q.a.id} would be a report ({q.relation}) of the study of {q.b.id}",
            f"  evidence: {q.evidence} ({q.rule})",
        ]
    else:
        lines = [f"score {q.score:.1f} ({q.rule})"]
    for label, get in _ROWS:
        va, vb = get(q.a), get(q.b)
        if not va and not vb:
            continue
        mark = " " if str(va or "").casefold() == str(vb or "").casefold() else "*"
        left = textwrap.wrap(str(va or "-"), col) or ["-"]
        right = textwrap.wrap(str(vb or "-"), col) or ["-"]
        for k in range(max(len(left), len(right))):
            head = f"{mark} {label:<9}" if k == 0 else " " * 11
            la = left[k] if k < len(left) else ""
            rb = right[k] if k < len(right) else ""
            lines.append(f"{head} {la:<{col}} | {rb}")
    return "\n".join(lines)


def history(path: Path) -> list[tuple[str, str, str, float]]:
    """Pairs with a standing answer, the latest answered last: (a, b, rule, score)."""
    lines = _answer_lines(path)
    stacks = _standing_answers(lines)
    touched = {pair_key(line["a"], line["b"]): i for i, line in enumerate(lines)}
    order = sorted(touched, key=touched.__getitem__)  # the latest answered (or undone) last
    out = []
    for key in order:
        if stacks.get(key):
            last = stacks[key][-1][1]
            out.append((key[0], key[1], last.get("rule", ""), float(last.get("score", 0))))
    return out


def previous_questions(path: Path, by_id: dict[str, Record]) -> list[Question]:
    """The answered pairs (latest last) as questions, for `u` to ask again; a proposed study
    link keeps its relation, with the main report second."""
    proposed = {
        pair_key(line["a"], line["b"]): (line.get("relation", ""), line.get("study", ""))
        for line in _answer_lines(path)
        if line["answer"] != "undo"
    }
    out = []
    for a, b, rule, score in history(path):
        if a not in by_id or b not in by_id:
            continue
        relation, study = proposed.get((a, b), ("", ""))
        if relation not in RELATIONS:
            relation = ""
        if relation and study == a:
            a, b = b, a
        out.append(Question(by_id[a], by_id[b], rule, score, relation, "answered before"))
    return out


def review_loop(
    questions: Sequence[Question],
    path: Path,
    ask: Callable[[str], str],
    show: Callable[[str], None],
    previous: Sequence[Question] = (),
) -> dict[str, int]:
    """Ask each question; `y` same work, `s` same study (another report), `n` unrelated,
    `u` undo the last answer, `q` quit.

    Each answer is appended to `path` at once; `ask` returns `q` at end of input. `u`
    first undoes this session's answers, then those of earlier sessions (`previous`,
    latest last), and asks that pair again. Returns counts of y, s, n, undo.
    """
    counts = {"y": 0, "s": 0, "n": 0, "undo": 0}
    queue = list(questions)
    earlier = list(previous)
    done: list[Question] = []
    k = 0
    while True:
        if k < len(queue):
            q: Question | None = queue[k]
            show(f"\n[{k + 1}/{len(queue)}] " + side_by_side(queue[k]))
            other = f"same study, {queue[k].relation}" if queue[k].relation else "same study"
            key = ask(f"Same work? [y]es [s] {other} [n]o, unrelated [u]ndo [q]uit: ")
        elif done or earlier:  # nothing left to ask, but an answer can still be undone
            q = None
            key = ask("No more pairs. [u]ndo the last answer or [q]uit: ")
        else:
            break
        key = key.strip().lower()[:1]
        if key in ANSWERS and q is not None:
            record_answer(path, q.a.id, q.b.id, key, q.rule, q.score, q.relation, q.b.id)
            counts[key] += 1
            done.append(q)
            k += 1
        elif key == "u":
            if done:
                prev = done.pop()
                k -= 1
            elif earlier:
                prev = earlier.pop()
                queue.insert(k, prev)
            else:
                show("nothing to undo")
                continue
            record_answer(path, prev.a.id, prev.b.id, "undo")
            counts["undo"] += 1
            show(f"undone: {prev.a.id} / {prev.b.id}")
        elif key == "q":
            break
        else:
            show("press y, s, n, u or q")
    return counts
