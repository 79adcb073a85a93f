"""`slr search`: local post-filter, resume after a kill, no re-fetch, --refresh, --offline,
failures per source, enrichment, the search log and keys kept out of every file.

OpenAlex pages are constructed here so that each record exercises one filter rule; the
parsing of real recorded pages is tested in tests/sources/.
"""

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from click.testing import CliRunner

from slr import query as q
from slr.cli import main
from slr.corpus import load_records, search_log
from slr.http import Client
from slr.records import Record
from slr.review import open_review
from slr.search import format_log, format_table, local_filter, runs, search
from slr.sources.base import Filters

ROOT = Path(__file__).resolve().parents[1]
KEY = "OA-KEY-9f8e7d6c5b4a"
ENV = {"OPENALEX_API_KEY": KEY}
WORKS = "https://api.openalex.org/works"


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def client() -> Client:
    ft = FakeTime()
    return Client(mailto="me@example.org", clock=ft.clock, sleep=ft.sleep, rng=lambda: 0.5)


def work(i, title, abstract=None, year=2020, kind="article", lang="en"):
    index = {w: [k] for k, w in enumerate(abstract.split())} if abstract else None
    return {
        "id": f"https://openalex.org/W{i}",
        "doi": f"https://doi.org/10.1234/w{i}",
        "title": title,
        "abstract_inverted_index": index,
        "publication_year": year,
        "type": kind,
        "language": lang,
    }


PAGES = {
    "*": ([work(1, "MLOps in practice", "we study mlops"), work(2, "Deep nets", "vision")], "c1"),
    "c1": ([work(3, "A study of pipelines"), work(4, "MLOps history", "mlops", year=2010)], "c2"),
    "c2": (
        [work(5, "MLOps book", "mlops", kind="book"), work(6, "MLOps here", "x", lang=None)],
        None,
    ),
}


def page_body(cursor):
    results, nxt = PAGES[cursor]
    return {"meta": {"count": 6, "next_cursor": nxt}, "results": results}


def serve_openalex(kill_at=None, calls=None):
    """Answer /works by cursor; raise KeyboardInterrupt (a kill) at `kill_at`."""

    def callback(request):
        cursor = parse_qs(urlsplit(request.url).query)["cursor"][0]
        if calls is not None:
            calls.append(cursor)
        if cursor == kill_at:
            raise KeyboardInterrupt
        return 200, {"Content-Type": "application/json"}, json.dumps(page_body(cursor))

    responses.add_callback(responses.GET, WORKS, callback=callback)


def make_review(tmp_path, sources='["openalex", "google-scholar"]', query="mlops"):
    text = (ROOT / "protocols" / "mlops.toml").read_text()
    lines = []
    for line in text.splitlines():
        if line.startswith("sources = "):
            line = f"sources = {sources}"
        elif line.startswith("query = "):
            line = f"query = '{query}'"
        lines.append(line)
    path = tmp_path / "protocols" / "mlops.toml"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")
    return open_review(path, tmp_path / "corpus" / "mlops")


def test_local_filter_rules():
    f = Filters((2018, 2023), ("article",), ("en",))
    node = q.parse("mlops")
    assert local_filter(
        Record("s", "1", "MLOps", "x", year=2020, type="article", language="en"), node, f
    ) == (True, ())
    assert local_filter(Record("s", "2", "Other", "no", year=2020), node, f)[0] is False
    assert local_filter(
        Record("s", "3", "Other", None, year=2020, type="article", language="en"), node, f
    ) == (True, ("query",))
    assert (
        local_filter(Record("s", "4", "MLOps", "x", year=2017, type="article"), node, f)[0] is False
    )
    assert local_filter(Record("s", "5", "MLOps", "x", year=2020, type="book"), node, f)[0] is False
    assert local_filter(Record("s", "6", "MLOps", "x"), node, f) == (
        True,
        ("year", "type", "language"),
    )


@responses.activate
def test_search_keeps_matches_and_undecidable_and_logs(tmp_path):
    review = make_review(tmp_path)
    serve_openalex()
    report = search(review, client=client(), env=ENV)
    by = {r.source: r for r in report.results}
    oa = by["openalex"]
    assert (oa.status, oa.reported_total, oa.fetched, oa.kept) == ("ok", 6, 6, 3)
    assert by["google-scholar"].status.startswith("manual: import a Publish or Perish")
    assert report.exit_code == 0
    records = {r.source_id: r for r in load_records(review)}
    assert set(records) == {"W1", "W3", "W6"}
    assert records["W1"].extra["filter"] == "match"
    assert records["W3"].extra["undecidable"] == ["query"]
    assert records["W6"].extra["undecidable"] == ["language"]
    assert records["W1"].raw.startswith("raw/openalex/") and records["W1"].raw.endswith("#0")
    (entry,) = search_log(review)
    assert entry["source"] == "openalex" and entry["database"] == "OpenAlex"
    assert entry["query"] == "title_and_abstract.search:mlops"
    assert entry["filters"]["api"] == {
        "publication_year": "2018-2023",
        "type": "article|review",
        "language": "en",
    }
    assert (entry["reported_total"], entry["fetched"], entry["kept"], entry["status"]) == (
        6,
        6,
        3,
        "ok",
    )
    assert entry["notes"] and entry["date"] == entry["started"][:10]
    table = format_table(report)
    assert "reported" in table and "cap/shortfall" in table and "openalex" in table


@responses.activate
def test_missing_key_is_skipped_with_the_variable_to_set(tmp_path):
    review = make_review(tmp_path)
    report = search(review, client=client(), env={})
    (oa,) = [r for r in report.results if r.source == "openalex"]
    assert oa.status == "skipped: set OPENALEX_API_KEY"
    assert report.exit_code == 1 and len(responses.calls) == 0


@responses.activate
def test_killed_run_resumes_at_the_next_page_with_the_same_records(tmp_path):
    # uninterrupted reference run
    ref = make_review(tmp_path / "ref")
    serve_openalex()
    search(ref, client=client(), env=ENV)
    expected = [r.to_dict() for r in load_records(ref)]
    responses.reset()

    review = make_review(tmp_path / "run")
    calls: list[str] = []
    serve_openalex(kill_at="c2", calls=calls)  # killed while fetching page 3
    with pytest.raises(KeyboardInterrupt):
        search(review, client=client(), env=ENV)
    assert calls == ["*", "c1", "c2"]
    (run_dir,) = runs(review, "openalex")
    state = json.loads((run_dir / "run.json").read_text())
    assert state["status"] == "running" and state["branches"]["0"]["next_state"] == {"cursor": "c2"}
    responses.reset()
    calls.clear()
    serve_openalex(calls=calls)
    report = search(review, client=client(), env=ENV)
    assert calls == ["c2"]  # resumed at page 3, pages 1-2 not fetched again
    oa = report.results[0]
    assert (oa.status, oa.fetched, oa.kept) == ("ok", 6, 3)
    got = [r.to_dict() for r in load_records(review)]
    strip = lambda rows: [{k: v for k, v in r.items() if k != "raw"} for r in rows]  # noqa: E731
    assert strip(got) == strip(expected)
    assert runs(review, "openalex") == [run_dir]


@responses.activate
def test_the_run_checkpoint_is_a_frozen_value_that_writes_the_same_json(tmp_path):
    from dataclasses import FrozenInstanceError

    from slr.search import BranchProgress, RunCheckpoint

    review = make_review(tmp_path)
    serve_openalex(kill_at="c2")
    with pytest.raises(KeyboardInterrupt):
        search(review, client=client(), env=ENV)
    (run_dir,) = runs(review, "openalex")
    text = (run_dir / "run.json").read_text("utf-8")
    run = RunCheckpoint.from_dict(json.loads(text))
    assert run.status == "running" and run.branches["0"] == BranchProgress(
        2, {"cursor": "c2"}, 4, 2, 6
    )
    assert json.dumps(run.to_dict(), ensure_ascii=False, indent=1) + "\n" == text
    with pytest.raises(FrozenInstanceError):
        run.status = "complete"  # type: ignore[misc]
    newer = RunCheckpoint.from_dict({**json.loads(text), "by": "a newer slr"})
    assert newer.to_dict()["by"] == "a newer slr"  # a key slr does not know is kept


@responses.activate
def test_a_page_fetched_but_not_checkpointed_is_fetched_again_without_duplicates(tmp_path):
    review = make_review(tmp_path)
    serve_openalex()
    search(review, client=client(), env=ENV)
    (run_dir,) = runs(review, "openalex")
    # rewind the checkpoint to after page 1, as if killed before writing it for page 2
    state = json.loads((run_dir / "run.json").read_text())
    state["status"] = "running"
    state["branches"]["0"].update(
        next_index=1, next_state={"cursor": "c1"}, fetched=2, kept=1, done=False
    )
    (run_dir / "run.json").write_text(json.dumps(state))
    report = search(review, client=client(), env=ENV)
    assert report.results[0].fetched == 6
    ids = [r.id for r in load_records(review)]
    assert len(ids) == len(set(ids)) == 3


@responses.activate
def test_completed_run_is_not_fetched_again_unless_refresh(tmp_path):
    review = make_review(tmp_path)
    calls: list[str] = []
    serve_openalex(calls=calls)
    search(review, client=client(), env=ENV)
    assert len(calls) == 3
    report = search(review, client=client(), env=ENV)
    assert len(calls) == 3 and "not fetched again" in report.results[0].note
    assert report.results[0].fetched == 6
    search(review, client=client(), env=ENV, refresh=True)
    assert len(calls) == 6 and len(runs(review, "openalex")) == 2
    assert len(search_log(review)) == 2


@responses.activate
def test_offline_rebuilds_every_record_from_the_archive(tmp_path):
    review = make_review(tmp_path)
    serve_openalex()
    search(review, client=client(), env=ENV)
    before = [r.to_dict() for r in load_records(review)]
    review.store.records_file.unlink()
    responses.reset()  # any request would now fail
    report = search(review, client=client(), env=ENV, offline=True)
    assert report.results[0].status == "ok" and report.results[0].kept == 3
    assert [r.to_dict() for r in load_records(review)] == before
    assert len(responses.calls) == 0


@responses.activate
def test_failed_source_keeps_what_was_fetched_and_exits_non_zero(tmp_path):
    review = make_review(tmp_path, sources='["openalex", "crossref"]')

    def callback(request):
        cursor = parse_qs(urlsplit(request.url).query)["cursor"][0]
        if cursor == "c1":
            return 400, {}, json.dumps({"error": "Invalid query", "message": "bad cursor"})
        return 200, {}, json.dumps(page_body(cursor))

    responses.add_callback(responses.GET, WORKS, callback=callback)
    item = {"DOI": "10.1234/cr1", "title": ["MLOps at scale"], "type": "journal-article"}
    item["issued"] = {"date-parts": [[2021]]}
    item["language"] = "en"
    body = {"message": {"total-results": 1, "items": [item], "next-cursor": "x"}}
    responses.add(responses.GET, "https://api.crossref.org/works", json=body)
    report = search(review, client=client(), env=ENV)
    by = {r.source: r for r in report.results}
    assert by["openalex"].status.startswith("failed: openalex: HTTP 400: bad cursor")
    assert by["crossref"].status == "ok" and by["crossref"].kept == 1
    assert report.exit_code == 1
    ids = {r.id for r in load_records(review)}
    assert "openalex:W1" in ids and "crossref:10.1234/cr1" in ids
    assert [e["status"][:6] for e in search_log(review) if e["source"] == "openalex"] == ["failed"]


@responses.activate
def test_keys_never_reach_records_logs_raw_files_or_errors(tmp_path):
    review = make_review(tmp_path)
    serve_openalex()
    search(review, client=client(), env=ENV)
    responses.reset()
    responses.add(responses.GET, WORKS, json={"error": f"bad key {KEY}"}, status=401)
    report = search(review, client=client(), env=ENV, refresh=True)
    assert "OPENALEX_API_KEY" in report.results[0].status
    assert KEY not in report.results[0].status and KEY not in format_table(report)
    files = [p for p in review.store.root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" and "raw" in p.parts for p in files)
    for path in files:
        assert KEY not in path.read_text("utf-8", errors="replace"), path


@responses.activate
def test_enrich_fills_abstracts_from_openalex_by_doi(tmp_path):
    review = make_review(tmp_path, sources='["crossref"]')
    item = {"DOI": "10.1234/cr2", "title": ["A pipeline study"], "type": "journal-article"}
    item["issued"] = {"date-parts": [[2021]]}
    body = {"message": {"total-results": 1, "items": [item], "next-cursor": "x"}}
    responses.add(responses.GET, "https://api.crossref.org/works", json=body)
    found = work(77, "A pipeline study", "how mlops pipelines fail")
    responses.add(responses.GET, f"{WORKS}/doi:10.1234/cr2", json=found)
    report = search(review, client=client(), env=ENV, enrich=True)
    assert report.enriched == 1
    (rec,) = load_records(review)
    assert rec.abstract == "how mlops pipelines fail" and rec.language == "en"
    assert rec.extra["enriched"] == {
        "from": "openalex",
        "id": "W77",
        "fields": ["abstract", "language"],
    }
    assert rec.extra["filter"] == "match" and "undecidable" not in rec.extra
    # enrichment responses are archived and reused: no second request
    n = len(responses.calls)
    assert search(review, client=client(), env=ENV, enrich=True).enriched == 0
    assert len(responses.calls) == n


def test_log_formats(tmp_path):
    entries = [
        {
            "date": "2024-05-01",
            "source": "openalex",
            "database": "OpenAlex",
            "query": "a | b",
            "filters": {"api": {"language": "en"}},
            "reported_total": 3,
            "fetched": 3,
            "kept": 2,
            "caps": [],
            "status": "ok",
            "notes": ["n1", "n2"],
            "run_id": "r1",
        },
    ]
    csv_text = format_log(entries, "csv")
    assert csv_text.splitlines()[0].startswith("date,source,database,interface,query")
    assert "openalex" in csv_text and "n1, n2" in csv_text
    md = format_log(entries, "markdown")
    assert md.splitlines()[0].startswith("| date | source") and "a \\| b" in md
    assert "reported_total 3" in " ".join(format_log(entries).split())


def test_cli_without_keys_fails_cleanly_per_source(tmp_path, monkeypatch):
    make_review(tmp_path, sources='["openalex", "semanticscholar", "google-scholar"]')
    monkeypatch.chdir(tmp_path)
    for var in ("OPENALEX_API_KEY", "SEMANTIC_SCHOLAR_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SLR_SEMANTICSCHOLAR_URL", "http://nonexistent.invalid")
    result = CliRunner().invoke(main, ["search", "-p", "protocols/mlops.toml", "--quiet"])
    assert result.exit_code == 1
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )
    assert "skipped: set OPENALEX_API_KEY" in result.output
    assert "semanticscholar" in result.output and "failed:" in result.output
    assert "manual: import a Publish or Perish" in result.output
    log = CliRunner().invoke(
        main, ["search", "-p", "protocols/mlops.toml", "--log", "--format", "csv"]
    )
    assert log.exit_code == 0 and log.output.startswith("date,source")
