"""One "standing after undo" rule: decisions, automatic exclusions and grey-zone answers."""

from __future__ import annotations

from slr.decisions import Decision, current, stacks, standing
from slr.dedupe.grey import history, load_answers, proposed_relations, record_answer


def _d(work: str, decision: str, stage: str = "title-abstract") -> Decision:
    return Decision("ana", stage, work, decision)


def test_interleaved_decide_undo_redo():
    log = [
        _d("w1", "include"),
        _d("w2", "exclude"),
        _d("w1", "exclude"),  # a change stands on top
        _d("w1", "undo"),  # back to include
        _d("w2", "undo"),
        _d("w2", "undo"),  # nothing left to withdraw: a no-op
        _d("w2", "maybe"),  # redo after undo
        _d("w3", "undo"),  # an undo before any decision withdraws nothing
        _d("w3", "include"),
    ]
    out = standing(log, lambda d: d.work_id, lambda d: d.decision == "undo")
    assert {w: [(i, d.decision) for i, d in s] for w, s in out.items()} == {
        "w1": [(0, "include")],
        "w2": [(6, "maybe")],
        "w3": [(8, "include")],
    }
    assert {w: d.decision for w, d in current(log, "title-abstract").items()} == {
        "w1": "include",
        "w2": "maybe",
        "w3": "include",
    }


def test_passed_over_entries_keep_their_positions():
    log = [_d("w1", "skip"), _d("w1", "include", "full-text"), _d("w1", "include")]
    assert [i for i, _ in stacks(log, "title-abstract", skips=False)["w1"]] == [2]
    assert [i for i, _ in stacks(log, "title-abstract")["w1"]] == [0, 2]


def test_grey_answers_follow_the_same_rule(tmp_path):
    path = tmp_path / "answers.jsonl"
    record_answer(path, "b", "a", "y")
    record_answer(path, "a", "c", "s", relation="erratum", study="c")
    record_answer(path, "a", "b", "undo")
    record_answer(path, "a", "b", "n")
    record_answer(path, "a", "c", "undo")
    record_answer(path, "a", "c", "undo")  # no-op
    record_answer(path, "c", "a", "s", relation="erratum", study="c")
    assert load_answers(path) == {("a", "b"): "n", ("a", "c"): "s"}
    assert proposed_relations(path) == {("a", "c"): ("erratum", "c")}
    assert [(a, b) for a, b, _, _ in history(path)] == [("a", "b"), ("a", "c")]
