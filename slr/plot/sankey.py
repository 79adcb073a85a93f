"""The Sankey diagram of the paper's Fig. 4: studies -> themes -> dimensions.

Two pure steps, as the PRISMA diagram: `flows` counts what goes where from the coding
(a study gives a theme one unit per concept of that theme it is coded with), and `layout`
places every node and band once, in points with y growing downwards. The SVG and PNG
renderers (slr.plot.render) only draw that layout, so both show the same figure.

A concept's theme is `concept.theme` when the protocol gives one, else the concept itself
(its label): before themes exist the middle level is the concepts. Its dimension is
`concept.group`; a theme without one ends at the middle level (nothing is invented).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from slr.protocol import Concept

LEVELS = ("Studies", "Themes", "Dimensions")
NODE_W = 12.0
GAP = 8.0  # between nodes of one column
CHAR_W = 6.2  # rough width of one character at the label font size
LABEL_PAD = 6.0
MARGIN = 16.0
HEADING = 28.0  # room for the column headings above the nodes
MIN_PLOT_H = 320.0


@dataclass(frozen=True)
class Node:
    key: str  # unique across levels: "<level>:<label>"
    label: str
    level: int  # 0 studies, 1 themes, 2 dimensions
    value: int


@dataclass(frozen=True)
class Link:
    source: str  # node key
    target: str
    value: int


@dataclass(frozen=True)
class Flows:
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]
    notes: tuple[str, ...] = ()  # what the figure leaves out, said under it

    @property
    def levels(self) -> int:
        """How many columns the figure has (2 when no theme has a dimension)."""
        return 1 + max((n.level for n in self.nodes), default=0)


def theme_of(concept: Concept) -> str:
    """The concept's theme, or the concept itself while the protocol gives none."""
    return getattr(concept, "theme", None) or concept.label


def flows(
    studies: Iterable[tuple[str, Iterable[str]]],
    concepts: Sequence[Concept],
    uncoded: int = 0,
) -> Flows:
    """The flows from (study label, ids of the concepts coded present) pairs.

    Nodes with nothing flowing through them are left out and named in the notes; `uncoded`
    (cells no coder has judged) is said there too, so the figure never passes for complete.
    """
    by_id = {c.id: c for c in concepts}
    theme_order = list(dict.fromkeys(theme_of(c) for c in concepts))
    dim_of: dict[str, str | None] = {}
    for c in concepts:
        dim_of.setdefault(theme_of(c), c.group or None)
    study_theme: dict[tuple[str, str], int] = {}
    study_order: list[str] = []
    silent: list[str] = []
    for label, present in studies:
        ids = [cid for cid in present if cid in by_id]
        if not ids:
            silent.append(label)
            continue
        study_order.append(label)
        for cid in ids:
            key = (label, theme_of(by_id[cid]))
            study_theme[key] = study_theme.get(key, 0) + 1
    theme_total: dict[str, int] = {}
    for (_, theme), n in study_theme.items():
        theme_total[theme] = theme_total.get(theme, 0) + n
    themes = [t for t in theme_order if theme_total.get(t)]
    dim_total: dict[str, int] = {}
    for t in themes:
        dim = dim_of[t]
        if dim:
            dim_total[dim] = dim_total.get(dim, 0) + theme_total[t]

    nodes = [
        Node(f"0:{s}", s, 0, sum(n for (x, _), n in study_theme.items() if x == s))
        for s in study_order
    ]
    nodes += [Node(f"1:{t}", t, 1, theme_total[t]) for t in themes]
    nodes += [Node(f"2:{d}", d, 2, n) for d, n in dim_total.items()]
    links = [
        Link(f"0:{s}", f"1:{t}", study_theme[(s, t)])
        for s in study_order
        for t in themes
        if (s, t) in study_theme
    ]
    links += [Link(f"1:{t}", f"2:{dim_of[t]}", theme_total[t]) for t in themes if dim_of[t]]

    notes = []
    if silent:
        who = "study" if len(silent) == 1 else "studies"
        notes.append(f"{len(silent)} {who} coded with no concept present: {', '.join(silent)}")
    empty = [t for t in theme_order if not theme_total.get(t)]
    if empty:
        notes.append(f"no study coded: {', '.join(empty)}")
    if uncoded:
        notes.append(f"{uncoded} study × concept cells not coded yet (counted as absent)")
    return Flows(tuple(nodes), tuple(links), tuple(notes))


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Box:
    node: Node
    x: float
    y: float
    h: float

    @property
    def label(self) -> str:
        return f"{self.node.label} (n = {self.node.value})"


@dataclass(frozen=True)
class Band:
    link: Link
    x0: float  # right edge of the source node
    y0: float  # top of the band at the source
    x1: float  # left edge of the target node
    y1: float  # top of the band at the target
    h: float
    colour: int  # index into the palette: the theme the band belongs to

    def path(self) -> list[tuple[str, tuple[float, ...]]]:
        """The band's outline as SVG-like commands: M, C, L, C, Z (shared by both renderers)."""
        xm = (self.x0 + self.x1) / 2
        top = (self.x0, self.y0, xm, self.y0, xm, self.y1, self.x1, self.y1)
        y0b, y1b = self.y0 + self.h, self.y1 + self.h
        return [
            ("M", (self.x0, self.y0)),
            ("C", top[2:]),
            ("L", (self.x1, y1b)),
            ("C", (xm, y1b, xm, y0b, self.x0, y0b)),
            ("Z", ()),
        ]


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    boxes: tuple[Box, ...]
    bands: tuple[Band, ...]
    headings: tuple[tuple[float, str], ...]  # (x centre, text) per column
    notes: tuple[str, ...]
    unit: str  # what one unit of width is, said in the caption

    def box(self, key: str) -> Box:
        return next(b for b in self.boxes if b.node.key == key)


def text_width(text: str) -> float:
    return len(text) * CHAR_W


def layout(data: Flows, unit: str = "concepts coded present (study × concept)") -> Layout:
    """Columns left to right; node heights and band widths proportional to the counts."""
    columns = [[n for n in data.nodes if n.level == i] for i in range(data.levels)]
    labels = [[f"{n.label} (n = {n.value})" for n in col] for col in columns]
    widest = [max((text_width(t) for t in col), default=0.0) for col in labels]
    rows = max((len(c) for c in columns), default=0)
    plot_h = max(MIN_PLOT_H, rows * 22.0)
    total = max((sum(n.value for n in col) for col in columns), default=1) or 1
    scale = (plot_h - GAP * (rows - 1)) / total
    # left labels sit left of column 0; every other column's labels sit right of its nodes
    xs = [MARGIN + widest[0] + LABEL_PAD]
    for i in range(1, len(columns)):
        room = widest[i - 1] + LABEL_PAD + 60.0 if i > 1 else 0.0  # the labels left of it
        xs.append(xs[-1] + NODE_W + max(140.0, room))
    width = xs[-1] + NODE_W + LABEL_PAD + (widest[-1] if len(columns) > 1 else 0) + MARGIN
    boxes: list[Box] = []
    for i, col in enumerate(columns):
        used = sum(n.value for n in col) * scale + GAP * (len(col) - 1)
        y = HEADING + MARGIN + (plot_h - used) / 2
        for n in col:
            boxes.append(Box(n, xs[i], y, n.value * scale))
            y += n.value * scale + GAP
    at = {b.node.key: b for b in boxes}
    themes = [n.key for n in data.nodes if n.level == 1]
    out_used: dict[str, float] = {}
    in_used: dict[str, float] = {}
    bands: list[Band] = []
    for link in data.links:
        src, dst = at[link.source], at[link.target]
        h = link.value * scale
        y0 = src.y + out_used.get(link.source, 0.0)
        y1 = dst.y + in_used.get(link.target, 0.0)
        out_used[link.source] = out_used.get(link.source, 0.0) + h
        in_used[link.target] = in_used.get(link.target, 0.0) + h
        theme = link.target if src.node.level == 0 else link.source
        bands.append(Band(link, src.x + NODE_W, y0, dst.x, y1, h, themes.index(theme)))
    headings = tuple((x + NODE_W / 2, LEVELS[i]) for i, x in enumerate(xs))
    notes = data.notes
    height = HEADING + MARGIN + plot_h + MARGIN + 16.0 * (len(notes) + 1)
    return Layout(width, height, tuple(boxes), tuple(bands), headings, notes, unit)
