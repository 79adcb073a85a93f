"""The state of screening: decision logs read per stage, final decisions, conflicts, counts.

Final decision on a work at a stage: the automatic exclusion (title-abstract only), else
the resolution (`slr resolve`, log `resolved`), else the reviewers' agreed decision.
Reviewers agree when their decisions fall in the same category: at title-abstract
"include" and "maybe" both send a work to full text (the final is "maybe" if anyone was
unsure, and an agreed exclusion carries every criterion given); at full text each of
include, maybe and "exclude for these criteria" is its own category, since PRISMA
reports full-text exclusions by reason. "Not retrieved" is no reviewer's judgement but a
retrieval status (slr.fulltext: `fulltext.jsonl`, where the screen's `r` writes, plus the
`not-retrieved` decisions of logs written before): it never conflicts or counts towards
agreement, and a work not retrieved that no reviewers' final assessment covers is final as
`not-retrieved`. When the protocol names two or more
reviewers, a work needs a decision from each of them before it is final; after `slr assign`
from the reviewers it is assigned to, and a calibration sample's works from all of that
sample's reviewers (`team_shares`).

This module only reads what was decided; the machine rules that decide by themselves are in
slr.screen.rules, and a reviewer's queue (the ordering and the session) in slr.screen.session.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from slr.decisions import (
    AUTO_REVIEWER,
    STAGES,
    Decision,
    Note,
    log_name,
    log_names,
    read_log_and_notes,
)
from slr.decisions import stacks as decision_stacks
from slr.errors import SlrError
from slr.fulltext import Retrieval, latest_pdf, log_path, retrieval_status
from slr.review import Review
from slr.studies import load_links, notices, study_index
from slr.works import Work, load_works, read_works, record_index, resolve_work_id

RESOLVED_REVIEWER = "resolved"  # the log of `slr resolve`
RESERVED = (AUTO_REVIEWER, RESOLVED_REVIEWER)
COUNTED = ("include", "exclude", "maybe", "not-retrieved")  # skip and undo are not decisions
NOT_RETRIEVED = "not-retrieved"  # a retrieval status; as a decision only in logs of old
YEARS = "years"  # the criterion id of the protocol's year range


class ScreeningError(SlrError):
    """A screening action cannot be done (no works, bad reviewer, missing criterion...)."""


# ---------------------------------------------------------------- reading the logs


def require_works(review: Review) -> list[Work]:
    """The review's works; a ScreeningError naming the fix when there are none yet."""
    works = load_works(review)
    if not works:
        raise ScreeningError(
            f"{review.store.works_file}: no works to screen; run `slr dedupe` first"
        )
    return works


def mapped_log(review: Review, reviewer: str, index: dict[str, str]) -> list[Decision]:
    """A reviewer's decisions with every work id mapped to the work that holds its record now."""
    return mapped_log_and_notes(review, reviewer, index)[0]


def mapped_log_and_notes(
    review: Review, reviewer: str, index: dict[str, str]
) -> tuple[list[Decision], list[Note]]:
    """A reviewer's decisions and notes, work ids mapped as `mapped_log` does (one read)."""
    decisions, notes = read_log_and_notes(review, reviewer)
    return _remap(decisions, index), _remap(notes, index)


def _remap(entries: list[Any], index: dict[str, str]) -> list[Any]:
    out = []
    for d in entries:
        wid = resolve_work_id(d.work_id, index)
        if wid is not None:  # a record no longer in works.jsonl: nothing to attach it to
            out.append(d if wid == d.work_id else replace(d, work_id=wid))
    return out


def standing_decisions(log: Sequence[Decision], stage: str) -> dict[str, tuple[int, Decision]]:
    """work id -> (position in the log, standing decision) for counted decisions."""
    found = decision_stacks(log, stage, skips=False)
    return {w: s[-1] for w, s in found.items() if s and s[-1][1].decision in COUNTED}


def human_reviewers(review: Review) -> list[str]:
    """Reviewers with a log, without the automatic and resolution logs."""
    return [r for r in log_names(review) if r not in RESERVED]


def check_reviewer(name: str) -> str:
    """Refuse the reserved names so a person never writes into the auto or resolution log."""
    if name.strip().casefold() in RESERVED:
        raise ScreeningError(
            f"reviewer name {name!r} is reserved for slr; choose another with --reviewer"
        )
    return name.strip()


def resolve_reviewer(review: Review, name: str) -> str:
    """The log name of a screener: a protocol reviewer (any case), else an existing log's name.

    An unknown name is an error when the protocol lists reviewers, so a typo never starts a
    phantom reviewer; without a list, `Alice` writes to an existing `alice` log.
    """
    name = check_reviewer(name)
    try:
        listed, existing = review.protocol.reviewers, human_reviewers(review)
        return log_name(name, listed, existing, "reviewer", "--reviewer")
    except SlrError as exc:
        raise ScreeningError(str(exc)) from None


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
    notes: dict[str, dict[str, list[str]]]  # work id -> reviewer -> their notes, oldest first
    study_of: dict[str, str] = field(default_factory=dict)  # work id -> study id (every work)
    # notices (errata, retractions, comments) -> (the report they follow, relation): not in
    # the pool, they follow that report's decisions
    notices: dict[str, tuple[str, str]] = field(default_factory=dict)
    # full text: works final as not retrieved (their retrieval status, no final assessment)
    not_retrieved: set[str] = field(default_factory=set)
    retrieval: dict[str, str] = field(default_factory=dict)  # full text: pool works' statuses
    # `slr assign` / `slr calibrate` (title-abstract): reviewer -> the work ids they screen
    shares: dict[str, set[str]] = field(default_factory=dict)


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
    notes: dict[str, list[Note]] | None = None,
    retrieval: dict[str, str] | None = None,
    team: dict[str, set[str]] | None = None,
) -> StageState:
    if stage == STAGES[0]:
        pool = works
    else:
        assert previous is not None
        passed = {w for w, d in previous.final.items() if d.decision in ("include", "maybe")}
        pool = [w for w in works if w.work_id in passed]
    in_pool = {w.work_id for w in pool}
    standing = {name: standing_decisions(log, stage) for name, log in logs.items()}
    if stage == STAGES[1]:  # not retrieved is a status (see `retrieval_by_work`), no judgement
        standing = {
            name: {w: pd for w, pd in decided.items() if pd[1].decision != NOT_RETRIEVED}
            for name, decided in standing.items()
        }
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
    state = StageState(stage, pool, {}, {}, resolved, {}, {}, {}, {}, {})
    for name, written in (notes or {}).items():
        for n in written:
            if n.stage == stage and n.work_id in in_pool:
                state.notes.setdefault(n.work_id, {}).setdefault(name, []).append(n.text)
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
        elif len(keys) == 1 and (team or {}).get(wid, required) <= set(given):
            final = _agreed(list(given.values()), stage)
            state.final[wid] = final
            name = max(given, key=lambda n: given[n].time)
            state.order[wid] = (final.time, standing[name][wid][0])
        elif wid not in state.conflicts and (retrieval or {}).get(wid) == NOT_RETRIEVED:
            state.final[wid] = Decision("", stage, wid, NOT_RETRIEVED)
            state.order[wid] = ("", 0)
            state.not_retrieved.add(wid)
    if stage == STAGES[1] and retrieval:
        state.retrieval = {w: retrieval[w] for w in in_pool if w in retrieval}
    return state


def load_logs(review: Review, works: list[Work]) -> dict[str, list[Decision]]:
    """Every reviewer's log, work ids mapped to today's works (one read per log)."""
    return _load_all(review, works)[0]


def _load_all(
    review: Review, works: list[Work]
) -> tuple[dict[str, list[Decision]], dict[str, list[Note]]]:
    """Every log's decisions and notes (reviewer -> entries), from one read of each log."""
    index = record_index(works)
    logs, notes = {}, {}
    for name in log_names(review):
        logs[name], notes[name] = mapped_log_and_notes(review, name, index)
    return logs, notes


def study_view(
    review: Review, works: Sequence[Work]
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """work id -> study id for every work, and the notices -> (report they follow, relation).

    Without studies.jsonl (before `slr dedupe` links studies) every work is its own study.
    """
    links = load_links(review)
    ids = [w.work_id for w in works]
    if not links:
        return {w: w for w in ids}, {}
    return study_index(ids, links), notices(ids, links)


def retrieval_by_work(
    review: Review, index: dict[str, str], logs: dict[str, list[Decision]]
) -> tuple[dict[str, str], dict[str, Retrieval]]:
    """work id -> `retrieved` | `not-retrieved` (others: not yet tried), and work id -> the
    event of its stored PDF, with work ids mapped to today's works.

    From `fulltext.jsonl`, plus the `not-retrieved` decisions of logs written before it
    existed (read as the status they meant, unless a PDF has been stored since).
    """
    events = [
        e if wid == e.work_id else replace(e, work_id=wid)
        for e in review.entries(log_path(review), Retrieval.from_dict, "full-text retrieval")
        if (wid := resolve_work_id(e.work_id, index)) is not None
    ]
    status = retrieval_status(events)
    for log in logs.values():
        for wid, (_, d) in standing_decisions(log, STAGES[1]).items():
            if d.decision == NOT_RETRIEVED and status.get(wid) != "retrieved":
                status[wid] = NOT_RETRIEVED
    return status, latest_pdf(events)


def screened_works(works: Sequence[Work], notice_ids: Collection[str]) -> list[Work]:
    """The works screened on their own: all but the notices, which follow their report."""
    return [w for w in works if w.work_id not in notice_ids] if notice_ids else list(works)


def stage_states(review: Review, works: list[Work] | None = None) -> dict[str, StageState]:
    """Both stages' states, from one read of works.jsonl and the logs.

    Kept while neither those files nor the works change (`Review.derived`), so the parts of
    one command (status: counts, coding, recall) compute them once: treat them as read-only.
    Works other than the review's own (`load_works`) are computed afresh, never kept.
    """
    if works is None:
        works = load_works(review)
    elif not _same_works(works, read_works(review)):
        return _stage_states(review, works)
    store = review.store
    paths = [store.works_file, store.studies_file, store.fulltext_file, store.decisions_dir]
    paths += [store.assignment_file, store.calibration_file]
    paths += [store.decisions_file(name) for name in log_names(review)]
    given = works
    kept, states = review.derived(
        "stage states", paths, lambda: (given, _stage_states(review, given))
    )
    if not _same_works(works, kept):  # rebuilt by read_works (removed imports): not kept
        return _stage_states(review, works)
    return dict(states)


def _same_works(given: list[Work], loaded: list[Work]) -> bool:
    """The very works `load_works` gives (the read cache's objects): no comparison by value."""
    return len(given) == len(loaded) and all(a is b for a, b in zip(given, loaded, strict=True))


def _stage_states(review: Review, works: list[Work]) -> dict[str, StageState]:
    """Both stages' states from these works (see `stage_states`)."""
    logs, notes = _load_all(review, works)
    study_of, notice_of = study_view(review, works)
    screened = screened_works(works, notice_of)
    index = record_index(works)
    retrieval = retrieval_by_work(review, index, logs)[0]
    team, shares = team_shares(review, index)
    first = _stage_state(review, STAGES[0], screened, logs, None, notes, None, team)
    first.shares = shares
    second = _stage_state(review, STAGES[1], screened, logs, first, notes, retrieval)
    for state in (first, second):
        state.study_of, state.notices = study_of, notice_of
    return {STAGES[0]: first, STAGES[1]: second}


def team_shares(
    review: Review, index: dict[str, str]
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """At title-abstract: work id -> the reviewers whose decisions make it final, and
    reviewer -> the work ids they screen (with an assignment only), from `slr assign` and
    every `slr calibrate` sample (both empty when neither was run: every listed reviewer
    screens every work)."""
    from slr.screen.assign import read_assignment
    from slr.screen.calibrate import samples

    assignment = read_assignment(review, index)
    drawn = samples(review, index)
    if assignment is None and not drawn:
        return {}, {}
    team = {w: set(names) for w, names in (assignment.reviewers_of if assignment else {}).items()}
    shares = assignment.shares() if assignment else {}
    for sample in drawn:  # every round's works are screened by all of that round's reviewers
        for wid in sample.work_ids:
            team.setdefault(wid, set()).update(sample.reviewers)
        if assignment is not None:
            for name in sample.reviewers:
                shares.setdefault(name, set()).update(sample.work_ids)
    return team, shares


def included_studies(state: StageState) -> dict[str, list[str]]:
    """study id -> its included reports' work ids, in order of inclusion.

    A study is included when one of its reports is included (PRISMA 2020: studies and
    reports are counted apart); notices are never included on their own.
    """
    ids = [w for w, d in state.final.items() if d.decision == "include"]
    out: dict[str, list[str]] = {}
    for wid in sorted(ids, key=lambda w: state.order[w]):
        out.setdefault(state.study_of.get(wid, wid), []).append(wid)
    return out


def check_stage(stage: str) -> str:
    """The stage itself when it is known; a ScreeningError listing the stages otherwise."""
    if stage not in STAGES:
        raise ScreeningError(f"unknown stage {stage!r}; use one of: {', '.join(STAGES)}")
    return stage


def final_decisions(review: Review, stage: str) -> dict[str, Decision]:
    """work id -> the final decision at a stage; works in conflict or still open are absent."""
    return stage_states(review)[check_stage(stage)].final


def conflicts(review: Review, stage: str) -> dict[str, dict[str, Decision]]:
    """work id -> each reviewer's decision, for works the reviewers disagree on, unresolved."""
    return stage_states(review)[check_stage(stage)].conflicts


def included_works(review: Review, stage: str = "full-text") -> list[Work]:
    """The works finally included at a stage, in the order they were included ("maybe" is not)."""
    works = load_works(review)
    state = stage_states(review, works)[check_stage(stage)]
    by_id = {w.work_id: w for w in works}
    ids = [w for w, d in state.final.items() if d.decision == "include"]
    return [by_id[w] for w in sorted(ids, key=lambda w: state.order[w])]


def included_by_study(review: Review, stage: str = "full-text") -> list[list[Work]]:
    """Each included study's included reports, in order of the study's first inclusion.

    The study's main report comes first when it is included (else the report included
    first): that is the one a study is coded and cited by. Without studies.jsonl every
    included work is a study of one report, in order of inclusion, as `included_works`.
    """
    works = load_works(review)
    state = stage_states(review, works)[check_stage(stage)]
    by_id = {w.work_id: w for w in works}
    out = []
    for study, ids in included_studies(state).items():
        ids = sorted(ids, key=lambda w: w != study)  # stable: the rest keep inclusion order
        out.append([by_id[w] for w in ids])
    return out


def independent_decisions(review: Review, stage: str) -> dict[str, dict[str, Decision]]:
    """reviewer -> work id -> their own standing decision (pre-consensus), for agreement."""
    state = stage_states(review)[check_stage(stage)]
    return {name: decided for name, decided in state.reviews.items() if decided}


def screening_counts(review: Review, recall: bool = True) -> dict[str, dict[str, Any]]:
    """Per stage: works in the stage, to screen, included (reports and studies), excluded per
    criterion, maybe, conflicts; `notices` follow their report and are in no stage's works.
    `recall=False` leaves out the stopping statement (its statistics load scipy: slow)."""
    works = load_works(review)
    out = {}
    order = [c.id for c in review.protocol.criteria] + [YEARS]
    for stage, state in stage_states(review, works).items():
        decided = Counter(d.decision for d in state.final.values())
        per: Counter[str] = Counter()
        for d in state.final.values():
            if d.decision == "exclude":
                per.update(d.criteria or ("unspecified",))
        awaiting = {
            w
            for decided in state.reviews.values()
            for w in decided
            if w not in state.final and w not in state.conflicts
        }
        out[stage] = {
            "works": len(state.pool),
            "to_screen": len(state.pool) - len(state.final) - len(state.conflicts),
            "included": decided["include"],
            "included_studies": len(included_studies(state)),
            "notices": len(state.notices),
            "maybe": decided["maybe"],
            "excluded": decided["exclude"],
            "excluded_auto": len(state.auto),
            "excluded_per_criterion": dict(
                sorted(per.items(), key=lambda kv: (order + [kv[0]]).index(kv[0]))
            ),
            "not_retrieved": decided["not-retrieved"],
            **({"full_texts": _full_texts(state)} if stage == STAGES[1] else {}),
            "conflicts": len(state.conflicts),
            "awaiting_reviewers": len(awaiting),
            "reviewers": _per_reviewer(review, state),
        }
        if stage == STAGES[0]:
            from slr.screen.calibrate import team_counts

            out[stage].update(team_counts(review, state, works))
        if recall:
            out[stage]["recall"] = _recall(state)
    return out


def _full_texts(state: StageState) -> dict[str, int]:
    """Retrieval of the works at full text: retrieved, not retrieved, not yet tried."""
    found = Counter(state.retrieval.values())
    # not yet tried: no retrieval event and no final decision (a decided work was read,
    # however its text was had, so fetching it now would be no news)
    untried = [
        w.work_id
        for w in state.pool
        if w.work_id not in state.retrieval and w.work_id not in state.final
    ]
    return {
        "retrieved": found["retrieved"],
        "not_retrieved": found["not-retrieved"],
        "no_open_access": found["no-open-access"],
        "not_tried": len(untried),
    }


def stage_recalls(review: Review) -> dict[str, dict[str, Any]]:
    """Per stage, the stopping statement `screening_counts` gives under "recall"."""
    return {stage: _recall(state) for stage, state in stage_states(review).items()}


def _per_reviewer(review: Review, state: StageState) -> dict[str, dict[str, int]]:
    """Each screener's own progress: the protocol's reviewers, else whoever decided something.

    A work counts as decided by a reviewer when their own standing decision is on it, final
    or not, so progress shows before a second reviewer has caught up.
    """
    names = list(review.protocol.reviewers) or sorted(n for n, d in state.reviews.items() if d)
    to_screen = [
        w.work_id
        for w in state.pool
        if w.work_id not in state.auto and w.work_id not in state.not_retrieved
    ]
    out = {}
    for name in names:
        mine = state.reviews.get(name, {})
        if state.shares:  # `slr assign`: a reviewer's progress is over their own share
            share = state.shares.get(name, set())
            own = Counter(mine[w].decision for w in to_screen if w in mine and w in share)
            works = sum(1 for w in to_screen if w in share)
        else:
            own = Counter(mine[w].decision for w in to_screen if w in mine)
            works = len(to_screen)
        decided = sum(own.values())
        out[name] = {
            "works": works,
            "decided": decided,
            "left": works - decided,
            **{d.replace("-", "_"): own[d] for d in COUNTED},
        }
    return out


def _recall(state: StageState) -> dict[str, Any]:
    """The stopping statement for the human-screened part of a stage (see slr.screen.stopping)."""
    from slr.screen.stopping import labels_in_order, recall_bound, recall_status

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


def stage_pool(review: Review, stage: str, works: list[Work] | None = None) -> list[Work]:
    """The works a human screens at a stage (protocol order): not auto-excluded / passed the
    first, and never a notice (an erratum, retraction or comment follows its report)."""
    works = load_works(review) if works is None else works
    return stage_work_pool(review, check_stage(stage), works, record_index(works), None)


def stage_work_pool(
    review: Review,
    stage: str,
    works: list[Work],
    index: dict[str, str],
    logs: dict[str, list[Decision]] | None,
) -> list[Work]:
    """`stage_pool` with the record index and logs a caller has already read."""
    screened = screened_works(works, study_view(review, works)[1])
    if stage == STAGES[0]:  # only the automatic log matters: no other reviewer's log is read
        auto_log = logs[AUTO_REVIEWER] if logs else mapped_log(review, AUTO_REVIEWER, index)
        auto = {
            w
            for w, (_, d) in standing_decisions(auto_log, stage).items()
            if d.decision == "exclude"
        }
        return [w for w in screened if w.work_id not in auto]
    logs = load_logs(review, works) if logs is None else logs
    first = _stage_state(review, STAGES[0], screened, logs, None)
    return _stage_state(review, STAGES[1], screened, logs, first).pool
