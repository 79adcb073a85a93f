"""`slr calibrate`: a sample every listed reviewer screens first, its kappa, and the gate.

Before the team splits the queue, each reviewer screens the same random sample of the
title-abstract queue; once all have, `slr calibrate` reports Cohen's kappa (Fleiss' for three
or more, slr.screen.agreement) and the works they disagree on, to discuss. The protocol's
`[calibration] min_kappa` makes full screening wait until the latest sample reaches it: a
reviewer is served the sample only, then refused with the kappa, the threshold and what to
do, unless they pass `--force`, which is logged (who, when, the kappa) in calibration.jsonl
and stamped on each decision of that session.

`reviewer_queue` is what a reviewer's session is served (`open_session` calls it, for the
terminal and the browser alike): their share of the assignment (slr.screen.assign), the
calibration sample first, and nothing of any other reviewer's decisions. The gate reads the
other logs only to say whether calibration is finished and its kappa, both shown only once
every listed reviewer has screened the whole sample.

`calibration.jsonl` (slr.store) is append-only: `sample` lines (round, time, seed, reviewers,
work ids) and `forced` lines.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slr.corpus import now_iso
from slr.decisions import Decision
from slr.review import Review
from slr.screen.agreement import Agreement, agreement_of, category, format_agreement
from slr.screen.assign import STAGE, check_names, default_seed, read_assignment
from slr.screen.state import ScreeningError, StageState, stage_pool, stage_states
from slr.store import append_jsonl, field_of
from slr.works import Work, load_works, record_index

if TYPE_CHECKING:
    from slr.screen.session import Ordering

SAMPLE, FORCED = "sample", "forced"
DEFAULT_SIZE = 50


class CalibrationError(ScreeningError):
    """Full screening may not start yet: calibration unfinished or below min_kappa."""


@dataclass(frozen=True)
class Sample:
    """One calibration round: the works every listed reviewer screens."""

    round: int
    time: str
    seed: int
    reviewers: tuple[str, ...]
    work_ids: tuple[str, ...]
    stage: str = STAGE
    protocol_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": SAMPLE,
            "round": self.round,
            "time": self.time,
            "stage": self.stage,
            "seed": self.seed,
            "size": len(self.work_ids),
            "reviewers": list(self.reviewers),
            "work_ids": list(self.work_ids),
            "protocol_hash": self.protocol_hash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sample:
        return cls(
            round=field_of(data, "round", int),
            time=field_of(data, "time", str),
            seed=field_of(data, "seed", int),
            reviewers=field_of(data, "reviewers", list),
            work_ids=field_of(data, "work_ids", list),
            stage=field_of(data, "stage", str, STAGE),
            protocol_hash=field_of(data, "protocol_hash", str, ""),
        )


def _entry(data: dict[str, Any]) -> Sample | dict[str, Any]:
    kind = field_of(data, "kind", str, choices=(SAMPLE, FORCED))
    return Sample.from_dict(data) if kind == SAMPLE else data


def samples(review: Review, index: Mapping[str, str] | None = None) -> list[Sample]:
    """Every calibration round, oldest first, work ids mapped through `index` (record index
    of today's works; a work no longer there is left out)."""
    path = review.store.calibration_file
    if not path.exists():
        return []
    found = [e for e in review.entries(path, _entry, "calibration line") if isinstance(e, Sample)]
    found.sort(key=lambda s: (s.time, s.round))
    if index is None:
        return found
    out = []
    for s in found:
        ids = [index[w] for w in s.work_ids if w in index]
        mapped = tuple(dict.fromkeys(ids))
        out.append(Sample(s.round, s.time, s.seed, s.reviewers, mapped, s.stage, s.protocol_hash))
    return out


def forced_starts(review: Review) -> list[dict[str, Any]]:
    """The `forced` lines: who started full screening below min_kappa, when, at what kappa."""
    path = review.store.calibration_file
    if not path.exists():
        return []
    return [e for e in review.entries(path, _entry, "calibration line") if isinstance(e, dict)]


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class Calibration:
    """The latest round: each reviewer's progress and, once all have screened it, kappa."""

    sample: Sample
    left: dict[str, int]  # reviewer -> sample works they have not decided
    agreement: Agreement | None = None  # None until every reviewer screened every work
    disagreements: list[tuple[Work, dict[str, Decision]]] = field(default_factory=list)
    min_kappa: float | None = None
    works: int = 0  # sample works still to screen (not those the rules excluded since)

    @property
    def complete(self) -> bool:
        return self.agreement is not None

    @property
    def kappa(self) -> float:
        return self.agreement.kappa if self.agreement else math.nan

    @property
    def reached(self) -> bool:
        """Full screening may start: no threshold, or a finished round at or above it."""
        if self.min_kappa is None:
            return True
        return self.complete and not math.isnan(self.kappa) and self.kappa >= self.min_kappa


def calibration(review: Review, works: list[Work] | None = None) -> Calibration | None:
    """The latest calibration round (None: no sample drawn yet)."""
    works = load_works(review) if works is None else works
    drawn = samples(review, record_index(works))
    if not drawn:
        return None
    sample = drawn[-1]
    state = stage_states(review, works)[STAGE]
    drawn_ids = set(sample.work_ids)
    # in queue order, as they were served; not those the rules excluded since the draw
    ids = [w.work_id for w in state.pool if w.work_id in drawn_ids and w.work_id not in state.auto]
    decided = {name: state.reviews.get(name, {}) for name in sample.reviewers}
    left = {name: sum(1 for w in ids if w not in decided[name]) for name in sample.reviewers}
    min_kappa = review.protocol.min_kappa
    if any(left.values()) or not ids:
        return Calibration(sample, left, min_kappa=min_kappa, works=len(ids))
    by_reviewer = {name: {w: decided[name][w] for w in ids} for name in sample.reviewers}
    by_id = {w.work_id: w for w in state.pool}
    differ = [
        (by_id[w], {name: by_reviewer[name][w] for name in sample.reviewers})
        for w in ids
        if len({category(by_reviewer[name][w].decision) for name in sample.reviewers}) > 1
    ]
    return Calibration(
        sample, left, agreement_of(STAGE, by_reviewer), differ, min_kappa, works=len(ids)
    )


def format_calibration(cal: Calibration | None) -> str:
    """What `slr calibrate` prints: progress, else kappa, the gate and the disagreements."""
    if cal is None:
        return "no calibration sample yet; draw one with `slr calibrate --sample 50`"
    s = cal.sample
    head = (
        f"calibration round {s.round} ({s.time}, seed {s.seed}): {len(s.work_ids)} works, "
        f"reviewers {', '.join(s.reviewers)}"
    )
    if not cal.complete:
        lines = [head]
        lines += [
            f"  {name}: {cal.works - k} of {cal.works} screened" for name, k in cal.left.items()
        ]
        lines.append(
            "kappa and the disagreements are shown once every reviewer has screened the whole "
            "sample (`slr screen --reviewer NAME` serves it first)"
        )
        return "\n".join(lines)
    assert cal.agreement is not None
    lines = [head, format_agreement(cal.agreement)]
    if cal.min_kappa is not None:
        lines.append(
            f"calibration.min_kappa {cal.min_kappa:g}: "
            + ("reached; full screening may start" if cal.reached else _below(cal))
        )
    lines.append(
        f"{len(cal.disagreements)} disagreement(s):" if cal.disagreements else "no disagreements"
    )
    for work, given in cal.disagreements:
        title = " ".join((work.canonical.title or "(no title)").split())
        lines.append(f"  {work.work_id}  {title[:70]}")
        lines += [f"      {name}: {_describe(d)}" for name, d in sorted(given.items())]
    return "\n".join(lines)


def _describe(d: Decision) -> str:
    return d.decision + (f" ({', '.join(d.criteria)})" if d.criteria else "")


def _kappa_text(cal: Calibration) -> str:
    kind = "Cohen's" if len(cal.sample.reviewers) == 2 else "Fleiss'"
    if math.isnan(cal.kappa):
        return f"{kind} kappa is undefined (every decision fell in one category)"
    return f"{kind} kappa {cal.kappa:.3f}"


def _below(cal: Calibration) -> str:
    if math.isnan(cal.kappa):
        return f"not reached ({_kappa_text(cal)}); {_one_category(cal)}"
    return (
        f"not reached ({_kappa_text(cal)}); discuss the disagreements, then draw a new "
        f"sample with `slr calibrate --sample {len(cal.sample.work_ids)}`"
    )


def _one_category(cal: Calibration) -> str:
    """An undefined kappa (every decision in one category) is no disagreement to discuss:
    only a new, larger sample can show agreement beyond chance."""
    return (
        "such a sample cannot show agreement beyond chance; "
        f"draw a new, larger sample (e.g. `slr calibrate --sample {2 * len(cal.sample.work_ids)}`)"
    )


def team_counts(review: Review, state: StageState, works: list[Work]) -> dict[str, Any]:
    """`slr status`'s `assignment` and `calibration` at title-abstract (absent: never run)."""
    out: dict[str, Any] = {}
    assignment = read_assignment(review, record_index(works))
    if assignment is not None:
        run = assignment.last
        queue = [w.work_id for w in state.pool if w.work_id not in state.auto]
        out["assignment"] = {
            "mode": run.mode,
            "overlap": run.overlap,
            "seed": run.seed,
            "runs": len(assignment.runs),
            "reviewers": assignment.reviewers,
            "assigned": sum(1 for w in queue if w in assignment.reviewers_of),
            "in_overlap": sum(1 for w in queue if w in assignment.overlap),
            "unassigned": sum(1 for w in queue if w not in assignment.reviewers_of),
        }
    cal = calibration(review, works) if review.store.calibration_file.exists() else None
    if cal is not None:
        out["calibration"] = {
            "round": cal.sample.round,
            "works": len(cal.sample.work_ids),
            "reviewers": list(cal.sample.reviewers),
            "left": dict(cal.left),
            "kappa": None if math.isnan(cal.kappa) else cal.kappa,
            "method": cal.agreement.method if cal.agreement else "",
            "min_kappa": cal.min_kappa,
            "reached": cal.reached,
        }
    return out


# ---------------------------------------------------------------- drawing a sample


def draw_sample(
    review: Review,
    size: int = DEFAULT_SIZE,
    seed: int | None = None,
    reviewers: Sequence[str] | None = None,
) -> Sample:
    """Draw the next calibration round from the queue's works no earlier round sampled.

    Refused while the latest round is unfinished: its reviewers would lose the sample they
    are screening.
    """
    works = load_works(review)
    current = calibration(review, works)
    if current is not None and any(current.left.values()):
        who = ", ".join(f"{n} {k}" for n, k in current.left.items() if k)
        raise ScreeningError(
            f"calibration round {current.sample.round} is not finished (works left: {who}); "
            "every reviewer screens it first (`slr screen --reviewer NAME`)"
        )
    names = check_names(review, reviewers or review.protocol.reviewers, "--reviewers")
    if size < 1:
        raise ScreeningError(f"--sample {size}: give the number of works to sample, e.g. 50")
    taken = {w for s in samples(review, record_index(works)) for w in s.work_ids}
    candidates = [w.work_id for w in stage_pool(review, STAGE, works) if w.work_id not in taken]
    if size > len(candidates):
        raise ScreeningError(
            f"--sample {size}: only {len(candidates)} works of the title-abstract queue are in "
            f"no earlier sample; give --sample {len(candidates)} or fewer"
            if candidates
            else "no works left to sample: every work of the queue was in a calibration sample"
        )
    seed = default_seed(review) if seed is None else seed
    number = current.sample.round + 1 if current else 1
    picked = random.Random(seed).sample(candidates, size)
    sample = Sample(
        number, now_iso(), seed, tuple(names), tuple(picked), STAGE, review.protocol.hash
    )
    review.store.ensure()
    append_jsonl(review.store.calibration_file, sample.to_dict())
    return sample


# ---------------------------------------------------------------- a reviewer's queue


@dataclass
class Queue:
    """What a reviewer's session serves: the works, their order, what each decision carries."""

    pool: list[Work]
    order: Ordering
    extra: dict[str, Any] = field(default_factory=dict)
    served: str = ""  # what part of the stage the pool is, in words ("" = all of it)


def reviewer_queue(
    review: Review,
    reviewer: str,
    stage: str,
    pool: list[Work],
    index: Mapping[str, str],
    order: Ordering,
    force: bool = False,
) -> Queue:
    """The title-abstract works a named reviewer is served (other stages: all of `pool`).

    With an assignment: their share, plus the calibration sample if they are one of its
    reviewers, the sample first. With `min_kappa` not reached: the sample only while they
    have some of it left, then a CalibrationError saying the kappa, the threshold and what
    to do; `force` starts anyway and logs it.
    """
    if stage != STAGE:
        return Queue(pool, order)
    assignment = read_assignment(review, index)
    drawn = samples(review, index)
    sample = drawn[-1] if drawn else None
    # every round's works (an earlier round's are decided: the queue only counts them)
    mine = {w for s in drawn if reviewer in s.reviewers for w in s.work_ids}
    extra: dict[str, Any] = {}
    blocked = _gate(review, sample)
    only_sample = False
    if blocked is not None:
        message, cal = blocked
        left = cal.left.get(reviewer, 0) if cal else 0
        if force:
            extra = {"calibration_forced": _force(review, reviewer, cal, message)}
        elif left:
            only_sample = True
        else:
            raise CalibrationError(message)
    served = ""
    if only_sample:
        pool = [w for w in pool if w.work_id in mine]
        served = "calibration sample"
    elif assignment is not None:
        share = assignment.share(reviewer) | mine
        if not share:
            raise ScreeningError(
                f"no works are assigned to {reviewer}: the shares went to "
                f"{', '.join(assignment.reviewers)} and never change; once a search or import "
                f"adds works, `slr assign --reviewers "
                f"{','.join([*assignment.last.reviewers, reviewer])}` gives {reviewer} a share "
                "of them"
            )
        pool = [w for w in pool if w.work_id in share]
        served = "share and calibration sample" if mine else "share"
    if mine:
        order = sample_first(order, mine)
    return Queue(pool, order, extra, served)


def _gate(review: Review, sample: Sample | None) -> tuple[str, Calibration | None] | None:
    """(the one-line reason, the round) when full screening may not start yet, else None."""
    need = review.protocol.min_kappa
    if need is None:
        return None
    where = f"{review.protocol.path}: calibration.min_kappa {need:g}"
    if sample is None:
        return (
            f"{where} asks for a calibration first; draw a sample with "
            f"`slr calibrate --sample {DEFAULT_SIZE}` (or pass --force to screen without it)",
            None,
        )
    cal = calibration(review)
    assert cal is not None
    if cal.reached:
        return None
    if not any(cal.left.values()) and not cal.complete:  # the rules excluded its works since
        return (
            f"calibration round {cal.sample.round} has no works left to screen; draw a new "
            f"sample with `slr calibrate --sample {DEFAULT_SIZE}` (or pass --force)",
            cal,
        )
    if not cal.complete:
        who = ", ".join(f"{n} {k} left" for n, k in cal.left.items() if k)
        return (
            f"calibration round {cal.sample.round} is not finished ({who}); full screening "
            f"waits until its kappa reaches {need:g} (or pass --force)",
            cal,
        )
    if math.isnan(cal.kappa):  # "undefined is below 0.6" would not be true
        return (
            f"calibration round {cal.sample.round}: {_kappa_text(cal)}, so "
            f"calibration.min_kappa {need:g} is not reached; {_one_category(cal)}, "
            "or pass --force",
            cal,
        )
    return (
        f"calibration round {cal.sample.round}: {_kappa_text(cal)} is below "
        f"calibration.min_kappa {need:g}; discuss the disagreements (`slr calibrate`), draw a "
        f"new sample (`slr calibrate --sample {len(cal.sample.work_ids)}`), or pass --force",
        cal,
    )


def _force(review: Review, reviewer: str, cal: Calibration | None, why: str) -> dict[str, Any]:
    """Log a forced start in calibration.jsonl; what each decision of the session carries."""
    kappa = None if cal is None or math.isnan(cal.kappa) else round(cal.kappa, 6)
    stamp = {
        "time": now_iso(),
        "reviewer": reviewer,
        "round": cal.sample.round if cal else None,
        "kappa": kappa,
        "min_kappa": review.protocol.min_kappa,
    }
    review.store.ensure()
    append_jsonl(
        review.store.calibration_file, {"kind": FORCED, **stamp, "stage": STAGE, "reason": why}
    )
    return {k: v for k, v in stamp.items() if k != "reviewer"}


def sample_first(order: Ordering, first: set[str]) -> Ordering:
    """An ordering that serves the calibration sample's works (in `order`'s order) before the
    rest; the header (ordering_state) says how many sample works are left."""
    return _SampleFirst(order, first)


class _SampleFirst:
    """`sample_first`'s ordering; any other attribute is the wrapped ordering's (a ranking's
    `rerank_every`, `decision_extra`, ...), so the session drives it exactly as that one."""

    def __init__(self, order: Ordering, first: set[str]) -> None:
        self._inner = order
        self._first = first
        self._kept: list[Work] | None = None  # the inner order last handed back
        self._out: list[Work] = []
        self._decided: Mapping[str, Decision] = {}

    def __call__(self, works: Sequence[Work], decided: Mapping[str, Decision]) -> list[Work]:
        inner = self._inner(works, decided)
        self._decided = decided  # the session's live read-only view of its own decisions
        if inner is not self._kept:  # a background ranking may hand back the same list
            self._kept = inner
            self._out = [w for w in inner if w.work_id in self._first]
            self._out += [w for w in inner if w.work_id not in self._first]
        return self._out

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # never the wrapper's own state (copy, pickle, __init__)
            raise AttributeError(name)
        return getattr(self._inner, name)

    def state(self, counts: Mapping[str, int] | None = None) -> str:
        inner = getattr(self._inner, "state", None)
        text = str(inner(counts)) if callable(inner) else ""
        served = [w for w in self._out[: len(self._first)] if w.work_id in self._first]
        left = sum(1 for w in served if w.work_id not in self._decided)
        own = f"calibration sample: {left} of {len(served)} left" if left else ""
        return " · ".join(t for t in (own, text) if t)
