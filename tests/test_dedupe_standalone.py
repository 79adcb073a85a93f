"""Standalone mode: any citation list in, `id,cluster_id,rule,study` out, no review folder."""

import csv

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.dedupe.standalone import read_csv

ROWS = [
    # id, title, author, year, journal, volume, number, pages, doi, ENTRYTYPE
    (
        "r1",
        "Efficacy of batroxobin for vascular cognitive impairment. [Chinese]",
        "Zhai, Q. J. and Yue, X. Y.",
        "2010",
        "Chinese Journal of Cerebrovascular Diseases",
        "7",
        "2",
        "73-76",
        "",
        "article",
    ),
    (
        "r2",
        "Efficacy of batroxobin for vascular cognitive impairment",
        "Zhai, Qiu-Ju and Yue, Xiao-Yan",
        "2010",
        "Chin J Cerebrovasc Dis",
        "7",
        "2",
        "73-6",
        "",
        "article",
    ),
    (
        "r3",
        "Erratum: Efficacy of batroxobin for vascular cognitive impairment",
        "Zhai, Q. J.",
        "2010",
        "Chinese Journal of Cerebrovascular Diseases",
        "7",
        "4",
        "210",
        "",
        "article",
    ),
    (
        "r4",
        "Intestinal lipoprotein overproduction in insulin-resistant states",
        "Adeli K.Lewis G. F.",
        "2008",
        "Curr Opin Lipidol",
        "19",
        "3",
        "221-8",
        "10.1097/MOL.0b013e3282ffaf82",
        "article",
    ),
    (
        "r5",
        "Intestinal lipoprotein overproduction in insulin-resistant states",
        "Adeli K.Lewis G. F.",
        "2008",
        "Current Opinion in Lipidology",
        "19",
        "3",
        "221-228",
        "http://dx.doi.org/10.1097/MOL.0b013e3282ffaf82",
        "article",
    ),
    ("r6", "Editorial", "", "2008", "Curr Opin Lipidol", "19", "3", "1", "", "article"),
    ("r7", "Editorial", "", "2008", "Curr Opin Lipidol", "19", "4", "301", "", "article"),
]
HEADER = [
    "ID",
    "title",
    "author",
    "year",
    "journal",
    "volume",
    "number",
    "pages",
    "doi",
    "ENTRYTYPE",
]


def _write(path, rows=ROWS, header=HEADER, encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _clusters(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_output_contract_every_id_once_with_cluster_and_rule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no protocol, no corpus folder anywhere
    _write(tmp_path / "refs.csv")
    result = CliRunner().invoke(
        main, ["dedupe", "--input", "refs.csv", "--output", "out/clusters.csv", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "7 records -> 5 works (2 duplicates); wrote out/clusters.csv" in result.output
    rows = _clusters(tmp_path / "out" / "clusters.csv")
    assert rows[0] == ["id", "cluster_id", "rule", "study"]
    body = rows[1:]
    assert [r[0] for r in body] == [r[0] for r in ROWS]  # every input id once, in order
    cluster = {r[0]: r[1] for r in body}
    rule = {r[0]: r[2] for r in body}
    assert cluster["r2"] == "r1" and rule["r2"] in ("title", "fuzzy-title")
    assert cluster["r5"] == "r4" and rule["r5"] == "doi"
    assert rule["r1"] == "first" and rule["r4"] == "first"
    for lone in ("r3", "r6", "r7"):  # erratum and generic titles stay apart
        assert cluster[lone] == lone and rule[lone] == "unique"
    # the study column: the erratum is a report of its article's study (cluster r1)
    study = {r[0]: r[3] for r in body}
    assert study == {"r1": "r1", "r2": "r1", "r3": "r1", "r4": "r4", "r5": "r4"} | {
        k: k for k in ("r6", "r7")
    }
    assert not (tmp_path / "corpus").exists()


def test_default_output_name_and_csv_without_ids_or_optional_columns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "t.csv", [(r[1], r[3]) for r in ROWS[:2]], ["Title", "Year"])
    result = CliRunner().invoke(main, ["dedupe", "--input", "t.csv", "-q"])
    assert result.exit_code == 0, result.output
    assert _clusters(tmp_path / "clusters.csv") == [
        ["id", "cluster_id", "rule", "study"],
        ["1", "1", "first", "1"],
        ["2", "1", "title", "1"],
    ]


def test_windows_encoded_export_is_read(tmp_path):
    rows = [
        (
            "a",
            "Effets de la caféine chez l'adulte",
            "Dupré, J.",
            "2001",
            "Rev Méd",
            "",
            "",
            "",
            "",
            "",
        )
    ]
    _write(tmp_path / "cp.csv", rows, encoding="cp1252")
    records = read_csv(tmp_path / "cp.csv")
    assert records[0].title.startswith("Effets de la caféine") and records[0].authors == (
        "Dupré, J.",
    )


def test_input_errors_are_one_line_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    _write(tmp_path / "dup.csv", [ROWS[0], ROWS[0]])
    result = runner.invoke(main, ["dedupe", "--input", "dup.csv"])
    assert result.exit_code == 1
    assert (
        result.output.strip() == "Error: dup.csv:3: field id: 'r1' occurs twice; ids must be unique"
    )
    _write(tmp_path / "bad.csv", [("x", "y")], ["name", "size"])
    result = runner.invoke(main, ["dedupe", "--input", "bad.csv"])
    assert result.exit_code == 1 and "no 'title' or 'doi' column" in result.output
    result = runner.invoke(main, ["dedupe", "--input", "missing.csv"])
    assert result.exit_code == 1 and "no such file" in result.output
    result = runner.invoke(main, ["dedupe", "--input", "dup.csv", "--review"])
    assert result.exit_code == 1 and "not with --input" in result.output


def test_other_formats_go_through_the_importer(tmp_path, monkeypatch):
    pytest.importorskip("slr.importer")
    monkeypatch.chdir(tmp_path)
    ris = (
        "TY  - JOUR\nTI  - Intestinal lipoprotein overproduction in insulin-resistant states\n"
        "AU  - Adeli, K.\nPY  - 2008\nJO  - Curr Opin Lipidol\nDO  - 10.1097/MOL.0b013e3282ffaf82\n"
        "ID  - one\nER  - \n\n"
        "TY  - JOUR\nTI  - Intestinal lipoprotein overproduction in insulin resistant states.\n"
        "AU  - Adeli, Khosrow\nPY  - 2008\nJO  - Current Opinion in Lipidology\n"
        "DO  - 10.1097/MOL.0B013E3282FFAF82\nID  - two\nER  - \n"
    )
    (tmp_path / "refs.ris").write_text(ris, encoding="utf-8")
    result = CliRunner().invoke(main, ["dedupe", "--input", "refs.ris", "-q"])
    assert result.exit_code == 0, result.output
    rows = _clusters(tmp_path / "clusters.csv")[1:]
    assert len(rows) == 2 and rows[0][1] == rows[1][1] == rows[0][0]
