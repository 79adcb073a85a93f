"""`slr diff` (living review): what is new since a run, an import or a date, and the rule
that only works without a decision are queued after an update.

The corpora are real exports (tests/fixtures/exports, see PROVENANCE) imported on two dates,
and real recorded OpenAlex and Crossref pages served by `responses` for two search runs.
"""

import json
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner
from conftest import SHARED, SHARED_ABSENT, new_review
from responses import matchers

from slr.cli import main
from slr.clock import fixed_clock
from slr.corpus import load_records, search_log
from slr.dedupe.incremental import update
from slr.diff import DiffError, diff, format_diff
from slr.http import Client
from slr.importer import import_files
from slr.screen.session import open_session
from slr.search import search
from slr.works import load_works

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
FIRST = [EXPORTS / "embase_csv" / "cff_embase_excel_semicolon.csv"]
FIRST += [EXPORTS / "zotero_ris" / "asreview_pubmed_zotero.ris"]
# the same ten Embase records exported again (other bytes, other layout), and six new ones
SECOND = [EXPORTS / "embase_csv" / "cff_embase_query_preamble.csv"]
SECOND += [EXPORTS / "embase_csv" / "asreview_embase.csv"]


def import_on(review, day, paths, source="embase"):
    with fixed_clock(f"{day}T09:00:00Z"):
        summary = import_files(review, paths, source=source, query="dinosaur*", date=day)
    update(review)
    return [f.run_id for f in summary.files]


def two_imports(review):
    first = import_on(review, "2024-01-10", FIRST)
    before = {r.id for r in load_records(review)}
    second = import_on(review, "2024-06-01", SECOND)
    return first, second, before


def test_diff_across_two_dated_imports(review):
    first, second, before = two_imports(review)
    records = load_records(review)
    later = [r for r in records if r.id not in before]
    assert len(later) == 16  # 10 + 6 entries, none with an id already stored
    works = load_works(review)
    new_works = [w for w in works if not set(w.record_ids) & before]
    grown = [w for w in works if set(w.record_ids) & before and set(w.record_ids) - before]
    assert (len(new_works), len(grown)) == (6, 10)  # the re-export merged into its ten works

    d = diff(review)  # default: since the previous run, i.e. what the second import brought
    assert d.since.startswith("the previous run") and first[0] in d.since
    assert [r.run_ids for r in d.runs] == [tuple(second)]
    assert [r.id for r in d.new_records] == [r.id for r in later]
    assert d.by_source() == {"embase": 16}
    assert {w.work_id for w in d.new_works} == {w.work_id for w in new_works}
    assert {c.work.work_id for c in d.changed} == {w.work_id for w in grown}
    assert all(len(c.new_records) == 1 for c in d.changed)
    assert d.not_deduplicated == [] and d.unknown_origin == 0

    # by run id (either file of the first import names that import) and by date: the same
    for since in (first[0], first[1], "2024-06-01", "2024-02-01"):
        other = diff(review, since)
        assert other.to_dict() | {"since": ""} == d.to_dict() | {"since": ""}, since
    everything = diff(review, "2024-01-10")
    assert len(everything.new_records) == len(records) and everything.changed == []
    assert len(everything.new_works) == len(works)
    nothing = diff(review, second[1])  # the last run: nothing came after it
    assert nothing.runs == [] and nothing.new_records == [] and nothing.new_works == []


def test_new_records_before_dedupe_are_said_not_counted_as_works(review):
    import_on(review, "2024-01-10", FIRST)
    with fixed_clock("2024-06-01T09:00:00Z"):
        import_files(review, SECOND, source="embase", date="2024-06-01")
    d = diff(review)
    assert len(d.new_records) == 16 and d.new_works == [] and d.changed == []
    assert len(d.not_deduplicated) == 16
    assert "run `slr dedupe`" in format_diff(d)


def test_merged_metadata_change_is_named(tmp_path):
    review = new_review(tmp_path)
    ris = "TY  - JOUR\nTI  - MLOps in practice\nAU  - Doe, J.\nPY  - 2021\nDO  - 10.1234/mlops.1\n"
    old = tmp_path / "old.ris"
    old.write_text(ris + "ER  - \n", encoding="utf-8")
    new = tmp_path / "new.ris"
    abstract = "AB  - We study machine learning operations in twelve companies.\n"
    new.write_text(ris + abstract + "ER  - \n", encoding="utf-8")
    import_on(review, "2024-01-10", [old], source="scopus")
    import_on(review, "2024-06-01", [new], source="webofscience")
    d = diff(review)
    assert d.new_works == [] and len(d.changed) == 1
    assert d.changed[0].fields == ("abstract",)
    assert "changed: abstract" in format_diff(d)


def test_unknown_run_and_bad_date_are_one_line_errors_listing_the_runs(review):
    first, second, _ = two_imports(review)
    with pytest.raises(DiffError, match="no such run") as err:
        diff(review, "2024-05-01T120000Z")
    assert all(i in str(err.value) for i in first + second)
    with pytest.raises(DiffError, match="not a valid date") as err:
        diff(review, "2024-13-01")
    assert all(i in str(err.value) for i in first + second)
    result = CliRunner().invoke(main, ["diff", "-p", str(review.protocol.path), "--since", "nope"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("Error: --since nope")


def test_no_run_logged_is_an_error(review):
    with pytest.raises(DiffError, match="no search runs or imports logged yet"):
        diff(review)


def test_cli_counts_lists_and_formats(review):
    first, second, _ = two_imports(review)
    run = CliRunner().invoke
    proto = ["-p", str(review.protocol.path)]
    text = run(main, ["diff", *proto, "--since", first[0]])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert "new records: 16 (embase 16)" in lines
    assert "new works (every record new): 6" in lines
    assert lines.index("new works (every record new): 6") < lines.index("new records:")
    quiet = run(main, ["diff", *proto, "--quiet"])
    assert "new records:" not in quiet.output.splitlines() and "new works" in quiet.output
    csv_out = run(main, ["diff", *proto, "--format", "csv"]).output.splitlines()
    assert csv_out[0] == "section,id,title,year,source,detail"
    sections = [line.split(",", 1)[0] for line in csv_out[1:]]
    assert sections.count("new record") == 16 and sections.count("new work") == 6
    assert sections.count("changed work") == 10
    md = run(main, ["diff", *proto, "--format", "markdown"]).output
    assert "### new works" in md and "| id | title | year | source | detail |" in md


# ---------------------------------------------------------------- only new works are queued


def test_only_works_without_decisions_are_queued_after_an_update(review):
    import_on(review, "2024-01-10", FIRST)
    session = open_session(review, "reviewer1", "title-abstract")
    decided = []
    with fixed_clock("2024-03-01T10:00:00Z"):  # between the two imports
        while session.current is not None and len(decided) < 12:
            decided.append(session.current.work_id)
            criteria = ("EC2",) * (len(decided) % 2)
            session.decide("exclude" if criteria else "include", criteria)
    open_before = {w.work_id for w in session.works if not session.is_decided(w.work_id)}
    assert len(open_before) == len(session.works) - 12 > 0
    import_on(review, "2024-06-01", SECOND)

    d = diff(review)
    again = open_session(review, "reviewer1", "title-abstract")
    queued = {w.work_id for w in again.works if not again.is_decided(w.work_id)}
    # the new works and those left open before; a decided work that gained a record is not
    assert queued == open_before | {w.work_id for w in d.new_works}
    grown_decided = {c.work.work_id for c in d.changed if c.decided}
    assert grown_decided and grown_decided <= set(decided)
    assert not grown_decided & queued
    assert d.to_dict()["changed_decided"] == len(grown_decided)
    assert f"already decided at title-abstract: {len(grown_decided)}" in format_diff(d)
    status = CliRunner().invoke(main, ["status", "-p", str(review.protocol.path)]).output
    assert f"  {len(grown_decided)} decided work(s) gained records from runs started" in status
    assert f"{len(queued)} to screen" in status


# ---------------------------------------------------------------- two search runs

OPENALEX = Path(__file__).parent / "fixtures" / "openalex" / "peneira_works_search_page1.json"
CROSSREF = SHARED / "fixtures" / "api" / "crossref" / "habanero_works_cursor_widget_page1.body.json"
PROTOCOL = """
[review]
id = "living"
title = "A living review"

[search]
query = 'health OR "public health"'
sources = ["openalex", "crossref"]

[search.source.crossref]
query = 'widget'
"""


@responses.activate
def test_diff_across_two_dated_search_runs(tmp_path):
    if not CROSSREF.exists():
        pytest.skip(f"{SHARED_ABSENT}: {CROSSREF}")
    review = new_review(tmp_path, PROTOCOL, "living.toml")
    responses.add(
        responses.GET,
        "https://api.openalex.org/works",
        body=OPENALEX.read_bytes(),
        content_type="application/json",
    )
    responses.add(
        responses.GET,
        "https://api.crossref.org/works",
        body=CROSSREF.read_bytes(),
        content_type="application/json",
        match=[matchers.query_param_matcher({"query.bibliographic": "widget"}, strict_match=False)],
    )
    client = Client(mailto="me@example.org", sleep=lambda s: None)
    env = {"OPENALEX_API_KEY": "k"}
    with fixed_clock("2024-01-10T09:00:00Z"):
        first = search(review, ["openalex"], client=client, env=env)
    before = {r.id for r in load_records(review)}
    assert first.results[0].kept == len(before) > 0
    with fixed_clock("2024-06-01T09:00:00Z"):
        second = search(review, refresh=True, client=client, env=env)  # both sources
    assert [r.status for r in second.results] == ["ok", "ok"]
    update(review)
    log = search_log(review)
    assert [e["date"] for e in log] == ["2024-01-10", "2024-06-01", "2024-06-01"]
    crossref_kept = next(e["kept"] for e in log if e["source"] == "crossref")

    d = diff(review)
    # OpenAlex found its 49 works again: nothing new; every Crossref record is new
    assert set(d.runs[0].run_ids) == {r.run_id for r in second.results}
    assert d.by_source() == {"crossref": crossref_kept} and crossref_kept > 0
    assert {r.id for r in d.new_records} == {r.id for r in load_records(review)} - before
    assert len(d.new_works) + len(d.changed) <= crossref_kept
    for since in (f"openalex/{first.results[0].run_id}", "2024-06-01"):
        assert diff(review, since).by_source() == {"crossref": crossref_kept}
    # the second run's own id: nothing after it (SOURCE/RUN when two sources' ids are alike)
    last = second.results[1].run_id
    if last == first.results[0].run_id:  # both started within one second
        with pytest.raises(DiffError, match=f"crossref/{last}"):
            diff(review, last)
        last = f"crossref/{last}"
    assert diff(review, last).new_records == []
    assert json.dumps(d.to_dict())  # JSON-ready


def test_a_run_id_shared_by_two_sources_runs_needs_its_source(review):
    """Run ids are dated to the second per source folder: two sources' runs of different
    searches can share one; SOURCE/RUN (the raw folder) then names it."""
    from conftest import make_record

    from slr.corpus import add_records, log_search

    day = {"2024-01-10": "2024-01-10T090000Z", "2024-06-01": "2024-06-01T090000Z"}
    rows = [("scopus", "2024-01-10", 1), ("openalex", "2024-06-01", 2), ("scopus", "2024-06-01", 3)]
    for source, date, i in rows:
        run_id = day["2024-01-10"] if i < 3 else day["2024-06-01"]
        if i == 2:
            run_id = day["2024-01-10"]  # openalex's run of June got January's id
        stamp = f"{date}T09:00:00Z"
        add_records(
            review, [make_record(i, source, raw=f"raw/{source}/{run_id}/b00-p00000.json#0")]
        )
        log_search(
            review,
            {"run_id": run_id, "kind": "search", "source": source, "date": date}
            | {"started": stamp, "finished": stamp},
        )
    runs_since = {r.run_ids for r in diff(review, "2024-06-01").runs}
    assert runs_since == {(day["2024-01-10"], day["2024-06-01"])}  # one search, two sources
    with pytest.raises(DiffError, match=f"scopus/{day['2024-01-10']}, openalex/"):
        diff(review, day["2024-01-10"])
    d = diff(review, f"scopus/{day['2024-01-10']}")
    assert [r.id for r in d.new_records] == ["openalex:r2", "scopus:r3"]
