"""Attaching PDFs by hand and importing a folder of them: matching, no-ops, bad files, CLI.

The works carry the DOIs and titles of the fixture PDFs (tests/fixtures/fulltext/pdf/):
the BMC article has its DOI in the PDF's metadata, the SciELO one only on its first page,
and the ACL one no DOI at all (matched by its title).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_coding_support import make_review, work

from slr.cli import main
from slr.decisions import Decision, record_decision
from slr.fulltext import load_retrievals, pages_of, pdf_path, text_path
from slr.fulltext.attach import AttachError, attach_file, import_folder, resolve_work
from slr.fulltext.extract import PdfError
from slr.works import load_works

PDFS = Path(__file__).resolve().parent / "fixtures" / "fulltext" / "pdf"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "fulltext" / "pdf"
ACL = "acl_naacl2018_N18-3011_literature_graph.pdf"
BMC = "bmc_infect_agents_cancer_2016_11_14_meta_analysis.pdf"
SCIELO = "scielo_rsp_2016_50_27_hypertension_adolescents_sr.pdf"
PLOS = "plos_one_0115884_fanged_frog.pdf"
SCAN = "scanned_no_text_layer_huckfinn_p22.pdf"
ACL_TITLE = "Construction of the Literature Graph in Semantic Scholar"


def works():
    return [
        work("acl", title=ACL_TITLE),
        work("bmc", title="HPV and breast cancer", doi="10.1186/s13027-016-0058-9"),
        work(
            "scielo", title="Blood pressure in adolescents", doi="10.1590/S1518-8787.2016050006236"
        ),
        # two works with the PLOS article's DOI (duplicates dedupe left apart): ambiguous
        work("plos1", title="A new fanged frog", doi="10.1371/journal.pone.0115884"),
        work(
            "plos2",
            title="A new fanged frog species",
            doi="https://doi.org/10.1371/JOURNAL.PONE.0115884",
        ),
        work("other", title="A study of something else entirely", doi="10.1000/other"),
    ]


@pytest.fixture
def review(tmp_path):
    return make_review(tmp_path, [], works())


def zotero_folder(tmp_path: Path) -> Path:
    """A Zotero-like storage folder: one PDF per item folder, snapshots and caches beside."""
    root = tmp_path / "storage"
    for key, name in [
        ("AAA1", ACL),
        ("BBB2", BMC),
        ("CCC3", SCIELO),
        ("DDD4", PLOS),
        ("EEE5", SCAN),
    ]:
        (root / key).mkdir(parents=True)
        shutil.copy(PDFS / name, root / key / name)
    (root / "AAA1" / ".zotero-ft-cache").write_text("cached text")
    (root / "FFF6").mkdir()
    (root / "FFF6" / "Login.pdf").write_text("<html><body>Please sign in</body></html>")
    (root / "FFF6" / "damaged.pdf").write_bytes((PDFS / "damaged_no_startxref.pdf").read_bytes())
    return root


def by_name(report):
    return {f.path.name: f for f in report.files}


def test_import_matches_by_metadata_doi_page_doi_and_title(review, tmp_path):
    report = import_folder(review, zotero_folder(tmp_path))
    got = by_name(report)
    assert (got[BMC].outcome, got[BMC].work_id, got[BMC].how) == ("attached", "manual:bmc", "doi")
    assert (got[SCIELO].work_id, got[SCIELO].how) == ("manual:scielo", "doi")
    assert (got[ACL].work_id, got[ACL].how) == ("manual:acl", "title")
    assert got[PLOS].outcome == "ambiguous"
    assert set(got[PLOS].candidates) == {"manual:plos1", "manual:plos2"}
    assert got[SCAN].outcome == "unmatched"
    assert got["Login.pdf"].outcome == "error" and "not a PDF" in got["Login.pdf"].message
    assert got["damaged.pdf"].outcome == "error" and "damaged PDF" in got["damaged.pdf"].message
    assert report.skipped == 1  # the .zotero-ft-cache file
    # stored per the contract: bytes, page-marked text, one `imported` event each
    assert pdf_path(review, "manual:bmc").read_bytes() == (PDFS / BMC).read_bytes()
    assert [n for n, _ in pages_of(text_path(review, "manual:acl").read_text())] == list(
        range(1, 9)
    )
    events = load_retrievals(review)
    assert sorted(e.work_id for e in events) == ["manual:acl", "manual:bmc", "manual:scielo"]
    assert {(e.event, e.method, e.text) for e in events} == {("retrieved", "imported", "ok")}
    assert all(len(e.sha256 or "") == 64 and e.pages for e in events)
    assert not pdf_path(review, "manual:plos1").exists()  # never guessed


def test_import_twice_is_a_no_op(review, tmp_path):
    folder = zotero_folder(tmp_path)
    import_folder(review, folder)
    log = (review.store.root / "fulltext.jsonl").read_bytes()
    again = by_name(import_folder(review, folder))
    assert (again[BMC].outcome, again[BMC].work_id) == ("same", "manual:bmc")
    assert (review.store.root / "fulltext.jsonl").read_bytes() == log


def test_title_match_prefers_works_needing_a_full_text(tmp_path):
    twins = [work("kept", title=ACL_TITLE), work("dropped", title=ACL_TITLE)]
    review = make_review(tmp_path, [], twins, include=False)
    record_decision(review, Decision("r1", "title-abstract", "manual:kept", "maybe"))
    record_decision(review, Decision("r1", "title-abstract", "manual:dropped", "exclude"))
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(PDFS / ACL, folder / "a.pdf")
    got = import_folder(review, folder).files[0]
    assert (got.outcome, got.work_id, got.how) == ("attached", "manual:kept", "title")


def test_two_works_with_the_same_title_are_ambiguous(tmp_path):
    twins = [work("one", title=ACL_TITLE), work("two", title=ACL_TITLE + ".")]
    review = make_review(tmp_path, [], twins)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(PDFS / ACL, folder / "a.pdf")
    got = import_folder(review, folder).files[0]
    assert got.outcome == "ambiguous" and set(got.candidates) == {"manual:one", "manual:two"}
    assert load_retrievals(review) == []


def test_import_leaves_a_work_that_has_another_pdf(review, tmp_path):
    attach_file(review, "manual:acl", PDFS / PLOS)  # the reviewer's own choice
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(PDFS / ACL, folder / "a.pdf")
    got = import_folder(review, folder).files[0]
    assert (got.outcome, got.work_id) == ("has-pdf", "manual:acl")
    assert pdf_path(review, "manual:acl").read_bytes() == (PDFS / PLOS).read_bytes()


def test_attach_by_id_prefix_and_doi_then_same_bytes_is_a_no_op(review):
    done = attach_file(review, "manual:ac", PDFS / ACL)
    assert (done.outcome, done.work_id, done.pages, done.text) == (
        "attached",
        "manual:acl",
        8,
        "ok",
    )
    assert attach_file(review, "manual:acl", PDFS / ACL).outcome == "same"
    by_doi = attach_file(review, "https://doi.org/10.1186/S13027-016-0058-9", PDFS / BMC)
    assert by_doi.work_id == "manual:bmc"
    events = load_retrievals(review)
    assert [(e.work_id, e.method) for e in events] == [
        ("manual:acl", "attached"),
        ("manual:bmc", "attached"),
    ]
    assert events[0].url is None and events[0].via is None


def test_attach_another_file_replaces_the_pdf_and_its_text(review):
    attach_file(review, "manual:acl", PDFS / ACL)
    done = attach_file(review, "manual:acl", PDFS / SCAN)
    assert (done.outcome, done.pages, done.text) == ("attached", 1, "no text layer (scanned?)")
    assert not text_path(review, "manual:acl").exists()
    assert [e.text for e in load_retrievals(review)] == ["ok", "no text layer (scanned?)"]


def test_naming_a_work_errors_are_one_line(review):
    all_works = load_works(review)
    with pytest.raises(
        AttachError, match=r"manual:plos: matches 2 works \(manual:plos1, manual:plos2\)"
    ):
        resolve_work(all_works, "manual:plos")
    with pytest.raises(AttachError, match="10.1371/journal.pone.0115884: matches 2 works"):
        resolve_work(all_works, "10.1371/journal.pone.0115884")
    with pytest.raises(AttachError, match="nope: no work has this id or DOI"):
        resolve_work(all_works, "nope")


def test_attach_refuses_what_it_cannot_read(review, tmp_path):
    html = tmp_path / "paper.pdf"
    html.write_text("<html>Sign in</html>")
    with pytest.raises(PdfError, match="not a PDF"):
        attach_file(review, "manual:acl", html)
    with pytest.raises(PdfError, match="damaged PDF"):
        attach_file(review, "manual:acl", PDFS / "damaged_no_startxref.pdf")
    encrypted = SHARED / "awkward" / "encrypted_user_password_openpassword.pdf"
    if encrypted.exists():
        with pytest.raises(PdfError, match="encrypted"):
            attach_file(review, "manual:acl", encrypted)
    assert load_retrievals(review) == [] and not pdf_path(review, "manual:acl").exists()


@pytest.fixture
def proto(review, tmp_path):
    return str(tmp_path / "protocols" / "t.toml")


def test_cli_attach_import_extract(review, proto, tmp_path):
    cli = CliRunner()
    out = cli.invoke(main, ["fulltext", "attach", "-p", proto, "manual:acl", str(PDFS / ACL)])
    assert out.exit_code == 0, out.output
    assert out.output == f"attached {PDFS / ACL} to manual:acl (8 pages, text ok)\n"
    out = cli.invoke(main, ["fulltext", "attach", "-p", proto, "manual:plos", str(PDFS / PLOS)])
    assert out.exit_code == 1
    assert (
        out.output.startswith("Error: manual:plos: matches 2 works") and out.output.count("\n") == 1
    )
    out = cli.invoke(main, ["fulltext", "import", "-p", proto, "-q", str(zotero_folder(tmp_path))])
    assert out.exit_code == 1  # two unreadable files; the others were still attached
    lines = out.output.splitlines()
    assert any(
        line.startswith("ambiguous") and "manual:plos1, manual:plos2" in line for line in lines
    )
    assert any(line.startswith("unmatched") and SCAN in line for line in lines)
    assert lines[-1] == (
        "7 PDFs: 2 attached, 1 already stored, 1 ambiguous, 1 unmatched, 2 unreadable; "
        "1 other files (not .pdf) not looked at"
    )
    out = cli.invoke(main, ["fulltext", "extract", "-p", proto, "-q"])
    assert out.exit_code == 0, out.output
    assert sorted(out.output.splitlines()) == [
        "manual:acl: 8 pages, text ok",
        "manual:bmc: 8 pages, text ok",
        "manual:scielo: 11 pages, text ok",
    ]
    pdf_path(review, "manual:bmc").write_bytes(b"%PDF-1.4\ncut")
    out = cli.invoke(main, ["fulltext", "extract", "-p", proto, "-q", "manual:bmc", "manual:acl"])
    assert out.exit_code == 1
    assert out.output.splitlines()[0].startswith("manual:bmc: ") and "damaged PDF" in out.output
    assert out.output.splitlines()[1] == "manual:acl: 8 pages, text ok"
