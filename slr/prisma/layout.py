"""Geometry of the PRISMA 2020 flow diagram, shared by the SVG, TikZ and PNG/PDF renderers.

One layout, several renderers: coordinates are in points, y grows downwards, and the
columns follow the template (databases and registers; other methods when used).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from slr.prisma.counts import PrismaCounts, boxes

LINE = 14.0  # line height
PAD = 8.0
WRAP = 46  # characters per line in a box
MAIN_W, SIDE_W, GAP, LABEL_W = 300.0, 300.0, 30.0, 34.0


@dataclass(frozen=True)
class Box:
    key: str
    x: float
    y: float
    w: float
    h: float
    lines: tuple[str, ...]
    # box | title | grey (the "Previous studies" title of an update) | stage | interim (the
    # banner of an interim diagram)
    kind: str = "box"


@dataclass(frozen=True)
class Arrow:
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]


def _wrap(lines: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for line in lines:
        indent = len(line) - len(line.lstrip())
        out.extend(
            textwrap.wrap(
                line.strip(),
                WRAP - indent,
                initial_indent=" " * indent,
                subsequent_indent=" " * (indent + 2),
            )
            or [""]
        )
    return tuple(out)


def _height(lines: tuple[str, ...]) -> float:
    return len(lines) * LINE + 2 * PAD


def layout(counts: PrismaCounts) -> Layout:
    """Place every box of the diagram; column B only when other methods were used."""
    text = {k: _wrap(v) for k, v in boxes(counts).items()}
    other = counts.has_other_methods
    update = "previous" in text  # an updated review: a "Previous studies" column on the left
    xp = LABEL_W + GAP
    xa = xp + (MAIN_W + GAP if update else 0)
    xs = xa + MAIN_W + GAP
    xb = xs + SIDE_W + 2 * GAP
    xbs = xb + MAIN_W + GAP
    width = (xbs + SIDE_W if other else xs + SIDE_W) + GAP
    rows = [
        ("identified", "removed", "other_identified", None, "previous"),
        ("screened", "excluded", None, None, None),
        ("sought", "not_retrieved", "other_sought", "other_not_retrieved", None),
        ("assessed", "reports_excluded", "other_assessed", "other_excluded", None),
        ("included", None, None, None, None),
    ]
    if update:
        rows.append(("total", None, None, None, None))
    new = "new " if update else ""
    placed: dict[str, Box] = {}
    out: list[Box] = []
    y = GAP
    if "interim" in text:  # a banner across the whole width: this is not the final diagram
        banner = tuple(
            textwrap.wrap(" ".join(text["interim"]), int(WRAP * (width - xa - GAP) / MAIN_W))
        )
        out.append(Box("interim", xa, y, width - xa - GAP, _height(banner), banner, "interim"))
        y += _height(banner) + GAP
    title_h = 2 * LINE + PAD
    out.append(
        Box(
            "title_a",
            xa,
            y,
            MAIN_W + GAP + SIDE_W,
            title_h,
            (f"Identification of {new}studies via databases and registers",),
            "title",
        )
    )
    if other:
        out.append(
            Box(
                "title_b",
                xb,
                y,
                MAIN_W + GAP + SIDE_W,
                title_h,
                (f"Identification of {new}studies via other methods",),
                "title",
            )
        )
    if update:
        out.append(Box("title_previous", xp, y, MAIN_W, title_h, ("Previous studies",), "grey"))
    y += title_h + GAP
    row_top: list[float] = []
    for row in rows:
        keys = [k for k in row if k and k in text]
        h = max(_height(text[k]) for k in keys)
        row_top.append(y)
        xs_ = (xa, xs, xb, xbs, xp)
        for k, x, w in zip(row, xs_, (MAIN_W, SIDE_W, MAIN_W, SIDE_W, MAIN_W), strict=True):
            if k and k in text:
                box = Box(k, x, y, w, h, text[k])
                placed[k] = box
                out.append(box)
        y += h + GAP
    stages = [("Identification", 0, 0), ("Screening", 1, 3), ("Included", 4, len(rows) - 1)]
    for label, first, last in stages:
        top = row_top[first]
        bottom = row_top[last] + max(placed[k].h for k in rows[last] if k and k in placed)
        out.append(
            Box(f"stage_{label.lower()}", GAP / 2, top, LABEL_W, bottom - top, (label,), "stage")
        )

    def down(a: str, b: str) -> Arrow:
        p, q = placed[a], placed[b]
        return Arrow(((p.x + p.w / 2, p.y + p.h), (q.x + q.w / 2, q.y)))

    def right(a: str, b: str) -> Arrow:
        p, q = placed[a], placed[b]
        return Arrow(((p.x + p.w, p.y + p.h / 2), (q.x, q.y + q.h / 2)))

    arrows = [
        down("identified", "screened"),
        down("screened", "sought"),
        down("sought", "assessed"),
        down("assessed", "included"),
        right("identified", "removed"),
        right("screened", "excluded"),
        right("sought", "not_retrieved"),
        right("assessed", "reports_excluded"),
    ]
    if update:
        arrows.append(down("included", "total"))
        p, q = placed["previous"], placed["total"]
        arrows.append(
            Arrow(
                (
                    (p.x + p.w / 2, p.y + p.h),
                    (p.x + p.w / 2, q.y + q.h / 2),
                    (q.x, q.y + q.h / 2),
                )
            )
        )
    if other:
        arrows += [
            down("other_identified", "other_sought"),
            down("other_sought", "other_assessed"),
            right("other_sought", "other_not_retrieved"),
            right("other_assessed", "other_excluded"),
        ]
        p, q = placed["other_assessed"], placed["included"]
        arrows.append(
            Arrow(
                (
                    (p.x + p.w / 2, p.y + p.h),
                    (p.x + p.w / 2, q.y + q.h / 2),
                    (q.x + q.w, q.y + q.h / 2),
                )
            )
        )
    return Layout(width, y, tuple(out), tuple(arrows))
