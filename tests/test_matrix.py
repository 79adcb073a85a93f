"""The matrix model: labels, cells, totals, percents, counts, sorting, groups and the summary."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from test_coding_support import make_review, table1_works, work

from slr.cli import main
from slr.coding.log import Coding, latest, record_codings, set_labels
from slr.errors import ExportError
from slr.matrix.model import (
    Style,
    base_label,
    build,
    format_for,
    review_matrix,
    sort_rows,
    study_labels,
    summary,
    surname,
)
from slr.protocol import Concept

C = (Concept("A", "Alpha"), Concept("B", "Beta"), Concept("C", "Gamma"))


def codings(marks: dict[str, str], concepts=C) -> dict:
    """work id -> '10?' string (1 present, 0 absent, ? uncoded) as standing codings."""
    out = []
    for wid, text in marks.items():
        for c, m in zip(concepts, text, strict=True):
            if m != "?":
                out.append(Coding("x", wid, c.id, m == "1"))
    return latest(out)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Paleyes, Andrei", "Paleyes"),
        ("Andrei Paleyes", "Paleyes"),
        ("Paleyes A.", "Paleyes"),
        ("Diaz-de-Arcaya J.", "Diaz-de-Arcaya"),
        ("Wil M. P. van der Aalst", "van der Aalst"),
        ("van der Aalst, W.M.P.", "van der Aalst"),
        ("  Schröder ,  Tim ", "Schröder"),
        ("Tamburri", "Tamburri"),
    ],
)
def test_surname_of_every_author_form(name, expected):
    assert surname(name) == expected


def test_labels_one_two_and_more_authors():
    assert base_label(["Tamburri, D. A."], 2020) == "Tamburri (2020)"
    assert base_label(["Painoli", "Datrika"], 2021) == "Painoli & Datrika (2021)"
    assert base_label(["Schröder", "Schulz"], 2022, "and") == "Schröder and Schulz (2022)"
    assert base_label(["Paleyes", "Urma", "Lawrence"], 2022) == "Paleyes et al. (2022)"
    assert base_label([], None) == "Anonymous (n.d.)"


def test_same_author_and_year_get_suffixes_by_title():
    works = [
        work(1, ("Smith, J.", "Doe, A.", "Roe, B."), 2019, title="Zebra patterns"),
        work(2, ("Smith, K.", "Poe, C.", "Low, D."), 2019, title="Apple orchards"),
        work(3, ("Smith, J.",), 2019, title="Alone"),
        work(4, ("Smith, J.", "Doe, A.", "Roe, B."), 2020, title="Later"),
    ]
    labels = study_labels(works)
    assert labels["manual:2"] == "Smith et al. (2019a)"  # "Apple..." sorts first
    assert labels["manual:1"] == "Smith et al. (2019b)"
    assert labels["manual:3"] == "Smith (2019)"  # a different label: no suffix
    assert labels["manual:4"] == "Smith et al. (2020)"


def test_override_replaces_the_computed_label():
    works = [work(1, ("Schröder", "Schulz"), 2022)]
    assert study_labels(works)["manual:1"] == "Schröder & Schulz (2022)"
    labels = study_labels(works, {"manual:1": "Schröder and Schulz (2022)"})
    assert labels["manual:1"] == "Schröder and Schulz (2022)"


def test_default_labels_match_the_paper_but_for_its_inconsistent_one():
    labels = study_labels(table1_works())
    got = list(labels.values())
    assert got[5] == "Painoli & Datrika (2021)"
    assert got[6] == "Schröder & Schulz (2022)"  # the paper prints "and" here only
    assert got[:5] == [
        "Paleyes et al. (2022)",
        "Granlund et al. (2021)",
        "Lima et al. (2022)",
        "Baier et al. (2019)",
        "Tamburri (2020)",
    ]


def test_cells_totals_percents_counts():
    works = [work(1), work(2, ("Doe, A.",)), work(3, ("Roe, B.",))]
    m = build(works, C, codings({"manual:1": "110", "manual:2": "000", "manual:3": "10?"}))
    assert [r.cells for r in m.rows] == [
        (True, True, False),
        (False, False, False),
        (True, False, None),
    ]
    assert m.totals == (2, 1, 0)  # concept C: no study has it
    assert [round(p, 1) for p in m.percents] == [66.7, 33.3, 0.0]
    assert [r.count for r in m.rows] == [2, 0, 1]  # study 2: no concept
    assert m.uncoded == 1


def test_empty_matrix_has_zero_totals():
    m = build([], C, {})
    assert m.totals == (0, 0, 0) and m.percents == (0.0, 0.0, 0.0)


def test_marks_styles():
    assert [
        Style(marks=s).mark(True) + Style(marks=s).mark(False) for s in ("check", "yn", "01")
    ] == [
        "✓✗",
        "YN",
        "10",
    ]
    assert Style().mark(None) == "?"
    with pytest.raises(ExportError, match="unknown marks"):
        Style(marks="xx")


def test_sort_by_year_and_author():
    works = [
        work(1, ("Zhang, L.",), 2020),
        work(2, ("Baier, L.",), 2019),
        work(3, ("Adams, P.",), None),
        work(4, ("Baier, L.",), 2018),
    ]
    m = build(works, C, {})
    assert [r.work_id[-1] for r in sort_rows(m, "as-included").rows] == ["1", "2", "3", "4"]
    assert [r.work_id[-1] for r in sort_rows(m, "year").rows] == ["4", "2", "1", "3"]
    assert [r.work_id[-1] for r in sort_rows(m, "author").rows] == ["3", "4", "2", "1"]
    with pytest.raises(ExportError):
        sort_rows(m, "title")


def test_group_spans_and_summary():
    concepts = (
        Concept("A", "Skills", "Organisational"),
        Concept("B", "Slow processes", "Organisational"),
        Concept("C", "Tools", "Technical"),
        Concept("D", "Other"),
    )
    works = [work(1), work(2)]
    m = build(works, concepts, codings({"manual:1": "1110", "manual:2": "1001"}, concepts))
    assert m.grouped
    assert m.group_spans() == [("Organisational", 0, 1), ("Technical", 2, 2), (None, 3, 3)]
    s = summary(m)
    assert [(g.group, [n for _, n in g.concepts], g.total) for g in s.groups] == [
        ("Organisational", [2, 1], 3),
        ("Technical", [1], 1),
        ("", [1], 1),
    ]
    assert s.total == 5 and s.studies == 2


def test_format_from_extension():
    assert format_for(None, "out/t.tex") == "latex"
    assert format_for(None, "T.XLSX") == "xlsx"
    assert format_for(None, None) == "csv"
    assert format_for("svg", "x.png") == "svg"
    with pytest.raises(ExportError, match="extension"):
        format_for(None, "table.doc")


def test_review_matrix_uses_included_studies_codings_and_labels(tmp_path):
    concepts = [{"id": "A", "label": "Alpha"}, {"id": "B", "label": "Beta"}]
    review = make_review(tmp_path, concepts, [work(1), work(2, ("Doe, A.",), 2018), work(3)])
    from slr.decisions import Decision, record_decision

    # study 3 is excluded at full text: not in the matrix
    record_decision(review, Decision("r1", "full-text", "manual:3", "exclude", ("EC1",)))
    record_codings(
        review, [Coding("ann", "manual:1", "A", True), Coding("ann", "manual:1", "B", False)]
    )
    record_codings(review, [Coding("ann", "manual:1", "B", True)])  # a change: latest counts
    set_labels(review, {"manual:2": "Doe (2018) [pilot]"})
    m = review_matrix(review)
    assert [r.label for r in m.rows] == ["Smith (2020)", "Doe (2018) [pilot]"]
    assert [r.cells for r in m.rows] == [(True, True), (None, None)]
    assert m.coder == "ann" and m.title == "Test review: A & B"
    set_labels(review, {"manual:2": ""})  # withdrawn: the computed label again
    assert review_matrix(review).rows[1].label == "Doe (2018)"


def test_matrix_command_errors(tmp_path):
    concepts = [{"id": "A", "label": "Alpha"}]
    review = make_review(tmp_path, concepts, [work(1)])
    p = str(review.protocol.path)
    runner = CliRunner()
    result = runner.invoke(main, ["matrix", "-p", p])
    assert result.exit_code == 1 and "no coding" in result.output and "slr code" in result.output
    record_codings(
        review, [Coding("ann", "manual:1", "A", True), Coding("bob", "manual:1", "A", False)]
    )
    result = runner.invoke(main, ["matrix", "-p", p])
    assert result.exit_code == 1 and "several coders (ann, bob)" in result.output
    result = runner.invoke(main, ["matrix", "-p", p, "--coder", "eve"])
    assert result.exit_code == 1 and "no coding by 'eve'" in result.output
    result = runner.invoke(main, ["matrix", "-p", p, "--coder", "bob", "--format", "png"])
    assert result.exit_code == 1 and "-o FILE.png" in result.output
    result = runner.invoke(main, ["matrix", "-p", p, "--coder", "bob", "--marks", "01"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["Study,Alpha", "Smith (2020),0", "Total,0"]


def test_matrix_command_warns_about_uncoded_cells(tmp_path):
    concepts = [{"id": "A", "label": "Alpha"}, {"id": "B", "label": "Beta"}]
    review = make_review(tmp_path, concepts, [work(1), work(2)])
    record_codings(review, [Coding("ann", "manual:1", "A", True)])
    result = CliRunner().invoke(main, ["matrix", "-p", str(review.protocol.path)])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:3] == ["Smith (2020a),✓,?", "Smith (2020b),?,?"]
    assert "3 cells not coded yet by ann" in result.stderr


def test_matrix_command_options_on_the_reference_review(tmp_path):
    from test_coding_support import table1_review

    review = table1_review(tmp_path)
    p = str(review.protocol.path)
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(main, ["matrix", "-p", p, *args])
        assert result.exit_code == 0, result.output
        return result

    labels = [line.split(",")[0] for line in run("--two-authors", "and").stdout.splitlines()]
    assert "Painoli and Datrika (2021)" in labels
    assert "Schröder and Schulz (2022)" in labels  # the stored override wins anyway
    by_year = run("--sort", "year", "--format", "markdown").stdout.splitlines()
    assert by_year[2].startswith("| Baier et al. (2019) |")
    assert by_year[-1].startswith("| **Total** | 9 | 10 | 8 |")
    summary_rows = run("--summary", "--percent").stdout.splitlines()
    assert summary_rows[0] == "Group,Concept,Studies,%,Group total"
    assert summary_rows[-1] == "Total,,,,50"
    out = tmp_path / "out" / "table1.tex"
    result = run("-o", str(out), "--percent")
    assert out.read_text("utf-8").count(r"\checkmark") == 50 and result.stdout == ""
    assert out.stat().st_mode & 0o044  # readable by others like any file the user makes
    run("-o", str(tmp_path / "t.png"))
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"


def test_status_counts_coded_studies(tmp_path):
    from slr.status import format_status, status

    concepts = [{"id": "A", "label": "Alpha"}, {"id": "B", "label": "Beta"}]
    review = make_review(tmp_path, concepts, [work(1), work(2)])
    record_codings(
        review,
        [Coding("ann", "manual:1", "A", True), Coding("ann", "manual:1", "B", False)]
        + [Coding("ann", "manual:2", "A", True)],
    )
    data = status(review).to_dict()
    assert data["coding"] == {"studies": 2, "concepts": 2, "coded": {"ann": 1}}
    assert "coding ann: 1 of 2 included studies coded" in format_status(status(review))
