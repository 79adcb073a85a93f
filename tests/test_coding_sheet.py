"""The coding sheet: template, import, and validation that changes nothing on any error."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from test_coding_support import make_review, work

from slr.cli import main
from slr.coding.log import Coding, latest, read_codings, read_labels, record_codings
from slr.coding.sheet import import_sheet, parse_mark, sheet_rows
from slr.errors import ImportError_

CONCEPTS = [{"id": "C1", "label": "Model issues"}, {"id": "C2", "label": "Data issues"}]


def _review(tmp_path):
    works = [
        work(1, ("Paleyes, A.", "Urma, R.", "Lawrence, N."), 2022, doi="10.1145/3533378"),
        work(2, ("Tamburri, D.",), 2020, title="Sustainable MLOps: Trends and challenges"),
    ]
    return make_review(tmp_path, CONCEPTS, works)


def _csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _snapshot(review):
    folder = review.store.root
    return {p.name: p.read_bytes() for p in folder.rglob("*.jsonl")}


def test_template_then_import_round_trip(tmp_path):
    review = _review(tmp_path)
    runner = CliRunner()
    p = str(review.protocol.path)
    sheet = tmp_path / "coding.csv"
    out = runner.invoke(main, ["code", "-p", p, "--coder", "r1", "--sheet", str(sheet)])
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(sheet.read_text("utf-8"))))
    assert rows[0] == [
        "work_id",
        "label",
        "authors",
        "year",
        "title",
        "venue",
        "doi",
        "C1: Model issues",
        "C2: Data issues",
    ]
    assert rows[1][:2] == ["manual:1", "Paleyes et al. (2022)"] and rows[1][7:] == ["", ""]
    rows[1][7:] = ["✓", "n"]
    rows[2][7:] = ["Yes", ""]  # an empty cell stays uncoded
    _csv(sheet, rows)
    out = runner.invoke(main, ["code", "-p", p, "--coder", "r1", "--import", str(sheet)])
    assert out.exit_code == 0, out.output
    assert "2 studies, 3 codings changed, 0 labels set" in out.output
    state = {k: v.present for k, v in latest(read_codings(review, "r1")).items()}
    assert state == {("manual:1", "C1"): True, ("manual:1", "C2"): False, ("manual:2", "C1"): True}
    assert all(c.extra["via"] == "sheet coding.csv" for c in read_codings(review, "r1"))
    # the next template is pre-filled with the coding
    again = sheet_rows(review, "r1", [work(1, ("Paleyes, A.", "Urma, R.", "Lawrence, N."), 2022)])
    assert again[1][7:] == ["✓", "✗"]


def test_xlsx_template_and_import(tmp_path):
    review = _review(tmp_path)
    p = str(review.protocol.path)
    sheet = tmp_path / "coding.xlsx"
    out = CliRunner().invoke(main, ["code", "-p", p, "--coder", "r1", "--sheet", str(sheet)])
    assert out.exit_code == 0, out.output
    wb = load_workbook(sheet)
    ws = wb.active
    assert ws["H1"].value == "C1: Model issues" and ws["A3"].value == "manual:2"
    assert ws.data_validations.dataValidation  # a drop-down of marks
    ws["H2"], ws["I2"], ws["H3"] = 1, 0, True  # numbers and booleans as Excel stores them
    ws["B3"] = "Tamburri (2020) [keynote]"
    wb.save(sheet)
    out = CliRunner().invoke(main, ["code", "-p", p, "--coder", "r1", "--import", str(sheet)])
    assert out.exit_code == 0, out.output
    state = {k: v.present for k, v in latest(read_codings(review, "r1")).items()}
    assert state == {("manual:1", "C1"): True, ("manual:1", "C2"): False, ("manual:2", "C1"): True}
    assert read_labels(review) == {"manual:2": "Tamburri (2020) [keynote]"}


def test_rows_match_by_doi_or_title_without_work_id(tmp_path):
    review = _review(tmp_path)
    sheet = _csv(
        tmp_path / "s.csv",
        [
            ["label", "title", "doi", "C1"],
            ["", "", "https://doi.org/10.1145/3533378", "1"],
            ["", "SUSTAINABLE MLOps - trends and challenges", "", "0"],
        ],
    )
    result = import_sheet(review, sheet, "r1")
    assert (result.studies, result.changed) == (2, 2)


def test_semicolon_csv_with_bom(tmp_path):
    review = _review(tmp_path)
    sheet = tmp_path / "s.csv"
    sheet.write_bytes("\ufeffwork_id;C2\nmanual:2;✗\n".encode())
    assert import_sheet(review, sheet, "r1").changed == 1


@pytest.mark.parametrize(
    "rows, where, message",
    [
        ([["work_id", "C1", "C9"], ["manual:1", "1", "1"]], ":1:3:", "unknown concept id 'C9'"),
        (
            [["work_id", "C1"], ["manual:1", "1"], ["manual:7", "1"]],
            ":3:1:",
            "unknown study id 'manual:7'",
        ),
        (
            [["work_id", "label", "C1"], ["manual:1", "", "maybe"]],
            ":2:3:",
            "'maybe' is not a mark for C1",
        ),
        ([["work_id", "C1"], ["manual:1", "1"], ["manual:1", "0"]], ":3:1:", "already on row 2"),
        ([["work_id", "C1", "C1: again"], ["manual:1", "1", "1"]], ":1:3:", "C1 has two columns"),
        ([["study", "C1"], ["manual:1", "1"]], ":1:1:", "other columns: work_id, label"),
        (
            [["label", "C1"], ["Paleyes et al. (2022)", "1"]],
            ":1:1:",
            "no work_id, doi or title column",
        ),
        ([["doi", "C1"], ["10.1/none", "1"]], ":2:1:", "DOI '10.1/none' matches no included study"),
        ([[""]], ":1:1:", "empty sheet"),
    ],
)
def test_import_errors_name_file_row_column_and_change_nothing(tmp_path, rows, where, message):
    review = _review(tmp_path)
    record_codings(review, [Coding("r1", "manual:2", "C2", True)])
    before = _snapshot(review)
    sheet = _csv(tmp_path / "bad.csv", rows)
    result = CliRunner().invoke(
        main, ["code", "-p", str(review.protocol.path), "--coder", "r1", "--import", str(sheet)]
    )
    assert result.exit_code == 1
    line = result.output.strip()
    assert "\n" not in line and line.startswith(f"Error: {sheet}{where}"), line
    assert message in line and "nothing was imported" in line or "empty sheet" in line
    assert _snapshot(review) == before


def test_all_errors_are_counted_in_the_one_line(tmp_path):
    review = _review(tmp_path)
    sheet = _csv(
        tmp_path / "bad.csv", [["work_id", "C1", "C2"], ["manual:1", "x", "?"], ["nope", "", ""]]
    )
    with pytest.raises(ImportError_, match=r"bad\.csv:2:2: 'x' is not a mark.*and 2 more errors"):
        import_sheet(review, sheet, "r1")


def test_unreadable_files(tmp_path):
    review = _review(tmp_path)
    with pytest.raises(ImportError_, match="no such file"):
        import_sheet(review, tmp_path / "missing.csv", "r1")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("work_id,C1\nmanual:1,\xe9\n".encode("latin-1"))
    with pytest.raises(ImportError_, match="not UTF-8"):
        import_sheet(review, bad, "r1")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ImportError_, match="not a readable .xlsx"):
        import_sheet(review, broken, "r1")
    with pytest.raises(ImportError_, match=r"\.csv or \.xlsx"):
        import_sheet(review, tmp_path / "x.ods", "r1")


def test_sheet_and_import_together_is_a_usage_error(tmp_path):
    review = _review(tmp_path)
    out = CliRunner().invoke(
        main,
        ["code", "-p", str(review.protocol.path), "--sheet", "a.csv", "--import", "a.csv"],
    )
    assert out.exit_code == 2 and "either --sheet or --import" in out.output


def test_marks():
    assert [parse_mark(m) for m in ("✓", "✔", "Y", "yes", "1", "TRUE")] == [True] * 6
    assert [parse_mark(m) for m in ("✗", "✘", "n", "No", "0", "false")] == [False] * 6
    assert parse_mark("  ") is None
    with pytest.raises(ValueError):
        parse_mark("x")  # ambiguous: some tick with x, some cross with it


def test_xlsx_first_sheet_is_read(tmp_path):
    review = _review(tmp_path)
    wb = Workbook()
    ws = wb.active
    ws.append(["work_id", "C1"])
    ws.append(["manual:1", "✓"])
    wb.create_sheet("notes").append(["ignored"])
    wb.save(tmp_path / "s.xlsx")
    assert import_sheet(review, tmp_path / "s.xlsx", "r1").changed == 1
