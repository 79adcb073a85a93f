"""What the last `slr dedupe` read and wrote, by content: a run with nothing new is skipped.

Light on purpose (no engine, no pandas): `slr dedupe` asks `unchanged` before it loads the
engine or reads a record. The facts live in the review's local cache, outside the repo (see
`slr.review.LocalCache`); `slr.dedupe.incremental.update` keeps them after each run on a
review whose records.jsonl is at least `slr.review.LOCAL_CACHE_MIN_BYTES`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from slr.dedupe.compare import Settings
from slr.review import LOCAL_CACHE_MIN_BYTES, Review

ENGINE_VERSION = 2  # bump when rules change so that stored works are recomputed


def fingerprint(settings: Settings) -> dict[str, Any]:
    """What must be unchanged for an incremental run."""
    return {"engine": ENGINE_VERSION, **asdict(settings)}


def inputs(review: Review, settings: Settings) -> dict[str, Any]:
    """What a run reads and writes, by content: all equal, and a run would change nothing."""
    store = review.store
    files = (
        store.records_file,
        store.searchlog_file,
        store.answers_file,  # the grey-zone answers and proposed study links
        store.works_file,
        store.studies_file,
        store.dedupe_state_file,
    )
    from slr import __version__  # rules can change without an engine bump: never replay across

    return {
        "settings": fingerprint(settings),
        "slr": __version__,
        **{p.name: review.sha256(p) for p in files},
    }


def big(review: Review) -> bool:
    """Big enough to keep track (a small review is de-duplicated again in no time)."""
    try:
        return review.store.records_file.stat().st_size >= LOCAL_CACHE_MIN_BYTES
    except OSError:
        return False


def unchanged(review: Review, settings: Settings | None = None) -> dict[str, Any] | None:
    """The summary (`Outcome.summary()`) of the last run if nothing it read or wrote has
    changed since; None: a run is needed, or the review is too small to keep track."""
    if not big(review):
        return None
    kept = review.local().get("dedupe")
    if not isinstance(kept, dict) or kept.get("inputs") != inputs(review, settings or Settings()):
        return None
    summary = kept.get("summary")
    return summary if isinstance(summary, dict) else None
