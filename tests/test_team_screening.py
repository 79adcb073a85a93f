"""Team screening: `slr assign` (shares), `slr calibrate` (kappa, the min_kappa gate), blinding."""

import json
from collections import Counter

import pytest
from test_screening import rec, runner, write_protocol  # noqa: F401  (runner is a fixture)

from slr.cli import main
from slr.corpus import fixed_clock
from slr.decisions import Decision, read_log, record_decision
from slr.errors import ProtocolError
from slr.protocol import loads
from slr.review import open_review
from slr.screen.assign import (
    AssignError,
    AssignResult,
    allocate,
    assign,
    format_assign,
    read_assignment,
)
from slr.screen.calibrate import CalibrationError, calibration, draw_sample, forced_starts
from slr.screen.rules import auto_screen
from slr.screen.session import open_session, ordering
from slr.screen.state import ScreeningError, conflicts, final_decisions
from slr.status import format_status, status
from slr.tui.keys import load_keymap
from slr.tui.view import Highlighter, View, plain_card, render
from slr.works import Work, save_works

TA = "title-abstract"


def build(tmp_path, n, reviewers=("alice", "bob", "carol"), extra=""):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_protocol(tmp_path, reviewers)
    if extra:
        path.write_text(path.read_text("utf-8") + extra, "utf-8")
    review = open_review(path)
    save_works(review, [Work(r.id, (r.id,), (r.source,), r) for r in map(rec, range(1, n + 1))])
    return review, str(path)


def wid(i):
    return f"openalex:W{i}"


def decide(review, who, ids, decision="include", criteria=()):
    for w in ids:
        record_decision(review, Decision(who, TA, w, decision, tuple(criteria)))


def cli(runner, path, *args, input=None):  # noqa: F811
    return runner.invoke(main, [*args, "-p", path], input=input)


# ---------------------------------------------------------------- assign


def test_overlap_mode_gives_everyone_the_overlap_and_one_reviewer_each_other_work(tmp_path):
    review, _ = build(tmp_path, 100)
    result = assign(review, ["alice", "bob", "carol"], "overlap", 0.2, seed=7)
    a = result.assignment
    assert result.new == 100 and result.new_overlap == 20 and result.unassigned == 0
    assert len(a.overlap) == 20
    assert all(a.reviewers_of[w] == ("alice", "bob", "carol") for w in a.overlap)
    single = [names for w, names in a.reviewers_of.items() if w not in a.overlap]
    assert len(single) == 80 and all(len(names) == 1 for names in single)
    own = Counter(names[0] for names in single)
    assert sorted(own.values()) == [26, 27, 27]
    assert {n: len(s) for n, s in a.shares().items()} == {n: 20 + k for n, k in own.items()}
    # the file records the seed, the reviewers, the mode and every work id
    lines = [json.loads(x) for x in review.store.assignment_file.read_text("utf-8").splitlines()]
    assert lines[0] | {"time": "", "run": "", "protocol_hash": ""} == {
        "kind": "run",
        "run": "",
        "time": "",
        "stage": TA,
        "mode": "overlap",
        "overlap": 0.2,
        "seed": 7,
        "reviewers": ["alice", "bob", "carol"],
        "works": 100,
        "protocol_hash": "",
    }
    # then a line per group of reviewers: the overlap, then one per reviewer
    assert [(x["kind"], x["reviewers"], x["overlap"], x["works"]) for x in lines[1:]] == [
        ("share", ["alice", "bob", "carol"], True, 20),
        *(("share", [n], False, own[n]) for n in sorted(own, key=lambda n: -own[n])),
    ]
    ids = sorted(w for x in lines[1:] for w in x["work_ids"])
    assert ids == sorted(wid(i) for i in range(1, 101))


def test_the_same_seed_gives_the_same_shares_and_another_seed_others(tmp_path):
    shares = []
    for folder, seed in (("one", 3), ("two", 3), ("three", 4)):
        review, _ = build(tmp_path / folder, 60)
        shares.append(assign(review, ["alice", "bob"], "overlap", 0.25, seed).assignment)
    assert shares[0].reviewers_of == shares[1].reviewers_of
    assert shares[0].reviewers_of != shares[2].reviewers_of
    ids = [wid(i) for i in range(1, 31)]
    for mode in ("overlap", "dual"):
        first = allocate(ids, ["a", "b", "c"], mode, 0.2, seed=11)
        assert first == allocate(ids, ["a", "b", "c"], mode, 0.2, seed=11)


def test_dual_mode_gives_every_work_to_two_reviewers_with_equal_loads_and_every_pair(tmp_path):
    review, _ = build(tmp_path, 60, reviewers=("alice", "bob", "carol", "dave"))
    a = assign(review, ["alice", "bob", "carol", "dave"], "dual", None, seed=1).assignment
    assert not a.overlap
    assert all(len(set(names)) == 2 for names in a.reviewers_of.values())
    assert {n: len(s) for n, s in a.shares().items()} == dict.fromkeys(
        ["alice", "bob", "carol", "dave"], 30
    )
    pairs = Counter(a.reviewers_of.values())
    assert len(pairs) == 6 and set(pairs.values()) == {10}  # every pair screens together


def test_a_rerun_assigns_only_new_works_and_never_reshuffles(tmp_path, runner):  # noqa: F811
    review, path = build(tmp_path, 30)
    result = cli(runner, path, "assign", "--reviewers", "alice,bob,carol", "--seed", "5")
    assert result.exit_code == 0, result.output
    assert "assigned 30 new works" in result.output and "6 to every reviewer" in result.output
    before = read_assignment(review).reviewers_of
    written = review.store.assignment_file.read_bytes()
    # a refresh brings 20 new works; `slr status` says so and `slr assign` extends the shares
    save_works(review, [Work(r.id, (r.id,), (r.source,), r) for r in map(rec, range(1, 51))])
    auto_screen(review)  # the protocol's rules exclude none of them
    text = format_status(status(review))
    assert "; 20 new works not assigned yet" in text
    assert text.endswith("next: slr assign (20 new works to assign)")
    again = cli(runner, path, "assign")
    assert again.exit_code == 0, again.output
    assert "assigned 20 new works" in again.output
    after = read_assignment(review)
    assert review.store.assignment_file.read_bytes().startswith(written)  # appended only
    assert {w: after.reviewers_of[w] for w in before} == before
    assert len(after.reviewers_of) == 50 and len(after.overlap) == 10  # 20% of all 50
    assert after.runs[1].seed == 5 and after.runs[1].reviewers == ("alice", "bob", "carol")
    own = Counter(n[0] for w, n in after.reviewers_of.items() if w not in after.overlap)
    assert max(own.values()) - min(own.values()) <= 1  # the new works evened the shares out
    # nothing new: nothing written
    third = cli(runner, path, "assign")
    assert "nothing new to assign: all 50 works" in third.output
    assert len(read_assignment(review).runs) == 2


def test_two_clones_assigning_the_same_works_keep_the_earlier_run_after_a_merge(tmp_path):
    one, _ = build(tmp_path / "one", 12, reviewers=("alice", "bob"))
    two, _ = build(tmp_path / "two", 12, reviewers=("alice", "bob"))
    with fixed_clock("2026-12-01T10:00:00Z"):
        first = assign(one, ["alice", "bob"], "overlap", 0.25, 1).assignment.reviewers_of
    with fixed_clock("2026-12-01T09:00:00Z"):
        earlier = assign(two, ["alice", "bob"], "overlap", 0.25, 2).assignment.reviewers_of
    assert first != earlier
    # what `merge=union` makes of the two files: both sides' lines, in either order
    files = [r.store.assignment_file.read_bytes() for r in (one, two)]
    for a, b in (files, files[::-1]):
        one.store.assignment_file.write_bytes(a + b)
        kept = read_assignment(one)
        assert kept.reviewers_of == earlier and kept.doubled == 12
        assert [r.seed for r in kept.runs] == [2, 1]
        said = format_assign(AssignResult(None, 0, 0, kept, 0))
        assert said.endswith(
            "note: 12 work(s) were assigned by two merged runs; the earlier "
            "run's reviewers are kept"
        )


def test_reviewer_names_are_checked_against_the_protocol(tmp_path, runner):  # noqa: F811
    review, path = build(tmp_path, 10)
    result = cli(runner, path, "assign", "--reviewers", "alice,dave")
    assert result.exit_code == 1
    assert "unknown reviewer 'dave': the protocol lists alice, bob, carol" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(AssignError, match="alice named twice"):
        assign(review, ["alice", "ALICE"])
    with pytest.raises(AssignError, match="two or more reviewers"):
        assign(review, ["alice"])
    with pytest.raises(AssignError, match="--overlap goes with single screening"):
        assign(review, ["alice", "bob"], "dual", 0.2)
    with pytest.raises(AssignError, match="fraction from 0 to 1"):
        assign(review, ["alice", "bob"], "overlap", 1.5)
    assert not review.store.assignment_file.exists()
    # any case is the protocol's reviewer (as --reviewer elsewhere)
    done = assign(review, ["Alice", "BOB"], "dual", None, 1)
    assert done.assignment.reviewers == ["alice", "bob"]
    with pytest.raises(AssignError, match="assigned in dual mode"):
        assign(review, None, "overlap", 0.2)
    lone, _ = build(tmp_path / "lone", 4, reviewers=())
    with pytest.raises(AssignError, match="review.reviewers is empty"):
        assign(lone, ["alice", "bob"])


# ---------------------------------------------------------------- screen --reviewer


def test_screen_serves_a_reviewer_only_their_share(tmp_path, runner):  # noqa: F811
    review, path = build(tmp_path, 20, reviewers=("alice", "bob"))
    a = assign(review, ["alice", "bob"], "overlap", 0.2, seed=2).assignment
    bob = a.share("bob")
    assert 0 < len(bob) < 20
    session = open_session(review, "Bob", TA)
    assert {w.work_id for w in session.works} == bob and session.total == len(bob)
    # the plain CLI: one key per line; bob includes everything he is served
    result = cli(runner, path, "screen", "--reviewer", "bob", "--plain", input="i\n" * 25 + "q\n")
    assert result.exit_code == 0, result.output
    assert {d.work_id for d in read_log(review, "bob")} == bob
    # a single-screened work is final on its one reviewer's decision; overlap works wait
    final = final_decisions(review, TA)
    assert set(final) == bob - a.overlap
    decide(review, "alice", sorted(a.share("alice")), "exclude", ("EC2",))
    assert set(conflicts(review, TA)) == a.overlap  # they disagree on every overlap work


def test_without_an_assignment_every_work_is_served(tmp_path):
    review, _ = build(tmp_path, 12, reviewers=("alice", "bob"))
    assert len(open_session(review, "bob", TA).works) == 12


def test_a_reviewer_without_a_share_is_told_how_to_get_one(tmp_path):
    review, _ = build(tmp_path, 12)
    assign(review, ["alice", "bob"], "dual", None, 1)
    with pytest.raises(ScreeningError, match="no works are assigned to carol.*alice,bob,carol"):
        open_session(review, "carol", TA)


# ---------------------------------------------------------------- calibrate


def test_calibration_kappa_is_the_methods_worked_example(tmp_path, runner):  # noqa: F811
    # docs/methods.md section 4: a = 20, b = 10, c = 20, d = 150 -> kappa 0.482759
    review, path = build(tmp_path, 200, reviewers=("alice", "bob"))
    sample = draw_sample(review, 200, seed=9)
    assert sorted(sample.work_ids) == sorted(wid(i) for i in range(1, 201))
    ids = sorted(sample.work_ids)
    decide(review, "alice", ids[:20], "include")  # a: both include
    decide(review, "bob", ids[:20], "maybe")  # maybe counts as include
    decide(review, "alice", ids[20:30], "include")  # b: alice only
    decide(review, "bob", ids[20:30], "exclude", ("EC4",))
    decide(review, "alice", ids[30:50], "exclude", ("EC2",))  # c: bob only
    decide(review, "bob", ids[30:50], "include")
    decide(review, "alice", ids[50:], "exclude", ("EC4",))  # d: both exclude
    decide(review, "bob", ids[50:], "exclude", ("EC2",))
    cal = calibration(review)
    assert cal.complete and cal.agreement.method == "cohen"
    assert cal.kappa == pytest.approx(0.482759, abs=1e-6)
    assert len(cal.disagreements) == 30
    result = cli(runner, path, "calibrate")
    assert result.exit_code == 0, result.output
    assert "Cohen's kappa 0.483 (Landis & Koch: moderate)" in result.output
    assert "30 disagreement(s):" in result.output
    assert f"  {ids[20]}  Study" in result.output and "      bob: exclude (EC4)" in result.output
    assert cli(runner, path, "calibrate", "--report").output == result.output


def test_calibration_of_three_reviewers_is_fleiss_kappa(tmp_path):
    # methods.md: [3,0], [0,3], [2,1], [0,3], [1,2], [0,3] (include, exclude) -> kappa 0.5
    review, _ = build(tmp_path, 6)
    ids = sorted(draw_sample(review, 6, seed=1).work_ids)
    includes = [("alice", "bob", "carol"), (), ("alice", "bob"), (), ("carol",), ()]
    for w, who in zip(ids, includes, strict=True):
        for name in ("alice", "bob", "carol"):
            d = "include" if name in who else "exclude"
            decide(review, name, [w], d, ("EC4",) if d == "exclude" else ())
    cal = calibration(review)
    assert cal.agreement.method == "fleiss"
    assert cal.kappa == pytest.approx(0.5)
    assert [w.work_id for w, _ in cal.disagreements] == [ids[2], ids[4]]


def test_kappa_and_disagreements_stay_hidden_until_everyone_screened(tmp_path, runner):  # noqa: F811
    review, path = build(tmp_path, 10, reviewers=("alice", "bob"))
    cli(runner, path, "calibrate", "--sample", "4", "--seed", "3")
    ids = draw_ids(review)
    decide(review, "alice", ids)
    decide(review, "bob", ids[:3], "exclude", ("EC2",))
    out = cli(runner, path, "calibrate").output
    assert "alice: 4 of 4 screened" in out and "bob: 3 of 4 screened" in out
    assert "kappa" not in out.replace("kappa and the disagreements are shown", "")
    assert "include" not in out and "exclude" not in out
    # a new round waits for this one
    again = cli(runner, path, "calibrate", "--sample", "2")
    assert again.exit_code == 1 and "round 1 is not finished (works left: bob 1)" in again.output


def draw_ids(review):
    lines = review.store.calibration_file.read_text("utf-8").splitlines()
    return [json.loads(x) for x in lines if '"sample"' in x][-1]["work_ids"]


def test_the_sample_comes_first_then_the_share(tmp_path):
    review, _ = build(tmp_path, 30, reviewers=("alice", "bob"))
    assign(review, ["alice", "bob"], "overlap", 0.0, seed=4)
    sample = set(draw_sample(review, 5, seed=8).work_ids)
    session = open_session(review, "alice", TA)
    served = [w.work_id for w in session.works]
    assert set(served[:5]) == sample
    assert set(served) == sample | read_assignment(review).share("alice")
    assert session.ordering_state() == "calibration sample: 5 of 5 left"
    for _ in range(5):
        assert session.current.work_id in sample
        session.decide("include")
    assert session.current.work_id not in sample and session.ordering_state() == ""


def test_the_sample_comes_first_in_a_ranked_order_too(tmp_path):
    review, _ = build(tmp_path, 12, reviewers=("alice", "bob"))
    sample = set(draw_sample(review, 3, seed=5).work_ids)
    session = open_session(review, "bob", TA, ordering("ranked", review, TA, "bob"))
    assert {w.work_id for w in session.works[:3]} == sample
    first = session.decide("include")
    assert first.work_id in sample and "ranking" in first.extra  # the ranking's own stamp
    assert session.ordering_state().startswith("calibration sample: 2 of 3 left")


GATE = "\n[calibration]\nmin_kappa = 0.6\n"


def gated(tmp_path):
    """20 works, alice and bob, min_kappa 0.6, a sample of 10 they agree on with kappa 0.4."""
    review, path = build(tmp_path, 20, reviewers=("alice", "bob"), extra=GATE)
    assign(review, ["alice", "bob"], "overlap", 0.0, seed=1)
    ids = list(draw_sample(review, 10, seed=2).work_ids)
    return review, path, ids


def test_min_kappa_serves_the_sample_only_then_refuses_with_kappa_and_threshold(
    tmp_path,
    runner,  # noqa: F811
):
    review, path, ids = gated(tmp_path)
    session = open_session(review, "alice", TA)
    assert {w.work_id for w in session.works} == set(ids)  # the sample only, for now
    # alice includes 5, bob includes 3 of those and one other: p_o 0.7, p_e 0.5, kappa 0.4
    decide(review, "alice", ids[:5])
    decide(review, "alice", ids[5:], "exclude", ("EC4",))
    with pytest.raises(CalibrationError, match=r"not finished \(bob 10 left\).*--force"):
        open_session(review, "alice", TA)
    decide(review, "bob", ids[:3] + ids[5:6])
    decide(review, "bob", ids[3:5] + ids[6:], "exclude", ("EC4",))
    result = cli(runner, path, "screen", "--reviewer", "alice", "--plain", input="q\n")
    assert result.exit_code == 1
    error = result.output.strip()
    assert error == (
        "Error: calibration round 1: Cohen's kappa 0.400 is below calibration.min_kappa 0.6; "
        "discuss the disagreements (`slr calibrate`), draw a new sample "
        "(`slr calibrate --sample 10`), or pass --force"
    )
    assert "min_kappa 0.6: not reached" in cli(runner, path, "calibrate").output
    assert not forced_starts(review)
    # --force: the share is served, the start logged with who, when, the kappa
    forced = cli(runner, path, "screen", "--reviewer", "alice", "--force", "--plain", input="i\n")
    assert forced.exit_code == 0, forced.output
    assert "forced: screening below calibration.min_kappa 0.6 (kappa 0.400)" in forced.output
    (start,) = forced_starts(review)
    assert (start["reviewer"], start["kappa"], start["min_kappa"]) == ("alice", 0.4, 0.6)
    assert start["time"] and start["round"] == 1
    last = read_log(review, "alice")[-1]
    assert last.work_id not in ids
    assert last.extra["calibration_forced"] == {
        "time": start["time"],
        "round": 1,
        "kappa": 0.4,
        "min_kappa": 0.6,
    }


def test_min_kappa_reached_opens_full_screening(tmp_path):
    review, _, ids = gated(tmp_path)
    decide(review, "alice", ids[:5])
    decide(review, "alice", ids[5:], "exclude", ("EC4",))
    decide(review, "bob", ids[:5])
    decide(review, "bob", ids[5:], "exclude", ("EC4",))
    session = open_session(review, "bob", TA)
    assert {w.work_id for w in session.works} == read_assignment(review).share("bob") | set(ids)
    assert "calibration_forced" not in session.extra and not forced_starts(review)


def test_min_kappa_without_a_sample_asks_for_one(tmp_path):
    review, _ = build(tmp_path, 5, reviewers=("alice", "bob"), extra=GATE)
    with pytest.raises(CalibrationError, match=r"slr calibrate --sample 50.*--force"):
        open_session(review, "alice", TA)
    session = open_session(review, "alice", TA, force=True)
    assert session.extra["calibration_forced"]["kappa"] is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "must be a number above 0 and at most 1"),
        ("1.5", "must be a number above 0 and at most 1"),
        ('"high"', "must be a number above 0 and at most 1"),
        ("true", "must be a number above 0 and at most 1"),
    ],
)
def test_min_kappa_is_validated(tmp_path, value, message):
    path = write_protocol(tmp_path, ("alice", "bob"))
    text = path.read_text("utf-8") + f"\n[calibration]\nmin_kappa = {value}\n"
    with pytest.raises(ProtocolError, match=message) as err:
        loads(text, path)
    line = len(text.splitlines())
    assert str(err.value).startswith(f"{path}:{line}: calibration.min_kappa: ")
    single = path.read_text("utf-8") + GATE
    with pytest.raises(ProtocolError, match="unknown key; allowed here: min_kappa"):
        loads(single.replace("min_kappa", "minkappa"), path)
    assert loads(single, path).min_kappa == 0.6
    (tmp_path / "lone").mkdir()
    lone = write_protocol(tmp_path / "lone", ("alice",))
    with pytest.raises(ProtocolError, match="calibration needs two or more reviewers"):
        loads(lone.read_text("utf-8") + GATE, lone)


# ---------------------------------------------------------------- blinding


def test_a_reviewers_screen_shows_nothing_of_anothers_decisions(tmp_path):
    review, _ = build(tmp_path, 8, reviewers=("alice", "bob"))
    assign(review, ["alice", "bob"], "dual", None, 1)
    draw_sample(review, 3, seed=1)
    everything = [wid(i) for i in range(1, 9)]
    decide(review, "alice", everything[:4], "include")
    decide(review, "alice", everything[4:], "exclude", ("EC2",))
    record_decision(review, Decision("alice", TA, everything[0], "maybe", note="alice thinks so"))
    session = open_session(review, "bob", TA)
    assert session.done == 0 and sum(session.counts.values()) == 0
    assert all(session.decision_on(w.work_id) is None for w in session.works)
    assert session.notes == {} and session.context == {}
    assert session.ordering_state() == "calibration sample: 3 of 3 left"  # his own progress
    keys, hl = load_keymap(tmp_path / "none"), Highlighter(review.protocol)
    for _ in session.works:
        shown = plain_card(session, keys, hl) + "\n".join(
            "".join(text for text, _ in row) for row in render(session, keys, hl, View(), 100, 40)
        )
        assert "alice" not in shown and "thinks so" not in shown  # her name, her note
        assert "your decision" not in shown and "EC2)" not in shown  # her decisions
        assert "done 0 · included 0 · excluded 0 · maybe 0" in shown  # his own counts
        session.skip()


# ---------------------------------------------------------------- status


def test_status_shows_each_reviewers_share_and_progress(tmp_path, runner):  # noqa: F811
    review, path = build(tmp_path, 20, reviewers=("alice", "bob"))
    a = assign(review, ["alice", "bob"], "overlap", 0.2, seed=3).assignment
    decide(review, "alice", sorted(a.share("alice"))[:5])
    text = cli(runner, path, "status").output
    assert (
        "  assignment: 20 works among alice, bob, single screening with 4 overlap works every "
        "reviewer screens (seed 3)"
    ) in text
    assert f"  alice: 5 of {len(a.share('alice'))} assigned works decided (5 include), " in text
    assert f"  bob: 0 of {len(a.share('bob'))} assigned works decided, " in text
    data = json.loads(cli(runner, path, "status", "--json").output)["screening"][TA]
    assert data["assignment"]["in_overlap"] == 4 and data["assignment"]["unassigned"] == 0
    assert data["reviewers"]["bob"]["works"] == len(a.share("bob"))
    draw_sample(review, 4, seed=1)
    text = cli(runner, path, "status").output
    assert "  calibration round 1: 4 works for alice, bob; screened so far: alice " in text
    assert "kappa once all have screened it" in text


def test_the_end_of_a_reviewers_queue_says_what_part_of_the_stage_it_was(tmp_path):
    """After the sample under min_kappa, or a share, "every work has a decision" is untrue."""
    review, _, ids = gated(tmp_path)
    session = open_session(review, "alice", TA)
    for _ in ids:
        session.decide("include")
    assert session.current is None
    card = plain_card(session, load_keymap(None), Highlighter(review.protocol))
    assert "every work of your calibration sample at title-abstract (10)" in card
    assert "waits for calibration.min_kappa" in card and "Every work at" not in card
    shared, _ = build(tmp_path / "share", 12, reviewers=("alice", "bob"))
    assign(shared, ["alice", "bob"], "overlap", 0.0, seed=3)
    bob = open_session(shared, "bob", TA)
    for _ in range(bob.total):
        bob.decide("include")
    rows = render(bob, load_keymap(None), Highlighter(shared.protocol), View(), 100, 20)
    text = "".join(seg for row in rows for seg, _ in row)
    assert f"Every work of your share at title-abstract has a decision ({bob.total})." in text


def test_works_decided_before_an_assignment_stay_with_who_decided_them(tmp_path):
    """Given to others, carol's decisions would stop counting without a word."""
    review, _ = build(tmp_path, 12)
    decide(review, "carol", [wid(i) for i in (1, 2, 3)])
    result = assign(review, ["alice", "bob"], "overlap", 0.0, seed=1)
    reviewers_of = result.assignment.reviewers_of
    assert all(reviewers_of[wid(i)] == ("carol",) for i in (1, 2, 3))
    assert set(final_decisions(review, TA)) == {wid(i) for i in (1, 2, 3)}
    others = {w for w, names in reviewers_of.items() if names != ("carol",)}
    assert len(others) == 9 and all(set(reviewers_of[w]) <= {"alice", "bob"} for w in others)


def test_calibration_progress_counts_only_the_sample_works_left_to_screen(tmp_path):
    """A sample work the rules excluded since the draw is no longer to be screened."""
    from slr.decisions import AUTO_REVIEWER
    from slr.screen.calibrate import format_calibration

    review, _ = build(tmp_path, 12, reviewers=("alice", "bob"))
    ids = list(draw_sample(review, 5, seed=2).work_ids)
    decide(review, AUTO_REVIEWER, ids[:1], "exclude", ("EC1",))
    decide(review, "alice", ids[1:4])
    text = format_calibration(calibration(review))
    assert "alice: 3 of 4 screened" in text and "bob: 0 of 4 screened" in text
