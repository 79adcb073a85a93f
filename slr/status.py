"""Counts per stage, read from the corpus folder; grows as stages land."""

from __future__ import annotations

from collections import Counter
from typing import Any

from slr.coding import coding_counts
from slr.corpus import load_records
from slr.dedupe.counts import dedupe_counts
from slr.review import Review
from slr.screening import screening_counts
from slr.store import read_jsonl


def status(review: Review) -> dict[str, Any]:
    """A JSON-ready summary of the review's state."""
    store = review.store
    per_source: Counter[str] = Counter()
    cited: Counter[int] = Counter()  # records found by citation searching, per round
    for rec in load_records(review):  # names file:line of a damaged record, never a KeyError
        per_source[rec.source] += 1
        extra = rec.extra or {}
        if extra.get("method") == "citation" and extra.get("round") is not None:
            cited[int(extra["round"])] += 1
    works = sum(1 for _ in read_jsonl(store.works_file))
    return {
        "review": review.id,
        "protocol_hash": review.protocol.hash,
        "corpus": str(store.root),
        "records": sum(per_source.values()),
        "records_per_source": dict(sorted(per_source.items())),
        "records_from_databases": sum(per_source.values()) - sum(cited.values()),
        "records_from_citation_searching": {str(k): cited[k] for k in sorted(cited)},
        "searches": sum(1 for _ in read_jsonl(store.searchlog_file)),
        "works": works,
        "dedupe": dedupe_counts(review) if works else {},
        "screening": screening_counts(review) if works else {},
        "coding": coding_counts(review) if works else {},
    }


def format_status(data: dict[str, Any]) -> str:
    """Plain-text rendering of `status()`."""
    lines = [
        f"review {data['review']}  (protocol {data['protocol_hash'][:12]})",
        f"corpus  {data['corpus']}",
    ]
    lines.append(f"records identified: {data['records']}")
    for source, n in data["records_per_source"].items():
        lines.append(f"  {source:<20} {n}")
    cited = data.get("records_from_citation_searching") or {}
    if cited:
        rounds = ", ".join(f"round {k}: {n}" for k, n in cited.items())
        lines.append(
            f"  by method: databases and imports {data['records_from_databases']}, "
            f"citation searching {sum(cited.values())} ({rounds})"
        )
    lines.append(f"searches and imports logged: {data['searches']}")
    lines.append(f"works after de-duplication: {data['works']}")
    dd = data.get("dedupe") or {}
    if dd:
        lines.append(
            f"  {dd['duplicates_linked']} duplicates linked, "
            f"{dd['works_found_by_several_sources']} works found by several sources, "
            f"{dd['grey_pairs_pending']} grey pairs to review (slr dedupe --review)"
        )
    for stage, c in data.get("screening", {}).items():
        per = ", ".join(f"{k} {v}" for k, v in c["excluded_per_criterion"].items())
        lines.append(
            f"screening {stage}: {c['works']} works, {c['to_screen']} to screen, "
            f"{c['included']} included, {c['excluded']} excluded"
            + (f" ({per})" if per else "")
            + f", {c['maybe']} maybe"
            + (f", {c['not_retrieved']} not retrieved" if stage == "full-text" else "")
            + f", {c['conflicts']} conflicts"
        )
        if c.get("recall") and c["to_screen"]:
            lines.append(
                f"  recall: at least {c['recall']['recall_lower_bound_95']:.0%} at 95% confidence; "
                + c["recall"]["text"]
            )
    coded = data.get("coding", {}).get("coded", {})
    for coder, n in coded.items():
        lines.append(f"coding {coder}: {n} of {data['coding']['studies']} included studies coded")
    return "\n".join(lines)
