"""The review's figures: the Sankey diagram (studies -> themes -> dimensions) and the
descriptive plots of the included studies, each as SVG or PNG, the same bytes on every run.

`draw(review, name, fmt)` is the one entry point (the CLI and the report use it); the counting
lives in slr.plot.data, the Sankey geometry in slr.plot.sankey, drawing in slr.plot.render
and slr.plot.charts. matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slr.errors import SlrError

if TYPE_CHECKING:
    from slr.plot.data import Study
    from slr.review import Review

# name -> title (as the report captions it)
PLOTS = {
    "sankey": "Studies, themes and dimensions (Sankey diagram)",
    "years": "Included studies per year, by source",
    "venues": "Top venues of the included studies",
    "sources": "Records identified per source",
    "concepts-by-year": "Concepts coded per year",
}
FORMATS = ("svg", "png")


def draw(review: Review, name: str, fmt: str = "svg", coder: str | None = None) -> bytes:
    """One figure of the review as SVG or PNG bytes; PlotError when its data is missing."""
    from slr.plot import charts, data

    if name not in PLOTS:
        raise SlrError(f"unknown plot {name!r}; use one of " + ", ".join(PLOTS))
    if fmt not in FORMATS:
        raise SlrError(f"unknown plot format {fmt!r}; use svg or png")
    if name == "sankey":
        from slr.plot import render, sankey

        lay = sankey.layout(data.review_flows(review, coder))
        return render.to_svg(lay).encode("utf-8") if fmt == "svg" else render.to_png(lay)
    if name == "years":
        return charts.years(data.years_by_source(_dated(review)), fmt)
    if name == "venues":
        counts = data.top_venues(data.included_studies(review))
        if not counts.categories:
            raise data.PlotError("no included study has a venue recorded; nothing to draw")
        return charts.venues(counts, fmt)
    if name == "sources":
        return charts.sources(data.records_by_source(data.identified_records(review)), fmt)
    counts = data.concepts_by_year(data.coded_matrix(review, coder))
    if not counts.categories:
        raise data.PlotError("no coded study has a year recorded; nothing to draw per year")
    return charts.concepts_by_year(counts, fmt)


def _dated(review: Review) -> list[Study]:
    from slr.plot.data import PlotError, included_studies

    studies = included_studies(review)
    if all(s.year is None for s in studies):
        raise PlotError("no included study has a year recorded; nothing to draw per year")
    return studies


def available(review: Review, coder: str | None = None) -> list[tuple[str, str, str]]:
    """(name, title, SVG text) of every figure the review's data can draw now, in PLOTS
    order; a figure whose data is missing is left out (the report says which)."""
    out = []
    for name, title in PLOTS.items():
        try:
            out.append((name, title, draw(review, name, "svg", coder).decode("utf-8")))
        except SlrError:
            continue
    return out
