"""A review's state as one value: each part read from disk once, when first asked for.

`load_state(review)` gives a `ReviewState`; its fields (records, works, study links, search
log, stage states, decision and coding logs) load lazily and stay for the life of the value.
The readers underneath share the review's read cache (`Review.cached`), so a function still
called with a `Review` (PRISMA, matrix, report, export) parses each file once per command too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from slr.coding.log import Coding, read_codings
from slr.corpus import load_records, search_log
from slr.decisions import Decision, Note, read_log_and_notes
from slr.records import Record
from slr.review import Review
from slr.screen.state import StageState, stage_states
from slr.studies import StudyLink, load_links
from slr.works import Work, load_works


@dataclass(frozen=True)
class ReviewState:
    """What a review holds on disk, as values; read once, when first used."""

    review: Review

    @cached_property
    def records(self) -> list[Record]:
        """Every record as corrected (amended and removed imports applied)."""
        return load_records(self.review)

    @cached_property
    def search_log(self) -> list[dict[str, Any]]:
        """The search log as corrected, removed imports left out."""
        return search_log(self.review)

    @cached_property
    def works(self) -> list[Work]:
        """The works of the last `slr dedupe` (rebuilt first if a git merge left them stale)."""
        return load_works(self.review)

    @cached_property
    def links(self) -> list[StudyLink]:
        return load_links(self.review)

    @cached_property
    def stage_states(self) -> dict[str, StageState]:
        return stage_states(self.review, self.works)

    def decisions(self, reviewer: str) -> tuple[list[Decision], list[Note]]:
        """One reviewer's decisions and notes."""
        return read_log_and_notes(self.review, reviewer)

    def codings(self, coder: str) -> list[Coding]:
        """One coder's log."""
        return read_codings(self.review, coder)


def load_state(review: Review) -> ReviewState:
    """The review's state as a value (nothing is read until a field is used)."""
    return ReviewState(review)
