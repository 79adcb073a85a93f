"""Imports that say where they came from, and that can be corrected (issue 14, items 4, 5).

The database is read from the file where the format says it; a file that does not say it,
and a missing --query or --date, are warned about. `slr import --list/--amend/--remove`
append corrections to the search log; records, works and the search log follow them.
"""

import json
from pathlib import Path

from click.testing import CliRunner

from slr.cli import main
from slr.corpus import load_records, search_log
from slr.decisions import Decision, read_log, record_decision
from slr.dedupe.incremental import update
from slr.importer import import_files
from slr.works import load_works

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
EMBASE_CSV = EXPORTS / "embase_csv" / "asreview_embase.csv"
PROQUEST_RIS = EXPORTS / "proquest_ris" / "asreview_proquest.ris"
EBSCO_RIS = EXPORTS / "ebsco_ris" / "buhos_ebscohost.ris"
ZOTERO_RIS = EXPORTS / "zotero_ris" / "asreview_ovid_zotero.ris"


def _run(review, *args):
    return CliRunner().invoke(main, [*args, "--protocol", str(review.protocol.path)])


# ------------------------------------------------------------------ item 4: the database


def test_the_database_is_read_from_the_file(review):
    import_files(review, [EMBASE_CSV, PROQUEST_RIS, EBSCO_RIS])
    log = {e["filename"]: (e["source"], e["database"]) for e in search_log(review)}
    assert log == {
        "asreview_embase.csv": ("embase", "Embase"),  # its Emtree columns
        "asreview_proquest.ris": ("ptsdpubs", "PTSDpubs"),  # `DB  - PTSDpubs`
        "buhos_ebscohost.ris": ("ebsco", "EBSCOhost"),  # `DP  - EBSCOhost`
    }
    assert {r.source for r in load_records(review)} == {"embase", "ptsdpubs", "ebsco"}


def test_an_unnamed_database_and_a_missing_query_or_date_are_warned(review):
    result = _run(review, "import", str(ZOTERO_RIS), "-q")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 3
    assert "count under other methods unless you name it" in warnings[0]
    assert "--source NAME" in warnings[0]
    assert "no --query" in warnings[1] and "no --date" in warnings[2]
    named = _run(review, "import", str(EMBASE_CSV), "--query", "q", "--date", "2024-03-01")
    assert named.exit_code == 0 and "warning: " not in named.output


# ------------------------------------------------------------------ item 5: list, amend, remove


def test_list_shows_every_import(review):
    import_files(review, [ZOTERO_RIS], query="cysts", date="2024-03-01")
    [entry] = search_log(review)
    result = _run(review, "import", "--list")
    assert result.exit_code == 0, result.output
    for text in (entry["run_id"], entry["file"], entry["sha256"], "import", "cysts", "2024-03-01"):
        assert text in result.output
    assert "records  6" in result.output
    as_json = json.loads(_run(review, "import", "--list", "--json").output)
    assert [e["run_id"] for e in as_json] == [entry["run_id"]]


def test_amend_is_appended_and_followed(review):
    import_files(review, [ZOTERO_RIS])
    [entry] = search_log(review)
    ids = [r.id for r in load_records(review)]
    before = review.store.searchlog_file.read_text()
    result = _run(
        review,
        "import",
        "--amend",
        entry["run_id"],
        "--source",
        "embase",
        "--query",
        "'cyst'/exp",
        "--date",
        "2024-03-01",
    )
    assert result.exit_code == 0, result.output
    assert "source import -> embase" in result.output
    text = review.store.searchlog_file.read_text()
    assert text.startswith(before) and len(text.splitlines()) == 2  # appended, not edited
    [amended] = search_log(review)
    assert (amended["source"], amended["database"]) == ("embase", "Embase")
    assert (amended["query"], amended["date"]) == ("'cyst'/exp", "2024-03-01")
    assert "query not given" not in amended["notes"] and amended["original_source"] == "import"
    records = load_records(review)
    assert {r.source for r in records} == {"embase"} and [r.id for r in records] == ids
    shown = _run(review, "search", "--log")
    assert "'cyst'/exp" in shown.output and "2024-03-01" in shown.output


def test_amend_and_remove_name_unknown_ids(review):
    import_files(review, [ZOTERO_RIS])
    [entry] = search_log(review)
    result = _run(review, "import", "--amend", "import-nope", "--date", "2024-03-01")
    assert result.exit_code != 0
    assert result.output.startswith("Error: --amend 'import-nope': no such import; use one of: ")
    assert entry["run_id"] in result.output and "Traceback" not in result.output
    nothing = _run(review, "import", "--amend", entry["run_id"])
    assert nothing.exit_code != 0 and "give --source, --query or --date" in nothing.output


def _ris(*records: tuple[str, str]) -> str:
    return "".join(f"TY  - JOUR\nAN  - {an}\nTI  - {title}\nER  - \n" for an, title in records)


def test_remove_takes_out_only_what_no_other_import_holds(review, tmp_path):
    (tmp_path / "a.ris").write_text(_ris(("WOS:1", "Shared paper"), ("WOS:2", "Only in A")))
    (tmp_path / "b.ris").write_text(_ris(("WOS:1", "Shared paper"), ("WOS:3", "Only in B")))
    import_files(review, [tmp_path / "a.ris", tmp_path / "b.ris"])
    update(review)
    a, b = search_log(review)
    only_a = next(w for w in load_works(review) if w.canonical.title == "Only in A")
    record_decision(
        review, Decision("alice", "title-abstract", only_a.work_id, "exclude", ("EC1",))
    )
    raw_a = review.store.root / a["file"]
    result = _run(review, "import", "--remove", a["run_id"])
    assert result.exit_code == 0, result.output
    assert "1 record(s) left the review, 1 work(s) with them" in result.output
    titles = sorted(r.title for r in load_records(review))
    assert titles == ["Only in B", "Shared paper"]  # B still holds the shared paper
    assert sorted(w.canonical.title for w in load_works(review)) == titles
    assert raw_a.exists() and [e["run_id"] for e in search_log(review)] == [b["run_id"]]
    assert [d.work_id for d in read_log(review, "alice")] == [only_a.work_id]  # kept
    status = json.loads(_run(review, "status", "--json").output)
    assert (status["records"], status["works"], status["searches"]) == (2, 2, 1)
    listed = _run(review, "import", "--list").output
    assert f"{a['run_id']}  (removed" in listed
    # the same bytes can come back; they are a new import
    again = import_files(review, [tmp_path / "a.ris"])
    assert again.files[0].run_id == f"{a['run_id']}-2"
    assert len(load_records(review)) == 3
