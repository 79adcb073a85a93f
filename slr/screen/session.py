"""A reviewer's screening session: the order of the queue, the session, and opening one.

Every decision is one line in its reviewer's log (slr.decisions), written and fsynced
before the next work is drawn. A reviewer's queue lives in memory for the whole session,
so a keystroke costs one append, never a re-read of the corpus or the logs.

Apart from slr.screen.state (the state of all logs) because a session reads only its own
reviewer's log, and the screen and the latency benchmark need nothing else.
"""

from __future__ import annotations

import gc
import random
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain
from pathlib import Path
from types import MappingProxyType
from typing import Any

from slr.corpus import now_iso
from slr.decisions import STAGES, Decision, Note, record_decision, record_note, standing
from slr.fulltext import Retrieval, log_retrieval
from slr.review import Review
from slr.screen.calibrate import reviewer_queue
from slr.screen.state import (
    COUNTED,
    RESOLVED_REVIEWER,
    ScreeningError,
    check_stage,
    load_logs,
    mapped_log_and_notes,
    require_works,
    resolve_reviewer,
    retrieval_by_work,
    stage_states,
    stage_work_pool,
    study_view,
)
from slr.works import Work, record_index

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
    """Prioritised screening (slr.screen.ranking): undecided works by predicted relevance.

    Re-ranks after every decision (on large reviews: adopts the latest ranking finished by
    the model's own process); each decision stores the model, its settings and the
    training-set size (`ranking` in the log line) so any ranking can be reproduced.
    """
    from slr.screen.ranking import BACKGROUND_FROM, RERANK_EVERY, WorkRanker

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
    order.state = ranker.state  # type: ignore[attr-defined]
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
    (fsynced) before `current` moves on, and so is each note, on a line of its own, the
    moment it is entered. `skip` is not written: a skipped work stays undecided and comes
    back after the others, and first on the next run.
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
        notes: Iterable[Note] = (),
        attached: Mapping[str, list[tuple[str, Work]]] | None = None,
        retrieval: Mapping[str, str] | None = None,
        pdfs: Mapping[str, Retrieval] | None = None,
        served: str = "",
    ) -> None:
        self.review = review
        self.served = served  # the part of the stage this reviewer is served ("" = all)
        self.reviewer = reviewer
        self.stage = check_stage(stage)
        self.extra = dict(extra or {})
        self.context = dict(context or {})  # work id -> lines shown with it (e.g. in resolve)
        # work id -> the notices that follow it, as (relation, notice): shown under it
        self.attached = dict(attached or {})
        self.criteria = [c.id for c in review.protocol.exclusion]
        # full text: work id -> retrieved | not-retrieved (else not yet tried), and its PDF
        self.retrieval = dict(retrieval or {})
        self.pdfs = dict(pdfs or {})
        self._order = order
        self._rerank_every = int(getattr(order, "rerank_every", 0) or 0)
        self._since_rerank = 0
        self._base = list(works)
        in_pool = {w.work_id for w in self._base}
        self._in_pool = in_pool

        def key(d: Decision) -> str | None:
            keep = d.stage == stage and d.decision != "skip" and d.work_id in in_pool
            return d.work_id if keep else None

        replayed = standing(log, key, lambda d: d.decision == "undo")
        self.stacks: dict[str, list[Decision]] = {w: [d for _, d in s] for w, s in replayed.items()}
        # work ids in the order their standing decisions were made
        self.history: list[str] = [
            w for _, w in sorted((i, w) for w, s in replayed.items() for i, _ in s)
        ]
        # work id -> standing decision, kept up to date so a re-ranking never rebuilds it
        self._decided: dict[str, Decision] = {w: s[-1] for w, s in self.stacks.items() if s}
        self.counts: Counter[str] = Counter(d.decision for d in self._decided.values())
        self.skipped: set[str] = set()
        self.notes: dict[str, list[str]] = {}  # work id -> this reviewer's notes, oldest first
        for n in notes:
            if n.stage == stage and n.work_id in in_pool:
                self.notes.setdefault(n.work_id, []).append(n.text)
        # not retrieved and undecided: out of the queue (counted in the header)
        self.gone = {
            w
            for w in in_pool
            if self.retrieval.get(w) == "not-retrieved" and not self.stacks.get(w)
        }
        self._base = [w for w in self._base if w.work_id not in self.gone]
        self._marked: set[str] = set()  # marked not retrieved in this session, still in `works`
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
        # a background ranking brings its index along (slr.screen.ranking.Ordered)
        position = getattr(ordered, "position", None)
        self.position = position or {w.work_id: i for i, w in enumerate(ordered)}
        return True

    def ordering_state(self) -> str:
        """What the ordering says about itself (e.g. why there is no ranking yet), or "";
        it is told this reviewer's decision counts (one include and one exclude are needed)."""
        state = getattr(self._order, "state", None)
        return str(state(MappingProxyType(self.counts))) if callable(state) else ""

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
        return len(self.works) - len(self._marked)

    def _find(self, after: int) -> int | None:
        """The first undecided, not skipped work after `after`, wrapping; then skipped ones."""
        n = len(self.works)
        for i in chain(range(after + 1, n), range(0, min(after + 1, n))):
            wid = self.works[i].work_id
            if not self.stacks.get(wid) and wid not in self.skipped and wid not in self.gone:
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
        if decision == "not-retrieved":
            raise ScreeningError("'not retrieved' is a retrieval status: use mark_not_retrieved")
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
        self.gone.discard(d.work_id)  # decided after all (reached by `back`): in the queue again
        self._marked.discard(d.work_id)
        self.history.append(d.work_id)

    def skip(self) -> None:
        """Leave the current work undecided for now and draw the next one."""
        work = self.current
        if work is None:
            return
        if not self.is_decided(work.work_id):
            self.skipped.add(work.work_id)
        self.index = self._find(self.position[work.work_id])

    def note(self, text: str) -> Note | None:
        """Save a note on the current work at once (fsynced), on its own line in the log.

        Whatever happens next (skip, quit, back, a changed decision, undo) the note stays.
        """
        work, text = self.current, text.strip()
        if work is None or not text:
            return None
        saved = record_note(self.review, Note(self.reviewer, self.stage, work.work_id, text))
        self.notes.setdefault(work.work_id, []).append(text)
        return saved

    def mark_not_retrieved(self, reason: str | None = None) -> Retrieval | None:
        """The reviewer's `r` at full text: a `not-retrieved` event in fulltext.jsonl (fsynced),
        not a decision (it never conflicts with another reviewer's); the work leaves the queue.
        Attaching its PDF later (`slr fulltext attach`) brings it back."""
        work = self.current
        if work is None or self.stage != STAGES[1]:
            return None
        event = Retrieval(work.work_id, "not-retrieved", "marked", now_iso(), reason=reason)
        log_retrieval(self.review, event)
        self.retrieval[work.work_id] = "not-retrieved"
        if not self.is_decided(work.work_id):
            self.gone.add(work.work_id)
            self._marked.add(work.work_id)
        self.skipped.discard(work.work_id)
        self.index = self._find(self.position[work.work_id])
        return event

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


def open_session(
    review: Review,
    reviewer: str,
    stage: str,
    order: Ordering = protocol_order,
    force: bool = False,
) -> Session:
    """A session for one reviewer at one stage, reading only their own log (and, at full text,
    the title-abstract decisions that decide which works reach it).

    Blind: nothing of another reviewer's decisions reaches the session. With `slr assign` or
    `slr calibrate` it serves the reviewer's share, the calibration sample first, and waits
    for the protocol's calibration.min_kappa (slr.screen.calibrate; `force` starts anyway,
    logged)."""
    reviewer = resolve_reviewer(review, reviewer)
    check_stage(stage)
    works = require_works(review)
    index = record_index(works)
    logs = load_logs(review, works) if stage == STAGES[1] else None  # read once, used twice
    pool = stage_work_pool(review, stage, works, index, logs)
    if not pool:
        raise ScreeningError(
            "no works to screen at full-text: nothing is included or maybe at title-abstract yet"
            if stage == STAGES[1]
            else "no works to screen: every work was excluded by the automatic criteria"
        )
    queue = reviewer_queue(review, reviewer, stage, pool, index, order, force)
    log, notes = mapped_log_and_notes(review, reviewer, index)
    attached = attached_notices(works, study_view(review, works)[1])
    retrieval, pdfs = retrieval_by_work(review, index, logs) if logs is not None else ({}, {})
    session = Session(
        review,
        reviewer,
        stage,
        queue.pool,
        log,
        queue.order,
        extra=queue.extra,
        notes=notes,
        attached=attached,
        retrieval=retrieval,
        pdfs=pdfs,
        served=queue.served,
    )
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
    works = require_works(review)
    state = stage_states(review, works)[check_stage(stage)]
    disputed = [w for w in state.pool if w.work_id in state.disagreements]
    if not state.conflicts:
        raise ScreeningError(f"no conflicts to resolve at {stage}")
    context = {
        wid: with_notes(given, state.notes.get(wid, {}))
        for wid, given in state.disagreements.items()
    }
    log, notes = mapped_log_and_notes(review, RESOLVED_REVIEWER, record_index(works))
    return Session(
        review,
        RESOLVED_REVIEWER,
        stage,
        disputed,
        log,
        extra={"resolver": resolver, "method": method},
        context=context,
        notes=notes,
        attached=attached_notices(works, state.notices),
    )


def attached_notices(
    works: Sequence[Work], notices: Mapping[str, tuple[str, str]]
) -> dict[str, list[tuple[str, Work]]]:
    """work id -> (relation, notice) for the notices that follow it, retractions first, so
    the screen shows them under the report they concern (slr.studies.notices)."""
    by_id = {w.work_id: w for w in works} if notices else {}
    out: dict[str, list[tuple[str, Work]]] = {}
    for wid, (target, relation) in notices.items():
        out.setdefault(target, []).append((relation, by_id[wid]))
    for items in out.values():
        items.sort(key=lambda item: item[0] != "retraction")
    return out


def with_notes(given: Mapping[str, Decision], notes: Mapping[str, list[str]]) -> list[str]:
    """`alice: include`, then `  alice's note: ...`, per reviewer (name order)."""
    lines = []
    for name in sorted(set(given) | set(notes)):
        lines.append(f"{name}: {describe(given[name]) if name in given else 'no decision'}")
        lines += [f"  {name}'s note: {text}" for text in notes.get(name, [])]
    return lines


def finished_line(session: Session) -> str:
    """What the screen says when nothing is left: true of what this reviewer was served,
    which after `slr assign` or `slr calibrate` is not the whole stage."""
    n = session.total
    if session.served == "calibration sample":
        return (
            f"You have decided every work of your calibration sample at {session.stage} ({n}); "
            "full screening waits for calibration.min_kappa: see `slr calibrate`."
        )
    if session.served:
        return f"Every work of your {session.served} at {session.stage} has a decision ({n})."
    return f"Every work at {session.stage} has a decision ({n})."


def describe(d: Decision) -> str:
    """`exclude (EC2, EC4)`, `include`, ... with the note when there is one."""
    text = d.decision + (f" ({', '.join(d.criteria)})" if d.criteria else "")
    return text + (f" - {d.note}" if d.note else "")
