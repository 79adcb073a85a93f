"""OpenAlex: the filter sent for the reference query, cursor paging, parsing, errors."""

import json

import pytest
import responses
from _support import KEY, REFERENCE, REFERENCE_FILTERS, fixture, make, walk
from responses import matchers

from slr import query as q
from slr.errors import SourceError
from slr.sources.base import Filters
from slr.sources.openalex import OpenAlex, invert_abstract

WORKS = "https://api.openalex.org/works"
SEARCH = (
    'title_and_abstract.search:("MLOps" OR "machine learning operations" OR '
    '"machine learning in production")'
)
FILTER = f"{SEARCH},publication_year:2018-2023,type:article,language:en"


def test_reference_query_compiles_to_a_superset_without_wildcards():
    plan = make(OpenAlex).compile(REFERENCE, REFERENCE_FILTERS)
    assert plan.text() == SEARCH
    assert dict(plan.filters) == {
        "publication_year": "2018-2023",
        "type": "article",
        "language": "en",
    }
    assert any("wildcard" in note for note in plan.local)


def test_field_prefixes_and_not():
    src = make(OpenAlex)
    plan = src.compile(q.parse('title:(mlops AND NOT "data mesh")'), Filters())
    assert plan.text() == 'title.search:(mlops AND NOT "data mesh")'
    mixed = src.compile(q.parse("title:mlops AND abstract:drift"), Filters())
    assert mixed.text().startswith("title_and_abstract.search:")
    # a lone wildcard is sent as its stem (it used to be refused), and the log says so
    alone = src.compile(q.parse("mlop*"), Filters())
    assert alone.text() == "title_and_abstract.search:mlop"
    assert any("mlop* was sent as a plain word" in note for note in alone.local)


def test_many_plain_terms_and_one_wildcard_compile_with_the_stem():
    # today: "nothing left to send once wildcards are removed"
    query = q.parse('mlops OR "machine learning operations" OR aiops OR dataop* OR "ml ops"')
    plan = make(OpenAlex).compile(query, Filters())
    assert plan.text() == (
        'title_and_abstract.search:(mlops OR "machine learning operations" OR aiops '
        'OR dataop OR "ml ops")'
    )
    (note,) = [n for n in plan.local if n.startswith("wildcards:")]
    assert "dataop* was sent as a plain word" in note and "only other forms are missed" in note


def test_a_wildcard_under_and_is_still_left_out_as_a_superset():
    plan = make(OpenAlex).compile(q.parse("(mlops OR aiops) AND challeng*"), Filters())
    assert plan.text() == "title_and_abstract.search:(mlops OR aiops)"
    assert any("challeng* was left out" in n and "superset" in n for n in plan.local)


@responses.activate
def test_exact_request_and_cursor_paging_to_the_end():
    page1 = fixture("openalex", "openalexpro_works_filter_cursor_page1.body.json").read_bytes()
    page2 = fixture("openalex", "openalexpro_works_filter_cursor_page2_final.body.json")
    cursor = json.loads(page1)["meta"]["next_cursor"]
    base = {"filter": FILTER, "per-page": "100", "mailto": "me@example.org", "api_key": KEY}
    responses.add(
        responses.GET,
        WORKS,
        body=page1,
        content_type="application/json",
        match=[matchers.query_param_matcher({**base, "cursor": "*"})],
    )
    responses.add(
        responses.GET,
        WORKS,
        body=page2.read_bytes(),
        content_type="application/json",
        match=[matchers.query_param_matcher({**base, "cursor": cursor})],
    )
    src = make(OpenAlex, {"OPENALEX_API_KEY": KEY})
    plan = src.compile(REFERENCE, REFERENCE_FILTERS)
    records = walk(src, plan)
    assert [r.source_id for r in records] == ["W3046863325", "W3045921891"]
    assert len(responses.calls) == 2


def test_every_field_is_parsed():
    data = json.loads(fixture("openalex", "peneira_works_search_page1.json").read_bytes())
    rec = make(OpenAlex).to_record(data["results"][0])
    assert rec.id == "openalex:W2068311567"
    assert rec.title.startswith("Redefining climate regions in the United States")
    assert rec.abstract.startswith("Existing climate classification has not been designed for")
    assert rec.authors[0] == "Alexander Liss" and rec.authors[-1] == "Elena N. Naumova"
    assert rec.year == 2014 and rec.doi == "10.4081/gh.2014.294"
    assert rec.venue == "Geospatial Health" and rec.type == "article" and rec.language == "en"
    assert (rec.volume, rec.issue, rec.pages) == ("8", "3", "467")
    assert rec.references[:2] == ("W34240753", "W1890385034")
    assert rec.publisher == "PAGEPress (Italy)" and rec.extra["cited_by_count"] == 8
    missing = [r for r in data["results"] if not r["abstract_inverted_index"]]
    assert make(OpenAlex).to_record(missing[0]).abstract is None


def test_inverted_abstract_is_rebuilt_in_position_order():
    assert invert_abstract({"world": [1], "hello": [0, 2]}) == "hello world hello"
    assert invert_abstract(None) is None and invert_abstract({}) is None


def test_conference_source_makes_a_conference_paper():
    item = {
        "id": "https://openalex.org/W1",
        "type": "article",
        "type_crossref": "proceedings-article",
        "primary_location": {"source": {"type": "conference", "display_name": "ICSE"}},
    }
    assert make(OpenAlex).to_record(item).type == "conference-paper"
    item["type_crossref"] = None
    assert make(OpenAlex).to_record(item).type == "conference-paper"


@responses.activate
def test_empty_result():
    responses.add(
        responses.GET,
        WORKS,
        json={"meta": {"count": 0, "next_cursor": None}, "results": [], "group_by": []},
    )
    src = make(OpenAlex, {"OPENALEX_API_KEY": KEY})
    pages = list(src.pages(src.compile(REFERENCE, REFERENCE_FILTERS)))
    assert len(pages) == 1 and pages[0].page.records == () and pages[0].page.total == 0


@responses.activate
def test_400_names_the_api_message():
    body = fixture("openalex", "openalexpro_works_invalid_filter_400.body.json").read_bytes()
    responses.add(responses.GET, WORKS, body=body, status=400, content_type="application/json")
    src = make(OpenAlex, {"OPENALEX_API_KEY": KEY})
    with pytest.raises(SourceError) as err:
        walk(src, src.compile(REFERENCE, REFERENCE_FILTERS))
    assert "openalex: HTTP 400" in str(err.value) and "not a valid field" in str(err.value)


@responses.activate
@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_name_the_key_variable_not_the_key(status):
    body = {"error": "Invalid or missing API key", "message": "API key not found"}
    responses.add(responses.GET, WORKS, json=body, status=status)
    src = make(OpenAlex, {"OPENALEX_API_KEY": KEY})
    with pytest.raises(SourceError) as err:
        walk(src, src.compile(REFERENCE, REFERENCE_FILTERS))
    assert "OPENALEX_API_KEY" in str(err.value) and KEY not in str(err.value)


@responses.activate
def test_404_for_one_work():
    responses.add(responses.GET, f"{WORKS}/W0", json={"error": "Not found"}, status=404)
    with pytest.raises(SourceError, match="HTTP 404"):
        make(OpenAlex).work("W0")


def test_missing_key_is_reported():
    assert make(OpenAlex).missing_keys() == ("OPENALEX_API_KEY",)
    assert make(OpenAlex, {"OPENALEX_API_KEY": KEY}).missing_keys() == ()


@responses.activate
def test_base_url_override():
    responses.add(responses.GET, "http://127.0.0.1:9/works", json={"meta": {}, "results": []})
    src = make(OpenAlex, {"OPENALEX_API_KEY": KEY, "SLR_OPENALEX_URL": "http://127.0.0.1:9"})
    walk(src, src.compile(REFERENCE, REFERENCE_FILTERS))
    assert responses.calls[0].request.url.startswith("http://127.0.0.1:9/works?")
