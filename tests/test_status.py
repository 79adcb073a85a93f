"""`slr status`: each reviewer's own progress, the `next:` line, and torn lines in any log."""

import pytest
from test_screening import rec, runner, write_protocol  # noqa: F401  (runner is a fixture)

from slr.cli import main
from slr.coding.log import Coding, record_codings
from slr.corpus import add_records
from slr.decisions import Decision, record_decision
from slr.review import open_review
from slr.screen.rules import auto_screen
from slr.screen.session import open_session
from slr.status import format_status, status
from slr.works import Work, save_works


def build(tmp_path, n=8, reviewers=("alice", "bob"), works=True):
    tmp_path.mkdir(exist_ok=True)
    review = open_review(write_protocol(tmp_path, reviewers))
    records = [rec(i) for i in range(1, n + 1)]
    add_records(review, records)
    if works:
        save_works(review, [Work(r.id, (r.id,), (r.source,), r) for r in records])
    return review


def decide_all(review, who, stage, decisions):
    for i, d in enumerate(decisions, start=1):
        decision, _, crit = d.partition(":")
        criteria = (crit,) if crit else ()
        record_decision(review, Decision(who, stage, f"openalex:W{i}", decision, criteria))


def next_line(review):
    return format_status(status(review)).splitlines()[-1]


def test_each_reviewer_sees_their_own_progress(tmp_path, runner):  # noqa: F811
    review = build(tmp_path)
    auto_screen(review)
    session = open_session(review, "alice", "title-abstract")
    for decision in ("include", "include", "include", "exclude", "maybe"):
        session.decide(decision, ("EC4",) if decision == "exclude" else ())
    text = format_status(status(review))
    assert "screening title-abstract: 8 works, 8 to screen, 0 included" in text  # none final
    assert "  5 work(s) decided by some reviewers, not yet by all" in text
    assert "  alice: 5 of 8 decided (3 include, 1 exclude, 1 maybe), 3 left" in text
    assert "  bob: 0 of 8 decided, 8 left" in text
    assert text.splitlines()[-1] == (
        "next: slr screen --reviewer alice (3 left); slr screen --reviewer bob (8 left)"
    )
    data = status(review).to_dict()["screening"]["title-abstract"]["reviewers"]
    assert data["alice"]["decided"] == 5 and data["bob"]["left"] == 8


def test_next_without_records_or_works_or_with_stale_works(tmp_path):
    (tmp_path / "a").mkdir()
    empty = open_review(write_protocol(tmp_path / "a"))
    assert next_line(empty) == "next: slr search (or slr import FILE) to collect records"
    no_works = build(tmp_path / "b", works=False)
    assert next_line(no_works) == "next: slr dedupe, to link the records into works"
    stale = build(tmp_path / "c", n=3)
    add_records(stale, [rec(9)])  # a new import after the last dedupe
    assert next_line(stale) == "next: slr dedupe: 1 record(s) are not in any work yet"
    fresh = build(tmp_path / "d", n=3)
    assert next_line(fresh) == "next: slr screen --auto, to apply the protocol's machine rules"


def test_next_walks_conflicts_full_text_coding_and_the_report(tmp_path):
    review = build(tmp_path, n=3)
    auto_screen(review)
    decide_all(review, "alice", "title-abstract", ["include", "include", "exclude:EC4"])
    assert next_line(review) == "next: slr screen --reviewer bob (3 left)"
    decide_all(review, "bob", "title-abstract", ["include", "exclude:EC4", "exclude:EC4"])
    assert next_line(review) == (
        "next: slr conflicts --stage title-abstract, then slr resolve --stage title-abstract "
        "(1 disagreement(s))"
    )
    record_decision(
        review, Decision("resolved", "title-abstract", "openalex:W2", "exclude", ("EC4",))
    )
    assert next_line(review) == (
        "next: slr screen --reviewer alice --stage full-text (1 left); "
        "slr screen --reviewer bob --stage full-text (1 left)"
    )
    for who in ("alice", "bob"):
        decide_all(review, who, "full-text", ["include"])
    assert next_line(review) == "next: slr code --coder alice (1 included studies to code)"
    record_codings(review, [Coding("alice", "openalex:W1", "C1", True)])
    assert next_line(review) == "next: slr matrix, then slr report"


def test_nothing_included_leads_to_prisma_and_the_report(tmp_path):
    review = build(tmp_path, n=2, reviewers=("alice",))
    auto_screen(review)
    decide_all(review, "alice", "title-abstract", ["exclude:EC4", "exclude:EC2"])
    assert next_line(review) == "next: slr prisma, then slr report (no work reached the full text)"


@pytest.mark.parametrize("log", ["decisions/alice.jsonl", "coding/alice.jsonl", "labels.jsonl"])
def test_status_warns_about_a_torn_line_in_any_log(tmp_path, runner, log):  # noqa: F811
    review = build(tmp_path, n=2, reviewers=("alice",))
    path = review.store.root / log
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        fh.write(b'{"time": "2024-01-01T00:00:00Z", "reviewer": "al')  # a crash mid-write
    result = runner.invoke(main, ["status", "-p", str(review.protocol.path)])
    assert result.exit_code == 0, result.output
    assert (
        f"warning: {log}: the last line was cut short by an interrupted write; it is left out "
        "of every count and moved to a .torn file on the next write"
    ) in result.output
    assert status(review).to_dict()["torn"] == [{"file": log, "state": "torn"}]


def test_status_names_fragments_kept_aside_and_a_clean_review_has_no_warning(tmp_path):
    review = build(tmp_path, n=2, reviewers=("alice",))
    record_decision(review, Decision("alice", "title-abstract", "openalex:W1", "include"))
    assert "warning" not in format_status(status(review))
    path = review.store.decisions_file("alice")
    with open(path, "ab") as fh:
        fh.write(b'{"reviewer": "ali')
    record_decision(review, Decision("alice", "title-abstract", "openalex:W2", "include"))
    assert status(review).to_dict()["torn"] == [
        {"file": "decisions/alice.jsonl.torn", "state": "kept"}
    ]
    assert "warning: decisions/alice.jsonl.torn holds fragments of interrupted writes" in (
        format_status(status(review))
    )


def demo_review(tmp_path):
    """A copy of the repository's demo review (protocols/ and corpus/)."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for folder in ("protocols", "corpus"):
        shutil.copytree(root / folder, tmp_path / folder)
    return open_review(tmp_path / "protocols" / "mlops.toml", tmp_path / "corpus" / "mlops")


def test_one_status_computes_the_stage_states_once(tmp_path, monkeypatch):
    import json

    import slr.screen.state as state_mod
    from slr.review import Review

    review = demo_review(tmp_path)
    calls = []
    real = state_mod._stage_state
    monkeypatch.setattr(
        state_mod, "_stage_state", lambda *a, **k: calls.append(a[1]) or real(*a, **k)
    )
    kept = json.dumps(status(review).to_dict(), sort_keys=True)
    assert calls == ["title-abstract", "full-text"]  # one stage_states, not one per part

    monkeypatch.setattr(Review, "derived", lambda self, key, paths, load: load())  # no memo
    fresh = json.dumps(status(demo_review(tmp_path / "again")).to_dict(), sort_keys=True)
    assert kept == fresh.replace(str(tmp_path / "again"), str(tmp_path))
    assert json.loads(kept)["screening"]["title-abstract"]["works"] > 0
