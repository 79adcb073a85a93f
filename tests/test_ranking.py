"""The ranking model on a small constructed set.

Background rankings are awaited with the ranker's public `wait()`, never with sleeps.
"""

import os
import signal

import pytest

from slr.records import Record
from slr.screen.ranking import Ranker, RemoteRanker, WorkRanker
from slr.works import Work

TEXTS = [
    "MLOps challenges in production machine learning",  # 0 relevant
    "soil earthworms in forests",  # 1 irrelevant
    "machine learning operations challenges deployment",  # 2
    "forest soil fauna survey",  # 3
    "MLOps pipelines monitoring in production",  # 4
    "earthworm abundance temperate soil",  # 5
]


def works_of(texts=TEXTS, prefix="s"):
    return [
        Work(f"{prefix}:{i}", (f"{prefix}:{i}",), ("s",), Record(prefix, str(i), title=t))
        for i, t in enumerate(texts)
    ]


class D:
    """A decision as the ranker reads it."""

    def __init__(self, decision):
        self.decision = decision


WAIT = 600  # seconds: only a guard against a hang, never a timing assumption


@pytest.fixture
def no_throttle(monkeypatch):
    monkeypatch.setattr(WorkRanker, "RERANK_EVERY", 0.0)  # every call may start a re-ranking


def settle(ranker):
    """Wait on the ranker's public event: the ranking under way has finished."""
    assert ranker.wait(WAIT), "the background ranking did not finish"


def test_ranker_orders_the_pool_by_relevance():
    order = Ranker(TEXTS, seed=0).order([0, 1], [1, 0], [2, 3, 4, 5])
    assert set(order[:2]) == {2, 4} and set(order[2:]) == {3, 5}


def test_without_both_labels_the_order_is_kept():
    assert Ranker(TEXTS).order([0], [1], [5, 3, 2]) == [5, 3, 2]


def test_work_ranker_uses_known_relevant_studies_and_reports_the_model():
    works = [
        Work(f"s:{i}", (f"s:{i}",), ("s",), Record("s", str(i), title=t, doi=f"10.1000/{i}"))
        for i, t in enumerate(TEXTS)
    ]
    ranker = WorkRanker(known_relevant=["10.1000/0"], seed=1)
    ordered = ranker(works, {"s:1": D("exclude")})
    assert ordered[0].work_id == "s:1"  # decided works first
    assert {w.work_id for w in ordered[1:3]} == {"s:0", "s:2"} or ordered[1].work_id in {
        "s:0",
        "s:2",
        "s:4",
    }
    info = ranker.decision_extra()["ranking"]
    assert info["training"] == {"relevant": 1, "irrelevant": 1}
    assert info["model"] == "tfidf-binary+sublinear-linearsvm-z"


def test_background_ranking_never_blocks_and_catches_up(no_throttle):
    works = works_of()

    ranker = WorkRanker(seed=0, background=True)
    first = ranker(works, {"s:0": D("include"), "s:1": D("exclude")})
    # no wait: the ranking runs in a thread (on this tiny set it may already be done)
    assert [w.work_id for w in first[:2]] == ["s:0", "s:1"] and len(first) == 6
    settle(ranker)
    ranked = ranker(works, {"s:0": D("include"), "s:1": D("exclude")})
    assert {w.work_id for w in ranked[2:4]} == {"s:2", "s:4"}
    settle(ranker)
    decided = {"s:0": D("include"), "s:1": D("exclude"), "s:2": D("include")}
    second = ranker(works, decided)  # at once: the last finished ordering (s:2 in it)
    assert [w.work_id for w in second[:2]] == ["s:0", "s:1"] and len(second) == 6
    # the model stored with a decision is the one behind the order in use, not a newer one
    assert ranker.decision_extra()["ranking"]["training"] == {"relevant": 1, "irrelevant": 1}
    settle(ranker)  # the re-ranking with the new decision finished meanwhile
    assert ranker.decision_extra()["ranking"]["training"] == {"relevant": 1, "irrelevant": 1}
    ranker(works, decided)  # handed out now: from here on decisions carry that model
    assert ranker.decision_extra()["ranking"]["training"] == {"relevant": 2, "irrelevant": 1}


def test_the_ranking_process_ranks_as_the_in_process_model():
    remote = RemoteRanker(seed=3).fit(TEXTS)
    try:
        assert remote.order([0, 1], [1, 0], [5, 4, 3, 2]) == Ranker(TEXTS, seed=3).order(
            [0, 1], [1, 0], [5, 4, 3, 2]
        )
    finally:
        remote.close()


def test_a_dead_ranking_process_leaves_the_last_order_in_place(no_throttle):
    works = works_of()

    decided = {"s:0": D("include"), "s:1": D("exclude")}
    ranker = WorkRanker(seed=0, background=True)
    assert ranker.state({}) == "ranking: waiting for one include and one exclude"
    ranker(works, decided)
    settle(ranker)
    last = ranker(works, decided)
    assert ranker.state() == ""
    assert ranker.ready and {w.work_id for w in last[2:4]} == {"s:2", "s:4"}
    settle(ranker)
    os.kill(ranker.pid, signal.SIGKILL)  # e.g. killed by the system for memory
    decided["s:2"] = D("include")
    ranker(works, decided)  # the thread finds the process gone ...
    settle(ranker)
    assert "ranking stopped" in ranker.error
    assert ranker.state() == "ranking stopped, order kept"  # shown in the screen header
    again = ranker(works, decided)  # ... and the screen keeps the last order, no new attempt
    assert [w.work_id for w in again] == [w.work_id for w in last]
    assert ranker.wait(0)  # no new attempt under way
    ranker.close()


def test_without_a_child_process_the_ranking_runs_in_a_thread(monkeypatch, no_throttle):
    def refuse(*args, **kwargs):
        raise OSError("no processes in this sandbox")

    monkeypatch.setattr("slr.screen.ranking.RemoteRanker.__init__", refuse)
    works = works_of()

    decided = {"s:0": D("include"), "s:1": D("exclude")}
    ranker = WorkRanker(seed=0, background=True)
    ranker(works, decided)
    settle(ranker)
    ranked = ranker(works, decided)
    assert isinstance(ranker.ranker, Ranker) and not ranker.error
    assert {w.work_id for w in ranked[2:4]} == {"s:2", "s:4"}


def test_the_ranking_process_started_first_is_the_one_used_and_ignores_ctrl_c(no_throttle):
    works = works_of()

    ranker = WorkRanker(seed=0, background=True)
    pid = ranker.pid  # started before the works are known
    try:
        os.kill(pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
        decided = {"s:0": D("include"), "s:1": D("exclude")}
        ranker(works, decided)
        settle(ranker)
        ranked = ranker(works, decided)
        assert ranker.pid == pid and not ranker.error
        assert {w.work_id for w in ranked[2:4]} == {"s:2", "s:4"}
    finally:
        ranker.close()


def test_an_empty_pool_ranks_to_nothing_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's mean-of-empty warning would raise here
        assert Ranker(TEXTS).order([0, 1], [1, 0], []) == []


def test_new_works_while_a_model_is_built_void_the_old_job_and_get_ranked(no_throttle):

    old, new = works_of(TEXTS * 50, "a"), works_of(TEXTS, "b")
    ranker = WorkRanker(seed=0, background=True)
    try:
        ranker(old, {"a:0": D("include"), "a:1": D("exclude")})  # a job starts on the old works
        decided = {"b:0": D("include"), "b:1": D("exclude")}
        first = ranker(new, decided)  # the old job is void, whatever it was doing
        assert [w.work_id for w in first] == [w.work_id for w in new]
        for _ in range(3):  # the voided job may still hold the slot once, then one re-ranking
            settle(ranker)
            ranked = ranker(new, decided)
            if ranker.ready:
                break
        assert not ranker.error and ranker.ready
        assert {w.work_id for w in ranked[2:4]} == {"b:2", "b:4"}
    finally:
        ranker.close()
