"""`slr search --count`: one count-only request per query, answered by real recorded responses
(or, for ScienceDirect and dblp, responses written from their documentation), archived and
replayed offline; logged as kind `count`, which the search log, PRISMA, status and the report
leave out."""

import json
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from click.testing import CliRunner
from conftest import ROOT, SHARED, SHARED_ABSENT, new_review

from slr.cli import main
from slr.corpus import search_log
from slr.hits import NO_API, count_hits, format_counts
from slr.http import Client

API = SHARED / "fixtures" / "api"
LOCAL = ROOT / "tests" / "fixtures"
KEY = "COUNT-KEY-0a1b2c3d4e"


def client() -> Client:
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    return Client(mailto="me@example.org", clock=lambda: clock[0], sleep=sleep, rng=lambda: 0.5)


def body(path: Path) -> bytes:
    if not path.exists():
        pytest.skip(f"{SHARED_ABSENT}: {path}")
    return path.read_bytes()


def protocol(sources: str, query: str = "mlops") -> str:
    out = []
    for line in (ROOT / "protocols" / "mlops.toml").read_text().splitlines():
        if line.startswith("query = "):
            line = f"query = '{query}'"
        elif line.startswith("sources = "):
            line = f"sources = {sources}"
        out.append(line)
    return "\n".join(out) + "\n"


# source, env, method, url, recorded body, content type, reported total, count parameters
CASES = [
    (
        "openalex",
        {"OPENALEX_API_KEY": KEY},
        responses.GET,
        "https://api.openalex.org/works",
        LOCAL / "openalex" / "peneira_works_search_page1.json",
        "application/json",
        49,
        {"per-page": "1", "select": "id"},
    ),
    (
        "scopus",
        {"ELSEVIER_API_KEY": KEY},
        responses.GET,
        "https://api.elsevier.com/content/search/scopus",
        API / "scopus" / "findpapers_scopus_search_page1.json",
        "application/json",
        14501,
        {"count": "1"},
    ),
    (
        "pubmed",
        {},
        responses.GET,
        "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi",
        API / "pubmed" / "findpapers_esearch_retmode_json.json",
        "application/json",
        1834,
        {"retmax": "0"},
    ),
    (
        "crossref",
        {},
        responses.GET,
        "https://api.crossref.org/works",
        API / "crossref" / "habanero_works_query_ecology_rows2.body.json",
        "application/json",
        586628,
        {"rows": "0"},
    ),
    (
        "arxiv",
        {},
        responses.GET,
        "https://export.arxiv.org/api/query",
        API / "arxiv" / "arxiv_py_q_testing_s0_m10.body.xml",
        "application/atom+xml",
        214881,
        {"max_results": "1"},
    ),
    (
        "dblp",
        {},
        responses.GET,
        "https://dblp.org/search/publ/api",
        LOCAL / "api" / "dblp" / "dblp_publ_page1.json",
        "application/json",
        None,  # read from the body below: a response written from the documentation
        {"h": "1"},
    ),
]


@pytest.mark.parametrize(
    ("source", "env", "method", "url", "path", "ctype", "total", "params"),
    CASES,
    ids=[c[0] for c in CASES],
)
@responses.activate
def test_count_asks_one_small_page_and_logs_the_reported_total(
    tmp_path, source, env, method, url, path, ctype, total, params
):
    if total is None:
        total = int(json.loads(path.read_bytes())["result"]["hits"]["@total"])
    review = new_review(tmp_path, protocol(f'["{source}"]'))
    responses.add(method, url, body=body(path), content_type=ctype)

    (result,) = count_hits(review, client=client(), env=env)
    assert (result.status, result.total, result.branches) == ("ok", total, [total])

    (call,) = responses.calls
    sent = {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}
    assert {k: sent.get(k) for k in params} == params
    assert "cursor" not in sent and "usehistory" not in sent

    assert search_log(review) == []  # a count is no search
    (entry,) = search_log(review, counts=True)
    assert entry["kind"] == "count"
    assert entry["source"] == source
    assert (entry["reported_total"], entry["branch_totals"]) == (total, [total])
    assert entry["query"] == result.query
    archived = review.store.raw / source / "counts" / result.run_id
    assert sorted(p.name.split(".")[0] for p in archived.iterdir()) == ["b00-p00000"] * 2
    everything = review.store.searchlog_file.read_text() + "".join(
        p.read_text() for p in archived.iterdir()
    )
    assert KEY not in everything


@responses.activate
def test_ieee_counts_each_content_type_and_sums_them(tmp_path):
    review = new_review(tmp_path, protocol('["ieee"]'))  # article/review/conference-paper
    recorded = body(API / "ieee" / "findpapers_ieee_search_2020.json")
    url = "https://ieeexploreapi.ieee.org/api/v1/search/articles"
    responses.add(responses.GET, url, body=recorded, content_type="application/json")

    (result,) = count_hits(review, client=client(), env={"IEEE_API_KEY": KEY})
    assert result.branches == [4518, 4518]
    assert result.total == 9036
    kinds = [parse_qs(urlsplit(c.request.url).query)["content_type"][0] for c in responses.calls]
    assert kinds == ["Journals", "Conferences"]
    assert any("a work found by several is counted in each" in n for n in result.notes)
    text = format_counts([result])
    assert text.splitlines()[1].split()[:3] == ["ieee", "9036", "4518,"]


@responses.activate
def test_a_count_with_a_query_unanswered_shows_no_sum(tmp_path):
    """IEEE answers for journals, refuses conferences: its hits are not the journals' alone."""
    review = new_review(tmp_path, protocol('["ieee"]'))
    recorded = body(API / "ieee" / "findpapers_ieee_search_2020.json")
    url = "https://ieeexploreapi.ieee.org/api/v1/search/articles"
    responses.add(responses.GET, url, body=recorded, content_type="application/json")
    responses.add(responses.GET, url, body="Developer Inactive", status=403)
    (result,) = count_hits(review, client=client(), env={"IEEE_API_KEY": KEY})
    assert result.branches == [4518] and result.status.startswith("failed")
    assert result.total is None
    assert format_counts([result]).splitlines()[1].split()[:3] == ["ieee", "-", "failed:"]


@responses.activate
def test_semanticscholar_count_asks_ids_only(tmp_path):
    import yaml

    cassette = body(API / "semanticscholar" / "s2_paper_search_bulk_token.cassette.yaml")
    recorded = yaml.safe_load(cassette)["interactions"][0]["response"]["content"]
    review = new_review(tmp_path, protocol('["semanticscholar"]'))
    url = "https://api.semanticscholar.org/graph/v1/paper/search/bulk"
    responses.add(responses.GET, url, body=recorded, content_type="application/json")
    (result,) = count_hits(review, client=client(), env={})
    assert result.total == 2674
    (call,) = responses.calls
    assert parse_qs(urlsplit(call.request.url).query)["fields"] == ["paperId"]


@responses.activate
def test_sciencedirect_count_reads_results_found(tmp_path):
    review = new_review(tmp_path, protocol('["sciencedirect"]'))
    path = LOCAL / "api" / "sciencedirect" / "sd_put_page1.json"
    url = "https://api.elsevier.com/content/search/sciencedirect"
    responses.add(responses.PUT, url, body=path.read_bytes(), content_type="application/json")
    (result,) = count_hits(review, client=client(), env={"ELSEVIER_API_KEY": KEY})
    assert result.total == json.loads(path.read_bytes())["resultsFound"]


def test_no_api_and_missing_keys_are_said_not_fetched(tmp_path):
    review = new_review(tmp_path, protocol('["google-scholar", "scopus", "openalex"]'))
    results = count_hits(review, client=client(), env={})
    assert [(r.source, r.status, r.total) for r in results] == [
        ("google-scholar", NO_API, None),
        ("scopus", "skipped: set ELSEVIER_API_KEY", None),
        ("openalex", "skipped: set OPENALEX_API_KEY", None),
    ]
    assert search_log(review, counts=True) == []
    assert not review.store.raw.exists() or not any(review.store.raw.rglob("*.json"))


@responses.activate
def test_a_refused_count_fails_that_source_and_is_not_logged(tmp_path):
    review = new_review(tmp_path, protocol('["scopus", "pubmed"]'))
    responses.add(
        responses.GET,
        "https://api.elsevier.com/content/search/scopus",
        json={"service-error": {"status": {"statusCode": "INVALID_INPUT", "statusText": "bad"}}},
        status=400,
    )
    responses.add(
        responses.GET,
        "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi",
        body=body(API / "pubmed" / "findpapers_esearch_retmode_json.json"),
        content_type="application/json",
    )
    scopus, pubmed = count_hits(review, client=client(), env={"ELSEVIER_API_KEY": KEY})
    assert scopus.status.startswith("failed: scopus: HTTP 400: INVALID_INPUT: bad")
    assert pubmed.total == 1834
    assert [e["source"] for e in search_log(review, counts=True)] == ["pubmed"]


# ---------------------------------------------------------------- the reference review


def reference(tmp_path):
    shutil.copytree(ROOT / "protocols", tmp_path / "protocols")
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    return str(tmp_path / "protocols" / "mlops.toml")


def outputs(runner, proto, out):
    """What the search log, status, PRISMA and the report say about the review."""
    report = out / "report.md"
    runner.invoke(main, ["report", "-p", proto, "-o", str(report)], catch_exceptions=False)
    return {
        "log": runner.invoke(main, ["search", "-p", proto, "--log"]).output,
        "log.csv": runner.invoke(main, ["search", "-p", proto, "--log", "--format", "csv"]).output,
        "status": runner.invoke(main, ["status", "-p", proto, "--json"]).output,
        "prisma": runner.invoke(main, ["prisma", "-p", proto, "--format", "csv"]).output,
        "report": report.read_text(),
    }


@responses.activate
def test_reference_counts_replay_offline_and_are_no_searches(tmp_path):
    proto = reference(tmp_path)
    runner = CliRunner()
    before = outputs(runner, proto, tmp_path / "before")
    responses.add(
        responses.GET,
        "https://api.elsevier.com/content/search/scopus",
        body=body(API / "scopus" / "findpapers_scopus_search_page1.json"),
        content_type="application/json",
    )
    responses.add(
        responses.PUT,
        "https://api.elsevier.com/content/search/sciencedirect",
        body=(LOCAL / "api" / "sciencedirect" / "sd_put_page1.json").read_bytes(),
        content_type="application/json",
    )
    env = {"ELSEVIER_API_KEY": KEY}
    online = runner.invoke(main, ["search", "-p", proto, "--count", "-q"], env=env)
    assert online.exit_code == 0, online.output
    rows = [line.split()[:2] for line in online.output.splitlines()[1:4]]
    assert rows == [["scopus", "14501"], ["sciencedirect", "3"], ["google-scholar", "-"]]
    assert "no API: count not available" in online.output.splitlines()[3]
    assert len(responses.calls) == 2

    # the counts are in the log file, and nowhere a search is counted or shown
    lines = (tmp_path / "corpus/mlops/searchlog.jsonl").read_text().splitlines()
    assert [json.loads(x)["kind"] for x in lines[-2:]] == ["count", "count"]
    after = outputs(runner, proto, tmp_path / "after")
    for name in before:
        assert after[name] == before[name], name

    # offline, without a key: the archived counts, not the network
    offline = runner.invoke(main, ["search", "-p", proto, "--count", "--offline", "-q"], env={})
    assert offline.exit_code == 0, offline.output
    assert [line.split()[:2] for line in offline.output.splitlines()[1:3]] == rows[:2]
    assert "scopus: replayed the count of " in offline.output
    assert len(responses.calls) == 2
    assert len((tmp_path / "corpus/mlops/searchlog.jsonl").read_text().splitlines()) == len(lines)


def test_offline_count_of_a_query_never_counted_says_so(tmp_path):
    proto = reference(tmp_path)
    out = CliRunner().invoke(main, ["search", "-p", proto, "--count", "--offline", "-q"])
    assert out.exit_code == 1
    assert "skipped: no count of this query archived; run slr search --count online" in out.output


@responses.activate
def test_count_reports_progress_per_source_and_only_the_sources_asked(tmp_path):
    review = new_review(tmp_path, protocol('["pubmed", "crossref"]'))
    responses.add(
        responses.GET,
        "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esearch.fcgi",
        body=body(API / "pubmed" / "findpapers_esearch_retmode_json.json"),
        content_type="application/json",
    )
    seen = []
    results = count_hits(
        review, ["pubmed"], client=client(), env={}, progress=lambda *a: seen.append(a)
    )
    assert [r.source for r in results] == ["pubmed"]
    assert seen == [("count pubmed", 0, 1), ("count pubmed", 1, 1)]
    out = CliRunner().invoke(
        main, ["search", "-p", str(review.protocol.path), "--count", "--source", "nope"]
    )
    assert out.exit_code != 0
    assert "search.sources has no nope" in out.output
