"""The concept matrix: included studies x protocol concepts, with totals, percents and groups.

Pure functions over Works and codings build a `Matrix` value; `review_matrix` reads them
from a review. One module per output format renders it (`render`).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from slr.errors import ExportError
from slr.protocol import Concept
from slr.records import fold
from slr.registry import Registry
from slr.store import write_atomic

if TYPE_CHECKING:
    import pandas as pd

    from slr.coding.log import Codings
    from slr.review import Review
    from slr.works import Work

SORTS = ("as-included", "year", "author")
MARK_STYLES = {"check": ("✓", "✗"), "yn": ("Y", "N"), "01": ("1", "0")}
UNCODED = "?"
CONJUNCTIONS = ("&", "and")
BINARY_FORMATS = ("xlsx", "png", "svg")
EXTENSIONS = {
    ".csv": "csv",
    ".tex": "latex",
    ".md": "markdown",
    ".xlsx": "xlsx",
    ".png": "png",
    ".svg": "svg",
}


@dataclass(frozen=True)
class Renderer:
    """Where one format's writers live; the module is imported only when it is used."""

    module: str
    matrix: str  # function (Matrix, Style) -> str | bytes
    summary: str  # function (Summary, Style) -> str | bytes

    def load(self, function: str) -> Callable[..., str | bytes]:
        """One of this format's writers (`self.matrix` or `self.summary`), imported now."""
        found: Callable[..., str | bytes] = getattr(importlib.import_module(self.module), function)
        return found


RENDERERS: Registry[Renderer] = Registry(
    "matrix format",
    ExportError,
    table={
        "csv": Renderer("slr.matrix.csv", "render", "render_summary"),
        "latex": Renderer("slr.matrix.latex", "render", "render_summary"),
        "markdown": Renderer("slr.matrix.markdown", "render", "render_summary"),
        "xlsx": Renderer("slr.matrix.xlsx", "render", "render_summary"),
        "png": Renderer("slr.matrix.plot", "render_png", "render_summary_png"),
        "svg": Renderer("slr.matrix.plot", "render_svg", "render_summary_svg"),
    },
)
FORMATS = RENDERERS.names()


@dataclass(frozen=True)
class Column:
    id: str
    label: str
    group: str | None = None
    theme: str | None = None


@dataclass(frozen=True)
class Row:
    work_id: str
    label: str
    year: int | None
    author: str  # first author's surname, for sorting
    cells: tuple[bool | None, ...]  # None: not coded
    segments: tuple[int, ...] = ()  # coded segments per concept (code density), if counted

    @property
    def count(self) -> int:
        """How many concepts this study has."""
        return sum(1 for c in self.cells if c)


@dataclass(frozen=True)
class Matrix:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    title: str = ""
    coder: str = ""

    @property
    def totals(self) -> tuple[int, ...]:
        """Studies per concept, counted from the cells."""
        return tuple(sum(1 for r in self.rows if r.cells[i]) for i in range(len(self.columns)))

    @property
    def percents(self) -> tuple[float, ...]:
        """Share of studies per concept, 0-100 (0 when there are no studies)."""
        n = len(self.rows)
        return tuple(100.0 * t / n if n else 0.0 for t in self.totals)

    @property
    def uncoded(self) -> int:
        """Cells no coder has judged yet."""
        return sum(1 for r in self.rows for c in r.cells if c is None)

    @property
    def grouped(self) -> bool:
        return any(c.group for c in self.columns)

    def group_spans(self) -> list[tuple[str | None, int, int]]:
        """Runs of adjacent columns sharing a group: (group, first index, last index)."""
        spans: list[tuple[str | None, int, int]] = []
        for i, col in enumerate(self.columns):
            if spans and spans[-1][0] == col.group:
                spans[-1] = (col.group, spans[-1][1], i)
            else:
                spans.append((col.group, i, i))
        return spans

    def to_frame(self) -> pd.DataFrame:
        """One row per study (index: its label), one column per concept id (pandas, lazily)."""
        from slr.frames import matrix_frame

        return matrix_frame(self)


@dataclass(frozen=True)
class Style:
    """How a matrix is written: marks, optional % row and count column, LaTeX wrapper."""

    marks: str = "check"
    percent: bool = False
    count: bool = False
    standalone: bool = False

    def __post_init__(self) -> None:
        if self.marks not in MARK_STYLES:
            raise ExportError(f"unknown marks {self.marks!r}; use one of " + ", ".join(MARK_STYLES))

    def mark(self, value: bool | None) -> str:
        if value is None:
            return UNCODED
        yes, no = MARK_STYLES[self.marks]
        return yes if value else no


def percent_text(value: float) -> str:
    """A percent as the tables print it: whole numbers, e.g. `82%`."""
    return f"{value:.0f}%"


STUDY_HEADER = "Study"
COUNT_HEADER = "Count"
TOTAL_LABEL = "Total"
PERCENT_LABEL = "%"


def row_cells(row: Row, style: Style) -> list[str]:
    """A study's marks, then its concept count when asked."""
    cells = [style.mark(c) for c in row.cells]
    return cells + [str(row.count)] if style.count else cells


def footer_rows(matrix: Matrix, style: Style) -> list[tuple[str, list[str]]]:
    """The Total row (and % row) as (label, cells)."""
    totals = [str(t) for t in matrix.totals]
    out = [(TOTAL_LABEL, totals + [str(sum(matrix.totals))] if style.count else totals)]
    if style.percent:
        pcts = [percent_text(p) for p in matrix.percents]
        out.append((PERCENT_LABEL, pcts + [""] if style.count else pcts))
    return out


# --------------------------------------------------------------------------- labels

_PARTICLES = {"van", "von", "der", "den", "de", "da", "del", "della", "di", "du", "la", "le"}
_PARTICLES |= {"dos", "das", "ten", "ter", "zu", "af", "al", "el", "bin", "ibn", "st."}
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?)+$")


def surname(name: str) -> str:
    """The family name of 'Surname, Given', 'Given Surname' or 'Surname G.' forms."""
    name = " ".join(name.split())
    if "," in name:
        return name.split(",", 1)[0].strip()
    tokens = name.split(" ")
    if len(tokens) > 1 and all(_INITIALS.match(t) for t in tokens[1:]):
        return tokens[0]  # Scopus style: "Paleyes A."
    last = len(tokens) - 1
    start = last
    while start > 0 and tokens[start - 1].lower() in _PARTICLES:
        start -= 1
    return " ".join(tokens[start:])


def base_label(authors: Iterable[str], year: int | None, conjunction: str = "&") -> str:
    """'Surname (year)', 'A & B (year)' or 'A et al. (year)' without the a/b suffix."""
    names = [surname(a) for a in authors if a and a.strip()]
    if not names:
        who = "Anonymous"
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} {conjunction} {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who} ({year if year is not None else 'n.d.'})"


def study_labels(
    works: list[Work], overrides: dict[str, str] | None = None, conjunction: str = "&"
) -> dict[str, str]:
    """work id -> row label; same author label and year get 2019a, 2019b (titles in A-Z order)."""
    if conjunction not in CONJUNCTIONS:
        raise ExportError(f"unknown two-author conjunction {conjunction!r}; use '&' or 'and'")
    overrides = overrides or {}
    base = {
        w.work_id: base_label(w.canonical.authors, w.canonical.year, conjunction) for w in works
    }
    clashes: dict[str, list[Work]] = {}
    for w in works:
        clashes.setdefault(base[w.work_id], []).append(w)
    labels = dict(base)
    for label, group in clashes.items():
        if len(group) < 2:
            continue
        group = sorted(group, key=lambda w: (fold(w.canonical.title or ""), w.work_id))
        for i, w in enumerate(group):
            # "Smith et al. (2019)" -> "Smith et al. (2019a)"; beyond z: aa, ab...
            labels[w.work_id] = label[:-1] + _suffix(i) + ")"
    for wid, label in overrides.items():
        if wid in labels:
            labels[wid] = label
    return labels


def _suffix(i: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]


# --------------------------------------------------------------------------- model


def build(
    works: list[Work],
    concepts: tuple[Concept, ...] | list[Concept],
    codings: Codings,
    overrides: dict[str, str] | None = None,
    conjunction: str = "&",
    title: str = "",
    coder: str = "",
    segments: dict[tuple[str, str], int] | None = None,
) -> Matrix:
    """The matrix of the works (in the given order) over the concepts, from standing codings.

    `segments` ((work id, concept id) -> coded segments, see slr.coding.log.segment_counts)
    gives each row its code density for `summary(..., count="segments")`.
    """
    labels = study_labels(works, overrides, conjunction)
    columns = tuple(Column(c.id, c.label, c.group, c.theme) for c in concepts)
    rows = []
    for w in works:
        cells = tuple(
            codings[(w.work_id, c.id)].present if (w.work_id, c.id) in codings else None
            for c in concepts
        )
        density = (
            tuple(segments.get((w.work_id, c.id), 0) for c in concepts)
            if segments is not None
            else ()
        )
        first = surname(w.canonical.authors[0]) if w.canonical.authors else ""
        rows.append(Row(w.work_id, labels[w.work_id], w.canonical.year, first, cells, density))
    return Matrix(columns, tuple(rows), title, coder)


def sort_rows(matrix: Matrix, order: str) -> Matrix:
    """Rows as included, by year (then author), or by first author (then year)."""
    if order == "as-included":
        return matrix
    big = 10**6  # studies without a year go last

    def by_year(r: Row) -> tuple[object, ...]:
        return (r.year if r.year is not None else big, fold(r.author), r.label)

    def by_author(r: Row) -> tuple[object, ...]:
        return (fold(r.author), r.year if r.year is not None else big, r.label)

    keys: dict[str, Callable[[Row], tuple[object, ...]]] = {"year": by_year, "author": by_author}
    if order not in keys:
        raise ExportError(f"unknown sort {order!r}; use one of " + ", ".join(SORTS))
    return replace(matrix, rows=tuple(sorted(matrix.rows, key=keys[order])))


def review_matrix(
    review: Review,
    coder: str | None = None,
    sort: str = "as-included",
    conjunction: str = "&",
    documents: bool = False,
) -> Matrix:
    """The matrix of a review: included studies x protocol concepts, from one coder's log.

    With `documents` the review's added documents (slr.documents: interviews, reports)
    follow the studies, labelled by their titles; without it they are left out.
    """
    from slr.coding import log as coding

    name = coding.matrix_coder(review, coder)
    works = coding.included(review)
    labels = coding.read_labels(review)
    if documents:
        from slr.documents import document_works, list_documents

        works = works + document_works(review)
        labels = {d.id: d.title for d in list_documents(review)} | labels
    codings = coding.latest(coding.read_codings(review, name))
    matrix = build(
        works,
        review.protocol.concepts,
        codings,
        labels,
        conjunction,
        review.protocol.title,
        name,
        coding.segment_counts(codings, coding.read_segments(review, name)),
    )
    return sort_rows(matrix, sort)


def theme_counts(
    review: Review, count: str = "studies", coder: str | None = None, documents: bool = False
) -> dict[str, dict[str, int]]:
    """dimension -> theme -> count (studies with any of the theme's concepts, or segments).

    A concept without a theme is a theme of its own (its label); "" is the dimension of
    concepts without a group. For figures (the Sankey diagram) and tables alike.
    """
    data = summary(review_matrix(review, coder, documents=documents), count)
    return {g.group: {col.label: n for col, n in g.concepts} for g in data.groups}


# --------------------------------------------------------------------------- summary


COUNTS = ("studies", "segments")


@dataclass(frozen=True)
class GroupSummary:
    group: str  # "" for concepts without a group
    concepts: tuple[tuple[Column, int], ...]  # a column per theme when concepts have themes

    @property
    def total(self) -> int:
        return sum(n for _, n in self.concepts)


@dataclass(frozen=True)
class Summary:
    """Counts per group (dimension) and theme or concept: the reference paper's Table 2 shape."""

    groups: tuple[GroupSummary, ...]
    studies: int
    title: str = ""
    count: str = "studies"  # what the numbers count: "studies" or "segments"
    themed: bool = False  # rows are themes (concepts gathered by `theme`), not concepts

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)

    @property
    def level(self) -> str:
        """What a row is, for headers: "Theme" or "Concept"."""
        return "Theme" if self.themed else "Concept"

    @property
    def count_header(self) -> str:
        return "Segments" if self.count == "segments" else "Studies"

    @property
    def caption(self) -> str:
        """Says what was counted: the user's choice, written with the table."""
        rows = "theme" if self.themed else "concept"
        if self.count == "segments":
            what = f"Coded segments per {rows} (code density)"
        elif self.themed:
            what = "Studies per theme (a study counts once for a theme if any of its concepts is present)"
        else:
            what = "Studies per concept"
        total = "; dimension totals add up the theme counts" if self.themed else ""
        by = " by dimension" if self.themed else " by group"
        return what + by + total + (f": {self.title}" if self.title else "")


def summary(matrix: Matrix, count: str = "studies") -> Summary:
    """Counts per theme (or per concept when no concept has a theme) under their groups.

    Groups and themes keep the order in which they first appear among the columns. A theme
    counts the studies with any of its concepts present ("studies"), or all coded
    segments of its concepts ("segments", from the rows' code density).
    """
    if count not in COUNTS:
        raise ExportError(f"unknown count {count!r}; use studies or segments")
    themed = any(c.theme for c in matrix.columns)
    members: dict[tuple[str, str], list[int]] = {}
    heads: dict[tuple[str, str], Column] = {}
    for i, col in enumerate(matrix.columns):
        key = (col.group or "", (col.theme or col.label) if themed else col.id)
        members.setdefault(key, []).append(i)
        if key not in heads:
            label = (col.theme or col.label) if themed else col.label
            heads[key] = Column(key[1], label, col.group, col.theme)
    order: dict[str, list[tuple[Column, int]]] = {}
    for key, idx in members.items():
        if count == "segments":
            n = sum(r.segments[i] for r in matrix.rows if r.segments for i in idx)
        else:
            n = sum(1 for r in matrix.rows if any(r.cells[i] for i in idx))
        order.setdefault(key[0], []).append((heads[key], n))
    groups = tuple(GroupSummary(g, tuple(items)) for g, items in order.items())
    return Summary(groups, len(matrix.rows), matrix.title, count, themed)


# --------------------------------------------------------------------------- rendering


def format_for(fmt: str | None, output: str | None) -> str:
    """The output format: the one given, else from the -o extension, else csv."""
    if fmt:
        RENDERERS.get(fmt)  # the one error for an unknown name
        return fmt
    if output:
        for ext, name in EXTENSIONS.items():
            if output.lower().endswith(ext):
                return name
        raise ExportError(
            f"{output}: cannot tell the format from the extension; add --format "
            + "|".join(FORMATS)
        )
    return "csv"


def render(matrix: Matrix, fmt: str, style: Style | None = None) -> str | bytes:
    """The matrix in one format (text formats as str, xlsx/png/svg as bytes)."""
    renderer = RENDERERS.get(fmt)
    return renderer.load(renderer.matrix)(matrix, style or Style())


def render_summary(data: Summary, fmt: str, style: Style | None = None) -> str | bytes:
    """The group summary in one format."""
    renderer = RENDERERS.get(fmt)
    return renderer.load(renderer.summary)(data, style or Style())


def write_output(path: Path, data: str | bytes) -> None:
    """Write a user's output file atomically, readable like any file they create."""
    write_atomic(path, data)
