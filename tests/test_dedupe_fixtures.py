"""Cross-source duplicates in real recorded exports and API responses (read from ../shared)."""

import json
from pathlib import Path

import pytest
from conftest import new_review

from slr.corpus import add_records, load_records
from slr.dedupe.engine import run
from slr.dedupe.incremental import update

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
SHARED_DOIS = {"10.1080/20964129.2020.1722034", "10.1007/s11220-019-0265-8"}


def _shared(rel):
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"../shared is absent: {path} (a GPL fixture, read there only)")
    return path


def test_scopus_and_web_of_science_exports_share_two_works(tmp_path):
    importer = pytest.importorskip("slr.importer")
    files = [
        "exports/scopus_bibtex/synthesisr_Scopus_bib_example.bib",
        "exports/scopus_ris/synthesisr_Scopus_ris_example.ris",
        "exports/wos_plaintext/synthesisr_WoS_ciw_example.ciw",
        "exports/wos_plaintext/synthesisr_WoS_txt_example.txt",
    ]
    review = new_review(tmp_path)
    for rel in files:
        add_records(review, importer.read_records(_shared(rel)).records)
    records = load_records(review)
    assert {r.source for r in records} == {"scopus", "webofscience"}
    works = update(review).works
    both = [w for w in works if len(w.sources) == 2]
    assert {w.canonical.doi.lower() for w in both} == SHARED_DOIS
    assert all(len(w.record_ids) == 2 and w.rules[w.record_ids[1]].startswith("doi") for w in both)
    assert len(works) == len(records) - 2  # nothing else was merged
    soil = next(w for w in both if "20964129" in w.canonical.doi)
    # Scopus gives initials, WoS full names: the canonical record keeps the fuller names
    assert soil.canonical.authors[0] == "Li, Wei"
    assert soil.canonical.title.startswith("Soil fauna diversity")


def test_one_openalex_work_in_two_response_files_is_one_work(tmp_path):
    openalex = pytest.importorskip("slr.sources.openalex")
    src = openalex.OpenAlex()
    single = json.loads(_shared("api/openalex/openalex_work_W2741809807.json").read_text())
    page = json.loads(_shared("api/openalex/openalexpro_keypaper_results_page_1.json").read_text())
    a = src.to_record(single)
    b, c = sorted((src.to_record(x) for x in page["results"]), key=lambda r: r.id != a.id)
    assert a.id == b.id == "openalex:W2741809807" and c.id != a.id
    # in a review the same id is stored once, so it is one work trivially ...
    review = new_review(tmp_path)
    add_records(review, [a, c, b])
    assert [len(w.record_ids) for w in update(review).works] == [1, 1]
    # ... and delivered under two ids (two databases), the DOI links it
    result = run([a, c, b.evolve(source="import")])
    assert sorted(map(len, result.clusters)) == [1, 2]
    assert result.assignments()[2][:2] == (0, "doi")
