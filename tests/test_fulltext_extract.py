"""Text extraction: every fixture PDF, reading order of two columns, page markers, failures.

Permissive fixtures are copied into tests/fixtures/fulltext/pdf/; the others (CC BY-SA,
unknown licence) are read in place from ../shared and skipped when it is absent.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_coding_support import make_review, work

from slr.fulltext import pages_of, pdf_path, text_path
from slr.fulltext.extract import (
    NO_TEXT,
    NO_TEXT_LAYER,
    OK,
    PdfError,
    dois_in,
    extract,
    extract_pdf,
    paragraph,
    pdf_metadata,
)

PDFS = Path(__file__).resolve().parent / "fixtures" / "fulltext" / "pdf"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "fulltext" / "pdf"


def shared(rel: str) -> Path:
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"{rel}: read in place from ../shared, which is absent")
    return path


def flat(text: str) -> str:
    return " ".join(text.split())


# Every fixture PDF: (file, where, pages or None when it cannot be read, status or error)
EVERY = [
    ("acl_naacl2018_N18-3011_literature_graph.pdf", "copy", 8, OK),
    ("bmc_infect_agents_cancer_2016_11_14_meta_analysis.pdf", "copy", 8, OK),
    ("scielo_rsp_2016_50_27_hypertension_adolescents_sr.pdf", "copy", 11, OK),
    ("plos_one_0115884_fanged_frog.pdf", "copy", 14, OK),
    ("scanned_no_text_layer_huckfinn_p22.pdf", "copy", 1, NO_TEXT_LAYER),
    ("encrypted_owner_password_only_30pages.pdf", "copy", 30, OK),
    ("broken_xref_keyword_missing.pdf", "copy", 1, NO_TEXT),
    ("damaged_no_startxref.pdf", "copy", None, "damaged PDF"),
    ("articles/peerj_cs_118_vespa.pdf", "shared", 16, OK),
    ("articles/clinsci_2014_126_305_ace_inhibitors.pdf", "shared", 13, OK),
    ("awkward/corrupt_header_then_eof.pdf", "shared", None, "damaged PDF"),
    ("awkward/encrypted_user_password_openpassword.pdf", "shared", None, "encrypted"),
    ("awkward/tiny_1page_lorem.pdf", "shared", 1, OK),
    ("unknown-licence/grsr_146_2016_10642_greek_script.pdf", "shared", 28, OK),
    ("unknown-licence/zfn_54a_1999_272_scanned_with_ocr_layer.pdf", "shared", 2, OK),
]


@pytest.mark.parametrize("name,where,pages,status", EVERY, ids=[e[0] for e in EVERY])
def test_every_fixture_pdf(name, where, pages, status):
    path = PDFS / name if where == "copy" else shared(name)
    if pages is None:
        with pytest.raises(PdfError) as err:
            extract_pdf(path)
        message = str(err.value)
        assert status in message and str(path) in message and "\n" not in message
        return
    got = extract_pdf(path)
    assert (len(got.pages), got.status) == (pages, status)
    if status == OK:
        assert sum(len(p) for p in got.pages) > 100 * pages or pages >= 30
        assert "(cid:" not in "".join(got.pages)


def test_every_shared_pdf_has_a_case():
    if not SHARED.exists():
        pytest.skip("../shared is absent")
    names = {Path(e[0]).name for e in EVERY}
    assert {p.name for p in SHARED.rglob("*.pdf")} <= names
    assert {p.name for p in PDFS.glob("*.pdf")} <= names


def test_two_columns_come_out_column_by_column_with_sentences_whole():
    pages = extract_pdf(PDFS / "acl_naacl2018_N18-3011_literature_graph.pdf").pages
    first = flat(pages[0])
    # a sentence that runs over six lines of the left column, whole and dehyphenated
    sentence = (
        "We describe a deployed scalable system for organizing published scientific "
        "literature into a heterogeneous graph to facilitate algorithmic manipulation and "
        "discovery."
    )
    assert sentence in first
    # the left column (Abstract, Introduction) before the right one, not interleaved
    assert first.index("1 Introduction") < first.index("We describe methods used in a scalable")
    left_end = "or to improve ranking of results in academic search (e.g., Xiong et al.,"
    assert left_end in first
    assert first.index(left_end) < first.index("2017). We describe methods used")


def test_bmc_two_columns_read_in_order():
    text = flat(
        extract_pdf(PDFS / "bmc_infect_agents_cancer_2016_11_14_meta_analysis.pdf").pages[1]
    )
    # the left column's last sentence goes on at the top of the right column
    assert "a list was compiled containing 85 references and 8122 cited and" in text
    a = text.index("8122 cited and")
    assert text.index("related articles from PubMed and Scopus") > a
    assert text.index("HPV DNA-positivity because HPV DNA") < a  # a compound keeps its hyphen


def test_non_ascii_text_is_kept():
    text = "".join(
        extract_pdf(PDFS / "scielo_rsp_2016_50_27_hypertension_adolescents_sr.pdf").pages
    )
    for word in ("Gonçalves", "Galvão", "Nutrição"):
        assert word in text


def test_greek_script_in_place():
    pages = extract_pdf(shared("unknown-licence/grsr_146_2016_10642_greek_script.pdf")).pages
    greek = sum(1 for ch in "".join(pages) if "\u0370" <= ch <= "\u03ff")
    assert greek > 40000


def test_paragraph_joins_lines_and_words():
    assert paragraph("scien-\ntiﬁc litera-\nture (cid:13)of HPV DNA-\npositivity\n") == (
        "scientific literature of HPV DNA-positivity"
    )
    assert paragraph("state of the art-\nBased") == "state of the art- Based"


def test_dois_in_text_and_metadata():
    assert dois_in("doi:10.1186/s13027-016-0058-9. See (doi 10.1000/x1) and 10.1000/X1") == [
        "10.1186/s13027-016-0058-9",
        "10.1000/x1",
    ]
    title, dois = pdf_metadata(PDFS / "bmc_infect_agents_cancer_2016_11_14_meta_analysis.pdf")
    assert title.startswith("Human papillomavirus infection and risk of breast cancer")
    assert dois == ["10.1186/s13027-016-0058-9"]
    assert pdf_metadata(PDFS / "damaged_no_startxref.pdf") == ("", [])


def test_not_a_pdf_is_one_line(tmp_path):
    fake = tmp_path / "paper.pdf"
    fake.write_text("<html><body>Sign in to read</body></html>")
    with pytest.raises(PdfError, match=r"paper\.pdf: not a PDF"):
        extract_pdf(fake)


def test_a_truncated_download_is_damaged(tmp_path):
    data = (PDFS / "bmc_infect_agents_cancer_2016_11_14_meta_analysis.pdf").read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(PdfError, match="damaged PDF"):
        extract_pdf(cut)


@pytest.fixture
def review(tmp_path):
    return make_review(tmp_path, [], [work(1), work(2), work(3)])


def store(review, work_id: str, name: str) -> None:
    path = pdf_path(review, work_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((PDFS / name).read_bytes())


def test_extract_writes_page_marked_text(review):
    store(review, "manual:1", "acl_naacl2018_N18-3011_literature_graph.pdf")
    result = extract(review, "manual:1")
    assert (result.pages, result.text, result.ok) == (8, OK, True)
    text = text_path(review, "manual:1").read_text("utf-8")
    assert re.findall(r"^\f\[page (\d+)\]$", text, re.M) == [str(n) for n in range(1, 9)]
    pages = pages_of(text)
    assert [n for n, _ in pages] == list(range(1, 9))
    assert "Construction of the Literature Graph in Semantic Scholar" in pages[0][1]
    assert "Proceedings of NAACL-HLT 2018, pages 84–91" in pages[0][1]
    assert "semantic features" in pages[0][1]


def test_extract_reports_scanned_and_broken_without_raising(review):
    store(review, "manual:1", "acl_naacl2018_N18-3011_literature_graph.pdf")
    extract(review, "manual:1")
    store(review, "manual:1", "scanned_no_text_layer_huckfinn_p22.pdf")  # replaced by a scan
    assert extract(review, "manual:1").text == "no text layer (scanned?)"
    assert not text_path(review, "manual:1").exists()  # no stale text of the old PDF
    store(review, "manual:2", "damaged_no_startxref.pdf")
    bad = extract(review, "manual:2")
    assert bad.pages is None and "damaged PDF" in bad.text and not bad.ok
    missing = extract(review, "manual:3")
    assert "no PDF stored" in missing.text
