"""Issue 19 as a new user meets it: messages that name the option typed, options that a
command would silently ignore, and sentences that must be true of an empty review."""

import pytest
from click.testing import CliRunner
from conftest import new_review
from test_prisma_update import FIRST, commit, git, import_on
from test_screening import runner  # noqa: F401  (a fixture)
from test_search_validate import protocol
from test_team_screening import build, cli, decide, gated

from slr.cli import main
from slr.clock import fixed_clock
from slr.corpus import load_records
from slr.dedupe.incremental import update
from slr.diff import DiffError, diff, format_diff
from slr.errors import ProtocolError
from slr.importer import import_files, remove_import
from slr.prisma.previous import PreviousError, read_previous
from slr.protocol import loads
from slr.screen.assign import AssignError, assign
from slr.screen.calibrate import draw_sample
from slr.screen.session import open_session
from slr.screen.state import ScreeningError
from slr.works import load_works


def test_an_unknown_reviewer_in_assign_and_calibrate_names_the_reviewers_option(
    tmp_path,
    runner,  # noqa: F811
):
    review, path = build(tmp_path, 10)
    for command in (["assign"], ["calibrate", "--sample", "3"]):
        result = cli(runner, path, *command, "--reviewers", "alice,dave")
        assert result.exit_code == 1
        assert "unknown reviewer 'dave'" in result.output
        assert "pass one of them with --reviewers" in result.output  # not `--reviewer`
    lone, _ = build(tmp_path / "lone", 4, reviewers=())
    with pytest.raises(AssignError, match="before `slr assign` or `slr calibrate`"):
        assign(lone, ["alice", "bob"])


def test_assign_with_nothing_new_says_the_options_given_were_not_applied(
    tmp_path,
    runner,  # noqa: F811
):
    review, path = build(tmp_path, 10)
    first = cli(runner, path, "assign", "--seed", "7")
    assert first.exit_code == 0, first.output
    again = cli(runner, path, "assign", "--reviewers", "alice,bob", "--seed", "8")
    assert again.exit_code == 0, again.output
    assert "nothing new to assign" in again.output
    assert "not applied: --reviewers alice,bob, --seed 8" in again.output
    assert "they stay with alice, bob, carol, seed 7" in again.output
    plain = cli(runner, path, "assign")  # the same settings: nothing to say
    assert "not applied" not in plain.output
    assert assign(review).unapplied == ()


@pytest.mark.parametrize(
    "args, refused",
    [
        (["--validate", "--source", "scopus"], "--validate takes only --offline and --format"),
        (["--validate", "--refresh"], "leave out --refresh"),
        (["--count", "--refresh"], "--count takes only --source, --offline and --format"),
        (["--count", "--enrich", "--offline"], "leave out --enrich"),
        (["--unmatched", "--offline"], "--unmatched takes only --format; leave out --offline"),
        (["--unmatched", "--source", "scopus"], "leave out --source"),
        (["--log", "--refresh"], "--log takes only --format; leave out --refresh"),
    ],
)
def test_search_modes_refuse_the_options_they_would_ignore(tmp_path, args, refused):
    review = new_review(tmp_path)
    out = CliRunner().invoke(main, ["search", "-p", str(review.protocol.path), *args])
    assert out.exit_code == 2
    assert refused in out.output
    assert not review.store.searchlog_file.exists()  # nothing ran


def test_unmatched_without_any_import_does_not_claim_every_record_matches(tmp_path):
    review = new_review(tmp_path)
    out = CliRunner().invoke(main, ["search", "-p", str(review.protocol.path), "--unmatched"])
    assert out.exit_code == 0
    assert "every imported record matches" not in out.output
    assert "no imported records to check" in out.output


def test_an_empty_known_relevant_entry_is_a_protocol_error(tmp_path):
    text = protocol("mlops", '["openalex"]', ["10.1145/3533378", "  "])
    with pytest.raises(ProtocolError, match=r"search\.known_relevant\[1\]: empty; give a DOI"):
        loads(text)


def test_one_paper_listed_twice_in_known_relevant_is_a_protocol_error():
    # it would count twice in --validate's recall ("retrieved 2/2" for one paper)
    text = protocol(
        "mlops", '["openalex"]', ["doi:10.1145/3533378", "https://doi.org/10.1145/3533378"]
    )
    with pytest.raises(ProtocolError, match=r"known_relevant\[1\]: .* is the paper of entry \[0\]"):
        loads(text)
    titles = protocol(
        "mlops", '["openalex"]', ["Sustainable MLOps: Trends", "sustainable mlops trends"]
    )
    with pytest.raises(ProtocolError, match="list each paper once"):
        loads(titles)
    other = protocol("mlops", '["openalex"]', ["10.1145/3533378", "10.1145/3533379", "A title"])
    assert len(loads(other).known_relevant) == 3


def test_previous_version_not_finished_gives_no_advice_for_today(tmp_path):
    git(tmp_path, "init", "-q")
    review = new_review(tmp_path)
    import_on(review, "2024-01-10", FIRST)  # imported and de-duplicated, never screened
    commit(tmp_path, "v1", "2024-01-15")
    git(tmp_path, "tag", "v1")
    with pytest.raises(PreviousError) as err:
        read_previous(review, "v1")
    message = str(err.value)
    assert "was not finished (title-abstract: " in message
    assert "works not screened yet" in message
    assert "--interim" not in message and "run `slr screen`" not in message
    assert message.endswith(
        "give the tag, commit or date of the version whose diagram was published"
    )


def test_diff_labels_an_undated_import_with_its_import_day_not_as_a_search_date(tmp_path):
    review = new_review(tmp_path)
    with fixed_clock("2024-03-05T09:00:00Z"):
        import_files(review, FIRST[:1], source="embase")  # no --date: the log says not recorded
    with fixed_clock("2024-06-01T09:00:00Z"):
        import_files(review, FIRST[1:], source="embase", date="2024-05-30")
    update(review)
    text = format_diff(diff(review, "2024-01-01"))
    assert "(import, embase, imported 2024-03-05, search date not recorded)" in text
    assert "(import, embase, 2024-05-30)" in text


def test_a_sample_all_in_one_category_asks_for_a_larger_sample_not_a_discussion(
    tmp_path,
    runner,  # noqa: F811
):
    review, path, ids = gated(tmp_path)
    decide(review, "alice", ids)  # both include all ten: kappa is undefined, nothing differs
    decide(review, "bob", ids)
    report = cli(runner, path, "calibrate").output
    assert "no disagreements" in report and "0 disagreement(s)" not in report
    assert "discuss the disagreements" not in report
    assert "draw a new, larger sample (e.g. `slr calibrate --sample 20`)" in report
    refused = cli(runner, path, "screen", "--reviewer", "alice", "--plain", input="q\n")
    assert refused.exit_code == 1
    assert (
        "undefined (every decision fell in one category), so calibration.min_kappa 0.6 is "
        "not reached" in refused.output
    )
    assert "is below" not in refused.output and "discuss" not in refused.output


def test_a_reviewer_without_a_share_is_not_promised_one_from_the_existing_works(tmp_path):
    review, _ = build(tmp_path, 12)
    assign(review, ["alice", "bob"], "overlap", 0.2, 1)
    with pytest.raises(ScreeningError) as err:
        open_session(review, "carol", "title-abstract")
    assert "never change" in str(err.value) and "once a search or import adds works" in str(
        err.value
    )
    # what the old message promised: rerunning assign with carol gives her nothing now
    again = assign(review, ["alice", "bob", "carol"])
    assert again.run is None and again.assignment.share("carol") == set()


def test_diff_quiet_csv_gives_the_counts_not_an_empty_table(tmp_path):
    review = new_review(tmp_path)
    with fixed_clock("2024-03-05T09:00:00Z"):
        import_files(review, FIRST, source="embase", date="2024-03-05")
    update(review)
    out = CliRunner().invoke(
        main, ["diff", "-p", str(review.protocol.path), "--format", "csv", "-q"]
    )
    assert out.exit_code == 0, out.output
    rows = dict(line.split(",") for line in out.output.splitlines()[1:])
    records = len(load_records(review))
    assert rows["new_records"] == rows["new_records:embase"] == str(records)
    assert rows["new_works"] == str(len(load_works(review)))


def test_a_review_of_export_only_databases_is_sent_to_slr_import_not_slr_search(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    args = ["init", "r", "--sources", "embase,google-scholar", "--query", "a OR b", "-y"]
    made = CliRunner().invoke(main, args)
    assert made.exit_code == 0, made.output
    assert "  slr search" not in made.output
    assert "slr import FILE --source embase   # embase, google-scholar: no API" in made.output
    monkeypatch.chdir(tmp_path / "r")
    shown = CliRunner().invoke(main, ["status"]).output
    assert shown.rstrip().endswith(
        "next: slr import FILE --source NAME (embase, google-scholar have no API) to collect "
        "records"
    )
    # a review with an API source still starts with `slr search`
    monkeypatch.chdir(tmp_path)
    api = CliRunner().invoke(main, ["init", "s", "--sources", "openalex,embase", "-y"])
    assert "  slr search           # or: slr import FILE --source NAME" in api.output


def test_screen_auto_refuses_the_options_it_would_ignore(tmp_path, runner):  # noqa: F811
    review, path = build(tmp_path, 4)
    for extra, named in (
        (["--reviewer", "alice"], "--reviewer"),
        (["--stage", "full-text"], "--stage full-text"),
        (["--order", "random", "--seed", "3"], "--order, --seed"),
        (["--force"], "--force"),
    ):
        out = cli(runner, path, "screen", "--auto", *extra)
        assert out.exit_code == 2
        assert f"leave out {named}" in out.output
    assert not (review.store.decisions_dir / "auto.jsonl").exists()
    assert cli(runner, path, "screen", "--auto").exit_code == 0


def test_status_says_a_reviewers_works_include_the_calibration_sample(
    tmp_path,
    runner,  # noqa: F811
):
    review, path = build(tmp_path, 20, reviewers=("alice", "bob"))
    a = assign(review, ["alice", "bob"], "overlap", 0.2, seed=3).assignment
    sample = set(draw_sample(review, 6, seed=1).work_ids)
    text = cli(runner, path, "status").output
    served = len(a.share("alice") | sample)
    assert served > len(a.share("alice"))  # the sample reaches beyond her share
    assert f"  alice: 0 of {served} works (share and calibration sample) decided" in text
    assert "assigned works" not in text  # her share alone is fewer


def test_diff_since_a_removed_import_says_it_was_removed(tmp_path):
    review = new_review(tmp_path)
    with fixed_clock("2024-03-05T09:00:00Z"):
        first = import_files(review, FIRST[:1], source="embase", date="2024-03-05")
    with fixed_clock("2024-06-01T09:00:00Z"):
        import_files(review, FIRST[1:], source="embase", date="2024-06-01")
    gone = first.files[0].run_id
    remove_import(review, gone)
    with pytest.raises(DiffError, match=f"--since {gone}: that import was removed"):
        diff(review, gone)
    with pytest.raises(DiffError, match="no such run in the search log"):
        diff(review, "import-000000000000")
