"""Snowballing: OpenAlex rounds, de-duplication against the review, decisions carried over,
two rounds in a row, resume after a kill, offline replay, saturation, the CLI and status.

The seeds and cited-by pages are real recorded OpenAlex responses (../shared, GPL: read there
and skipped when absent); the pages resolving referenced ids are constructed, with some ids
left out on purpose, since no recorded answer to those batches exists.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from click.testing import CliRunner

from slr import snowball as sb
from slr.cli import main
from slr.corpus import add_records, load_records, search_log
from slr.decisions import Decision, record_decision
from slr.http import Client
from slr.records import Record
from slr.review import Review, open_review
from slr.screen.state import final_decisions, stage_states
from slr.snowball import dedupe, rounds, run_round
from slr.status import format_status, status
from slr.works import load_works

SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "api"
LOCAL = Path(__file__).resolve().parent / "fixtures" / "api"
KEY = "OA-KEY-5e4d3c2b1a09"
ENV = {"OPENALEX_API_KEY": KEY}
OPENALEX = "https://api.openalex.org/works"
S2 = "https://api.semanticscholar.org/graph/v1"
CROSSREF = "https://api.crossref.org/works"

PROTOCOL = """
[review]
id = "snow"
title = "Snowballing test review"
reviewers = ["reviewer1"]

[search]
query = 'MLOps OR "machine learning operations"'
sources = ["openalex", "semanticscholar", "crossref"]
years = [1980, 2023]
languages = ["en"]
types = ["article", "review", "conference-paper"]

[[criteria.inclusion]]
id = "IC1"
text = "Research articles and conference papers"
require = { types = ["article", "review", "conference-paper"] }

[[criteria.exclusion]]
id = "EC1"
text = "Not published in English"
require = { languages = ["en"] }

[[criteria.exclusion]]
id = "EC2"
text = "No relevance to the research question"
"""


def shared(*parts: str) -> Path:
    """A recorded response from ../shared (GPL files are read there, never copied)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared is absent: {path}")
    return path


def local(*parts: str) -> Path:
    return LOCAL.joinpath(*parts)


class FakeTime:
    """A clock that only moves when slr sleeps: pacing takes no wall time."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def client() -> Client:
    ft = FakeTime()
    return Client(mailto="me@example.org", clock=ft.clock, sleep=ft.sleep, rng=lambda: 0.5)


def make_review(tmp_path: Path) -> Review:
    path = tmp_path / "protocols" / "snow.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PROTOCOL)
    return open_review(path, tmp_path / "corpus" / "snow")


def include(review: Review, *work_ids: str, stages=("title-abstract", "full-text")) -> None:
    for wid in work_ids:
        for stage in stages:
            record_decision(review, Decision("reviewer1", stage, wid, "include"))


def exclude(review: Review, work_id: str, criterion: str = "EC2") -> None:
    record_decision(
        review, Decision("reviewer1", "title-abstract", work_id, "exclude", (criterion,))
    )


def seeded(tmp_path: Path, *records: Record) -> Review:
    """A review whose records are de-duplicated and all included at both stages."""
    review = make_review(tmp_path)
    add_records(review, records)
    dedupe(review)
    include(review, *(r.id for r in records))
    return review


def query(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def oa_work(wid: str, year: int = 2020, **kw) -> dict:
    """A minimal OpenAlex work object (the shape the API returns), for constructed pages."""
    return {
        "id": f"https://openalex.org/{wid}",
        "display_name": kw.get("title", f"Referenced study {wid} on machine learning operations"),
        "title": kw.get("title", f"Referenced study {wid} on machine learning operations"),
        "doi": f"https://doi.org/{kw['doi']}" if kw.get("doi") else None,
        "publication_year": year,
        "type": kw.get("type", "article"),
        "language": kw.get("language", "en"),
        "referenced_works": [f"https://openalex.org/{w}" for w in kw.get("refs", ())],
    }


def json_response(body, status: int = 200):
    text = body if isinstance(body, str | bytes) else json.dumps(body)
    return status, {"Content-Type": "application/json"}, text


# ---------------------------------------------------------------- OpenAlex serving helpers

SEED = "W2162348455"  # 'Biodiversity hotspots for conservation priorities', 230 referenced_works
MISSING_EVERY = 40  # every 40th referenced id is not answered: OpenAlex lost or merged it


def seed_body() -> bytes:
    return shared("openalex", "openalexpro_work_W2162348455.body.json").read_bytes()


def referenced_ids() -> list[str]:
    return [w.rsplit("/", 1)[-1] for w in json.loads(seed_body())["referenced_works"]]


def old_year(k: int) -> bool:
    """Every 7th referenced work is from 1975, outside the protocol's years."""
    return k % 7 == 0


def serve_seed():
    """The seed's own work: its referenced_works (backward) and cited_by_count (forward)."""
    responses.add(
        responses.GET,
        f"{OPENALEX}/{SEED}",
        body=seed_body(),
        content_type="application/json",
    )


def serve_openalex(batches=None, fail_at=None, extra_works=(), doi_of=None):
    """Seed work, `openalex:` batches (constructed answers) and any extra single works."""
    serve_seed()
    ids = referenced_ids()
    position = {w: k for k, w in enumerate(ids)}
    doi_of = doi_of or {}

    def batch(request):
        wanted = query(request)["filter"].removeprefix("openalex:").split("|")
        if batches is not None:
            batches.append(wanted)
        if fail_at is not None and len(batches or []) == fail_at:
            raise KeyboardInterrupt  # the process is killed while this page is fetched
        results = [
            oa_work(w, 1975 if old_year(position.get(w, 1)) else 2001, doi=doi_of.get(w))
            for w in wanted
            if position.get(w, 1) % MISSING_EVERY != MISSING_EVERY - 1
        ]
        return json_response({"meta": {"count": len(results)}, "results": results})

    responses.add_callback(
        responses.GET,
        OPENALEX,
        callback=batch,
        match=[responses.matchers.query_param_matcher({"per-page": "100"}, strict_match=False)],
    )
    for work in extra_works:
        wid = work["id"].rsplit("/", 1)[-1]
        responses.add(responses.GET, f"{OPENALEX}/{wid}", json=work)


def seed_review(tmp_path: Path, *extra: Record) -> Review:
    seed = Record(
        "openalex",
        SEED,
        "Biodiversity hotspots for conservation priorities",
        year=2000,
        doi="10.1038/35002501",
        type="article",
        language="en",
    )
    return seeded(tmp_path, seed, *extra)


def expected_split() -> tuple[int, int, int]:
    """(found, resolved, unresolved) the constructed batches give for the 230 ids."""
    ids = referenced_ids()
    lost = sum(1 for k in range(len(ids)) if k % MISSING_EVERY == MISSING_EVERY - 1)
    return len(ids), len(ids) - lost, lost


# ---------------------------------------------------------------- OpenAlex backward


@responses.activate
def test_backward_resolves_230_referenced_works_in_batches_and_lists_the_lost(tmp_path):
    review = seed_review(tmp_path)
    batches: list[list[str]] = []
    serve_openalex(batches)
    report = run_round(review, direction="backward", client=client(), env=ENV)

    seed_call = responses.calls[0].request
    assert urlsplit(seed_call.url).path == f"/works/{SEED}"
    assert query(seed_call)["api_key"] == KEY and query(seed_call)["mailto"] == "me@example.org"
    ids = referenced_ids()
    assert len(ids) == 230 and [len(b) for b in batches] == [100, 100, 30]
    assert [w for b in batches for w in b] == ids  # every referenced id asked, in order

    found, resolved, lost = expected_split()
    c = report.directions["backward"]
    assert (c.seeds, c.found, c.resolved, c.unresolved) == (1, found, resolved, lost)
    assert c.new_records == resolved and c.new_works == resolved
    # auto-screening: the 1975 works fail the year range, the rest wait for a human
    old = sum(1 for k in range(230) if old_year(k) and k % MISSING_EVERY != MISSING_EVERY - 1)
    assert c.auto_excluded == old and c.to_screen == resolved - old

    listed = {row["reference"] for row in report.unresolved}
    assert listed == {ids[k] for k in range(230) if k % MISSING_EVERY == MISSING_EVERY - 1}
    assert all(row["reason"] == "not found in OpenAlex" for row in report.unresolved)
    csv_rows = report.unresolved_file.read_text().splitlines()
    assert csv_rows[0] == "seed,direction,reference,doi,reason" and len(csv_rows) == lost + 1

    cand = {r.id: r for r in load_records(review) if r.extra.get("method") == "citation"}
    assert len(cand) == resolved
    one = cand[f"openalex:{ids[1]}"]
    assert one.extra["round"] == 1 and one.extra["direction"] == "backward"
    assert one.extra["seed"] == f"openalex:{SEED}" and one.extra["via"] == "openalex"
    body, index = one.raw.split("#")
    assert body == "raw/openalex/snowball-01/backward-openalex_W2162348455-b0000.json"
    assert json.loads((review.store.root / body).read_text())["results"][int(index)]["id"].endswith(
        ids[1]
    )

    (row,) = [e for e in search_log(review) if e["kind"] == "citation"]
    assert (row["round"], row["direction"], row["via"], row["source"]) == (
        1,
        "backward",
        "openalex",
        "openalex",
    )
    assert (row["found"], row["resolved"], row["unresolved"]) == (found, resolved, lost)
    assert (row["new_records"], row["new_works"], row["reported_total"]) == (
        resolved,
        resolved,
        230,
    )
    assert KEY not in (review.store.root / "searchlog.jsonl").read_text()
    meta = json.loads(
        (
            review.store.raw / "openalex" / "snowball-01" / "seed-openalex_W2162348455.meta.json"
        ).read_text()
    )
    assert meta["params"]["api_key"] == "REDACTED"


@responses.activate
def test_forward_pages_the_cited_by_cursor_to_its_end(tmp_path):
    review = seed_review(tmp_path)
    page1 = shared("openalex", "openalexpro_works_filter_cursor_page1.body.json").read_bytes()
    page2 = shared("openalex", "openalexpro_works_filter_cursor_page2_final.body.json").read_bytes()
    cursor = json.loads(page1)["meta"]["next_cursor"]
    sent = []

    def pages(request):
        params = query(request)
        sent.append((params["filter"], params["cursor"], params["per-page"], params["sort"]))
        return json_response(page1 if params["cursor"] == "*" else page2)

    serve_seed()
    responses.add_callback(responses.GET, OPENALEX, callback=pages)
    report = run_round(review, direction="forward", client=client(), env=ENV)
    order = "cited_by_count:desc"
    assert sent == [(f"cites:{SEED}", "*", "200", order), (f"cites:{SEED}", cursor, "200", order)]
    c = report.directions["forward"]
    assert (c.found, c.resolved, c.unresolved, c.reported) == (2, 2, 0, 2)
    got = {r.source_id: r for r in load_records(review) if r.extra.get("direction") == "forward"}
    assert set(got) == {"W3046863325", "W3045921891"}
    assert got["W3045921891"].doi == "10.48550/arxiv.2007.14454"
    assert [e["direction"] for e in search_log(review) if e["kind"] == "citation"] == ["forward"]
    # the arXiv preprint fails IC1 (document type) automatically; the paper waits for a human
    assert got["W3045921891"].type == "preprint"
    assert (c.auto_excluded, c.to_screen, report.status) == (1, 1, "complete")


# ---------------------------------------------------------------- rounds and the review


@responses.activate
def test_candidates_join_existing_works_and_screened_works_keep_their_decisions(tmp_path):
    ids = referenced_ids()
    review = make_review(tmp_path)
    seed = Record(
        "openalex",
        SEED,
        "Biodiversity hotspots for conservation priorities",
        year=2000,
        doi="10.1038/35002501",
        type="article",
        language="en",
    )
    # found by the database search and already excluded: the snowball finds it again
    dup = Record(
        "scopus",
        "2-s2.0-77",
        f"Referenced study {ids[3]} on machine learning operations",
        year=2001,
        doi="10.5555/ref-dup",
        type="article",
        language="en",
    )
    add_records(review, [seed, dup])
    dedupe(review)
    include(review, seed.id)
    exclude(review, dup.id)
    before = {w.work_id for w in load_works(review)}
    serve_openalex(doi_of={ids[3]: "10.5555/ref-dup"})
    report = run_round(review, direction="backward", client=client(), env=ENV)

    _, resolved, _ = expected_split()
    works = {w.work_id: w for w in load_works(review)}
    assert f"openalex:{ids[3]}" in works[dup.id].record_ids  # linked, not a new work
    assert before <= set(works) and len(works) == 2 + resolved - 1
    c = report.directions["backward"]
    assert (c.new_records, c.new_works) == (resolved, resolved - 1)
    final = final_decisions(review, "title-abstract")
    assert final[dup.id].decision == "exclude" and final[dup.id].reviewer == "reviewer1"
    ta = stage_states(review)["title-abstract"]
    queue = {w.work_id for w in ta.pool if w.work_id not in ta.final}
    assert dup.id not in queue and f"openalex:{ids[3]}" not in queue
    assert len(queue) == c.to_screen


@responses.activate
def test_two_rounds_in_a_row_seed_only_new_includes_and_never_duplicate(tmp_path):
    ids = referenced_ids()
    review = seed_review(tmp_path)
    follow = oa_work(ids[1], 2001, refs=[ids[2], "W900000001"])  # ids[2] came in round 1
    serve_openalex(extra_works=[follow])
    first = run_round(review, direction="backward", client=client(), env=ENV)
    include(review, f"openalex:{ids[1]}")
    second = run_round(review, direction="backward", client=client(), env=ENV)

    assert (first.round, second.round) == (1, 2)
    assert second.seeds == [f"openalex:{ids[1]}"]  # the first seed is not snowballed again
    c = second.directions["backward"]
    assert (c.found, c.resolved, c.new_records, c.new_works) == (2, 2, 1, 1)
    rows = [json.loads(line) for line in review.store.records_file.read_text().splitlines()]
    assert len(rows) == len({r["id"] for r in rows})  # found twice, stored once
    by_id = {r["id"]: r for r in rows}
    assert by_id[f"openalex:{ids[2]}"]["extra"]["round"] == 1
    assert by_id["openalex:W900000001"]["extra"]["round"] == 2
    assert by_id["openalex:W900000001"]["extra"]["seed"] == f"openalex:{ids[1]}"
    assert [(e["round"], e["run_id"]) for e in search_log(review) if e["kind"] == "citation"] == [
        (1, "snowball-01"),
        (2, "snowball-02"),
    ]
    assert [p.name for p, _ in rounds(review)] == ["snowball-01", "snowball-02"]
    assert run_round(review, direction="backward", client=client(), env=ENV) is None

    data = status(review).to_dict()
    _, resolved, _ = expected_split()
    assert data["records_from_citation_searching"] == {"1": resolved, "2": 1}
    assert data["records_from_databases"] == 1
    assert f"citation searching {resolved + 1} (round 1: {resolved}, round 2: 1)" in format_status(
        status(review)
    )


@responses.activate
def test_a_round_killed_mid_fetch_resumes_at_the_next_batch_without_duplicates(tmp_path):
    reference = seed_review(tmp_path / "ref")
    serve_openalex()
    run_round(reference, direction="backward", client=client(), env=ENV)
    expected = sorted(r.id for r in load_records(reference))
    responses.reset()

    review = seed_review(tmp_path / "run")
    batches: list[list[str]] = []
    serve_openalex(batches, fail_at=2)  # killed while the second batch is fetched
    with pytest.raises(KeyboardInterrupt):
        run_round(review, direction="backward", client=client(), env=ENV)
    ((folder, state),) = rounds(review)
    task = state["tasks"][f"backward|openalex:{SEED}"]
    assert state["status"] == "running" and task["state"] == {"step": 1} and not task["done"]
    stored = len(load_records(review))
    assert 1 < stored < len(expected)
    assert not [e for e in search_log(review) if e["kind"] == "citation"]

    responses.reset()
    batches.clear()
    serve_openalex(batches)
    report = run_round(review, direction="backward", client=client(), env=ENV)
    paths = [urlsplit(c.request.url).path for c in responses.calls]
    assert paths == ["/works", "/works"]  # seed read back from the archive, batch 1 not re-sent
    assert [len(b) for b in batches] == [100, 30]
    assert report.round == 1 and sorted(r.id for r in load_records(review)) == expected
    lines = review.store.records_file.read_text().splitlines()
    assert len(lines) == len(expected)
    found, resolved, lost = expected_split()
    c = report.directions["backward"]
    assert (c.found, c.resolved, c.unresolved, c.new_records) == (found, resolved, lost, resolved)
    assert len([e for e in search_log(review) if e["kind"] == "citation"]) == 1


@responses.activate
def test_a_round_killed_after_fetching_finishes_without_network_and_logs_once(
    tmp_path, monkeypatch
):
    review = seed_review(tmp_path)
    serve_openalex()
    real = sb.run.auto_screen  # the round module looks it up

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sb.run, "auto_screen", killed)
    with pytest.raises(KeyboardInterrupt):
        run_round(review, direction="backward", client=client(), env=ENV)
    assert rounds(review)[0][1]["status"] == "fetched"
    monkeypatch.setattr(sb.run, "auto_screen", real)
    responses.reset()  # any request now fails
    report = run_round(review, direction="backward", client=client(), env=ENV)
    assert report.status == "complete" and report.directions["backward"].found == 230
    assert len([e for e in search_log(review) if e["kind"] == "citation"]) == 1


@responses.activate
def test_an_interrupted_round_must_be_finished_with_its_own_options(tmp_path):
    review = seed_review(tmp_path)
    serve_openalex([], fail_at=1)
    with pytest.raises(KeyboardInterrupt):
        run_round(review, direction="backward", client=client(), env=ENV)
    with pytest.raises(sb.SnowballError, match=r"round 1 \(openalex, backward\) was interrupted"):
        run_round(review, direction="forward", client=client(), env=ENV)


def forward_pages():
    serve_seed()
    page1 = shared("openalex", "openalexpro_works_filter_cursor_page1.body.json").read_bytes()
    page2 = shared("openalex", "openalexpro_works_filter_cursor_page2_final.body.json").read_bytes()
    for work in json.loads(page1)["results"]:  # the citing works, looked up as later seeds
        responses.add(responses.GET, f"{OPENALEX}/{work['id'].rsplit('/', 1)[-1]}", json=work)

    def pages(request):
        params = query(request)
        if params["filter"] != f"cites:{SEED}":
            return json_response(page2)  # the new seeds are not cited yet
        return json_response(page1 if params["cursor"] == "*" else page2)

    responses.add_callback(responses.GET, OPENALEX, callback=pages)


@responses.activate
def test_offline_replay_rebuilds_the_citation_records_from_the_archive(tmp_path):
    review = seed_review(tmp_path)
    forward_pages()
    run_round(review, direction="forward", client=client(), env=ENV)
    before = [r.to_dict() for r in load_records(review)]
    kept = [r for r in before if r.get("extra", {}).get("method") != "citation"]
    review.store.records_file.write_text("".join(json.dumps(r) + "\n" for r in kept))
    responses.reset()  # no network: every request would fail
    reports = sb.replay(review)
    assert [r.round for r in reports] == [1] and reports[0].directions["forward"].found == 2
    after = [r.to_dict() for r in load_records(review)]
    assert sorted(after, key=lambda r: r["id"]) == sorted(before, key=lambda r: r["id"])
    assert len(responses.calls) == 0


@responses.activate
def test_until_saturation_pauses_for_screening_then_stops_when_nothing_new_is_included(tmp_path):
    review = seed_review(tmp_path)
    forward_pages()
    paused = sb.until_saturation(review, direction="forward", client=client(), env=ENV)
    assert paused.status == "paused" and [r.round for r in paused.rounds] == [1]
    assert paused.pending == {"title-abstract": 1, "full-text": 0}
    assert "1 work(s) at title-abstract: slr screen --stage title-abstract" in sb.format_pending(
        paused.pending
    )
    asked = []

    def screen(todo):  # the user screens in another terminal, then confirms
        asked.append(dict(todo))
        stage = "title-abstract" if todo["title-abstract"] else "full-text"
        record_decision(review, Decision("reviewer1", stage, "openalex:W3046863325", "include"))
        return True

    done = sb.until_saturation(review, direction="forward", client=client(), env=ENV, wait=screen)
    assert asked == [{"title-abstract": 1, "full-text": 0}, {"title-abstract": 0, "full-text": 1}]
    assert done.status == "saturated" and [r.round for r in done.rounds] == [2]
    assert done.rounds[0].seeds == ["openalex:W3046863325"] and done.rounds[0].new_works == 0
    assert done.last_round == 2


@responses.activate
def test_cli_round_offline_replay_status_and_saturation_pause(tmp_path, monkeypatch):
    review = seed_review(tmp_path)
    proto = str(review.protocol.path)
    monkeypatch.setenv("OPENALEX_API_KEY", KEY)
    monkeypatch.setenv("SLR_MAILTO", "me@example.org")
    forward_pages()
    run = CliRunner().invoke(main, ["snowball", "-p", proto, "--direction", "forward", "--quiet"])
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    assert lines[0] == ("round 1 via openalex from the studies included at full-text: 1 seed(s)")
    assert lines[1].split() == [
        "direction", "seeds", "found", "resolved", "unresolved", "new", "records", "new", "works",
        "to", "screen",
    ]  # fmt: skip
    assert lines[2].split() == ["forward", "1", "2", "2", "0", "2", "2", "1"]
    assert "1 work(s) at title-abstract: slr screen --stage title-abstract" in run.output

    again = CliRunner().invoke(main, ["snowball", "-p", proto, "--direction", "forward"])
    assert again.exit_code == 0 and "already snowballed forward via openalex" in again.output

    calls = len(responses.calls)
    offline = CliRunner().invoke(main, ["snowball", "-p", proto, "--offline", "--quiet"])
    assert offline.exit_code == 0 and offline.output.startswith("round 1 via openalex")
    assert len(responses.calls) == calls

    shown = CliRunner().invoke(main, ["status", "-p", proto])
    assert "by method: databases and imports 1, citation searching 2 (round 1: 2)" in shown.output

    paused = CliRunner().invoke(
        main, ["snowball", "-p", proto, "--direction", "forward", "--until-saturation"]
    )
    assert paused.exit_code == 0
    assert "screen next:\n  1 work(s) at title-abstract" in paused.output
    assert "run `slr snowball --until-saturation` again" in paused.output
