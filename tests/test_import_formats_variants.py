"""Export variants found in public repositories: preambles before a table's header, Web of
Science tab files without quoting, the Cochrane Library's formats, other encodings and line
endings. Real files are in tests/fixtures/exports (see PROVENANCE.md); variants of one pattern
are derived from them byte by byte in tmp_path.
"""

import codecs
from pathlib import Path

import pytest

from slr.errors import ImportError_
from slr.formats import detect
from slr.formats.common import Document
from slr.importer import read_records

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
COCHRANE_TXT = EXPORTS / "cochrane_txt" / "slr_synthetic_central_cdsr.txt"
IEEE_CSV = EXPORTS / "ieee_csv" / "litstudy_ieee.csv"
WOS_TAB = EXPORTS / "wos_tabdelimited" / "scientopy_wos_savedrecs_4071.txt"

# path, format, entries, sources, {record index: {field: value}}
# fmt: off
CASES = [
    ('cochrane_ris/cff_cochrane_endnote.ris', 'ris', 3, {'cochrane'},
     {0: {'source_id': 'CN-00778158', 'authors': ('Bywater, T', 'Hutchings, J', 'Whitaker, C', 'Evans, C', 'Parry, L'), 'year': 2011, 'venue': 'Trials', 'pages': '39'},
      1: {'source_id': 'CN-02677909', 'pages': '1279-1297', 'issue': '7'}}),
    ('cochrane_csv/cff_cochrane_central.csv', 'cochrane-csv', 3, {'cochrane'},
     {0: {'source_id': 'CN-00778158', 'authors[0]': 'Bywater, T', 'doi': '10.1186/1745-6215-12-39', 'year': 2011},
      1: {'extra': {'database': 'CENTRAL', 'pmid': '38407106', 'embase': '643589775'}}}),
    ('embase_csv/cff_embase_query_preamble.csv', 'csv', 10, {'embase'},
     {0: {'title^': 'Cellular structure of dinosaur scales', 'authors[0]': 'Yang, Z.', 'year': 2024, 'doi': '10.1038/s41467-024-48400-3'}}),
    ('embase_csv/cff_embase_excel_semicolon.csv', 'csv', 10, {'embase'},
     {0: {'title^': 'Cellular structure of dinosaur scales', 'venue': 'Nature Communications'}}),
    ('embase_xlsx/cff_embase_query_preamble.xlsx', 'xlsx', 10, {'embase'},
     {0: {'title^': 'Cellular structure of dinosaur scales', 'doi': '10.1038/s41467-024-48400-3'}}),
    ('abstrackr_csv/cff_abstrackr.csv', 'csv', 10, {'import'},
     {0: {'title^': 'A new small duckbilled dinosaur'}}),
    ('scopus_csv/cff_scopus_2024_columns.csv', 'scopus-csv', 10, {'scopus'},
     {0: {'source_id': '2-s2.0-85189760133', 'authors[0]': 'Wilson, Lauren N.', 'doi': '10.1038/s41467-024-46843-2'}}),
    ('ebsco_ris/cff_ebsco_cinahl.ris', 'ris', 9, None,
     {0: {'authors[1]': 'Martínez, Ricardo N.', 'year': 2024, 'pages': '1-60'}}),
    ('ovid_ris/cff_ovid_eric.ris', 'ris', 10, {'eric'},
     {0: {'source_id': 'EJ389705', 'title': 'Creationism and the Dinosaur Boom.', 'pages': '24-26'}}),
]
# fmt: on


def _check(record, fields):
    for name, expected in fields.items():
        if name.endswith("^"):
            assert (record.title or "").startswith(expected), record.title
        elif name == "extra":
            assert {k: record.extra.get(k) for k in expected} == expected
        elif "[" in name:
            field, index = name[:-1].split("[")
            assert getattr(record, field)[int(index)] == expected, name
        else:
            assert getattr(record, name) == expected, (name, getattr(record, name))


@pytest.mark.parametrize("rel, fmt, count, sources, checks", CASES, ids=[c[0] for c in CASES])
def test_public_export_variant(rel, fmt, count, sources, checks):
    result = read_records(EXPORTS / rel)
    assert result.format == fmt
    assert len(result.records) == count
    if sources is not None:
        assert {r.source for r in result.records} == sources
    ids = [r.id for r in result.records]
    assert len(set(ids)) == len(ids)
    for index, fields in checks.items():
        _check(result.records[index], fields)


def test_abstrackr_section_line_is_reported_and_pubmed_id_zero_is_no_id():
    result = read_records(EXPORTS / "abstrackr_csv" / "cff_abstrackr.csv")
    assert [p.split(":", 1)[1] for p in result.problems] == ["36: an empty entry; skipped"]
    assert not any(r.source == "pubmed" for r in result.records)
    assert result.warnings == []


def test_table_preamble_is_skipped_and_kept_in_meta():
    result = read_records(EXPORTS / "embase_csv" / "cff_embase_query_preamble.csv")
    assert result.meta["preamble"][0] == '"SEARCH QUERY","dinosaur:ti"'
    assert result.records[0].raw.endswith("#5")  # the header is line 4, the first row line 5


# ------------------------------------------------------------------ IEEE CSV with a preamble


def test_ieee_csv_with_preamble_line_reads_like_without(tmp_path):
    plain = read_records(IEEE_CSV)
    preamble = b'"http://ieeexplore.ieee.org/search/searchresult.jsp?queryText=exascale","2024-03-01 10:12:03"\n'
    path = tmp_path / "export2024.03.01-10.12.03.csv"
    path.write_bytes(preamble + IEEE_CSV.read_bytes())
    result = read_records(path)
    assert result.format == "ieee-csv" and result.problems == []
    assert [r.id for r in result.records] == [r.id for r in plain.records]
    assert [int(r.raw.rsplit("#", 1)[1]) for r in result.records] == [
        int(r.raw.rsplit("#", 1)[1]) + 1 for r in plain.records
    ]
    assert "ieeexplore" in result.meta["preamble"][0]


# ------------------------------------------------------------------ WoS tab: no quoting


def test_wos_tab_reads_quotes_as_text(tmp_path):
    lines = WOS_TAB.read_bytes().split(b"\r\n")
    header = lines[0].decode("utf-8-sig").split("\t")
    ti = header.index("TI")
    for number in (3, 7):
        cells = lines[number].split(b"\t")
        cells[ti] = b'"Quoted" ' + cells[ti] if number == 3 else cells[ti] + b' 5" wafers'
        lines[number] = b"\t".join(cells)
    path = tmp_path / "savedrecs.txt"
    path.write_bytes(b"\r\n".join(lines))
    result = read_records(path)
    assert result.format == "wos-tab"
    assert len(result.records) == 71 and result.problems == []
    titles = [r.title or "" for r in result.records]
    assert titles[2].startswith('"Quoted" ') and titles[6].endswith(' 5" wafers')


def test_wos_tab_utf16_with_quote(tmp_path):
    """Old WoS 'Tab-delimited (Win)' files are UTF-16 LE with a BOM."""
    text = WOS_TAB.read_bytes().decode("utf-8-sig").replace("\tArticle\t", '\t"Article\t', 1)
    path = tmp_path / "savedrecs.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    result = read_records(path)
    assert result.encoding == "utf-16" and len(result.records) == 71 and result.problems == []


# ------------------------------------------------------------------ Cochrane plain text


def test_cochrane_plain_text():
    result = read_records(COCHRANE_TXT)
    assert result.format == "cochrane" and result.problems == []
    first, second, review = result.records
    assert first.id == "cochrane:CN-00778158"
    assert first.authors == ("Bywater, T", "Hutchings, J", "Whitaker, C", "Evans, C", "Parry, L")
    assert first.year == 2011 and first.venue == "Trials" and first.pages == "39"
    assert first.keywords == ("*school health service", "Academic achievement", "Child, Preschool")
    assert first.abstract is not None and first.abstract.endswith("(a second abstract line).")
    assert "AIM: to evaluate" in first.abstract
    assert first.extra == {"database": "CENTRAL", "pmid": "21314913"}
    assert second.extra["embase"] == "643589775" and second.issue == "7"
    assert review.type == "review" and review.extra["database"] == "CDSR"
    assert (review.doi or "").lower() == "10.1002/14651858.cd000001.pub2"
    assert {r.source for r in result.records} == {"cochrane"} and result.source == "cochrane"


def _variant(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return read_records(path)


@pytest.mark.parametrize("variant", ["cr", "lf", "utf-16", "utf-8-bom"])
def test_cochrane_plain_text_any_line_ending_or_encoding(tmp_path, variant):
    text = COCHRANE_TXT.read_bytes().decode("utf-8").replace("\r\n", "\n")
    data = {
        "cr": text.replace("\n", "\r").encode("utf-8"),
        "lf": text.encode("utf-8"),
        "utf-16": text.encode("utf-16"),
        "utf-8-bom": codecs.BOM_UTF8 + text.encode("utf-8"),
    }[variant]
    result = _variant(tmp_path, "citation-export.txt", data)
    assert result.format == "cochrane"
    assert [r.source_id for r in result.records] == ["CN-00778158", "CN-02677909", "CD000001.PUB2"]


def test_cochrane_format_can_be_named():
    assert read_records(COCHRANE_TXT, format="cochrane").format == "cochrane"


def test_cochrane_ris_and_text_are_told_apart():
    ris = (EXPORTS / "cochrane_ris" / "cff_cochrane_endnote.ris").read_text("utf-8")
    assert detect(Document("x.txt", text=ris)).name == "ris"
    text = COCHRANE_TXT.read_text("utf-8").replace("\r\n", "\n")
    assert detect(Document("x.txt", text=text)).name == "cochrane"
    notes = Document("notes.txt", text="just some notes\nwith, commas\n" * 20)
    with pytest.raises(ImportError_, match="not a reference format"):
        detect(notes)  # no header among the first lines: still not a table


# ------------------------------------------------------------------ GB18030


def test_gb18030_ris_is_read_as_chinese(tmp_path):
    ris = "TY  - JOUR\nTI  - 基于深度学习的系统综述方法研究\nAU  - 王小明\nPY  - 2021\nER  - \n"
    result = _variant(tmp_path, "cnki.ris", ris.encode("gb18030"))
    assert result.encoding == "gb18030" and result.warnings == []
    assert result.records[0].title == "基于深度学习的系统综述方法研究"
    assert result.records[0].authors == ("王小明",)
    latin = "TY  - JOUR\nTI  - Études sur la façade\nAU  - Mäder, Jürgen\nER  - \n"
    result = _variant(tmp_path, "latin.ris", latin.encode("latin-1"))
    assert result.encoding == "windows-1252" and result.records[0].title == "Études sur la façade"


def test_cochrane_records_count_as_database_records():
    from slr.databases import known_source_names
    from slr.prisma.counts import is_database_record

    record = read_records(COCHRANE_TXT).records[0]
    assert is_database_record(record, set(known_source_names()))
