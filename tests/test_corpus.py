"""Adding records, logging searches, decision logs: the shared state other stages build on."""

from pathlib import Path

from conftest import new_review

from slr.corpus import add_records, load_records, log_search, search_log
from slr.decisions import Decision, current, read_log, record_decision, reviewers
from slr.records import Record

ROOT = Path(__file__).resolve().parents[1]


def test_add_records_is_idempotent_by_id(tmp_path):
    review = new_review(tmp_path)
    a = Record("scopus", "1", title="A")
    b = Record("scopus", "2", title="B")
    assert add_records(review, [a, b]) == 2
    assert add_records(review, [a, Record("wos", "1", title="A")]) == 1
    assert [r.id for r in load_records(review)] == ["scopus:1", "scopus:2", "wos:1"]
    assert (tmp_path / "corpus" / "mlops" / "slr-state.json").exists()


def test_search_log_appends_entries(tmp_path):
    review = new_review(tmp_path)
    log_search(review, {"kind": "import", "source": "scopus", "fetched": 3})
    log_search(review, {"kind": "search", "source": "openalex", "fetched": 7})
    entries = search_log(review)
    assert [e["source"] for e in entries] == ["scopus", "openalex"]
    assert entries[0]["logged"].endswith("Z")


def test_decision_log_latest_counts_and_undo_withdraws(tmp_path):
    review = new_review(tmp_path)
    stage = "title-abstract"
    for decision in ("include", "exclude", "undo"):
        record_decision(review, Decision("ana", stage, "w1", decision))
    record_decision(review, Decision("ana", stage, "w2", "exclude", ("EC4",), "off topic"))
    record_decision(review, Decision("ana", "full-text", "w1", "exclude", ("EC3",)))
    log = read_log(review, "ana")
    assert len(log) == 5 and all(d.protocol_hash == review.protocol.hash for d in log)
    standing = current(log, stage)
    assert standing["w1"].decision == "include"
    assert standing["w2"].criteria == ("EC4",) and standing["w2"].note == "off topic"
    assert reviewers(review) == ["ana"]
