"""PRISMA 2020 "updated review" diagram: `slr prisma --previous REF` reads the review as
committed at a git tag, commit or date, carries its included studies and reports over, and
counts only what is new since. The review lives in a real git repository in tmp_path.

Records are real exports (tests/fixtures/exports): the first version screens two files,
the update imports a re-export of ten of those records plus six new ones.
"""

import csv
import io
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import new_review

from slr.cli import main
from slr.clock import fixed_clock
from slr.corpus import load_records
from slr.dedupe.incremental import update
from slr.importer import import_files
from slr.prisma.counts import compute
from slr.prisma.previous import PreviousError, read_previous
from slr.prisma.render import to_csv, to_svg
from slr.screen.session import open_session
from slr.screen.state import included_works
from slr.works import load_works

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
FIRST = [EXPORTS / "embase_csv" / "cff_embase_excel_semicolon.csv"]
FIRST += [EXPORTS / "zotero_ris" / "asreview_pubmed_zotero.ris"]
SECOND = [EXPORTS / "embase_csv" / "cff_embase_query_preamble.csv"]  # the same ten, again
SECOND += [EXPORTS / "embase_csv" / "asreview_embase.csv"]  # and six new records


def import_on(review, day, paths):
    with fixed_clock(f"{day}T09:00:00Z"):
        import_files(review, paths, source="embase", query="dinosaur*", date=day)
    update(review)


def git(repo, *args, day="2024-01-15"):
    stamp = f"{day}T12:00:00+00:00"
    env = dict(os.environ, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    env |= {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    base = ["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.org"]
    return subprocess.run([*base, *args], check=True, capture_output=True, env=env)


def commit(repo, message, day):
    git(repo, "add", "-A", day=day)
    git(repo, "commit", "-q", "-m", message, day=day)


def screen(review, stage, include_every):
    """Decide every work of a stage: every `include_every`-th is included, the rest EC2."""
    session = open_session(review, "reviewer1", stage)
    k = 0
    while session.current is not None:
        k += 1
        if k % include_every == 0:
            session.decide("include")
        else:
            session.decide("exclude", ("EC2",))


def finish(review):
    screen(review, "title-abstract", 2)
    screen(review, "full-text", 2)


@pytest.fixture
def updated(tmp_path):
    """A review tagged v1 (2024-01-15), then updated and committed (2024-06-02)."""
    git(tmp_path, "init", "-q")
    review = new_review(tmp_path)
    import_on(review, "2024-01-10", FIRST)
    finish(review)
    first = compute(review)
    first_ids = {r.id for r in load_records(review)}
    commit(tmp_path, "first version", "2024-01-15")
    git(tmp_path, "tag", "v1", day="2024-01-15")
    import_on(review, "2024-06-01", SECOND)
    finish(review)
    commit(tmp_path, "update", "2024-06-02")
    return review, first, first_ids


def test_updated_review_counts_previous_new_and_total(updated):
    review, first, first_ids = updated
    assert first.new_studies > 0 and first.previous is None
    prev = read_previous(review, "v1")
    assert (prev.studies, prev.reports) == (first.new_studies, first.new_reports)
    assert prev.record_ids == first_ids

    c = compute(review, previous=prev)
    new_records = [r for r in load_records(review) if r.id not in first_ids]
    new_works = [w for w in load_works(review) if not set(w.record_ids) & first_ids]
    assert c.identified == len(new_records) == 16  # only what came after v1
    assert c.duplicates == 16 - len(new_works) == 10  # the re-export: earlier records again
    assert c.records_screened == len(new_works) - c.excluded_other
    included_new = [
        w for w in included_works(review) if w.work_id in {n.work_id for n in new_works}
    ]
    assert c.new_reports == len(included_new) > 0
    assert c.new_studies == len(included_new)  # no study links across the versions here
    assert c.total_studies == prev.studies + c.new_studies
    assert c.total_reports == prev.reports + c.new_reports
    assert c.total_reports == len(included_works(review))  # nothing changed since v1
    assert c.warnings == []

    data = c.to_dict()
    assert (data["previous_studies"], data["total_studies"]) == (prev.studies, c.total_studies)
    rows = {r["data"]: r for r in csv.DictReader(io.StringIO(to_csv(c))) if r["data"] != "NA"}
    assert rows["previous_studies"]["n"] == str(prev.studies)
    assert rows["previous_reports"]["n"] == str(prev.reports)
    assert rows["total_studies"]["n"] == str(c.total_studies)
    assert rows["database_results"]["n"] == "16"
    assert rows["new_studies"]["boxtext"] == "New studies included in review"
    svg = to_svg(c)
    for text in ("Previous studies", "Identification of new studies", "Total studies included"):
        assert text in svg
    # a review drawn without --previous keeps the new-review template
    plain = compute(review)
    assert plain.previous is None and "previous_studies" not in plain.to_dict()
    assert plain.new_reports == c.total_reports


def test_previous_by_date_and_by_commit(updated):
    review, first, _ = updated
    tag = read_previous(review, "v1")
    by_date = read_previous(review, "2024-03-01")  # the last commit on or before that day
    assert by_date.commit == tag.commit and by_date.committed == "2024-01-15"
    assert read_previous(review, tag.commit[:12]).studies == first.new_studies
    latest = read_previous(review, "2024-06-02")
    assert latest.commit != tag.commit
    assert compute(review, previous=latest).identified == 0  # nothing after the last commit


def test_unknown_ref_and_date_before_the_first_commit(updated):
    review, _, _ = updated
    with pytest.raises(PreviousError, match="not a tag, commit or date .*tags: v1"):
        read_previous(review, "v9")
    with pytest.raises(PreviousError, match="no commit on or before that day"):
        read_previous(review, "2023-12-31")
    with pytest.raises(PreviousError, match="not a valid date"):
        read_previous(review, "2024-02-30")


def test_not_a_git_repository_is_a_one_line_error(tmp_path, monkeypatch):
    review = new_review(tmp_path)
    import_on(review, "2024-01-10", FIRST)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # no repo above
    with pytest.raises(PreviousError, match="not in a git repository"):
        read_previous(review, "v1")
    result = CliRunner().invoke(
        main, ["prisma", "-p", str(review.protocol.path), "--previous", "v1"]
    )
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "not in a git repository" in result.output


def test_cli_previous_csv_and_text(updated):
    review, first, _ = updated
    proto = ["-p", str(review.protocol.path)]
    out = CliRunner().invoke(main, ["prisma", *proto, "--previous", "v1", "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = {r["data"]: r["n"] for r in csv.DictReader(io.StringIO(out.output))}
    assert rows["previous_studies"] == str(first.new_studies)
    assert int(rows["total_studies"]) == first.new_studies + int(rows["new_studies"])
    text = CliRunner().invoke(main, ["prisma", *proto, "--previous", "v1"]).output
    assert text.splitlines()[0].startswith("previous")
    assert "Total studies included in review" in text


def test_a_report_excluded_since_the_previous_version_is_a_warning(updated):
    """Identity 9 (totals = previous + new) is a warning, not a failure (methods.md)."""
    from slr.decisions import Decision, record_decision

    review, first, _ = updated
    gone = included_works(review)[0].work_id
    record_decision(review, Decision("reviewer1", "full-text", gone, "exclude", ("EC2",)))
    c = compute(review, previous=read_previous(review, "v1"))
    assert c.previous.reports == first.new_reports  # the version as it was
    assert len(c.warnings) == 1 and gone in c.warnings[0]
    assert c.total_reports == len(included_works(review)) + 1  # as the template adds them
    out = CliRunner().invoke(main, ["prisma", "-p", str(review.protocol.path), "--previous", "v1"])
    assert out.exit_code == 0 and "1 report(s) included in the previous version" in out.output


def test_a_new_report_of_a_study_included_before_adds_a_report_not_a_study():
    from types import SimpleNamespace

    from slr.decisions import Decision
    from slr.prisma.counts import PrismaCounts, PrismaError, check, split_new_studies

    final = {w: Decision("r", "full-text", w, "include") for w in ("new1", "new2", "new3")}
    ft = SimpleNamespace(final=final)  # the update's works only
    every = {"old": ["old", "new1"], "s2": ["new2", "new3"]}  # study -> included reports
    studies, of_previous = split_new_studies(every, ft)
    assert studies == {"s2": ["new2", "new3"]} and of_previous == 1
    c = PrismaCounts(new_reports=1, new_studies=0, reports_of_previous_studies=1)
    c.databases.sought = c.databases.assessed = c.databases.included = 1
    c.records_screened = c.database_results["X"] = 1
    check(c)  # one new report, of a study included before: no new study, and that balances
    c.reports_of_previous_studies = 0
    with pytest.raises(PrismaError, match="at least 1"):
        check(c)
