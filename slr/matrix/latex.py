"""The concept matrix as LaTeX: booktabs rules, rotated concept headers, amssymb marks.

Needs `\\usepackage{booktabs,graphicx,amssymb}` (and `longtable` when the table has more
rows than fit a page); `Style.standalone` wraps the table in a compilable document.
"""

from __future__ import annotations

from slr.matrix.model import (
    COUNT_HEADER,
    STUDY_HEADER,
    Matrix,
    Style,
    Summary,
    footer_rows,
    percent_text,
)

LONG_ROWS = 30  # more rows than this do not fit one page under rotated headers: longtable
PACKAGES = ("booktabs", "graphicx", "amssymb", "longtable")

_SPECIAL = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
_MARKS = {"✓": r"$\checkmark$", "✗": r"$\times$"}  # amssymb; in every TeX install


def escape(text: str) -> str:
    """Text safe in LaTeX: every special character escaped, whitespace collapsed."""
    return "".join(_SPECIAL.get(c, c) for c in " ".join(text.split()))


def _cell(text: str) -> str:
    return _MARKS.get(text) or escape(text)


def _head(label: str) -> str:
    # rotated and wrapped so ten long concept labels fit the text width
    return r"\rotatebox{90}{\parbox{3.6cm}{\raggedright " + escape(label) + "}}"


def _header_lines(matrix: Matrix, style: Style) -> list[str]:
    lines = []
    if matrix.grouped:
        cells, rules = [""], []
        for group, first, last in matrix.group_spans():
            span = last - first + 1
            cells.append(rf"\multicolumn{{{span}}}{{c}}{{{escape(group or '')}}}")
            if group:
                rules.append(rf"\cmidrule(lr){{{first + 2}-{last + 2}}}")
        cells += [""] if style.count else []
        lines.append(" & ".join(cells) + r" \\")
        lines.append("".join(rules))
    heads = [STUDY_HEADER, *(_head(c.label) for c in matrix.columns)]
    heads += [_head(COUNT_HEADER)] if style.count else []
    lines.append(" & ".join(heads) + r" \\")
    return lines


def _body_lines(matrix: Matrix, style: Style) -> list[str]:
    lines = []
    for row in matrix.rows:
        cells = [style.mark(c) for c in row.cells] + ([str(row.count)] if style.count else [])
        lines.append(" & ".join([escape(row.label), *(_cell(c) for c in cells)]) + r" \\")
    lines.append(r"\midrule")
    for label, cells in footer_rows(matrix, style):
        lines.append(" & ".join([escape(label), *(escape(c) for c in cells)]) + r" \\")
    return lines


def render(matrix: Matrix, style: Style) -> str:
    """A `table`+`tabular`, or a `longtable` when the rows will not fit a page."""
    ncols = len(matrix.columns) + (1 if style.count else 0)
    spec = "l" + "c" * ncols
    caption = r"\caption{Concept matrix" + (f": {escape(matrix.title)}" if matrix.title else "")
    caption += r"}\label{tab:concept-matrix}"
    head = _header_lines(matrix, style)
    out = ["% slr concept matrix; needs " + r"\usepackage{booktabs,graphicx,amssymb}"]
    if len(matrix.rows) > LONG_ROWS:
        out[0] += r" and \usepackage{longtable}"
        out += [
            r"{\footnotesize\setlength{\tabcolsep}{3pt}",
            r"\begin{longtable}{" + spec + "}",
            caption + r" \\",
            r"\toprule",
            *head,
            r"\midrule",
            r"\endfirsthead",
            r"\toprule",
            *head,
            r"\midrule",
            r"\endhead",
            r"\bottomrule",
            r"\endfoot",
            *_body_lines(matrix, style),
            r"\end{longtable}}",
        ]
    else:
        out += [
            r"\begin{table}[htbp]",
            r"\centering",
            r"\footnotesize",
            r"\setlength{\tabcolsep}{3pt}",
            caption,
            r"\begin{tabular}{" + spec + "}",
            r"\toprule",
            *head,
            r"\midrule",
            *_body_lines(matrix, style),
            r"\bottomrule",
            r"\end{tabular}",
            r"\end{table}",
        ]
    text = "\n".join(out) + "\n"
    return _document(text) if style.standalone else text


def render_summary(data: Summary, style: Style) -> str:
    """Group, concept, studies (and %), group total, with the group named once."""
    cols = "llr" + ("r" if style.percent else "") + "r"
    heads = (
        ["Group", data.level, data.count_header]
        + ([r"\%"] if style.percent else [])
        + ["Group total"]
    )
    out = [
        r"\begin{table}[htbp]",
        r"\centering",
        r"\caption{" + escape(data.caption) + r"}\label{tab:concept-summary}",
        r"\begin{tabular}{" + cols + "}",
        r"\toprule",
        " & ".join(heads) + r" \\",
        r"\midrule",
    ]
    for k, g in enumerate(data.groups):
        if k:
            out.append(r"\addlinespace")
        for i, (col, n) in enumerate(g.concepts):
            pct = percent_text(100.0 * n / data.studies if data.studies else 0.0)
            cells = [escape(g.group) if i == 0 else "", escape(col.label), str(n)]
            cells += [escape(pct)] if style.percent else []
            cells += [str(g.total) if i == 0 else ""]
            out.append(" & ".join(cells) + r" \\")
    out += [
        r"\midrule",
        " & ".join(["Total", "", ""] + ([""] if style.percent else []) + [str(data.total)])
        + r" \\",
        r"\bottomrule",
        r"\end{tabular}",
        r"\end{table}",
    ]
    text = "\n".join(out) + "\n"
    return _document(text) if style.standalone else text


def _document(body: str) -> str:
    return "\n".join(
        [
            r"\documentclass{article}",
            r"\usepackage[utf8]{inputenc}",
            r"\usepackage[T1]{fontenc}",
            r"\usepackage[margin=2cm]{geometry}",
            r"\usepackage{" + ",".join(PACKAGES) + "}",
            r"\begin{document}",
            body.rstrip("\n"),
            r"\end{document}",
            "",
        ]
    )
