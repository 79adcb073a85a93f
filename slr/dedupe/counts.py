"""De-duplication counts for `slr status`, read from the corpus folder (no heavy imports)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from slr.review import Review
from slr.studies import load_links, study_index
from slr.works import Work


def dedupe_counts(review: Review) -> dict[str, Any]:
    """Records linked, duplicates, works found by several sources, grey pairs pending, and
    the studies the works are reports of (PRISMA 2020), with their links by relation."""
    works = records = multi = 0
    work_ids: list[str] = []
    for work in review.entries(review.store.works_file, Work.from_dict, "work"):  # as stored
        works += 1
        records += len(work.record_ids)
        multi += len(work.sources) > 1
        work_ids.append(work.work_id)
    pending: list[Any] = []
    pending_links: list[Any] = []
    state = review.store.dedupe_state_file
    if state.exists():
        try:
            data = review.cached(state, "json", lambda: json.loads(state.read_text("utf-8")))
            pending, pending_links = data.get("pending", []), data.get("pending_links", [])
        except (ValueError, AttributeError):
            pass
    answers = len(review.entries(review.store.answers_file, dict, "dedupe answer"))
    links = load_links(review)
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
