"""De-duplicating a review: works.jsonl from records.jsonl, incrementally when possible.

New records (a later search, an import, a snowballing round) are compared only with
pairs that touch them; the works of the last run are kept as they were (seed links), so
work ids stay stable and screening decisions keyed by a work id stay attached to it
(`slr.works.resolve_work_id` finds the work an older id was merged into). A full run
happens when the thresholds changed, a reviewer's `n` splits an existing work, or
`full=True`. `dedupe-state.json` keeps the settings, the unanswered grey pairs and the
sha256 of works.jsonl: when a git merge changed works.jsonl, the next run is a full one.

Nothing new, nothing recomputed: after a run on a big review (records.jsonl of at least
`slr.review.LOCAL_CACHE_MIN_BYTES`) the sha256 of every input and output (records, search
log, answers, works, study links, this state) and the run's summary go to the review's
local cache (outside the repo, see `slr.review`); `slr.dedupe.memo.unchanged` gives that
summary back while every hash still matches, and `slr dedupe` then returns at once, reading
no record and loading no engine.
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slr.corpus import load_records
from slr.dedupe import links, merge
from slr.dedupe.cluster import Link
from slr.dedupe.compare import Settings, Verdict
from slr.dedupe.engine import Pair, Result, run
from slr.dedupe.grey import Question, answers_path, load_answers, pair_key, proposed_relations
from slr.dedupe.memo import big, fingerprint, inputs
from slr.records import Record
from slr.review import Review
from slr.store import write_atomic
from slr.studies import StudyLink, load_links, save_links, study_index
from slr.works import (
    RebuiltWarning,
    Work,
    read_works,
    record_index,
    save_works,
    stale_reason,
)


@dataclass
class Outcome:
    """What `update` did."""

    records: list[Record]
    works: list[Work]
    result: Result
    mode: str  # "full" or "incremental"
    new_records: int
    links: list[StudyLink] = field(default_factory=list)  # studies.jsonl
    link_questions: list[Question] = field(default_factory=list)  # proposed study links

    @property
    def questions(self) -> list[Question]:
        """The grey pairs still waiting for a reviewer, best first, then proposed study links."""
        recs = self.records
        grey = [
            Question(recs[p.a], recs[p.b], p.verdict.rule, p.verdict.score)
            for p in self.result.grey
        ]
        return grey + self.link_questions

    def summary(self) -> dict[str, Any]:
        """The counts `slr dedupe` prints (kept, for a later run with nothing new to do)."""
        rules: Counter[str] = Counter()
        per_source: dict[str, list[int]] = {}
        for work in self.works:
            for rid in work.record_ids[1:]:
                rules[work.rules.get(rid, "").split(" (")[0]] += 1
            for source in work.sources:
                per_source.setdefault(source, [0, 0])[1] += 1
        for rec in self.records:
            per_source.setdefault(rec.source, [0, 0])[0] += 1
        study = study_index((x.work_id for x in self.works), self.links)
        return {
            "records": len(self.records),
            "works": len(self.works),
            "rules": dict(rules.most_common()),
            "per_source": {k: per_source[k] for k in sorted(per_source) if per_source[k][0]},
            "links": len(self.links),
            "relations": dict(sorted(Counter(x.relation for x in self.links).items())),
            "studies": len(set(study.values())),
            "grey": len(self.result.grey),
            "link_questions": len(self.link_questions),
        }


def read_state(review: Review) -> dict[str, Any]:
    """The state of the last run ({} before the first, or when damaged: a full run rebuilds it)."""
    path = review.store.dedupe_state_file
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}  # e.g. two versions merged by git; `stale_reason` says so before the run
    return data if isinstance(data, dict) else {}


def _consistent(
    old: list[Work], position: dict[str, int], answers: dict[tuple[str, str], str]
) -> bool:
    """The stored works still describe these records and no `n` answer splits one."""
    index = record_index(old)
    if any(rid not in position for rid in index) or len(index) != sum(
        len(w.record_ids) for w in old
    ):
        return False
    for w in old:
        if w.work_id != min(w.record_ids, key=position.__getitem__):
            return False
    return not any(
        ans in ("n", "s") and a in index and index[a] == index.get(b)
        for (a, b), ans in answers.items()
    )


def update(
    review: Review,
    settings: Settings | None = None,
    full: bool = False,
    tick: Callable[[int], None] = lambda _: None,
    save: bool = True,
) -> Outcome:
    """Cluster the review's records into works and (unless save=False) write works.jsonl."""
    st = settings or Settings()
    records = load_records(review)
    position = {r.id: k for k, r in enumerate(records)}
    answers = load_answers(answers_path(review))
    why = "" if full else stale_reason(review)
    if why:  # after a git merge of two clones: their works are rebuilt together
        warnings.warn(
            f"{review.store.works_file}: {why}; de-duplicating in full",
            RebuiltWarning,
            stacklevel=2,
        )
        full = True
    state = read_state(review)
    old = [] if full else read_works(review)
    incremental = (
        bool(old)
        and state.get("settings") == fingerprint(st)
        and _consistent(old, position, answers)
    )
    seed: list[Link] = []
    kept: dict[str, str] = {}
    fresh = None
    if incremental:
        for w in old:
            root = position[w.work_id]
            for rid in w.record_ids[1:]:
                seed.append(Link(root, position[rid], "kept", 200.0))
                kept[rid] = w.rules.get(rid, "")
        index = record_index(old)
        fresh = [r.id not in index for r in records]
    result = run(records, st, answers, seed, fresh, tick)
    if incremental:
        _restore_pending(result, state.get("pending", []), position, answers)
    _apply_link_answers(result, answers, proposed_relations(answers_path(review)))
    works = merge.works(result, records, kept)
    links = study_links(review, result, works, answers, incremental)
    asks = link_questions(result, records, answers, links, works)
    if save:
        sha = save_works(review, works)
        save_links(review, links)
        pending = [
            [records[p.a].id, records[p.b].id, p.verdict.rule, round(p.verdict.score, 2)]
            for p in result.grey
        ]
        # no time stamp: a run with nothing new to do leaves the file (and git) untouched
        payload: dict[str, Any] = {"settings": fingerprint(st), "pending": pending}
        if asks:  # only then: a state without proposed links keeps its bytes
            payload["pending_links"] = [[q.a.id, q.b.id, q.relation] for q in asks]
        payload["works_sha256"] = sha
        write_atomic(review.store.dedupe_state_file, json.dumps(payload, indent=1) + "\n")
    new = sum(fresh) if fresh is not None else len(records)
    mode = "incremental" if incremental else "full"
    outcome = Outcome(records, works, result, mode, new, links, asks)
    if save and big(review):
        memo: dict[str, Any] = {"inputs": inputs(review, st), "summary": outcome.summary()}
        review.local().put("dedupe", memo)
    return outcome


def _apply_link_answers(
    result: Result,
    answers: dict[tuple[str, str], str],
    proposed: dict[tuple[str, str], tuple[str, str]],
) -> None:
    """An `s` to a proposed link keeps its relation and direction; an `n` drops a link."""
    ids = result.table.ids
    kept = []
    for rel in result.related:
        key = pair_key(ids[rel.a], ids[rel.b])
        if answers.get(key) == "n":
            continue  # the reviewer said unrelated: no automatic link either
        if rel.rule == "reviewer" and key in proposed:
            relation, study = proposed[key]
            main, other = (rel.b, rel.a) if ids[rel.b] == study else (rel.a, rel.b)
            why = f"answered `s` to a proposed {relation} in `slr dedupe --review`"
            rel = links.Related(other, main, relation, "reviewer", why)
        kept.append(rel)
    result.related = kept


def link_questions(
    result: Result,
    records: list[Record],
    answers: dict[tuple[str, str], str],
    found: list[StudyLink],
    works: list[Work],
) -> list[Question]:
    """Proposed study links (weaker evidence, `links.candidates`) between two works of other
    studies whose records no reviewer has answered on: one question per pair of works."""
    index = record_index(works)
    study = study_index((w.work_id for w in works), found)
    answered = {pair_key(index[a], index[b]) for a, b in answers if a in index and b in index}
    asked: set[tuple[str, str]] = set()
    out = []
    for rel in links.candidates(result.table, records):
        a, b = records[rel.a], records[rel.b]
        wa, wb = index.get(a.id), index.get(b.id)
        if wa is None or wb is None or study[wa] == study[wb]:
            continue
        key = pair_key(wa, wb)
        if key in answered or key in asked:
            continue
        asked.add(key)
        out.append(Question(a, b, rel.rule, 0.0, rel.relation, rel.evidence))
    return out


def study_links(
    review: Review,
    result: Result,
    works: list[Work],
    answers: dict[tuple[str, str], str],
    incremental: bool,
) -> list[StudyLink]:
    """This run's study links; an incremental run keeps the earlier ones among old works.

    An incremental run compares only pairs touching new records, so links found earlier
    between old works are carried over unless a reviewer has since answered about them.
    """
    found = {link.work_id: link for link in result.study_links()}
    if not incremental:
        return list(found.values())
    index = record_index(works)
    answered = {
        tuple(sorted((index[a], index[b]))) for a, b in answers if a in index and b in index
    }
    ids = set(index.values())
    for link in load_links(review):
        if link.work_id in found or link.work_id not in ids or link.study_id not in ids:
            continue
        if tuple(sorted((link.work_id, link.study_id))) not in answered:
            found[link.work_id] = link
    return list(found.values())


def _restore_pending(
    result: Result,
    pending: list[list[Any]],
    position: dict[str, int],
    answers: dict[tuple[str, str], str],
) -> None:
    """Put back grey pairs among old records that are still apart and unanswered."""
    where = {i: members[0] for members in result.clusters for i in members}
    asked = {(min(where[p.a], where[p.b]), max(where[p.a], where[p.b])) for p in result.grey}
    for a_id, b_id, rule, score in pending:
        if a_id not in position or b_id not in position or pair_key(a_id, b_id) in answers:
            continue
        a, b = sorted((position[a_id], position[b_id]))
        key = (min(where[a], where[b]), max(where[a], where[b]))
        if key[0] == key[1] or key in asked:
            continue
        asked.add(key)
        result.grey.append(Pair(a, b, Verdict("grey", rule, float(score))))
    result.grey.sort(key=lambda p: (-p.verdict.score, p.a, p.b))
