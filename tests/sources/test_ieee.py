"""IEEE Xplore: the exact `querytext` and parameters, one series per content type,
1-based `start_record` paging, every field of the recorded findpapers page, the empty
result, the Mashery gateway's errors and the `apikey` parameter kept out of logs."""

import copy
import json

import pytest
import responses
from _support import KEY, REFERENCE, REFERENCE_FILTERS, fixture, make, walk
from responses import matchers

from slr import query as q
from slr.errors import QueryError, SourceError
from slr.http import Archive
from slr.sources.base import Filters
from slr.sources.ieee import Ieee

SEARCH = "https://ieeexploreapi.ieee.org/api/v1/search/articles"
ENV = {"IEEE_API_KEY": KEY}
QUERYTEXT = (
    '(("MLOps" OR "machine learning operations" OR "machine learning in production") '
    "AND (challenge* OR barrier*))"
)


def recorded() -> dict:
    """findpapers' page: total_records 4518, 25 articles (24 conference, 1 early access)."""
    return json.loads(fixture("ieee", "findpapers_ieee_search_2020.json").read_bytes())


def slice_of(page: dict, lo: int, hi: int, total: int) -> dict:
    out = copy.deepcopy(page)
    out["articles"] = out["articles"][lo:hi]
    out["total_records"] = total
    return out


class TenPerPage(Ieee):
    page_size = 10


def test_reference_query_is_one_querytext_per_content_type():
    plan = make(Ieee, ENV).compile(REFERENCE, REFERENCE_FILTERS)
    assert plan.queries == (QUERYTEXT, QUERYTEXT)
    assert [dict(b.params) for b in plan.branches] == [
        {"content_type": "Journals"},
        {"content_type": "Conferences"},
    ]
    assert dict(plan.filters) == {"start_year": 2018, "end_year": 2023}
    assert any("full text" in n for n in plan.local)
    assert any("languages" in n for n in plan.local)


def test_fields_not_and_short_wildcards():
    src = make(Ieee, ENV)
    plan = src.compile(
        q.parse('title:mlops AND keywords:"model drift" AND NOT abstract:survey'), Filters()
    )
    assert plan.queries == (
        '("Document Title":mlops AND "Author Keywords":"model drift" NOT "Abstract":survey)',
    )
    # a NOT over the full text would lose papers that only mention the term in the body
    plan = src.compile(q.parse("mlops AND NOT survey AND ml* AND real-time"), Filters())
    assert plan.queries == ('(mlops AND "real-time")',)
    assert any("not sent" in n for n in plan.local)
    with pytest.raises(QueryError, match="positive term"):
        src.compile(q.parse("ab*"), Filters())


def test_unmapped_type_searches_all_content_types():
    plan = make(Ieee, ENV).compile(q.parse("mlops"), Filters(None, ("article", "preprint")))
    assert len(plan.branches) == 1 and dict(plan.branches[0].params) == {}
    assert any(n.startswith("types") for n in plan.local)


@responses.activate
def test_exact_requests_for_the_reference_query():
    for kind in ("Journals", "Conferences"):
        responses.add(
            responses.GET,
            SEARCH,
            json={"total_records": 0, "total_searched": 5168113},
            match=[
                matchers.query_param_matcher(
                    {
                        "querytext": QUERYTEXT,
                        "start_year": "2018",
                        "end_year": "2023",
                        "content_type": kind,
                        "max_records": "200",
                        "start_record": "1",
                        "format": "json",
                        "apikey": KEY,
                    }
                )
            ],
        )
    src = make(Ieee, ENV)
    got = list(src.pages(src.compile(REFERENCE, REFERENCE_FILTERS)))
    assert [g.branch for g in got] == [0, 1]
    assert all(g.page.records == () and g.page.total == 0 for g in got)


@responses.activate
def test_start_record_paging_to_the_end():
    page = recorded()
    for start in (1, 11, 21):
        responses.add(
            responses.GET,
            SEARCH,
            json=slice_of(page, start - 1, start + 9, 25),
            match=[matchers.query_param_matcher({"start_record": str(start)}, strict_match=False)],
        )
    src = make(TenPerPage, ENV)
    got = list(src.pages(src.compile(q.parse("nlp"), Filters())))
    assert [g.state for g in got] == [{"start": 1}, {"start": 11}, {"start": 21}]
    assert [len(g.page.records) for g in got] == [10, 10, 5] and got[-1].page.next is None
    ids = [r.source_id for g in got for r in g.page.records]
    assert ids == [a["article_number"] for a in page["articles"]]


@responses.activate
def test_max_records_cap():
    responses.add(responses.GET, SEARCH, json=recorded())
    src = make(Ieee, ENV, max_records=40)
    got = list(src.pages(src.compile(q.parse("nlp"), Filters())))
    assert [g.state for g in got] == [{"start": 1}, {"start": 26}]
    assert got[-1].capped and got[0].page.total == 4518


def test_every_field_is_parsed():
    articles = recorded()["articles"]
    src = make(Ieee, ENV)
    rec = src.to_record(articles[0])
    assert rec.id == "ieee:8538416"
    assert rec.title == "Inflectional Review of Deep Learning on Natural Language Processing"
    assert rec.abstract.startswith("In the age of knowledge, Natural Language Processing")
    assert rec.authors == ("S.K. Ahammad Fahad", "Abdulsamad Ebrahim Yahya")
    assert (rec.year, rec.doi, rec.type) == (
        2018,
        "10.1109/icscee.2018.8538416",
        "conference-paper",
    )
    assert rec.venue.startswith("2018 International Conference on Smart Computing")
    assert rec.keywords == (
        "-Deep Learning",
        "Natural language processing",
        "Deep nural Network",
        "Multitask Learning",
    )
    assert rec.extra["ieee_terms"][0] == "Natural language processing"
    assert (rec.pages, rec.publisher, rec.url) == (
        "1-4",
        "IEEE",
        "https://ieeexplore.ieee.org/document/8538416/",
    )
    assert rec.oa_url is None and rec.extra["access_type"] == "LOCKED"
    assert rec.extra["cited_by_count"] == 1 and rec.language is None
    records = [src.to_record(a) for a in articles]
    assert len({r.id for r in records}) == 25
    early = [r for r in records if r.extra["content_type"] == "Early Access Articles"]
    assert len(early) == 1 and early[0].type == "article"


def test_open_access_article_gets_its_pdf():
    item = {**recorded()["articles"][0], "access_type": "OPEN_ACCESS"}
    assert make(Ieee, ENV).to_record(item).oa_url.endswith("arnumber=8538416")


@responses.activate
def test_empty_result_has_no_articles_key():
    responses.add(responses.GET, SEARCH, json={"total_records": 0, "total_searched": 5168113})
    src = make(Ieee, ENV)
    got = list(src.pages(src.compile(q.parse("zzzz"), Filters())))
    assert got[0].page.records == () and got[0].page.total == 0 and got[0].page.next is None


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (400, {"error": "Invalid parameter: start_year"}, {}, "HTTP 400: Invalid parameter"),
        (401, "<h1>Not Authorized</h1>", {}, "HTTP 401: Not Authorized; check IEEE_API_KEY"),
        # JabRef#6568 and the Mashery headers quoted in hotelbeds-sdk#137
        (
            403,
            "<h1>Developer Inactive</h1>",
            {
                "X-Mashery-Error-Code": "ERR_403_DEVELOPER_INACTIVE",
                "X-Error-Detail-Header": "Account Inactive",
            },
            "HTTP 403: Developer Inactive; Account Inactive; ERR_403_DEVELOPER_INACTIVE; check",
        ),
        # JabRef#6376: the daily quota, with a Retry-After of hours
        (
            403,
            "<h1>Developer Over Rate</h1>",
            {
                "X-Mashery-Error-Code": "ERR_403_DEVELOPER_OVER_RATE",
                "X-Error-Detail-Header": "Account Over Rate Limit",
                "Retry-After": "11279",
            },
            "quota is used up; retry in 11279 s",
        ),
        (404, "<h1>Not Found</h1>", {}, "HTTP 404: Not Found; check the URL"),
    ],
)
def test_error_bodies(status, body, headers, expected):
    kwargs = {"json": body} if isinstance(body, dict) else {"body": body}
    responses.add(responses.GET, SEARCH, status=status, headers=headers, **kwargs)
    src = make(Ieee, ENV)
    with pytest.raises(SourceError, match=f"ieee: .*{expected}") as err:
        walk(src, src.compile(REFERENCE, REFERENCE_FILTERS))
    assert KEY not in str(err.value)


@responses.activate
def test_gateway_page_with_200_is_an_error():
    responses.add(responses.GET, SEARCH, json={"error": "Developer Inactive"})
    src = make(Ieee, ENV)
    with pytest.raises(SourceError, match="not a search result.*Developer Inactive"):
        walk(src, src.compile(q.parse("x"), Filters()))


@responses.activate
def test_apikey_is_redacted_in_the_archive_and_replay_is_offline(tmp_path):
    responses.add(responses.GET, SEARCH, json=slice_of(recorded(), 0, 25, 25))
    src = make(Ieee, ENV)
    plan = src.compile(q.parse("nlp"), Filters())
    archive = Archive(tmp_path / "raw" / "ieee" / "run")
    online = walk(src, plan, archive)
    for path in archive.folder.iterdir():
        assert KEY not in path.read_text("utf-8")
    meta = json.loads((archive.folder / "b00-p00000.meta.json").read_text())
    assert meta["params"]["apikey"] == "REDACTED" and "apikey=REDACTED" in meta["url"]
    responses.reset()
    assert list(src.replay(plan, archive, "b00-p00000")[0].records) == online


def test_missing_key_is_named():
    assert make(Ieee, {}).missing_keys() == ("IEEE_API_KEY",)
