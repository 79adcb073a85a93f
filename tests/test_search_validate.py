"""`slr search --validate` and `--unmatched`: the query tested on known relevant papers (from
the records, or looked up by DOI in recorded Crossref and OpenAlex answers), the recall
line, and imported records the protocol's query does not match (`slr status`, listing)."""

import csv
import io
import json
from urllib.parse import quote

import pytest
import responses
from click.testing import CliRunner
from conftest import ROOT, SHARED, SHARED_ABSENT, new_review

from slr.cli import main
from slr.corpus import add_records, log_search
from slr.http import Client
from slr.importer import import_files
from slr.query import Verdict
from slr.records import Record
from slr.status import format_status, status
from slr.validate import format_validation, imported_unmatched, validate

CROSSREF_WORK = (
    ROOT / "tests/fixtures/api/crossref/habanero_work_10.1371_journal.pone.0033693.body.json"
)
PONE = "10.1371/journal.pone.0033693"
OPENALEX_WORK = SHARED / "fixtures/api/openalex/openalex_work_W2741809807.json"
PEERJ = "10.7717/peerj.4375"
SCOPUS_RIS = ROOT / "tests/fixtures/exports/scopus_ris/asreview_scopus.ris"


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def client() -> Client:
    ft = FakeTime()
    return Client(mailto="me@example.org", clock=ft.clock, sleep=ft.sleep, rng=lambda: 0.5)


def protocol(query: str, sources: str, known: list[str] | None = None) -> str:
    """The reference protocol with another query, sources and known relevant papers."""
    out = []
    for line in (ROOT / "protocols" / "mlops.toml").read_text().splitlines():
        if line.startswith("query = "):
            line = f"query = '{query}'"
        elif line.startswith("sources = "):
            line = f"sources = {sources}"
            if known is not None:
                line += "\nknown_relevant = " + json.dumps(known)
        out.append(line)
    return "\n".join(out) + "\n"


def by_source(paper):
    return {s.source: s for s in paper.sources}


# ---------------------------------------------------------------- --validate from the records


def records_review(tmp_path):
    review = new_review(
        tmp_path,
        protocol(
            'mlops OR "machine learning operations"',
            '["openalex", "scopus", "google-scholar"]',
            ["https://doi.org/10.1000/KW", "10.1000/abs", "MLOps for Everyone", "10.1000/miss"],
        ),
    )
    add_records(
        review,
        [
            Record(
                "scopus",
                "1",
                "Deploying models",
                "we study deployment pipelines",
                doi="10.1000/kw",
                keywords=("MLOps",),
                raw="raw/scopus/run1/b00-p00000.json#0",
            ),
            Record(
                "openalex",
                "W2",
                "Operations",
                "machine learning operations in industry",
                doi="10.1000/abs",
                raw="raw/openalex/run1/b00-p00000.json#0",
            ),
            Record("google-scholar", "g3", "MLOps for everyone!", None),
        ],
    )
    log_search(review, {"kind": "search", "source": "openalex", "run_id": "run1"})
    log_search(review, {"kind": "search", "source": "scopus", "run_id": "run1"})
    return review


def test_validate_from_records_per_source_fields_and_recall(tmp_path):
    review = records_review(tmp_path)
    result = validate(review, offline=True)
    kw, abstract, title, missing = result.papers

    # the query's word is only in the keywords: Scopus searches them, OpenAlex does not
    assert kw.metadata.origin == "records"
    assert by_source(kw)["scopus"].verdict is Verdict.MATCH
    assert by_source(kw)["openalex"].verdict is Verdict.NO_MATCH
    assert by_source(kw)["google-scholar"].verdict is Verdict.MATCH
    assert by_source(kw)["scopus"].retrieved is True
    assert by_source(kw)["scopus"].records == ("scopus:1",)
    assert by_source(kw)["openalex"].retrieved is False  # searched, not found
    assert by_source(kw)["google-scholar"].retrieved is None  # never searched nor imported

    assert all(s.verdict is Verdict.MATCH for s in abstract.sources)
    assert by_source(abstract)["openalex"].retrieved is True

    # found by its normalised title; a record without abstract whose title matches
    assert title.metadata.title == "MLOps for everyone!"
    assert by_source(title)["google-scholar"].retrieved is True
    assert all(s.verdict is Verdict.MATCH for s in title.sources)

    # a DOI in no record, offline: not looked up, nothing evaluated, no failure
    assert missing.metadata.origin == "none"
    assert missing.metadata.note == "not looked up: openalex: offline; crossref: offline"
    assert all(s.verdict is None for s in missing.sources)

    assert result.recall_line() == (
        "known relevant found by the query: 3/4 (1 without metadata); "
        "retrieved by the last search: 3/4"
    )


def test_validate_formats_and_cli(tmp_path):
    review = records_review(tmp_path)
    result = validate(review, offline=True)
    rows = list(csv.DictReader(io.StringIO(format_validation(result, "csv"))))
    assert len(rows) == 4 * 3  # one row per paper and source
    first = rows[0]
    assert first["known relevant"] == "https://doi.org/10.1000/KW"
    assert first["source"] == "openalex"
    assert first["query"] == "no match"
    assert first["fields"] == "title, abstract"
    assert format_validation(result, "markdown").splitlines()[-1] == result.recall_line()

    runner = CliRunner()
    out = runner.invoke(
        main, ["search", "-p", str(review.protocol.path), "--validate", "--offline", "-q"]
    )
    assert out.exit_code == 0, out.output
    lines = [line.split()[:4] for line in out.output.splitlines()]
    assert ["scopus", "match", "yes", "(scopus:1)"] in lines
    assert out.output.rstrip().endswith("retrieved by the last search: 3/4")


def test_validate_without_known_relevant_says_how_to_add_them(review):
    result = validate(review, offline=True)
    assert result.papers == []
    assert "add search.known_relevant" in format_validation(result)


def test_one_mode_at_a_time(review):
    out = CliRunner().invoke(
        main, ["search", "-p", str(review.protocol.path), "--validate", "--count"]
    )
    assert out.exit_code == 2
    assert "--count and --validate: give one of them at a time" in out.output


# ---------------------------------------------------------------- --validate by a DOI lookup


@responses.activate
def test_validate_looks_up_a_doi_in_crossref_archives_it_and_replays_it_offline(tmp_path):
    review = new_review(
        tmp_path,
        protocol("dopamine AND adhd", '["crossref", "openalex"]', [f"https://doi.org/{PONE}"]),
    )
    url = f"https://api.crossref.org/works/{quote(PONE, safe='')}"
    responses.add(
        responses.GET, url, body=CROSSREF_WORK.read_bytes(), content_type="application/json"
    )

    result = validate(review, client=client(), env={})  # no OpenAlex key: Crossref answers
    (paper,) = result.papers
    assert paper.metadata.origin == "crossref"
    assert paper.metadata.title.startswith("Methylphenidate Exposure Induces Dopamine")
    assert paper.metadata.abstract is None
    # Crossref searches titles only: decided; OpenAlex also abstracts, which it lacks
    assert by_source(paper)["crossref"].verdict is Verdict.NO_MATCH
    assert by_source(paper)["openalex"].verdict is Verdict.UNDECIDABLE
    assert all(s.retrieved is None for s in paper.sources)
    assert result.recall_line() == (
        "known relevant found by the query: 0/1 (1 undecidable without an abstract); "
        "retrieved by the last search: 0/1"
    )
    archived = review.store.raw / "crossref" / "validate"
    assert (archived / "doi-10.1371_journal.pone.0033693.json").read_bytes() == (
        CROSSREF_WORK.read_bytes()
    )
    assert len(responses.calls) == 1

    again = validate(review, offline=True, client=client(), env={})
    assert again.papers[0].metadata.title == paper.metadata.title
    assert again.papers[0].metadata.origin == "crossref"
    assert len(responses.calls) == 1  # replayed from raw/, not asked again


@responses.activate
def test_validate_looks_up_a_doi_in_openalex_with_its_abstract(tmp_path):
    if not OPENALEX_WORK.exists():
        pytest.skip(f"{SHARED_ABSENT}: {OPENALEX_WORK}")
    review = new_review(
        tmp_path,
        protocol('"open access" AND reproducible', '["openalex", "dblp"]', [PEERJ]),
    )
    key = "OA-KEY-5544332211"
    responses.add(
        responses.GET,
        f"https://api.openalex.org/works/doi:{PEERJ}",
        body=OPENALEX_WORK.read_bytes(),
        content_type="application/json",
    )
    result = validate(review, client=client(), env={"OPENALEX_API_KEY": key})
    (paper,) = result.papers
    assert paper.metadata.origin == "openalex"
    assert "reproducible" in paper.metadata.abstract
    # the abstract has "reproducible", the title does not: dblp searches titles only
    assert by_source(paper)["openalex"].verdict is Verdict.MATCH
    assert by_source(paper)["dblp"].verdict is Verdict.NO_MATCH
    assert result.recall_line().startswith("known relevant found by the query: 1/1;")
    meta = (
        review.store.raw / "openalex" / "validate" / "doi-10.7717_peerj.4375.meta.json"
    ).read_text()
    assert key not in meta


@responses.activate
def test_a_failed_lookup_says_why_and_is_not_an_error(tmp_path):
    review = new_review(tmp_path, protocol("mlops", '["crossref"]', ["10.1371/notarealdoi"]))
    responses.add(
        responses.GET,
        "https://api.crossref.org/works/10.1371%2Fnotarealdoi",
        body="Resource not found.",
        status=404,
    )
    (paper,) = validate(review, client=client(), env={}).papers
    assert paper.metadata.note == (
        "not looked up: openalex: no OPENALEX_API_KEY; crossref: HTTP 404: Resource not found."
    )


# ---------------------------------------------------------------- imported records


def imported_review(tmp_path):
    review = new_review(tmp_path, protocol("gut AND brain", '["scopus", "openalex"]'))
    import_files(review, [SCOPUS_RIS], source="scopus", query="TITLE-ABS-KEY(gut-brain)")
    add_records(  # an API search's record: the post-filter decided it, not this check
        review, [Record("openalex", "W9", "Unrelated", "nothing", raw="raw/openalex/r/b.json#0")]
    )
    add_records(  # an import's record without abstract whose title does not decide
        review,
        [Record("scopus", "noabs", "Stress in the gut", None, raw=_import_file(review) + "#99")],
    )
    return review


def _import_file(review):
    entries = [json.loads(x) for x in review.store.searchlog_file.read_text().splitlines()]
    return next(e["file"] for e in entries if e.get("kind") == "import")


def test_imported_records_the_query_does_not_match_are_found(tmp_path):
    review = imported_review(tmp_path)
    from slr.corpus import load_records, search_log

    found = imported_unmatched(review.protocol, load_records(review), search_log(review))
    assert [(u.record.title[:40], u.verdict) for u in found] == [
        ("Hypothesis: Mechanism of irritable bowel", Verdict.NO_MATCH),
        ("Self-compassion and adjustment in epilep", Verdict.NO_MATCH),
        ("Stress in the gut", Verdict.UNDECIDABLE),
    ]
    assert {u.typed_query for u in found} == {"TITLE-ABS-KEY(gut-brain)"}
    assert "openalex:W9" not in {u.record.id for u in found}


def test_status_counts_them_and_search_unmatched_lists_them(tmp_path):
    review = imported_review(tmp_path)
    text = format_status(status(review))
    assert (
        "note: 2 imported records do not match the protocol's query, 1 more cannot be "
        "checked without an abstract (slr search --unmatched to list)"
    ) in text.splitlines()
    assert status(review).to_dict()["imported_unmatched"] == {"no_match": 2, "undecidable": 1}

    runner = CliRunner()
    p = str(review.protocol.path)
    out = runner.invoke(main, ["search", "-p", p, "--unmatched", "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert [r["verdict"] for r in rows] == ["no match", "no match", "undecidable"]
    assert rows[0]["query typed in the database"] == "TITLE-ABS-KEY(gut-brain)"
    text_out = runner.invoke(main, ["search", "-p", p, "--unmatched"]).output
    assert "Why: a database's web interface often runs a different query" in text_out


def test_a_review_whose_imports_all_match_has_no_status_line(tmp_path):
    review = new_review(tmp_path, protocol("gut OR brain OR bowel OR epilepsy", '["scopus"]'))
    import_files(review, [SCOPUS_RIS], source="scopus")
    assert "imported record" not in format_status(status(review))
    out = CliRunner().invoke(main, ["search", "-p", str(review.protocol.path), "--unmatched"])
    assert out.output.strip() == "every imported record matches the protocol's query"


def test_reference_review_counts_its_imports_without_abstract(tmp_path):
    import shutil

    shutil.copytree(ROOT / "protocols", tmp_path / "protocols")
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    proto = tmp_path / "protocols" / "mlops.toml"
    out = CliRunner().invoke(main, ["search", "-p", str(proto), "--unmatched", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.output)))
    # the reference exports carry titles only; those without a query word cannot be decided
    assert rows and {r["verdict"] for r in rows} == {"undecidable"}
    assert all("mlops" not in r["title"].lower() for r in rows)


@responses.activate
def test_reference_validate_replays_offline_from_a_recorded_lookup(tmp_path):
    import shutil

    shutil.copytree(ROOT / "protocols", tmp_path / "protocols")
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    proto = tmp_path / "protocols" / "mlops.toml"
    known = ["Sustainable MLOps: Trends and challenges", "10.5220/0010997300003179", PONE]
    text = proto.read_text().replace(
        "\nyears = [2018, 2023]", f"\nknown_relevant = {json.dumps(known)}\nyears = [2018, 2023]"
    )
    proto.write_text(text)
    url = f"https://api.crossref.org/works/{quote(PONE, safe='')}"
    responses.add(
        responses.GET, url, body=CROSSREF_WORK.read_bytes(), content_type="application/json"
    )
    from slr.review import open_review

    online = validate(open_review(proto), client=client(), env={})
    assert len(responses.calls) == 1  # the two papers the records decide are not looked up
    recall = (
        "known relevant found by the query: 2/3 (1 undecidable without an abstract); "
        "retrieved by the last search: 2/3"
    )
    assert online.recall_line() == recall

    out = CliRunner().invoke(main, ["search", "-p", str(proto), "--validate", "--offline", "-q"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[-1] == recall
    assert f"{PONE}: Methylphenidate Exposure Induces Dopamine" in out.output
    assert "  metadata: Crossref lookup, no abstract" in out.output
    assert len(responses.calls) == 1


def test_status_keeps_the_count_of_a_big_review_until_records_change(tmp_path, monkeypatch):
    import slr.review
    import slr.validate

    monkeypatch.setenv("SLR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(slr.review, "LOCAL_CACHE_MIN_BYTES", 0)  # every review is "big"
    review = imported_review(tmp_path)
    calls = []
    real = slr.validate.imported_unmatched

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(slr.validate, "imported_unmatched", counting)
    from slr.corpus import load_records, search_log

    def counts():
        fresh = open_review_again(review)
        return slr.validate.status_counts(fresh, load_records(fresh), search_log(fresh))

    assert counts() == {"no_match": 2, "undecidable": 1}
    assert counts() == {"no_match": 2, "undecidable": 1}
    assert len(calls) == 1  # the second status read it from the local cache
    add_records(
        review, [Record("scopus", "new", "Nothing", "here", raw=_import_file(review) + "#7")]
    )
    assert counts() == {"no_match": 3, "undecidable": 1}
    assert len(calls) == 2


def open_review_again(review):
    from slr.review import open_review

    return open_review(review.protocol.path, review.store.root)
