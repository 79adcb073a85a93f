"""PubMed (E-utilities): the exact ESearch term and parameters, ESearch + EFetch per page
with `retstart` paging, every field of the EFetch XML, ESearch in JSON and XML (with
`usehistory`), the empty result, errors and the NCBI key, replaying the findpapers and
Biopython recordings."""

import json
import re

import pytest
import responses
from _support import KEY, REFERENCE, REFERENCE_FILTERS, fixture, make, walk
from responses import matchers

from slr import query as q
from slr.errors import SourceError
from slr.http import Archive
from slr.sources.base import Filters
from slr.sources.pubmed import PubMed, parse_efetch, parse_esearch, publication_type

BASE = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
ESEARCH, EFETCH = f"{BASE}/esearch.fcgi", f"{BASE}/efetch.fcgi"
REFERENCE_TERM = (
    '("MLOps"[tiab] OR "machine learning operations"[tiab] OR "machine learning in '
    'production"[tiab]) AND (challenge*[tiab] OR barrier*[tiab]) AND 2018:2023[dp] AND '
    '("journal article"[pt] OR congress[pt]) AND english[la]'
)


def esearch() -> dict:
    """findpapers' ESearch JSON: count 1834, 50 PMIDs (the 50 of findpapers_efetch_50.xml)."""
    return json.loads(fixture("pubmed", "findpapers_esearch_retmode_json.json").read_bytes())


def efetch_articles() -> list[str]:
    """The 50 `<PubmedArticle>` elements of the recorded EFetch, as text, in order."""
    text = fixture("pubmed", "findpapers_efetch_50.xml").read_text("utf-8")
    return re.findall(r"<PubmedArticle>.*?</PubmedArticle>", text, re.S)


def efetch_body(articles: list[str]) -> str:
    return (
        '<?xml version="1.0" ?>\n<PubmedArticleSet>\n'
        + "\n".join(articles)
        + "\n</PubmedArticleSet>"
    )


def esearch_page(data: dict, lo: int, hi: int, count: int) -> dict:
    res = {**data["esearchresult"], "count": str(count), "retstart": str(lo)}
    res["idlist"] = data["esearchresult"]["idlist"][lo:hi]
    res["retmax"] = str(len(res["idlist"]))
    return {**data, "esearchresult": res}


class QuarterPages(PubMed):
    page_size = 25


def test_reference_query_is_the_exact_term_of_sources_md():
    plan = make(PubMed).compile(REFERENCE, REFERENCE_FILTERS)
    assert plan.queries == (REFERENCE_TERM,)
    assert any("warninglist" in n for n in plan.local)


def test_fields_not_and_filters():
    src = make(PubMed)
    plan = src.compile(
        q.parse('title:mlops OR keywords:"model drift" AND NOT abstract:x'), Filters()
    )
    assert plan.queries == ('mlops[ti] OR ("model drift"[ot] NOT x[tiab])',)
    assert any("abstract-only" in n for n in plan.local)
    plan = src.compile(q.parse("a OR b"), Filters((2020, 2021), ("review", "book"), ("de",)))
    assert plan.queries == ("(a[tiab] OR b[tiab]) AND 2020:2021[dp] AND german[la]",)
    assert any(n.startswith("types") for n in plan.local)
    plan = src.compile(q.parse("real-time"), Filters(None, ("article", "review")))
    assert plan.queries == ('"real-time"[tiab] AND ("journal article"[pt] OR review[pt])',)


@responses.activate
def test_exact_requests_for_the_reference_query():
    data = esearch()
    responses.add(
        responses.GET,
        ESEARCH,
        json=esearch_page(data, 0, 50, 50),
        match=[
            matchers.query_param_matcher(
                {
                    "db": "pubmed",
                    "term": REFERENCE_TERM,
                    "retmode": "json",
                    "usehistory": "y",
                    "retstart": "0",
                    "retmax": "200",
                    "tool": "slr",
                    "email": "me@example.org",
                }
            )
        ],
    )
    responses.add(
        responses.GET,
        EFETCH,
        body=fixture("pubmed", "findpapers_efetch_50.xml").read_bytes(),
        content_type="text/xml",
        match=[
            matchers.query_param_matcher(
                {
                    "db": "pubmed",
                    "id": ",".join(data["esearchresult"]["idlist"]),
                    "retmode": "xml",
                    "tool": "slr",
                    "email": "me@example.org",
                }
            )
        ],
    )
    src = make(PubMed)
    got = list(src.pages(src.compile(REFERENCE, REFERENCE_FILTERS)))
    assert len(got) == 1 and len(got[0].page.records) == 50 and got[0].page.next is None
    assert [r.source_id for r in got[0].page.records] == data["esearchresult"]["idlist"]
    assert src.requests_per_second() == 3.0


@responses.activate
def test_key_goes_to_api_key_and_raises_the_pace():
    responses.add(
        responses.GET,
        ESEARCH,
        json=esearch_page(esearch(), 0, 0, 0),
        match=[matchers.query_param_matcher({"api_key": KEY}, strict_match=False)],
    )
    src = make(PubMed, {"NCBI_API_KEY": KEY})
    assert walk(src, src.compile(q.parse("x"), Filters())) == []
    assert src.requests_per_second() == 10.0 and src.missing_keys() == ()


@responses.activate
def test_retstart_paging_to_the_end_and_resume(tmp_path):
    data, articles = esearch(), efetch_articles()
    ids = data["esearchresult"]["idlist"]
    for lo in (0, 25):
        responses.add(
            responses.GET,
            ESEARCH,
            json=esearch_page(data, lo, lo + 25, 50),
            match=[matchers.query_param_matcher({"retstart": str(lo)}, strict_match=False)],
        )
        responses.add(
            responses.GET,
            EFETCH,
            body=efetch_body(articles[lo : lo + 25]),
            content_type="text/xml",
            match=[
                matchers.query_param_matcher(
                    {"id": ",".join(ids[lo : lo + 25])}, strict_match=False
                )
            ],
        )
    src = make(QuarterPages)
    plan = src.compile(q.parse("nlp"), Filters())
    archive = Archive(tmp_path / "raw" / "pubmed" / "run")
    got = list(src.pages(plan, archive))
    assert [g.state for g in got] == [{"start": 0}, {"start": 25}]
    assert [r.source_id for g in got for r in g.page.records] == ids
    assert got[0].page.total == 50 and got[-1].page.next is None
    assert archive.names() == [
        "b00-p00000",
        "b00-p00000-esearch",
        "b00-p00001",
        "b00-p00001-esearch",
    ]
    # a run killed after page 0 resumes at page 1 with exactly the remaining records
    again = list(src.pages(plan, None, {0: (1, {"start": 25}, 25)}))
    assert [r.source_id for g in again for r in g.page.records] == ids[25:]
    # offline: every record again, the total from the archived ESearch, no network
    responses.reset()
    replayed = [src.replay(plan, archive, n)[0] for n in archive.names()]
    assert [r.source_id for p in replayed for r in p.records] == ids
    assert {p.total for p in replayed} == {50}
    assert replayed[0].records[1].raw == "raw/pubmed/run/b00-p00000.xml#1"


@responses.activate
def test_the_10000_uid_cap_ends_paging():
    responses.add(responses.GET, ESEARCH, json=esearch_page(esearch(), 0, 50, 1834))
    responses.add(
        responses.GET, EFETCH, body=efetch_body(efetch_articles()), content_type="text/xml"
    )
    src = make(PubMed, max_records=100)
    got = list(src.pages(src.compile(q.parse("nlp"), Filters())))
    assert len(got) == 2 and got[-1].capped
    assert make(PubMed).cap() == 10_000 and make(PubMed, max_records=20_000).cap() == 10_000


@responses.activate
def test_empty_result_sends_no_efetch():
    data = esearch_page(esearch(), 0, 0, 0)
    data["esearchresult"]["warninglist"] = {
        "phrasesignored": [],
        "quotedphrasesnotfound": ['"mlops in production"'],
        "outputmessages": ["No items found."],
    }
    responses.add(responses.GET, ESEARCH, json=data)
    src = make(PubMed)
    got = list(src.pages(src.compile(q.parse('"mlops in production"'), Filters())))
    assert [g.page.records for g in got] == [()] and got[0].page.total == 0
    assert len(responses.calls) == 1


def test_esearch_json_and_xml_with_usehistory():
    found = parse_esearch(fixture("pubmed", "findpapers_esearch_retmode_json.json").read_bytes())
    assert found["count"] == 1834 and len(found["ids"]) == 50 and found["ids"][0] == "36006759"
    assert found["translation"].startswith('("machine learning"[Title/Abstract]')
    history = parse_esearch(fixture("pubmed", "biopython_esearch2_usehistory.xml").read_bytes())
    assert history["count"] == 42249 and len(history["ids"]) == 100
    assert history["webenv"] == "MCID_6927d6e7fee3e90f880ec190" and history["query_key"] == "1"
    paged = parse_esearch(fixture("pubmed", "biopython_esearch3_retstart6.xml").read_bytes())
    assert paged["retstart"] == 6 and paged["ids"] == [
        str(i) for i in range(11121077, 11121071, -1)
    ]
    assert paged["translation"] == '"proc natl acad sci u s a"[Journal] AND "97"[Volume]'
    small = parse_esearch(fixture("pubmed", "findpapers_esearch_2020.xml").read_bytes())
    assert small["count"] == 51 and small["ids"][0] == "32835308"


def test_every_field_is_parsed():
    (rec,) = parse_efetch(fixture("pubmed", "findpapers_efetch_32835308_2020.xml").read_bytes())
    assert rec.id == "pubmed:32835308"
    assert rec.title == "Harvesting Patterns from Textual Web Sources with Tolerance Rough Sets."
    assert rec.abstract.startswith("Construction of knowledge repositories from web corpora")
    assert rec.authors == ("Hoora Rezaei Moghaddam", "Sheela Ramanna")
    assert (rec.year, rec.venue, rec.doi) == (
        2020,
        "Patterns (New York, N.Y.)",
        "10.1016/j.patter.2020.100053",
    )
    assert (rec.type, rec.language) == ("article", "en")
    assert rec.keywords[:2] == ("granular computing", "machine learning")
    assert (rec.volume, rec.issue, rec.pages) == ("1", "4", "100053")
    assert rec.url == "https://pubmed.ncbi.nlm.nih.gov/32835308/"
    assert rec.oa_url == "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7318947/"
    assert rec.extra["pmcid"] == "PMC7318947" and rec.extra["status"] == "PubMed-not-MEDLINE"
    assert rec.matches(q.parse('"natural language processing"')) is q.Verdict.MATCH


def test_structured_abstracts_references_and_types():
    records = parse_efetch(fixture("pubmed", "findpapers_efetch_50.xml").read_bytes())
    assert len(records) == 50 and all(r.title and r.year for r in records)
    labelled = [r for r in records if r.abstract and r.abstract.startswith("BACKGROUND: ")]
    assert labelled, "structured abstracts keep their section labels"
    with_refs = [r for r in records if r.references]
    assert len(with_refs) >= 20
    assert any(ref.startswith("10.") for r in with_refs for ref in r.references)
    assert sum(r.doi is None for r in records) == 5
    assert {r.type for r in records} == {"article", "review", "other"}
    assert publication_type(["Journal Article", "Systematic Review"]) == "review"
    assert publication_type(["Congress"]) == "conference-paper"
    assert publication_type([]) is None


def test_older_layouts_season_dates_and_cites():
    old, second = parse_efetch(fixture("pubmed", "biopython_efetch_pubmed1.xml").read_bytes())
    assert old.year == 1990 and old.type == "review" and old.doi is None  # Year + Season
    assert old.abstract is None and old.keywords == (
        "Health Care and Public Health",
        "Legal Approach",
    )
    assert second.doi == "10.1016/0005-2795(76)90109-4"
    (cited,) = parse_efetch(fixture("pubmed", "biopython_efetch_pubmed4.xml").read_bytes())
    assert len(cited.references) == 48 and all(r.startswith("pmid:") for r in cited.references)
    assert cited.abstract.startswith("OBJECTIVE: ")
    assert "<" not in cited.title and len(cited.authors) == 22


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            {"error": "API key invalid", "api-key": KEY, "type": "invalid", "status": "unknown"},
            "HTTP 400: API key invalid",
        ),
        (401, {"error": "Unauthorized"}, "HTTP 401: Unauthorized; check NCBI_API_KEY"),
        (403, "<html><body>Forbidden</body></html>", "HTTP 403: .*Forbidden.*check NCBI_API_KEY"),
        (404, "<html><body>Not Found</body></html>", "HTTP 404: .*Not Found.*SLR_PUBMED_URL"),
    ],
)
def test_error_bodies(status, body, expected):
    kwargs = {"json": body} if isinstance(body, dict) else {"body": body}
    responses.add(responses.GET, ESEARCH, status=status, **kwargs)
    src = make(PubMed, {"NCBI_API_KEY": KEY})
    with pytest.raises(SourceError, match=f"pubmed: {expected}") as err:
        walk(src, src.compile(REFERENCE, REFERENCE_FILTERS))
    assert KEY not in str(err.value)


def test_esearch_errors_in_a_200_body():
    bad_tag = {
        "esearchresult": {"count": "0", "idlist": [], "errorlist": {"fieldsnotfound": ["[xx]"]}}
    }
    with pytest.raises(SourceError, match=r"unknown field tag.*\[xx\]"):
        parse_esearch(json.dumps(bad_tag).encode())
    with pytest.raises(SourceError, match="ESearch error: Invalid db name"):
        parse_esearch(json.dumps({"esearchresult": {"ERROR": "Invalid db name"}}).encode())
    with pytest.raises(SourceError, match="EFetch gave <eFetchResult>.*bad id"):
        parse_efetch(b"<eFetchResult><ERROR>bad id</ERROR></eFetchResult>")


@responses.activate
def test_key_is_redacted_in_the_archive(tmp_path):
    responses.add(responses.GET, ESEARCH, json=esearch_page(esearch(), 0, 50, 50))
    responses.add(
        responses.GET,
        EFETCH,
        body=fixture("pubmed", "findpapers_efetch_50.xml").read_bytes(),
        content_type="text/xml",
    )
    src = make(PubMed, {"NCBI_API_KEY": KEY})
    archive = Archive(tmp_path / "raw" / "pubmed" / "run")
    assert len(walk(src, src.compile(REFERENCE, REFERENCE_FILTERS), archive)) == 50
    for path in archive.folder.iterdir():
        assert KEY not in path.read_text("utf-8")
    meta = json.loads((archive.folder / "b00-p00000-esearch.meta.json").read_text())
    assert meta["params"]["api_key"] == "REDACTED" and meta["kind"] == "esearch"
    efetch_meta = json.loads((archive.folder / "b00-p00000.meta.json").read_text())
    assert efetch_meta["total"] == 50 and efetch_meta["translation"]
