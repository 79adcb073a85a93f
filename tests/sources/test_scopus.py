"""Scopus: the exact query string, start and cursor paging, every field, the fake empty
entry, Elsevier error bodies and keys, replaying the recorded findpapers page and the buhos
Abstract Retrieval XML."""

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
from slr.sources.scopus import Scopus, parse_abstract_retrieval

SEARCH = "https://api.elsevier.com/content/search/scopus"
REFERENCE_STRING = (
    'TITLE-ABS-KEY(("MLOps" OR "machine learning operations" OR "machine learning in '
    'production") AND (challenge* OR barrier*)) AND PUBYEAR > 2017 AND PUBYEAR < 2024 AND '
    "(DOCTYPE(ar) OR DOCTYPE(cp)) AND LANGUAGE(english)"
)
ENV = {"ELSEVIER_API_KEY": KEY}
TOKEN = "INSTTOKEN-9876543210"


def recorded() -> dict:
    """The findpapers page: 25 STANDARD entries of 14501 (start=0, count=25)."""
    return json.loads(fixture("scopus", "findpapers_scopus_search_page1.json").read_bytes())


def empty_result() -> dict:
    """What Scopus sends for no hits: totalResults "0" and one fake entry (sources.md 2.3)."""
    page = recorded()
    results = page["search-results"]
    results.update({"opensearch:totalResults": "0", "opensearch:itemsPerPage": "0"})
    results["entry"] = [{"@_fa": "true", "error": "Result set was empty"}]
    return page


def slice_of(page: dict, lo: int, hi: int, total: int, cursor: str | None = None) -> dict:
    """The recorded entries lo:hi as one page of a `total`-record result."""
    out = copy.deepcopy(page)
    results = out["search-results"]
    results["entry"] = results["entry"][lo:hi]
    results["opensearch:totalResults"] = str(total)
    results["opensearch:startIndex"] = str(lo)
    if cursor is not None:
        results["cursor"] = {"@current": "x", "@next": cursor}
    return out


class TenPerPage(Scopus):
    def count(self) -> int:
        return 10


def test_reference_query_is_the_exact_string_of_sources_md():
    plan = make(Scopus, ENV).compile(REFERENCE, REFERENCE_FILTERS)
    assert plan.queries == (REFERENCE_STRING,)
    assert dict(plan.branches[0].params) == {"view": "STANDARD", "count": 200}
    assert any("STANDARD" in n and "abstract" in n for n in plan.local)
    assert any("5000" in n for n in plan.local)


def test_fields_not_and_quoting():
    src = make(Scopus, ENV)
    compiled = src.compile(
        q.parse('title:(mlops OR aiops) AND devops AND NOT abstract:"x y"'), Filters()
    )
    assert compiled.queries == (
        'TITLE(mlops OR aiops) AND TITLE-ABS-KEY(devops) AND NOT ABS("x y")',
    )
    # a word `and` comes only from a built tree (the parser asks for quotes); Scopus quotes it
    word_and = q.or_(q.parse("(a AND b) OR real-time"), q.Term("and"))
    compiled = src.compile(word_and, Filters())
    assert compiled.queries == ('TITLE-ABS-KEY((a AND b) OR "real-time" OR "and")',)
    # Scopus reads `a AND NOT b OR c` as a AND NOT (b OR c): the group must stay whole
    assert src.compile(q.parse("a AND NOT (b OR c)"), Filters()).queries == (
        "TITLE-ABS-KEY(a AND NOT (b OR c))",
    )
    with pytest.raises(QueryError, match="NOT"):
        src.compile(q.Not(q.Term("a")), Filters())  # the parser refuses it; a compiler still must


def test_a_mixed_query_is_kept_whole_before_the_limits():
    # AND NOT binds loosest: unparenthesised, the years would only apply to the NOT part
    plan = make(Scopus, ENV).compile(
        q.parse("title:mlops AND NOT kubernetes"), Filters((2018, 2023))
    )
    assert plan.queries == (
        "(TITLE(mlops) AND NOT TITLE-ABS-KEY(kubernetes)) AND PUBYEAR > 2017 AND PUBYEAR < 2024",
    )


def test_filters_that_scopus_cannot_express_are_left_local():
    src = make(Scopus, ENV)
    plan = src.compile(q.parse("mlops"), Filters((2020, 2020), ("article", "preprint"), ("xx",)))
    assert plan.queries == ("TITLE-ABS-KEY(mlops) AND PUBYEAR > 2019 AND PUBYEAR < 2021",)
    assert any("preprint" in n for n in plan.local)
    plan = src.compile(q.parse("mlops"), Filters(None, ("review",), ("de", "en")))
    assert plan.queries == (
        "TITLE-ABS-KEY(mlops) AND DOCTYPE(re) AND (LANGUAGE(german) OR LANGUAGE(english))",
    )


@responses.activate
def test_exact_request_without_subscription():
    responses.add(
        responses.GET,
        SEARCH,
        json=empty_result(),
        match=[
            matchers.query_param_matcher(
                {"query": REFERENCE_STRING, "view": "STANDARD", "count": "200", "start": "0"}
            ),
            matchers.header_matcher({"X-ELS-APIKey": KEY, "Accept": "application/json"}),
        ],
    )
    src = make(Scopus, ENV)
    pages = list(src.pages(src.compile(REFERENCE, REFERENCE_FILTERS)))
    assert len(pages) == 1 and pages[0].page.records == () and pages[0].page.total == 0
    assert "X-ELS-Insttoken" not in responses.calls[0].request.headers
    assert src.cap() == 5000


@responses.activate
def test_exact_request_with_an_institution_token_uses_complete_view_and_cursor():
    responses.add(
        responses.GET,
        SEARCH,
        json=empty_result(),
        match=[
            matchers.query_param_matcher(
                {"query": REFERENCE_STRING, "view": "COMPLETE", "count": "25", "cursor": "*"}
            ),
            matchers.header_matcher({"X-ELS-APIKey": KEY, "X-ELS-Insttoken": TOKEN}),
        ],
    )
    src = make(Scopus, {**ENV, "ELSEVIER_INSTTOKEN": TOKEN})
    plan = src.compile(REFERENCE, REFERENCE_FILTERS)
    assert not any("STANDARD" in n for n in plan.local)
    assert walk(src, plan) == [] and src.cap() is None


@responses.activate
def test_start_paging_to_the_end():
    page = recorded()
    for lo in (0, 10, 20):
        responses.add(
            responses.GET,
            SEARCH,
            json=slice_of(page, lo, lo + 10, 25),
            match=[matchers.query_param_matcher({"start": str(lo)}, strict_match=False)],
        )
    src = make(TenPerPage, ENV)
    got = list(src.pages(src.compile(q.parse("nlp"), Filters())))
    assert [len(g.page.records) for g in got] == [10, 10, 5]
    assert [g.state for g in got] == [{"start": 0}, {"start": 10}, {"start": 20}]
    ids = [r.source_id for g in got for r in g.page.records]
    assert ids == [e["eid"] for e in page["search-results"]["entry"]]
    assert got[-1].page.next is None and len(responses.calls) == 3


@responses.activate
def test_cursor_paging_to_the_end():
    page = recorded()
    for lo, cursor, nxt in ((0, "*", "c1"), (10, "c1", "c2"), (20, "c2", "c3")):
        responses.add(
            responses.GET,
            SEARCH,
            json=slice_of(page, lo, lo + 10, 25, cursor=nxt),
            match=[matchers.query_param_matcher({"cursor": cursor}, strict_match=False)],
        )
    src = make(TenPerPage, {**ENV, "ELSEVIER_INSTTOKEN": TOKEN})
    got = list(src.pages(src.compile(q.parse("nlp"), Filters())))
    assert [len(g.page.records) for g in got] == [10, 10, 5]
    assert [g.state["cursor"] for g in got] == ["*", "c1", "c2"]
    assert got[-1].page.next is None  # 25 of 25 seen: the repeated @next is not followed


@responses.activate
def test_max_records_caps_start_paging():
    responses.add(responses.GET, SEARCH, json=recorded())  # always 25 entries of 14501
    src = make(Scopus, ENV, max_records=50)
    got = list(src.pages(src.compile(q.parse("nlp"), Filters())))
    assert [g.state for g in got] == [{"start": 0}, {"start": 25}]
    assert got[-1].capped and got[-1].page.total == 14501


def test_every_field_is_parsed():
    entries = recorded()["search-results"]["entry"]
    src = make(Scopus, ENV)
    book = src.to_record(entries[0])
    assert book.id == "scopus:2-s2.0-85145343459"
    assert book.title.startswith("Deep learning for cognitive computing systems")
    assert book.authors == ("Sumithra M.G.",)  # STANDARD: first author only
    assert book.year == 2022 and book.doi == "10.1515/9783110750584"
    assert book.type == "book" and book.pages == "1-199"
    assert book.venue.startswith("Deep Learning for Cognitive Computing Systems")
    assert book.url.startswith("https://www.scopus.com/inward/record.uri")
    assert book.abstract is None and book.language is None
    assert book.extra["cited_by_count"] == 5 and book.extra["scopus_id"] == "85145343459"
    paper = src.to_record(entries[-1])
    assert paper.type == "conference-paper" and paper.venue.startswith("ACM International")
    assert paper.doi == "10.1145/3582197.3582209" and paper.year == 2022
    records = [src.to_record(e) for e in entries]
    assert len({r.id for r in records}) == 25
    assert sum(r.doi is None for r in records) == 1
    article = records[17]
    assert (article.type, article.volume, article.issue) == ("article", "34", "28")
    assert article.extra["article_number"] == "e7388" and article.doi == "10.1002/cpe.7388"
    assert records[6].extra["pubmed_id"] == "38122815"
    assert records[10].type == "other" and records[10].extra["subtype"] == "le"  # letter
    assert records[16].type == "review"


def test_complete_view_entry_has_abstract_authors_and_keywords():
    entry = {
        **recorded()["search-results"]["entry"][-1],
        "dc:description": "We study <b>MLOps</b> challenges.",
        "authkeywords": "MLOps | deployment | ",
        "author": [
            {"@seq": "1", "authname": "Yochum P.", "surname": "Yochum", "given-name": "Phatpicha"},
            {"@seq": "2", "authname": "Chang L."},
        ],
    }
    rec = make(Scopus, ENV).to_record(entry)
    assert rec.abstract == "We study MLOps challenges."
    assert rec.authors == ("Phatpicha Yochum", "Chang L.")
    assert rec.keywords == ("MLOps", "deployment")
    assert rec.matches(q.parse("mlops AND challenge*")) is q.Verdict.MATCH


@responses.activate
def test_fake_empty_entry_is_not_a_record():
    responses.add(responses.GET, SEARCH, json=empty_result())
    src = make(Scopus, ENV)
    got = list(src.pages(src.compile(q.parse("nothing"), Filters())))
    assert [g.page.records for g in got] == [()] and got[0].page.total == 0


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # pybliometrics#300: beyond 5000 without a subscription
        (
            400,
            {
                "service-error": {
                    "status": {
                        "statusCode": "INVALID_INPUT",
                        "statusText": "Exceeds the maximum number allowed for the service level",
                    }
                }
            },
            "HTTP 400: INVALID_INPUT: Exceeds the maximum number allowed",
        ),
        # elsapy#23: a key without entitlement for the view
        (
            401,
            {
                "service-error": {
                    "status": {
                        "statusCode": "AUTHORIZATION_ERROR",
                        "statusText": "The requestor is not authorized to access the requested "
                        "view or fields of the resource",
                    }
                }
            },
            "HTTP 401: AUTHORIZATION_ERROR.*check ELSEVIER_API_KEY / ELSEVIER_INSTTOKEN",
        ),
        # litstudy#100: cursor paging without a subscription
        (
            403,
            {
                "service-error": {
                    "status": {
                        "statusCode": "AUTHORIZATION_ERROR",
                        "statusText": "Use of the cursor parameter is restricted",
                    }
                }
            },
            "HTTP 403: .*cursor parameter is restricted; check ELSEVIER_API_KEY",
        ),
        (
            404,
            {
                "service-error": {
                    "status": {
                        "statusCode": "RESOURCE_NOT_FOUND",
                        "statusText": "The resource specified cannot be found.",
                    }
                }
            },
            r"HTTP 404: RESOURCE_NOT_FOUND.*SLR_SCOPUS_URL",
        ),
    ],
)
def test_error_bodies(status, body, expected):
    responses.add(responses.GET, SEARCH, json=body, status=status)
    src = make(Scopus, ENV)
    with pytest.raises(SourceError, match=f"scopus: {expected}") as err:
        walk(src, src.compile(REFERENCE, REFERENCE_FILTERS))
    assert KEY not in str(err.value)


@responses.activate
def test_a_key_echoed_in_an_error_is_redacted():
    text = f"APIKey {KEY} with IP address 127.0.0.1 is unrecognized or has insufficient privileges"
    body = {"service-error": {"status": {"statusCode": "AUTHORIZATION_ERROR", "statusText": text}}}
    responses.add(responses.GET, SEARCH, json=body, status=401)
    src = make(Scopus, ENV)
    with pytest.raises(SourceError, match="APIKey REDACTED with IP") as err:
        walk(src, src.compile(q.parse("x"), Filters()))
    assert KEY not in str(err.value)


def test_missing_key_is_named():
    assert make(Scopus, {}).missing_keys() == ("ELSEVIER_API_KEY",)
    assert make(Scopus, {"ELSEVIER_INSTTOKEN": TOKEN}).missing_keys() == ("ELSEVIER_API_KEY",)


@responses.activate
def test_archive_holds_no_key_and_replays_offline(tmp_path):
    page = recorded()
    responses.add(responses.GET, SEARCH, json=slice_of(page, 0, 25, 25))
    src = make(Scopus, {**ENV, "ELSEVIER_INSTTOKEN": TOKEN})
    plan = src.compile(REFERENCE, REFERENCE_FILTERS)
    archive = Archive(tmp_path / "raw" / "scopus" / "run")
    online = walk(src, plan, archive)
    for path in archive.folder.iterdir():
        text = path.read_text("utf-8")
        assert KEY not in text and TOKEN not in text
    meta = json.loads((archive.folder / "b00-p00000.meta.json").read_text())
    assert meta["request_headers"]["X-ELS-APIKey"] == "REDACTED"
    assert meta["params"]["query"] == REFERENCE_STRING
    offline = [r for n in archive.names() for r in src.replay(plan, archive, n)[0].records]
    assert offline == online and online[3].raw == "raw/scopus/run/b00-p00000.json#3"


def test_abstract_retrieval_xml_is_parsed():
    body = fixture("scopus", "buhos_scopus_abstract_retrieval_85019269575.xml").read_bytes()
    rec = parse_abstract_retrieval(body)
    assert rec.id == "scopus:2-s2.0-85019269575"
    assert rec.title == "A primer on systematic reviews in toxicology"
    assert rec.abstract.startswith("Systematic reviews, pioneered in the clinical field")
    assert rec.abstract.endswith("to toxicological issues.")
    assert rec.authors == ("Sebastian Hoffmann",)
    assert (rec.year, rec.type, rec.doi) == (2017, "review", "10.1007/s00204-017-1980-3")
    assert (rec.venue, rec.volume, rec.issue, rec.pages) == (
        "Archives of Toxicology",
        "91",
        "7",
        "2551-2575",
    )
    assert rec.publisher == "Springer Verlag"  # the e-mail on the next line is dropped
    assert rec.extra["pubmed_id"] == "28501917" and rec.extra["cited_by_count"] == 4
    assert rec.language is None  # only citation-language names the paper's language


@responses.activate
def test_abstract_retrieval_request():
    body = fixture("scopus", "buhos_scopus_abstract_retrieval_85019269575.xml").read_bytes()
    responses.add(
        responses.GET,
        "https://api.elsevier.com/content/abstract/eid/2-s2.0-85019269575",
        body=body,
        content_type="text/xml",
        match=[
            matchers.query_param_matcher({"view": "META_ABS"}),
            matchers.header_matcher({"X-ELS-APIKey": KEY, "Accept": "text/xml"}),
        ],
    )
    rec = make(Scopus, ENV).abstract("2-s2.0-85019269575")
    assert rec.abstract and rec.doi == "10.1007/s00204-017-1980-3"
