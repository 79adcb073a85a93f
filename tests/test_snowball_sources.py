"""Snowballing through Semantic Scholar and Crossref: paging, `paperId: null` references
resolved by title (or counted and listed), the 70 deposited references of a Crossref work
resolved by DOI and by title, resume after a kill, Crossref's missing forward direction.

The reference, citation and work bodies are real recorded responses (copied MIT files in
tests/fixtures/api, the 19-page citations cassette read from ../shared); the answers of the
look-up endpoints (title match, DOI batches) are constructed from the references themselves,
since no recorded answers exist.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote, urlsplit

import pytest
import responses
from click.testing import CliRunner
from test_snowball import (
    CROSSREF,
    S2,
    client,
    include,
    json_response,
    local,
    make_review,
    query,
    seeded,
    shared,
)

from slr.cli import main
from slr.corpus import load_records, search_log
from slr.records import Record, normalise_doi
from slr.snowball import SnowballError, rounds, run_round
from slr.sources.semanticscholar import FIELDS

S2_DOI = "10.2139/ssrn.2250500"
REFS = [local("semanticscholar", f"s2_paper_references_offset{o}.body.json") for o in (0, 50)]
MATCHED = "What do we know about the impact of microfinance ?"
LOOKALIKE = "Does Gender Matter for Firm Performance? Evidence from Eastern Europe and Central Asia"


def s2_items() -> list[dict]:
    return [x["citedPaper"] for p in REFS for x in json.loads(p.read_text())["data"]]


def serve_s2_references(offsets=None, matches=None, kill_at=None):
    def refs(request):
        offset = int(query(request)["offset"])
        if offsets is not None:
            offsets.append(offset)
        if offset == kill_at:
            raise KeyboardInterrupt
        assert query(request)["fields"] == FIELDS and query(request)["limit"] == "500"
        return json_response(REFS[0 if offset == 0 else 1].read_bytes())

    def match(request):
        title = query(request)["query"]
        if matches is not None:
            matches.append(title)
        if title == MATCHED:  # the real paper, spelled without the stray space
            found = {"paperId": "m1cr0f1nance", "title": MATCHED.replace(" ?", "?"), "year": 2009}
            return json_response({"data": [{**found, "matchScore": 171.2}]})
        if title == LOOKALIKE:  # a different paper with a similar title: must not be taken
            other = "Does Gender Matter for Firm Performance? Evidence from Latin America"
            return json_response({"data": [{"paperId": "0therpaper", "title": other}]})
        return json_response({"error": "Title match not found"}, 404)

    path = re.escape(f"{S2}/paper/DOI:{S2_DOI}/references")
    responses.add_callback(responses.GET, re.compile(path + r"\?.*"), callback=refs)
    responses.add_callback(
        responses.GET, re.compile(re.escape(f"{S2}/paper/search/match") + r"\?.*"), callback=match
    )


def s2_seed(tmp_path):
    seed = Record(
        "crossref",
        S2_DOI,
        "Microcredit impacts: evidence from Bosnia",
        year=2013,
        doi=S2_DOI,
        type="article",
        language="en",
    )
    return seeded(tmp_path, seed)


@responses.activate
def test_semanticscholar_references_page_and_null_entries_are_matched_or_listed(tmp_path):
    review = s2_seed(tmp_path)
    offsets, matches = [], []
    serve_s2_references(offsets, matches)
    report = run_round(review, direction="backward", via="semanticscholar", client=client(), env={})

    items = s2_items()
    nulls = [p["title"] for p in items if not p["paperId"]]
    with_id = {p["paperId"] for p in items if p["paperId"]}
    assert offsets == [0, 50] and len(items) == 67 and len(nulls) == 23
    assert matches == nulls  # every null entry is looked up by its title, once
    c = report.directions["backward"]
    assert (c.found, c.resolved, c.unresolved) == (67, 67 - 23 + 1, 22)
    assert c.new_records == len(with_id) + 1
    listed = [row["reference"] for row in report.unresolved]
    assert MATCHED not in listed and LOOKALIKE in listed and len(listed) == 22
    assert {row["reason"] for row in report.unresolved} == {"paperId null; no title match"}
    got = {r.source_id: r for r in load_records(review) if r.extra.get("method") == "citation"}
    assert got["m1cr0f1nance"].extra["resolved_by"] == "title"
    assert "0therpaper" not in got
    first = items[0]
    assert got[first["paperId"]].title == first["title"]
    assert got[first["paperId"]].raw.endswith(
        "backward-crossref_10.2139_ssrn.2250500-p00000.json#0"
    )
    (row,) = [e for e in search_log(review) if e["kind"] == "citation"]
    assert (row["via"], row["unresolved"], row["resolved"]) == ("semanticscholar", 22, 45)


@responses.activate
def test_semanticscholar_kill_on_the_second_page_resumes_there_and_asks_nothing_twice(tmp_path):
    reference = s2_seed(tmp_path / "ref")
    serve_s2_references()
    run_round(reference, direction="backward", via="semanticscholar", client=client(), env={})
    expected = sorted(r.id for r in load_records(reference))
    responses.reset()

    review = s2_seed(tmp_path / "run")
    offsets, matches = [], []
    serve_s2_references(offsets, matches, kill_at=50)
    with pytest.raises(KeyboardInterrupt):
        run_round(review, direction="backward", via="semanticscholar", client=client(), env={})
    state = rounds(review)[0][1]
    assert next(iter(state["tasks"].values()))["state"] == {"offset": 50, "index": 1, "fetched": 50}
    assert len(matches) == 10  # the ten null entries of page 1 were looked up
    responses.reset()
    offsets.clear()
    matches.clear()
    serve_s2_references(offsets, matches)
    report = run_round(review, direction="backward", via="semanticscholar", client=client(), env={})
    assert offsets == [50] and len(matches) == 13  # only page 2 and its own null entries
    assert sorted(r.id for r in load_records(review)) == expected
    assert report.directions["backward"].found == 67 and len(report.unresolved) == 22


@responses.activate
def test_semanticscholar_null_entry_with_a_doi_is_looked_up_by_doi(tmp_path):
    review = s2_seed(tmp_path)
    paper = json.loads(shared("semanticscholar", "s2_reference_item_full_fields.json").read_text())
    paper = paper["citedPaper"]  # the real paper record the DOI look-up answers with
    doi = "10.48550/arxiv.1402.0030"
    page = {
        "offset": 0,
        "data": [
            {"citedPaper": {"paperId": None, "title": paper["title"], "externalIds": {"DOI": doi}}}
        ],
    }
    path = re.escape(f"{S2}/paper/DOI:{S2_DOI}/references")
    responses.add(responses.GET, re.compile(path + r"\?.*"), json=page)
    responses.add(
        responses.GET, re.compile(re.escape(f"{S2}/paper/DOI:{doi}") + r"\?.*"), json=paper
    )
    report = run_round(review, direction="backward", via="semanticscholar", client=client(), env={})
    assert (report.directions["backward"].resolved, report.unresolved) == (1, [])
    (rec,) = [r for r in load_records(review) if r.extra.get("method") == "citation"]
    assert rec.id == f"semanticscholar:{paper['paperId']}" and rec.extra["resolved_by"] == "doi"
    assert rec.abstract.startswith("Highly expressive directed latent variable models")
    assert len(responses.calls) == 2  # no title match needed


def citation_pages() -> dict[int, str]:
    """The 19 recorded pages of /paper/CorpusID:14514057/citations, by offset."""
    yaml = pytest.importorskip("yaml")
    cassette = yaml.safe_load(
        shared("semanticscholar", "s2_paper_citations_19pages.cassette.yaml").read_text()
    )
    pages = {}
    for interaction in cassette["interactions"]:
        offset = int(re.search(r"offset=(\d+)", interaction["request"]["uri"]).group(1))
        pages[offset] = interaction["response"]["content"]
    return pages


@responses.activate
def test_semanticscholar_forward_follows_next_through_19_citation_pages(tmp_path):
    pages = citation_pages()
    assert json.loads(pages[0]) == json.loads(
        local("semanticscholar", "s2_paper_citations_offset0.body.json").read_text()
    )
    seed = Record(
        "semanticscholar",
        "CorpusID:14514057",
        "Microcredit in theory",
        year=2010,
        type="article",
        language="en",
    )
    review = seeded(tmp_path, seed)
    offsets = []

    def citations(request):
        assert urlsplit(request.url).path == "/graph/v1/paper/CorpusID:14514057/citations"
        offsets.append(int(query(request)["offset"]))
        return json_response(pages[offsets[-1]])

    match = re.compile(re.escape(f"{S2}/paper/search/match") + r"\?.*")
    responses.add(responses.GET, match, status=404, json={"error": "Title match not found"})
    responses.add_callback(
        responses.GET, re.compile(re.escape(S2) + r"/paper/CorpusID.*"), callback=citations
    )
    report = run_round(
        review, direction="forward", via="semanticscholar", client=client(), env={}, max_per_seed=0
    )
    assert offsets == sorted(pages) == list(range(0, 1900, 100))  # no cap: every page
    citing = [x["citingPaper"] for o in sorted(pages) for x in json.loads(pages[o])["data"]]
    c = report.directions["forward"]
    assert (c.found, c.unresolved) == (len(citing), sum(1 for p in citing if not p["paperId"]))
    assert c.new_records == len({p["paperId"] for p in citing if p["paperId"]})


# ---------------------------------------------------------------- Crossref

PLOS = "10.1371/journal.pone.0033693"
LOST_DOIS = 2  # two referenced DOIs Crossref does not answer for (e.g. registered elsewhere)


def plos_refs() -> list[dict]:
    return json.loads(
        local("crossref", "habanero_work_10.1371_journal.pone.0033693.body.json").read_text()
    )["message"]["reference"]


def as_item(ref: dict, doi: str | None = None) -> dict:
    """A Crossref work item built from a deposited reference (what /works would say)."""
    item = {
        "DOI": doi or ref["DOI"],
        "title": [ref["article-title"]],
        "type": "journal-article",
        "issued": {"date-parts": [[int(ref["year"])]]},
        "author": [{"family": ref["author"].split()[-1], "given": ref["author"].split()[0]}],
    }
    if ref.get("journal-title"):
        item["container-title"] = [ref["journal-title"]]
    return item


def serve_crossref(doi_batches=None, title_queries=None):
    refs = plos_refs()
    by_doi = {normalise_doi(r["DOI"]): r for r in refs if r.get("DOI")}
    lost = sorted(by_doi)[:LOST_DOIS]
    work = local("crossref", "habanero_work_10.1371_journal.pone.0033693.body.json").read_bytes()
    responses.add(
        responses.GET,
        f"{CROSSREF}/{PLOS.replace('/', '%2F')}",
        body=work,
        content_type="application/json",
    )

    def works(request):
        params = query(request)
        if "filter" in params:
            dois = [d.removeprefix("doi:") for d in params["filter"].split(",")]
            if doi_batches is not None:
                doi_batches.append(dois)
            assert params["rows"] == str(len(dois))
            items = [as_item(by_doi[d]) for d in dois if d not in lost]
            return json_response(
                {"status": "ok", "message": {"items": items, "total-results": len(items)}}
            )
        text = params["query.bibliographic"]
        if title_queries is not None:
            title_queries.append(text)
        items = []
        if text.startswith("Dopaminergic"):
            ref = next(r for r in refs if r.get("article-title", "").startswith("Dopaminergic"))
            unrelated = {"DOI": "10.1000/unrelated", "title": ["Dopamine and reward learning"]}
            items = [unrelated, as_item(ref, "10.18926/amo/30981")]
        elif text.startswith("Inflammatory"):
            items = [
                {"DOI": "10.1000/other", "title": ["Inflammation in the central nervous system"]}
            ]
        return json_response({"status": "ok", "message": {"items": items}})

    responses.add_callback(responses.GET, CROSSREF, callback=works)
    return lost


@responses.activate
def test_crossref_resolves_70_deposited_references_by_doi_and_by_title(tmp_path):
    seed = Record(
        "scopus",
        "2-s2.0-1",
        "Methylphenidate exposure induces dopamine neuron loss",
        year=2012,
        doi=PLOS,
        type="article",
        language="en",
    )
    review = seeded(tmp_path, seed)
    batches, titles = [], []
    lost = serve_crossref(batches, titles)
    report = run_round(review, direction="backward", via="crossref", client=client(), env={})

    refs = plos_refs()
    assert unquote(urlsplit(responses.calls[0].request.url).path) == f"/works/{PLOS}"
    assert len(refs) == 70 and [len(b) for b in batches] == [50, 15]
    no_doi = [r for r in refs if not r.get("DOI")]
    assert len(no_doi) == 5 and len(titles) == 4  # two references share one title: asked once
    c = report.directions["backward"]
    assert (c.found, c.resolved, c.unresolved) == (70, 65 - LOST_DOIS + 1, LOST_DOIS + 4)
    dois = {row["doi"] for row in report.unresolved if row["doi"]}
    assert dois == set(lost)
    assert {row["reason"] for row in report.unresolved} == {
        "DOI not in Crossref",
        "no DOI; no title match in Crossref",
    }
    got = {r.source_id: r for r in load_records(review) if r.extra.get("method") == "citation"}
    assert got["10.18926/amo/30981"].extra["resolved_by"] == "title"
    assert "10.1000/unrelated" not in got and "10.1000/other" not in got
    assert got["10.1038/sj.npp.1301164"].title == "Stimulants: Therapeutic actions in ADHD."


@responses.activate
def test_crossref_has_no_forward_direction(tmp_path):
    seed = Record(
        "scopus", "2-s2.0-1", "Methylphenidate", year=2012, doi=PLOS, type="article", language="en"
    )
    review = seeded(tmp_path, seed)
    with pytest.raises(SnowballError, match="crossref has no list of citing works"):
        run_round(review, direction="forward", via="crossref", client=client(), env={})
    serve_crossref()
    report = run_round(review, direction="both", via="crossref", client=client(), env={})
    assert list(report.directions) == ["backward"]
    assert "forward skipped: Crossref has no list of citing works" in report.notes
    (row,) = [e for e in search_log(review) if e["kind"] == "citation"]
    assert row["direction"] == "backward" and "forward skipped" in row["notes"][0]


def test_cli_errors_are_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENALEX_API_KEY", raising=False)
    review = make_review(tmp_path)
    proto = str(review.protocol.path)
    result = CliRunner().invoke(
        main, ["snowball", "-p", proto, "--via", "crossref", "--direction", "forward"]
    )
    assert result.exit_code == 1
    assert (
        result.output.startswith("Error: crossref has no list of citing works")
        and result.output.count("\n") == 1
    )
    from slr.corpus import add_records
    from slr.snowball import dedupe

    add_records(review, [Record("scopus", "1", "A study", year=2020)])
    dedupe(review)
    result = CliRunner().invoke(main, ["snowball", "-p", proto])
    assert result.exit_code == 1 and "no study is included at full-text yet" in result.output
    assert "--from title-abstract" in result.output and result.output.count("\n") == 1
    include(review, "scopus:1")
    result = CliRunner().invoke(main, ["snowball", "-p", proto])
    assert result.output == "Error: openalex: set OPENALEX_API_KEY to snowball through openalex\n"
    assert rounds(review) == []  # no round is started without the key
