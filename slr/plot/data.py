"""What the figures count, read from a review: included studies, records, the coding.

Pure counting functions over plain values (tested on constructed data) and thin readers
that take them from a review. A reader whose data is not there yet raises PlotError naming
the command to run first; nothing is guessed (a missing year or venue is counted as such).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slr.errors import SlrError
from slr.protocol import Concept
from slr.records import Record, fold

if TYPE_CHECKING:
    from slr.matrix.model import Matrix
    from slr.plot.sankey import Flows
    from slr.review import Review

TOP_VENUES = 15


class PlotError(SlrError):
    """The data a figure needs is not recorded yet."""


@dataclass(frozen=True)
class Study:
    """One included study as the descriptive plots see it (its main report's metadata)."""

    label: str
    year: int | None
    venue: str | None
    sources: tuple[str, ...]  # display names of every source that found any of its reports


@dataclass(frozen=True)
class Counts:
    """A plot's numbers: categories, one series per stack, and what was not recorded."""

    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]
    missing: int = 0  # items the plot cannot place (no year, no venue)
    left_out: int = 0  # items beyond the top N

    @property
    def total(self) -> int:
        return sum(sum(values) for _, values in self.series)


# --------------------------------------------------------------------------- pure counts


def source_set(sources: Iterable[str]) -> str:
    """The stack a study falls in: the sources that found it, joined (each study once)."""
    return " + ".join(sorted(set(sources))) or "not recorded"


def years_by_source(studies: Sequence[Study]) -> Counts:
    """Studies per year (every year from the first to the last), stacked by the sources
    that found them; studies without a year are counted in `missing`."""
    dated = [s for s in studies if s.year is not None]
    if not dated:
        return Counts((), (), len(studies))
    first = min(s.year for s in dated if s.year is not None)
    last = max(s.year for s in dated if s.year is not None)
    years = list(range(first, last + 1))
    stacks = Counter(source_set(s.sources) for s in dated)
    order = sorted(stacks, key=lambda k: (-stacks[k], k))
    series = tuple(
        (
            stack,
            tuple(
                sum(1 for s in dated if s.year == y and source_set(s.sources) == stack)
                for y in years
            ),
        )
        for stack in order
    )
    return Counts(tuple(str(y) for y in years), series, len(studies) - len(dated))


def top_venues(studies: Sequence[Study], top: int = TOP_VENUES) -> Counts:
    """The `top` venues by number of included studies (spellings folded together; the
    most used spelling is shown), largest first; the rest and the studies without a venue
    are counted, not drawn."""
    spellings: dict[str, Counter[str]] = {}
    for s in studies:
        if s.venue and s.venue.strip():
            spellings.setdefault(fold(s.venue), Counter())[s.venue.strip()] += 1
    counted = [(min(c, key=lambda v: (-c[v], v)), sum(c.values())) for c in spellings.values()]
    counted.sort(key=lambda vn: (-vn[1], fold(vn[0]), vn[0]))
    shown = counted[:top]
    missing = sum(1 for s in studies if not (s.venue and s.venue.strip()))
    left = sum(n for _, n in counted[top:])
    return Counts(
        tuple(v for v, _ in shown), (("studies", tuple(n for _, n in shown)),), missing, left
    )


def records_by_source(records: Iterable[Record]) -> Counts:
    """Records identified per source, as the PRISMA diagram's identification box counts
    them: databases by name, other methods (citation searching per round) apart."""
    from slr.databases import known_source_names
    from slr.prisma.counts import display_name, is_database_record, other_method_label

    databases = set(known_source_names())
    db: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for r in records:
        if is_database_record(r, databases):
            db[display_name(r.source)] += 1
        else:
            other[other_method_label(r)] += 1
    names = sorted(db) + sorted(other)
    return Counts(
        tuple(names),
        (
            ("Databases", tuple(db.get(n, 0) for n in names)),
            ("Other methods", tuple(other.get(n, 0) for n in names)),
        ),
    )


def concepts_by_year(matrix: Matrix) -> Counts:
    """Studies coded with each concept per year (one series per concept, every year from the
    first to the last); studies without a year are counted in `missing`."""
    dated = [r for r in matrix.rows if r.year is not None]
    if not dated:
        return Counts((), (), len(matrix.rows))
    years = list(range(min(r.year or 0 for r in dated), max(r.year or 0 for r in dated) + 1))
    series = tuple(
        (col.label, tuple(sum(1 for r in dated if r.year == y and r.cells[i]) for y in years))
        for i, col in enumerate(matrix.columns)
    )
    return Counts(tuple(str(y) for y in years), series, len(matrix.rows) - len(dated))


# --------------------------------------------------------------------------- readers


def included_studies(review: Review) -> list[Study]:
    """The included studies, one per study (its main report), in order of inclusion."""
    from slr.matrix.model import study_labels
    from slr.prisma.counts import display_name
    from slr.screen.state import included_by_study
    from slr.works import load_works

    if not load_works(review):
        raise PlotError("no works yet: run `slr search` or `slr import`, then `slr dedupe`")
    studies = included_by_study(review)
    if not studies:
        raise PlotError(
            "no included studies yet: screen them first (`slr screen`, then "
            "`slr screen --stage full-text`)"
        )
    labels = study_labels([reports[0] for reports in studies])
    return [
        Study(
            labels[reports[0].work_id],
            reports[0].canonical.year,
            reports[0].canonical.venue,
            tuple(sorted({display_name(s) for w in reports for s in w.sources})),
        )
        for reports in studies
    ]


def identified_records(review: Review) -> list[Record]:
    from slr.corpus import load_records

    records = load_records(review)
    if not records:
        raise PlotError("no records yet: run `slr search` or `slr import` first")
    return records


def coded_matrix(review: Review, coder: str | None = None) -> Matrix:
    """The concept matrix of one coder (as `slr matrix` shows it)."""
    from slr.coding.log import coders
    from slr.matrix.model import review_matrix

    if not review.protocol.concepts:
        raise PlotError(
            f"{review.protocol.path.name}: the protocol has no [[concepts]]; add them and "
            "code the studies (`slr code`)"
        )
    included_studies(review)  # the same error as the other plots when nothing is included
    if not coders(review):
        raise PlotError("no included study has been coded yet: code them first (`slr code`)")
    return review_matrix(review, coder)


def matrix_flows(matrix: Matrix, concepts: Sequence[Concept]) -> Flows:
    """The Sankey flows of a concept matrix: each study's concepts coded present."""
    from slr.plot.sankey import flows

    ids = [c.id for c in matrix.columns]
    studies = [(r.label, [ids[i] for i, c in enumerate(r.cells) if c]) for r in matrix.rows]
    return flows(studies, concepts, matrix.uncoded)


def review_flows(review: Review, coder: str | None = None) -> Flows:
    data = matrix_flows(coded_matrix(review, coder), review.protocol.concepts)
    if not data.links:
        raise PlotError(
            "no concept is coded present in any included study: nothing flows; "
            "code the studies first (`slr code`)"
        )
    return data
