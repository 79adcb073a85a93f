"""Per-study quality scores, the consensus of two coders, and the cut-off.

A coder counts for a study once they have answered every question. One such coder: their
answers are the study's. Two or more: an answer they all give stands; where they differ,
the answer settled by `slr quality --reconcile` stands, and until then the study is
"unresolved" (no score, so not excluded). The score is the sum of the answers' scores
(Kitchenham: yes 1, partly 0.5, no 0, or the protocol's [quality.answers]); a study scoring
below `min_score` is excluded with the quality criterion (`QA`). A study nobody has
finished is "not assessed" and is never excluded.
"""

from __future__ import annotations

from dataclasses import dataclass

from slr.protocol import Quality
from slr.quality import log
from slr.review import Review

ASSESSED, NOT_ASSESSED, IN_PROGRESS, UNRESOLVED = (
    "assessed",
    "not assessed",
    "in progress",
    "unresolved",
)


@dataclass(frozen=True)
class StudyScore:
    """One included study's standing quality assessment."""

    work_id: str
    answers: dict[str, str | None]  # question id -> the study's answer (None: none yet)
    score: float | None  # None unless every question has an answer
    max_score: float
    status: str  # ASSESSED, NOT_ASSESSED, IN_PROGRESS or UNRESOLVED
    coders: tuple[str, ...]  # who answered every question
    below: bool  # assessed and below the protocol's min_score


def study_score(
    quality: Quality, work_id: str, logs: dict[str, log.Answers], settled: log.Answers
) -> StudyScore:
    """The study's answers and score from every coder's standing answers (pure)."""
    qids = [q.id for q in quality.questions]
    done = tuple(n for n in sorted(logs) if all((work_id, q) in logs[n] for q in qids))
    started = any((work_id, q) in logs[n] for n in logs for q in qids)
    answers: dict[str, str | None] = dict.fromkeys(qids)
    if done:
        for q in qids:
            given = {logs[n][(work_id, q)].answer for n in done}
            if len(given) == 1:
                answers[q] = given.pop()
            elif (work_id, q) in settled:
                answers[q] = settled[(work_id, q)].answer
    if not done:
        status = IN_PROGRESS if started else NOT_ASSESSED
    else:
        status = ASSESSED if all(a is not None for a in answers.values()) else UNRESOLVED
    scores = quality.scores
    score = sum(scores[a] for a in answers.values() if a) if status == ASSESSED else None
    below = score is not None and quality.min_score is not None and score < quality.min_score
    return StudyScore(work_id, answers, score, quality.max_score, status, done, below)


def read_logs(review: Review, quality: Quality) -> tuple[dict[str, log.Answers], log.Answers]:
    """Every coder's standing answers and the settled ones, checked against the protocol."""
    logs = {name: log.read(review, name) for name in log.coders(review)}
    settled = log.read_consensus(review)
    for name, answers in logs.items():
        for a in answers.values():
            log.check_answer(quality, a, str(review.store.quality_file(name)))
    for a in settled.values():
        log.check_answer(quality, a, str(review.store.quality_consensus_file))
    return logs, settled


def assess(review: Review) -> list[StudyScore]:
    """Every included study's assessment, in the order the studies are coded."""
    from slr.coding.log import included_at_full_text as included

    quality = log.checklist(review)
    logs, settled = read_logs(review, quality)
    return [study_score(quality, w.work_id, logs, settled) for w in included(review)]


def excluded(review: Review) -> dict[str, float]:
    """work id (a study's main report) -> score, for studies below the cut-off.

    Empty without a checklist or a `min_score`: then quality assessment excludes nothing.
    """
    quality = review.protocol.quality
    if quality is None or quality.min_score is None or not review.store.quality_dir.is_dir():
        return {}
    return {s.work_id: s.score for s in assess(review) if s.below and s.score is not None}


def cutoff_label(quality: Quality) -> str:
    """How PRISMA and the report name the exclusion: `QA: below the quality cut-off`."""
    return f"{quality.criterion}: below the quality cut-off"
