"""The descriptive plots of the included studies, drawn with matplotlib (PNG or SVG).

Each takes the counts of slr.plot.data and returns bytes. Figures are bare matplotlib
`Figure`s (no pyplot state, no GUI backend), saved with a fixed SVG hash salt and without
dates or tool versions, so the same counts give the same bytes. What a plot cannot place
(studies without a year or venue, venues beyond the top N) is said under it.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from slr.plot.data import Counts  # noqa: E402
from slr.plot.render import colour  # noqa: E402

FORMATS = ("svg", "png")


def save(fig: Figure, fmt: str) -> bytes:
    """The figure's bytes, the same on every run (no date, no version, fixed ids)."""
    buf = io.BytesIO()
    metadata = {"Date": None, "Creator": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "slr", "svg.fonttype": "none"}):
        fig.savefig(buf, format=fmt, metadata=metadata, bbox_inches="tight", dpi=150)
    return buf.getvalue()


def _note(fig: Figure, lines: list[str]) -> None:
    if lines:
        fig.text(0.01, 0.005, "\n".join(lines), fontsize=8, va="bottom", color="#333333")


def _wrap(text: str, width: int = 40) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def years(data: Counts, fmt: str) -> bytes:
    """Included studies per year, stacked by the sources that found them."""
    fig = Figure(figsize=(max(5.0, 0.5 * len(data.categories) + 2.5), 4.2))
    ax = fig.add_subplot()
    bottom = [0] * len(data.categories)
    for i, (name, values) in enumerate(data.series):
        ax.bar(data.categories, values, bottom=bottom, label=name, color=colour(i))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for x, total in enumerate(bottom):
        if total:
            ax.text(x, total, str(total), ha="center", va="bottom", fontsize=8)
    ax.set_title(f"Included studies per year (n = {data.total})")
    ax.set_xlabel("Year")
    ax.set_ylabel("Studies")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(title="Found by", fontsize=8, title_fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    notes = [f"{data.missing} studies without a year: not recorded"] if data.missing else []
    _note(fig, notes)
    return save(fig, fmt)


def venues(data: Counts, fmt: str) -> bytes:
    """The venues with the most included studies, as horizontal bars (largest on top)."""
    values = data.series[0][1] if data.series else ()
    n = len(data.categories)
    fig = Figure(figsize=(7.0, max(2.0, 0.35 * n + 1.4)))
    ax = fig.add_subplot()
    labels = [_wrap(v, 50) for v in data.categories]
    ax.barh(range(n), values, color=colour(0))
    ax.set_yticks(range(n), labels, fontsize=8)
    ax.invert_yaxis()
    for y, v in enumerate(values):
        ax.text(v, y, f" {v}", va="center", fontsize=8)
    ax.set_title(f"Top {n} venues of the included studies")
    ax.set_xlabel("Studies")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    notes = []
    if data.left_out:
        notes.append(f"{data.left_out} studies in other venues not shown")
    if data.missing:
        notes.append(f"{data.missing} studies without a venue: not recorded")
    _note(fig, notes)
    return save(fig, fmt)


def sources(data: Counts, fmt: str) -> bytes:
    """Records identified per database (and per other method), before de-duplication."""
    n = len(data.categories)
    fig = Figure(figsize=(6.5, max(2.0, 0.4 * n + 1.4)))
    ax = fig.add_subplot()
    totals = [0] * n
    for i, (name, values) in enumerate(data.series):
        if any(values):
            ax.barh(range(n), values, left=totals, label=name, color=colour(i))
            totals = [t + v for t, v in zip(totals, values, strict=True)]
    ax.set_yticks(range(n), list(data.categories), fontsize=8)
    ax.invert_yaxis()
    for y, v in enumerate(totals):
        ax.text(v, y, f" {v}", va="center", fontsize=8)
    ax.set_title(f"Records identified per source (n = {data.total})")
    ax.set_xlabel("Records")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return save(fig, fmt)


def concepts_by_year(data: Counts, fmt: str) -> bytes:
    """A heat map: studies coded with each concept (rows) per year (columns), counts shown."""
    rows = [values for _, values in data.series]
    fig = Figure(
        figsize=(max(5.0, 0.55 * len(data.categories) + 4.0), max(2.5, 0.4 * len(rows) + 1.6))
    )
    ax = fig.add_subplot()
    peak = max((v for r in rows for v in r), default=0) or 1
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=peak, aspect="auto")
    for y, r in enumerate(rows):
        for x, v in enumerate(r):
            ax.text(
                x,
                y,
                str(v),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if v > peak / 2 else "black",
            )
    ax.set_xticks(range(len(data.categories)), list(data.categories), fontsize=8)
    ax.set_yticks(range(len(rows)), [_wrap(name) for name, _ in data.series], fontsize=8)
    ax.set_title("Included studies coded with each concept, per year")
    ax.set_xlabel("Year")
    notes = [f"{data.missing} studies without a year: not recorded"] if data.missing else []
    _note(fig, notes)
    return save(fig, fmt)
