"""`slr plot`: the Sankey diagram (studies -> themes -> dimensions) and the descriptive plots
(issue 18 item 4). The flows and counts are checked on constructed data; the figures on
constructed data and on the demo review, parsed as SVG and drawn twice for the same bytes.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import new_review

from slr.cli import main
from slr.matrix.model import Column, Matrix, Row
from slr.plot import PLOTS, charts, draw, render
from slr.plot.data import (
    Study,
    concepts_by_year,
    matrix_flows,
    records_by_source,
    top_venues,
    years_by_source,
)
from slr.plot.sankey import Flows, Link, flows, layout
from slr.protocol import Concept
from slr.records import Record
from slr.review import Review, open_review

ROOT = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class ThemedConcept:
    """A concept as the protocol gives it once `theme` exists (constructed for the test)."""

    id: str
    label: str
    group: str | None = None
    theme: str | None = None
    keywords: tuple[str, ...] = ()


# constructed: four codes under two themes and two dimensions
CONCEPTS = [
    ThemedConcept("K1", "Skills gap", "Organizational", "Human resources"),
    ThemedConcept("K2", "Hiring", "Organizational", "Human resources"),
    ThemedConcept("K3", "Tooling", "Technical", "Technical tools"),
    ThemedConcept("K4", "Budget", "Business", "Cost and budget"),
]
STUDIES = [("A (2020)", ["K1", "K2", "K3"]), ("B (2021)", ["K1"]), ("C (2022)", [])]


def _texts(svg: str | bytes) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


# --------------------------------------------------------------------------- flows


def test_flows_count_units_from_studies_through_themes_to_dimensions():
    data = flows(STUDIES, CONCEPTS)  # type: ignore[arg-type]
    values = {n.key: n.value for n in data.nodes}
    assert values == {
        "0:A (2020)": 3,
        "0:B (2021)": 1,
        "1:Human resources": 3,
        "1:Technical tools": 1,
        "2:Organizational": 3,
        "2:Technical": 1,
    }
    assert set(data.links) == {
        Link("0:A (2020)", "1:Human resources", 2),
        Link("0:A (2020)", "1:Technical tools", 1),
        Link("0:B (2021)", "1:Human resources", 1),
        Link("1:Human resources", "2:Organizational", 3),
        Link("1:Technical tools", "2:Technical", 1),
    }
    # nothing is drawn for what has no flow, and the figure says so
    assert data.notes == (
        "1 study coded with no concept present: C (2022)",
        "no study coded: Cost and budget",
    )


def test_without_themes_or_groups_the_concepts_are_the_middle_level_and_there_are_two():
    plain = [Concept("C1", "Data"), Concept("C2", "Models")]
    data = flows([("A", ["C1", "C2"]), ("B", ["C2"])], plain, uncoded=3)
    assert data.levels == 2
    assert {n.key: n.value for n in data.nodes if n.level == 1} == {"1:Data": 1, "1:Models": 2}
    assert "3 study × concept cells not coded yet (counted as absent)" in data.notes


def test_layout_heights_follow_the_counts_and_bands_fill_their_nodes():
    lay = layout(flows(STUDIES, CONCEPTS))  # type: ignore[arg-type]
    unit = lay.box("0:A (2020)").h / 3
    for box in lay.boxes:
        assert box.h == pytest.approx(unit * box.node.value)
        out = sum(b.h for b in lay.bands if b.link.source == box.node.key)
        into = sum(b.h for b in lay.bands if b.link.target == box.node.key)
        assert out in (0, pytest.approx(box.h)) and into in (0, pytest.approx(box.h))
    for band in lay.bands:  # every band starts and ends inside its nodes
        src, dst = lay.box(band.link.source), lay.box(band.link.target)
        assert src.y - 1e-6 <= band.y0 and band.y0 + band.h <= src.y + src.h + 1e-6
        assert dst.y - 1e-6 <= band.y1 and band.y1 + band.h <= dst.y + dst.h + 1e-6


def test_sankey_svg_names_every_node_with_its_count_and_is_the_same_twice():
    lay = layout(flows(STUDIES, CONCEPTS))  # type: ignore[arg-type]
    svg = render.to_svg(lay)
    texts = _texts(svg)
    for label in (
        "A (2020) (n = 3)",
        "Human resources (n = 3)",
        "Organizational (n = 3)",
        "Technical (n = 1)",
    ):
        assert label in texts
    assert {"Studies", "Themes", "Dimensions"} <= set(texts)
    assert "Not shown: no study coded: Cost and budget." in texts
    paths = ET.fromstring(svg).findall(f"{SVG}path")
    assert len(paths) == 5
    assert render.to_svg(layout(flows(STUDIES, CONCEPTS))) == svg  # type: ignore[arg-type]
    png = render.to_png(lay)
    assert png.startswith(b"\x89PNG") and render.to_png(lay) == png


def test_matrix_flows_take_present_cells_and_count_the_uncoded():
    cols = (Column("C1", "Data", "Technical"), Column("C2", "People", "Organizational"))
    rows = (
        Row("w1", "A (2020)", 2020, "A", (True, None)),
        Row("w2", "B (2021)", 2021, "B", (True, True)),
    )
    concepts = [Concept("C1", "Data", "Technical"), Concept("C2", "People", "Organizational")]
    data = matrix_flows(Matrix(cols, rows), concepts)
    assert {n.key: n.value for n in data.nodes if n.level == 2} == {
        "2:Technical": 2,
        "2:Organizational": 1,
    }
    assert data.notes == ("1 study × concept cells not coded yet (counted as absent)",)
    assert isinstance(data, Flows)


# --------------------------------------------------------------------------- counts


def test_years_stack_each_study_once_by_its_sources_and_count_missing_years():
    studies = [
        Study("a", 2019, None, ("Scopus",)),
        Study("b", 2021, None, ("ScienceDirect", "Scopus")),
        Study("c", 2021, None, ("Scopus",)),
        Study("d", None, None, ("Scopus",)),
    ]
    counts = years_by_source(studies)
    assert counts.categories == ("2019", "2020", "2021")  # the gap year is drawn, empty
    assert counts.series == (("Scopus", (1, 0, 1)), ("ScienceDirect + Scopus", (0, 0, 1)))
    assert counts.missing == 1 and counts.total == 3


def test_top_venues_fold_spellings_keep_the_top_and_count_the_rest():
    venues = ["IEEE Access", "ieee access", "IEEE Access", "ECIS", "ICSE", None]
    studies = [Study(str(i), 2020, v, ()) for i, v in enumerate(venues)]
    counts = top_venues(studies, top=2)
    assert counts.categories == ("IEEE Access", "ECIS")
    assert counts.series == (("studies", (3, 1)),)
    assert counts.left_out == 1 and counts.missing == 1


def test_records_by_source_separates_databases_from_citation_searching():
    recs = [Record("scopus", f"s{i}", title="t") for i in range(3)]
    recs += [Record("openalex", "o1", title="t", extra={"round": 1})]
    counts = records_by_source(recs)
    assert counts.categories == ("Scopus", "Citation searching (round 1)")
    assert counts.series == (("Databases", (3, 0)), ("Other methods", (0, 1)))


def test_concepts_by_year_counts_present_cells_per_year():
    cols = (Column("C1", "Data"), Column("C2", "People"))
    rows = (
        Row("w1", "A", 2020, "A", (True, False)),
        Row("w2", "B", 2022, "B", (True, True)),
        Row("w3", "C", None, "C", (True, True)),
    )
    counts = concepts_by_year(Matrix(cols, rows))
    assert counts.categories == ("2020", "2021", "2022")
    assert counts.series == (("Data", (1, 0, 1)), ("People", (0, 0, 1)))
    assert counts.missing == 1


def test_charts_of_constructed_counts_parse_show_their_numbers_and_repeat():
    studies = [Study("a", 2019, "ECIS", ("Scopus",)), Study("b", 2021, None, ("Scopus",))]
    svg = charts.years(years_by_source(studies), "svg")
    assert "Included studies per year (n = 2)" in _texts(svg)
    svg = charts.venues(top_venues(studies), "svg")
    assert "1 studies without a venue: not recorded" in _texts(svg)
    assert charts.venues(top_venues(studies), "svg") == svg


# --------------------------------------------------------------------------- demo review


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Review:
    folder = tmp_path_factory.mktemp("demo")
    shutil.copytree(ROOT / "protocols", folder / "protocols")
    shutil.copytree(ROOT / "corpus", folder / "corpus")
    return open_review(folder / "protocols" / "mlops.toml")


@pytest.mark.parametrize("name", list(PLOTS))
def test_every_plot_of_the_demo_review_is_the_same_bytes_twice(demo: Review, name: str):
    for fmt in ("svg", "png"):
        first = draw(demo, name, fmt)
        assert draw(demo, name, fmt) == first, (name, fmt)
    svg = draw(demo, name, "svg")
    assert _texts(svg)  # parses as SVG, with text in it
    assert b"\x89PNG" == draw(demo, name, "png")[:4]


def test_demo_figures_carry_the_reviews_numbers(demo: Review):
    sankey = _texts(draw(demo, "sankey"))
    assert "Paleyes et al. (2022) (n = 4)" in sankey
    assert "Data Issue (Availability, quality, privacy) (n = 10)" in sankey  # Table 1's total
    assert "Lack of Knowledge (n = 7)" in sankey
    assert "Included studies per year (n = 11)" in _texts(draw(demo, "years"))
    assert "Records identified per source (n = 39)" in _texts(draw(demo, "sources"))
    venues = _texts(draw(demo, "venues"))
    assert "ACM Computing Surveys" in venues and "IEEE Access" in venues


def test_the_report_writes_the_figures_beside_it_and_inlines_them_in_html(demo: Review, tmp_path):
    from slr.report import write_report

    written = write_report(demo, tmp_path / "md" / "report.md")
    assert tmp_path / "md" / "sankey.svg" in written
    text = (tmp_path / "md" / "report.md").read_text()
    assert "](sankey.svg)" in text and "](concepts-by-year.svg)" in text
    write_report(demo, tmp_path / "html" / "report.html")
    html = (tmp_path / "html" / "report.html").read_text()
    assert html.count('<figure class="plot">') == len(PLOTS)
    assert "Paleyes et al. (2022) (n = 4)" in html


# --------------------------------------------------------------------------- CLI


def _run(review: Review, *args: str):
    return CliRunner().invoke(main, ["plot", *args, "-p", str(review.protocol.path)])


def test_cli_writes_svg_and_png_by_extension_and_format(demo: Review, tmp_path):
    result = _run(demo, "years", "-o", str(tmp_path / "y.png"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "y.png").read_bytes()[:4] == b"\x89PNG"
    result = _run(demo, "sankey", "--format", "svg")
    assert result.exit_code == 0 and "<svg" in result.output


@pytest.mark.parametrize(
    ("name", "needs"),
    [
        ("sankey", "slr import"),
        ("years", "slr import"),
        ("venues", "slr import"),
        ("sources", "slr import"),
        ("concepts-by-year", "slr import"),
    ],
)
def test_cli_on_an_empty_review_says_what_to_do_first_in_one_line(tmp_path, name, needs):
    result = _run(new_review(tmp_path), name, "-o", str(tmp_path / "x.svg"))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and needs in lines[0]
    assert not (tmp_path / "x.svg").exists()


def test_cli_sankey_before_coding_names_slr_code(demo: Review, tmp_path):
    folder = tmp_path / "uncoded"
    shutil.copytree(demo.protocol.path.parent.parent, folder)
    shutil.rmtree(folder / "corpus" / "mlops" / "coding")
    review = open_review(folder / "protocols" / "mlops.toml")
    for name in ("sankey", "concepts-by-year"):
        result = _run(review, name)
        assert result.exit_code == 1
        assert result.output.startswith("Error: ") and "`slr code`" in result.output
    assert _run(review, "years", "--format", "svg").exit_code == 0  # needs no coding


def test_cli_png_needs_a_file_and_an_unknown_extension_is_refused(demo: Review, tmp_path):
    result = _run(demo, "years", "--format", "png")
    assert result.exit_code == 1 and "give a file with -o" in result.output
    result = _run(demo, "years", "-o", str(tmp_path / "y.gif"))
    assert result.exit_code == 1 and "pass --format svg or png" in result.output
