"""`slr fulltext fetch`: location sources from recorded answers, PDF checks, durability."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import responses
import yaml
from click.testing import CliRunner

from slr.cli import main
from slr.corpus import add_records
from slr.decisions import Decision, record_decision
from slr.fulltext import load_retrievals, pdf_path, retrieval_status, text_path
from slr.fulltext.fetch import check_pdf, fetch, summary
from slr.fulltext.locate import Target, target
from slr.fulltext.locate.crossref import Crossref
from slr.fulltext.locate.openalex import OpenAlex
from slr.fulltext.locate.pmc import Pmc
from slr.fulltext.locate.semanticscholar import SemanticScholar
from slr.fulltext.locate.unpaywall import Unpaywall
from slr.http import Client, Response
from slr.records import Record
from slr.review import Review, open_review
from slr.snowball import dedupe
from slr.works import load_works

FIX = Path(__file__).resolve().parent / "fixtures" / "fulltext"
ENV = {"SLR_MAILTO": "me@example.org"}
UNPAYWALL = "https://api.unpaywall.org/v2"
PDF = (FIX / "pdf" / "acl_naacl2018_N18-3011_literature_graph.pdf").read_bytes()
SMALL_PDF = (FIX / "pdf" / "broken_xref_keyword_missing.pdf").read_bytes()
LANDING = b"<!DOCTYPE html><html><head><title>Article</title></head><body>Abstract</body></html>"
LOGIN = b'<html><body><form><input type="password" name="pw"></form></body></html>'
PROTOCOL = """
[review]
id = "ft"
title = "Full-text test review"
reviewers = ["reviewer1"]

[search]
query = 'MLOps'
sources = ["openalex"]

[[criteria.exclusion]]
id = "EC2"
text = "No relevance to the research question"
"""


def body(*parts: str) -> bytes:
    return FIX.joinpath("api", *parts).read_bytes()


def cassette(index: int) -> bytes:
    name = "paperqa_doi_search_10.1016_j.xgen.2025.100814.cassette.yaml"
    data = yaml.safe_load(body("cassettes", name))["interactions"][index]["response"]["body"]
    raw = data["string"]
    return gzip.decompress(raw) if isinstance(raw, bytes) else raw.encode()


def answer(content: bytes, status: int = 200) -> Response:
    return Response("https://api.example/x", status, {}, content)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def client() -> Client:
    t = FakeTime()
    return Client(mailto="me@example.org", clock=t.clock, sleep=t.sleep, rng=lambda: 0.5, retries=1)


def review_with(tmp_path: Path, decisions: dict[str, str], *records: Record) -> Review:
    path = tmp_path / "protocols" / "ft.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PROTOCOL)
    review = open_review(path, tmp_path / "corpus" / "ft")
    add_records(review, records)
    dedupe(review)
    for wid, decision in decisions.items():
        crit = ("EC2",) if decision == "exclude" else ()
        record_decision(review, Decision("reviewer1", "title-abstract", wid, decision, crit))
    return review


NATURE = Record(
    "crossref",
    "10.1038/nature12373",
    title="Nanometre-scale thermometry",
    doi="10.1038/nature12373",
)
PHYSREVE = Record(
    "crossref",
    "10.1103/physreve.88.012814",
    title="Epidemic spreading",
    doi="10.1103/physreve.88.012814",
)
EXCLUDED = Record("crossref", "10.1/excluded", title="Off topic", doi="10.1/excluded")
NO_IDS = Record("crossref", "local-1", title="A report without identifiers")


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# ---------------------------------------------------------------- each location source


def test_unpaywall_gives_the_best_location_first_with_version_and_licence():
    green = Unpaywall(ENV, "me@example.org").locations(
        Target("w"),
        answer(
            body(
                "unpaywall",
                "unpywall_10.1038_nature12373_green_repository_pdf_2020-04-29.body.json",
            )
        ),
    )
    assert green[0].url.startswith("https://dash.harvard.edu/")
    assert [(x.oa_status, x.version) for x in green] == [
        ("green", "published"),
        ("green", "accepted"),
        ("green", "submitted"),
    ]
    hybrid = Unpaywall(ENV, "me@example.org").locations(
        Target("w"),
        answer(
            body(
                "unpaywall",
                "unpywall_10.1103_physreve.88.012814_hybrid_accepted_pdf_2020-04-29.body.json",
            )
        ),
    )
    assert hybrid[0].version == "accepted" and hybrid[0].licence.startswith("publisher-specific")
    closed = answer(body("unpaywall", "paperqa_10.1023_a_1007154515475_closed.body.json"))
    assert Unpaywall(ENV, "me@example.org").locations(Target("w"), closed) == []
    assert Unpaywall({}, None).unavailable() and "SLR_MAILTO" in Unpaywall({}, None).unavailable()
    lookup = Unpaywall({"SLR_UNPAYWALL_URL": "http://mirror/v2/"}, "a@b").lookup(
        Target("w", doi="10.1/x")
    )
    assert lookup and lookup.request.url == "http://mirror/v2/10.1/x"


def test_openalex_best_oa_location_then_the_other_pdf_urls():
    found = OpenAlex(ENV, None).locations(
        Target("w"), answer(body("openalex", "openalex_work_W2741809807.json"))
    )
    assert found[0].url == "https://peerj.com/articles/4375.pdf"
    assert (found[0].oa_status, found[0].version, found[0].licence) == (
        "gold",
        "published",
        "cc-by",
    )
    assert len({x.url for x in found}) == len(found) == 4
    assert OpenAlex(ENV, None).locations(Target("w"), answer(cassette(2))) == []  # gold, no pdf_url


def test_semanticscholar_open_access_pdf():
    (loc,) = SemanticScholar(ENV, None).locations(Target("w"), answer(cassette(0)))
    assert (loc.url, loc.oa_status, loc.licence) == (
        "https://doi.org/10.1016/j.xgen.2025.100814",
        "gold",
        "CCBY",
    )


def test_a_crossref_pdf_link_is_kept_but_not_taken_for_open_access():
    found = Crossref(ENV, None).locations(
        Target("w"),
        answer(
            body(
                "crossref",
                "paperqa_crossref_work_10.1023_a_1007154515475_springer_pdf_tdm_link_closed.body.json",
            )
        ),
    )
    assert found and all(x.oa_status is None for x in found)
    assert "text-mining" in found[0].note and "not an open-access statement" in found[0].note


def test_pmc_oa_service_pdf_link_over_https_and_the_not_open_access_answer():
    (loc,) = Pmc(ENV, None).locations(Target("w"), answer(body("pmc", "pmc_oa_PMC5334499.xml")))
    assert loc.url == "https://ftp.ncbi.nlm.nih.gov/pub/pmc/oa_pdf/8f/68/WJR-9-27.PMC5334499.pdf"
    assert loc.licence == "CC BY-NC"
    assert (
        Pmc(ENV, None).locations(
            Target("w"), answer(body("pmc", "pmc_oa_PMC8550608_not_open_access.xml"))
        )
        == []
    )


def test_identifiers_come_from_every_record_of_a_work(tmp_path):
    review = review_with(
        tmp_path,
        {},
        Record("crossref", "10.48550/arxiv.2202.12139", title="T", doi="10.48550/arXiv.2202.12139"),
        Record("pubmed", "123", title="U", extra={"pmcid": "5334499"}),
    )
    by_title = {w.canonical.title: w for w in load_works(review)}
    t = target(by_title["T"], [])
    assert t.arxiv == "2202.12139"
    u = target(by_title["U"], [Record("pubmed", "123", extra={"pmcid": "5334499"})])
    assert (u.pmid, u.pmcid) == ("123", "PMC5334499")


def test_the_pdf_check_refuses_pages_and_cut_files():
    assert check_pdf(SMALL_PDF) == (None, 1)
    assert "landing page" in check_pdf(LANDING, "text/html")[0]
    assert "login page" in check_pdf(LOGIN, "text/html")[0]
    assert "truncated" in check_pdf(PDF[: len(PDF) // 2])[0]
    assert "damaged" in check_pdf(b"%PDF-1.3\nThis is not a valid PDF file\n%%EOF\n")[0]


# ---------------------------------------------------------------- a whole run


def serve(rsps: responses.RequestsMock, half: bool = True) -> None:
    rsps.get(
        f"{UNPAYWALL}/10.1038/nature12373",
        body=body(
            "unpaywall", "unpywall_10.1038_nature12373_green_repository_pdf_2020-04-29.body.json"
        ),
        content_type="application/json",
    )
    rsps.get(
        f"{UNPAYWALL}/10.1103/physreve.88.012814",
        body=body(
            "unpaywall",
            "unpywall_10.1103_physreve.88.012814_hybrid_accepted_pdf_2020-04-29.body.json",
        ),
        content_type="application/json",
    )
    # nature12373: a landing page, then a redirect chain to the PDF
    rsps.get(
        "https://dash.harvard.edu/bitstream/1/12285462/1/Nanometer-Scale%20Thermometry.pdf",
        body=LANDING,
        content_type="text/html",
    )
    rsps.get(
        "http://europepmc.org/articles/pmc4221854?pdf=render",
        status=302,
        headers={"Location": "https://europepmc.org/step"},
    )
    rsps.get(
        "https://europepmc.org/step",
        status=301,
        headers={"Location": "https://cdn.example/paper.pdf"},
    )
    rsps.get("https://cdn.example/paper.pdf", body=PDF, content_type="application/pdf")
    # physreve: a 403, then a truncated PDF
    rsps.get(
        "https://link.aps.org/accepted/10.1103/PhysRevE.88.012814", status=403, body=b"Forbidden"
    )
    rsps.get(
        "http://arxiv.org/pdf/1304.0473",
        body=PDF[: len(PDF) // 2] if half else PDF,
        content_type="application/pdf",
    )


def test_fetch_tries_locations_in_order_logs_each_failure_and_stores_the_pdf(tmp_path):
    review = review_with(
        tmp_path,
        {
            "crossref:10.1038/nature12373": "include",
            "crossref:10.1103/physreve.88.012814": "maybe",
            "crossref:10.1/excluded": "exclude",
            "crossref:local-1": "maybe",
        },
        NATURE,
        PHYSREVE,
        EXCLUDED,
        NO_IDS,
    )
    seen = []
    with responses.RequestsMock() as rsps:
        serve(rsps)
        report = fetch(
            review,
            ["unpaywall"],
            client=client(),
            env=ENV,
            progress=lambda d, t: seen.append((d, t)),
        )
    assert seen[-1] == (3, 3)  # the excluded work is not fetched
    events = load_retrievals(review)
    nature = [e for e in events if e.work_id == "crossref:10.1038/nature12373"]
    assert [e.event for e in nature] == ["failed", "retrieved"]
    assert "HTML landing page" in nature[0].reason
    got = nature[1]
    assert (got.url, got.host, got.via, got.oa_status, got.version, got.pages) == (
        "https://cdn.example/paper.pdf",
        "cdn.example",
        "unpaywall",
        "green",
        "accepted",
        8,
    )
    assert pdf_path(review, got.work_id).read_bytes() == PDF
    # the text is extracted before the event is logged, and the event says how it went
    assert text_path(review, got.work_id).exists() and got.text is not None
    phys = [e for e in events if e.work_id == "crossref:10.1103/physreve.88.012814"]
    assert [e.event for e in phys] == ["failed", "failed", "exhausted"]
    assert phys[0].reason == "HTTP 403" and "truncated" in phys[1].reason
    assert retrieval_status(events)["crossref:local-1"] == "no-open-access"  # nothing to look up by
    assert "fulltext/*.pdf" in (review.store.root / ".gitignore").read_text()
    assert list((review.store.raw / "fulltext" / "unpaywall").glob("*.meta.json"))
    assert "3 works needed a full text: 1 retrieved, 2 with no PDF" in summary(report)[-1]

    # a second run asks no API again and downloads nothing already stored
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, half=False)
        fetch(review, ["unpaywall"], client=client(), env=ENV)
        urls = [c.request.url for c in rsps.calls]
    assert not any("unpaywall" in u or "cdn.example" in u or "harvard" in u for u in urls)
    assert "http://arxiv.org/pdf/1304.0473" in urls  # the failed one is tried again, and now works
    assert [e.event for e in load_retrievals(review) if e.work_id == got.work_id].count(
        "retrieved"
    ) == 1
    assert (
        retrieval_status(load_retrievals(review))["crossref:10.1103/physreve.88.012814"]
        == "retrieved"
    )


def test_dry_run_writes_nothing_and_then_reads_the_archive(tmp_path):
    review = review_with(tmp_path, {"crossref:10.1038/nature12373": "include"}, NATURE)
    before = files(review.store.root)
    with responses.RequestsMock() as rsps:
        report = fetch(review, [], dry_run=True, client=client(), env=ENV)
    assert files(review.store.root) == before
    lines = summary(report)
    assert f"  unpaywall: would ask {UNPAYWALL}/10.1038/nature12373?email=me%40example.org" in lines
    assert (
        "  crossref: would ask https://api.crossref.org/works/10.1038%2Fnature12373?mailto=me%40example.org"
        in lines
    )
    assert "  arxiv: nothing to look up (no arXiv id)" in lines
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps)
        fetch(review, ["unpaywall"], client=client(), env=ENV)
    # the archived Unpaywall answer is read back: no request
    with responses.RequestsMock() as rsps:
        lines = summary(fetch(review, ["unpaywall"], dry_run=True, client=client(), env=ENV))
    assert lines[-1].startswith("0 works need a full text")  # it was retrieved
    events = load_retrievals(review)
    (review.store.root / "fulltext.jsonl").write_text("")  # pretend it was never fetched
    with responses.RequestsMock() as rsps:
        lines = summary(fetch(review, ["unpaywall"], dry_run=True, client=client(), env=ENV))
    assert "  unpaywall: would try http://europepmc.org/articles/pmc4221854?pdf=render" in lines
    assert events


def test_without_slr_mailto_unpaywall_is_skipped_or_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.delenv("SLR_MAILTO", raising=False)
    review = review_with(tmp_path, {"crossref:10.1038/nature12373": "include"}, NATURE)
    with responses.RequestsMock():
        report = fetch(review, [], dry_run=True, client=client(), env={})
    assert any("SLR_MAILTO" in n and n.startswith("skipped unpaywall") for n in report.notes)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["fulltext", "fetch", "-p", "protocols/ft.toml", "--via", "unpaywall"]
    )
    assert result.exit_code == 1
    assert (
        result.output.count("\n") == 1
        and "Error:" in result.output
        and "SLR_MAILTO" in result.output
    )


def test_a_kill_mid_download_or_mid_write_leaves_no_file_and_no_event_and_resumes(
    tmp_path, monkeypatch
):
    review = review_with(tmp_path, {"crossref:10.1038/nature12373": "include"}, NATURE)
    work = "crossref:10.1038/nature12373"

    def killed(request):
        raise KeyboardInterrupt  # the body had started arriving when the user pressed Ctrl-C

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(
            f"{UNPAYWALL}/10.1038/nature12373",
            body=body(
                "unpaywall",
                "unpywall_10.1038_nature12373_green_repository_pdf_2020-04-29.body.json",
            ),
            content_type="application/json",
        )
        rsps.add_callback(
            "GET",
            "https://dash.harvard.edu/bitstream/1/12285462/1/Nanometer-Scale%20Thermometry.pdf",
            callback=killed,
        )
        with pytest.raises(KeyboardInterrupt):
            fetch(review, ["unpaywall"], client=client(), env=ENV)
    folder = review.store.root / "fulltext"
    assert not folder.exists() or not list(folder.iterdir())
    assert not [e for e in load_retrievals(review) if e.event == "retrieved"]

    import slr.store

    real = slr.store.os.replace

    def dies(src, dst):  # killed between writing the temporary file and renaming it
        if str(dst).endswith(".pdf"):
            raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(slr.store.os, "replace", dies)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(
            "https://dash.harvard.edu/bitstream/1/12285462/1/Nanometer-Scale%20Thermometry.pdf",
            body=SMALL_PDF,
        )
        with pytest.raises(KeyboardInterrupt):
            fetch(review, ["unpaywall"], client=client(), env=ENV)
    assert not list(folder.iterdir())  # no PDF and no temporary file
    assert not [e for e in load_retrievals(review) if e.event == "retrieved"]
    monkeypatch.setattr(slr.store.os, "replace", real)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(
            "https://dash.harvard.edu/bitstream/1/12285462/1/Nanometer-Scale%20Thermometry.pdf",
            body=SMALL_PDF,
        )
        fetch(review, ["unpaywall"], client=client(), env=ENV)
        assert not any("unpaywall.org" in c.request.url for c in rsps.calls)  # archived answer
    assert [e.event for e in load_retrievals(review) if e.work_id == work] == ["retrieved"]
    names = {p.name for p in folder.iterdir()}  # the PDF (and its text, if any), no partial file
    assert pdf_path(review, work).name in names
    assert names <= {pdf_path(review, work).name, text_path(review, work).name}


def test_cli_dry_run_lists_per_work(tmp_path, monkeypatch):
    review_with(tmp_path, {"crossref:10.1038/nature12373": "include"}, NATURE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLR_MAILTO", "me@example.org")
    with responses.RequestsMock():
        result = CliRunner().invoke(
            main,
            [
                "fulltext",
                "fetch",
                "-p",
                "protocols/ft.toml",
                "--dry-run",
                "-q",
                "--via",
                "arxiv",
                "--via",
                "unpaywall",
            ],
        )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == [
        "crossref:10.1038/nature12373",
        "  arxiv: nothing to look up (no arXiv id)",
        f"  unpaywall: would ask {UNPAYWALL}/10.1038/nature12373?email=me%40example.org",
    ]
