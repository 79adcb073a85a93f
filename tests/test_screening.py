"""Screening: automatic criteria, scripted sessions, final decisions, conflicts, resolution, status."""

import json

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.decisions import AUTO_REVIEWER, Decision, read_log, read_notes, record_decision
from slr.fulltext import load_retrievals
from slr.records import Record
from slr.review import Review, open_review
from slr.screen import session as screen_session
from slr.screen.rules import auto_screen
from slr.screen.session import open_session, random_order
from slr.screen.state import (
    ScreeningError,
    conflicts,
    final_decisions,
    included_works,
    screening_counts,
)
from slr.status import format_status, status
from slr.tui.view import header
from slr.works import Work, save_works

PROTOCOL = """
[review]
id = "t"
title = "Test review"
reviewers = REVIEWERS

[search]
query = 'MLOps OR "machine learning operations"'
sources = ["openalex"]
YEARS

[[criteria.inclusion]]
id = "IC1"
text = "Research articles and conference papers"
require = { types = ["article", "conference-paper"] }

[[criteria.inclusion]]
id = "IC2"
text = "Studies about MLOps"

[[criteria.exclusion]]
id = "EC1"
text = "Not published in English"
require = { languages = ["en"] }

[[criteria.exclusion]]
id = "EC2"
text = "About building ML models"

[[criteria.exclusion]]
id = "EC3"
text = "No access to the content"

[[criteria.exclusion]]
id = "EC4"
text = "No relevance to the research question"

[[concepts]]
id = "C1"
label = "Monitoring"
keywords = ["monitoring"]
"""


def rec(n, **kw):
    base = dict(
        source="openalex",
        source_id=f"W{n}",
        title=f"Study {n} of MLOps adoption",
        abstract=f"Abstract {n}: monitoring machine learning operations in production.",
        authors=(f"Author {n}",),
        year=2020,
        type="article",
        language="en",
    )
    base.update(kw)
    return Record(**base)


def write_protocol(tmp_path, reviewers=("alice",), years="years = [2018, 2023]"):
    path = tmp_path / "protocols" / "t.toml"
    path.parent.mkdir(exist_ok=True)
    text = PROTOCOL.replace("REVIEWERS", json.dumps(list(reviewers))).replace("YEARS", years)
    path.write_text(text, encoding="utf-8")
    return path


def make_review(tmp_path, records, reviewers=("alice",)) -> tuple[Review, str]:
    path = write_protocol(tmp_path, reviewers)
    review = open_review(path)
    save_works(review, [Work(r.id, (r.id,), (r.source,), r) for r in records])
    return review, str(path)


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("SLR_KEYS", str(tmp_path / "no-keys.toml"))
    monkeypatch.delenv("SLR_REVIEWER", raising=False)
    return CliRunner()


def decided(review, reviewer):
    return [(d.work_id, d.decision, d.criteria, d.note) for d in read_log(review, reviewer)]


# ---------------------------------------------------------------- automatic criteria


def test_auto_screen_excludes_by_rule_with_criterion_ids_and_leaves_missing_metadata(tmp_path):
    records = [
        rec(1),
        rec(2, type="book"),  # fails IC1
        rec(3, language="de"),  # fails EC1
        rec(4, year=2010),  # outside the year range
        rec(5, type="other", language="fr"),  # fails two rules
        rec(6, type=None),  # undecidable type: a human decides
        rec(7, year=None, language=None, type="book"),  # fails IC1 whatever the rest is
    ]
    review, _ = make_review(tmp_path, records)
    summary = auto_screen(review)
    log = {d.work_id: d.criteria for d in read_log(review, AUTO_REVIEWER)}
    assert log == {
        "openalex:W2": ("IC1",),
        "openalex:W3": ("EC1",),
        "openalex:W4": ("years",),
        "openalex:W5": ("IC1", "EC1"),
        "openalex:W7": ("IC1",),
    }
    assert summary.excluded == 5 and summary.undecidable == 1
    assert summary.per_criterion == {"IC1": 3, "EC1": 2, "years": 1}
    assert all(d.decision == "exclude" for d in read_log(review, AUTO_REVIEWER))
    final = final_decisions(review, "title-abstract")
    assert set(final) == set(log)
    session = open_session(review, "alice", "title-abstract")
    assert [w.work_id for w in session.works] == ["openalex:W1", "openalex:W6"]


def test_auto_screen_is_idempotent_and_withdraws_what_a_changed_protocol_no_longer_excludes(
    tmp_path,
):
    review, _ = make_review(tmp_path, [rec(1), rec(2, year=2010), rec(3, type="book")])
    auto_screen(review)
    size = review.store.decisions_file(AUTO_REVIEWER).stat().st_size
    again = auto_screen(review)
    assert again.new == 0 and again.excluded == 2
    assert review.store.decisions_file(AUTO_REVIEWER).stat().st_size == size
    write_protocol(tmp_path, years="")  # the year range is dropped from the protocol
    review = open_review(tmp_path / "protocols" / "t.toml")
    summary = auto_screen(review)
    assert summary.withdrawn == 1
    assert set(final_decisions(review, "title-abstract")) == {"openalex:W3"}
    assert read_log(review, AUTO_REVIEWER)[-1].decision == "undo"


def test_auto_screen_reports_human_inclusions_a_narrower_protocol_overrides(tmp_path, runner):
    review, proto = make_review(tmp_path, [rec(1), rec(2, year=2019), rec(3, year=2019)])
    auto_screen(review)  # every work is inside the years: nothing excluded
    record_decision(review, Decision("alice", "title-abstract", "openalex:W2", "include"))
    record_decision(review, Decision("alice", "title-abstract", "openalex:W3", "exclude", ("EC4",)))
    write_protocol(tmp_path, years="years = [2020, 2023]")
    result = runner.invoke(main, ["screen", "--auto", "-p", proto, "-q"])
    assert result.exit_code == 0, result.output
    assert "warning: 1 human decision(s) to keep a work are now overridden" in result.output
    assert "openalex:W2: alice said include, fails years" in result.output
    assert "W3" not in result.output  # an exclusion the rule repeats is no news
    again = runner.invoke(main, ["screen", "--auto", "-p", proto, "-q"])
    assert "warning" not in again.output  # said once, when the rule first applies


def test_a_snowball_round_reports_the_inclusions_its_rules_now_override(tmp_path):
    from slr.snowball.run import overridden_notes

    review, _ = make_review(tmp_path, [rec(1), rec(2, year=2019)])
    auto_screen(review)
    record_decision(review, Decision("alice", "title-abstract", "openalex:W2", "include"))
    write_protocol(tmp_path, years="years = [2020, 2023]")
    review = open_review(tmp_path / "protocols" / "t.toml")
    notes = overridden_notes(auto_screen(review))
    assert len(notes) == 1 and notes[0].startswith("openalex:W2: alice said include")
    assert "(years)" in notes[0]


def test_screen_auto_cli_prints_the_summary(tmp_path, runner):
    _, proto = make_review(tmp_path, [rec(1), rec(2, language="es")])
    result = runner.invoke(main, ["screen", "--auto", "-p", proto, "-q"])
    assert result.exit_code == 0, result.output
    assert "excluded automatically: 1 distinct work (failing EC1 1;" in result.output


def test_screen_auto_counts_distinct_works_and_says_a_work_can_fail_several(tmp_path, runner):
    records = [rec(1), rec(2, language="es"), rec(3, language="de", year=2001), rec(4, year=2001)]
    _, proto = make_review(tmp_path, records)
    result = runner.invoke(main, ["screen", "--auto", "-p", proto, "-q"])
    assert result.exit_code == 0, result.output
    assert (
        "excluded automatically: 3 distinct works (failing EC1 2, years 2; these add up to 4: "
        "a work can fail several criteria)" in result.output
    )


# ---------------------------------------------------------------- scripted sessions


def test_scripted_session_every_key_then_quit_and_resume(tmp_path, runner):
    review, proto = make_review(tmp_path, [rec(n) for n in range(1, 10)])
    keys = [
        "i",  # W1 include
        "1",  # W2 exclude EC1
        "2",  # W3 EC2
        "3",  # W4 EC3
        "4",  # W5 EC4
        "5",  # no fifth criterion: a message, nothing recorded
        "m",  # W6 maybe
        "s",  # W7 skipped: W8 comes next
        "n worth a second look",  # a note on W8, on disk at once
        "i",  # W8 include
        "u",  # undo: W8 is shown again
        "4",  # W8 exclude EC4 instead
        "b",  # back to W8
        "b",  # back to W7 (skipped, undecided)
        "?",
        "q",
    ]
    result = runner.invoke(
        main, ["screen", "-p", proto, "--reviewer", "alice"], input="\n".join(keys) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "no exclusion criterion 5" in result.output
    assert "Inclusion criteria" in result.output  # the help
    assert decided(review, "alice") == [
        ("openalex:W1", "include", (), ""),
        ("openalex:W2", "exclude", ("EC1",), ""),
        ("openalex:W3", "exclude", ("EC2",), ""),
        ("openalex:W4", "exclude", ("EC3",), ""),
        ("openalex:W5", "exclude", ("EC4",), ""),
        ("openalex:W6", "maybe", (), ""),
        ("openalex:W8", "include", (), ""),
        ("openalex:W8", "undo", (), ""),
        ("openalex:W8", "exclude", ("EC4",), ""),
    ]
    assert [(n.work_id, n.text) for n in read_notes(review, "alice")] == [
        ("openalex:W8", "worth a second look")
    ]
    assert all(d.protocol_hash == review.protocol.hash for d in read_log(review, "alice"))
    # resume: the skipped W7 is the first undecided work
    again = runner.invoke(main, ["screen", "-p", proto, "--reviewer", "alice"], input="q\n")
    assert "resuming: 7 of 9 already decided" in again.output
    assert "[7/9]" in again.output and "Study 7 of" in again.output
    third = runner.invoke(main, ["screen", "-p", proto, "--reviewer", "alice"], input="i\ni\n")
    assert "[9/9]" in third.output  # after W7 comes W9
    assert "end of input" in third.output
    assert [d.work_id for d in read_log(review, "alice")][-2:] == ["openalex:W7", "openalex:W9"]


def test_skipped_works_come_back_after_the_others(tmp_path):
    review, _ = make_review(tmp_path, [rec(1), rec(2), rec(3)])
    session = open_session(review, "alice", "title-abstract")
    session.skip()
    session.decide("include")  # W2
    assert session.current.work_id == "openalex:W3"
    session.skip()
    assert session.current.work_id == "openalex:W1"  # only skipped ones left: offered again
    session.decide("maybe")
    session.decide("include")
    assert session.current is None and session.done == 3


def test_changing_a_decision_appends_and_the_latest_counts(tmp_path):
    review, _ = make_review(tmp_path, [rec(1), rec(2)])
    session = open_session(review, "alice", "title-abstract")
    session.decide("include")
    session.back()
    session.decide("exclude", ("EC4",))
    assert session.counts["include"] == 0 and session.counts["exclude"] == 1
    assert len(read_log(review, "alice")) == 2
    assert final_decisions(review, "title-abstract")["openalex:W1"].criteria == ("EC4",)


def test_undo_walks_back_through_earlier_sessions(tmp_path):
    review, _ = make_review(tmp_path, [rec(1), rec(2)])
    first = open_session(review, "alice", "title-abstract")
    first.decide("include")
    first.decide("exclude", ("EC2",))
    second = open_session(review, "alice", "title-abstract")
    assert second.current is None
    assert second.undo().decision == "exclude"
    assert second.current.work_id == "openalex:W2"
    assert second.undo().decision == "include"
    assert final_decisions(review, "title-abstract") == {}
    assert second.undo() is None


def test_keys_are_configurable(tmp_path, runner, monkeypatch):
    review, proto = make_review(tmp_path, [rec(1), rec(2)])
    keys = tmp_path / "keys.toml"
    keys.write_text('include = "y"\nexclude = ["x", "z"]\n', encoding="utf-8")
    monkeypatch.setenv("SLR_KEYS", str(keys))
    result = runner.invoke(main, ["screen", "-p", proto, "--reviewer", "alice"], input="y\nz\n")
    assert result.exit_code == 0, result.output
    assert decided(review, "alice") == [
        ("openalex:W1", "include", (), ""),
        ("openalex:W2", "exclude", ("EC2",), ""),
    ]
    keys.write_text('include = "m"\n', encoding="utf-8")  # m is maybe already
    bad = runner.invoke(main, ["screen", "-p", proto, "--reviewer", "alice"], input="q\n")
    assert bad.exit_code == 1
    assert bad.output.startswith(f"Error: {keys}: key 'm' is given to both")


def test_reviewer_names_and_missing_works_are_one_line_errors(tmp_path, runner):
    review, proto = make_review(tmp_path, [rec(1)], reviewers=("alice", "bob"))
    result = runner.invoke(main, ["screen", "-p", proto], input="q\n")
    assert result.exit_code == 1
    assert "pass --reviewer NAME (the protocol lists alice, bob)" in result.output
    result = runner.invoke(main, ["screen", "-p", proto, "--reviewer", "auto"])
    assert result.exit_code == 1 and "reserved" in result.output
    review.store.works_file.unlink()
    result = runner.invoke(main, ["screen", "-p", proto, "--reviewer", "bob"])
    assert result.exit_code == 1
    assert "run `slr dedupe` first" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- full text


def test_full_text_stage_screens_only_included_or_maybe_works(tmp_path, runner):
    records = [rec(1, oa_url="https://oa.example/1.pdf", doi="10.1/one"), rec(2), rec(3)]
    review, proto = make_review(tmp_path, records)
    ta = open_session(review, "alice", "title-abstract")
    ta.decide("include")
    ta.decide("exclude", ("EC4",))
    ta.decide("maybe")
    result = runner.invoke(
        main,
        ["screen", "-p", proto, "--reviewer", "alice", "--stage", "full-text"],
        input="r\n2\n",
    )
    assert result.exit_code == 0, result.output
    assert "full text (open access): https://oa.example/1.pdf" in result.output
    assert "DOI https://doi.org/10.1/one" in result.output
    assert "[1/2]" in result.output and "Study 2 of" not in result.output
    # r is a retrieval status in fulltext.jsonl, not a decision (slr.fulltext)
    assert [(d.work_id, d.decision, d.criteria) for d in read_log(review, "alice")][-1:] == [
        ("openalex:W3", "exclude", ("EC2",)),
    ]
    assert [(e.work_id, e.event, e.method) for e in load_retrievals(review)] == [
        ("openalex:W1", "not-retrieved", "marked")
    ]
    counts = screening_counts(review)["full-text"]
    counts.pop("recall")
    assert counts["works"] == 2 and counts["not_retrieved"] == 1 and counts["to_screen"] == 0


def test_full_text_exclusion_needs_a_criterion_and_not_retrieved_is_full_text_only(tmp_path):
    review, _ = make_review(tmp_path, [rec(1)])
    ta = open_session(review, "alice", "title-abstract")
    with pytest.raises(ScreeningError, match="full-text decision"):
        ta.decide("not-retrieved")
    ta.decide("include")
    ft = open_session(review, "alice", "full-text")
    with pytest.raises(ScreeningError, match="needs a criterion"):
        ft.decide("exclude")
    ft.decide("exclude", ("IC2",))  # an inclusion criterion not met is a reason too
    assert final_decisions(review, "full-text")["openalex:W1"].criteria == ("IC2",)


def test_full_text_without_any_inclusion_is_a_clear_error(tmp_path, runner):
    _, proto = make_review(tmp_path, [rec(1)])
    result = runner.invoke(main, ["screen", "-p", proto, "--stage", "full-text"])
    assert result.exit_code == 1
    assert "nothing is included or maybe at title-abstract yet" in result.output


# ---------------------------------------------------------------- final decisions and order


def test_included_works_follow_the_order_of_inclusion(tmp_path):
    review, _ = make_review(tmp_path, [rec(1), rec(2), rec(3)])
    ta = open_session(review, "alice", "title-abstract")
    ta.skip()
    ta.decide("include")  # W2
    ta.decide("include")  # W3
    ta.decide("include")  # W1 (the skipped one)
    ft = open_session(review, "alice", "full-text", order=random_order(3))
    while ft.current is not None:
        ft.decide("include")
    wanted = [w.work_id for w in ft.works]
    assert [w.work_id for w in included_works(review, "title-abstract")] == [
        "openalex:W2",
        "openalex:W3",
        "openalex:W1",
    ]
    assert [w.work_id for w in included_works(review)] == wanted


def test_a_decision_keyed_by_an_old_work_id_follows_its_record(tmp_path):
    review, _ = make_review(tmp_path, [rec(1), rec(2), rec(3)])
    record_decision(review, Decision("alice", "title-abstract", "openalex:W2", "include"))
    # a later dedupe merges W2 into W1's work
    r1, r2, r3 = rec(1), rec(2), rec(3)
    save_works(
        review,
        [Work(r1.id, (r1.id, r2.id), ("openalex",), r1), Work(r3.id, (r3.id,), ("openalex",), r3)],
    )
    final = final_decisions(review, "title-abstract")
    assert set(final) == {"openalex:W1"} and final["openalex:W1"].decision == "include"
    session = open_session(review, "alice", "title-abstract")
    assert session.current.work_id == "openalex:W3"


def test_orders_protocol_random_and_ranked(tmp_path, runner, monkeypatch):
    review, proto = make_review(tmp_path, [rec(n) for n in range(1, 21)])
    plain = open_session(review, "alice", "title-abstract")
    assert [w.work_id for w in plain.works] == [f"openalex:W{n}" for n in range(1, 21)]
    a = open_session(review, "alice", "title-abstract", order=random_order(5))
    b = open_session(review, "alice", "title-abstract", order=random_order(5))
    c = open_session(review, "alice", "title-abstract", order=random_order(6))
    assert [w.work_id for w in a.works] == [w.work_id for w in b.works]
    assert [w.work_id for w in a.works] != [w.work_id for w in plain.works]
    assert [w.work_id for w in a.works] != [w.work_id for w in c.works]


def test_ranked_order_puts_the_likely_relevant_first_and_logs_the_model(tmp_path, runner):
    topics = {
        "mlops": "MLOps challenges deploying machine learning models in production pipelines",
        "soil": "Soil fauna diversity in temperate forests and earthworm abundance",
    }
    records = [
        rec(n, title=f"{topics['mlops' if n % 2 else 'soil']} {n}", abstract=None)
        for n in range(1, 21)
    ]
    review, proto = make_review(tmp_path, records)
    # W1 (mlops) included, W2 (soil) excluded: the ranking now has one of each
    keys = "i\n4\n" + "i\n" * 3 + "q\n"
    result = runner.invoke(main, ["screen", "-p", proto, "--order", "ranked"], input=keys)
    assert result.exit_code == 0, result.output
    log = read_log(review, "alice")
    assert [d.work_id for d in log[:2]] == ["openalex:W1", "openalex:W2"]
    # after the first include and exclude, every work drawn is an MLOps one (odd number)
    drawn = [int(d.work_id.split("W")[1]) for d in log[2:]]
    assert len(drawn) == 3 and all(n % 2 for n in drawn), drawn
    assert log[0].extra["ranking"]["model"].startswith("protocol-order")
    model = log[-1].extra["ranking"]
    assert model["model"] == "tfidf-binary+sublinear-linearsvm-z"
    assert model["training"] == {"relevant": 3, "irrelevant": 1}
    assert model["settings"]["C"] == 0.05


def test_a_large_review_ranks_in_a_background_process(tmp_path, monkeypatch):
    from slr.screen.ranking import WorkRanker

    monkeypatch.setattr("slr.screen.ranking.BACKGROUND_FROM", 1)  # every review counts as large
    monkeypatch.setattr(WorkRanker, "RERANK_EVERY", 0.0)  # no throttle between rankings
    topics = ("MLOps challenges deploying machine learning models", "Soil fauna and earthworms")
    records = [rec(n, title=f"{topics[n % 2 == 0]} {n}", abstract=None) for n in range(1, 21)]
    review, _ = make_review(tmp_path, records)
    order = screen_session.ordering("ranked", review, "title-abstract", "alice")
    ranker = order.ranker
    try:
        session = open_session(review, "alice", "title-abstract", order=order)
        assert ranker.background and session.current.work_id == "openalex:W1"
        # W1 is no ranking's pick; the header says why there is no ranking yet
        assert "ranking: waiting for one include and one exclude" in header(session)
        session.decide("include")  # W1, MLOps
        session.decide("exclude", ["EC4"])  # W2, soil
        # the keystroke loop never waits; the test waits on the ranker's public event
        for _ in range(3):  # a ranking started before the decisions, then one with them
            assert ranker.wait(600) and not ranker.error
            session.rerank()
            if ranker.decision_extra()["ranking"]["training"] == {"relevant": 1, "irrelevant": 1}:
                break
        assert ranker.decision_extra()["ranking"]["training"] == {"relevant": 1, "irrelevant": 1}
        session.rerank()  # adopt the ranked order: it brings its own index
        assert session.position is session.works.position
        drawn = []
        for _ in range(5):
            drawn.append(int(session.current.work_id.split("W")[1]))
            session.decide("include")
        assert all(n % 2 for n in drawn), drawn  # the MLOps works come first
        assert not ranker.error
    finally:
        ranker.close()


# ---------------------------------------------------------------- dual screening


def dual(tmp_path, alice, bob):
    records = [rec(n) for n in range(1, len(alice) + 1)]
    review, proto = make_review(tmp_path, records, reviewers=("alice", "bob"))
    for name, decisions in (("alice", alice), ("bob", bob)):
        for n, d in enumerate(decisions, start=1):
            if d is None:
                continue
            decision, _, crit = d.partition(":")
            record_decision(
                review,
                Decision(
                    name, "title-abstract", f"openalex:W{n}", decision, tuple(filter(None, [crit]))
                ),
            )
    return review, proto


def test_dual_screening_conflicts_final_decisions_and_resolution(tmp_path, runner):
    alice = ["include", "exclude:EC2", "include", "maybe", "exclude:EC4", "include"]
    bob = ["include", "exclude:EC4", "exclude:EC4", "include", "include", None]
    review, proto = dual(tmp_path, alice, bob)
    final = final_decisions(review, "title-abstract")
    assert final["openalex:W1"].decision == "include"
    assert final["openalex:W2"].decision == "exclude"
    assert final["openalex:W2"].criteria == ("EC2", "EC4") or final["openalex:W2"].criteria == (
        "EC4",
        "EC2",
    )
    assert final["openalex:W4"].decision == "maybe"  # include + maybe: on to full text
    assert "openalex:W6" not in final  # bob has not screened it yet
    assert set(conflicts(review, "title-abstract")) == {"openalex:W3", "openalex:W5"}

    listed = runner.invoke(main, ["conflicts", "-p", proto])
    assert "openalex:W3" in listed.output and "bob: exclude (EC4)" in listed.output
    assert "2 conflict(s)" in listed.output

    result = runner.invoke(
        main,
        ["resolve", "-p", proto, "--method", "third-reviewer", "--reviewer", "carol"],
        input="i\n4\n",
    )
    assert result.exit_code == 0, result.output
    assert "alice: include" in result.output  # the resolver sees both decisions
    assert conflicts(review, "title-abstract") == {}
    final = final_decisions(review, "title-abstract")
    assert final["openalex:W3"].decision == "include"
    assert final["openalex:W5"].criteria == ("EC4",)
    assert final["openalex:W5"].extra == {"resolver": "carol", "method": "third-reviewer"}
    again = runner.invoke(main, ["resolve", "-p", proto])
    assert again.exit_code == 1 and "no conflicts to resolve" in again.output
    counts = screening_counts(review)["title-abstract"]
    assert counts.pop("recall")["text"].startswith("3 relevant in 5 of 6 screened")
    assert counts == {
        "works": 6,
        "to_screen": 1,
        "included": 2,
        "included_studies": 2,
        "notices": 0,
        "maybe": 1,
        "excluded": 2,
        "excluded_auto": 0,
        "excluded_per_criterion": {"EC2": 1, "EC4": 2},
        "not_retrieved": 0,
        "conflicts": 0,
        "awaiting_reviewers": 1,
        "reviewers": {
            "alice": {
                **{"works": 6, "decided": 6, "left": 0, "include": 3},
                **{"exclude": 2, "maybe": 1, "not_retrieved": 0},
            },
            "bob": {
                **{"works": 6, "decided": 5, "left": 1, "include": 3},
                **{"exclude": 2, "maybe": 0, "not_retrieved": 0},
            },
        },
    }


def test_reviewers_are_blind_to_each_other(tmp_path):
    review, _ = dual(tmp_path, ["include", "include"], ["exclude:EC4", None])
    bob = open_session(review, "bob", "title-abstract")
    assert bob.decision_on("openalex:W1").decision == "exclude"
    assert bob.current.work_id == "openalex:W2"  # alice's decision on W2 is not his
    assert bob.counts["include"] == 0


def test_agreement_cli_reports_cohen_kappa_on_works_both_screened(tmp_path, runner):
    # a=2 both include (maybe counts as include), b=1, c=1, d=2; one work only alice screened
    alice = ["include", "maybe", "include", "exclude:EC4", "exclude:EC2", "exclude:EC4", "include"]
    bob = ["include", "include", "exclude:EC4", "include", "exclude:EC4", "exclude:EC1", None]
    _, proto = dual(tmp_path, alice, bob)
    result = runner.invoke(main, ["agreement", "-p", proto, "--stage", "title-abstract", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)[0]
    assert data["table"] == [[2, 1], [1, 2]] and data["n_both"] == 6
    assert data["n_only"] == {"alice": 1, "bob": 0}
    # p_o = 4/6, p_e = 0.5 -> kappa = 1/3
    assert data["kappa"] == pytest.approx(1 / 3)
    assert (data["rows"], data["columns"]) == ("alice", "bob")
    text = runner.invoke(main, ["agreement", "-p", proto])
    assert "Cohen's kappa 0.333 (Landis & Koch: fair)" in text.output
    table = text.output.splitlines()[2:5]
    assert table[0].split("  ")[-2:] == ["bob: include", "bob: exclude"]
    assert table[1].split() == ["alice:", "include", "2", "1"]
    assert table[2].split() == ["alice:", "exclude", "1", "2"]
    assert "full-text: reviewers (none)" in text.output


def test_agreement_coding_prints_the_coding_agreement(tmp_path, runner):
    from slr.coding.log import coding_agreement, format_coding_agreement

    review, proto = make_review(tmp_path, [rec(1)])
    result = runner.invoke(main, ["agreement", "-p", proto, "--coding"])
    assert result.exit_code == 0, result.output
    assert result.output == format_coding_agreement(coding_agreement(review)) + "\n"
    result = runner.invoke(main, ["agreement", "-p", proto, "--coding", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(json.dumps(coding_agreement(review)))


# ---------------------------------------------------------------- status


def test_status_shows_screening_counts_per_stage(tmp_path, runner):
    review, proto = make_review(tmp_path, [rec(1), rec(2, language="de"), rec(3), rec(4)])
    auto_screen(review)
    session = open_session(review, "alice", "title-abstract")
    session.decide("include")
    session.decide("exclude", ("EC4",))
    data = status(review).to_dict()
    ta = data["screening"]["title-abstract"]
    assert (ta["works"], ta["to_screen"], ta["included"], ta["excluded"]) == (4, 1, 1, 2)
    assert ta["excluded_per_criterion"] == {"EC1": 1, "EC4": 1}
    assert ta["excluded_auto"] == 1
    assert data["screening"]["full-text"]["works"] == 1
    text = format_status(status(review))
    assert (
        "screening title-abstract: 4 works, 1 to screen, 1 included, 2 excluded (EC1 1, EC4 1), "
        "0 maybe, 0 conflicts" in text
    )
    result = runner.invoke(main, ["status", "-p", proto])
    assert "screening full-text: 1 works, 1 to screen" in result.output


def test_session_keeps_counts_without_rereading_the_log(tmp_path, monkeypatch):
    review, _ = make_review(tmp_path, [rec(n) for n in range(1, 6)])
    session = open_session(review, "alice", "title-abstract")
    # any re-read of a log or of works.jsonl, from whichever module, would now fail
    monkeypatch.setattr("slr.review.read_entries", None)  # every state file is read there
    for _ in range(4):
        session.decide("include")
    session.undo()
    assert session.counts["include"] == 3 and session.current.work_id == "openalex:W4"


def test_agreement_with_three_reviewers_uses_fleiss(tmp_path, runner):
    review, proto = make_review(tmp_path, [rec(n) for n in range(1, 7)], ("a", "b", "c"))
    table = {  # the [inc, exc] counts per work of the methods.md example: kappa 0.5
        "a": ["include", "exclude:EC4", "include", "exclude:EC4", "include", "exclude:EC4"],
        "b": ["include", "exclude:EC4", "include", "exclude:EC4", "exclude:EC4", "exclude:EC4"],
        "c": ["include", "exclude:EC4", "exclude:EC4", "exclude:EC4", "exclude:EC4", "exclude:EC4"],
    }
    for name, decisions in table.items():
        for n, d in enumerate(decisions, start=1):
            decision, _, crit = d.partition(":")
            record_decision(
                review,
                Decision(
                    name, "title-abstract", f"openalex:W{n}", decision, tuple(filter(None, [crit]))
                ),
            )
    result = runner.invoke(main, ["agreement", "-p", proto, "--stage", "title-abstract", "--json"])
    data = json.loads(result.output)[0]
    assert data["method"] == "fleiss" and data["n_items"] == 6
    assert data["kappa"] == pytest.approx(0.5) and data["ac1"] == pytest.approx(0.6)
    assert set(conflicts(review, "title-abstract")) == {"openalex:W3", "openalex:W5"}
