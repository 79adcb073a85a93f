"""`slr assign`: who screens which work of the title-abstract queue.

Two designs: `dual`, every work to two reviewers (pairs balanced so each reviewer gets the
same number of works and meets every other one), and `overlap`, every work to one reviewer
plus an overlap sample (a fraction of the works) that all of them screen, so agreement can
be measured. The works are shuffled with the run's seed, so the same seed, reviewers and
queue give the same shares.

`assignment.jsonl` (slr.store) is append-only: a `run` line (time, seed, reviewers, mode,
overlap) and then one `share` line per group of reviewers that run gave works to (one per
reviewer and one for the overlap, or one per pair), listing the work ids. Running
`slr assign` again after new works arrived assigns only those, to the reviewers with the
fewest works so far: existing shares are never reshuffled. Two clones that assigned the
same work each (a merged file, `merge=union`) keep the earliest run's share.
"""

from __future__ import annotations

import heapq
import math
import random
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slr.corpus import now_iso
from slr.decisions import STAGES
from slr.errors import SlrError
from slr.review import Review
from slr.store import append_jsonl, field_of

MODES = ("overlap", "dual")
DEFAULT_OVERLAP = 0.2
STAGE = STAGES[0]  # the queue that is split: title and abstract


class AssignError(SlrError):
    """An assignment cannot be made as asked (names, mode, overlap)."""


@dataclass(frozen=True)
class Run:
    """One `slr assign` that assigned works."""

    run: str  # `<number>:<time>`: names the run in its work lines
    time: str
    stage: str
    mode: str
    overlap: float
    seed: int
    reviewers: tuple[str, ...]
    works: int
    protocol_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "run",
            "run": self.run,
            "time": self.time,
            "stage": self.stage,
            "mode": self.mode,
            "overlap": self.overlap,
            "seed": self.seed,
            "reviewers": list(self.reviewers),
            "works": self.works,
            "protocol_hash": self.protocol_hash,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        overlap = data.get("overlap", 0.0)
        if isinstance(overlap, bool) or not isinstance(overlap, int | float):
            raise TypeError(f"field 'overlap' must be a number, got {overlap!r}")
        return cls(
            run=field_of(data, "run", str),
            time=field_of(data, "time", str),
            stage=field_of(data, "stage", str, choices=STAGES),
            mode=field_of(data, "mode", str, choices=MODES),
            overlap=float(overlap),
            seed=field_of(data, "seed", int),
            reviewers=field_of(data, "reviewers", list),
            works=field_of(data, "works", int),
            protocol_hash=field_of(data, "protocol_hash", str, ""),
        )


@dataclass
class Assignment:
    """The shares at one stage: work id -> its reviewers, and the works all of them screen."""

    stage: str
    runs: list[Run] = field(default_factory=list)
    reviewers_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    overlap: set[str] = field(default_factory=set)
    doubled: int = 0  # works assigned by two merged runs (the earliest run's line is kept)

    @property
    def last(self) -> Run:
        return self.runs[-1]

    @property
    def reviewers(self) -> list[str]:
        """Every reviewer any run named, in the order they were first named."""
        return list(dict.fromkeys(name for run in self.runs for name in run.reviewers))

    def share(self, reviewer: str) -> set[str]:
        """The work ids assigned to a reviewer (the overlap sample included)."""
        return {w for w, names in self.reviewers_of.items() if reviewer in names}

    def shares(self) -> dict[str, set[str]]:
        """reviewer -> their work ids, for every reviewer named."""
        out: dict[str, set[str]] = {name: set() for name in self.reviewers}
        for wid, names in self.reviewers_of.items():
            for name in names:
                out.setdefault(name, set()).add(wid)
        return out


def read_assignment(
    review: Review, index: Mapping[str, str] | None = None, stage: str = STAGE
) -> Assignment | None:
    """The assignment at a stage (None: never assigned), work ids mapped through `index`
    (record index of today's works) so a later `slr dedupe` keeps every share."""
    path = review.store.assignment_file
    if not path.exists():
        return None
    entries = review.entries(path, _entry, "assignment line")
    runs = sorted({e for e in entries if isinstance(e, Run) and e.stage == stage}, key=_run_key)
    if not runs:
        return None
    order = {run.run: i for i, run in enumerate(runs)}
    shares = sorted(
        (e for e in entries if isinstance(e, Share) and e.run in order),
        key=lambda e: (order[e.run], e.reviewers),
    )
    out = Assignment(stage, runs)
    for share in shares:  # earliest run first: a work a later (merged) run assigned again
        for given in share.work_ids:  # keeps the reviewers it had
            wid = given if index is None else index.get(given)
            if wid is None:  # a record no longer in works.jsonl
                continue
            if wid in out.reviewers_of:
                out.doubled += 1
                continue
            out.reviewers_of[wid] = share.reviewers
            if share.overlap:
                out.overlap.add(wid)
    return out


def _run_key(run: Run) -> tuple[str, str, int, tuple[str, ...]]:
    return (run.time, run.run, run.seed, run.reviewers)


@dataclass(frozen=True)
class Share:
    """The works one run gave to one group of reviewers (all of them: the overlap)."""

    run: str
    reviewers: tuple[str, ...]
    work_ids: tuple[str, ...]
    overlap: bool = False

    def to_dict(self, stage: str) -> dict[str, Any]:
        return {
            "kind": "share",
            "run": self.run,
            "stage": stage,
            "reviewers": list(self.reviewers),
            "overlap": self.overlap,
            "works": len(self.work_ids),
            "work_ids": list(self.work_ids),
        }


def _entry(data: dict[str, Any]) -> Run | Share:
    if field_of(data, "kind", str, choices=("run", "share")) == "run":
        return Run.from_dict(data)
    return Share(
        field_of(data, "run", str),
        field_of(data, "reviewers", list),
        field_of(data, "work_ids", list),
        field_of(data, "overlap", bool, False),
    )


# ---------------------------------------------------------------- allocation


def allocate(
    work_ids: Sequence[str],
    reviewers: Sequence[str],
    mode: str,
    overlap: float,
    seed: int,
    before: Assignment | None = None,
) -> list[tuple[str, tuple[str, ...], bool]]:
    """(work id, its reviewers, in the overlap sample) for each new work, from the seed.

    The new works are shuffled with the seed. `overlap`: the first of them go to everyone,
    as many as bring the whole assignment's overlap share to `overlap`; the others one by
    one to the reviewer with the fewest own works (ties: the first named). `dual`: each
    work to the least-loaded reviewer and, of the others, the least-loaded one they have
    been paired with least. Reviewers' works from `before` count, so shares stay equal.
    """
    ids = list(work_ids)
    random.Random(seed).shuffle(ids)
    names = tuple(reviewers)
    rank = {name: i for i, name in enumerate(names)}
    old = before.reviewers_of if before else {}
    out: list[tuple[str, tuple[str, ...], bool]] = []
    if mode == "dual":
        load = Counter({n: 0 for n in names})
        met: Counter[tuple[str, str]] = Counter()
        for given in old.values():
            mine = [n for n in given if n in rank]
            load.update(mine)
            if len(mine) == 2:
                met[_pair(mine[0], mine[1], rank)] += 1
        for wid in ids:
            first = min(names, key=lambda n: (load[n], rank[n]))
            second = min(
                (n for n in names if n != first),
                key=lambda n: (load[n], met[_pair(first, n, rank)], rank[n]),
            )
            pair = _pair(first, second, rank)
            load[first] += 1
            load[second] += 1
            met[pair] += 1
            out.append((wid, pair, False))
        return out
    shared = len(before.overlap) if before else 0
    total = len(old) + len(ids)
    n_shared = min(max(math.floor(overlap * total + 0.5) - shared, 0), len(ids))
    out += [(wid, names, True) for wid in ids[:n_shared]]
    own = Counter(
        given[0]
        for w, given in old.items()
        if before and w not in before.overlap and len(given) == 1 and given[0] in rank
    )
    heap = [(own[n], rank[n], n) for n in names]
    heapq.heapify(heap)
    for wid in ids[n_shared:]:
        count, i, name = heap[0]
        heapq.heapreplace(heap, (count + 1, i, name))
        out.append((wid, (name,), False))
    return out


def _pair(a: str, b: str, rank: dict[str, int]) -> tuple[str, str]:
    return (a, b) if rank[a] < rank[b] else (b, a)


# ---------------------------------------------------------------- `slr assign`


@dataclass(frozen=True)
class AssignResult:
    """What one `slr assign` did (nothing new: `run` is None) and the shares after it."""

    run: Run | None
    new: int
    new_overlap: int
    assignment: Assignment
    unassigned: int  # works of the queue in no share (none right after a run)
    unapplied: tuple[str, ...] = ()  # options given that differ from the shares' (nothing new)


def default_seed(review: Review) -> int:
    """The seed when none is given: stable per review, so a re-run gives the same shares."""
    return zlib.crc32(review.protocol.id.encode("utf-8"))


def check_names(review: Review, names: Sequence[str], option: str = "--reviewers") -> list[str]:
    """The protocol's spelling of each name (case-insensitive); two or more, all distinct."""
    from slr.decisions import log_name

    listed = review.protocol.reviewers
    if not listed:
        raise AssignError(
            f"{review.protocol.path}: review.reviewers is empty; list the reviewers there "
            f'(e.g. reviewers = ["alice", "bob"]) before `slr assign` or `slr calibrate`'
        )
    try:  # the option the user typed is named in the error (not `--reviewer`)
        resolved = [log_name(n, listed, (), "reviewer", option) for n in names if n.strip()]
    except SlrError as exc:
        raise AssignError(str(exc)) from None
    twice = [n for n, k in Counter(resolved).items() if k > 1]
    if twice:
        raise AssignError(f"{option}: {', '.join(twice)} named twice; name each reviewer once")
    if len(resolved) < 2:
        raise AssignError(
            f"{option}: give two or more reviewers (the protocol lists {', '.join(listed)})"
        )
    return resolved


def decided_by(review: Review, works: list[Any]) -> dict[str, set[str]]:
    """work id -> the reviewers with a standing title-abstract decision on it (not --auto)."""
    from slr.decisions import AUTO_REVIEWER
    from slr.screen.state import stage_states

    out: dict[str, set[str]] = {}
    for who, decided in stage_states(review, works)[STAGE].reviews.items():
        if who != AUTO_REVIEWER:
            for wid in decided:
                out.setdefault(wid, set()).add(who)
    return out


def assign(
    review: Review,
    reviewers: Sequence[str] | None = None,
    mode: str | None = None,
    overlap: float | None = None,
    seed: int | None = None,
) -> AssignResult:
    """Assign the title-abstract queue's works that no run assigned yet (see module doc).

    What is not given comes from the last run (a plain `slr assign` after a refresh), else
    the protocol's reviewers, `overlap` mode with 20% overlap, and `default_seed`.
    """
    from slr.screen.state import stage_pool
    from slr.works import load_works, record_index

    works = load_works(review)
    before = read_assignment(review, record_index(works))
    last = before.last if before else None
    if mode is not None and mode not in MODES:
        raise AssignError(f"unknown mode {mode!r}; use {' or '.join(MODES)}")
    if last and mode and mode != last.mode:
        raise AssignError(
            f"{review.store.assignment_file}: the works are assigned in {last.mode} mode; "
            f"new works are assigned the same way (leave out --dual/--overlap)"
        )
    mode = mode or (last.mode if last else "overlap")
    if mode == "dual" and overlap:
        raise AssignError("--overlap goes with single screening; --dual gives every work to two")
    if overlap is None:
        overlap = last.overlap if last else (0.0 if mode == "dual" else DEFAULT_OVERLAP)
    if not 0 <= overlap <= 1 or math.isnan(overlap):
        raise AssignError(f"--overlap {overlap}: give a fraction from 0 to 1, e.g. 0.2")
    if reviewers:
        names = check_names(review, reviewers)
    elif last:
        names = check_names(review, last.reviewers)
    else:
        names = check_names(review, review.protocol.reviewers, "review.reviewers")
    seed = seed if seed is not None else (last.seed if last else default_seed(review))
    pool = [w.work_id for w in stage_pool(review, STAGE, works)]
    assigned = before.reviewers_of if before else {}
    new = [w for w in pool if w not in assigned]
    if not new:
        empty = before or Assignment(STAGE)
        return AssignResult(None, 0, 0, empty, 0, _unapplied(last, names, overlap, seed))
    # a work someone already decided stays with whoever decided it: given to others, those
    # decisions would stop counting without a word
    deciders = decided_by(review, works)
    kept = [(w, tuple(sorted(deciders[w])), False) for w in new if w in deciders]
    open_ = [w for w in new if w not in deciders]
    lines = kept + (allocate(open_, names, mode, overlap, seed, before) if open_ else [])
    time = now_iso()
    number = len(before.runs) + 1 if before else 1
    run = Run(
        f"{number}:{time}",
        time,
        STAGE,
        mode,
        overlap,
        seed,
        tuple(names),
        len(lines),
        review.protocol.hash,
    )
    groups: dict[tuple[tuple[str, ...], bool], list[str]] = {}
    for wid, given, shared in lines:
        groups.setdefault((given, shared), []).append(wid)
    shares = [Share(run.run, given, tuple(ids), shared) for (given, shared), ids in groups.items()]
    review.store.ensure()
    append_jsonl(review.store.assignment_file, run.to_dict(), *(s.to_dict(STAGE) for s in shares))
    after = before or Assignment(STAGE)
    after.runs.append(run)
    for wid, given, shared in lines:
        after.reviewers_of[wid] = given
        if shared:
            after.overlap.add(wid)
    left = sum(1 for w in pool if w not in after.reviewers_of)
    return AssignResult(run, len(lines), sum(1 for _, _, s in lines if s), after, left)


def _unapplied(
    last: Run | None, names: Sequence[str], overlap: float, seed: int
) -> tuple[str, ...]:
    """The settings given for this run that differ from the last run's: with nothing new to
    assign they change nothing, and the user is told so rather than left to assume they did."""
    if last is None:
        return ()
    out = []
    if list(names) != list(last.reviewers):
        out.append(f"--reviewers {','.join(names)}")
    if overlap != last.overlap:
        out.append(f"--overlap {overlap:g}")
    if seed != last.seed:
        out.append(f"--seed {seed}")
    return tuple(out)


def format_assign(result: AssignResult) -> str:
    """What `slr assign` prints: the run and each reviewer's share."""
    a = result.assignment
    lines = _runs(result)
    if a.doubled:
        lines.append(
            f"note: {a.doubled} work(s) were assigned by two merged runs; the earlier run's "
            "reviewers are kept"
        )
    return "\n".join(lines)


def _runs(result: AssignResult) -> list[str]:
    a = result.assignment
    if result.run is None:
        if not a.runs:
            return ["no works to assign: the title-abstract queue is empty"]
        lines = [
            f"nothing new to assign: all {len(a.reviewers_of)} works of the queue are assigned"
        ]
        if result.unapplied:
            last = a.last
            lines.append(
                f"not applied: {', '.join(result.unapplied)}; existing shares never change "
                f"(they stay with {', '.join(last.reviewers)}, seed {last.seed}"
                + (f", overlap {last.overlap:.0%}" if last.mode == "overlap" else "")
                + "); give them again once new works arrive to assign those with them"
            )
        return lines
    run = result.run
    how = (
        "each to two reviewers"
        if run.mode == "dual"
        else f"{result.new_overlap} to every reviewer (overlap {run.overlap:.0%}), "
        f"the other {result.new - result.new_overlap} to one each"
    )
    lines = [f"assigned {result.new} new works at {a.stage} (seed {run.seed}): {how}"]
    shares = a.shares()
    for name in a.reviewers:
        mine = shares.get(name, set())
        both = len(mine & a.overlap)
        lines.append(
            f"  {name}: {len(mine)} works" + (f" ({both} of them in the overlap)" if both else "")
        )
    lines.append(
        f"{len(a.reviewers_of)} works assigned in all; commit assignment.jsonl so every "
        "clone screens the same shares (`slr screen --reviewer NAME`)"
    )
    return lines
