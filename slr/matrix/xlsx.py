"""The concept matrix as an Excel workbook (openpyxl): merged group headers, values not formulas.

Totals are written as numbers: openpyxl stores no computed values for formulas, so a
formula would read as empty in pandas and other non-Excel readers.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from slr.matrix.model import (
    COUNT_HEADER,
    STUDY_HEADER,
    Matrix,
    Style,
    Summary,
    footer_rows,
    percent_text,
    row_cells,
)

_BOLD = Font(bold=True)
_FIXED_TIME = datetime(2000, 1, 1)  # document dates do not follow the clock


def _save(wb: Workbook) -> bytes:
    wb.properties.created = _FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _without_clock(buf.getvalue())


def _without_clock(data: bytes) -> bytes:
    """The workbook re-packed with fixed dates: openpyxl stamps the time of saving into
    docProps/core.xml and into every zip entry, so the same matrix gave other bytes."""
    stamp = _FIXED_TIME.isoformat() + "Z"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), body)
            entry = zipfile.ZipInfo(info.filename, _FIXED_TIME.timetuple()[:6])
            dst.writestr(entry, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _number(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def render(matrix: Matrix, style: Style) -> bytes:
    """One sheet "Matrix": group row (merged), header row, a row per study, Total (and %)."""
    wb = Workbook()
    ws: Worksheet = wb.active  # type: ignore[assignment]
    ws.title = "Matrix"
    r = 1
    if matrix.grouped:
        for group, first, last in matrix.group_spans():
            if group:
                ws.cell(r, first + 2, group).font = _BOLD
                ws.cell(r, first + 2).alignment = Alignment(horizontal="center")
                if last > first:
                    ws.merge_cells(
                        start_row=r, start_column=first + 2, end_row=r, end_column=last + 2
                    )
        r += 1
    heads = [STUDY_HEADER, *(c.label for c in matrix.columns)]
    heads += [COUNT_HEADER] if style.count else []
    for j, text in enumerate(heads, start=1):
        cell = ws.cell(r, j, text)
        cell.font = _BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="bottom", horizontal="center")
    ws.freeze_panes = ws.cell(r + 1, 2)
    for row in matrix.rows:
        r += 1
        ws.cell(r, 1, row.label)
        for j, text in enumerate(row_cells(row, style), start=2):
            ws.cell(r, j, _number(text)).alignment = Alignment(horizontal="center")
    for label, cells in footer_rows(matrix, style):
        r += 1
        ws.cell(r, 1, label).font = _BOLD
        for j, text in enumerate(cells, start=2):
            ws.cell(r, j, _number(text)).alignment = Alignment(horizontal="center")
    ws.column_dimensions["A"].width = (
        max([len(STUDY_HEADER)] + [len(x.label) for x in matrix.rows]) + 2
    )
    for j in range(2, len(heads) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 14
    return _save(wb)


def render_summary(data: Summary, style: Style) -> bytes:
    """One sheet "Summary": group, theme or concept, count (and %), group total; the caption."""
    wb = Workbook()
    ws: Worksheet = wb.active  # type: ignore[assignment]
    ws.title = "Summary"
    heads = (
        ["Group", data.level, data.count_header]
        + (["%"] if style.percent else [])
        + ["Group total"]
    )
    ws.append(heads)
    for cell in ws[1]:
        cell.font = _BOLD
    for g in data.groups:
        for i, (col, n) in enumerate(g.concepts):
            pct = percent_text(100.0 * n / data.studies if data.studies else 0.0)
            ws.append(
                [g.group if i == 0 else None, col.label, n]
                + ([pct] if style.percent else [])
                + [g.total if i == 0 else None]
            )
    ws.append(["Total", None, None] + ([None] if style.percent else []) + [data.total])
    ws.append([])
    ws.append([data.caption])  # what was counted, below the table
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 48
    return _save(wb)
