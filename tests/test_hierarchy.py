"""The concept hierarchy (dimension -> theme -> concept), coded segments, and added documents.

The Table 2 test's data is CONSTRUCTED: the paper (../shared/docs/seed-review.md, Table 2)
reports only counts per theme, not its interviews' coding, so the test writes a coding of
four made-up interview documents whose segment counts per theme are the paper's, and
checks that `slr matrix --summary --count segments` gives back the paper's table exactly.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from test_coding_support import SEED_REVIEW, make_review, work

from slr.cli import main
from slr.coding.log import (
    Coding,
    Segment,
    latest,
    read_codings,
    read_segments,
    record_codings,
    record_segments,
    segment_counts,
)
from slr.corpus import add_records
from slr.matrix.model import FORMATS, build, summary, theme_counts
from slr.prisma.counts import compute
from slr.protocol import loads

# the paper's Table 2: dimension -> [(theme, codes)]; dimension totals 23, 14, 7, 7
TABLE2 = {
    "Organizational": [
        ("Human Resources and Skillset", 7),
        ("User Engagement and Resistance", 4),
        ("Slow Processes", 8),
        ("Collaboration & Communication", 4),
    ],
    "Technical": [
        ("Infrastructure and Data Management", 7),
        ("Standards and Framework", 4),
        ("Technical tools", 3),
    ],
    "Operational": [("Difficulties in Pipeline", 4), ("Implementation Trade-offs", 3)],
    "Business": [("Business Value", 2), ("Cost and Budget Constraints", 5)],
}
TOTALS = {"Organizational": 23, "Technical": 14, "Operational": 7, "Business": 7}


def _concepts() -> list[dict]:
    """Two first-order codes per theme (constructed; the paper does not list its codes)."""
    out = []
    for dim, themes in TABLE2.items():
        for theme, _ in themes:
            for k in (1, 2):
                out.append(
                    {"id": f"K{len(out) + 1}", "label": f"{theme} code {k}", "group": dim,
                     "theme": theme}
                )  # fmt: skip
    return out


def _run(*args: str) -> str:
    out = CliRunner().invoke(main, list(args))
    assert out.exit_code == 0, out.output
    return out.stdout


def _interview_review(tmp_path):
    """Four added interview documents, coded with segments whose counts are Table 2's."""
    concepts = _concepts()
    review = make_review(tmp_path, concepts, [work(1)])
    p = str(review.protocol.path)
    for i in range(1, 5):
        doc = tmp_path / f"interview-{i}.txt"
        doc.write_text(f"Interview {i}\nWe had too few people who knew ML.\n", "utf-8")
        _run("documents", "add", "-p", p, str(doc), "--kind", "interview")
    rows = [["work_id", "concept", "quote", "page", "line"]]
    theme_ids = {}
    for c in concepts:
        theme_ids.setdefault(c["theme"], []).append(c["id"])
    for themes in TABLE2.values():
        for theme, n in themes:
            for s in range(n):  # spread a theme's segments over both codes and the documents
                cid = theme_ids[theme][s % 2]
                rows.append(
                    [f"doc:interview-{s % 4 + 1}", cid, f"passage {s} of {theme}", "", str(s)]
                )
    sheet = tmp_path / "segments.csv"
    with open(sheet, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    args = ("code", "-p", p, "--coder", "r1", "--documents", "--import-segments", str(sheet))
    assert "51 segments added" in _run(*args)
    return review


def test_table2_from_a_constructed_coding_is_the_papers_table(tmp_path):
    review = _interview_review(tmp_path)
    p = str(review.protocol.path)
    got = list(csv.reader(io.StringIO(_run(
        "matrix", "-p", p, "--documents", "--summary", "--count", "segments", "--format", "csv"
    ))))  # fmt: skip
    assert got[0] == ["Group", "Theme", "Segments", "Group total"]
    expected = []
    for dim, themes in TABLE2.items():
        for i, (theme, n) in enumerate(themes):
            expected.append(
                [dim if i == 0 else "", theme, str(n), str(TOTALS[dim]) if i == 0 else ""]
            )
    assert got[1:-1] == expected
    assert got[-1] == ["Total", "", "", "51"]
    counts = theme_counts(review, "segments", documents=True)
    assert counts == {d: dict(t) for d, t in TABLE2.items()}
    assert {d: sum(t.values()) for d, t in counts.items()} == TOTALS


def test_table2_figures_are_the_ones_in_seed_review():
    if not SEED_REVIEW.exists():
        pytest.skip("../shared/docs/seed-review.md not present")
    text = SEED_REVIEW.read_text("utf-8").split("## Table 2", 1)[1].split("##", 1)[0]
    rows = re.findall(r"^\| *([^|]*?) *\| *([^|]+?) *\| *(\d+) *\| *(\d*) *\|$", text, re.M)
    assert [(t, int(n)) for _, t, n, _ in rows] == [x for ts in TABLE2.values() for x in ts]
    assert {d: int(tot) for d, _, _, tot in rows if d} == TOTALS


def test_count_studies_counts_a_study_once_per_theme_and_captions_say_which(tmp_path):
    review = _interview_review(tmp_path)
    p = str(review.protocol.path)
    studies = theme_counts(review, "studies", documents=True)
    # a theme with n >= 4 segments reaches all four interviews; fewer reach n of them
    assert studies["Organizational"]["Slow Processes"] == 4
    assert studies["Business"]["Business Value"] == 2
    md = _run("matrix", "-p", p, "--documents", "--summary", "--count", "studies", "--format",
              "markdown")  # fmt: skip
    assert md.splitlines()[-1].startswith("Table: Studies per theme (a study counts once")
    md = _run("matrix", "-p", p, "--documents", "--summary", "--count", "segments", "--format",
              "markdown")  # fmt: skip
    assert md.splitlines()[-1].startswith("Table: Coded segments per theme (code density)")
    tex = _run("matrix", "-p", p, "--documents", "--summary", "--count", "segments", "--format",
               "latex")  # fmt: skip
    assert r"\caption{Coded segments per theme (code density) by dimension" in tex


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_the_theme_summary(tmp_path, fmt):
    review = _interview_review(tmp_path)
    out = tmp_path / f"t2.{fmt if fmt not in ('latex', 'markdown') else fmt[:3]}"
    args = ["matrix", "-p", str(review.protocol.path), "--documents", "--summary"]
    _run(*args, "--count", "segments", "--format", fmt, "-o", str(out))
    data = out.read_bytes()
    if fmt == "xlsx":
        ws = load_workbook(out).active
        values = [list(r) for r in ws.iter_rows(values_only=True)]
        assert values[0] == ["Group", "Theme", "Segments", "Group total"]
        assert values[1] == ["Organizational", "Human Resources and Skillset", 7, 23]
        assert values[-1][0].startswith("Coded segments per theme")
    elif fmt == "png":
        assert data.startswith(b"\x89PNG")
    else:
        text = data.decode("utf-8")
        assert "Slow Processes" in text and "Cost and Budget Constraints" in text
        if fmt == "svg":
            assert "Coded segments per theme" in text  # the caption is the figure's title
        else:
            assert re.search(r"Slow Processes\W+8\b", text)


def test_count_choices_need_summary_and_percent_needs_studies(tmp_path):
    review = make_review(tmp_path, [{"id": "C1", "label": "A"}], [work(1)])
    p = str(review.protocol.path)
    record_codings(review, [Coding("r1", "manual:1", "C1", True)])
    out = CliRunner().invoke(main, ["matrix", "-p", p, "--count", "segments"])
    assert out.exit_code == 2 and "goes with --summary" in out.output
    out = CliRunner().invoke(main, ["matrix", "-p", p, "--summary", "--count", "segments",
                                    "--percent"])  # fmt: skip
    assert out.exit_code == 2 and "--percent" in out.output
    # --count alone is still the count column
    assert _run("matrix", "-p", p, "--count").splitlines()[0] == "Study,A,Count"


# ---------------------------------------------------------------- segments in the log


def test_old_logs_count_a_present_concept_with_evidence_as_one_segment(tmp_path):
    review = make_review(tmp_path, [{"id": "C1", "label": "A"}, {"id": "C2", "label": "B"}],
                         [work(1), work(2)])  # fmt: skip
    record_codings(review, [
        Coding("r1", "manual:1", "C1", True, evidence="quote one", page="3"),
        Coding("r1", "manual:1", "C2", True),  # present without a quote: no coded text
        Coding("r1", "manual:2", "C1", False, evidence="looked, not there"),
    ])  # fmt: skip
    codings = latest(read_codings(review, "r1"))
    assert segment_counts(codings, read_segments(review, "r1")) == {
        ("manual:1", "C1"): 1,
        ("manual:1", "C2"): 0,
    }
    # two more segments for C1; one repeats the coding's own quote and is not counted twice
    record_segments(review, [
        Segment("r1", "manual:1", "C1", "quote one", "3"),
        Segment("r1", "manual:1", "C1", "quote two", line="40"),
    ])  # fmt: skip
    assert len(read_codings(review, "r1")) == 3
    counts = segment_counts(latest(read_codings(review, "r1")), read_segments(review, "r1"))
    assert counts[("manual:1", "C1")] == 2
    lines = [json.loads(x) for x in review.store.coding_file("r1").read_text("utf-8").splitlines()]
    assert lines[-1]["kind"] == "segment" and lines[-1]["line"] == "40"
    # marking the concept absent withdraws its segments
    record_codings(review, [Coding("r1", "manual:1", "C1", False)])
    counts = segment_counts(latest(read_codings(review, "r1")), read_segments(review, "r1"))
    assert ("manual:1", "C1") not in counts


def test_plain_code_session_adds_segments_with_the_plus_key(tmp_path):
    review = make_review(tmp_path, [{"id": "C1", "label": "A"}], [work(1)])
    p = str(review.protocol.path)
    keys = "+ 1\nfirst passage\n4\n+ 1\nsecond passage\n5\n\n"
    out = CliRunner().invoke(main, ["code", "-p", p, "--coder", "r1", "--plain"], input=keys)
    assert out.exit_code == 0, out.output
    segs = read_segments(review, "r1")
    assert [(s.quote, s.page) for s in segs] == [("first passage", "4"), ("second passage", "5")]
    assert latest(read_codings(review, "r1"))[("manual:1", "C1")].present is True


def test_segments_sheet_errors_write_nothing(tmp_path):
    review = make_review(tmp_path, [{"id": "C1", "label": "A"}], [work(1)])
    record_codings(review, [Coding("r1", "manual:1", "C1", False)])
    before = review.store.coding_file("r1").read_bytes()
    sheet = tmp_path / "s.csv"
    sheet.write_text("work_id,concept,quote\nmanual:1,C1,a passage\nmanual:9,C1,x\n", "utf-8")
    out = CliRunner().invoke(main, ["code", "-p", str(review.protocol.path), "--coder", "r1",
                                    "--import-segments", str(sheet)])  # fmt: skip
    assert out.exit_code == 1
    assert f"{sheet}:2:2: C1 is coded absent for manual:1" in out.output
    assert "nothing was imported" in out.output
    assert review.store.coding_file("r1").read_bytes() == before


def test_themes_parse_and_without_themes_the_summary_is_per_concept():
    text = '[review]\nid="t"\ntitle="T"\n[search]\nquery="x"\nsources=["openalex"]\n'
    text += '[[concepts]]\nid="C1"\nlabel="A"\ngroup="G"\ntheme="Th"\n'
    assert loads(text).concepts[0].theme == "Th"
    c = loads(text.replace('theme="Th"\n', "")).concepts
    m = build([work(1)], c, latest([Coding("x", "manual:1", "C1", True)]))
    s = summary(m)
    assert not s.themed and s.level == "Concept" and s.caption == "Studies per concept by group"


# ---------------------------------------------------------------- documents


def test_documents_are_listed_and_kept_out_of_prisma_and_the_default_matrix(tmp_path):
    review = make_review(tmp_path, [{"id": "C1", "label": "A"}], [work(1)])
    add_records(review, [work(1).canonical])
    p = str(review.protocol.path)
    record_codings(review, [Coding("r1", "manual:1", "C1", True)])
    prisma_before = compute(review, interim=True)
    doc = tmp_path / "Interview 07.md"
    doc.write_text("# Interview 7\nWe lacked MLOps skills.\n", "utf-8")
    out = _run("documents", "add", "-p", p, str(doc), "--kind", "interview", "--title", "P7")
    assert "added doc:interview-07 (interview): P7" in out
    assert (review.store.documents_dir / "interview-07.txt").read_text("utf-8").startswith("# Int")
    assert _run("documents", "list", "-p", p) == "doc:interview-07\tinterview\tP7\n"
    again = CliRunner().invoke(main, ["documents", "add", "-p", p, str(doc), "--kind", "other"])
    assert again.exit_code == 1 and "already added as doc:interview-07" in again.output
    record_codings(review, [Coding("r1", "doc:interview-07", "C1", True)])
    assert compute(review, interim=True) == prisma_before
    assert [r[0] for r in csv.reader(io.StringIO(_run("matrix", "-p", p)))] == [
        "Study", "Smith (2020)", "Total"
    ]  # fmt: skip
    rows = list(csv.reader(io.StringIO(_run("matrix", "-p", p, "--documents"))))
    assert [r[0] for r in rows] == ["Study", "Smith (2020)", "P7", "Total"]
    assert rows[-1] == ["Total", "2"]


def test_document_kinds_and_suffixes_are_checked(tmp_path):
    review = make_review(tmp_path, [{"id": "C1", "label": "A"}], [work(1)])
    p = str(review.protocol.path)
    bad = tmp_path / "notes.docx"
    bad.write_bytes(b"x")
    out = CliRunner().invoke(main, ["documents", "add", "-p", p, str(bad), "--kind", "report"])
    assert out.exit_code == 1 and "a document is .txt, .md or .pdf" in out.output
    assert "Traceback" not in out.output
