"""Every output format of the matrix and the summary, grouped and ungrouped."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from test_coding_support import work

from slr.coding.log import Coding, latest
from slr.matrix import latex as matrix_latex
from slr.matrix import markdown as matrix_markdown
from slr.matrix.model import FORMATS, Matrix, Style, build, render, render_summary, summary
from slr.protocol import Concept

SPECIAL = "R&D 100% $5 #1 a_b {x} ~y ^z \\w"

FLAT = (Concept("A", "Alpha"), Concept("B", "Beta & co"), Concept("C", "Gamma"))
GROUPED = (
    Concept("A", "Skills", "Organisational"),
    Concept("B", "Slow processes", "Organisational"),
    Concept("C", "Tools", "Technical"),
    Concept("D", "Other"),
)


def _matrix(concepts, marks: list[str], works=None, title="T") -> Matrix:
    works = works or [work(i, (f"Author{i}, A.",), 2000 + i) for i in range(len(marks))]
    log = [
        Coding("x", w.work_id, c.id, m == "1")
        for w, text in zip(works, marks, strict=True)
        for c, m in zip(concepts, text, strict=True)
        if m != "?"
    ]
    return build(works, concepts, latest(log), title=title)


def flat() -> Matrix:
    return _matrix(FLAT, ["110", "000", "100"])  # study 1: none; concept C: none


def grouped() -> Matrix:
    return _matrix(GROUPED, ["1101", "1000", "0110"])


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# ---------------------------------------------------------------- every format


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("make", [flat, grouped], ids=["flat", "grouped"])
def test_every_format_renders_matrix_and_summary(fmt, make):
    style = Style(percent=True, count=True)
    for data in (render(make(), fmt, style), render_summary(summary(make()), fmt, style)):
        if fmt in ("xlsx", "png", "svg"):
            assert isinstance(data, bytes) and data
        else:
            assert isinstance(data, str) and ("Alpha" in data or "Skills" in data)


# ---------------------------------------------------------------- CSV


def test_csv_flat_with_percent_and_count():
    got = rows(render(flat(), "csv", Style(percent=True, count=True)))
    assert got == [
        ["Study", "Alpha", "Beta & co", "Gamma", "Count"],
        ["Author0 (2000)", "✓", "✓", "✗", "2"],
        ["Author1 (2001)", "✗", "✗", "✗", "0"],
        ["Author2 (2002)", "✓", "✗", "✗", "1"],
        ["Total", "2", "1", "0", "3"],
        ["%", "67%", "33%", "0%", ""],
    ]


def test_csv_grouped_has_two_header_rows():
    got = rows(render(grouped(), "csv", Style(marks="yn")))
    assert got[0] == ["", "Organisational", "Organisational", "Technical", ""]
    assert got[1] == ["Study", "Skills", "Slow processes", "Tools", "Other"]
    assert got[2] == ["Author0 (2000)", "Y", "Y", "N", "Y"]
    assert got[-1] == ["Total", "2", "2", "1", "1"]


def test_csv_neutralises_formula_cells():
    m = _matrix((Concept("A", "=HYPERLINK()"),), ["1"], [work(1, ("@evil",), 2020)])
    got = rows(render(m, "csv"))
    assert got[0][1] == "'=HYPERLINK()" and got[1][0] == "'@evil (2020)"


def test_csv_summary():
    got = rows(render_summary(summary(grouped()), "csv", Style(percent=True)))
    assert got == [
        ["Group", "Concept", "Studies", "%", "Group total"],
        ["Organisational", "Skills", "2", "67%", "4"],
        ["", "Slow processes", "2", "67%", ""],
        ["Technical", "Tools", "1", "33%", "1"],
        ["", "Other", "1", "33%", "1"],
        ["Total", "", "", "", "6"],
    ]


# ---------------------------------------------------------------- Markdown


def test_markdown_grouped_header_and_escaping():
    m = _matrix(GROUPED, ["1101"], [work(1, ("A|B",), 2020)])
    text = render(m, "markdown", Style(count=True))
    lines = text.splitlines()
    assert lines[0] == (
        "| Study | Organisational: Skills | Organisational: Slow processes "
        "| Technical: Tools | Other | Count |"
    )
    assert lines[1] == "| --- | :---: | :---: | :---: | :---: | :---: |"
    assert lines[2] == "| A\\|B (2020) | ✓ | ✓ | ✗ | ✓ | 3 |"
    assert lines[3] == "| **Total** | 1 | 1 | 0 | 1 | 3 |"
    assert matrix_markdown.escape("a\\b|c\n d") == "a\\\\b\\|c d"


def test_markdown_summary():
    text = render_summary(summary(grouped()), "markdown", Style())
    assert "| Organisational | Skills | 2 | 4 |" in text
    assert "| **Total** |  |  | 6 |" in text


# ---------------------------------------------------------------- LaTeX


def test_latex_escapes_every_special_character():
    assert matrix_latex.escape(SPECIAL) == (
        r"R\&D 100\% \$5 \#1 a\_b \{x\} \textasciitilde{}y \textasciicircum{}z \textbackslash{}w"
    )


def test_latex_flat_structure():
    text = render(flat(), "latex", Style(percent=True))
    assert r"\begin{tabular}{lccc}" in text and "longtable" not in text.split("\n", 1)[1]
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert rule in text
    assert r"Author0 (2000) & $\checkmark$ & $\checkmark$ & $\times$ \\" in text
    assert r"Total & 2 & 1 & 0 \\" in text
    assert r"\% & 67\% & 33\% & 0\% \\" in text
    assert r"Beta \& co" in text
    assert r"\multicolumn" not in text


def test_latex_grouped_multicolumn_and_cmidrule():
    text = render(grouped(), "latex", Style(count=True))
    assert (
        r" & \multicolumn{2}{c}{Organisational} & \multicolumn{1}{c}{Technical}"
        r" & \multicolumn{1}{c}{} &  \\"
    ) in text
    assert r"\cmidrule(lr){2-3}\cmidrule(lr){4-4}" in text
    assert r"\begin{tabular}{lccccc}" in text


def test_latex_long_table():
    marks = ["101"] * (matrix_latex.LONG_ROWS + 1)
    text = render(_matrix(FLAT, marks), "latex")
    assert r"\begin{longtable}{lccc}" in text
    assert text.count(r"\endfirsthead") == 1 and text.count(r"\endhead") == 1
    assert r"\begin{table}" not in text
    short = render(_matrix(FLAT, marks[:-1]), "latex")
    assert r"\begin{table}[htbp]" in short and r"\begin{longtable}" not in short


def _special_matrix(rows: int) -> Matrix:
    concepts = (
        Concept("A", SPECIAL, "Group & #1"),
        Concept("B", "Data_quality 50%", "Group & #1"),
        Concept("C", "Zárate ~ Miñón"),
    )
    works = [work(i, (f"Schröder{i}, T.", "O'Brien_{x}"), 2020) for i in range(rows)]
    return _matrix(concepts, ["10?"] * rows, works, title=SPECIAL)


@pytest.mark.parametrize("rows_", [3, matrix_latex.LONG_ROWS + 5], ids=["table", "longtable"])
def test_latex_compiles_with_pdflatex(tmp_path, rows_):
    if not shutil.which("pdflatex"):
        pytest.skip("pdflatex not installed (apt-get install texlive-latex-recommended)")
    tex = render(_special_matrix(rows_), "latex", Style(percent=True, count=True, standalone=True))
    (tmp_path / "m.tex").write_text(tex, "utf-8")
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "m.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "m.pdf").stat().st_size > 1000


def test_latex_summary_compiles_or_is_well_formed(tmp_path):
    tex = render_summary(summary(_special_matrix(2)), "latex", Style(percent=True, standalone=True))
    assert r"Group \& \#1 & " in tex and r"\addlinespace" in tex
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 1
    if shutil.which("pdflatex"):
        (tmp_path / "s.tex").write_text(tex, "utf-8")
        proc = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "s.tex"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stdout[-2000:]


# ---------------------------------------------------------------- XLSX


def test_xlsx_grouped_values_and_merged_group_header():
    data = render(grouped(), "xlsx", Style(percent=True))
    ws = load_workbook(io.BytesIO(data)).active
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0][:4] == [None, "Organisational", None, "Technical"]
    assert "B1:C1" in {str(r) for r in ws.merged_cells.ranges}
    assert values[1] == ["Study", "Skills", "Slow processes", "Tools", "Other"]
    assert values[2] == ["Author0 (2000)", "✓", "✓", "✗", "✓"]
    assert values[-2] == ["Total", 2, 2, 1, 1]  # numbers, not text or formulas
    assert values[-1] == ["%", "67%", "67%", "33%", "33%"]


def test_xlsx_summary():
    ws = load_workbook(io.BytesIO(render_summary(summary(grouped()), "xlsx", Style()))).active
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[1] == ["Organisational", "Skills", 2, 4]
    assert values[-3] == ["Total", None, None, 6]
    assert values[-1][0].startswith("Studies per concept by group")  # the caption below


# ---------------------------------------------------------------- PNG / SVG


def test_png_is_an_image_and_reproducible():
    a = render(grouped(), "png", Style(count=True))
    assert a[:8] == b"\x89PNG\r\n\x1a\n"
    assert render(grouped(), "png", Style(count=True)) == a


def test_svg_is_well_formed_names_the_studies_and_is_reproducible():
    data = render(flat(), "svg", Style(percent=True))
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for label in ("Author0 (2000)", "Author2 (2002)", "Alpha", "67%"):
        assert label in text
    assert render(flat(), "svg", Style(percent=True)) == data


def test_uncoded_cells_are_marked_in_text_formats():
    m = _matrix(FLAT, ["1?0"])
    assert rows(render(m, "csv"))[1] == ["Author0 (2000)", "✓", "?", "✗"]
    assert r"Author0 (2000) & $\checkmark$ & ? & $\times$ \\" in render(m, "latex")


@given(st.text(max_size=40))
def test_latex_escape_leaves_no_bare_special_character(text):
    out = matrix_latex.escape(text)
    # take out every escape sequence slr writes; nothing special may remain
    for seq in (r"\textasciitilde{}", r"\textasciicircum{}", r"\textbackslash{}"):
        out = out.replace(seq, "")
    for seq in (r"\textless{}", r"\textgreater{}", r"\textbar{}"):
        out = out.replace(seq, "")
    out = re.sub(r"\\[&%$#_{}]", "", out)
    assert not set(out) & set("&%$#_{}~^\\<>|")


@given(st.lists(st.text(min_size=1, max_size=20).filter(str.strip), min_size=1, max_size=4))
def test_csv_round_trips_any_concept_label(labels):
    concepts = tuple(Concept(f"C{i}", label) for i, label in enumerate(labels))
    m = _matrix(concepts, ["1" * len(labels)])
    header = rows(render(m, "csv"))[0][1:]
    flat = [" ".join(x.split()) for x in labels]  # line breaks would split a CSV row
    safe = ["'" + x if x[:1] in "=+-@" else x for x in flat]
    assert header == safe
