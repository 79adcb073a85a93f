"""De-duplication counts for `slr status`, read from the corpus folder (no heavy imports)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from slr.review import Review
from slr.store import read_jsonl
from slr.studies import StudyLink, studies_file, study_index


def dedupe_counts(review: Review) -> dict[str, Any]:
    """Records linked, duplicates, works found by several sources, grey pairs pending, and
    the studies the works are reports of (PRISMA 2020), with their links by relation."""
    works = records = multi = 0
    work_ids: list[str] = []
    for work in read_jsonl(review.store.works_file):
        works += 1
        records += len(work.get("record_ids", ()))
        multi += len(work.get("sources", ())) > 1
        if isinstance(work.get("work_id"), str):
            work_ids.append(work["work_id"])
    pending: list[Any] = []
    pending_links: list[Any] = []
    state = review.store.dedupe_state_file
    if state.exists():
        try:
            data = json.loads(state.read_text("utf-8"))
            pending, pending_links = data.get("pending", []), data.get("pending_links", [])
        except (ValueError, AttributeError):
            pass
    answers = sum(1 for _ in read_jsonl(review.store.answers_file))
    links = [
        StudyLink(x["work_id"], x["study_id"], str(x.get("relation", "")), "")
        for x in read_jsonl(studies_file(review))
        if isinstance(x.get("work_id"), str) and isinstance(x.get("study_id"), str)
    ]
    index = study_index(work_ids, links)
    # a link counts when it joins its work to another study (not one to a work gone since)
    counted = Counter(x.relation for x in links if index.get(x.work_id, x.work_id) != x.work_id)
    return {
        "records_in_works": records,
        "duplicates_linked": records - works,
        "works_found_by_several_sources": multi,
        "grey_pairs_pending": len(pending),
        "grey_answers_logged": answers,
        "studies": len(set(index.values())),
        "study_links": dict(sorted(counted.items())),
        "study_links_pending": len(pending_links),
    }
