"""Stopping rules for prioritised screening, and the recall estimate shown while screening.

The rule with a statistical guarantee is the hypergeometric test of Callaghan & Müller-Hansen
(Syst Rev 2020;9:273): after the ranked phase, screen a random sample of the unseen works;
H0 "recall < target" is rejected at confidence c when P(X <= k) < 1 - c for
X ~ Hypergeometric(N_s, K_tar, n). The buscarpy variant treats every suffix of the screening
order as the urn (no separate sample; conservative). "N irrelevant in a row" is a heuristic
with no guarantee and is labelled as one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.stats import hypergeom


def k_target(r_seen: int, r_al: int, target: float) -> int:
    """Smallest number of relevant works among the unseen that would make recall < target."""
    return math.floor(Fraction(r_seen) / Fraction(str(target))) + 1 - r_al


def hypergeometric_p(
    n_unseen: int, r_al: int, n_sample: int, k_sample: int, target: float = 0.95
) -> float:
    """p-value of H0 "recall < target" after a random sample of n of the N_s unseen works (k relevant)."""
    k_tar = k_target(r_al + k_sample, r_al, target)
    if k_tar > n_unseen:
        return 0.0  # H0 impossible: not enough unseen works to hide that many relevant ones
    return float(hypergeom.cdf(k_sample, n_unseen, k_tar, n_sample))


def suffix_p(labels: Sequence[int], n_total: int, target: float = 0.95) -> float:
    """buscarpy's `calculate_h0`: the minimum p over every suffix of the screening order.

    Only the suffixes that start or end a run of irrelevant works are evaluated, O(relevant)
    of them rather than O(screened): within a run k and K_tar stay fixed while the urn and the
    sample grow by one irrelevant work, and P(X <= k) can only fall (the larger sample
    dominates), so each run's minimum is at its longest suffix; the shortest one is kept for
    the "H0 impossible" case (K_tar larger than the urn), which is likeliest there.
    """
    n_seen = len(labels)
    if n_seen == 0:
        return 1.0
    y = np.asarray(labels, dtype=int)
    r_seen = int(y.sum())
    # suffix length m has the works from position n_seen - m on; a run of suffixes with the
    # same k lies between two relevant works: its longest ends just after the earlier one
    where = np.flatnonzero(y)  # positions of relevant works
    longest = n_seen - where - 1  # suffixes starting just after each relevant work
    shortest = n_seen - where  # ... and those starting at it
    m = np.unique(np.concatenate([[1, n_seen], longest, shortest, longest + 1]))
    m = m[(m >= 1) & (m <= n_seen)]
    tail_relevant = np.cumsum(y[::-1])
    k = tail_relevant[m - 1]  # relevant among the last m
    k_tar = math.floor(Fraction(r_seen) / Fraction(str(target))) + 1 - (r_seen - k)
    urn = n_total - (n_seen - m)
    with np.errstate(all="ignore"):
        p = np.where(k_tar > urn, 0.0, hypergeom.cdf(k, urn, np.minimum(k_tar, urn), m))
    p = p[~np.isnan(p)]
    return float(min(1.0, p.min())) if len(p) else 1.0


def stopping_point(
    labels: Sequence[int],
    n_total: int,
    target: float = 0.95,
    confidence: float = 0.95,
    step: int | None = None,
) -> int | None:
    """The first number screened at which `suffix_p` establishes recall >= target, or None.

    The test is evaluated every `step` screened records (default: N/500, at least 1), as
    buscarpy's retrospective_h0 does in batches; each evaluation costs O(n).
    """
    step = step or max(1, math.ceil(n_total / 500))
    seen = 0
    for n in range(1, len(labels) + 1):
        seen += labels[n - 1]
        if seen and (n % step == 0 or n == len(labels)):
            if suffix_p(labels[:n], n_total, target) < 1 - confidence:
                return n
    return None


SWITCH_STREAK = 50  # irrelevant in a row (with SWITCH_SHARE screened) before the random sample
SWITCH_SHARE = 0.10


@dataclass(frozen=True)
class Stop:
    """Where a stopping rule stops in a simulated screening order, and what it reached."""

    rule: str
    screened: int | None  # works screened when it stops; None: not before every work is screened
    recall: float  # share of the relevant works found by then
    work_saved: float  # share of the works left unscreened, (N - screened) / N

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "screened": self.screened,
            "recall": self.recall,
            "work_saved": self.work_saved,
        }


def switch_point(labels: Sequence[int], n_total: int) -> int | None:
    """When the ranking "brings few new inclusions" (README): at least 10% screened and the
    last 50 irrelevant (the ranked-phase conditions of SAFE, Boetje & van de Schoot 2024)."""
    streak = 0
    least = math.ceil(SWITCH_SHARE * n_total)
    for n, label in enumerate(labels, start=1):
        streak = 0 if label else streak + 1
        if streak >= SWITCH_STREAK and n >= least:
            return n
    return None


def random_sample_stop(
    labels: Sequence[int],
    n_ranked: int,
    seed: int,
    target: float = 0.95,
    confidence: float = 0.95,
) -> tuple[int, int] | None:
    """After `n_ranked` works in ranked order, the rest is screened in a random order (drawn
    with `seed`) until the hypergeometric test (methods 3.1) rejects recall < target.

    `labels` hold every work's label, the ranked ones first (the rest in any order).
    Returns (works screened in all, relevant found in all), or None if it never stops.
    """
    rest = np.asarray(labels[n_ranked:], dtype=int)
    n_unseen = len(rest)
    if not n_unseen:
        return None
    r_al = int(sum(labels[:n_ranked]))
    sample = rest[np.random.default_rng(seed).permutation(n_unseen)]
    k = np.cumsum(sample)
    n = np.arange(1, n_unseen + 1)
    t = Fraction(str(target))
    # K_tar = floor((r_al + k) / target) + 1 - r_al, in exact integers
    k_tar = ((r_al + k) * t.denominator) // t.numerator + 1 - r_al
    with np.errstate(all="ignore"):
        p = np.where(
            k_tar > n_unseen, 0.0, hypergeom.cdf(k, n_unseen, np.minimum(k_tar, n_unseen), n)
        )
    hits = np.flatnonzero(p < 1 - confidence)
    if not len(hits):
        return None
    at = int(hits[0])
    return n_ranked + at + 1, r_al + int(k[at])


def simulated_stops(
    labels: Sequence[int], seed: int = 0, target: float = 0.95, confidence: float = 0.95
) -> list[Stop]:
    """Where each rule stops on a complete screening order (1 = relevant), N = len(labels).

    The safe rule: rank until `switch_point`, then a random sample of the rest tested with
    the hypergeometric criterion; then the buscarpy variant on the ranked order itself, and
    the heuristics (no guarantee).
    """
    n = len(labels)
    y = np.asarray(labels, dtype=int)
    total = int(y.sum())
    found = np.cumsum(y)
    stops = []

    def at(rule: str, screened: int | None, relevant: int | None = None) -> None:
        if screened is None:
            stops.append(Stop(rule, None, 1.0, 0.0))
            return
        got = int(found[screened - 1]) if relevant is None else relevant
        stops.append(Stop(rule, screened, got / total if total else 1.0, (n - screened) / n))

    switch = switch_point(labels, n)
    sampled = (
        random_sample_stop(labels, switch, seed, target, confidence) if switch is not None else None
    )
    at(
        f"safe: ranked until 10% screened and {SWITCH_STREAK} irrelevant in a row, then a "
        f"random sample until recall >= {target:.0%} at {confidence:.0%} (hypergeometric)",
        sampled[0] if sampled else None,
        sampled[1] if sampled else None,
    )
    at(
        f"hypergeometric on the ranked order (buscarpy; recall >= {target:.0%} at {confidence:.0%})",
        stopping_point(labels, n, target, confidence),
    )
    for streak in (50, 100):
        at(f"heuristic: {streak} irrelevant in a row", _streak_stop(labels, streak))
    at(f"heuristic: 10% screened and {SWITCH_STREAK} irrelevant in a row", switch)
    return stops


def _streak_stop(labels: Sequence[int], streak: int) -> int | None:
    run = 0
    for n, label in enumerate(labels, start=1):
        run = 0 if label else run + 1
        if run >= streak:
            return n
    return None


def irrelevant_in_a_row(labels: Sequence[int]) -> int:
    """How many works since the last relevant one (the heuristic's counter)."""
    run = 0
    for label in reversed(labels):
        if label:
            break
        run += 1
    return run


@dataclass(frozen=True)
class RecallStatus:
    """What the screen header and `slr status` show about recall so far."""

    screened: int
    relevant: int
    total: int
    p_value: float
    target: float
    confidence: float
    irrelevant_streak: int

    @property
    def can_stop(self) -> bool:
        return self.screened > 0 and self.p_value < 1 - self.confidence

    def text(self) -> str:
        verdict = (
            f"recall >= {self.target:.0%} established at {self.confidence:.0%} (p = {self.p_value:.3f}): "
            "safe to stop"
            if self.can_stop
            else f"recall >= {self.target:.0%} not yet established (p = {self.p_value:.3f})"
        )
        return (
            f"{self.relevant} relevant in {self.screened} of {self.total} screened; {verdict}; "
            f"heuristic: {self.irrelevant_streak} irrelevant in a row"
        )


def recall_status(
    labels: Sequence[int], total: int, target: float = 0.95, confidence: float = 0.95
) -> RecallStatus:
    """The stopping statement for a screening order (1 = relevant) out of `total` works."""
    p = suffix_p(labels, total, target) if labels and sum(labels) else 1.0
    return RecallStatus(
        len(labels), sum(labels), total, p, target, confidence, irrelevant_in_a_row(labels)
    )


def recall_bound(labels: Sequence[int], total: int, confidence: float = 0.95) -> float:
    """The highest recall (in steps of 0.01) established at `confidence` (buscarpy's frontier)."""
    if not labels or not sum(labels):
        return 0.0
    # p grows with the target, so the frontier is found by bisection over 0.01 .. 0.99
    low, high = 0, 100  # established at low/100 (0 = nothing), not at high/100
    while high - low > 1:
        mid = (low + high) // 2
        if suffix_p(labels, total, mid / 100) < 1 - confidence:
            low = mid
        else:
            high = mid
    return low / 100


def labels_in_order(decisions: Sequence[object]) -> list[int]:
    """1/0 labels (include or maybe = 1, exclude = 0) of decisions, in the order they were made."""
    ordered = sorted(decisions, key=lambda d: getattr(d, "time", ""))
    return [
        1 if getattr(d, "decision", "") in ("include", "maybe") else 0
        for d in ordered
        if getattr(d, "decision", "") in ("include", "maybe", "exclude")
    ]
