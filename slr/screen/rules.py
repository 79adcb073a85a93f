"""The protocol's machine-checkable criteria, and `auto_screen` that applies them.

Apart from slr.screen.state because these rules judge a record's own metadata (type, language,
year) and write the "auto" log, where slr.screen.state only reads what was decided.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slr.decisions import AUTO_REVIEWER, STAGES, Decision, record_decision
from slr.decisions import stacks as decision_stacks
from slr.progress import Progress, counted
from slr.protocol import Protocol, Rule
from slr.records import Record
from slr.review import Review
from slr.screen.state import (
    YEARS,
    load_logs,
    mapped_log,
    require_works,
    screened_works,
    standing_decisions,
    study_view,
)
from slr.works import record_index


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


@dataclass(frozen=True)
class Overridden:
    """A person's inclusion (or maybe) that a machine rule now overrides."""

    work_id: str
    reviewer: str
    decision: str
    criteria: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "work_id": self.work_id,
            "reviewer": self.reviewer,
            "decision": self.decision,
            "criteria": list(self.criteria),
        }


@dataclass(frozen=True)
class AutoScreen:
    """What `auto_screen` did: counts of distinct works, and the decisions it logged."""

    works: int  # works screened (notices follow their report and are not)
    notices: int
    rules: tuple[str, ...]  # criterion ids applied
    excluded: int  # works failing some rule (already excluded ones included)
    new: int  # exclusions logged now
    withdrawn: int  # earlier automatic exclusions undone
    undecidable: int  # left for people: metadata missing for some rule
    per_criterion: dict[str, int] = field(default_factory=dict, hash=False)
    overridden: tuple[Overridden, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "works": self.works,
            "notices": self.notices,
            "rules": list(self.rules),
            "excluded": self.excluded,
            "new": self.new,
            "withdrawn": self.withdrawn,
            "undecidable": self.undecidable,
            "per_criterion": dict(self.per_criterion),
            "overridden": [o.to_dict() for o in self.overridden],
        }


def auto_screen(review: Review, progress: Progress | None = None) -> AutoScreen:
    """Apply the protocol's machine rules at title-abstract; idempotent (only changes are logged).

    A work failing a rule is excluded by reviewer "auto" with the failing criterion ids; a
    work whose metadata is missing for a rule it does not fail is left for humans. When the
    protocol changed so that an earlier automatic exclusion no longer holds, it is undone.
    A new exclusion of a work a person already included (or marked maybe) is listed in
    `overridden`: the rule wins, but nobody should learn that from a PRISMA count.
    Notices (errata, retractions, comments linked to their report) are not screened on their
    own, by rules or people: they follow their report.
    """
    works = require_works(review)
    screened = screened_works(works, study_view(review, works)[1])
    rules = auto_rules(review.protocol)
    stage = STAGES[0]
    stacks = _stacks(mapped_log(review, AUTO_REVIEWER, record_index(works)), stage)
    count: Counter[str] = Counter()  # excluded, new, withdrawn, undecidable
    per_criterion: Counter[str] = Counter()
    overridden: list[Overridden] = []
    human: dict[str, dict[str, tuple[int, Decision]]] | None = None  # read on first need
    for work in counted(screened, "auto-screening", progress):
        failed, undecidable = auto_verdict(rules, work.canonical)
        stack = stacks.get(work.work_id, [])
        standing = stack[-1] if stack else None
        if failed:
            count["excluded"] += 1
            per_criterion.update(failed)
            if standing is None or standing.criteria != tuple(failed):
                record_decision(
                    review, Decision(AUTO_REVIEWER, stage, work.work_id, "exclude", tuple(failed))
                )
                count["new"] += 1
                if human is None:
                    logs = load_logs(review, works)
                    logs.pop(AUTO_REVIEWER, None)
                    human = {name: standing_decisions(log, stage) for name, log in logs.items()}
                for name, decided in human.items():
                    d = decided.get(work.work_id, (0, None))[1]
                    if d is not None and d.decision in ("include", "maybe"):
                        overridden.append(Overridden(work.work_id, name, d.decision, tuple(failed)))
            continue
        if undecidable:
            count["undecidable"] += 1
        for _ in stack:  # an exclusion that no longer holds: withdraw every layer of it
            record_decision(review, Decision(AUTO_REVIEWER, stage, work.work_id, "undo"))
        count["withdrawn"] += bool(stack)
    log = review.store.decisions_file(AUTO_REVIEWER)
    if not log.exists():  # an empty log still says the rules were applied (slr status)
        review.store.ensure()
        log.parent.mkdir(parents=True, exist_ok=True)
        log.touch()
    return AutoScreen(
        works=len(screened),
        notices=len(works) - len(screened),
        rules=tuple(cid for cid, _ in rules),
        excluded=count["excluded"],
        new=count["new"],
        withdrawn=count["withdrawn"],
        undecidable=count["undecidable"],
        per_criterion=dict(per_criterion),
        overridden=tuple(overridden),
    )


def _stacks(log: Iterable[Decision], stage: str) -> dict[str, list[Decision]]:
    """work id -> the reviewer's decisions still standing (undo pops), oldest first."""
    return {w: [d for _, d in s] for w, s in decision_stacks(log, stage, skips=False).items()}
