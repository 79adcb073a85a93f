"""Screening, PRISMA, status and the report on studies (issue 15): notices follow their article.

The review: an article with a retraction notice, a study of two reports (a conference abstract
and its full article, the article with an erratum) and an unrelated work. The links are
written with `save_links`, as `slr dedupe` will write them.
"""

import csv
import io
import os
import shutil
from pathlib import Path

import pexpect
import pytest
from test_screening import rec, runner, write_protocol  # noqa: F401  (runner is a fixture)

from slr.cli import main
from slr.cli.screen import format_auto
from slr.corpus import add_records
from slr.decisions import Decision, record_decision
from slr.prisma.counts import PrismaCounts, PrismaError, boxes, check, compute
from slr.prisma.render import to_csv
from slr.report import build_markdown
from slr.review import open_review
from slr.screen.rules import auto_screen
from slr.screen.session import open_session
from slr.screen.state import screening_counts, stage_pool
from slr.status import format_status, status
from slr.studies import StudyLink, notices, save_links
from slr.tui.keys import load_keymap
from slr.tui.screen import run_plain
from slr.tui.view import Highlighter, View, render
from slr.works import Work, save_works

TA, FT = "title-abstract", "full-text"
ART, RETRACTION, ABSTRACT, FULL, ERRATUM, OTHER = (f"openalex:W{n}" for n in range(1, 7))


def build(tmp_path, links=True):
    review = open_review(write_protocol(tmp_path))
    records = [
        rec(1, title="Drift monitoring for MLOps pipelines"),
        rec(2, title="Retraction notice: Drift monitoring for MLOps pipelines", type="retraction"),
        rec(3, title="Feature stores in MLOps (abstract)", type="conference-paper"),
        rec(4, title="Feature stores in MLOps: a field study", doi="10.5555/full"),
        rec(5, title="Erratum: Feature stores in MLOps: a field study", type="erratum"),
        rec(6, title="Soil chemistry of vineyards"),
    ]
    add_records(review, records)
    save_works(review, [Work(r.id, (r.id,), (r.source,), r) for r in records])
    if links:
        save_links(
            review,
            [
                StudyLink(RETRACTION, ART, "retraction", "notice-names-article", "Retraction"),
                StudyLink(ABSTRACT, FULL, "conference-abstract", "abstract-then-article"),
                StudyLink(ERRATUM, FULL, "erratum", "notice-names-article", "Erratum: ..."),
            ],
        )
    return review


def decide(review, stage, work_id, decision, *criteria):
    record_decision(review, Decision("alice", stage, work_id, decision, tuple(criteria)))


def screen_all(review):
    """Article excluded at full text; both reports of the other study included."""
    for wid in (ART, ABSTRACT, FULL):
        decide(review, TA, wid, "include")
    decide(review, TA, OTHER, "exclude", "EC4")
    decide(review, FT, ART, "exclude", "EC2")
    decide(review, FT, ABSTRACT, "include")
    decide(review, FT, FULL, "include")


def screen_text(review, tmp_path, stage=TA, size=(100, 30)):
    session = open_session(review, "alice", stage)
    keys, hl = load_keymap(tmp_path / "no-keys.toml"), Highlighter(review.protocol)
    return session, render(session, keys, hl, View(), *size)


# ---------------------------------------------------------------- the queue


def test_a_notice_follows_the_nearest_report_that_is_not_a_notice():
    links = [
        StudyLink("erratum", "article", "erratum", "r"),
        StudyLink("reply", "erratum", "comment", "r"),  # a reply to the erratum: the article
        StudyLink("preprint", "article", "preprint", "r"),  # a report, not a notice
        StudyLink("fix", "preprint", "erratum", "r"),  # the preprint's own erratum
        StudyLink("lost", "gone", "retraction", "r"),  # its article is not here: screened
    ]
    ids = ["article", "erratum", "reply", "preprint", "fix", "lost"]
    assert notices(ids, links) == {
        "erratum": ("article", "erratum"),
        "reply": ("article", "comment"),
        "fix": ("preprint", "erratum"),
    }


def test_notices_are_not_queued_and_not_counted_as_screened_works(tmp_path):
    review = build(tmp_path)
    summary = auto_screen(review)  # types "retraction"/"erratum" would fail IC1 on their own
    assert summary.excluded == 0 and summary.notices == 2 and summary.works == 4
    assert "works: 4 (and 2 notices, which follow the article they concern)" in format_auto(summary)
    session = open_session(review, "alice", TA)
    assert [w.work_id for w in session.works] == [ART, ABSTRACT, FULL, OTHER]
    assert session.total == 4
    assert [w.work_id for w in stage_pool(review, TA)] == [ART, ABSTRACT, FULL, OTHER]
    counts = screening_counts(review)[TA]
    assert counts["works"] == 4 and counts["to_screen"] == 4 and counts["notices"] == 2
    # the other reports of a study are screened as reports: both reach full text
    for wid in (ART, ABSTRACT, FULL):
        decide(review, TA, wid, "include")
    decide(review, TA, OTHER, "exclude", "EC4")
    assert [w.work_id for w in stage_pool(review, FT)] == [ART, ABSTRACT, FULL]


def test_without_studies_jsonl_every_work_is_screened_as_before(tmp_path):
    review = build(tmp_path, links=False)
    assert open_session(review, "alice", TA).total == 6
    assert screening_counts(review)[TA]["notices"] == 0


# ---------------------------------------------------------------- the screen


def test_a_retraction_is_shown_prominently_on_its_article_and_an_erratum_under_its_own(tmp_path):
    review = build(tmp_path)
    session, rows = screen_text(review, tmp_path)
    lines = ["".join(t for t, _ in row) for row in rows]
    assert session.current.work_id == ART
    assert lines[0].startswith(" RETRACTED · title-abstract · alice · 1/4")
    # right under the title, before the authors, in the alert style
    alert = [i for i, row in enumerate(rows) if any(s == "alert" for _, s in row)]
    assert len(alert) == 1
    assert lines[alert[0]].startswith(
        "!! RETRACTED - retraction notice: Retraction notice: Drift monitoring for MLOps"
    )
    assert all(len(line) <= 100 for line in lines)
    assert lines[alert[0] + 1].startswith("Author 1")
    session.decide("include")
    session.decide("include")  # the abstract: no notice follows it
    assert session.current.work_id == FULL
    keys, hl = load_keymap(tmp_path / "no-keys.toml"), Highlighter(review.protocol)
    screen = "\n".join("".join(t for t, _ in r) for r in render(session, keys, hl, View(), 100, 30))
    assert "erratum/correction: Erratum: Feature stores in MLOps: a field study" in screen
    assert "RETRACTED" not in screen


def test_plain_mode_shows_the_retraction_on_the_article_card(tmp_path, capsys):
    review = build(tmp_path)
    session = open_session(review, "alice", TA)
    keys, hl = load_keymap(tmp_path / "no-keys.toml"), Highlighter(review.protocol)
    lines = iter(["q\n"])
    run_plain(session, keys, hl, read_line=lambda: next(lines, ""))
    out = capsys.readouterr().out
    assert "RETRACTED · title-abstract · alice · 1/4" in out
    assert "!! RETRACTED - retraction notice: Retraction notice: Drift monitoring" in out


def test_full_text_shows_the_notices_too(tmp_path):
    review = build(tmp_path)
    decide(review, TA, ART, "include")
    _, rows = screen_text(review, tmp_path, stage=FT)
    assert "!! RETRACTED - retraction notice" in "\n".join("".join(t for t, _ in r) for r in rows)


def test_the_real_terminal_shows_the_retraction(tmp_path):
    review = build(tmp_path)
    slr = shutil.which("slr", path=str(Path(os.sys.executable).parent)) or "slr"
    env = dict(os.environ, TERM="xterm-256color", SLR_KEYS="/nonexistent/keys.toml")
    env.pop("SLR_REVIEWER", None)
    child = pexpect.spawn(
        slr,
        ["screen", "-p", str(review.protocol.path), "--reviewer", "alice"],
        env=env,
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=15,
    )
    try:
        child.expect("1/4")
        child.expect("RETRACTED - retraction notice")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


# ---------------------------------------------------------------- PRISMA


def test_prisma_counts_one_study_of_two_reports(tmp_path):
    review = build(tmp_path)
    screen_all(review)
    c = compute(review)
    # methods.md section 1, identities 2-5 and 8, with the two notices removed before screening
    assert c.identified == 6 and c.duplicates == 0 and sum(c.excluded_automatic.values()) == 0
    assert c.excluded_other == 2
    assert c.notices == {"erratum": 1, "retraction": 1}
    assert c.records_screened == 6 - 0 - 0 - 2 == 4
    assert c.records_excluded == 1 and c.databases.sought == 4 - 1 == 3
    assert c.databases.not_retrieved == 0 and c.databases.assessed == 3
    assert sum(c.databases.excluded.values()) == 1 and c.databases.included == 3 - 1 == 2
    assert c.new_reports == c.databases.included + c.other.included == 2
    assert c.new_studies == 1
    included = boxes(c)["included"]
    assert included == ["Studies included in review (n = 1)", "Reports of included studies (n = 2)"]
    removed = boxes(c)["removed"]
    assert "Records removed for other reasons (n = 2)" in removed
    assert "  Retraction notices, with the report they retract (n = 1)" in removed
    rows = list(csv.DictReader(io.StringIO(to_csv(c))))
    n = {r["data"]: r["n"] for r in rows if r["data"] != "NA"}
    assert (n["new_studies"], n["new_reports"]) == ("1", "2")
    assert (n["total_studies"], n["total_reports"]) == ("1", "2")
    assert (n["excluded_other"], n["records_screened"], n["dbr_sought_reports"]) == ("2", "4", "3")
    assert (n["dbr_assessed"], n["dbr_notretrieved_reports"]) == ("3", "0")


def test_prisma_cli_csv_fills_the_study_and_report_rows(tmp_path, runner):  # noqa: F811
    review = build(tmp_path)
    screen_all(review)
    result = runner.invoke(main, ["prisma", "-p", str(review.protocol.path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    n = {r["data"]: r["n"] for r in csv.DictReader(io.StringIO(result.output))}
    assert (n["new_studies"], n["new_reports"]) == ("1", "2")


def test_check_holds_the_methods_fixture_and_refuses_more_studies_than_reports():
    """methods.md section 1 fixture: 13 + 3 reports of 15 studies."""
    c = PrismaCounts(
        database_results={"Database 1": 700, "Database 2": 540},
        other_results={"Citation searching (round 1)": 9},
        duplicates=310,
        excluded_other=5,
        records_screened=925,
        records_excluded=850,
    )
    c.databases.sought, c.databases.not_retrieved, c.databases.assessed = 75, 3, 72
    c.databases.excluded, c.databases.included = {"R1": 40, "R2": 15, "R3": 4}, 13
    c.other.sought, c.other.not_retrieved, c.other.assessed = 9, 1, 8
    c.other.excluded, c.other.included = {"R1": 5}, 3
    c.new_reports, c.new_studies = 16, 15
    check(c)
    c.new_studies = 17
    with pytest.raises(PrismaError, match=r"at most the reports .*: 17 studies, 16 reports"):
        check(c)
    c.new_studies = 0
    with pytest.raises(PrismaError, match=r"at least 1 .*: 0 studies, 16 reports"):
        check(c)
    c.new_studies, c.new_reports = 15, 15
    with pytest.raises(PrismaError, match=r"reports of included studies = .*: 15 != 13 \+ 3"):
        check(c)


# ---------------------------------------------------------------- status and report


def test_status_gives_studies_and_reports(tmp_path):
    review = build(tmp_path)
    screen_all(review)
    data = status(review).to_dict()
    assert data["screening"][FT]["included"] == 2
    assert data["screening"][FT]["included_studies"] == 1
    text = format_status(status(review))
    assert "screening full-text: 3 works, 0 to screen, 2 included (reports of 1 study)" in text
    assert "  2 notice(s) (errata, retractions, comments) follow the report" in text


def test_report_gives_studies_and_reports_and_lists_each_study_once(tmp_path):
    review = build(tmp_path)
    screen_all(review)
    text = build_markdown(review)
    assert "1 study was included, reported in 2 reports." in text
    assert (
        "0 records were excluded automatically by the protocol's metadata rules and 2 notices "
        "(errata, retraction notices, comments) followed the report they concern, shown with it "
        "during screening rather than screened on their own, leaving 4 records to screen."
    ) in text
    listing = text.split("### Included studies")[1].split("###")[0]
    assert "1. Author 4 (2020). Feature stores in MLOps: a field study." in listing
    assert "   - Also reported in: Author 3 (2020). Feature stores in MLOps (abstract)." in listing
    assert "   - Erratum: Author 5 (2020). Erratum: Feature stores" in listing
    assert "2. " not in listing


def test_coding_codes_each_included_study_once_on_its_main_report(tmp_path):
    from slr.coding.log import included

    review = build(tmp_path)
    screen_all(review)
    assert [w.work_id for w in included(review)] == [FULL]  # the abstract was included first
