"""Semantic Scholar bulk search: `+ | -` dialect, token paging, parsing, errors."""

import json

import pytest
import responses
import yaml
from _support import KEY, REFERENCE, REFERENCE_FILTERS, fixture, make, walk
from responses import matchers

from slr import query as q
from slr.errors import SourceError
from slr.sources.base import Filters
from slr.sources.semanticscholar import FIELDS, SemanticScholar

BULK = "https://api.semanticscholar.org/graph/v1/paper/search/bulk"
SENT = (
    '("MLOps" | "machine learning operations" | "machine learning in production") '
    "+ (challenge* | barrier*)"
)


def cassette(name: str) -> list[dict]:
    return yaml.safe_load(fixture("semanticscholar", name).read_text())["interactions"]


def test_reference_query_in_bulk_syntax():
    plan = make(SemanticScholar).compile(REFERENCE, REFERENCE_FILTERS)
    assert plan.text() == SENT
    assert dict(plan.filters) == {"year": "2018-2023"}  # no publicationTypes: nulls would vanish
    assert any("types" in note for note in plan.local)
    assert any("languages" in note for note in plan.local)


def test_not_and_keyword_fields():
    src = make(SemanticScholar)
    assert src.compile(q.parse("mlops AND NOT edge"), Filters()).text() == "mlops + -edge"
    plan = src.compile(q.parse("mlops AND keywords:devops"), Filters())
    assert plan.text() == "mlops" and any("keywords" in n for n in plan.local)


@responses.activate
def test_exact_request_and_token_paging_to_the_end():
    first = cassette("s2_paper_search_bulk_token.cassette.yaml")[0]["response"]["content"]
    token = json.loads(first)["token"]
    last = {"total": 2674, "token": None, "data": [{"paperId": "abc", "title": "Last"}]}
    base = {"query": SENT, "year": "2018-2023", "fields": FIELDS}
    responses.add(
        responses.GET,
        BULK,
        body=first,
        content_type="application/json",
        match=[matchers.query_param_matcher(base), matchers.header_matcher({"x-api-key": KEY})],
    )
    responses.add(
        responses.GET,
        BULK,
        json=last,
        match=[matchers.query_param_matcher({**base, "token": token})],
    )
    src = make(SemanticScholar, {"SEMANTIC_SCHOLAR_API_KEY": KEY})
    pages = list(src.pages(src.compile(REFERENCE, REFERENCE_FILTERS)))
    assert [len(p.page.records) for p in pages] == [1000, 1]
    assert pages[0].page.total == 2674 and pages[-1].page.next is None
    assert (
        pages[0].page.records[0].title
        == "Kubernetes Cluster for Automating Software Production Environment"
    )


@responses.activate
def test_without_a_key_no_header_and_a_slower_pace():
    responses.add(responses.GET, BULK, json={"total": 0, "offset": 0})
    src = make(SemanticScholar)
    assert src.missing_keys() == ()  # the key is optional
    assert (
        src.requests_per_second()
        < make(SemanticScholar, {"SEMANTIC_SCHOLAR_API_KEY": KEY}).requests_per_second()
    )
    records = walk(src, src.compile(q.parse("x"), Filters()))
    assert records == [] and "x-api-key" not in responses.calls[0].request.headers


def test_every_field_is_parsed():
    data = json.loads(
        fixture("semanticscholar", "findpapers_s2_relevance_search_full_fields.json").read_text()
    )
    src = make(SemanticScholar)
    rec = src.to_record(data["data"][1])
    assert rec.id == "semanticscholar:" + data["data"][1]["paperId"]
    assert rec.doi == "10.1109/access.2021.3139586" and rec.year == 2022
    assert rec.venue == "IEEE Access" and rec.type == "article"
    assert rec.volume == "10" and rec.pages == "5790-5800"
    assert rec.abstract and rec.authors and rec.title
    assert src.to_record(data["data"][0]).type == "conference-paper"
    assert src.to_record(data["data"][2]).type == "review"
    assert src.to_record(data["data"][3]).type is None  # publicationTypes null: unknown
    assert src.to_record(data["data"][5]).abstract is None


@responses.activate
def test_empty_result_has_no_data_key():
    body = fixture("semanticscholar", "s2_paper_search_empty.body.json").read_bytes()
    responses.add(responses.GET, BULK, body=body, content_type="application/json")
    src = make(SemanticScholar)
    pages = list(src.pages(src.compile(q.parse("qwxz"), Filters())))
    assert len(pages) == 1 and pages[0].page.records == () and pages[0].page.total == 0


@responses.activate
def test_400_bad_fields():
    body = cassette("s2_bad_fields_400.cassette.yaml")[0]["response"]["content"]
    responses.add(responses.GET, BULK, body=body, status=400, content_type="application/json")
    src = make(SemanticScholar)
    with pytest.raises(SourceError, match="Unrecognized or unsupported fields"):
        walk(src, src.compile(q.parse("x"), Filters()))


@responses.activate
def test_403_names_the_key_variable():
    body = cassette("s2_forbidden_403.cassette.yaml")[0]["response"]["body"]["string"]
    responses.add(responses.GET, BULK, body=body, status=403, content_type="application/json")
    src = make(SemanticScholar, {"SEMANTIC_SCHOLAR_API_KEY": KEY})
    with pytest.raises(SourceError) as err:
        walk(src, src.compile(q.parse("x"), Filters()))
    assert "Forbidden" in str(err.value) and "SEMANTIC_SCHOLAR_API_KEY" in str(err.value)
    assert KEY not in str(err.value)


@responses.activate
def test_404_one_paper():
    body = fixture("semanticscholar", "s2_paper_not_found_404.body.json").read_bytes()
    responses.add(
        responses.GET, "https://api.semanticscholar.org/graph/v1/paper/0", body=body, status=404
    )
    with pytest.raises(SourceError, match="Paper with id 0 not found"):
        make(SemanticScholar).paper("0")


@responses.activate
def test_401():
    responses.add(responses.GET, BULK, json={"message": "Unauthorized"}, status=401)
    src = make(SemanticScholar)
    with pytest.raises(SourceError, match="HTTP 401: Unauthorized"):
        walk(src, src.compile(q.parse("x"), Filters()))
