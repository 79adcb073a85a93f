"""Draw a Sankey layout (slr.plot.sankey) as SVG text or as PNG through matplotlib.

Both renderers read the same boxes and bands, so the SVG and the PNG are one figure. Neither
writes a date or a tool version: the same layout gives the same bytes.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from slr.plot.sankey import LABEL_PAD, NODE_W, Layout

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
NODE_FILL = "#4a5568"
BAND_OPACITY = 0.45
TITLE = "Studies, themes and dimensions"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _caption(lay: Layout) -> list[str]:
    return [f"Band widths: {lay.unit}.", *(f"Not shown: {note}." for note in lay.notes)]


def _text_x(lay: Layout, level: int, x: float) -> tuple[float, str]:
    """Where a node's label goes: left of the first column, right of every other one."""
    if level == 0:
        return x - LABEL_PAD, "end"
    return x + NODE_W + LABEL_PAD, "start"


def to_svg(lay: Layout) -> str:
    """A standalone SVG document: bands under nodes, labels on top."""
    w, h = f"{lay.width:.0f}", f"{lay.height:.0f}"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif" font-size="11">',
        f"<title>{TITLE}</title>",
        f'<rect width="{w}" height="{h}" fill="#ffffff"/>',
    ]
    for x, text in lay.headings:
        out.append(
            f'<text class="heading" x="{x:.1f}" y="18" text-anchor="middle" '
            f'font-weight="bold">{escape(text)}</text>'
        )
    for band in lay.bands:
        d = " ".join(cmd + " ".join(f"{v:.1f}" for v in values) for cmd, values in band.path())
        name = f"{band.link.source[2:]} → {band.link.target[2:]}: {band.link.value}"
        out.append(
            f'<path class="band" d="{d}" fill="{colour(band.colour)}" '
            f'fill-opacity="{BAND_OPACITY}"><title>{escape(name)}</title></path>'
        )
    for box in lay.boxes:
        out.append(
            f'<rect class="node" x="{box.x:.1f}" y="{box.y:.1f}" width="{NODE_W:.1f}" '
            f'height="{box.h:.1f}" fill="{NODE_FILL}"/>'
        )
    for box in lay.boxes:
        tx, anchor = _text_x(lay, box.node.level, box.x)
        out.append(
            f'<text class="label" x="{tx:.1f}" y="{box.y + box.h / 2:.1f}" '
            f'text-anchor="{anchor}" dominant-baseline="middle" stroke="#ffffff" '
            f'stroke-width="3" paint-order="stroke">{escape(box.label)}</text>'
        )
    y = lay.height - 16.0 * len(_caption(lay)) + 4
    for line in _caption(lay):
        out.append(f'<text class="caption" x="16" y="{y:.1f}" fill="#333">{escape(line)}</text>')
        y += 16.0
    out.append("</svg>")
    return "\n".join(out) + "\n"


def to_png(lay: Layout) -> bytes:
    """PNG bytes of the same layout, drawn on a bare matplotlib Figure (no pyplot state)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MplPath

    codes: dict[str, list[Any]] = {
        "M": [MplPath.MOVETO],
        "L": [MplPath.LINETO],
        "C": [MplPath.CURVE4] * 3,
    }
    fig = Figure(figsize=(lay.width / 72, lay.height / 72), dpi=150)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.axis("off")
    for x, text in lay.headings:
        ax.text(x, 18, text, ha="center", va="baseline", fontsize=11, fontweight="bold")
    for band in lay.bands:
        verts: list[tuple[float, float]] = []
        kinds: list[Any] = []
        for cmd, values in band.path():
            if cmd == "Z":
                verts.append(verts[0])
                kinds.append(MplPath.CLOSEPOLY)
                continue
            verts += list(zip(values[::2], values[1::2], strict=True))
            kinds += codes[cmd]
        ax.add_patch(
            PathPatch(
                MplPath(verts, kinds),
                facecolor=colour(band.colour),
                alpha=BAND_OPACITY,
                linewidth=0,
            )
        )
    for box in lay.boxes:
        ax.add_patch(Rectangle((box.x, box.y), NODE_W, box.h, facecolor=NODE_FILL, linewidth=0))
        tx, anchor = _text_x(lay, box.node.level, box.x)
        ax.text(
            tx,
            box.y + box.h / 2,
            box.label,
            ha="right" if anchor == "end" else "left",
            va="center",
            fontsize=10,
            family="DejaVu Sans",
        )
    y = lay.height - 16.0 * len(_caption(lay)) + 4
    for line in _caption(lay):
        ax.text(16, y, line, fontsize=10, va="baseline", color="#333333", family="DejaVu Sans")
        y += 16.0
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
