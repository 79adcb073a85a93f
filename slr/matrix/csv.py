"""The concept matrix as CSV: one header row, or two when concepts have groups."""

from __future__ import annotations

import csv
import io

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


def _safe(cell: str) -> str:
    # one line per row, and a spreadsheet would run a cell starting with = + - @ as a formula
    cell = " ".join(cell.split())
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def _write(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in rows:
        writer.writerow([_safe(c) for c in row])
    return buf.getvalue()


def render(matrix: Matrix, style: Style) -> str:
    """CSV text; grouped concepts add a first header row naming each column's group."""
    rows: list[list[str]] = []
    extra = [""] if style.count else []
    if matrix.grouped:
        rows.append(["", *(c.group or "" for c in matrix.columns), *extra])
    rows.append([STUDY_HEADER, *(c.label for c in matrix.columns)] + ([COUNT_HEADER] * style.count))
    for row in matrix.rows:
        rows.append([row.label, *row_cells(row, style)])
    for label, cells in footer_rows(matrix, style):
        rows.append([label, *cells])
    return _write(rows)


def render_summary(data: Summary, style: Style) -> str:
    """group, concept, studies (and percent), group total on the group's first line."""
    header = (
        ["Group", data.level, data.count_header]
        + (["%"] if style.percent else [])
        + ["Group total"]
    )
    rows = [header]
    for g in data.groups:
        for i, (col, n) in enumerate(g.concepts):
            pct = [percent_text(100.0 * n / data.studies if data.studies else 0.0)]
            rows.append(
                [g.group if i == 0 else "", col.label, str(n)]
                + (pct if style.percent else [])
                + [str(g.total) if i == 0 else ""]
            )
    rows.append(["Total", "", ""] + ([""] if style.percent else []) + [str(data.total)])
    return _write(rows)
