"""The concept matrix as a heatmap (PNG or SVG) with the totals per concept as a bar chart.

Figures are drawn on a bare matplotlib `Figure` (no pyplot state, no GUI backend) and saved
without dates, so the same matrix gives the same bytes.
"""

from __future__ import annotations

import io
import math
import textwrap

import matplotlib

matplotlib.use("Agg")  # never a GUI backend, even if pyplot gets imported elsewhere

from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from slr.matrix.model import Matrix, Style, Summary, percent_text  # noqa: E402

PRESENT = "#2b6cb0"
ABSENT = "#edf2f7"
UNCODED_COLOUR = "#f6ad55"


def _save(fig: Figure, fmt: str) -> bytes:
    buf = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "slr", "svg.fonttype": "none"}):
        fig.savefig(buf, format=fmt, metadata=metadata, bbox_inches="tight", dpi=150)
    return buf.getvalue()


def _wrap(text: str, width: int = 24) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _figure(matrix: Matrix, style: Style) -> Figure:
    ncols, nrows = len(matrix.columns), len(matrix.rows)
    width = max(6.0, 2.5 + 0.55 * ncols + (1.2 if style.count else 0))
    heat_h = max(1.0, 0.32 * nrows)
    bar_h = 1.8
    fig = Figure(figsize=(width, heat_h + bar_h + 2.6))
    grid = fig.add_gridspec(
        2,
        2 if style.count else 1,
        height_ratios=[bar_h, heat_h],
        width_ratios=[ncols or 1, 1.6] if style.count else None,
        hspace=0.05,
        wspace=0.05,
    )
    bar = fig.add_subplot(grid[0, 0])
    heat = fig.add_subplot(grid[1, 0], sharex=bar)

    values = [[math.nan if c is None else float(c) for c in r.cells] for r in matrix.rows]
    cmap = ListedColormap([ABSENT, PRESENT]).with_extremes(bad=UNCODED_COLOUR)
    if nrows and ncols:
        heat.imshow(values, cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    heat.set_xlim(-0.5, ncols - 0.5)
    heat.set_ylim(nrows - 0.5, -0.5)
    heat.set_yticks(range(nrows), [r.label for r in matrix.rows], fontsize=8)
    heat.set_xticks(
        range(ncols),
        [_wrap(c.label) for c in matrix.columns],
        rotation=50,
        ha="right",
        rotation_mode="anchor",
        fontsize=7,
    )
    heat.set_xticks([x - 0.5 for x in range(1, ncols)], minor=True)
    heat.set_yticks([y - 0.5 for y in range(1, nrows)], minor=True)
    heat.grid(which="minor", color="white", linewidth=1.5)
    heat.tick_params(which="minor", length=0)

    totals = matrix.totals
    bars = bar.bar(range(ncols), totals, color=PRESENT, width=0.7)
    texts = (
        [percent_text(p) for p in matrix.percents] if style.percent else [str(t) for t in totals]
    )
    bar.bar_label(bars, texts, fontsize=7, padding=2)
    bar.set_ylim(0, max([nrows, 1]) * 1.25)
    bar.set_ylabel("studies", fontsize=8)
    bar.yaxis.set_major_locator(MaxNLocator(integer=True))
    bar.tick_params(axis="x", labelbottom=False, length=0)
    bar.spines[["top", "right"]].set_visible(False)
    if matrix.grouped:
        for group, first, last in matrix.group_spans():
            if group:
                bar.annotate(
                    _wrap(group, 18 * (last - first + 1)),
                    xy=((first + last) / 2, 1.02),
                    xycoords=("data", "axes fraction"),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    fontweight="bold",
                )
                bar.plot(
                    [first - 0.4, last + 0.4],
                    [1.01, 1.01],
                    transform=bar.get_xaxis_transform(),
                    color="black",
                    linewidth=1,
                    clip_on=False,
                )
    if style.count:
        side = fig.add_subplot(grid[1, 1], sharey=heat)
        counts = [r.count for r in matrix.rows]
        side.barh(range(nrows), counts, color=PRESENT, height=0.7)
        for y, n in enumerate(counts):
            side.text(n + 0.1, y, str(n), va="center", fontsize=7)
        side.set_xlim(0, max([ncols, 1]) * 1.15)
        side.tick_params(axis="y", labelleft=False, length=0)
        side.set_xlabel("concepts", fontsize=8)
        side.xaxis.set_major_locator(MaxNLocator(integer=True))
        side.spines[["top", "right"]].set_visible(False)
    title = "Concept matrix" + (f": {matrix.title}" if matrix.title else "")
    bar.set_title(_wrap(title, 90), fontsize=9, pad=30 if matrix.grouped else 10)
    return fig


def render_png(matrix: Matrix, style: Style) -> bytes:
    """A PNG heatmap: studies x concepts, totals as bars on top."""
    return _save(_figure(matrix, style), "png")


def render_svg(matrix: Matrix, style: Style) -> bytes:
    """An SVG heatmap: studies x concepts, totals as bars on top."""
    return _save(_figure(matrix, style), "svg")


def _summary_figure(data: Summary, style: Style) -> Figure:
    items = [(g.group, col.label, n) for g in data.groups for col, n in g.concepts]
    fig = Figure(figsize=(7.5, max(1.5, 0.35 * len(items) + 1.0)))
    ax = fig.add_subplot()
    palette = ["#2b6cb0", "#2f855a", "#c05621", "#6b46c1", "#b83280", "#2c7a7b"]
    colours = {g.group: palette[i % len(palette)] for i, g in enumerate(data.groups)}
    labels = [f"{g}: {c}" if g else c for g, c, _ in items]
    bars = ax.barh(range(len(items)), [n for *_, n in items], color=[colours[g] for g, *_ in items])
    if style.percent and data.studies:
        texts = [percent_text(100.0 * n / data.studies) for *_, n in items]
    else:
        texts = [str(n) for *_, n in items]
    ax.bar_label(bars, texts, fontsize=7, padding=2)
    ax.set_yticks(range(len(items)), [_wrap(x, 60) for x in labels], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(data.count_header.lower(), fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(_wrap(data.caption, 90), fontsize=9)
    return fig


def render_summary_png(data: Summary, style: Style) -> bytes:
    """Counts per theme or concept as horizontal bars coloured by group, captioned (PNG)."""
    return _save(_summary_figure(data, style), "png")


def render_summary_svg(data: Summary, style: Style) -> bytes:
    """Counts per theme or concept as horizontal bars coloured by group, captioned (SVG)."""
    return _save(_summary_figure(data, style), "svg")
