"""Importing into a review: raw copy with hash, records, search-log entry, no-op re-import,
all-or-nothing on unreadable files, and the `slr import` command."""

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.corpus import load_records, search_log
from slr.errors import ImportError_
from slr.importer import import_files

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
SCOPUS_CSV = EXPORTS / "scopus_csv" / "litstudy_scopus.csv"
WOS_TAB = EXPORTS / "wos_tabdelimited" / "scientopy_wos_savedrecs_4071.txt"
SCOPUS_BIB = EXPORTS / "scopus_bibtex" / "buhos_scopus_2026_new_url.bib"


def test_import_copies_bytes_adds_records_and_logs(review, tmp_path):
    summary = import_files(review, [SCOPUS_CSV], query="TITLE-ABS-KEY(exascale)", date="2024-03-01")
    data = SCOPUS_CSV.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    raw = review.store.root / "raw" / "import" / f"{sha[:12]}-litstudy_scopus.csv"
    assert raw.read_bytes() == data
    records = load_records(review)
    assert len(records) == 58 and {r.source for r in records} == {"scopus"}
    assert records[0].raw == f"raw/import/{sha[:12]}-litstudy_scopus.csv#2"
    [entry] = search_log(review)
    assert entry["kind"] == "import" and entry["source"] == "scopus"
    assert entry["database"] == "Scopus" and entry["query"] == "TITLE-ABS-KEY(exascale)"
    assert entry["date"] == "2024-03-01" and entry["sha256"] == sha
    assert (entry["reported_total"], entry["fetched"], entry["kept"]) == (58, 58, 58)
    assert entry["status"] == "ok" and entry["file"] == f"raw/import/{sha[:12]}-litstudy_scopus.csv"
    [f] = summary.files
    assert (f.status, f.read, f.imported, f.added, f.skipped) == ("imported", 58, 58, 58, 0)


def test_reimporting_the_same_bytes_is_a_no_op(review, tmp_path):
    import_files(review, [SCOPUS_CSV])
    copy = tmp_path / "renamed.csv"
    shutil.copyfile(SCOPUS_CSV, copy)
    summary = import_files(review, [copy])
    assert summary.files[0].status == "already imported"
    assert "already imported" in summary.format()
    assert len(search_log(review)) == 1 and len(load_records(review)) == 58


def test_overlapping_export_adds_only_new_records(review, tmp_path):
    import_files(review, [SCOPUS_CSV])
    rows = list(csv.reader(io.StringIO(SCOPUS_CSV.read_text("utf-8-sig"))))
    subset = tmp_path / "subset.csv"
    with open(subset, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows[:4])
    summary = import_files(review, [subset])
    assert (summary.files[0].imported, summary.files[0].added) == (3, 0)
    assert search_log(review)[-1]["kept"] == 0


def test_an_unreadable_file_leaves_the_corpus_untouched(review, tmp_path):
    bad = tmp_path / "empty.ris"
    bad.write_text("")
    with pytest.raises(ImportError_, match="empty.ris: empty file"):
        import_files(review, [WOS_TAB, bad])
    assert not review.store.records_file.exists()
    assert not review.store.searchlog_file.exists()
    assert not (review.store.root / "raw").exists()


def test_partial_file_is_logged_as_partial(review, tmp_path):
    text = SCOPUS_BIB.read_text("utf-8") + "\n@article{broken, title = {oops\n"
    path = tmp_path / "partial.bib"
    path.write_text(text, "utf-8")
    summary = import_files(review, [path])
    [entry] = search_log(review)
    assert entry["status"] == "partial" and entry["skipped"] == 1
    assert entry["reported_total"] == 2 and entry["kept"] == 1
    # no --date: the Scopus header's export date stands in, and the log says so
    assert entry["date"] == "2026-04-15" and "export date" in entry["notes"]
    assert f"{path}:" in summary.format()


def test_invalid_date_is_refused_before_anything_is_read(review):
    with pytest.raises(ImportError_, match="--date '1/3/2024': use YYYY-MM-DD"):
        import_files(review, [SCOPUS_CSV], date="1/3/2024")


def test_source_not_in_protocol_is_pointed_out(review):
    summary = import_files(review, [WOS_TAB])
    assert "webofscience is not in the protocol's search.sources" in summary.format()


# ------------------------------------------------------------------ CLI


def _run(review, *args):
    return CliRunner().invoke(main, [*args, "-p", str(review.protocol.path)])


def test_cli_import_prints_a_summary(review):
    result = _run(review, "import", str(WOS_TAB), "--date", "2026-04-02", "-q")
    assert result.exit_code == 0, result.output
    assert "Web of Science tab-delimited, source webofscience: 71 entries read, 71 imported" in (
        result.output
    )
    result = _run(review, "import", str(WOS_TAB), "--json", "-q")
    data = json.loads(result.output)
    assert data["files"][0]["status"] == "already imported" and data["added"] == 0


def test_cli_import_error_is_one_line(review, tmp_path):
    bad = tmp_path / "image.bib"
    bad.write_bytes(bytes(range(256)))
    result = _run(review, "import", str(bad))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {bad}: a binary file, not a text reference export; export RIS, BibTeX or CSV"
    ]
