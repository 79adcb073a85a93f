"""The coding sheet: a wide CSV/XLSX template (a row per study, a column per concept) and its import.

Columns: `work_id`, `label`, then `authors`, `year`, `title`, `venue`, `doi` for the coder's
eyes, then one column per concept headed `<id>: <label>` (a bare `<id>` works too). A row is
matched to an included study by `work_id`, or, when that cell is empty or the column is
absent, by DOI, else by title. Marks: ✓/✗, y/n, yes/no, 1/0, true/false (any case); an
empty cell is left uncoded. A `label` that differs from the computed one is stored as the
study's published label. Any error (`file:row:column: ...`) and nothing is written.

Coded segments (several passages per concept and study) come in a sheet of their own, a
row per passage: `work_id, concept, quote, page, line` (`import_segments`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slr.coding import log as coding
from slr.errors import ExportError, ImportError_, SlrError
from slr.formats.table import read_cells
from slr.matrix.model import study_labels, write_output
from slr.records import normalise_doi, normalise_title
from slr.review import Review

if TYPE_CHECKING:
    from slr.works import Work

ID_COLUMN = "work_id"
LABEL_COLUMN = "label"
INFO_COLUMNS = ("authors", "year", "title", "venue", "doi")
TRUE_MARKS = ("✓", "✔", "☑", "y", "yes", "1", "true")
FALSE_MARKS = ("✗", "✘", "☒", "n", "no", "0", "false")
_ALLOWED = "✓ ✗ y n yes no 1 0 true false, or empty"


@dataclass(frozen=True)
class SheetImport:
    """What an import changed."""

    studies: int  # rows read
    changed: int  # coding lines written
    labels: int  # label overrides written


# --------------------------------------------------------------------------- template


def sheet_rows(review: Review, coder: str, works: list[Work]) -> list[list[str]]:
    """The template as rows of text, pre-filled with the coder's standing coding."""
    concepts = review.protocol.concepts
    current = coding.latest(coding.read_codings(review, coder))
    labels = study_labels(works, coding.read_labels(review))
    rows = [[ID_COLUMN, LABEL_COLUMN, *INFO_COLUMNS, *(f"{c.id}: {c.label}" for c in concepts)]]
    for w in works:
        rec = w.canonical
        info = ["; ".join(rec.authors), str(rec.year or ""), rec.title or "", rec.venue or ""]
        marks = []
        for c in concepts:
            found = current.get((w.work_id, c.id))
            marks.append("" if found is None else ("✓" if found.present else "✗"))
        rows.append([w.work_id, labels[w.work_id], *info, rec.doi or "", *marks])
    return rows


def write_sheet(review: Review, path: Path, coder: str, works: list[Work]) -> int:
    """Write the template as .csv or .xlsx; returns the number of studies."""
    rows = sheet_rows(review, coder, works)
    suffix = path.suffix.lower()
    data: bytes
    if suffix == ".csv":
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        data = buf.getvalue().encode("utf-8")
    elif suffix == ".xlsx":
        data = _xlsx(rows, len(review.protocol.concepts))
    else:
        raise ExportError(f"{path}: a coding sheet is .csv or .xlsx; rename the file")
    # a filled-in sheet not imported yet is the coder's only copy of that work
    if path.is_file() and not _same_sheet(path, rows):
        raise ExportError(
            f"{path}: already exists and may hold coding not imported yet; import it with "
            f"`slr code --import {path}`, or delete it or name another file for a new sheet"
        )
    write_output(path, data)
    return len(rows) - 1


def _same_sheet(path: Path, rows: list[list[str]]) -> bool:
    """Whether an existing sheet holds exactly these cells (nothing typed into it since)."""

    def trim(table: list[list[str]]) -> list[list[str]]:
        cut = [list(r) for r in table]
        for r in cut:
            while r and not r[-1]:
                r.pop()
        while cut and not cut[-1]:
            cut.pop()
        return cut

    try:
        return trim(read_table(path)) == trim(rows)
    except SlrError:
        return False


def _xlsx(rows: list[list[str]], nconcepts: int) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws: Any = wb.active
    ws.title = "Coding"
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "C2"
    first = 3 + len(INFO_COLUMNS)
    if nconcepts and len(rows) > 1:
        # a drop-down of the marks; typing y/n/1/0 still works since the list holds them
        dv = DataValidation(type="list", formula1='"✓,✗,y,n,1,0"', allow_blank=True)
        ws.add_data_validation(dv)
        last = get_column_letter(first + nconcepts - 1)
        dv.add(f"{get_column_letter(first)}2:{last}{len(rows)}")
    widths = {"A": 24, "B": 28, "C": 28, "D": 6, "E": 48, "F": 24, "G": 24}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- reading


def read_table(path: Path) -> list[list[str]]:
    """A .csv (UTF-8, comma/semicolon/tab) or .xlsx (first sheet) as rows of text."""
    if path.suffix.lower() not in (".csv", ".tsv", ".txt", ".xlsx"):
        raise ImportError_(f"{path}: a coding sheet is .csv or .xlsx; save it as one of those")
    return read_cells(path)


def parse_mark(text: str) -> bool | None:
    """True/False for a mark, None for an empty cell; ValueError otherwise."""
    value = text.strip().lower()
    if not value:
        return None
    if value in TRUE_MARKS:
        return True
    if value in FALSE_MARKS:
        return False
    raise ValueError(value)


# --------------------------------------------------------------------------- import


class _Errors:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, row: int, column: int, message: str) -> None:
        self.items.append(f"{self.path}:{row}:{column}: {message}")

    def raise_any(self) -> None:
        if not self.items:
            return
        more = len(self.items) - 1
        tail = f" (and {more} more error{'s' if more > 1 else ''}; nothing was imported)"
        raise ImportError_(self.items[0] + (tail if more else "; nothing was imported"))


def import_sheet(
    review: Review, path: Path, coder: str, works: list[Work] | None = None
) -> SheetImport:
    """Validate the whole sheet, then append the changed codings and labels (all or nothing)."""
    path = Path(path)
    works = coding.included(review) if works is None else works
    table = read_table(path)
    errors = _Errors(path)
    if not table or not any(c.strip() for c in table[0]):
        raise ImportError_(f"{path}:1:1: empty sheet; write a template with `slr code --sheet`")
    concepts = {c.id: c for c in review.protocol.concepts}
    header = [h.strip() for h in table[0]]
    special: dict[str, int] = {}
    concept_cols: dict[int, str] = {}
    for j, name in enumerate(header):
        key = name.lower()
        if not name:
            continue
        if key in (ID_COLUMN, LABEL_COLUMN, *INFO_COLUMNS):
            if key in special:
                errors.add(1, j + 1, f"column {name!r} appears twice; keep one")
            special[key] = j
            continue
        cid = name.split(":", 1)[0].strip()
        if cid not in concepts:
            errors.add(
                1,
                j + 1,
                f"unknown concept id {cid!r} in the header; concepts: {', '.join(concepts)}; "
                f"other columns: {', '.join((ID_COLUMN, LABEL_COLUMN, *INFO_COLUMNS))}",
            )
        elif cid in concept_cols.values():
            errors.add(1, j + 1, f"concept {cid} has two columns; keep one")
        else:
            concept_cols[j] = cid
    if not {ID_COLUMN, "doi", "title"} & set(special):
        errors.add(1, 1, f"no {ID_COLUMN}, doi or title column to name the studies; add one")
    errors.raise_any()

    by_id = {w.work_id: w.work_id for w in works}
    index = {rid: w.work_id for w in works for rid in w.record_ids}
    by_doi = {normalise_doi(w.canonical.doi): w.work_id for w in works if w.canonical.doi}
    by_title = {normalise_title(w.canonical.title): w.work_id for w in works if w.canonical.title}
    effective = study_labels(works, coding.read_labels(review))
    current = coding.latest(coding.read_codings(review, coder))

    def cell(row: list[str], key: str) -> str:
        j = special.get(key)
        return row[j].strip() if j is not None and j < len(row) else ""

    seen: dict[str, int] = {}
    fresh: list[coding.Coding] = []
    labels: dict[str, str] = {}
    studies = 0
    for number, row in enumerate(table[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        wid = _match(row, number, special, cell, by_id, index, by_doi, by_title, errors)
        if wid is None:
            continue
        if wid in seen:
            errors.add(
                number, special.get(ID_COLUMN, 0) + 1, f"study {wid} already on row {seen[wid]}"
            )
            continue
        seen[wid] = number
        studies += 1
        label = cell(row, LABEL_COLUMN)
        if label and label != effective[wid]:
            labels[wid] = label
        for j, cid in concept_cols.items():
            text = row[j] if j < len(row) else ""
            try:
                value = parse_mark(text)
            except ValueError:
                errors.add(
                    number, j + 1, f"{text.strip()!r} is not a mark for {cid}; use {_ALLOWED}"
                )
                continue
            old = current.get((wid, cid))
            if value is None or (old is not None and old.present == value):
                continue  # re-importing the same sheet writes nothing
            fresh.append(coding.Coding(coder, wid, cid, value, extra={"via": f"sheet {path.name}"}))
    errors.raise_any()
    coding.record_codings(review, fresh)
    coding.set_labels(review, labels)
    return SheetImport(studies, len(fresh), len(labels))


def _match(
    row: list[str],
    number: int,
    special: dict[str, int],
    cell: Any,
    by_id: dict[str, str],
    index: dict[str, str],
    by_doi: dict[str | None, str],
    by_title: dict[str, str],
    errors: _Errors,
) -> str | None:
    """The included study a row names (work id, else DOI, else title), or None after an error."""
    wid = cell(row, ID_COLUMN)
    if wid:
        found = by_id.get(wid) or index.get(wid)
        if found is None:
            errors.add(
                number,
                special[ID_COLUMN] + 1,
                f"unknown study id {wid!r}: not an included study; "
                "take the ids from `slr code --sheet`",
            )
        return found
    doi = cell(row, "doi")
    if doi and normalise_doi(doi) in by_doi:
        return by_doi[normalise_doi(doi)]
    title = cell(row, "title")
    if title and normalise_title(title) in by_title:
        return by_title[normalise_title(title)]
    column = special.get("doi", special.get("title", special.get(ID_COLUMN, 0))) + 1
    what = f"DOI {doi!r}" if doi else f"title {title!r}" if title else "no study id"
    errors.add(number, column, f"{what} matches no included study; check the row")
    return None


# --------------------------------------------------------------------------- segments

SEGMENT_COLUMNS = ("work_id", "concept", "quote", "page", "line")


@dataclass(frozen=True)
class SegmentImport:
    """What a segments import changed."""

    segments: int  # segment lines written
    codings: int  # concepts newly marked present by their segments


def import_segments(review: Review, path: Path, coder: str, works: list[Work]) -> SegmentImport:
    """Read a segments sheet (a row per coded passage) and append it; any error, nothing written.

    Columns `work_id`, `concept` (an id, or `<id>: <label>`), `quote`, and optionally `page`
    and `line`. A row equal to a segment already logged is skipped, so a re-import writes
    nothing. A concept not yet coded is marked present; one coded absent is an error.
    """
    path = Path(path)
    table = read_table(path)
    errors = _Errors(path)
    if not table or not any(c.strip() for c in table[0]):
        raise ImportError_(f"{path}:1:1: empty sheet; its header is {', '.join(SEGMENT_COLUMNS)}")
    header = [h.strip().lower() for h in table[0]]
    cols = {name: header.index(name) for name in SEGMENT_COLUMNS if name in header}
    for j, name in enumerate(header):
        if name and name not in SEGMENT_COLUMNS:
            errors.add(1, j + 1, f"unknown column {name!r}; use {', '.join(SEGMENT_COLUMNS)}")
    for name in ("work_id", "concept", "quote"):
        if name not in cols:
            errors.add(1, len(header) + 1, f"no {name!r} column; add one")
    errors.raise_any()

    to_work = {rid: w.work_id for w in works for rid in w.record_ids}
    to_work |= {w.work_id: w.work_id for w in works}
    concepts = {c.id for c in review.protocol.concepts}
    current = coding.latest(coding.read_codings(review, coder))
    have = {
        (s.work_id, s.concept, s.quote, s.page, s.line) for s in coding.read_segments(review, coder)
    }
    fresh: list[coding.Segment] = []
    marks: dict[tuple[str, str], coding.Coding] = {}

    def cell(row: list[str], name: str) -> str:
        j = cols.get(name)
        return row[j].strip() if j is not None and j < len(row) else ""

    for number, row in enumerate(table[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        wid, cid = cell(row, "work_id"), cell(row, "concept").split(":", 1)[0].strip()
        quote, page, line = cell(row, "quote"), cell(row, "page"), cell(row, "line")
        if wid not in to_work:
            errors.add(
                number,
                cols["work_id"] + 1,
                f"unknown id {wid!r}; take the ids from `slr code --sheet`",
            )
            continue
        wid = to_work[wid]
        if cid not in concepts:
            errors.add(
                number,
                cols["concept"] + 1,
                f"unknown concept {cid!r}; concepts: {', '.join(concepts)}",
            )
            continue
        if not quote:
            errors.add(number, cols["quote"] + 1, "empty quote; a segment is a passage of the text")
            continue
        old = current.get((wid, cid))
        if old is not None and not old.present:
            errors.add(
                number,
                cols["concept"] + 1,
                f"{cid} is coded absent for {wid}; code it present first, or drop the row",
            )
            continue
        key = (wid, cid, quote, page, line)
        if key in have:
            continue
        have.add(key)
        fresh.append(coding.Segment(coder, wid, cid, quote, page, line))
        if old is None and (wid, cid) not in marks:
            marks[(wid, cid)] = coding.Coding(
                coder, wid, cid, True, extra={"via": f"segments {path.name}"}
            )
    errors.raise_any()
    coding.record_codings(review, list(marks.values()))
    coding.record_segments(review, fresh)
    return SegmentImport(len(fresh), len(marks))
