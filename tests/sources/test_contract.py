"""The contract every registered source keeps, checked offline for the whole registry.

For each source: its class attributes, the reference query compiled without network or
keys, the first request built under a `SLR_<NAME>_URL` override, and a first page parsed
into records from a recorded response (or, for ScienceDirect and dblp, which have no
recorded responses, a page written from their documentation) with every key variable
set, after which no key may appear in the raw archive.
"""

import json
import re
import sys
from pathlib import Path

import pytest
import responses
from _support import FIXTURES, KEY, REFERENCE, REFERENCE_FILTERS, client

from slr.databases import FETCHED, MANUAL
from slr.http import Archive
from slr.records import TYPES, Record
from slr.sources import SOURCES as REGISTRY
from slr.sources import compile_all
from slr.sources.base import Plan, Source

SOURCES = dict(REGISTRY.items())
S2_ITEMS = FIXTURES / "semanticscholar" / "findpapers_s2_relevance_search_full_fields.json"

# Written from the ScienceDirect Search API v2 documentation (PUT response: resultsFound,
# results[] with title, authors[].name/order, publicationDate, doi, sourceTitle, pii).
SCIENCEDIRECT_PAGE = {
    "resultsFound": 1,
    "results": [
        {
            "title": "Challenges of machine learning operations in industry",
            "authors": [{"order": 1, "name": "A. Author"}, {"order": 2, "name": "B. Author"}],
            "publicationDate": "2022-03-01",
            "doi": "10.1016/j.jss.2022.111111",
            "sourceTitle": "Journal of Systems and Software",
            "pii": "S0164121222000000",
            "uri": "https://www.sciencedirect.com/science/article/pii/S0164121222000000",
        }
    ],
}
# Written from dblp.org/faq/13501473.html (JSON: result.hits.@total, hit[].info).
DBLP_PAGE = {
    "result": {
        "status": {"@code": "200", "text": "OK"},
        "hits": {
            "@total": "1",
            "@computed": "1",
            "@sent": "1",
            "@first": "0",
            "hit": [
                {
                    "@score": "1",
                    "@id": "1",
                    "info": {
                        "authors": {"author": {"@pid": "1/1", "text": "A. Author"}},
                        "title": "MLOps challenges in production.",
                        "venue": "ICSE",
                        "year": "2022",
                        "type": "Conference and Workshop Papers",
                        "key": "conf/icse/Author22",
                        "doi": "10.1145/1111111.2222222",
                        "ee": "https://doi.org/10.1145/1111111.2222222",
                        "url": "https://dblp.org/rec/conf/icse/Author22",
                    },
                }
            ],
        },
    }
}


def _s2_page() -> bytes | None:
    if not S2_ITEMS.exists():
        return None
    data = json.loads(S2_ITEMS.read_text())["data"]
    return json.dumps({"total": len(data), "token": None, "data": data}).encode()


def _file(*parts: str) -> bytes | None:
    path = FIXTURES.joinpath(*parts)
    return path.read_bytes() if path.exists() else None


# source -> [(URL pattern, body, content type)]; every registered source needs one.
SAMPLES = {
    "openalex": [
        (r"/works", _file("openalex", "peneira_works_search_page1.json"), "application/json")
    ],
    "crossref": [
        (
            r"/works",
            _file("crossref", "habanero_works_query_ecology_rows2.body.json"),
            "application/json",
        )
    ],
    "arxiv": [
        (r"/query", _file("arxiv", "arxiv_py_q_testing_s0_m10.body.xml"), "application/atom+xml")
    ],
    "semanticscholar": [(r"/paper/search/bulk", _s2_page(), "application/json")],
    "scopus": [
        (
            r"/content/search/scopus",
            _file("scopus", "findpapers_scopus_search_page1.json"),
            "application/json",
        )
    ],
    "ieee": [
        (r"/search/articles", _file("ieee", "findpapers_ieee_search_2020.json"), "application/json")
    ],
    "pubmed": [
        (
            r"esearch\.fcgi",
            _file("pubmed", "findpapers_esearch_retmode_json.json"),
            "application/json",
        ),
        (r"efetch\.fcgi", _file("pubmed", "findpapers_efetch_50.xml"), "text/xml"),
    ],
    "sciencedirect": [
        (r"/search/sciencedirect", json.dumps(SCIENCEDIRECT_PAGE).encode(), "application/json")
    ],
    "dblp": [(r"/search/publ/api", json.dumps(DBLP_PAGE).encode(), "application/json")],
}


def _all_keys(cls: type[Source]) -> dict[str, str]:
    return {var: f"{KEY}-{i}" for i, var in enumerate(cls.key_env + cls.optional_env)}


@pytest.fixture(params=sorted(SOURCES))
def cls(request) -> type[Source]:
    return SOURCES[request.param]


def test_registry_is_filled_from_the_modules():
    assert {"openalex", "crossref", "arxiv", "semanticscholar"} <= set(SOURCES)
    assert set(SOURCES) <= set(FETCHED)


def test_registry_names_exactly_the_core_list_of_fetched_databases():
    # the core (slr.databases) lists the names a protocol may use without importing sources
    assert sorted(REGISTRY.names()) == sorted(FETCHED)
    assert not set(FETCHED) & set(MANUAL)


def test_class_attributes(cls):
    assert cls.name in FETCHED and SOURCES[cls.name] is cls
    assert cls.database and cls.interface
    assert cls.default_url.startswith("https://")
    assert cls.rate > 0 and cls.page_size > 0
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]+", v) for v in cls.key_env + cls.optional_env)
    assert sys.modules[cls.__module__].__doc__, "a source module says what its API cannot do"


def test_reference_query_compiles_offline_without_keys(cls):
    src = cls(client(), {}, {})
    plan = src.compile(REFERENCE, REFERENCE_FILTERS)
    assert isinstance(plan, Plan) and plan.branches
    assert all(b.query.strip() for b in plan.branches)
    assert plan.text() and "\n" not in plan.text()
    assert src.missing_keys() == cls.key_env
    # the plan is a value: compiling twice gives the same plan
    assert src.compile(REFERENCE, REFERENCE_FILTERS) == plan


def test_first_request_honours_the_base_url_override(cls):
    env = {**_all_keys(cls), f"SLR_{cls.name.upper()}_URL": "http://127.0.0.1:9/mirror"}
    src = cls(client(), {}, env)
    plan = src.compile(REFERENCE, REFERENCE_FILTERS)
    req = src.request(plan, 0, src.first(plan, 0))
    assert req.url.startswith("http://127.0.0.1:9/mirror")
    json.dumps(src.first(plan, 0))  # paging states are saved for resume


@responses.activate
def test_first_page_parses_and_no_key_reaches_the_archive(cls, tmp_path):
    samples = SAMPLES.get(cls.name)
    if samples is None:
        pytest.fail(f"no sample page for source {cls.name!r}: add one to SAMPLES")
    if any(body is None for _, body, _ in samples):
        pytest.skip("../shared is absent: the recorded first pages")
    for pattern, body, ctype in samples:
        for method in (responses.GET, responses.POST, responses.PUT):
            responses.add(method, re.compile(".*" + pattern), body=body, content_type=ctype)
    keys = _all_keys(cls)
    src = cls(client(), {}, keys)
    plan = src.compile(REFERENCE, REFERENCE_FILTERS)
    archive = Archive(tmp_path / "raw" / cls.name / "run")
    page = src.fetch(plan, 0, src.first(plan, 0), archive, "b00-p00000")
    assert page.records, "the sample page should hold records"
    assert page.total is None or page.total >= len(page.records)
    for rec in page.records:
        assert isinstance(rec, Record) and rec.source == cls.name and rec.source_id
        assert rec.raw and rec.raw.startswith(f"raw/{cls.name}/run/b00-p00000")
        assert rec.type is None or rec.type in TYPES
        assert rec.year is None or 1500 < rec.year < 2100
    assert any(rec.title for rec in page.records)
    for path in archive.folder.iterdir():
        text = path.read_bytes().decode("utf-8", errors="replace")
        assert not any(k in text for k in keys.values()), f"key leaked into {path.name}"
    replayed = [src.replay(plan, archive, n)[0] for n in archive.names()]
    assert page.records in [p.records for p in replayed]


def test_compile_all_for_the_reference_protocol():
    from slr import protocol as protocol_mod

    proto = protocol_mod.load(Path(__file__).resolve().parents[2] / "protocols" / "mlops.toml")
    compiled = dict(compile_all(proto))
    assert set(compiled) == {s.name for s in proto.search.sources}
    assert compiled["google-scholar"].startswith("manual:")
