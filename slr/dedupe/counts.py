"""De-duplication counts for `slr status`, read from the corpus folder (no heavy imports)."""

from __future__ import annotations

import json
from typing import Any

from slr.review import Review
from slr.store import read_jsonl


def dedupe_counts(review: Review) -> dict[str, Any]:
    """Records linked, duplicates, works found by several sources, grey pairs pending."""
    root = review.store.root
    works = records = multi = 0
    for work in read_jsonl(review.store.works_file):
        works += 1
        records += len(work.get("record_ids", ()))
        multi += len(work.get("sources", ())) > 1
    pending = 0
    state = root / "dedupe-state.json"
    if state.exists():
        try:
            pending = len(json.loads(state.read_text("utf-8")).get("pending", []))
        except (ValueError, AttributeError):
            pending = 0
    answers = sum(1 for _ in read_jsonl(root / "dedupe-answers.jsonl"))
    return {
        "records_in_works": records,
        "duplicates_linked": records - works,
        "works_found_by_several_sources": multi,
        "grey_pairs_pending": pending,
        "grey_answers_logged": answers,
    }
