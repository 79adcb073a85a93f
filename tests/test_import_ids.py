"""Ids local to a file never merge records of two files (issue 14, item 1).

A BibTeX key, a RIS `ID`, a CSV `id` column only number entries inside their file; a
Scopus EID, a WoS UT or a PMID names one work everywhere and may still match.
"""

import csv
import io
import tempfile
from pathlib import Path

import pytest
from conftest import new_review
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slr.corpus import load_records, search_log
from slr.importer import import_files

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT.parent / "shared" / "benchmarks"


def _bib(key: str, title: str) -> str:
    return f"@article{{{key},\n  title = {{{title}}},\n  author = {{Chen, Li}},\n  year = {{2008}}\n}}\n"


def _ris(local: str, title: str) -> str:
    return f"TY  - JOUR\nID  - {local}\nTI  - {title}\nAU  - Chen, Li\nPY  - 2008\nER  - \n"


def _csv(rows: list[tuple[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "title", "authors", "year"])
    writer.writerows([(local, title, "Chen, Li", "2008") for local, title in rows])
    return out.getvalue()


def test_same_bibtex_key_in_two_files_keeps_both_papers(review, tmp_path):
    (tmp_path / "a.bib").write_text(_bib("Chen2008", "Mining process logs"))
    (tmp_path / "b.bib").write_text(_bib("Chen2008", "Deep learning for crops"))
    summary = import_files(review, [tmp_path / "a.bib", tmp_path / "b.bib"])
    assert [f.added for f in summary.files] == [1, 1]
    titles = sorted(r.title for r in load_records(review))
    assert titles == ["Deep learning for crops", "Mining process logs"]
    # the very same bytes again stay a no-op
    ids = [r.id for r in load_records(review)]
    (tmp_path / "copy.bib").write_bytes((tmp_path / "b.bib").read_bytes())
    again = import_files(review, [tmp_path / "copy.bib"])
    assert again.files[0].status == "already imported"
    assert [r.id for r in load_records(review)] == ids and len(search_log(review)) == 2


def test_same_ris_id_in_two_files_and_a_csv_id_keep_three_records(review, tmp_path):
    (tmp_path / "a.ris").write_text(_ris("1", "First paper"))
    (tmp_path / "b.ris").write_text(_ris("1", "Second paper"))
    (tmp_path / "c.csv").write_text(_csv([("1", "Third paper")]))
    paths = [tmp_path / n for n in ("a.ris", "b.ris", "c.csv")]
    summary = import_files(review, paths)
    assert summary.added == 3
    assert "0 already in the corpus" in summary.format()
    assert len({r.id for r in load_records(review)}) == 3


def test_database_wide_ids_still_match_across_files(review, tmp_path):
    one = "TY  - JOUR\nAN  - WOS:000123\nTI  - A paper\nER  - \n"
    two = "TY  - JOUR\nAN  - WOS:000123\nTI  - A paper (again)\nPY  - 2020\nER  - \n"
    (tmp_path / "a.ris").write_text(one)
    (tmp_path / "b.ris").write_text(two)
    summary = import_files(review, [tmp_path / "a.ris", tmp_path / "b.ris"])
    assert [f.added for f in summary.files] == [1, 0]
    [record] = load_records(review)
    assert record.id == "webofscience:WOS:000123"
    # the second import still holds the record: provenance for `slr import --remove`
    assert search_log(review)[1]["held"] == ["webofscience:WOS:000123"]


def test_a_repeated_id_inside_one_file_keeps_both_and_names_both_lines(review, tmp_path):
    path = tmp_path / "lib.csv"
    path.write_text(_csv([("7", "One paper"), ("7", "Another paper")]))
    summary = import_files(review, [path])
    assert summary.added == 2
    [warning] = summary.files[0].warnings
    assert warning.startswith(f"{path}:3: same id") and "the entry at line 2; both kept" in warning


def test_a_citation_without_title_is_kept_an_empty_row_is_named(review, tmp_path):
    path = tmp_path / "lib.csv"
    path.write_text(
        'id,title,authors,year,journal\n1,,"Zuber, J.",2011,Nat Rev Nephrol\n2,,,2012,\n3,,,,\n'
    )
    summary = import_files(review, [path])
    cited, dated = load_records(review)
    assert cited.authors == ("Zuber, J.",) and cited.title is None
    assert dated.year == 2012 and not dated.authors
    assert summary.files[0].problems == [f"{path}:4: an empty entry; skipped"]
    warned = [w for w in summary.files[0].warnings if "no title and no DOI" in w]
    assert [w.split(":")[1] for w in warned] == ["2", "3"]


# Three formats whose ids are only the file's; titles may repeat too (a content id must not
# merge them either).
_entry = st.tuples(st.sampled_from(["1", "2", "Chen2008"]), st.sampled_from(["Alpha", "Beta"]))
_file = st.tuples(st.sampled_from(["bib", "ris", "csv"]), st.lists(_entry, min_size=1, max_size=4))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_file, min_size=1, max_size=4))
def test_property_one_record_per_entry_whatever_the_local_ids(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        review = new_review(folder)
        paths, contents = [], set()
        expected = 0
        for n, (kind, entries) in enumerate(files):
            if kind == "bib":
                text = "".join(_bib(k, t) for k, t in entries)
            elif kind == "ris":
                text = "".join(_ris(k, t) for k, t in entries)
            else:
                text = _csv(entries)
            path = folder / f"f{n}.{kind}"
            path.write_text(text)
            paths.append(path)
            if text not in contents:  # the very same bytes twice are one import
                contents.add(text)
                expected += len(entries)
        import_files(review, paths)
        assert len(load_records(review)) == expected


def test_labelled_csvs_keep_one_record_per_entry():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_import", ROOT / "benchmarks" / "import.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    files = [p for p in bench.labelled_files(LABELLED) if p.parent.name.startswith("dedup_")]
    if len(files) != 6:
        pytest.skip(f"../shared is absent: {LABELLED} lacks the six labelled CSVs")
    read, kept, skipped = bench.kept_against_read(files)
    assert read == 6422 and kept == read and skipped == []
