"""The library API (`import slr`), its DataFrames, the README's Python example, the ../shared count."""

from __future__ import annotations

import doctest
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SHARED_ABSENT, make_record, make_work, shared_skips

import slr
from slr.coding.log import Coding
from slr.decisions import Decision, Note, record_decision, record_note
from slr.matrix.model import build
from slr.protocol import Concept
from slr.works import save_works

ROOT = Path(__file__).resolve().parents[1]


def test_import_slr_loads_no_stage_and_no_heavy_library():
    code = (
        "import sys, slr; heavy = ('pandas', 'numpy', 'sklearn', 'click', 'requests');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith('slr.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_resolves_and_none_shadows_a_subpackage():
    assert slr.__all__ == sorted(slr._API)
    for name in slr.__all__:
        assert getattr(slr, name) is not None
        assert not (Path(slr.__file__).parent / name).exists()  # slr.matrix stays the package
    assert slr.open_review.__module__ == "slr.review"
    assert slr.concept_matrix.__name__ == "review_matrix"


def test_frames_have_a_row_per_record_work_and_decision_line(review):
    a, b = make_record(1), make_record(2, source="openalex", year=None)
    c = make_record(3, title="Another study")
    from slr.corpus import add_records

    add_records(review, [a, b, c])
    save_works(review, [make_work(a, b), make_work(c)])
    record_decision(review, Decision("alice", "title-abstract", a.id, "include"))
    record_note(review, Note("alice", "title-abstract", a.id, "read the methods"))
    record_decision(review, Decision("alice", "title-abstract", a.id, "undo"))
    record_decision(review, Decision("bob", "title-abstract", c.id, "exclude", ("EC1",), "x"))

    records = review.records_frame()
    assert records["id"].tolist() == [a.id, b.id, c.id]
    assert records["year"].isna().tolist() == [False, True, False]  # Int64: <NA>, never NaN floats
    works = review.works_frame()
    assert works[["work_id", "records"]].values.tolist() == [[a.id, 2], [c.id, 1]]
    assert works.loc[0, "sources"] == ["openalex", "scopus"]
    decisions = review.decisions_frame()
    assert decisions[["reviewer", "decision"]].values.tolist() == [
        ["alice", "include"],
        ["alice", "undo"],  # the log as written: the note line is not a row
        ["bob", "exclude"],
    ]
    assert decisions.loc[2, "criteria"] == ["EC1"] and decisions.loc[2, "note"] == "x"
    assert list(decisions.columns) == [
        "time",
        "reviewer",
        "stage",
        "work_id",
        "decision",
        "criteria",
        "note",
    ]


def test_an_empty_review_gives_empty_frames_with_their_columns(review):
    assert len(review.decisions_frame()) == 0 and "decision" in review.decisions_frame().columns
    assert len(review.records_frame()) == 0 and "title" in review.records_frame().columns


def test_matrix_frame_is_one_row_per_study_one_column_per_concept(review):
    works = [make_work(make_record(1, authors=("Paleyes, A.",), year=2022))]
    works.append(make_work(make_record(2, authors=("Tamburri, D.",), year=2020)))
    concepts = (Concept("C1", "Model issues"), Concept("C2", "Data issues"))
    codings = {(works[0].work_id, "C1"): Coding("r", works[0].work_id, "C1", True)}
    codings[(works[1].work_id, "C2")] = Coding("r", works[1].work_id, "C2", False)
    frame = build(works, concepts, codings).to_frame()
    assert frame.index.name == "study"
    assert frame.index.tolist() == ["Paleyes (2022)", "Tamburri (2020)"]
    assert frame.columns.tolist() == ["C1", "C2"]
    assert frame.astype(object).where(frame.notna(), None).values.tolist() == [
        [True, None],  # not coded: <NA>, never False
        [None, False],
    ]
    assert str(frame.dtypes["C1"]) == "boolean" and frame.sum().tolist() == [1, 0]


def _readme_examples() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use from Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "README's 'Use from Python' has no python block"
    return "\n".join(blocks)


def test_readme_use_from_python_runs_as_a_doctest(tmp_path, monkeypatch):
    for folder in ("protocols", "corpus"):  # a copy: reading may rebuild a derived file
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    test = doctest.DocTestParser().get_doctest(_readme_examples(), {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 5 and result.failed == 0


class _Report:
    def __init__(self, reason: str) -> None:
        self.longrepr = ("tests/x.py", 3, f"Skipped: {reason}")


def test_the_summary_counts_only_skips_for_want_of_shared():
    reports = [_Report(f"{SHARED_ABSENT}: fixtures/api/x.json"), _Report("pdflatex not installed")]
    reports.append(_Report(f"{SHARED_ABSENT}: docs/seed-review.md"))
    assert shared_skips(reports) == 2


def test_a_run_without_shared_says_how_many_tests_it_skipped(tmp_path):
    copy = tmp_path / "repo"  # no ../shared beside it
    copy.mkdir()
    shutil.copytree(ROOT / "tests", copy / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "protocols", copy / "protocols")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_snowball.py"],
        cwd=copy,
        capture_output=True,
        text=True,
    )
    assert re.search(rf"\d+ test\(s\) skipped because {re.escape(SHARED_ABSENT)}", out.stdout), (
        out.stdout[-2000:]
    )
