"""The review report: a methods section written from the protocol and the logs, the search
log, the PRISMA diagram, the concept matrix and the included studies, plus their BibTeX.

Everything is derived from state; running it twice on the same state gives the same bytes
(no "generated at" times: dates come from the logs).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from slr import __version__
from slr import query as q
from slr.corpus import load_records, search_log
from slr.errors import ExportError
from slr.prisma import PrismaCounts, compute, display_name
from slr.prisma_render import to_svg
from slr.review import Review
from slr.store import write_atomic
from slr.works import Work


def _list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _searches(review: Review) -> list[dict[str, Any]]:
    return [e for e in search_log(review) if e.get("kind") in ("search", "import")]


def methods(review: Review, counts: PrismaCounts) -> list[str]:
    """The methods section, paragraph by paragraph."""
    proto = review.protocol
    s = proto.search
    out: list[str] = []
    entries = _searches(review)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_source.setdefault(display_name(e.get("source", "?")), []).append(e)
    parts = []
    for name, items in by_source.items():
        dates = sorted({str(e.get("date") or e.get("started", ""))[:10] for e in items} - {""})
        how = sorted({"exported file" if e.get("kind") == "import" else "API" for e in items})
        when = f" on {_list(dates)}" if dates else ""
        parts.append(f"{name} ({' and '.join(how)}{when})")
    limits = []
    if s.years:
        limits.append(f"publication years {s.years[0]}-{s.years[1]}")
    if s.types:
        limits.append("document types " + ", ".join(s.types))
    if s.languages:
        limits.append("languages " + ", ".join(s.languages))
    out.append(
        f"We searched {_list(parts) or 'no database yet'} with the query "
        f"`{q.to_string(s.query)}` in titles, abstracts and keywords"
        + (f", limited to {_list(limits)}" if limits else "")
        + ". The exact query sent to each database is in the search log below."
    )
    out.append(
        f"The searches identified {counts.identified} records. slr {__version__} linked "
        f"duplicate records into works (exact DOI and normalised-title rules, fuzzy title "
        f"matching within blocks, guarded against generic titles, series parts and errata), "
        f"removing {counts.duplicates} duplicates; "
        f"{sum(counts.excluded_automatic.values())} records were excluded automatically by "
        f"the protocol's metadata rules, leaving {counts.records_screened} records to screen."
    )
    reviewers = sorted({d for d in _decision_reviewers(review) if d not in ("auto", "resolved")})
    who = _list(reviewers) if reviewers else "one reviewer"
    kappa = _kappa_sentence(review)
    out.append(
        f"Titles and abstracts, then full texts, were screened against the criteria by "
        f"{who}{kappa} Every decision is logged with its time, reviewer, criteria and the "
        f"protocol hash `{proto.short_hash}`."
    )
    citation = [e for e in search_log(review) if e.get("kind") == "citation"]
    if citation:
        rounds = sorted({e.get("round", 1) for e in citation})
        vias = sorted({str(e.get("via", e.get("source", ""))) for e in citation})
        out.append(
            f"We complemented the search with {len(rounds)} round(s) of backward and/or forward "
            f"snowballing (Wohlin 2014) through {_list([display_name(v) for v in vias])}, "
            f"identifying {counts.other_identified} further records."
        )
    out.append(
        f"{counts.new_studies} studies were included. The concept matrix below codes each "
        f"included study against the protocol's {len(proto.concepts)} concepts."
    )
    return out


def _decision_reviewers(review: Review) -> list[str]:
    from slr.decisions import reviewers

    return reviewers(review)


def _kappa_sentence(review: Review) -> str:
    from slr.agreement import stage_agreement

    parts = []
    for stage in ("title-abstract", "full-text"):
        result = stage_agreement(review, stage)
        if result.get("kappa") is not None and "note" not in result:
            parts.append(
                f"{stage}: Cohen's kappa {result['kappa']:.2f}, "
                f"{100 * result['percent_agreement']:.0f}% agreement"
            )
    return f" independently ({'; '.join(parts)})." if parts else "."


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
        "| source | method | date | query as run | records |",
        "|---|---|---|---|---|",
    ]
    for e in search_log(review):
        method = {"import": "export file", "search": "API", "citation": "citation searching"}.get(
            e.get("kind", ""), e.get("kind", "")
        )
        if e.get("kind") == "citation":
            method += f" round {e.get('round', 1)} ({e.get('direction', '')})"
        date = str(e.get("date") or e.get("started", ""))[:10]
        n = e.get("kept", e.get("fetched", e.get("new_records", "")))
        lines.append(
            f"| {display_name(str(e.get('source', '')))} | {method} | {date} | "
            f"{_md_escape(str(e.get('query', '')))} | {n} |"
        )
    return lines


def reference(work: Work) -> str:
    """A plain reference line: authors (year). Title. Venue. doi."""
    r = work.canonical
    authors = "; ".join(r.authors) if r.authors else "Anonymous"
    bits = [f"{authors} ({r.year or 'n.d.'}). {r.title or '(no title)'}."]
    if r.venue:
        venue = r.venue
        if r.volume:
            venue += f", {r.volume}"
            if r.issue:
                venue += f"({r.issue})"
        if r.pages:
            venue += f", {r.pages}"
        bits.append(venue + ".")
    if r.doi:
        bits.append(f"https://doi.org/{r.doi}")
    return " ".join(bits)


def build_markdown(
    review: Review,
    diagram: str = "prisma.svg",
    bibtex: str = "included.bib",
    coder: str | None = None,
) -> str:
    """The whole report as Markdown."""
    from slr.matrix import render, review_matrix
    from slr.prisma import summary as prisma_summary
    from slr.screening import included_works

    counts = compute(review)
    proto = review.protocol
    works = included_works(review)
    lines = [f"# {proto.title}", "", f"Protocol `{proto.path.name}`, hash `{proto.hash}`.", ""]
    if proto.questions:
        lines += ["## Research questions", ""] + [f"- {x}" for x in proto.questions] + [""]
    lines += ["## Methods", ""]
    for paragraph in methods(review, counts):
        lines += [paragraph, ""]
    lines += ["### Eligibility criteria", ""] + _criteria_table(review) + [""]
    lines += ["### Search log (PRISMA-S)", ""] + _search_table(review) + [""]
    lines += ["## Results", "", "### PRISMA 2020 flow diagram", ""]
    lines += [f"![PRISMA 2020 flow diagram]({diagram})", ""]
    lines += ["```", prisma_summary(counts), "```", ""]
    lines += ["### Concept matrix", ""]
    matrix = render(review_matrix(review, coder), "markdown")
    lines += [str(matrix).rstrip("\n"), ""]
    lines += ["### Included studies", ""]
    per_source = Counter(src for w in works for src in w.sources)
    lines += [f"{i}. {reference(w)}" for i, w in enumerate(works, 1)] + [""]
    if per_source:
        found = ", ".join(f"{display_name(k)} {v}" for k, v in sorted(per_source.items()))
        lines += [f"Included studies found per source: {found}.", ""]
    lines += [f"BibTeX of the included studies: [{bibtex}]({bibtex}).", ""]
    records = load_records(review)
    lines += [f"_Generated by slr {__version__} from {len(records)} records._", ""]
    return "\n".join(lines)


def write_report(review: Review, output: str | Path, coder: str | None = None) -> list[Path]:
    """Write the report (.md or .html) with prisma.svg and included.bib beside it."""
    from slr.export import export_records
    from slr.screening import included_works

    out = Path(output)
    if out.suffix.lower() not in (".md", ".html", ".htm"):
        raise ExportError(f"{out}: the report is .md or .html; choose one of those extensions")
    folder = out.parent
    diagram = folder / "prisma.svg"
    bib = folder / "included.bib"
    text = build_markdown(review, diagram.name, bib.name, coder)
    write_atomic(diagram, to_svg(compute(review)))
    write_atomic(bib, export_records(included_works(review), "bibtex"))
    if out.suffix.lower() == ".md":
        write_atomic(out, text)
    else:
        write_atomic(out, to_html(text, review.protocol.title))
    return [out, diagram, bib]


def to_html(markdown_text: str, title: str) -> str:
    """A standalone HTML page from the Markdown report."""
    import html

    import markdown

    body = markdown.markdown(markdown_text, extensions=["tables", "fenced_code"])
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 6px}"
        "img{max-width:100%}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{style}</style></head>\n<body>\n"
        f"{body}\n</body></html>\n"
    )
