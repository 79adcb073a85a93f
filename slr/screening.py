"""Screening: automatic criteria, a reviewer's queue, final decisions, conflicts and resolution.

Every decision is one line in its reviewer's log (slr.decisions), written and fsynced
before the next work is drawn. A reviewer's queue lives in memory for the whole session,
so a keystroke costs one append, never a re-read of the corpus or the logs.

Final decision on a work at a stage: the automatic exclusion (title-abstract only), else
the resolution (`slr resolve`, log `resolved`), else the reviewers' agreed decision.
Reviewers agree when their decisions fall in the same category: at title-abstract
"include" and "maybe" both send a work to full text (the final is "maybe" if anyone was
unsure, and an agreed exclusion carries every criterion given); at full text each of
include, maybe, not-retrieved and "exclude for these criteria" is its own category,
since PRISMA reports full-text exclusions by reason. When the protocol names two or more
reviewers, a work needs a decision from each of them before it is final.
"""

from __future__ import annotations

import gc
import random
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path
from types import MappingProxyType
from typing import Any

from slr.decisions import AUTO_REVIEWER, STAGES, Decision, read_log, record_decision, reviewers
from slr.decisions import stacks as decision_stacks
from slr.errors import SlrError
from slr.progress import progress
from slr.protocol import Protocol, Rule
from slr.records import Record
from slr.review import Review
from slr.works import Work, load_works, record_index, resolve_work_id

RESOLVED_REVIEWER = "resolved"  # the log of `slr resolve`
RESERVED = (AUTO_REVIEWER, RESOLVED_REVIEWER)
COUNTED = ("include", "exclude", "maybe", "not-retrieved")  # skip and undo are not decisions
YEARS = "years"  # the criterion id of the protocol's year range


class ScreeningError(SlrError):
    """A screening action cannot be done (no works, bad reviewer, missing criterion...)."""


# ---------------------------------------------------------------- automatic criteria


def auto_rules(protocol: Protocol) -> list[tuple[str, Rule]]:
    """(criterion id, rule) for every machine-checkable criterion, and the year range."""
    rules = [(c.id, c.require) for c in protocol.criteria if c.require is not None]
    if protocol.search.years:
        rules.append((YEARS, Rule(years=protocol.search.years)))
    return rules


def check_rule(rule: Rule, record: Record) -> bool | None:
    """True when the record meets the rule, False when it fails, None when metadata is missing."""
    verdicts: list[bool | None] = []
    if rule.types:
        verdicts.append(None if record.type is None else record.type in rule.types)
    if rule.languages:
        lang = record.language
        verdicts.append(None if lang is None else lang in rule.languages)
    if rule.years:
        year = record.year
        verdicts.append(None if year is None else rule.years[0] <= year <= rule.years[1])
    if False in verdicts:
        return False
    return None if None in verdicts else True


def auto_verdict(rules: Sequence[tuple[str, Rule]], record: Record) -> tuple[list[str], bool]:
    """The criterion ids a record fails, and whether some rule could not be decided."""
    failed, undecidable = [], False
    for cid, rule in rules:
        verdict = check_rule(rule, record)
        if verdict is False:
            failed.append(cid)
        elif verdict is None:
            undecidable = True
    return failed, undecidable


def auto_screen(review: Review, quiet: bool = True) -> dict[str, Any]:
    """Apply the protocol's machine rules at title-abstract; idempotent (only changes are logged).

    A work failing a rule is excluded by reviewer "auto" with the failing criterion ids; a
    work whose metadata is missing for a rule it does not fail is left for humans. When the
    protocol changed so that an earlier automatic exclusion no longer holds, it is undone.
    A new exclusion of a work a person already included (or marked maybe) is listed in
    `overridden`: the rule wins, but nobody should learn that from a PRISMA count.
    """
    works = _require_works(review)
    rules = auto_rules(review.protocol)
    stage = STAGES[0]
    stacks = _stacks(_mapped_log(review, AUTO_REVIEWER, record_index(works)), stage)
    summary: dict[str, Any] = {
        "works": len(works),
        "rules": [cid for cid, _ in rules],
        "excluded": 0,
        "new": 0,
        "withdrawn": 0,
        "undecidable": 0,
        "per_criterion": Counter(),
        "overridden": [],
    }
    human: dict[str, dict[str, tuple[int, Decision]]] | None = None  # read on first need
    for work in progress(works, "auto-screening", quiet=quiet, length=len(works)):
        failed, undecidable = auto_verdict(rules, work.canonical)
        stack = stacks.get(work.work_id, [])
        standing = stack[-1] if stack else None
        if failed:
            summary["excluded"] += 1
            summary["per_criterion"].update(failed)
            if standing is None or standing.criteria != tuple(failed):
                record_decision(
                    review, Decision(AUTO_REVIEWER, stage, work.work_id, "exclude", tuple(failed))
                )
                summary["new"] += 1
                if human is None:
                    logs = _load_logs(review, works)
                    logs.pop(AUTO_REVIEWER, None)
                    human = {name: _standing(log, stage) for name, log in logs.items()}
                for name, decided in human.items():
                    d = decided.get(work.work_id, (0, None))[1]
                    if d is not None and d.decision in ("include", "maybe"):
                        summary["overridden"].append(
                            {"work_id": work.work_id, "reviewer": name, "decision": d.decision}
                            | {"criteria": list(failed)}
                        )
            continue
        if undecidable:
            summary["undecidable"] += 1
        for _ in stack:  # an exclusion that no longer holds: withdraw every layer of it
            record_decision(review, Decision(AUTO_REVIEWER, stage, work.work_id, "undo"))
        summary["withdrawn"] += bool(stack)
    summary["per_criterion"] = dict(summary["per_criterion"])
    return summary


# ---------------------------------------------------------------- reading the logs


def _require_works(review: Review) -> list[Work]:
    works = load_works(review)
    if not works:
        raise ScreeningError(
            f"{review.store.works_file}: no works to screen; run `slr dedupe` first"
        )
    return works


def _mapped_log(review: Review, reviewer: str, index: dict[str, str]) -> list[Decision]:
    """A reviewer's log with every work id mapped to the work that holds its record now."""
    out = []
    for d in read_log(review, reviewer):
        wid = resolve_work_id(d.work_id, index)
        if wid is not None:  # a record no longer in works.jsonl: nothing to attach it to
            out.append(d if wid == d.work_id else replace(d, work_id=wid))
    return out


def _stacks(log: Iterable[Decision], stage: str) -> dict[str, list[Decision]]:
    """work id -> the reviewer's decisions still standing (undo pops), oldest first."""
    return {w: [d for _, d in s] for w, s in decision_stacks(log, stage, skips=False).items()}


def _standing(log: Sequence[Decision], stage: str) -> dict[str, tuple[int, Decision]]:
    """work id -> (position in the log, standing decision) for counted decisions."""
    found = decision_stacks(log, stage, skips=False)
    return {w: s[-1] for w, s in found.items() if s and s[-1][1].decision in COUNTED}


def human_reviewers(review: Review) -> list[str]:
    """Reviewers with a log, without the automatic and resolution logs."""
    return [r for r in reviewers(review) if r not in RESERVED]


def check_reviewer(name: str) -> str:
    """Refuse the reserved names so a person never writes into the auto or resolution log."""
    if name.strip() in RESERVED:
        raise ScreeningError(
            f"reviewer name {name!r} is reserved for slr; choose another with --reviewer"
        )
    return name.strip()


# ---------------------------------------------------------------- final decisions


@dataclass
class StageState:
    """Everything decided about one stage, from all logs (read once)."""

    stage: str
    pool: list[Work]
    auto: dict[str, Decision]
    reviews: dict[str, dict[str, Decision]]  # reviewer -> work id -> standing decision
    resolved: dict[str, Decision]
    final: dict[str, Decision]
    order: dict[str, tuple[str, int]]  # work id -> (time, position): when it became final
    disagreements: dict[str, dict[str, Decision]]
    conflicts: dict[str, dict[str, Decision]]


def _agreement_key(d: Decision, stage: str) -> tuple[str, ...]:
    if stage == STAGES[0]:
        return ("in",) if d.decision in ("include", "maybe") else (d.decision,)
    if d.decision == "exclude":
        return ("exclude", *sorted(d.criteria))
    return (d.decision,)


def _agreed(decisions: list[Decision], stage: str) -> Decision:
    latest = max(decisions, key=lambda d: d.time)
    if stage == STAGES[0]:
        if latest.decision in ("include", "maybe"):
            unsure = any(d.decision == "maybe" for d in decisions)
            return replace(latest, decision="maybe" if unsure else "include")
        criteria = list(dict.fromkeys(c for d in decisions for c in d.criteria))
        return replace(latest, criteria=tuple(criteria))
    return latest


def _stage_state(
    review: Review,
    stage: str,
    works: list[Work],
    logs: dict[str, list[Decision]],
    previous: StageState | None,
) -> StageState:
    if stage == STAGES[0]:
        pool = works
    else:
        assert previous is not None
        passed = {w for w, d in previous.final.items() if d.decision in ("include", "maybe")}
        pool = [w for w in works if w.work_id in passed]
    in_pool = {w.work_id for w in pool}
    standing = {name: _standing(log, stage) for name, log in logs.items()}
    auto = {}
    if stage == STAGES[0]:
        auto = {
            w: d for w, (_, d) in standing.pop(AUTO_REVIEWER, {}).items() if d.decision == "exclude"
        }
    else:
        standing.pop(AUTO_REVIEWER, None)
    resolved_pos = standing.pop(RESOLVED_REVIEWER, {})
    resolved = {w: d for w, (_, d) in resolved_pos.items() if w in in_pool}
    required = set(review.protocol.reviewers) if len(review.protocol.reviewers) >= 2 else set()
    state = StageState(stage, pool, {}, {}, resolved, {}, {}, {}, {})
    for name, decided in standing.items():
        state.reviews[name] = {w: d for w, (_, d) in decided.items() if w in in_pool}
    for work in pool:
        wid = work.work_id
        if wid in auto:
            state.auto[wid] = auto[wid]
            state.final[wid] = auto[wid]
            state.order[wid] = (auto[wid].time, 0)
            continue
        given = {name: decided[wid] for name, decided in state.reviews.items() if wid in decided}
        keys = {_agreement_key(d, stage) for d in given.values()}
        if len(keys) > 1:
            state.disagreements[wid] = given
            if wid not in resolved:
                state.conflicts[wid] = given
        if wid in resolved:
            state.final[wid] = resolved[wid]
            state.order[wid] = (resolved[wid].time, resolved_pos[wid][0])
        elif len(keys) == 1 and required <= set(given):
            final = _agreed(list(given.values()), stage)
            state.final[wid] = final
            name = max(given, key=lambda n: given[n].time)
            state.order[wid] = (final.time, standing[name][wid][0])
    return state


def _load_logs(review: Review, works: list[Work]) -> dict[str, list[Decision]]:
    index = record_index(works)
    return {name: _mapped_log(review, name, index) for name in reviewers(review)}


def stage_states(review: Review, works: list[Work] | None = None) -> dict[str, StageState]:
    """Both stages' states, from one read of works.jsonl and the logs."""
    works = load_works(review) if works is None else works
    logs = _load_logs(review, works)
    first = _stage_state(review, STAGES[0], works, logs, None)
    second = _stage_state(review, STAGES[1], works, logs, first)
    return {STAGES[0]: first, STAGES[1]: second}


def _check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise ScreeningError(f"unknown stage {stage!r}; use one of: {', '.join(STAGES)}")
    return stage


def final_decisions(review: Review, stage: str) -> dict[str, Decision]:
    """work id -> the final decision at a stage; works in conflict or still open are absent."""
    return stage_states(review)[_check_stage(stage)].final


def conflicts(review: Review, stage: str) -> dict[str, dict[str, Decision]]:
    """work id -> each reviewer's decision, for works the reviewers disagree on, unresolved."""
    return stage_states(review)[_check_stage(stage)].conflicts


def included_works(review: Review, stage: str = "full-text") -> list[Work]:
    """The works finally included at a stage, in the order they were included ("maybe" is not)."""
    works = load_works(review)
    state = stage_states(review, works)[_check_stage(stage)]
    by_id = {w.work_id: w for w in works}
    ids = [w for w, d in state.final.items() if d.decision == "include"]
    return [by_id[w] for w in sorted(ids, key=lambda w: state.order[w])]


def independent_decisions(review: Review, stage: str) -> dict[str, dict[str, Decision]]:
    """reviewer -> work id -> their own standing decision (pre-consensus), for agreement."""
    state = stage_states(review)[_check_stage(stage)]
    return {name: decided for name, decided in state.reviews.items() if decided}


def screening_counts(review: Review) -> dict[str, dict[str, Any]]:
    """Per stage: works in the stage, to screen, included, excluded per criterion, maybe, conflicts."""
    works = load_works(review)
    out = {}
    order = [c.id for c in review.protocol.criteria] + [YEARS]
    for stage, state in stage_states(review, works).items():
        decided = Counter(d.decision for d in state.final.values())
        per: Counter[str] = Counter()
        for d in state.final.values():
            if d.decision == "exclude":
                per.update(d.criteria or ("unspecified",))
        out[stage] = {
            "works": len(state.pool),
            "to_screen": len(state.pool) - len(state.final) - len(state.conflicts),
            "included": decided["include"],
            "maybe": decided["maybe"],
            "excluded": decided["exclude"],
            "excluded_auto": len(state.auto),
            "excluded_per_criterion": dict(
                sorted(per.items(), key=lambda kv: (order + [kv[0]]).index(kv[0]))
            ),
            "not_retrieved": decided["not-retrieved"],
            "conflicts": len(state.conflicts),
            "recall": _recall(state),
        }
    return out


def _recall(state: StageState) -> dict[str, Any]:
    """The stopping statement for the human-screened part of a stage (see slr.stopping)."""
    from slr.stopping import labels_in_order, recall_bound, recall_status

    human = [d for w, d in state.final.items() if w not in state.auto]
    labels = labels_in_order(human)
    total = len(state.pool) - len(state.auto)
    status = recall_status(labels, total)
    return {
        "text": status.text(),
        "can_stop": status.can_stop,
        "p_value": status.p_value,
        "recall_lower_bound_95": recall_bound(labels, total),
    }


# ---------------------------------------------------------------- order of the queue

# An ordering takes the stage's works (protocol order) and the reviewer's standing decisions
# and returns the works in the order to screen them; it may be called again between draws.
Ordering = Callable[[Sequence[Work], Mapping[str, Decision]], list[Work]]


def protocol_order(works: Sequence[Work], decided: Mapping[str, Decision]) -> list[Work]:
    """The order of works.jsonl (the order their first record was added)."""
    return list(works)


def random_order(seed: int) -> Ordering:
    """A shuffled order that the same seed always reproduces."""

    def order(works: Sequence[Work], decided: Mapping[str, Decision]) -> list[Work]:
        shuffled = list(works)
        random.Random(seed).shuffle(shuffled)
        return shuffled

    return order


def default_seed(reviewer: str) -> int:
    """A seed stable per reviewer, so each reviewer keeps one order and two reviewers differ."""
    return zlib.crc32(reviewer.encode("utf-8"))


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def ranked_order(review: Review, stage: str, reviewer: str, seed: int = 0) -> Ordering:
    """Prioritised screening (slr.ranking): undecided works by predicted relevance.

    Re-ranks after every decision (on large reviews: adopts the latest ranking finished by
    the model's own process); each decision stores the model, its settings and the
    training-set size (`ranking` in the log line) so any ranking can be reproduced.
    """
    from slr.ranking import BACKGROUND_FROM, RERANK_EVERY, WorkRanker

    large = (
        review.store.works_file.exists()
        and _count_lines(review.store.works_file) >= BACKGROUND_FROM
    )
    ranker = WorkRanker(review.protocol.known_relevant, seed, background=large)

    def order(works: Sequence[Work], decided: Mapping[str, Decision]) -> list[Work]:
        return ranker(works, decided)

    order.rerank_every = RERANK_EVERY  # type: ignore[attr-defined]
    order.decision_extra = ranker.decision_extra  # type: ignore[attr-defined]
    order.ranker = ranker  # type: ignore[attr-defined]
    return order


def ordering(
    name: str, review: Review, stage: str, reviewer: str, seed: int | None = None
) -> Ordering:
    """The ordering function for `--order protocol|random|ranked`."""
    if name == "protocol":
        return protocol_order
    if name == "random":
        return random_order(default_seed(reviewer) if seed is None else seed)
    if name == "ranked":
        return ranked_order(review, stage, reviewer, 0 if seed is None else seed)
    raise ScreeningError(f"unknown order {name!r}; use protocol, random or ranked")


# ---------------------------------------------------------------- a screening session


class Session:
    """One reviewer screening one stage: the queue, their standing decisions, undo and back.

    Only this reviewer's log is read (blind by construction). Each decision is recorded
    (fsynced) before `current` moves on. `skip` is not written: a skipped work stays
    undecided and comes back after the others, and first on the next run.
    """

    def __init__(
        self,
        review: Review,
        reviewer: str,
        stage: str,
        works: Sequence[Work],
        log: Iterable[Decision],
        order: Ordering = protocol_order,
        extra: Mapping[str, Any] | None = None,
        context: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.review = review
        self.reviewer = reviewer
        self.stage = _check_stage(stage)
        self.extra = dict(extra or {})
        self.context = dict(context or {})  # work id -> lines shown with it (e.g. in resolve)
        self.criteria = [c.id for c in review.protocol.exclusion]
        self._order = order
        self._rerank_every = int(getattr(order, "rerank_every", 0) or 0)
        self._since_rerank = 0
        self._base = list(works)
        in_pool = {w.work_id for w in self._base}
        self._in_pool = in_pool
        self.stacks: dict[str, list[Decision]] = {}
        self.history: list[str] = []  # work ids in the order their standing decisions were made
        for d in log:
            if d.stage != stage or d.decision == "skip" or d.work_id not in in_pool:
                continue
            stack = self.stacks.setdefault(d.work_id, [])
            if d.decision == "undo":
                if stack:
                    stack.pop()
                    _remove_last(self.history, d.work_id)
            else:
                stack.append(d)
                self.history.append(d.work_id)
        # work id -> standing decision, kept up to date so a re-ranking never rebuilds it
        self._decided: dict[str, Decision] = {w: s[-1] for w, s in self.stacks.items() if s}
        self.counts: Counter[str] = Counter(d.decision for d in self._decided.values())
        self.skipped: set[str] = set()
        self.notes: dict[str, str] = {}
        self.works: list[Work] = []
        self.position: dict[str, int] = {}
        self._arrange(order(self._base, MappingProxyType(self._decided)))
        self.index: int | None = self._find(-1)

    # state -----------------------------------------------------------------
    def _arrange(self, ordered: list[Work]) -> bool:
        """Adopt a new order; False when the ordering handed back the one already in use."""
        if ordered is self.works:  # e.g. a background ranking that has not finished yet
            return False
        self.works = ordered
        # a background ranking brings its index along (slr.ranking.Ordered)
        position = getattr(ordered, "position", None)
        self.position = position or {w.work_id: i for i, w in enumerate(ordered)}
        return True

    def decided_map(self) -> dict[str, Decision]:
        """work id -> this reviewer's standing decision (a copy)."""
        return dict(self._decided)

    def decision_on(self, work_id: str) -> Decision | None:
        """This reviewer's standing decision on a work, if any."""
        stack = self.stacks.get(work_id)
        return stack[-1] if stack else None

    def is_decided(self, work_id: str) -> bool:
        """A counted decision stands on the work (skip is not a decision)."""
        return bool(self.stacks.get(work_id))

    @property
    def current(self) -> Work | None:
        """The work on screen, or None when everything is decided."""
        return None if self.index is None else self.works[self.index]

    @property
    def done(self) -> int:
        """Works in the queue with a standing decision."""
        return sum(self.counts[d] for d in COUNTED)

    @property
    def total(self) -> int:
        """Works in the queue."""
        return len(self.works)

    def _find(self, after: int) -> int | None:
        """The first undecided, not skipped work after `after`, wrapping; then skipped ones."""
        n = len(self.works)
        for i in chain(range(after + 1, n), range(0, min(after + 1, n))):
            wid = self.works[i].work_id
            if not self.stacks.get(wid) and wid not in self.skipped:
                return i
        if self.skipped:  # only skipped ones remain: offer them again, in queue order
            self.skipped.clear()
            return self._find(-1)
        return None

    # actions ---------------------------------------------------------------
    def decide(self, decision: str, criteria: Sequence[str] = ()) -> Decision:
        """Record a decision on the current work (fsynced), then move to the next undecided."""
        work = self.current
        if work is None:
            raise ScreeningError("nothing to decide: every work of this stage has a decision")
        if decision not in COUNTED:
            raise ScreeningError(f"unknown decision {decision!r}; use one of {', '.join(COUNTED)}")
        if decision == "not-retrieved" and self.stage != STAGES[1]:
            raise ScreeningError("'not retrieved' is a full-text decision; use --stage full-text")
        if decision == "exclude":
            for cid in criteria:
                self.review.protocol.criterion(cid)  # raises on an unknown id
            if self.stage == STAGES[1] and not criteria:
                raise ScreeningError("a full-text exclusion needs a criterion (keys 1-9 = EC1-EC9)")
        elif criteria:
            raise ScreeningError(f"criteria go with 'exclude', not with {decision!r}")
        extra = dict(self.extra)
        extra_fn = getattr(self._order, "decision_extra", None)
        if callable(extra_fn):  # e.g. the ranking model that put this work here
            extra.update(extra_fn())
        stamped = record_decision(
            self.review,
            Decision(
                self.reviewer,
                self.stage,
                work.work_id,
                decision,
                tuple(criteria),
                note=self.notes.pop(work.work_id, ""),
                extra=extra,
            ),
        )
        self._push(stamped)
        self.skipped.discard(work.work_id)
        # after a new ranking the best-ranked open work comes next, else the next in the queue
        if self._maybe_rerank():
            self.index = self._find(getattr(self.works, "first_open", 0) - 1)
        else:
            self.index = self._find(self.position[work.work_id])
        return stamped

    def _push(self, d: Decision) -> None:
        stack = self.stacks.setdefault(d.work_id, [])
        if stack:
            self.counts[stack[-1].decision] -= 1
        stack.append(d)
        self._decided[d.work_id] = d
        self.counts[d.decision] += 1
        self.history.append(d.work_id)

    def skip(self) -> None:
        """Leave the current work undecided for now and draw the next one."""
        work = self.current
        if work is None:
            return
        if not self.is_decided(work.work_id):
            self.skipped.add(work.work_id)
        self.index = self._find(self.position[work.work_id])

    def note(self, text: str) -> None:
        """Attach a note to the current work; it is written with the next decision on it."""
        if self.current is not None:
            self.notes[self.current.work_id] = text.strip()

    def undo(self) -> Decision | None:
        """Withdraw this reviewer's latest standing decision (an `undo` line) and show that work."""
        while self.history:
            wid = self.history.pop()
            stack = self.stacks.get(wid)
            if not stack:
                continue
            undone = stack.pop()
            self.counts[undone.decision] -= 1
            if stack:
                self.counts[stack[-1].decision] += 1
                self._decided[wid] = stack[-1]
            else:
                del self._decided[wid]
            record_decision(self.review, Decision(self.reviewer, self.stage, wid, "undo"))
            if wid in self.position:
                self.index = self.position[wid]
            return undone
        return None

    def back(self) -> None:
        """Show the work before the current one in the queue (to look at or change it)."""
        if not self.works:
            return
        self.index = len(self.works) - 1 if self.index is None else max(self.index - 1, 0)

    def rerank(self) -> None:
        """Ask the ordering again (e.g. a retrained ranking); the current work stays on screen."""
        current = self.current
        self._arrange(self._order(self._base, MappingProxyType(self._decided)))
        self._since_rerank = 0
        self.index = self.position[current.work_id] if current else self._find(-1)

    def _maybe_rerank(self) -> bool:
        """Ask the ordering again every `rerank_every` decisions; True if the order changed."""
        if not self._rerank_every:
            return False
        self._since_rerank += 1
        if self._since_rerank < self._rerank_every:
            return False
        self._since_rerank = 0
        # a read-only view, not a copy: an ordering that keeps it must copy it (WorkRanker does)
        return self._arrange(self._order(self._base, MappingProxyType(self._decided)))


def _remove_last(items: list[str], value: str) -> None:
    for i in range(len(items) - 1, -1, -1):
        if items[i] == value:
            del items[i]
            return


def stage_pool(review: Review, stage: str, works: list[Work] | None = None) -> list[Work]:
    """The works a human screens at a stage (protocol order): not auto-excluded / passed the first."""
    works = load_works(review) if works is None else works
    return _pool(review, _check_stage(stage), works, record_index(works), None)


def _pool(
    review: Review,
    stage: str,
    works: list[Work],
    index: dict[str, str],
    logs: dict[str, list[Decision]] | None,
) -> list[Work]:
    if stage == STAGES[0]:  # only the automatic log matters: no other reviewer's log is read
        auto_log = logs[AUTO_REVIEWER] if logs else _mapped_log(review, AUTO_REVIEWER, index)
        auto = {w for w, (_, d) in _standing(auto_log, stage).items() if d.decision == "exclude"}
        return [w for w in works if w.work_id not in auto]
    logs = _load_logs(review, works) if logs is None else logs
    first = _stage_state(review, STAGES[0], works, logs, None)
    return _stage_state(review, STAGES[1], works, logs, first).pool


def open_session(
    review: Review, reviewer: str, stage: str, order: Ordering = protocol_order
) -> Session:
    """A session for one reviewer at one stage, reading only their own log (and, at full text,
    the title-abstract decisions that decide which works reach it)."""
    reviewer = check_reviewer(reviewer)
    _check_stage(stage)
    works = _require_works(review)
    index = record_index(works)
    pool = _pool(review, stage, works, index, None)
    if not pool:
        raise ScreeningError(
            "no works to screen at full-text: nothing is included or maybe at title-abstract yet"
            if stage == STAGES[1]
            else "no works to screen: every work was excluded by the automatic criteria"
        )
    log = _mapped_log(review, reviewer, index)
    session = Session(review, reviewer, stage, pool, log, order)
    # the works and decisions live as long as the session: frozen, a full garbage collection
    # no longer walks them all (100-300 ms at 100,000 works) in the middle of a keystroke
    gc.freeze()
    return session


def open_resolution(
    review: Review, stage: str, resolver: str, method: str = "consensus"
) -> Session:
    """A session over the works the reviewers disagree on, writing to the `resolved` log."""
    if method not in ("consensus", "third-reviewer"):
        raise ScreeningError(f"unknown method {method!r}; use consensus or third-reviewer")
    works = _require_works(review)
    state = stage_states(review, works)[_check_stage(stage)]
    disputed = [w for w in state.pool if w.work_id in state.disagreements]
    if not state.conflicts:
        raise ScreeningError(f"no conflicts to resolve at {stage}")
    context = {
        wid: [f"{name}: {describe(d)}" for name, d in sorted(given.items())]
        for wid, given in state.disagreements.items()
    }
    log = _mapped_log(review, RESOLVED_REVIEWER, record_index(works))
    return Session(
        review,
        RESOLVED_REVIEWER,
        stage,
        disputed,
        log,
        extra={"resolver": resolver, "method": method},
        context=context,
    )


def describe(d: Decision) -> str:
    """`exclude (EC2, EC4)`, `include`, ... with the note when there is one."""
    text = d.decision + (f" ({', '.join(d.criteria)})" if d.criteria else "")
    return text + (f" - {d.note}" if d.note else "")
