"""ScienceDirect Search API v2 (PUT): the exact JSON body, connector splitting, offset
paging, every field, the empty result and Elsevier errors.

There is no recorded ScienceDirect response in the shared fixtures: the pages used here
(tests/fixtures/api/sciencedirect/) were written from the Elsevier documentation
(tecdoc_sdsearch_migration, ScienceDirectSearchAPI.wadl); the values of the first two
records are those pybliometrics' tests expect from the live API. See PROVENANCE.md.
"""

import json

import pytest
import responses
from _support import KEY, LOCAL, REFERENCE, REFERENCE_FILTERS, make, walk
from responses import matchers

from slr import query as q
from slr.errors import QueryError, SourceError
from slr.http import Archive
from slr.sources.base import Filters
from slr.sources.sciencedirect import MAX_CONNECTORS, ScienceDirect, connectors, split

SEARCH = "https://api.elsevier.com/content/search/sciencedirect"
ENV = {"ELSEVIER_API_KEY": KEY}
QS = (
    '("MLOps" OR "machine learning operations" OR "machine learning in production") '
    "AND (challenge OR barrier)"
)
HERE = LOCAL / "api" / "sciencedirect"


def page(name: str) -> dict:
    return json.loads((HERE / name).read_text("utf-8"))


class TwoPerPage(ScienceDirect):
    page_size = 2


def test_reference_query_is_the_exact_body_of_sources_md():
    src = make(ScienceDirect, ENV)
    plan = src.compile(REFERENCE, REFERENCE_FILTERS)
    assert plan.queries == (QS,)
    assert dict(plan.filters) == {"date": "2018-2023"}
    request = src.request(plan, 0, src.first(plan, 0))
    assert request.method == "PUT"
    assert request.json == {
        "qs": QS,
        "date": "2018-2023",
        "display": {"offset": 0, "show": 100, "sortBy": "relevance"},
    }
    notes = " | ".join(plan.local)
    for word in ("wildcards", "challenge* -> challenge", "full text", "types", "languages"):
        assert word in notes


def test_wildcards_can_be_dropped_for_a_strict_superset():
    plan = make(ScienceDirect, ENV, wildcards="drop").compile(REFERENCE, Filters())
    assert plan.queries == (
        '"MLOps" OR "machine learning operations" OR "machine learning in production"',
    )
    with pytest.raises(QueryError, match="wildcards"):
        make(ScienceDirect, ENV, wildcards="drop").compile(q.parse("mlop*"), Filters())


def test_not_is_applied_locally_because_qs_covers_the_full_text():
    plan = make(ScienceDirect, ENV).compile(q.parse("mlops AND NOT kubernetes"), Filters())
    assert plan.queries == ("mlops",)
    assert any(n.startswith("NOT") for n in plan.local)
    with pytest.raises(QueryError, match="only NOT"):
        make(ScienceDirect, ENV).compile(q.Not(q.Term("kubernetes")), Filters())


def test_title_field_goes_to_the_title_body_field():
    src = make(ScienceDirect, ENV)
    plan = src.compile(q.parse('title:(mlops OR aiops) AND "data drift"'), Filters())
    assert dict(plan.branches[0].params) == {"qs": '"data drift"', "title": "mlops OR aiops"}
    body = src.request(plan, 0, {"start": 0}).json
    assert body["qs"] == '"data drift"' and body["title"] == "mlops OR aiops"
    plan = src.compile(q.parse("abstract:mlops"), Filters())
    assert plan.queries == ("mlops",) and any("abstract:" in n for n in plan.local)


def test_more_than_eight_connectors_are_split_into_a_union():
    query = q.parse("(a OR b OR c OR d OR e OR f) AND (g OR h OR i OR j)")
    assert connectors(query) == 9
    plan = make(ScienceDirect, ENV).compile(query, Filters())
    assert plan.queries == (
        "(a OR b OR c) AND (g OR h OR i OR j)",
        "(d OR e OR f) AND (g OR h OR i OR j)",
    )
    assert any("split into 2 queries" in n for n in plan.local)
    words = [f"w{i}" for i in range(20)]
    parts, _ = split(q.parse(" OR ".join(words)))
    assert all(connectors(p) <= MAX_CONNECTORS for p in parts)
    assert [leaf.text for p in parts for leaf in q.leaves(p)] == words  # nothing lost


def test_a_long_and_loses_conjuncts_a_superset_noted():
    parts, notes = split(q.parse("a b c d e f g h i j k"))
    assert [q.to_string(p) for p in parts] == ["a AND b AND c AND d AND e AND f AND g AND h AND i"]
    assert notes == [
        "connectors: dropped k (applied locally)",
        "connectors: dropped j (applied locally)",
    ]


def test_split_union_matches_the_original_query():
    query = q.parse("(a OR b OR c OR d OR e OR f OR g) AND (h OR i OR j)")
    parts, _ = split(query)
    for title in ("a h", "g j", "d i", "a", "h", "b c", "x"):
        whole = q.evaluate(query, title, "")
        union = any(q.evaluate(p, title, "") is q.Verdict.MATCH for p in parts)
        assert (whole is q.Verdict.MATCH) == union, title


@responses.activate
def test_exact_request_headers_and_body():
    responses.add(
        responses.PUT,
        SEARCH,
        json=page("sd_put_empty.json"),
        match=[
            matchers.json_params_matcher(
                {
                    "qs": QS,
                    "date": "2018-2023",
                    "display": {"offset": 0, "show": 100, "sortBy": "relevance"},
                }
            ),
            matchers.header_matcher(
                {
                    "X-ELS-APIKey": KEY,
                    "Accept": "application/json",
                    "Content-Type": "application/json",
                }
            ),
        ],
    )
    src = make(ScienceDirect, ENV)
    got = list(src.pages(src.compile(REFERENCE, REFERENCE_FILTERS)))
    assert len(got) == 1 and got[0].page.records == () and got[0].page.total == 0
    assert got[0].page.next is None


@responses.activate
def test_offset_paging_to_the_end():
    for offset, name in ((0, "sd_put_page1.json"), (2, "sd_put_page2.json")):
        responses.add(
            responses.PUT,
            SEARCH,
            json=page(name),
            match=[
                matchers.json_params_matcher(
                    {"display": {"offset": offset, "show": 2, "sortBy": "relevance"}},
                    strict_match=False,
                )
            ],
        )
    src = make(TwoPerPage, ENV)
    got = list(src.pages(src.compile(q.parse("malware"), Filters())))
    assert [g.state for g in got] == [{"start": 0}, {"start": 2}]
    assert [len(g.page.records) for g in got] == [2, 1] and got[-1].page.next is None
    assert src.cap() == 6000


def test_every_field_is_parsed():
    src = make(ScienceDirect, ENV)
    first, second = (src.to_record(i) for i in page("sd_put_page1.json")["results"])
    assert first.id == "sciencedirect:S0957417424017792"
    assert first.title.startswith("Assessing LLMs in malicious code deobfuscation")
    assert first.authors == ("Constantinos Patsakis", "Fran Casino", "Nikolaos Lykousas")
    assert (first.year, first.doi) == (2024, "10.1016/j.eswa.2024.124912")
    assert first.venue == "Expert Systems with Applications"
    assert (first.volume, first.issue, first.pages) == ("256", None, "124912")
    assert first.url == "https://www.sciencedirect.com/science/article/pii/S0957417424017792"
    assert first.abstract is None and first.type is None and first.language is None
    assert first.extra["open_access"] is True and first.extra["publication_date"] == "2024-12-05"
    assert second.pages == "230-240" and second.year == 2020
    chapter = src.to_record(page("sd_put_page2.json")["results"][0])
    assert chapter.doi is None and chapter.source_id == "B9780128000000000012"
    assert (chapter.volume, chapter.issue) == ("2", "4")
    # no abstract: the local evaluator cannot reject it on the title alone
    assert chapter.matches(q.parse("kubernetes")) is q.Verdict.UNDECIDABLE


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, page("sd_error_400_connectors.json"), "HTTP 400: INVALID_INPUT: Use fewer boolean"),
        (401, page("sd_error_401_key.json"), "HTTP 401: .*Invalid API Key; check ELSEVIER_API_KEY"),
        (
            403,
            {
                "service-error": {
                    "status": {
                        "statusCode": "AUTHORIZATION_ERROR",
                        "statusText": "The requestor is not authorized to access the requested "
                        "view or fields of the resource",
                    }
                }
            },
            "HTTP 403: AUTHORIZATION_ERROR.*check ELSEVIER_API_KEY",
        ),
        (404, "<html>Not Found</html>", "HTTP 404: Not Found; check the URL"),
    ],
)
def test_error_bodies(status, body, expected):
    kwargs = {"json": body} if isinstance(body, dict) else {"body": body}
    responses.add(responses.PUT, SEARCH, status=status, **kwargs)
    src = make(ScienceDirect, ENV)
    with pytest.raises(SourceError, match=f"sciencedirect: {expected}") as err:
        walk(src, src.compile(REFERENCE, REFERENCE_FILTERS))
    assert KEY not in str(err.value)


@responses.activate
def test_no_key_in_archive_and_offline_replay(tmp_path):
    responses.add(responses.PUT, SEARCH, json=page("sd_put_page1.json"))
    src = make(TwoPerPage, {**ENV, "ELSEVIER_INSTTOKEN": "TOKEN-0123456789"}, max_records=2)
    plan = src.compile(REFERENCE, REFERENCE_FILTERS)
    archive = Archive(tmp_path / "raw" / "sciencedirect" / "run")
    online = walk(src, plan, archive)
    assert len(online) == 2
    for path in archive.folder.iterdir():
        text = path.read_text("utf-8")
        assert KEY not in text and "TOKEN-0123456789" not in text
    meta = json.loads((archive.folder / "b00-p00000.meta.json").read_text())
    assert meta["method"] == "PUT" and meta["json"]["qs"] == QS
    replayed = src.replay(plan, archive, "b00-p00000")[0].records
    assert list(replayed) == online


def test_missing_key_is_named():
    assert make(ScienceDirect, {}).missing_keys() == ("ELSEVIER_API_KEY",)
