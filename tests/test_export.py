"""`slr export`: stages, BibTeX keys and escaping, spreadsheet-safe CSV, the command."""

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from pybtex.database import parse_string

from slr.cli import main
from slr.corpus import add_records
from slr.decisions import Decision, record_decision
from slr.errors import ExportError
from slr.export import export_records, stage_records
from slr.formats.bibtex import citation_keys
from slr.importer import read_records
from slr.records import Record
from slr.works import Work, save_works

ROOT = Path(__file__).resolve().parents[1]

KREUZBERGER = Record(
    "openalex",
    "W4313",
    title="Machine Learning Operations (MLOps): Overview, Definition, and Architecture",
    authors=("Kreuzberger, Dominik", "Kühl, Niklas", "Hirschl, Sebastian"),
    year=2023,
    venue="IEEE Access",
    doi="10.1109/access.2023.3262138",
    type="article",
)


def _records(n):
    return [Record("scopus", f"e{i}", title=f"Paper {i} on MLOps", year=2020 + i) for i in range(n)]


def _works(review, records):
    add_records(review, records)
    works = [Work(r.id, (r.id,), (r.source,), r) for r in records]
    save_works(review, works)
    return works


# ------------------------------------------------------------------ BibTeX


def test_citation_keys_are_readable_stable_and_unique():
    twin = KREUZBERGER.evolve(source_id="W9999", doi=None)
    other = Record("import", "x", title="The Art of MLOps", authors=("Ng, A",), year=2021)
    keys = citation_keys([KREUZBERGER, twin, other])
    assert keys == ["kreuzberger2023machinea", "kreuzberger2023machineb", "ng2021art"]
    # the order of export does not change who gets which key
    assert citation_keys([twin, other, KREUZBERGER]) == [keys[1], keys[2], keys[0]]
    assert citation_keys([Record("s", "1", title="?")]) == ["anon"]


def test_bibtex_escapes_latex_keeps_unicode_and_parses_strictly():
    tricky = Record(
        "import",
        "t1",
        title="50% of {braces} & $money_cost #1 ~ \\path -- see",
        authors=("Kühl, Niklas", "Bill and Melinda Gates Foundation"),
        year=2020,
        type="review",
    )
    text = export_records([KREUZBERGER, tricky], "bibtex")
    assert "@article{kreuzberger2023machine," in text
    assert "author = {Kreuzberger, Dominik and Kühl, Niklas and Hirschl, Sebastian}" in text
    assert (
        "title = {50\\% of \\textbraceleft{}braces\\textbraceright{} \\& \\$money\\_cost \\#1 "
        "\\textasciitilde{} \\textbackslash{}path -{}- see}"
    ) in text
    assert "{Bill and Melinda Gates Foundation}" in text
    assert "type = {review}" in text and "slr-id = {import:t1}" in text
    data = parse_string(text, "bibtex")  # pybtex in strict mode raises on any syntax error
    assert list(data.entries) == ["kreuzberger2023machine", "kuhl2020braces"]


def test_every_export_format_is_registered():
    with pytest.raises(
        ExportError, match="unknown export format 'docx'; use one of: bibtex, csv, ris"
    ):
        export_records([KREUZBERGER], "docx")


# ------------------------------------------------------------------ CSV and RIS


def test_csv_cells_cannot_run_as_formulas():
    evil = Record("import", "x", title='=HYPERLINK("http://evil")', venue="+1", publisher="@x")
    evil = evil.evolve(abstract="-2+3", authors=("'quoted",))
    text = export_records([evil], "csv")
    row = next(r for r in csv.DictReader(io.StringIO(text)))
    assert row["title"] == '\'=HYPERLINK("http://evil")'
    assert (row["venue"], row["publisher"], row["abstract"]) == ("'+1", "'@x", "'-2+3")
    assert row["authors"] == "''quoted"
    assert row["id"] == "import:x" and row["source_id"] == "x"


def test_csv_round_trip_restores_neutralised_cells(tmp_path):
    evil = Record("import", "x", title="=SUM(A1)", abstract="@mention", authors=("'quoted",))
    path = tmp_path / "out.csv"
    path.write_text(export_records([evil], "csv"), "utf-8")
    back = read_records(path).records[0]
    assert (back.title, back.abstract, back.authors) == ("=SUM(A1)", "@mention", ("'quoted",))


def test_ris_export_layout():
    text = export_records([KREUZBERGER.evolve(pages="1-10", keywords=("MLOps", "DevOps"))], "ris")
    lines = text.splitlines()
    assert lines[:4] == [
        "TY  - JOUR",
        "DB  - openalex",
        "ID  - W4313",
        f"TI  - {KREUZBERGER.title}",
    ]
    assert "SP  - 1" in lines and "EP  - 10" in lines and lines[-1] == "ER  - "
    assert lines.count("KW  - MLOps") == 1


# ------------------------------------------------------------------ stages


def test_stage_identified_and_deduplicated(review):
    records = _records(3)
    with pytest.raises(ExportError, match="no records yet"):
        stage_records(review, "identified")
    add_records(review, records)
    assert [r.id for r in stage_records(review, "identified")] == [r.id for r in records]
    with pytest.raises(ExportError, match="run `slr dedupe` first"):
        stage_records(review, "deduplicated")
    merged = records[0].evolve(title="Merged canonical title")
    save_works(review, [Work(records[0].id, (records[0].id, records[1].id), ("scopus",), merged)])
    assert [r.title for r in stage_records(review, "deduplicated")] == ["Merged canonical title"]


def test_stage_screened_and_included_follow_final_decisions(review):
    pytest.importorskip("slr.screen.state")
    records = _records(4)
    _works(review, records)
    with pytest.raises(ExportError, match="no final title-abstract decisions yet"):
        stage_records(review, "screened")
    for record, decision in zip(records, ["include", "maybe", "exclude", "include"], strict=True):
        record_decision(review, Decision("reviewer1", "title-abstract", record.id, decision))
    record_decision(review, Decision("reviewer1", "full-text", records[3].id, "include"))
    record_decision(review, Decision("reviewer1", "full-text", records[1].id, "exclude"))
    screened = stage_records(review, "screened")
    assert [r.id for r in screened] == [records[0].id, records[1].id, records[3].id]
    assert [r.id for r in stage_records(review, "included")] == [records[3].id]


def test_cli_export_to_file_and_stdout(review, tmp_path):
    _works(review, [KREUZBERGER, *_records(2)])
    proto = str(review.protocol.path)
    out = tmp_path / "records.bib"
    result = CliRunner().invoke(
        main, ["export", "-p", proto, "--stage", "identified", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "3 records (identified) written to" in result.output
    assert out.read_text("utf-8").startswith("@article{kreuzberger2023machine,")
    result = CliRunner().invoke(
        main, ["export", "-p", proto, "--stage", "deduplicated", "--format", "ris"]
    )
    assert result.exit_code == 0 and result.output.count("ER  - ") == 3


def test_cli_export_errors_are_one_line(review):
    proto = str(review.protocol.path)
    result = CliRunner().invoke(main, ["export", "-p", proto, "--stage", "identified"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: which format? pass --format bibtex, ris or csv (or -o a .bib, .ris or .csv file)"
    )
    result = CliRunner().invoke(
        main, ["export", "-p", proto, "--stage", "identified", "--format", "csv"]
    )
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no records yet; run `slr search` or `slr import` first"
