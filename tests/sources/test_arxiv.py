"""arXiv: fielded query with a date range, offset paging, Atom parsing, error feeds."""

import pytest
import responses
from _support import REFERENCE, REFERENCE_FILTERS, fixture, make, walk
from responses import matchers

from slr import query as q
from slr.errors import SourceError
from slr.sources.arxiv import Arxiv
from slr.sources.base import Filters

QUERY = "https://export.arxiv.org/api/query"
ATOM = "application/atom+xml"
SENT = (
    '((ti:"MLOps" OR abs:"MLOps") OR (ti:"machine learning operations" OR '
    'abs:"machine learning operations") OR (ti:"machine learning in production" OR '
    'abs:"machine learning in production")) AND submittedDate:[201801010000 TO 202312312359]'
)


class SmallPages(Arxiv):
    page_size = 10  # the recorded pages hold 10 entries


def body(name: str) -> bytes:
    return fixture("arxiv", name).read_bytes()


def test_reference_query_is_fielded_with_a_date_range():
    plan = make(Arxiv).compile(REFERENCE, REFERENCE_FILTERS)
    assert plan.text() == SENT
    assert plan.filters == {}
    assert any("wildcards" in note for note in plan.local)
    assert any("types" in note for note in plan.local)


def test_not_becomes_andnot_and_fields_map_to_prefixes():
    plan = make(Arxiv).compile(q.parse('title:mlops AND NOT abstract:"edge device"'), Filters())
    assert plan.text() == 'ti:mlops ANDNOT abs:"edge device"'


@responses.activate
def test_exact_request_and_offset_paging_to_the_cap():
    for start, name in (
        (0, "arxiv_py_q_testing_s0_m10.body.xml"),
        (10, "arxiv_py_q_testing_s10_m10.body.xml"),
    ):
        responses.add(
            responses.GET,
            QUERY,
            body=body(name),
            content_type=ATOM,
            match=[
                matchers.query_param_matcher(
                    {
                        "search_query": "(ti:testing OR abs:testing)",
                        "start": str(start),
                        "max_results": "10",
                        "sortBy": "submittedDate",
                        "sortOrder": "ascending",
                    }
                )
            ],
        )
    src = make(SmallPages, max_records=20)
    pages = list(src.pages(src.compile(q.parse("testing"), Filters())))
    assert [len(p.page.records) for p in pages] == [10, 10]
    assert pages[0].page.total == 214881 and pages[-1].capped
    assert pages[1].page.records[0].source_id == "2403.16981"


def test_every_field_is_parsed():
    from slr.http import Response

    response = Response(
        QUERY, 200, {"Content-Type": ATOM}, body("arxiv_py_q_testing_s0_m10.body.xml")
    )
    src = make(Arxiv)
    page = src.parse(response, src.compile(q.parse("testing"), Filters()), 0, {"start": 0})
    rec = page.records[0]
    assert rec.id == "arxiv:2202.12139" and rec.extra["arxiv_version"] == "v1"
    assert rec.title == (
        "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    )
    assert rec.abstract.startswith("Deep Learning (DL) has revolutionized")
    assert rec.authors == ("Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker")
    assert rec.year == 2022 and rec.doi == "10.1109/icstw55395.2022.00035"
    assert rec.venue.startswith("Artificial Intelligence in Software Testing")
    assert rec.type is None  # published somewhere (journal_ref), kind unknown
    assert rec.oa_url == "https://arxiv.org/pdf/2202.12139v1"
    assert rec.extra["categories"] == ["cs.SE", "cs.LG"]
    assert page.next == {"start": 10} and page.total == 214881


@responses.activate
def test_empty_result():
    responses.add(
        responses.GET, QUERY, body=body("arxiv_py_id_0000.0000_empty.body.xml"), content_type=ATOM
    )
    src = make(Arxiv)
    pages = list(src.pages(src.compile(q.parse("nothing"), Filters())))
    assert len(pages) == 1 and pages[0].page.records == () and pages[0].page.total == 0


@responses.activate
@pytest.mark.parametrize("status", [400, 200])
def test_error_feed_is_an_error_whatever_the_status(status):
    responses.add(
        responses.GET,
        QUERY,
        body=body("arxiv_py_id_abc_error400.body.xml"),
        status=status,
        content_type=ATOM,
    )
    src = make(Arxiv)
    with pytest.raises(SourceError, match="incorrect id format for abc"):
        walk(src, src.compile(q.parse("x"), Filters()))


@responses.activate
@pytest.mark.parametrize("status", [401, 403, 404])
def test_other_error_statuses(status):
    responses.add(responses.GET, QUERY, body="Forbidden", status=status)
    src = make(Arxiv)
    with pytest.raises(SourceError, match=f"arxiv: HTTP {status}"):
        walk(src, src.compile(q.parse("x"), Filters()))


@responses.activate
def test_sporadic_empty_page_is_retried():
    full = body("arxiv_py_q_testing_s10_m10.body.xml")
    empty = full.split(b"<entry>")[0] + b"</feed>"
    responses.add(
        responses.GET, QUERY, body=body("arxiv_py_q_testing_s0_m10.body.xml"), content_type=ATOM
    )
    responses.add(responses.GET, QUERY, body=empty, content_type=ATOM)
    responses.add(responses.GET, QUERY, body=full, content_type=ATOM)
    src = make(SmallPages, max_records=20)
    records = walk(src, src.compile(q.parse("testing"), Filters()))
    assert len(records) == 20 and len(responses.calls) == 3


def test_requests_are_paced_one_every_three_seconds():
    assert make(Arxiv).requests_per_second() == pytest.approx(1 / 3)
