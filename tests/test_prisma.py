"""PRISMA 2020 counts from a constructed review that exercises every box, and the renderers."""

import csv
import io
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import new_review

from slr.cli import main
from slr.corpus import add_records
from slr.decisions import AUTO_REVIEWER, Decision, record_decision
from slr.prisma.counts import PrismaError, check, compute
from slr.prisma.render import to_csv, to_image, to_svg, to_tikz
from slr.records import Record
from slr.works import Work, save_works

ROOT = Path(__file__).resolve().parents[1]
TA, FT = "title-abstract", "full-text"


def _work(records, *recs):
    return Work(
        recs[0].id, tuple(r.id for r in recs), tuple(sorted({r.source for r in recs})), recs[0]
    )


def build(tmp_path, *, extra_ft=()):
    """12 database works (3 duplicates among them) and 3 citation works, every branch used."""
    review = new_review(tmp_path)
    recs, works = [], []
    for i in range(12):
        a = Record("scopus", f"s{i}", title=f"Study {i}", year=2020, type="article")
        group = [a]
        if i < 3:  # found twice: once more in ScienceDirect
            group.append(Record("sciencedirect", f"d{i}", title=f"Study {i}", year=2020))
        recs += group
        works.append(_work(recs, *group))
    for i in range(3):
        c = Record(
            "openalex", f"c{i}", title=f"Cited {i}", extra={"round": 1, "direction": "backward"}
        )
        recs.append(c)
        works.append(_work(recs, c))
    add_records(review, recs)
    save_works(review, works)
    ids = [w.work_id for w in works]

    def d(stage, wid, decision, *criteria, who="ana"):
        record_decision(review, Decision(who, stage, wid, decision, tuple(criteria)))

    d(TA, ids[0], "exclude", "IC1", who=AUTO_REVIEWER)  # automation
    d(TA, ids[1], "exclude", "years", who=AUTO_REVIEWER)
    for wid in ids[2:5]:
        d(TA, wid, "exclude", "EC4")  # human, title/abstract
    d(TA, ids[5], "exclude", "EC2")
    for wid in ids[6:12]:
        d(TA, wid, "include")
    d(TA, ids[11], "maybe")  # changed: maybe still goes to full text
    d(FT, ids[6], "not-retrieved")
    d(FT, ids[7], "exclude", "EC3", "EC4")  # primary reason: the first
    d(FT, ids[8], "exclude", "EC2")
    for wid in ids[9:12]:
        d(FT, wid, "include")
    # citation searching: one screened out, one not retrieved... and one included
    d(TA, ids[12], "exclude", "EC4")
    d(TA, ids[13], "include")
    d(TA, ids[14], "include")
    d(FT, ids[13], "exclude", "EC2")
    d(FT, ids[14], "include")
    for stage, wid, decision in extra_ft:
        d(stage, ids[wid], decision)
    return review


def test_every_box_is_derived_from_state(tmp_path):
    c = compute(build(tmp_path))
    assert c.database_results == {"ScienceDirect": 3, "Scopus": 12}
    assert c.other_results == {"Citation searching (round 1)": 3}
    assert c.duplicates == 3
    assert c.excluded_automatic == {
        "IC1: Research articles and conference papers": 1,
        "Outside the year range 2018-2023": 1,
    }
    assert c.records_screened == 10 and c.records_excluded == 4
    assert c.records_excluded_by_human == {
        "EC2: Studies that talk about the building and application of ML models": 1,
        "EC4: Papers that have no relevance to the research question": 3,
    }
    assert (c.databases.sought, c.databases.not_retrieved, c.databases.assessed) == (6, 1, 5)
    assert sum(c.databases.excluded.values()) == 2 and c.databases.included == 3
    assert "EC3: Studies that do not allow access to their content" in c.databases.excluded
    assert (c.other.sought, c.other.assessed, c.other.included) == (2, 2, 1)
    assert c.other_screened_out == 1
    assert (c.new_studies, c.new_reports) == (4, 4)


def test_imbalance_names_the_boxes_and_numbers(tmp_path):
    c = compute(build(tmp_path))
    c.databases.assessed += 1
    with pytest.raises(
        PrismaError,
        match=r"reports assessed \(databases\) = sought - not retrieved: 6 != 6 - 1 = 5",
    ):
        check(c)
    c = compute(build(tmp_path / "b"))
    c.duplicates = 1
    with pytest.raises(PrismaError, match=r"records screened = identified - duplicates"):
        check(c)


def test_unfinished_screening_is_an_error_not_a_wrong_diagram(tmp_path):
    review = build(tmp_path)
    extra = Record("scopus", "late", title="Late study")
    add_records(review, [extra])
    from slr.works import load_works

    save_works(review, [*load_works(review), Work(extra.id, (extra.id,), ("scopus",), extra)])
    with pytest.raises(PrismaError, match=r"title-abstract: 1 works not screened yet"):
        compute(review)


def test_svg_is_well_formed_and_shows_counts_like_the_template(tmp_path):
    svg = to_svg(compute(build(tmp_path)))
    root = ET.fromstring(svg.encode("utf-8"))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Records screened" in texts and "(n = 10)" in texts
    assert "Identification of studies via other methods" in texts
    assert any(t and t.startswith("Citation searching (round 1) (n = 3)") for t in texts)
    assert to_svg(compute(build(tmp_path / "again"))) == svg  # deterministic


def test_without_other_methods_column_b_is_absent(tmp_path):
    review = new_review(tmp_path)
    rec = Record("scopus", "1", title="Only one")
    add_records(review, [rec])
    save_works(review, [Work(rec.id, (rec.id,), ("scopus",), rec)])
    record_decision(review, Decision("ana", TA, rec.id, "include"))
    record_decision(review, Decision("ana", FT, rec.id, "include"))
    svg = to_svg(compute(review))
    assert "other methods" not in svg and "Studies included in review (n = 1)" in svg


def test_csv_follows_the_prisma2020_template(tmp_path):
    rows = list(csv.DictReader(io.StringIO(to_csv(compute(build(tmp_path))))))
    assert list(rows[0]) == [
        "data",
        "node",
        "box",
        "description",
        "boxtext",
        "tooltips",
        "url",
        "n",
    ]
    assert len(rows) == 34
    n = {r["data"]: r["n"] for r in rows if r["data"] != "NA"}
    assert n["database_results"] == "15" and n["duplicates"] == "3"
    assert n["database_specific_results"] == "ScienceDirect, 3; Scopus, 12"
    assert n["records_screened"] == "10" and n["citations_results"] == "3"
    assert n["previous_studies"] == "NA" and n["new_studies"] == "4"
    assert n["dbr_excluded"].startswith("EC2: Studies that talk")


def test_tikz_structure_and_compiles_when_pdflatex_exists(tmp_path):
    tex = to_tikz(compute(build(tmp_path)))
    assert tex.count(r"\begin{tikzpicture}") == 1 and tex.count(r"\end{tikzpicture}") == 1
    assert tex.count("{") == tex.count("}") + tex.count(r"\{") - tex.count(r"\}")
    assert "(n = 10)" in tex and r"\usetikzlibrary{arrows.meta}" in tex
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed: structure checked only")
    (tmp_path / "p.tex").write_text(tex)
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "p.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "tikz.sty' not found" in done.stdout or "standalone.cls' not found" in done.stdout:
        pytest.skip("TikZ/standalone not installed")
    assert done.returncode == 0, done.stdout[-2000:]


def test_png_and_pdf_are_deterministic(tmp_path):
    counts = compute(build(tmp_path))
    png = to_image(counts, "png")
    assert png.startswith(b"\x89PNG") and png == to_image(counts, "png")
    assert to_image(counts, "pdf").startswith(b"%PDF")


def test_cli_prisma_formats_and_errors(tmp_path):
    review = build(tmp_path)
    proto = str(review.protocol.path)
    result = CliRunner().invoke(main, ["prisma", "-p", proto])
    assert result.exit_code == 0 and "Records screened | (n = 10)" in result.output
    out = tmp_path / "p.svg"
    assert CliRunner().invoke(main, ["prisma", "-p", proto, "-o", str(out)]).exit_code == 0
    assert out.read_text().startswith("<?xml")
    result = CliRunner().invoke(main, ["prisma", "-p", proto, "--format", "png"])
    assert result.exit_code == 1 and "give a file with -o" in result.output
    result = CliRunner().invoke(main, ["prisma", "-p", proto, "-o", str(tmp_path / "x.doc")])
    assert result.exit_code == 1 and "unknown extension" in result.output
