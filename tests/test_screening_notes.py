"""Screening notes (saved at once, never a decision) and reviewer and coder names."""

import json

import pytest
from test_screening import dual, make_review, rec, runner  # noqa: F401  (runner is a fixture)

from slr.cli import main
from slr.decisions import Note, read_log, read_notes, record_note, reviewers
from slr.screen.agreement import stage_agreement
from slr.screen.session import open_session
from slr.screen.state import final_decisions, screening_counts, stage_states


def raw_lines(review, name):
    return [json.loads(x) for x in review.store.decisions_file(name).read_text().splitlines()]


@pytest.mark.parametrize("then", ["s", "q", "b"])
def test_a_note_is_on_disk_the_moment_it_is_entered(tmp_path, runner, then):  # noqa: F811
    review, proto = make_review(tmp_path, [rec(1), rec(2)])
    result = runner.invoke(
        main,
        ["screen", "-p", proto, "--reviewer", "alice"],
        input=f"n check the sample size\n{then}\n",
    )
    assert result.exit_code == 0, result.output
    assert "note saved" in result.output
    notes = read_notes(review, "alice")
    assert [(n.work_id, n.stage, n.text) for n in notes] == [
        ("openalex:W1", "title-abstract", "check the sample size")
    ]
    assert read_log(review, "alice") == []  # a note is not a decision
    again = runner.invoke(main, ["screen", "-p", proto, "--reviewer", "alice"], input="q\n")
    assert "your note (saved): check the sample size" in again.output


def test_changing_a_decision_with_back_keeps_the_earlier_notes(tmp_path, runner):  # noqa: F811
    review, proto = make_review(tmp_path, [rec(1), rec(2)])
    keys = ["n first look: relevant", "i", "b", "n on reflection: about model building", "2", "q"]
    result = runner.invoke(
        main, ["screen", "-p", proto, "--reviewer", "alice"], input="\n".join(keys) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert [n.text for n in read_notes(review, "alice")] == [
        "first look: relevant",
        "on reflection: about model building",
    ]
    assert [d.decision for d in read_log(review, "alice")] == ["include", "exclude"]
    session = open_session(review, "alice", "title-abstract")
    assert session.notes["openalex:W1"] == [
        "first look: relevant",
        "on reflection: about model building",
    ]
    session.undo()  # withdraws the exclusion, never a note
    assert len(read_notes(review, "alice")) == 2


def test_note_lines_never_count_as_decisions_and_show_with_conflicts(tmp_path, runner):  # noqa: F811
    review, proto = dual(
        tmp_path, ["include", "include", "exclude:EC4"], ["exclude:EC4", None, None]
    )
    before = screening_counts(review), final_decisions(review, "title-abstract")
    kappa = stage_agreement(review, "title-abstract")
    for who, n in (("alice", 1), ("bob", 1), ("bob", 2), ("bob", 3), ("carol", 1)):
        record_note(review, Note(who, "title-abstract", f"openalex:W{n}", f"{who} on W{n}"))
    assert (screening_counts(review), final_decisions(review, "title-abstract")) == before
    assert stage_agreement(review, "title-abstract") == kappa
    assert "carol" not in reviewers(review)  # only notes: not a screener
    state = stage_states(review)["title-abstract"]
    assert state.notes["openalex:W1"] == {"alice": ["alice on W1"], "bob": ["bob on W1"]} | {
        "carol": ["carol on W1"]
    }
    listed = runner.invoke(main, ["conflicts", "-p", proto])
    assert "    alice: include\n      alice's note: alice on W1\n" in listed.output
    assert "    bob: exclude (EC4)\n      bob's note: bob on W1\n" in listed.output
    data = json.loads(runner.invoke(main, ["conflicts", "-p", proto, "--json"]).output)
    assert data[0]["notes"]["bob"] == ["bob on W1"]
    resolved = runner.invoke(main, ["resolve", "-p", proto], input="i\n")
    assert "bob's note: bob on W1" in resolved.output  # the resolver sees them too
    assert [line["kind"] for line in raw_lines(review, "bob") if "kind" in line] == ["note"] * 3


# ---------------------------------------------------------------- names


def test_a_reviewer_name_is_one_of_the_protocols_in_any_case(tmp_path, runner):  # noqa: F811
    review, proto = make_review(tmp_path, [rec(1), rec(2)], reviewers=("alice", "bob"))
    result = runner.invoke(main, ["screen", "-p", proto, "--reviewer", "Alice"], input="i\n")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (review.store.root / "decisions").iterdir()] == ["alice.jsonl"]
    assert read_log(review, "alice")[0].reviewer == "alice"
    typo = runner.invoke(main, ["screen", "-p", proto, "--reviewer", "alcie"], input="i\n")
    assert typo.exit_code == 1
    assert typo.output == (
        "Error: unknown reviewer 'alcie': the protocol lists alice, bob; pass one of them with "
        "--reviewer (or add 'alcie' to the protocol's reviewers)\n"
    )
    assert not review.store.decisions_file("alcie").exists()


def test_without_listed_reviewers_a_name_differing_by_case_uses_the_existing_log(
    tmp_path,
    runner,  # noqa: F811
):
    review, proto = make_review(tmp_path, [rec(1), rec(2)], reviewers=())
    runner.invoke(main, ["screen", "-p", proto, "--reviewer", "dana"], input="i\n")
    result = runner.invoke(main, ["screen", "-p", proto, "--reviewer", "DANA"], input="i\n")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (review.store.root / "decisions").iterdir()] == ["dana.jsonl"]
    assert len(read_log(review, "dana")) == 2
    session = open_session(review, "Eve", "title-abstract")  # a new name: today's behaviour
    assert session.reviewer == "Eve"


def test_a_coder_name_is_one_of_the_protocols_in_any_case(tmp_path, runner):  # noqa: F811
    review, proto = make_review(tmp_path, [rec(1)], reviewers=("alice", "bob"))
    typo = runner.invoke(main, ["code", "-p", proto, "--coder", "bobb", "--plain"], input="q\n")
    assert typo.exit_code == 1
    assert "unknown coder 'bobb': the protocol lists alice, bob; pass one of them with --coder" in (
        typo.output
    )
    sheet = tmp_path / "sheet.csv"
    made = runner.invoke(main, ["code", "-p", proto, "--coder", "BOB", "--sheet", str(sheet)])
    assert made.exit_code == 0, made.output
    assert "(coder bob)" in made.output
