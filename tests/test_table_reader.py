"""One table reader (`slr.formats.table.read_table`) behind standalone de-duplication and the
screening simulation.

The parity tests read every labelled CSV of ../shared/benchmarks in place and compare with
what the readers these two used before gave: `csv.DictReader` (standalone) and pandas
(simulate). Line ends inside a cell are `\\n` now (the file's `\\r\\n` before).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from slr.dedupe.standalone import read_csv
from slr.errors import ImportError_
from slr.formats.common import decode
from slr.formats.table import read_table
from slr.screen.simulate import read_dataset

BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
DEDUP = ["dedup_asysd_diabetes/labelled_test_set.csv"] + [
    f"dedup_{name}/records_pre_merged.csv"
    for name in ("cytology_screening", "haematology", "special_cases", "stroke")
]
SCREEN = [
    "screen_kitchenham_2010/Kitchenham_2010.csv",
    "screen_nudging_nagtegaal_2019/nudging.csv",
    "screen_wilson_appenzeller_herzog/wilson.csv",
]


def _shared(name: str) -> Path:
    path = BENCHMARKS / name
    if not path.is_file():
        pytest.skip(f"../shared is absent: {path} (a labelled benchmark set, read there only)")
    return path


def _plain(value: str | None) -> str | None:
    return (value or "").replace("\r\n", "\n").strip() or None


@pytest.mark.parametrize("name", DEDUP)
def test_standalone_reads_the_benchmark_sets_as_before(name):
    path = _shared(name)
    rows = list(csv.DictReader(io.StringIO(decode(path.read_bytes(), str(path))[0], newline="")))
    columns = {k.lower(): k for k in rows[0]}
    records = read_csv(path)
    assert len(records) == len(rows)
    for number, (rec, row) in enumerate(zip(records, rows, strict=True), start=1):
        ident = row.get(columns.get("id") or columns.get("record_id", ""), "") or str(number)
        assert rec.source_id == ident.strip()
        assert rec.title == _plain(row[columns["title"]])
        assert rec.venue == _plain(row.get(columns.get("journal", ""), ""))
        assert rec.pages == _plain(row.get(columns.get("pages", ""), ""))


@pytest.mark.parametrize("name", SCREEN)
def test_simulate_reads_the_benchmark_sets_as_before(name):
    import pandas as pd

    path = _shared(name)
    df = pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False)
    columns = {c.lower(): c for c in df.columns}
    label = next(columns[c] for c in ("label_included", "included") if c in columns)
    ident = next(columns[c] for c in ("id", "record_id") if c in columns)
    data = read_dataset(path)
    assert data.ids == df[ident].tolist()
    assert data.labels == [int(float(v)) for v in df[label]]
    texts = [
        " ".join(x for x in (t, a) if x).replace("\r\n", "\n")
        for t, a in zip(df[columns["title"]], df[columns["abstract"]], strict=True)
    ]
    # one abstract opens with `''`, which the import reader takes for slr's spreadsheet guard
    assert [t.replace("''", "'") for t in data.texts] == [t.replace("''", "'") for t in texts]


def test_rows_of_empty_cells_keep_the_row_numbers(tmp_path):
    (tmp_path / "a.csv").write_text("title,year\nFirst,2001\n\n,\nThird,2003\n")
    assert [(r.source_id, r.title) for r in read_csv(tmp_path / "a.csv")] == [
        ("1", "First"),
        ("2", None),
        ("3", "Third"),
    ]
    assert [line for line, _ in read_table(tmp_path / "a.csv").rows] == [2, 5]


def test_standalone_reads_a_tsv(tmp_path):
    (tmp_path / "a.tsv").write_text("id\ttitle\tauthor\nr1\tA, B and C\tSmith, J. and Jones, K.\n")
    (rec,) = read_csv(tmp_path / "a.tsv")
    assert (rec.source_id, rec.title, rec.authors) == (
        "r1",
        "A, B and C",
        ("Smith, J.", "Jones, K."),
    )


def test_a_broken_row_names_its_line(tmp_path):
    (tmp_path / "a.csv").write_text("id,title\nr1,One\nr2,Two,extra\n")
    with pytest.raises(ImportError_, match=r"a\.csv:3: 3 cells for 2 columns"):
        read_csv(tmp_path / "a.csv")


def test_simulate_reads_a_workbook_and_column_names_as_words(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Record ID", "Title", "Label Included"])
    sheet.append([7, "Relevant one", 1])
    sheet.append([None, "Irrelevant", 0.0])
    book.save(tmp_path / "set.xlsx")
    data = read_dataset(tmp_path / "set.xlsx")
    assert (data.ids, data.texts, data.labels) == (
        ["7", ""],
        ["Relevant one", "Irrelevant"],
        [1, 0],
    )
    assert read_dataset(tmp_path / "set.xlsx", "label included").labels == [1, 0]
