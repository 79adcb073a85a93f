"""Results are values: agreement, auto_screen and simulation metrics are frozen dataclasses
whose `to_dict()` is the JSON the commands printed when they were dicts."""

from __future__ import annotations

import dataclasses
import math

import pytest
from conftest import make_record, make_work

from slr.decisions import Decision, record_decision
from slr.screen.agreement import Agreement, stage_agreement
from slr.screen.rules import AutoScreen, Overridden, auto_screen
from slr.screen.simulate import Metrics, metrics
from slr.works import save_works

TA = "title-abstract"


def _two_reviewers(review):
    works = [make_work(make_record(i)) for i in range(1, 5)]
    save_works(review, works)
    for w, a, b in zip(works, "iiee", "ieie", strict=True):
        for name, d in (("alice", a), ("bob", b)):
            record_decision(
                review, Decision(name, TA, w.work_id, "include" if d == "i" else "exclude")
            )
    return works


def test_agreement_is_a_frozen_value_and_its_dict_keeps_the_json_keys(review):
    _two_reviewers(review)
    result = stage_agreement(review, TA)
    assert isinstance(result, Agreement) and result.method == "cohen"
    assert result.table == ((1, 1), (1, 1)) and result.n_both == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.kappa = 1.0  # type: ignore[misc]
    assert list(result.to_dict()) == [
        "stage",
        "reviewers",
        "method",
        "categories",
        "table",
        "rows",
        "columns",
        "n_both",
        "n_only",
        "percent_agreement",
        "kappa",
        "band",
        "pabak",
        "ac1",
    ]
    assert result.to_dict()["table"] == [[1, 1], [1, 1]]


def test_agreement_with_one_reviewer_says_why_and_has_no_statistics(review):
    save_works(review, [make_work(make_record(1))])
    record_decision(review, Decision("alice", TA, "scopus:r1", "include"))
    result = stage_agreement(review, TA)
    assert result.to_dict() == {
        "stage": TA,
        "reviewers": ["alice"],
        "note": "fewer than two reviewers screened this stage; nothing to compare",
    }
    assert math.isnan(result.kappa) and result.method == ""


def test_auto_screen_returns_a_frozen_summary_with_overridden_values(review):
    keep, book = make_record(1), make_record(2, type="book")  # the book fails IC1
    save_works(review, [make_work(keep), make_work(book)])
    record_decision(review, Decision("alice", TA, book.id, "include"))
    summary = auto_screen(review)
    assert isinstance(summary, AutoScreen)
    assert (summary.works, summary.excluded, summary.new) == (2, 1, 1)
    assert summary.per_criterion == {"IC1": 1}
    assert summary.overridden == (Overridden(book.id, "alice", "include", ("IC1",)),)
    assert summary.to_dict()["overridden"] == [
        {"work_id": book.id, "reviewer": "alice", "decision": "include", "criteria": ["IC1"]}
    ]
    assert list(summary.to_dict())[:3] == ["works", "notices", "rules"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.new = 0  # type: ignore[misc]


def test_simulation_metrics_are_a_value_with_the_old_keys():
    m = metrics([1, 0, 1, 1, 0, 0, 1] + [0] * 13)
    assert isinstance(m, Metrics) and m.n == 20 and m.relevant == 4
    assert list(m.to_dict()) == [
        "N",
        "relevant",
        "wss95",
        "recall10",
        "recall25",
        "atd",
        "last_relevant",
        "stop_at",
        "stop_recall",
    ]
    assert m.to_dict()["N"] == 20
