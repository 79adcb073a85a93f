"""Crossref: one request per OR-branch, cursor paging with a repeated cursor, caps, errors."""

import json

import pytest
import responses
from _support import REFERENCE, REFERENCE_FILTERS, fixture, make, walk
from responses import matchers

from slr import query as q
from slr.errors import SourceError
from slr.sources.base import Filters
from slr.sources.crossref import Crossref

WORKS = "https://api.crossref.org/works"
FILTER = (
    "from-pub-date:2018-01-01,until-pub-date:2023-12-31,"
    "type:journal-article,type:proceedings-article"
)


class SmallPages(Crossref):
    page_size = 20  # the recorded cursor pages hold 20 items


def test_reference_query_is_one_request_per_or_branch():
    plan = make(Crossref).compile(REFERENCE, REFERENCE_FILTERS)
    assert plan.queries == (
        "MLOps",
        "machine learning operations",
        "machine learning in production",
    )
    assert dict(plan.filters) == {"filter": FILTER}
    assert any("languages" in note for note in plan.local)


def test_not_is_left_to_the_local_filter():
    plan = make(Crossref).compile(q.parse("mlops AND NOT kubernetes"), Filters())
    assert plan.queries == ("mlops",)
    assert any("NOT" in note for note in plan.local)


@responses.activate
def test_exact_request_for_the_first_branch():
    responses.add(
        responses.GET,
        WORKS,
        json={"status": "ok", "message": {"total-results": 0, "items": []}},
        match=[
            matchers.query_param_matcher(
                {
                    "query.bibliographic": "MLOps",
                    "filter": FILTER,
                    "select": (
                        "DOI,title,author,issued,published,container-title,type,language,"
                        "abstract,volume,issue,page,publisher,URL,is-referenced-by-count,subject,"
                        "update-to,updated-by,relation"
                    ),
                    "rows": "1000",
                    "cursor": "*",
                    "mailto": "me@example.org",
                }
            )
        ],
    )
    src = make(Crossref)
    plan = src.compile(REFERENCE, REFERENCE_FILTERS)
    got = next(src.pages(plan))
    assert got.page.records == () and got.page.next is None and got.page.total == 0


@responses.activate
def test_cursor_paging_to_a_short_page_and_the_cap():
    bodies = [
        fixture("crossref", f"habanero_works_cursor_widget_page{i}.body.json").read_bytes()
        for i in (1, 2, 3)
    ]
    cursor = json.loads(bodies[0])["message"]["next-cursor"]
    responses.add(
        responses.GET,
        WORKS,
        body=bodies[0],
        content_type="application/json",
        match=[matchers.query_param_matcher({"cursor": "*"}, strict_match=False)],
    )
    for body in bodies[1:]:  # Crossref re-sends the same cursor value on every page
        responses.add(
            responses.GET,
            WORKS,
            body=body,
            content_type="application/json",
            match=[matchers.query_param_matcher({"cursor": cursor}, strict_match=False)],
        )
    src = make(SmallPages, max_records=50)
    plan = src.compile(q.parse("widget"), Filters())
    pages = list(src.pages(plan))
    assert [len(p.page.records) for p in pages] == [20, 20, 20]
    assert pages[-1].capped and pages[-1].page.next is None
    assert pages[0].page.total == 454
    assert len({r.id for p in pages for r in p.page.records}) == 60


@responses.activate
def test_short_page_ends_the_branch():
    body = fixture("crossref", "habanero_works_cursor_widget_page1.body.json").read_bytes()
    responses.add(responses.GET, WORKS, body=body, content_type="application/json")
    src = make(Crossref)  # rows=1000, 20 items came back: the end
    records = walk(src, src.compile(q.parse("widget"), Filters()))
    assert len(records) == 20 and len(responses.calls) == 1


def test_every_field_is_parsed():
    data = json.loads(
        fixture("crossref", "habanero_work_10.1371_journal.pone.0033693.body.json").read_bytes()
    )
    rec = make(Crossref).to_record(data["message"])
    assert rec.id == "crossref:10.1371/journal.pone.0033693"
    assert rec.title.startswith("Methylphenidate Exposure Induces Dopamine Neuron Loss")
    assert rec.authors[:2] == ("Shankar Sadasivan", "Brooks B. Pond")
    assert rec.year == 2012 and rec.venue == "PLoS ONE"
    assert rec.type == "article" and rec.language == "en" and rec.abstract is None
    assert (rec.volume, rec.issue, rec.pages) == ("7", "3", "e33693")
    assert len(rec.references) == 65 and rec.references[0] == "10.1038/sj.npp.1301164"
    assert rec.extra["cited_by_count"] == 72


def test_jats_abstract_and_missing_year():
    item = {
        "DOI": "10.1234/X",
        "title": ["T"],
        "abstract": "<jats:p>Machine learning <jats:italic>in production</jats:italic>.</jats:p>",
        "type": "proceedings-article",
        "issued": {"date-parts": [[None]]},
        "published": {"date-parts": [[2021, 5]]},
    }
    rec = make(Crossref).to_record(item)
    assert rec.abstract == "Machine learning in production."
    assert rec.year == 2021 and rec.type == "conference-paper" and rec.doi == "10.1234/x"


@responses.activate
def test_invalid_cursor_404_names_the_api_message():
    body = fixture("crossref", "habanero_works_bad_cursor_404.body.json").read_bytes()
    responses.add(responses.GET, WORKS, body=body, status=404, content_type="application/json")
    src = make(Crossref)
    with pytest.raises(SourceError, match="Cursor specified but it is invalid"):
        walk(src, src.compile(q.parse("widget"), Filters()))


@responses.activate
def test_unknown_doi_404_plain_text():
    body = fixture("crossref", "habanero_work_notarealdoi_404.body.txt").read_bytes()
    responses.add(responses.GET, f"{WORKS}/10.1371%2Fnotarealdoi", body=body, status=404)
    with pytest.raises(SourceError, match="Resource not found"):
        make(Crossref).work("10.1371/notarealdoi")


@responses.activate
@pytest.mark.parametrize("status", [400, 401, 403])
def test_error_statuses(status):
    responses.add(responses.GET, WORKS, json={"status": "failed", "message": "nope"}, status=status)
    src = make(Crossref)
    with pytest.raises(SourceError, match=f"crossref: HTTP {status}: nope"):
        walk(src, src.compile(q.parse("widget"), Filters()))
