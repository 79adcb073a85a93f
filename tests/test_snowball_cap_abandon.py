"""Snowballing: the per-seed cap on forward citations (`--max-per-seed`) and dropping an
interrupted round (`--abandon`).

Recorded responses only: the OpenAlex seed W2162348455 (230 references, cited_by_count
30,625) and its cited-by page are GPL files read from ../shared (skipped when absent); the
19 recorded pages of Semantic Scholar /citations (1,881 citing works) come from an MIT
cassette, also read from ../shared. The `openalex:` batch answers are the constructed
ones of tests/test_snowball.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import responses
from click.testing import CliRunner
from test_snowball import (
    ENV,
    KEY,
    OPENALEX,
    S2,
    SEED,
    client,
    expected_split,
    forward_pages,
    json_response,
    query,
    seed_review,
    seeded,
    serve_openalex,
    serve_seed,
    shared,
)
from test_snowball_sources import citation_pages

from slr import snowball as sb
from slr.cli import main
from slr.corpus import load_records, search_log
from slr.records import Record
from slr.snowball import rounds, run_round
from slr.status import format_status, status

CORPUS_ID = "CorpusID:14514057"  # 1,881 citing works in 19 recorded pages of 100


# ---------------------------------------------------------------- the cap


def serve_cited_by_page():
    """The recorded `cites:` page (2 works and a cursor) for every cited-by request."""
    page1 = shared("openalex", "openalexpro_works_filter_cursor_page1.body.json").read_bytes()
    sent = []

    def pages(request):
        sent.append(query(request))
        return json_response(page1)

    responses.add_callback(responses.GET, OPENALEX, callback=pages)
    return sent


def forward_row(review):
    (row,) = [e for e in search_log(review) if e["kind"] == "citation"]
    assert row["direction"] == "forward"
    return row


@responses.activate
def test_openalex_cap_stops_paging_keeps_most_cited_and_logs_30625_against_fetched(tmp_path):
    assert (
        json.loads(shared("openalex", "openalexpro_work_W2162348455.body.json").read_bytes())[
            "cited_by_count"
        ]
        == 30625
    )
    review = seed_review(tmp_path)
    serve_seed()
    sent = serve_cited_by_page()
    report = run_round(review, direction="forward", client=client(), env=ENV, max_per_seed=1)

    # the seed, then one page asking for exactly what is left under the cap, most-cited first
    assert len(responses.calls) == 2
    assert [(q["filter"], q["per-page"], q["sort"]) for q in sent] == [
        (f"cites:{SEED}", "1", "cited_by_count:desc")
    ]
    c = report.directions["forward"]
    assert (c.found, c.new_records, c.cap) == (1, 1, 1)
    assert c.capped == [{"seed": f"openalex:{SEED}", "citing": 30625, "fetched": 1}]
    first = json.loads(
        shared("openalex", "openalexpro_works_filter_cursor_page1.body.json").read_bytes()
    )["results"][0]["id"]
    (rec,) = [r for r in load_records(review) if r.extra.get("method") == "citation"]
    assert rec.source_id == first.rsplit("/", 1)[-1]  # the API's first (most-cited) work

    row = forward_row(review)
    assert row["max_per_seed"] == 1
    assert row["caps"] == [{"cap": 1, "seed": f"openalex:{SEED}", "citing": 30625, "fetched": 1}]
    assert "most-cited first" in row["order"]
    assert any("1 of 1 seed(s) reached the cap" in n for n in row["notes"])
    assert f"cap hit: openalex:{SEED} has 30,625 citing works; 1 fetched" in " ".join(row["notes"])
    table = sb.format_round(report)
    assert f"note: cap hit: openalex:{SEED} has 30,625 citing works; 1 fetched" in table
    assert sb.caps_hit(review) == [
        "snowball round 1 forward: cap of 1 citing works per seed hit for 1 seed(s); "
        "see the search log"
    ]
    assert "note: snowball round 1 forward: cap of 1" in format_status(status(review))


@responses.activate
def test_the_cap_is_logged_when_no_seed_reaches_it(tmp_path):
    review = seed_review(tmp_path)
    forward_pages()  # 2 citing works in two recorded pages: far below the default cap
    report = run_round(review, direction="forward", client=client(), env=ENV)
    row = forward_row(review)
    assert (row["max_per_seed"], row["caps"], row["fetched"]) == (sb.MAX_PER_SEED, [], 2)
    assert sb.MAX_PER_SEED == 1000
    assert any("at most 1000 citing works per seed" in n and "no seed reached" in n
               for n in row["notes"])  # fmt: skip
    assert "cap" not in sb.format_round(report)  # the end table speaks only of a cap that cut


def s2_review(tmp_path: Path):
    seed = Record(
        "semanticscholar", CORPUS_ID, "Microcredit in theory", year=2010, type="article",
        language="en",
    )  # fmt: skip
    return seeded(tmp_path, seed)


def serve_s2_citations(asked, kill_at=None):
    """The 19 recorded /citations pages by offset; a page answers with its recorded 100
    works whatever `limit` asked (a server may send more than asked)."""
    pages = citation_pages()

    def citations(request):
        params = query(request)
        asked.append((int(params["offset"]), int(params["limit"])))
        if int(params["offset"]) == kill_at:
            raise KeyboardInterrupt
        return json_response(pages[int(params["offset"])])

    match = re.compile(re.escape(f"{S2}/paper/search/match") + r"\?.*")
    responses.add(responses.GET, match, status=404, json={"error": "Title match not found"})
    path = re.escape(f"{S2}/paper/{CORPUS_ID}/citations")
    responses.add_callback(responses.GET, re.compile(path + r"\?.*"), callback=citations)
    return pages


@responses.activate
def test_default_cap_stops_the_1881_citation_seed_after_1000(tmp_path):
    review = s2_review(tmp_path)
    asked: list[tuple[int, int]] = []
    serve_s2_citations(asked)
    report = run_round(review, direction="forward", via="semanticscholar", client=client(), env={})
    # 10 of the 19 pages: paging stops once 1,000 are fetched
    assert [o for o, _ in asked] == list(range(0, 1000, 100))
    assert asked[0] == (0, 500) and asked[-1] == (900, 100)  # never asks past the cap
    c = report.directions["forward"]
    assert (c.found, c.cap) == (1000, 1000)
    assert c.capped == [{"seed": f"semanticscholar:{CORPUS_ID}", "citing": None, "fetched": 1000}]
    row = forward_row(review)
    assert row["caps"][0]["citing"] is None  # /citations reports no total: not guessed
    assert "own order" in row["order"]
    assert "more citing works (the API reports no total); 1,000 fetched" in " ".join(row["notes"])


@responses.activate
def test_a_capped_round_resumes_with_its_own_cap_and_cuts_the_last_page(tmp_path):
    review = s2_review(tmp_path)
    asked: list[tuple[int, int]] = []
    pages = serve_s2_citations(asked, kill_at=100)
    with pytest.raises(KeyboardInterrupt):
        run_round(
            review, direction="forward", via="semanticscholar", client=client(), env={},
            max_per_seed=250,
        )  # fmt: skip
    assert rounds(review)[0][1]["max_per_seed"] == 250
    with pytest.raises(sb.SnowballError, match="started with --max-per-seed 250"):
        run_round(
            review, direction="forward", via="semanticscholar", client=client(), env={},
            max_per_seed=100,
        )  # fmt: skip
    responses.reset()
    asked.clear()
    serve_s2_citations(asked)
    report = run_round(review, direction="forward", via="semanticscholar", client=client(), env={})
    assert asked == [(100, 150), (200, 50)]  # resumed under the round's cap
    assert report.directions["forward"].found == 250
    citing = [x["citingPaper"] for o in (0, 100, 200) for x in json.loads(pages[o])["data"]][:250]
    got = {r.source_id for r in load_records(review) if r.extra.get("method") == "citation"}
    assert got == {p["paperId"] for p in citing if p["paperId"]}  # the API's first 250


def test_cli_max_per_seed_rejects_words_it_does_not_know(tmp_path):
    review = seed_review(tmp_path)
    result = CliRunner().invoke(
        main, ["snowball", "-p", str(review.protocol.path), "--max-per-seed", "lots"]
    )
    assert result.exit_code == 2 and "use a number of citing works, or 0 / all" in result.output


@responses.activate
def test_cli_progress_on_stderr_quiet_silences_it_and_summary_says_the_cap(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENALEX_API_KEY", KEY)
    review = seed_review(tmp_path / "a")
    serve_seed()
    serve_cited_by_page()
    proto = str(review.protocol.path)
    run = CliRunner().invoke(
        main, ["snowball", "-p", proto, "--direction", "forward", "--max-per-seed", "1"]
    )
    assert run.exit_code == 0, run.output
    assert run.stderr.splitlines() == [
        f"snowball round 1 (openalex) 1/1: forward openalex:{SEED}: 1 fetched of 1 (cap; "
        "30625 citing)"
    ]
    assert f"note: cap hit: openalex:{SEED} has 30,625 citing works; 1 fetched" in run.stdout

    responses.reset()
    forward_pages()  # the recorded cursor pages to their end
    quiet = seed_review(tmp_path / "b")
    run = CliRunner().invoke(
        main,
        ["snowball", "-p", str(quiet.protocol.path), "--direction", "forward",
         "--max-per-seed", "all", "--quiet"],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    assert run.stderr == ""
    assert rounds(quiet)[0][1]["max_per_seed"] is None  # "all": no cap


# ---------------------------------------------------------------- abandon


def snapshot(review) -> dict[str, bytes]:
    """Every file of the review, by path."""
    root = review.store.root
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def completed_then_killed(tmp_path, monkeypatch=None, after_log=False):
    """Round 1 (forward) completes; round 2 (backward) is killed: mid-fetch, or after it
    was de-duplicated, auto-screened and logged (`after_log`)."""
    review = seed_review(tmp_path)
    forward_pages()
    run_round(review, direction="forward", client=client(), env=ENV)
    before = snapshot(review)
    responses.reset()
    if after_log:
        serve_openalex()
        real = sb.run.log_round

        def killed(*args, **kwargs):
            real(*args, **kwargs)
            raise KeyboardInterrupt

        monkeypatch.setattr(sb.run, "log_round", killed)
    else:
        serve_openalex([], fail_at=2)  # killed while the second batch is fetched
    with pytest.raises(KeyboardInterrupt):
        run_round(review, direction="backward", client=client(), env=ENV)
    if monkeypatch is not None:
        monkeypatch.undo()
    assert [s["status"] for _, s in rounds(review)] == [
        "complete",
        "fetched" if after_log else "running",
    ]
    return review, before


@responses.activate
def test_abandon_mid_fetch_leaves_the_review_as_before_the_round(tmp_path):
    review, before = completed_then_killed(tmp_path)
    assert len(load_records(review)) > 3  # the half round stored 100 records
    lines = sb.abandon(review)

    assert lines[0].startswith("abandoned round 2 via openalex (backward, started ")
    assert lines[0].endswith("0 of 1 seed task(s) had finished")
    assert lines[1:] == [
        "records: dropped 98 record(s) the round had added to records.jsonl",
        "works: none to drop (the round had not been de-duplicated)",
        "search log: nothing to drop (the round had not been logged)",
        "raw responses: deleted 2 archived response(s) and raw/openalex/snowball-02/",
        "kept: completed round(s) 1 untouched",
    ]
    assert snapshot(review) == before  # byte for byte, round 1's raw files included
    assert [p.name for p, _ in rounds(review)] == ["snowball-01"]

    responses.reset()
    serve_openalex()
    report = run_round(review, direction="backward", client=client(), env=ENV)
    found, resolved, _ = expected_split()
    assert report.round == 2 and report.directions["backward"].found == found
    assert [e["round"] for e in search_log(review) if e["kind"] == "citation"] == [1, 2]
    assert report.directions["backward"].new_records == resolved


@responses.activate
def test_abandon_after_dedupe_and_logging_drops_works_rows_and_the_unresolved_list(
    tmp_path, monkeypatch
):
    review, before = completed_then_killed(tmp_path, monkeypatch, after_log=True)
    assert len([e for e in search_log(review) if e["kind"] == "citation"]) == 2
    unresolved = review.store.root / "snowball" / "round-02-unresolved.csv"
    assert unresolved.exists()
    found, resolved, _ = expected_split()
    lines = sb.abandon(review)
    assert lines[1:] == [
        f"records: dropped {resolved} record(s) the round had added to records.jsonl",
        f"works: dropped {resolved} candidate work(s) from works.jsonl",
        f"decisions: {sum(1 for k in range(230) if k % 7 == 0 and k % 40 != 39)} screening "
        "decision(s) on those works stay in the decision logs and no longer count",
        "search log: dropped 1 row(s) of round 2",
        "unresolved list: deleted snowball/round-02-unresolved.csv",
        "raw responses: deleted 4 archived response(s) and raw/openalex/snowball-02/",
        "kept: completed round(s) 1 untouched",
    ]
    after = snapshot(review)
    for name in ("records.jsonl", "works.jsonl", "searchlog.jsonl"):
        assert after[name] == before[name], name
    assert not unresolved.exists()
    assert sb.pending(review) == {"title-abstract": 1, "full-text": 0}  # round 1's candidate
    assert (
        (review.store.root / "decisions" / "auto.jsonl")
        .read_bytes()
        .startswith(before["decisions/auto.jsonl"])
    )  # decisions are never deleted


@responses.activate
def test_cli_abandon_is_a_noop_without_an_interrupted_round_and_resume_still_works(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("OPENALEX_API_KEY", KEY)
    review = seed_review(tmp_path)
    proto = str(review.protocol.path)
    nothing = CliRunner().invoke(main, ["snowball", "-p", proto, "--abandon"])
    assert nothing.exit_code == 0
    assert nothing.output == "no snowballing round is interrupted; nothing to abandon\n"

    serve_openalex([], fail_at=2)
    with pytest.raises(KeyboardInterrupt):
        run_round(review, direction="backward", client=client(), env=ENV)
    other = CliRunner().invoke(main, ["snowball", "-p", proto, "--direction", "forward"])
    assert other.exit_code == 1 and "or drop it with `slr snowball --abandon`" in other.output
    both = CliRunner().invoke(main, ["snowball", "-p", proto, "--abandon", "--offline"])
    assert both.exit_code == 1 and both.output.count("\n") == 1
    assert rounds(review)[0][1]["status"] == "running"  # still there, still resumable

    responses.reset()
    serve_openalex()
    resumed = CliRunner().invoke(
        main, ["snowball", "-p", proto, "--direction", "backward", "--quiet"]
    )
    assert resumed.exit_code == 0 and resumed.output.startswith("round 1 via openalex")
    assert [urlsplit(c.request.url).path for c in responses.calls] == ["/works", "/works"]
    again = CliRunner().invoke(main, ["snowball", "-p", proto, "--abandon"])
    assert again.output == "no snowballing round is interrupted; nothing to abandon\n"
    assert len(rounds(review)) == 1


@responses.activate
def test_cli_abandon_says_what_it_dropped_one_line_each(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENALEX_API_KEY", KEY)
    review = seed_review(tmp_path)
    serve_openalex([], fail_at=2)
    with pytest.raises(KeyboardInterrupt):
        run_round(review, direction="backward", client=client(), env=ENV)
    result = CliRunner().invoke(main, ["snowball", "-p", str(review.protocol.path), "--abandon"])
    assert result.exit_code == 0
    out = result.output.splitlines()
    assert out[0].startswith("abandoned round 1 via openalex")
    assert out[1] == "records: dropped 98 record(s) the round had added to records.jsonl"
    assert out[-2:] == [
        "kept: there is no completed round",
        "next: slr snowball (starts a fresh round)",
    ]
    assert not (review.store.raw / "openalex").exists()
    assert [r.id for r in load_records(review)] == [f"openalex:{SEED}"]
