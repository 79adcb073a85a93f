"""Agreement statistics against the hand-computed examples of docs/methods.md section 4."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slr.screen.agreement import (
    cohen_kappa,
    confusion,
    fleiss_kappa,
    gwet_ac1,
    landis_koch,
    multi_rater,
    pabak,
    percent_agreement,
)


def test_two_by_two_worked_example():
    # a = 20 both include, b = 10 only A includes, c = 20 only B includes, d = 150 both exclude
    table = [[20, 10], [20, 150]]
    assert percent_agreement(table) == pytest.approx(0.85)
    assert cohen_kappa(table) == pytest.approx(0.482759, abs=1e-6)
    assert pabak(table) == pytest.approx(0.70)
    assert gwet_ac1(table) == pytest.approx(0.789104, abs=1e-6)


def test_three_categories_cross_check_with_irrcac():
    table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    assert cohen_kappa(table) == pytest.approx(0.7964094, abs=1e-7)
    assert gwet_ac1(table) == pytest.approx(0.849, abs=5e-4)


def test_confusion_table_from_paired_labels():
    pairs = [("include", "include")] * 3 + [("include", "exclude")] + [("exclude", "exclude")] * 2
    cats, table = confusion(pairs, ["include", "exclude"])
    assert cats == ["include", "exclude"] and table == [[3, 1], [0, 2]]
    # p_o = 5/6; p_A(inc) = 4/6, p_B(inc) = 3/6 -> p_e = 1/3 + 1/6 = 1/2 -> kappa = 2/3
    assert cohen_kappa(table) == pytest.approx(2 / 3)


def test_degenerate_all_agree():
    both_categories = [[7, 0], [0, 3]]
    assert cohen_kappa(both_categories) == pytest.approx(1.0)
    assert percent_agreement(both_categories) == 1.0
    one_category = [[10, 0], [0, 0]]  # everyone includes everything: chance agreement is 1
    assert math.isnan(cohen_kappa(one_category))
    assert landis_koch(cohen_kappa(one_category)) == "undefined"
    assert percent_agreement(one_category) == 1.0 and pabak(one_category) == 1.0
    assert gwet_ac1(one_category) == pytest.approx(1.0)


def test_degenerate_one_reviewer_includes_all():
    # A includes all 10; B includes 6: p_o = 0.6, p_e = 1 * 0.6 + 0 * 0.4 = 0.6 -> kappa 0
    table = [[6, 4], [0, 0]]
    assert cohen_kappa(table) == pytest.approx(0.0)
    assert percent_agreement(table) == pytest.approx(0.6)
    assert landis_koch(cohen_kappa(table)) == "slight"


def test_no_items_is_undefined_not_an_error():
    assert math.isnan(cohen_kappa([[0, 0], [0, 0]]))
    assert math.isnan(percent_agreement([[0, 0], [0, 0]]))
    assert math.isnan(fleiss_kappa([]))


def test_fleiss_small_example():
    counts = [[3, 0], [0, 3], [2, 1], [0, 3], [1, 2], [0, 3]]
    stats = multi_rater(counts)
    assert stats.p_a == pytest.approx(7 / 9)
    assert stats.fleiss_pe == pytest.approx(5 / 9)
    assert stats.fleiss == pytest.approx(0.5)
    assert stats.ac1_pe == pytest.approx(4 / 9)
    assert stats.ac1 == pytest.approx(0.6)


def test_fleiss_wikipedia_example():
    rows = """0 0 0 0 14 / 0 2 6 4 2 / 0 0 3 5 6 / 0 3 9 2 0 / 2 2 8 1 1 /
              7 7 0 0 0 / 3 2 6 3 0 / 2 5 3 2 2 / 6 5 2 1 0 / 0 2 2 3 7"""
    counts = [[int(x) for x in row.split()] for row in rows.split("/")]
    stats = multi_rater(counts)
    assert stats.p_a == pytest.approx(0.378022, abs=1e-6)
    assert stats.fleiss_pe == pytest.approx(0.212755, abs=1e-6)
    assert fleiss_kappa(counts) == pytest.approx(0.209931, abs=1e-6)


def test_fleiss_incomplete_design_irrcac_raw_4raters():
    raw = """1 1 - 1 / 2 2 3 2 / 3 3 3 3 / 3 3 3 3 / 2 2 2 2 / 1 2 3 4 /
             4 4 4 4 / 1 1 2 1 / 2 2 2 2 / - 5 5 5 / - - 1 1 / - - 3 -"""
    counts = []
    for row in raw.split("/"):
        ratings = [int(x) for x in row.split() if x != "-"]
        counts.append([ratings.count(k) for k in range(1, 6)])
    stats = multi_rater(counts)
    assert stats.p_a == pytest.approx(0.81818, abs=1e-5)
    assert stats.fleiss_pe == pytest.approx(0.23872, abs=1e-5)
    assert stats.fleiss == pytest.approx(0.76117, abs=1e-5)
    assert stats.ac1_pe == pytest.approx(0.19032, abs=1e-5)
    assert stats.ac1 == pytest.approx(0.77544, abs=1e-5)
    assert stats.items == 11  # the last unit has a single rating


def test_fleiss_with_two_raters_close_to_cohen_on_symmetric_margins():
    # with identical margins Fleiss (Scott's pi) equals Cohen's kappa
    table = [[20, 5], [5, 70]]
    counts = [[2, 0]] * 20 + [[1, 1]] * 10 + [[0, 2]] * 70
    assert fleiss_kappa(counts) == pytest.approx(cohen_kappa(table))


@pytest.mark.parametrize(
    ("kappa", "band"),
    [(-0.1, "poor"), (0.0, "slight"), (0.2, "slight"), (0.205, "fair"), (0.4, "fair")]
    + [(0.41, "moderate"), (0.6, "moderate"), (0.8, "substantial"), (0.81, "almost perfect")]
    + [(1.0, "almost perfect")],
)
def test_landis_koch_bands_are_half_open(kappa, band):
    assert landis_koch(kappa) == band


@given(st.lists(st.integers(0, 30), min_size=4, max_size=4).filter(lambda v: sum(v) > 0))
def test_kappa_is_symmetric_and_at_most_one(values):
    table = [values[:2], values[2:]]
    transposed = [[table[0][0], table[1][0]], [table[0][1], table[1][1]]]
    k = cohen_kappa(table)
    if math.isnan(k):
        return
    assert k <= 1 + 1e-12
    assert k == pytest.approx(cohen_kappa(transposed))
