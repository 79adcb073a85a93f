"""The concept matrix as a Markdown (GitHub) pipe table; a concept's group leads its header."""

from __future__ import annotations

from slr.matrix.model import (
    COUNT_HEADER,
    STUDY_HEADER,
    Column,
    Matrix,
    Style,
    Summary,
    footer_rows,
    percent_text,
    row_cells,
)


def escape(text: str) -> str:
    """Keep a cell inside its column: escape pipes, backslashes and line breaks."""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(text.split())


def _header(col: Column) -> str:
    return f"{escape(col.group)}: {escape(col.label)}" if col.group else escape(col.label)


def _line(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render(matrix: Matrix, style: Style) -> str:
    """A pipe table: studies as rows, a bold Total row (and % row)."""
    header = [STUDY_HEADER, *(_header(c) for c in matrix.columns)]
    header += [COUNT_HEADER] if style.count else []
    lines = [_line(header), _line(["---"] + [":---:"] * (len(header) - 1))]
    for row in matrix.rows:
        lines.append(_line([escape(row.label), *row_cells(row, style)]))
    for label, cells in footer_rows(matrix, style):
        lines.append(_line([f"**{escape(label)}**", *cells]))
    return "\n".join(lines) + "\n"


def render_summary(data: Summary, style: Style) -> str:
    """group | theme or concept | studies or segments (| %) | group total, then the caption."""
    header = (
        ["Group", data.level, data.count_header]
        + (["%"] if style.percent else [])
        + ["Group total"]
    )
    lines = [_line(header), _line(["---", "---"] + ["---:"] * (len(header) - 2))]
    for g in data.groups:
        for i, (col, n) in enumerate(g.concepts):
            pct = percent_text(100.0 * n / data.studies if data.studies else 0.0)
            cells = [escape(g.group) if i == 0 else "", escape(col.label), str(n)]
            cells += [pct] if style.percent else []
            cells += [str(g.total) if i == 0 else ""]
            lines.append(_line(cells))
    total = ["**Total**", "", ""] + ([""] if style.percent else []) + [str(data.total)]
    lines.append(_line(total))
    lines += ["", f"Table: {escape(data.caption)}"]  # the caption as pandoc reads it
    return "\n".join(lines) + "\n"
