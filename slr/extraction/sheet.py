"""The extraction sheet: a wide CSV/XLSX template (a row per study) and its all-or-nothing import.

Columns: `work_id`, then `authors`, `year`, `title` for the coder's eyes, then for each
protocol field `<id>`, `<id>_evidence`, `<id>_page`. A value cell is typed as in
`slr extract` (slr.extraction.form); `-` means "not reported"; an empty cell leaves the
field as it is. Every problem is collected as `file:row:column: ...` (one line each) and,
if there is any, nothing is written. Re-importing an unchanged sheet writes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slr.coding.sheet import read_table
from slr.errors import ExportError, ImportError_
from slr.extraction import form
from slr.extraction import log as xlog
from slr.matrix.model import write_output
from slr.review import Review

if TYPE_CHECKING:
    from slr.protocol import Field
    from slr.works import Work

ID_COLUMN = "work_id"
INFO_COLUMNS = ("authors", "year", "title")
SUFFIXES = ("_evidence", "_page")


class SheetErrors(ImportError_):
    """Every problem of a sheet, one `file:row:column: what; fix` line each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class SheetImport:
    studies: int  # rows read
    written: int  # value lines appended


def header(fields: tuple[Field, ...]) -> list[str]:
    cols = [ID_COLUMN, *INFO_COLUMNS]
    for f in fields:
        cols += [f.id, f"{f.id}_evidence", f"{f.id}_page"]
    return cols


def sheet_rows(review: Review, coder: str, works: list[Work]) -> list[list[str]]:
    """The template as rows of text, pre-filled with the coder's standing values."""
    fields = xlog.fields_of(review)
    current = xlog.latest(xlog.read_values(review, coder))
    rows = [header(fields)]
    for w in works:
        rec = w.canonical
        row = [w.work_id, "; ".join(rec.authors), str(rec.year or ""), rec.title or ""]
        for f in fields:
            v = current.get((w.work_id, f.id))
            if v is None:
                row += ["", "", ""]
            else:
                text = "-" if v.value is None else form.format_value(v.value)
                row += [text, v.evidence, v.page]
        rows.append(row)
    return rows


def write_sheet(review: Review, path: Path, coder: str, works: list[Work]) -> int:
    """Write the template (.csv or .xlsx); returns the number of studies."""
    rows = sheet_rows(review, coder, works)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ExportError(f"{path}: an extraction sheet is .csv or .xlsx; rename the file")
    if path.is_file():  # a filled-in sheet not imported yet is the coder's only copy
        raise ExportError(
            f"{path}: already exists and may hold values not imported yet; import it with "
            f"`slr extract --import {path}`, or delete it or name another file"
        )
    write_output(path, table_bytes(rows, suffix, "Extraction"))
    return len(rows) - 1


def table_bytes(rows: list[list[Any]], suffix: str, title: str) -> bytes:
    """Rows as CSV (UTF-8) or a one-sheet XLSX workbook."""
    if suffix == ".csv":
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        return buf.getvalue().encode("utf-8")
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws: Any = wb.create_sheet(title)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class _Errors:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, row: int, column: int, message: str) -> None:
        self.lines.append(f"{self.path}:{row}:{column}: {message}")

    def raise_any(self) -> None:
        if self.lines:
            raise SheetErrors(self.lines)


def import_sheet(
    review: Review, path: Path, coder: str, works: list[Work] | None = None
) -> SheetImport:
    """Check the whole sheet, then append the changed values in one write (all or nothing)."""
    from slr.coding.log import included

    path = Path(path)
    works = included(review) if works is None else works
    fields = {f.id: f for f in xlog.fields_of(review)}
    table = read_table(path)
    errors = _Errors(path)
    if not table or not any(c.strip() for c in table[0]):
        raise SheetErrors([f"{path}:1:1: empty sheet; write a template with `slr extract --sheet`"])
    columns: dict[str, int] = {}
    for j, name in enumerate(c.strip() for c in table[0]):
        if not name:
            continue
        base = name.removesuffix("_evidence").removesuffix("_page")
        if name in columns:
            errors.add(1, j + 1, f"column {name!r} appears twice; keep one")
        elif name not in (ID_COLUMN, *INFO_COLUMNS) and base not in fields:
            errors.add(
                1, j + 1, f"unknown column {name!r}: not a field of the protocol; fix or remove it"
            )
        columns[name] = j
    if ID_COLUMN not in columns:
        errors.add(1, 1, f"no {ID_COLUMN} column; write a template with `slr extract --sheet`")
    errors.raise_any()

    index = {rid: w.work_id for w in works for rid in (w.work_id, *w.record_ids)}
    current = xlog.latest(xlog.read_values(review, coder))
    idcol = columns[ID_COLUMN]
    seen: dict[str, int] = {}
    fresh: list[xlog.Value] = []
    studies = 0
    via = {"via": f"sheet {path.name}"}
    for number, row in enumerate(table[1:], start=2):
        if not any(c.strip() for c in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            j = columns.get(name)
            return row[j].strip() if j is not None and j < len(row) else ""

        wid = index.get(cell(ID_COLUMN))
        if wid is None:
            errors.add(
                number,
                idcol + 1,
                f"unknown study id {cell(ID_COLUMN)!r}: not an included study; "
                "take the ids from `slr extract --sheet`",
            )
            continue
        if wid in seen:
            errors.add(number, idcol + 1, f"study {wid} already on row {seen[wid]}; keep one row")
            continue
        seen[wid] = number
        studies += 1
        for fid, f in fields.items():
            if fid not in columns:
                continue
            text, evidence, page = cell(fid), cell(f"{fid}_evidence"), cell(f"{fid}_page")
            if not text:
                if evidence or page:
                    errors.add(
                        number,
                        columns[fid] + 1,
                        f"{fid}: evidence without a value; enter the value (or - for not reported)",
                    )
                continue
            if page and not page.isdigit():
                errors.add(
                    number,
                    columns[f"{fid}_page"] + 1,
                    f"{fid}_page: {page!r} is not a page number; write e.g. 4",
                )
                continue
            try:
                value = None if text == "-" else form.parse_value(f, text)
            except form.FormError as exc:
                errors.add(
                    number, columns[fid] + 1, str(exc).replace("enter it again", "fix the cell")
                )
                continue
            if value is None and f.required:
                errors.add(number, columns[fid] + 1, f"{fid}: required; enter {form.expects(f)}")
                continue
            old = current.get((wid, fid))
            if old is not None and (old.value, old.evidence, old.page) == (value, evidence, page):
                continue  # re-importing the same sheet writes nothing
            fresh.append(xlog.Value(coder, wid, fid, value, evidence, page, extra=via))
    errors.raise_any()
    xlog.record_values(review, fresh)
    return SheetImport(studies, len(fresh))
