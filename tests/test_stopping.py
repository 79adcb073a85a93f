"""Stopping rules against the worked examples of methods.md section 3."""

import pytest

from slr.screen.stopping import (
    hypergeometric_p,
    irrelevant_in_a_row,
    k_target,
    labels_in_order,
    recall_bound,
    recall_status,
    stopping_point,
    suffix_p,
)


@pytest.mark.parametrize(
    "n, k, k_tar, p",
    [
        (600, 0, 11, 0.085506),
        (750, 0, 11, 0.041977),
        (750, 1, 12, 0.157839),
        (1000, 1, 12, 0.053612),
    ],
)
def test_hypergeometric_criterion_worked_example(n, k, k_tar, p):
    # N = 5000, 2000 screened in the ranked phase with 190 relevant, 3000 unseen
    assert k_target(190 + k, 190, 0.95) == k_tar
    assert hypergeometric_p(3000, 190, n, k) == pytest.approx(p, abs=1e-6)


def test_h0_impossible_when_too_few_unseen():
    assert hypergeometric_p(5, 190, 5, 0) == 0.0


@pytest.mark.parametrize(
    "labels, total, target, p",
    [
        ([1] * 19 + [0] * 781, 1000, 0.95, 0.0413988),
        ([1] * 19 + [0] * 781, 1000, 0.90, 0.0083728),
        ([1] * 19 + [0] * 481, 1000, 0.95, 0.2595228),
        ([1, 1, 1, 0, 1, 1, 0, 1, 0, 0] + [0] * 20, 100, 0.95, 70 / 92),
    ],
)
def test_suffix_variant_matches_buscarpy(labels, total, target, p):
    assert suffix_p(labels, total, target) == pytest.approx(p, abs=1e-7)


def test_stopping_point_recall_bound_and_status():
    labels = [1] * 19 + [0] * 781
    stop = stopping_point(labels, 1000, step=1)
    assert stop is not None and suffix_p(labels[:stop], 1000) < 0.05
    assert suffix_p(labels[: stop - 1], 1000) >= 0.05
    assert recall_bound(labels, 1000) >= 0.95
    assert recall_bound([1] * 19 + [0] * 100, 1000) < 0.95
    status = recall_status(labels, 1000)
    assert status.can_stop and "safe to stop" in status.text()
    assert "heuristic: 781 irrelevant in a row" in status.text()
    assert not recall_status([1, 0, 0], 1000).can_stop


def test_irrelevant_streak_and_labels_in_order():
    assert irrelevant_in_a_row([1, 0, 1, 0, 0]) == 2
    assert irrelevant_in_a_row([]) == 0

    class D:
        def __init__(self, time, decision):
            self.time, self.decision = time, decision

    decisions = [D("3", "exclude"), D("1", "include"), D("2", "maybe"), D("4", "not-retrieved")]
    assert labels_in_order(decisions) == [1, 1, 0]
