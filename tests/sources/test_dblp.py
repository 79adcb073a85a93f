"""dblp: the reference query as three prefix-word queries, `f` offset paging, every field,
the empty result, errors and 429 with Retry-After.

There is no recorded dblp response in the shared fixtures: the pages used here
(tests/fixtures/api/dblp/) were written from the dblp search API documentation
(dblp.org/faq/13501473.html: result.hits.@total/@sent/@first, hit[].info, one author as a
dict) with illustrative records. See PROVENANCE.md.
"""

import json

import pytest
import responses
from _support import LOCAL, REFERENCE, REFERENCE_FILTERS, FakeTime, client, make, walk
from responses import matchers

from slr import query as q
from slr.errors import QueryError, SourceError
from slr.http import Archive
from slr.sources.base import Filters
from slr.sources.dblp import Dblp, stem

SEARCH = "https://dblp.org/search/publ/api"
HERE = LOCAL / "api" / "dblp"


def page(name: str) -> dict:
    return json.loads((HERE / name).read_text("utf-8"))


class TwoPerPage(Dblp):
    page_size = 2


def test_reference_query_is_the_three_queries_of_sources_md():
    plan = make(Dblp).compile(REFERENCE, REFERENCE_FILTERS)
    assert plan.queries == (
        "mlops challeng|barrier",
        "machine learning operation challeng|barrier",
        "machine learning production challeng|barrier",
    )
    notes = " | ".join(plan.local)
    for word in ("prefix", "phrases", "3 queries", "years", "types", "abstracts"):
        assert word in notes


def test_stems_reach_every_inflection_by_prefix():
    assert stem("operations", False, "operations") == "operation"
    assert stem("studies", False, "studies") == "studi"
    assert stem("process", False, "process") == "process"
    assert stem("status", False, "status") == "status"
    assert stem("mlops", False, "MLOps") == "mlops"  # an acronym is kept whole
    assert stem("challenge", True, "challenge") == "challeng"
    assert stem("machine", False, "machine") == "machine"


def test_not_is_dropped_and_or_of_phrases_multiplies():
    src = make(Dblp)
    plan = src.compile(q.parse("MLOps AND NOT kubernetes"), Filters())
    assert plan.queries == ("mlops",) and any(n.startswith("NOT") for n in plan.local)
    assert src.compile(q.parse("mlops"), Filters()).queries == ("mlop",)  # a plain plural
    plan = src.compile(q.parse('(AIOps OR "data drift") AND (tool* OR "test case")'), Filters())
    assert plan.queries == (
        "aiops tool",
        "aiops test case",
        "data drift tool",
        "data drift test case",
    )
    with pytest.raises(QueryError, match="only NOT"):
        src.compile(q.Not(q.Term("x")), Filters())
    many = " AND ".join(f'(a{i} OR "b{i} c{i}")' for i in range(6))
    with pytest.raises(QueryError, match="64 requests"):
        src.compile(q.parse(many), Filters())


@responses.activate
def test_exact_requests_for_the_reference_query():
    for text in (
        "mlops challeng|barrier",
        "machine learning operation challeng|barrier",
        "machine learning production challeng|barrier",
    ):
        responses.add(
            responses.GET,
            SEARCH,
            json=page("dblp_publ_empty.json"),
            match=[
                matchers.query_param_matcher(
                    {"q": text, "format": "json", "h": "1000", "f": "0", "c": "0"}
                )
            ],
        )
    src = make(Dblp)
    got = list(src.pages(src.compile(REFERENCE, REFERENCE_FILTERS)))
    assert [g.branch for g in got] == [0, 1, 2]
    assert all(g.page.records == () and g.page.total == 0 for g in got)


@responses.activate
def test_offset_paging_to_the_end():
    for first, name in ((0, "dblp_publ_page1.json"), (2, "dblp_publ_page2.json")):
        responses.add(
            responses.GET,
            SEARCH,
            json=page(name),
            match=[matchers.query_param_matcher({"f": str(first), "h": "2"}, strict_match=False)],
        )
    src = make(TwoPerPage)
    got = list(src.pages(src.compile(q.parse("mlops"), Filters())))
    assert [g.state for g in got] == [{"start": 0}, {"start": 2}]
    assert [len(g.page.records) for g in got] == [2, 1] and got[-1].page.next is None
    assert got[0].page.total == 3


def test_every_field_is_parsed():
    src = make(Dblp)
    hits = page("dblp_publ_page1.json")["result"]["hits"]["hit"]
    rec = src.to_record(hits[0])
    assert rec.id == "dblp:journals/access/KreuzbergerKH23"
    assert (
        rec.title == "Machine Learning Operations (MLOps): Overview, Definition, and Architecture"
    )
    assert rec.authors == ("Dominik Kreuzberger", "Niklas Kühl", "Sebastian Hirschl")
    assert (rec.year, rec.venue, rec.type) == (2023, "IEEE Access", "article")
    assert rec.doi == "10.1109/access.2023.3262138"
    assert (rec.volume, rec.pages) == ("11", "31866-31879")
    assert rec.url == "https://doi.org/10.1109/ACCESS.2023.3262138"
    assert rec.abstract is None and rec.language is None
    assert rec.extra["dblp_url"] == "https://dblp.org/rec/journals/access/KreuzbergerKH23"
    survey = src.to_record(hits[1])
    assert (survey.issue, survey.pages) == ("6", "114:1-114:29")
    one = src.to_record(page("dblp_publ_page2.json")["result"]["hits"]["hit"][0])
    assert one.authors == ("A. Single Author",)  # one author comes as a dict
    assert one.venue == "CoRR, Example Workshop" and one.type == "preprint" and one.doi is None
    assert one.url == "https://arxiv.org/abs/2301.00001" and len(one.extra["ee"]) == 2


def test_title_only_records_are_undecidable_not_rejected():
    hits = page("dblp_publ_page1.json")["result"]["hits"]["hit"]
    rec = make(Dblp).to_record(hits[1])  # "Challenges in Deploying Machine Learning..."
    assert rec.matches(q.parse('"machine learning" AND challenge*')) is q.Verdict.MATCH
    assert rec.matches(REFERENCE) is q.Verdict.UNDECIDABLE  # no abstract to look in


@responses.activate
def test_empty_result_has_no_hit_key():
    responses.add(responses.GET, SEARCH, json=page("dblp_publ_empty.json"))
    src = make(Dblp)
    got = list(src.pages(src.compile(q.parse("zzzzqx"), Filters())))
    assert got[0].page.records == () and got[0].page.total == 0 and got[0].page.next is None


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, "<html><body>Bad Request: invalid query</body></html>", "HTTP 400: .*Bad Request"),
        (401, "<html><body>Unauthorized</body></html>", "HTTP 401: .*access refused"),
        (403, "<html><body>Forbidden</body></html>", "HTTP 403: .*Forbidden"),
        (404, "<html><body>Not Found</body></html>", "HTTP 404: .*SLR_DBLP_URL"),
    ],
)
def test_error_bodies(status, body, expected):
    responses.add(responses.GET, SEARCH, body=body, status=status)
    src = make(Dblp)
    with pytest.raises(SourceError, match=f"dblp: {expected}"):
        walk(src, src.compile(REFERENCE, REFERENCE_FILTERS))


@responses.activate
def test_status_error_inside_a_200_body():
    body = page("dblp_publ_empty.json")
    body["result"]["status"] = {"@code": "500", "text": "Internal Error"}
    responses.add(responses.GET, SEARCH, json=body)
    src = make(Dblp)
    with pytest.raises(SourceError, match="status 500: Internal Error"):
        walk(src, src.compile(q.parse("x"), Filters()))


@responses.activate
def test_429_with_retry_after_is_waited_out_and_pages_are_paced():
    responses.add(responses.GET, SEARCH, body="", status=429, headers={"Retry-After": "7"})
    responses.add(responses.GET, SEARCH, json=page("dblp_publ_page1.json"))
    responses.add(responses.GET, SEARCH, json=page("dblp_publ_page2.json"))
    ft = FakeTime()
    src = TwoPerPage(client(ft), {}, {})
    records = walk(src, src.compile(q.parse("mlops"), Filters()))
    assert len(records) == 3 and len(responses.calls) == 3
    assert ft.now >= 7 + 2  # the server's 7 s, then 2 s (0.5 requests/s) before page 2


@responses.activate
def test_replay_offline(tmp_path):
    responses.add(responses.GET, SEARCH, json=page("dblp_publ_page1.json"))
    responses.add(responses.GET, SEARCH, json=page("dblp_publ_page2.json"))
    src = make(Dblp)
    plan = src.compile(q.parse("MLOps"), Filters())
    archive = Archive(tmp_path / "raw" / "dblp" / "run")
    online = walk(src, plan, archive)
    responses.reset()
    replayed = [src.replay(plan, archive, n) for n in archive.names()]
    assert [r for p, _ in replayed for r in p.records] == online and len(online) == 3
    assert replayed[1][1]["params"] == {"q": "mlops", "format": "json", "h": 1000, "f": 2, "c": 0}
    assert online[2].raw == "raw/dblp/run/b00-p00001.json#0"
