"""Renderers of the PRISMA 2020 flow diagram: SVG, TikZ, PNG/PDF (matplotlib) and the
PRISMA2020 tool's CSV template. All are deterministic: the same state gives the same bytes.
"""

from __future__ import annotations

import csv
import io
from xml.sax.saxutils import escape

from slr.matrix.latex import escape as tex_escape  # one LaTeX table for matrix and PRISMA
from slr.prisma.counts import PrismaCounts, PrismaError
from slr.prisma.layout import LINE, PAD, Layout, layout

COLOURS = {
    "box": "#ffffff",
    "title": "#ffc000",
    "grey": "#d9d9d9",
    "stage": "#9dc3e6",
    "interim": "#ff9999",
}
CENTRED = ("title", "grey", "interim")  # kinds whose lines are centred and bold


# ---------------------------------------------------------------- SVG


def to_svg(counts: PrismaCounts) -> str:
    """A standalone SVG document that opens in any browser."""
    lay = layout(counts)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" '
        f'height="{lay.height:.0f}" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="11">',
        "<title>PRISMA 2020 flow diagram</title>",
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#000"/></marker></defs>',
        f'<rect width="{lay.width:.0f}" height="{lay.height:.0f}" fill="#ffffff"/>',
    ]
    for box in lay.boxes:
        out.append(
            f'<g id="{box.key}"><rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" '
            f'height="{box.h:.1f}" rx="4" fill="{COLOURS[box.kind]}" stroke="#000"/>'
        )
        if box.kind == "stage":
            cx, cy = box.x + box.w / 2, box.y + box.h / 2
            out.append(
                f'<text x="{cx:.1f}" y="{cy:.1f}" text-anchor="middle" dominant-baseline="middle" '
                f'font-weight="bold" transform="rotate(-90 {cx:.1f} {cy:.1f})">'
                f"{escape(box.lines[0])}</text></g>"
            )
            continue
        anchor = 'text-anchor="middle"' if box.kind in CENTRED else ""
        x = box.x + box.w / 2 if box.kind in CENTRED else box.x + PAD
        weight = ' font-weight="bold"' if box.kind in CENTRED else ""
        for i, line in enumerate(box.lines):
            y = box.y + PAD + LINE * (i + 0.8)
            out.append(
                f'<text x="{x:.1f}" y="{y:.1f}" {anchor}{weight} xml:space="preserve">'
                f"{escape(line)}</text>"
            )
        out.append("</g>")
    for arrow in lay.arrows:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in arrow.points)
        out.append(
            f'<polyline points="{points}" fill="none" stroke="#000" marker-end="url(#arrow)"/>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- TikZ


def to_tikz(counts: PrismaCounts, standalone: bool = True) -> str:
    """A TikZ picture (a standalone document by default) with the same geometry as the SVG."""
    lay = layout(counts)
    scale = 1 / 28.35  # points -> cm

    def pt(x: float, y: float) -> str:
        return f"({x * scale:.2f},{-y * scale:.2f})"

    body = [r"\begin{tikzpicture}[font=\sffamily\small]"]
    for box in lay.boxes:
        fill = {
            "box": "white",
            "title": "orange!60",
            "grey": "gray!30",
            "stage": "cyan!25",
            "interim": "red!40",
        }[box.kind]
        body.append(
            rf"\draw[fill={fill}, rounded corners=2pt] {pt(box.x, box.y)} rectangle "
            rf"{pt(box.x + box.w, box.y + box.h)};"
        )
        cx, cy = box.x + box.w / 2, box.y + box.h / 2
        if box.kind == "stage":
            body.append(
                rf"\node[rotate=90, font=\sffamily\bfseries] at {pt(cx, cy)} {{{tex_escape(box.lines[0])}}};"
            )
            continue
        lines = r" \\ ".join(tex_escape(line.strip()) or "~" for line in box.lines)
        align = "center" if box.kind in CENTRED else "left"
        width = (box.w - 2 * PAD) * scale
        body.append(rf"\node[text width={width:.2f}cm, align={align}] at {pt(cx, cy)} {{{lines}}};")
    for arrow in lay.arrows:
        path = " -- ".join(pt(x, y) for x, y in arrow.points)
        body.append(rf"\draw[-{{Stealth}}] {path};")
    body.append(r"\end{tikzpicture}")
    if not standalone:
        return "\n".join(body) + "\n"
    head = [
        r"\documentclass[tikz,border=4pt]{standalone}",
        r"\usepackage[utf8]{inputenc}",
        r"\usetikzlibrary{arrows.meta}",
        r"\begin{document}",
    ]
    return "\n".join(head + body + [r"\end{document}"]) + "\n"


# ---------------------------------------------------------------- PNG / PDF


def to_image(counts: PrismaCounts, fmt: str) -> bytes:
    """PNG or PDF bytes drawn with matplotlib from the same layout (no timestamps embedded)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    lay: Layout = layout(counts)
    fig = plt.figure(figsize=(lay.width / 72, lay.height / 72), dpi=150)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.axis("off")
    for box in lay.boxes:
        ax.add_patch(
            FancyBboxPatch(
                (box.x, box.y),
                box.w,
                box.h,
                boxstyle="round,pad=0,rounding_size=4",
                facecolor=COLOURS[box.kind],
                edgecolor="black",
                linewidth=0.8,
            )
        )
        if box.kind == "stage":
            ax.text(
                box.x + box.w / 2,
                box.y + box.h / 2,
                box.lines[0],
                rotation=90,
                ha="center",
                va="center",
                fontsize=8,
                fontweight="bold",
            )
            continue
        for i, line in enumerate(box.lines):
            x = box.x + box.w / 2 if box.kind in CENTRED else box.x + PAD
            ax.text(
                x,
                box.y + PAD + LINE * (i + 0.5),
                line,
                fontsize=7,
                ha="center" if box.kind in CENTRED else "left",
                va="center",
                fontweight="bold" if box.kind in CENTRED else "normal",
                family="DejaVu Sans",
            )
    for arrow in lay.arrows:
        pts = arrow.points
        for (x0, y0), (x1, y1) in zip(pts[:-2], pts[1:-1], strict=True):
            ax.plot([x0, x1], [y0, y1], color="black", linewidth=0.8)
        ax.add_patch(
            FancyArrowPatch(
                pts[-2], pts[-1], arrowstyle="-|>", mutation_scale=8, color="black", linewidth=0.8
            )
        )
    buf = io.BytesIO()
    metadata = (
        {"Software": None}
        if fmt == "png"
        else {"Creator": None, "Producer": None, "CreationDate": None}
    )
    fig.savefig(buf, format=fmt, metadata=metadata)
    plt.close(fig)
    return buf.getvalue()


# ---------------------------------------------------------------- PRISMA2020 CSV template

# (data, node, box, description, boxtext, tooltips, url) of the PRISMA2020 R package /
# Shiny app template (inst/extdata/PRISMA.csv); `n` is filled from the counts.
TEMPLATE = [
    (
        "NA",
        "node4",
        "prevstud",
        "Grey title box; Previous studies",
        "Previous studies",
        "Grey title box; Previous studies",
        "prevstud.html",
    ),
    (
        "previous_studies",
        "node5",
        "box1",
        "Studies included in previous version of review",
        "Studies included in previous version of review",
        "Studies included in previous version of review",
        "previous_studies.html",
    ),
    (
        "previous_reports",
        "NA",
        "box1",
        "Reports of studies included in previous version of review",
        "Reports of studies included in previous version of review",
        "NA",
        "previous_reports.html",
    ),
    (
        "NA",
        "node6",
        "newstud",
        "Yellow title box; Identification of new studies via databases and registers",
        "Identification of studies via databases and registers",
        "Yellow title box; Identification of new studies via databases and registers",
        "newstud.html",
    ),
    (
        "database_results",
        "node7",
        "box2",
        "Records identified from: Databases",
        "Databases",
        "Records identified from: Databases and Registers",
        "database_results.html",
    ),
    (
        "database_specific_results",
        "NA",
        "box2",
        "Records identified from: specific databases",
        "Specific Databases",
        "NA",
        "database_results.html",
    ),
    (
        "register_results",
        "NA",
        "box2",
        "Records identified from: Registers",
        "Registers",
        "NA",
        "NA",
    ),
    (
        "register_specific_results",
        "NA",
        "box2",
        "Records identified from: specific registers",
        "Specific Registers",
        "NA",
        "database_results.html",
    ),
    (
        "NA",
        "node16",
        "othstud",
        "Grey title box; Identification of new studies via other methods",
        "Identification of studies via other methods",
        "Grey title box; Identification of new studies via other methods",
        "othstud.html",
    ),
    (
        "website_results",
        "node17",
        "box11",
        "Records identified from: Websites",
        "Websites",
        "Records identified from: Websites, Organisations and Citation Searching",
        "website_results.html",
    ),
    (
        "organisation_results",
        "",
        "box11",
        "Records identified from: Organisations",
        "Organisations",
        "NA",
        "NA",
    ),
    (
        "citations_results",
        "NA",
        "box11",
        "Records identified from: Citation searching",
        "Citation searching",
        "NA",
        "NA",
    ),
    (
        "duplicates",
        "node8",
        "box3",
        "Duplicate records",
        "Duplicate records",
        "Duplicate records",
        "duplicates.html",
    ),
    (
        "excluded_automatic",
        "NA",
        "box3",
        "Records marked as ineligible by automation tools",
        "Records marked as ineligible by automation tools",
        "NA",
        "NA",
    ),
    (
        "excluded_other",
        "NA",
        "box3",
        "Records removed for other reasons",
        "Records removed for other reasons",
        "NA",
        "NA",
    ),
    (
        "records_screened",
        "node9",
        "box4",
        "Records screened (databases and registers)",
        "Records screened",
        "Records screened (databases and registers)",
        "records_screened.html",
    ),
    (
        "records_excluded",
        "node10",
        "box5",
        "Records excluded (databases and registers)",
        "Records excluded",
        "Records excluded (databases and registers)",
        "records_excluded.html",
    ),
    (
        "dbr_sought_reports",
        "node11",
        "box6",
        "Reports sought for retrieval (databases and registers)",
        "Reports sought for retrieval",
        "Reports sought for retrieval (databases and registers)",
        "dbr_sought_reports.html",
    ),
    (
        "dbr_notretrieved_reports",
        "node12",
        "box7",
        "Reports not retrieved (databases and registers)",
        "Reports not retrieved",
        "Reports not retrieved (databases and registers)",
        "dbr_notretrieved_reports.html",
    ),
    (
        "other_sought_reports",
        "node18",
        "box12",
        "Reports sought for retrieval (other)",
        "Reports sought for retrieval",
        "Reports sought for retrieval (other)",
        "other_sought_reports.html",
    ),
    (
        "other_notretrieved_reports",
        "node19",
        "box13",
        "Reports not retrieved (other)",
        "Reports not retrieved",
        "Reports not retrieved (other)",
        "other_notretrieved_reports.html",
    ),
    (
        "dbr_assessed",
        "node13",
        "box8",
        "Reports assessed for eligibility (databases and registers)",
        "Reports assessed for eligibility",
        "Reports assessed for eligibility (databases and registers)",
        "dbr_assessed.html",
    ),
    (
        "dbr_excluded",
        "node14",
        "box9",
        "Reports excluded (databases and registers): [separate reasons and numbers using ; e.g. Reason1, xxx; Reason2, xxx; Reason3, xxx]",
        "Reports excluded",
        "Reports excluded (databases and registers)",
        "dbrexcludedrecords.html",
    ),
    (
        "other_assessed",
        "node20",
        "box14",
        "Reports assessed for eligibility (other)",
        "Reports assessed for eligibility",
        "Reports assessed for eligibility (other)",
        "other_assessed.html",
    ),
    (
        "other_excluded",
        "node21",
        "box15",
        "Reports excluded (other): [separate reasons and numbers using ; e.g. Reason1, xxx; Reason2, xxx; Reason3, xxx]",
        "Reports excluded",
        "Reports excluded (other)",
        "other_excluded.html",
    ),
    (
        "new_studies",
        "node15",
        "box10",
        "New studies included in review",
        "Studies included in review",
        "New studies included in review",
        "new_studies.html",
    ),
    (
        "new_reports",
        "NA",
        "box10",
        "Reports of new included studies",
        "Reports of included studies",
        "NA",
        "NA",
    ),
    (
        "total_studies",
        "node22",
        "box16",
        "Total studies included in review",
        "Total studies included in review",
        "Total studies included in review",
        "total_studies.html",
    ),
    (
        "total_reports",
        "NA",
        "box16",
        "Reports of total included studies",
        "Reports of total included studies",
        "NA",
        "NA",
    ),
    (
        "identification",
        "node1",
        "identification",
        "Blue identification box",
        "Identification",
        "Blue identification box",
        "identification.html",
    ),
    (
        "screening",
        "node2",
        "screening",
        "Blue screening box",
        "Screening",
        "Blue screening box",
        "screening.html",
    ),
    (
        "included",
        "node3",
        "included",
        "Blue included box",
        "Included",
        "Blue included box",
        "included.html",
    ),
    (
        "total_studies_ma",
        "node23",
        "box17",
        "Total studies included in meta-analysis",
        "Total studies included in meta-analysis",
        "Total studies included in meta-analysis",
        "total_studies_meta_analysis.html",
    ),
    (
        "total_reports_ma",
        "NA",
        "box17",
        "Reports of total included studies in meta-analysis",
        "Reports of total included studies in meta-analysis",
        "NA",
        "NA",
    ),
]


# The template's boxtext of an updated review, which slr rewords for a new one (methods.md)
UPDATED_BOXTEXT = {
    "newstud": "Identification of new studies via databases and registers",
    "othstud": "Identification of new studies via other methods",
    "new_studies": "New studies included in review",
    "new_reports": "Reports of new included studies",
}


def _pairs(values: dict[str, int]) -> str:
    # names end at their first comma in the template's reader: keep commas out of names
    return "; ".join(f"{name.replace(',', '')}, {n}" for name, n in values.items())


def to_csv(counts: PrismaCounts) -> str:
    """The PRISMA2020 Shiny/R template with our counts in `n` (NA hides unused lines)."""
    if counts.interim:  # the template would pass an unfinished diagram off as the final one
        raise PrismaError(
            "the PRISMA2020 CSV template cannot mark a diagram as interim; "
            "use --format svg, png, pdf, tikz, json or text with --interim"
        )
    citations = sum(v for k, v in counts.other_results.items() if k.startswith("Citation"))
    websites = sum(v for k, v in counts.other_results.items() if not k.startswith("Citation"))
    other = counts.has_other_methods
    prev = counts.previous
    n: dict[str, str] = {
        "previous_studies": "NA" if prev is None else str(prev.studies),
        "previous_reports": "NA" if prev is None else str(prev.reports),
        "database_results": str(counts.identified),
        "database_specific_results": _pairs(counts.database_results),
        "register_results": "NA",
        "register_specific_results": "NA",
        "website_results": str(websites) if other else "NA",
        "organisation_results": "NA",
        "citations_results": str(citations) if other else "NA",
        "duplicates": str(counts.duplicates),
        "excluded_automatic": str(sum(counts.excluded_automatic.values())),
        "excluded_other": str(counts.excluded_other),
        "records_screened": str(counts.records_screened),
        "records_excluded": str(counts.records_excluded),
        "dbr_sought_reports": str(counts.databases.sought),
        "dbr_notretrieved_reports": str(counts.databases.not_retrieved),
        "other_sought_reports": str(counts.other.sought) if other else "NA",
        "other_notretrieved_reports": str(counts.other.not_retrieved) if other else "NA",
        "dbr_assessed": str(counts.databases.assessed),
        "dbr_excluded": _pairs(counts.databases.excluded) or "NA",
        "other_assessed": str(counts.other.assessed) if other else "NA",
        "other_excluded": (_pairs(counts.other.excluded) or "NA") if other else "NA",
        "new_studies": str(counts.new_studies),
        "new_reports": str(counts.new_reports),
        "total_studies": str(counts.total_studies),
        "total_reports": str(counts.total_reports),
        "total_studies_ma": "NA",
        "total_reports_ma": "NA",
    }
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["data", "node", "box", "description", "boxtext", "tooltips", "url", "n"])
    for row in TEMPLATE:
        if prev is not None:  # the template's own updated-review wording
            key = row[0] if row[0] != "NA" else row[2]
            row = (*row[:4], UPDATED_BOXTEXT.get(key, row[4]), *row[5:])
        writer.writerow([*row, n.get(row[0], "0")])
    return buf.getvalue()
