"""The review report: a methods section written from the protocol and the logs, the search
log, the PRISMA diagram, the concept matrix, the figures (slr.plot) and the included
studies, plus their BibTeX.

Everything is derived from state; running it twice on the same state gives the same bytes
(no "generated at" times: dates come from the logs).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from slr import __version__
from slr.corpus import load_records, search_log
from slr.decisions import STAGES
from slr.errors import ExportError
from slr.plot import available
from slr.prisma.counts import compute, criterion_label, display_name
from slr.prisma.render import to_svg
from slr.report.methods import NOT_RECORDED, failed, methods
from slr.retractions import Flag, review_flags
from slr.review import Review
from slr.store import write_atomic
from slr.works import Work

DIAGRAM_SLOT = "<!-- PRISMA 2020 flow diagram -->"  # where report.html gets the SVG inline


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _criteria_table(review: Review) -> list[str]:
    lines = ["| id | criterion | machine rule |", "|---|---|---|"]
    for c in review.protocol.criteria:
        rule = ""
        if c.require:
            bits = []
            if c.require.types:
                bits.append("type in " + ", ".join(c.require.types))
            if c.require.languages:
                bits.append("language in " + ", ".join(c.require.languages))
            if c.require.years:
                bits.append(f"year {c.require.years[0]}-{c.require.years[1]}")
            rule = "; ".join(bits)
        lines.append(f"| {c.id} | {_md_escape(c.text)} | {rule} |")
    return lines


def _search_table(review: Review) -> list[str]:
    lines = [
        "| source | method | date | query as run | records | status |",
        "|---|---|---|---|---|---|",
    ]
    for e in search_log(review):
        method = {"import": "export file", "search": "API", "citation": "citation searching"}.get(
            e.get("kind", ""), e.get("kind", "")
        )
        if e.get("kind") == "citation":
            method += f" round {e.get('round', 1)} ({e.get('direction', '')})"
        date = str(e["date"])[:10] if e.get("date") else NOT_RECORDED
        n = e.get("kept", e.get("fetched", e.get("new_records", "")))
        status = str(e.get("status") or NOT_RECORDED)
        if failed(e) and not status.startswith("failed"):
            status = f"failed ({status})"
        lines.append(
            f"| {display_name(str(e.get('source', '')))} | {method} | {date} | "
            f"{_md_escape(str(e.get('query') or NOT_RECORDED))} | {n} | {_md_escape(status)} |"
        )
    return lines


def _excluded_table(review: Review) -> list[str]:
    """PRISMA 2020 item 16b: the studies excluded at full text, each with its criteria."""
    from slr.screen.state import stage_states
    from slr.works import load_works

    works = load_works(review)
    state = stage_states(review, works)["full-text"]
    by_id = {w.work_id: w for w in works}
    out = [w for w, d in state.final.items() if d.decision == "exclude"]
    if not out:
        return ["No study was excluded at full text."]
    lines = ["| study | criteria (the first is the reason counted in PRISMA) |", "|---|---|"]
    for wid in sorted(out, key=lambda w: state.order[w]):
        criteria = state.final[wid].criteria
        reasons = "; ".join(criterion_label(review.protocol, c) for c in criteria)
        lines.append(
            f"| {_md_escape(reference(by_id[wid]))} | {_md_escape(reasons or NOT_RECORDED)} |"
        )
    return lines


def _quality_section(review: Review) -> list[str]:
    """The quality assessment: the per-study score table, the cut-off and who it excluded."""
    from slr.coding.log import included_at_full_text, read_labels
    from slr.matrix.model import study_labels
    from slr.quality import scores, table

    quality = review.protocol.quality
    if quality is None:
        return []
    works = included_at_full_text(review)  # the cut-off's exclusions are listed too
    labels = study_labels(works, read_labels(review))
    assessed = scores.assess(review)
    lines = ["### Quality assessment", ""]
    lines += [f"- {q.id}: {_md_escape(q.text)}" for q in quality.questions] + [""]
    lines += [table.render(quality, assessed, labels, "markdown").rstrip("\n"), ""]
    if quality.min_score is not None:
        out = [s for s in assessed if s.below]
        lines.append(
            f"Cut-off: a score below {quality.min_score:g} of {quality.max_score:g} excludes a "
            f"study ({scores.cutoff_label(quality)}); {len(out)} "
            f"{'study was' if len(out) == 1 else 'studies were'} excluded" + (":" if out else ".")
        )
        lines += [f"- {labels[s.work_id]}: score {s.score:g}" for s in out]
        lines.append("")
    return lines


NOTICE_NAMES = {"erratum": "Erratum", "retraction": "RETRACTED", "comment": "Comment"}


def _included_list(review: Review) -> list[str]:
    """One numbered entry per included study: its main report, then its other included
    reports and the notices (errata, retractions, comments) that follow them."""
    from slr.screen.state import included_by_study, stage_states
    from slr.works import load_works

    studies = included_by_study(review)
    if not studies:
        return []
    works = load_works(review)
    by_id = {w.work_id: w for w in works}
    following: dict[str, list[tuple[str, str]]] = {}
    for wid, (target, relation) in stage_states(review, works)["full-text"].notices.items():
        following.setdefault(target, []).append((relation, wid))
    from slr.quality.scores import excluded

    below = excluded(review)  # assessed and excluded on quality: not included
    studies = [reports for reports in studies if reports[0].work_id not in below]
    flagged = review_flags(review)
    lines = []
    for i, reports in enumerate(studies, 1):
        lines.append(f"{i}. {_marked(reports[0], flagged)}")
        lines += [f"   - Also reported in: {_marked(w, flagged)}" for w in reports[1:]]
        for report in reports:
            for relation, wid in sorted(following.get(report.work_id, [])):
                name = NOTICE_NAMES.get(relation, relation)
                lines.append(f"   - {name}: {reference(by_id[wid])}")
    return lines


RETRACTED_STYLE = "color:#c00"  # red, in report.html; GitHub shows the bold word


def _marked(work: Work, flagged: dict[str, Flag]) -> str:
    """The reference, named in red as RETRACTED when the work is flagged (slr.retractions)."""
    if work.work_id not in flagged:
        return reference(work)
    return f'<span style="{RETRACTED_STYLE}">**RETRACTED:** {reference(work)}</span>'


def _retracted_list(review: Review) -> list[str]:
    """Every work flagged as retracted, with what became of it and the evidence."""
    from slr.screen.state import stage_states
    from slr.works import load_works

    flagged = review_flags(review)
    if not flagged:
        return ["No work is flagged as retracted."]
    works = load_works(review)
    states = stage_states(review, works)
    lines = []
    for work in (w for w in works if w.work_id in flagged):
        outcome = _outcome(work.work_id, states)
        text = _marked(work, flagged) if outcome == "included" else reference(work)
        evidence = "; ".join(flagged[work.work_id].evidence)
        lines.append(f"- {text} Screening: {outcome}. Evidence: {_md_escape(evidence)}.")
    return lines


def _outcome(work_id: str, states: dict[str, Any]) -> str:
    """`included`, `excluded at full-text`, `not yet decided at title-abstract`, ..."""
    words = {"include": "included", "exclude": "excluded", "not-retrieved": "not retrieved"}
    for stage in reversed(STAGES):
        state = states[stage]
        if work_id in state.notices:
            return f"a notice following {state.notices[work_id][0]}"
        decision = state.final.get(work_id)
        if decision is not None and (stage == STAGES[1] or decision.decision != "include"):
            word = words.get(decision.decision, decision.decision)
            return word if word == "included" else f"{word} at {stage}"
        if decision is None and any(w.work_id == work_id for w in state.pool):
            return f"not yet decided at {stage}"
    return "not screened"


def _sentence(text: str) -> str:
    """`text.` unless it already ends a sentence (a title ending in '.', '?' or '!')."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!")) else text + "."


def reference(work: Work) -> str:
    """A plain reference line: authors (year). Title. Venue. doi."""
    r = work.canonical
    authors = "; ".join(r.authors) if r.authors else "Anonymous"
    bits = [f"{authors} ({r.year or 'n.d.'}). {_sentence(r.title or '(no title)')}"]
    if r.venue:
        venue = r.venue
        if r.volume:
            venue += f", {r.volume}"
            if r.issue:
                venue += f"({r.issue})"
        if r.pages:
            venue += f", {r.pages}"
        bits.append(_sentence(venue))
    if r.doi:
        bits.append(f"https://doi.org/{r.doi}")
    return " ".join(bits)


def build_markdown(
    review: Review,
    diagram: str | None = "prisma.svg",
    bibtex: str = "included.bib",
    coder: str | None = None,
    figures: list[tuple[str, str]] | None = None,
    inline: bool = False,
) -> str:
    """The whole report as Markdown (`diagram=None`: a slot where report.html puts the SVG).

    `figures` are (file, title) of the SVGs beside the report (slr.plot); `inline` leaves
    a slot for each, where report.html puts the SVG itself.
    """
    from slr.coding.log import coders
    from slr.matrix.model import render, review_matrix
    from slr.prisma.counts import summary as prisma_summary
    from slr.quality.scores import excluded
    from slr.screen.state import included_by_study

    counts = compute(review)
    proto = review.protocol
    below = excluded(review)  # excluded on quality: out of the included studies
    studies = [r for r in included_by_study(review) if r[0].work_id not in below]
    lines = [f"# {proto.title}", "", f"Protocol `{proto.path.name}`, hash `{proto.hash}`.", ""]
    if proto.questions:
        lines += ["## Research questions", ""] + [f"- {x}" for x in proto.questions] + [""]
    lines += ["## Methods", ""]
    for paragraph in methods(review, counts, coder):
        lines += [paragraph, ""]
    lines += ["### Eligibility criteria", ""] + _criteria_table(review) + [""]
    lines += ["### Search log (PRISMA-S)", ""] + _search_table(review) + [""]
    lines += ["## Results", "", "### PRISMA 2020 flow diagram", ""]
    lines += [f"![PRISMA 2020 flow diagram]({diagram})" if diagram else DIAGRAM_SLOT, ""]
    lines += ["```", prisma_summary(counts), "```", ""]
    lines += ["### Concept matrix", ""]
    if coders(review):
        matrix = render(review_matrix(review, coder), "markdown")
        lines += [str(matrix).rstrip("\n"), ""]
    else:
        lines += ["No included study has been coded yet (`slr code`).", ""]
    if figures:
        lines += ["### Figures", ""]
        for file, title in figures:
            lines += [
                f"**{title}**",
                "",
                figure_slot(file) if inline else f"![{title}]({file})",
                "",
            ]
    lines += _quality_section(review)
    lines += ["### Included studies", ""]
    per_source = Counter(
        src for reports in studies for src in {s for w in reports for s in w.sources}
    )
    lines += _included_list(review) + [""]
    if per_source:
        found = ", ".join(f"{display_name(k)} {v}" for k, v in sorted(per_source.items()))
        lines += [f"Included studies found per source: {found}.", ""]
    lines += ["### Studies excluded at full text", ""] + _excluded_table(review) + [""]
    lines += ["### Retracted works", ""] + _retracted_list(review) + [""]
    lines += [f"BibTeX of the included studies: [{bibtex}]({bibtex}).", ""]
    records = load_records(review)
    lines += [f"_Generated by slr {__version__} from {len(records)} records._", ""]
    return "\n".join(lines)


def write_report(review: Review, output: str | Path, coder: str | None = None) -> list[Path]:
    """Write the report (.md or .html) with prisma.svg and included.bib beside it."""
    from slr.export import export_records
    from slr.screen.state import included_works

    out = Path(output)
    if out.suffix.lower() not in (".md", ".html", ".htm"):
        raise ExportError(f"{out}: the report is .md or .html; choose one of those extensions")
    folder = out.parent
    diagram = folder / "prisma.svg"
    bib = folder / "included.bib"
    svg = to_svg(compute(review))
    write_atomic(diagram, svg)
    write_atomic(bib, export_records(included_works(review), "bibtex"))
    drawn = {f"{name}.svg": (title, image) for name, title, image in available(review, coder)}
    for file, (_, image) in drawn.items():
        write_atomic(folder / file, image)
    figures = [(file, title) for file, (title, _) in drawn.items()]
    if out.suffix.lower() == ".md":
        write_atomic(out, build_markdown(review, diagram.name, bib.name, coder, figures))
    else:
        text = build_markdown(review, None, bib.name, coder, figures, inline=True)
        images = {file: image for file, (_, image) in drawn.items()}
        write_atomic(out, to_html(text, review.protocol.title, svg, images))
    return [out, diagram, bib, *(folder / file for file in drawn)]


def figure_slot(file: str) -> str:
    """Where report.html puts a figure's SVG inline."""
    return f"<!-- figure {file} -->"


def to_html(
    markdown_text: str, title: str, svg: str = "", figures: dict[str, str] | None = None
) -> str:
    """A standalone HTML page from the Markdown report, the SVG diagram and figures inline (no
    file beside it is needed to see them)."""
    import html

    import markdown

    body = markdown.markdown(markdown_text, extensions=["tables", "fenced_code"])
    inline = svg[svg.index("<svg") :] if "<svg" in svg else ""
    body = body.replace(DIAGRAM_SLOT, f'<figure class="prisma">{inline.rstrip()}</figure>')
    for file, image in (figures or {}).items():
        image = image[image.index("<svg") :].rstrip() if "<svg" in image else ""
        body = body.replace(figure_slot(file), f'<figure class="plot">{image}</figure>')
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px}"
        "img,figure svg{max-width:100%;height:auto}figure{margin:1em 0}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{style}</style></head>\n<body>\n"
        f"{body}\n</body></html>\n"
    )
