"""Bad input, per format: broken entries are reported as file:line and skipped, the rest is
read; files that cannot be read at all raise one ImportError_ naming the file."""

import json

import pytest

from slr.errors import ImportError_
from slr.importer import read_records

BIB = """@article{good1,
  title = {First good entry},
  author = {M{\\"u}ller, Anna and Smith, Bo},
  year = {2020},
  doi = {10.1000/one}
}

@article{broken,
  title = {An {unbalanced brace,
  year = {2021}
}

@inproceedings{good2,
  title = {Second good entry},
  year = 2022,
  month = mar
}
"""

RIS = """TY  - JOUR
TI  - First record
AU  - Doe, Jane
PY  - 2019
ER  -

TY  - JOUR
TI  - Lost its end line
PY  - 2020

TY  - CONF
TI  - Third record
PY  - 2021
ER  -
"""


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


# ------------------------------------------------------------------ BibTeX


def test_bibtex_unbalanced_brace_skips_only_that_entry(tmp_path):
    path = write(tmp_path, "refs.bib", BIB)
    result = read_records(path)
    assert [r.title for r in result.records] == ["First good entry", "Second good entry"]
    assert result.records[0].authors == ("Müller, Anna", "Smith, Bo")
    assert result.read == 3 and result.skipped == 1
    assert result.problems[0].startswith(f"{path}:8: unbalanced braces")


def test_bibtex_truncated_file_keeps_earlier_entries(tmp_path):
    path = write(tmp_path, "cut.bib", BIB[: BIB.index("year = 2022")])
    result = read_records(path)
    assert [r.title for r in result.records] == ["First good entry"]
    assert result.problems[0].startswith(f"{path}:8: unbalanced braces")
    assert result.problems[-1].startswith(f"{path}:13: ")
    assert "never closed" in result.problems[-1] or "truncated" in result.problems[-1]


def test_bibtex_syntax_error_names_its_line(tmp_path):
    text = "@article{a,\n  title = {Fine},\n  year 2020\n}\n@article{b, title = {Also fine}}\n"
    path = write(tmp_path, "syntax.bib", text)
    result = read_records(path)
    assert [r.title for r in result.records] == ["Also fine"]
    assert result.problems == [f"{path}:3: '=' expected (entry starting at line 1); entry skipped"]


def test_bibtex_quirks_month_macro_keyless_spaced_fields_and_crossref(tmp_path):
    text = (
        "Scopus\nEXPORT DATE: 7 July 2022\n\n"
        "@article{\n  author = {Keyless, Kim},\n  title = {No key at all}\n}\n"
        "@article{ ISI:000123,\nTitle = {{Spaced field}},\nEarly Access Date = {{DEC 2019}},\n}\n"
        "@inproceedings{child, title = {Child paper}, crossref = {conf}}\n"
        "@proceedings{conf, title = {Proc. of Things}, year = {2018}, publisher = {ACM}}\n"
        "@article{m, title = {Undefined}, journal = jfm, year = 2001}\n"
    )
    result = read_records(write(tmp_path, "quirks.bib", text))
    by_title = {r.title: r for r in result.records}
    assert set(by_title) == {"No key at all", "Spaced field", "Child paper", "Undefined"}
    assert by_title["Spaced field"].id == "webofscience:WOS:000123"
    assert by_title["Spaced field"].year == 2019
    child = by_title["Child paper"]
    assert (child.venue, child.year, child.publisher) == ("Proc. of Things", 2018, "ACM")
    assert by_title["Undefined"].venue is None
    assert any("undefined @string macro 'jfm'" in w for w in result.warnings)
    assert any("only collects crossref'd entries" in w for w in result.warnings)
    assert result.meta["export_date"] == "7 July 2022"


def test_bibtex_latex_is_decoded(tmp_path):
    text = (
        "@article{k, title = {{Si} Nanowires: a {\\v c}ech--{\\O}stergaard {\\textendash} "
        "$\\alpha$-study of 10\\% \\& more~here},"
        " author = {Garc{\\'\\i}a, Jos{\\'e} and {World Health Organization}}}\n"
    )
    record = read_records(write(tmp_path, "latex.bib", text)).records[0]
    assert record.title == "Si Nanowires: a čech–Østergaard – α-study of 10% & more here"
    assert record.authors == ("García, José", "World Health Organization")


def test_bibtex_latin1_falls_back_with_a_warning(tmp_path):
    text = "@article{k,\n  author = {M\xe4der, P.},\n  title = {Tr\xe4ce}\n}\n"
    path = write(tmp_path, "latin.bib", text.encode("latin-1"))
    result = read_records(path)
    assert result.records[0].authors == ("Mäder, P.",)
    assert result.warnings == [
        f"{path}:2: not valid UTF-8; read as Latin-1 (Windows-1252): check accented "
        "characters, or save the file as UTF-8"
    ]


def test_bibtex_utf16_with_bom(tmp_path):
    text = "@article{k, title = {Ünïcode in UTF-16}}\n"
    result = read_records(write(tmp_path, "u16.bib", text.encode("utf-16")))
    assert result.records[0].title == "Ünïcode in UTF-16" and result.encoding == "utf-16"


def test_bibtex_utf16_without_bom(tmp_path):
    text = "@article{k, title = {No BOM here}}\n"
    result = read_records(write(tmp_path, "u16le.bib", text.encode("utf-16-le")))
    assert result.records[0].title == "No BOM here"


# ------------------------------------------------------------------ RIS


def test_ris_missing_er_is_reported_and_skipped(tmp_path):
    path = write(tmp_path, "refs.ris", RIS)
    result = read_records(path)
    assert [r.title for r in result.records] == ["First record", "Third record"]
    assert result.problems == [
        f"{path}:7: no 'ER  - ' line before the next 'TY  - '; record skipped"
    ]


def test_ris_truncated_last_record(tmp_path):
    path = write(tmp_path, "cut.ris", RIS[: RIS.rindex("ER  -")])
    result = read_records(path)
    assert [r.title for r in result.records] == ["First record"]
    assert result.problems[-1].startswith(f"{path}:11: the file ends inside this record")


def test_ris_crlf_bom_stray_cr_multiline_and_repeated_tags(tmp_path):
    text = (
        "\ufeffTY  - JOUR\r\nTI  - A title that goes\r\n  on a second line\r\nAU  - One, A\r\n"
        "AU  - Two, B\r\nKW  - alpha\r\nKW  - beta\r\nER  - \r\n\n\rTY  - CONF\r\n"
        "TI  - Second\r\nER  - \r\n"
    )
    result = read_records(write(tmp_path, "crlf.ris", text.encode("utf-8")))
    first, second = result.records
    assert first.title == "A title that goes on a second line"
    assert first.authors == ("One, A", "Two, B") and first.keywords == ("alpha", "beta")
    assert second.type == "conference-paper" and result.encoding == "utf-8-sig"


# ------------------------------------------------------------------ other formats


def test_wos_plain_text_missing_er(tmp_path):
    text = "FN Clarivate\nVR 1.0\nPT J\nTI First\nUT WOS:1\nER\n\nPT J\nTI Second\nUT WOS:2\n"
    path = write(tmp_path, "savedrecs.txt", text)
    result = read_records(path)
    assert [r.id for r in result.records] == ["webofscience:WOS:1"]
    assert result.problems == [
        f"{path}:8: the file ends inside this record (no 'ER'; truncated?); record skipped"
    ]


def test_csv_truncated_inside_a_quoted_cell(tmp_path):
    text = 'title,year\nFirst,2020\n"Second, cut off in the midd'
    path = write(tmp_path, "cut.csv", text)
    result = read_records(path)
    assert [r.title for r in result.records] == ["First"]
    assert result.problems == [
        f"{path}:3: a quoted cell is never closed (truncated file?); row skipped"
    ]


def test_csv_row_with_too_many_cells(tmp_path):
    path = write(tmp_path, "wide.csv", "title,year\nFine,2020\nToo,2021,many\nAlso fine,2022\n")
    result = read_records(path)
    assert [r.title for r in result.records] == ["Fine", "Also fine"]
    assert result.problems == [
        f"{path}:3: 3 cells for 2 columns (a stray delimiter or quote?); row skipped"
    ]


def test_csv_without_title_column_is_unreadable(tmp_path):
    path = write(tmp_path, "x.csv", "name,year\nA,2020\n")
    with pytest.raises(ImportError_, match="not a reference format"):
        read_records(path)
    with pytest.raises(ImportError_, match=r"x.csv:1: no title or DOI column"):
        read_records(path, format="csv")


def test_json_truncated_keeps_earlier_entries(tmp_path):
    items = [
        {"uid": f"GS:{i}", "title": f"Paper {i}", "cites": i, "authors": ["A B"]} for i in range(3)
    ]
    text = json.dumps(items, indent=1)
    path = write(tmp_path, "pop.json", text[: text.rindex('"title"')])
    result = read_records(path)
    assert [r.source_id for r in result.records] == ["GS:0", "GS:1"]
    assert result.problems[0].startswith(f"{path}:")
    assert "not valid JSON" in result.problems[0]


def test_endnote_xml_truncated_keeps_earlier_records(tmp_path):
    record = (
        '<record><rec-number>{n}</rec-number><ref-type name="Journal Article">17</ref-type>'
        "<titles><title><style>Title {n}</style></title></titles></record>\n"
    )
    text = "<?xml version='1.0'?>\n<xml><records>\n" + record.format(n=1) + record.format(n=2)
    path = write(tmp_path, "lib.xml", text + "<record><titles><title>cut")
    result = read_records(path)
    assert [r.title for r in result.records] == ["Title 1", "Title 2"]
    assert [r.source_id for r in result.records] == ["1", "2"]
    assert result.problems and result.problems[0].startswith(f"{path}:5: XML error")


def test_xlsx_by_aliases_and_as_a_known_flavour(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Article Title", "Authors", "Publication Year", "DOI", "UT (Unique WOS ID)"])
    sheet.append(["A workbook row", "Doe, J; Roe, R", 2021, "10.1/x", "WOS:0001"])
    sheet.append([None, None, None, None, None])
    sheet.append(["=HYPERLINK(1)", None, 2022, None, None])
    book.save(tmp_path / "wos.xlsx")
    result = read_records(tmp_path / "wos.xlsx")
    assert result.format == "xlsx"
    first, formula = result.records
    assert (first.id, first.authors, first.year) == (
        "webofscience:WOS:0001",
        ("Doe, J", "Roe, R"),
        2021,
    )
    assert first.raw.endswith("wos.xlsx#2")
    # a formula cell has no value in the file: the row is kept as it is (its year) and named
    assert formula.title is None and formula.year == 2022 and not result.problems
    assert any(w.startswith(f"{tmp_path / 'wos.xlsx'}:4: no title") for w in result.warnings)

    book = openpyxl.Workbook()
    book.active.append(["Authors", "Title", "Year", "Source title", "Link", "EID"])
    book.active.append(["Doe J.; Roe R.", "Scopus in Excel", 2020, "J", "", "2-s2.0-1"])
    book.save(tmp_path / "scopus.xlsx")
    [record] = read_records(tmp_path / "scopus.xlsx").records
    assert (record.id, record.authors, record.venue) == (
        "scopus:2-s2.0-1",
        ("Doe, J.", "Roe, R."),
        "J",
    )


# ------------------------------------------------------------------ unreadable files


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.bib", b"", "empty file"),
        ("blank.ris", b"\n\n  \n", "empty file"),
        ("image.bib", bytes(range(256)) * 4, "binary file"),
        ("paper.ris", b"%PDF-1.7\n...", "a PDF file"),
        ("notes.txt", b"just some notes\nwith no records\n", "not a reference format"),
        ("broken.bib", b"@article{a, title = {never closed\n", "no entry could be read"),
        ("list.json", b'{"title": "x", "cites": 1', "not valid JSON"),
    ],
)
def test_unreadable_files_raise_one_error(tmp_path, name, data, message):
    path = write(tmp_path, name, data)
    with pytest.raises(ImportError_) as info:
        read_records(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImportError_, match="no such file"):
        read_records(tmp_path / "nope.ris")
    with pytest.raises(ImportError_, match="is a folder"):
        read_records(tmp_path)


def test_format_override_and_unknown_format(tmp_path):
    path = write(tmp_path, "refs.txt", RIS)
    assert read_records(path, format="ris").format == "ris"
    with pytest.raises(ImportError_, match="unknown format 'endnote'; use one of: auto, bibtex"):
        read_records(path, format="endnote")
    with pytest.raises(ImportError_, match="does not fit a text file"):
        read_records(path, format="xlsx")


def test_source_override_and_invalid_source(tmp_path):
    path = write(tmp_path, "refs.ris", RIS)
    assert {r.source for r in read_records(path, source="cinahl").records} == {"cinahl"}
    with pytest.raises(ImportError_, match="--source 'Web of Science'"):
        read_records(path, source="Web of Science")


def test_fallback_ids_are_stable_and_unique(tmp_path):
    text = (
        "TY  - JOUR\nTI  - Same\nPY  - 2020\nER  - \n\nTY  - JOUR\nTI  - Same\nPY  - 2020\nER  - \n"
    )
    path = write(tmp_path, "dup.ris", text)
    first = [r.id for r in read_records(path).records]
    again = [r.id for r in read_records(path).records]
    assert first == again and len(set(first)) == 2
    assert first[1] == first[0] + "-2"
