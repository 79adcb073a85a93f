"""The report's Methods section, written from the logs (PRISMA 2020 items 6-9, PRISMA-S).

Every sentence states what the search log, the decision logs (with the resolutions and the
ranking model stored on each decision) and the coding logs hold; where they hold nothing,
the sentence says "not recorded" instead of guessing.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from slr import __version__
from slr import query as q
from slr.corpus import search_log
from slr.prisma.counts import PrismaCounts, display_name
from slr.review import Review

NOT_RECORDED = "not recorded"
STAGE_NAMES = {"title-abstract": "title and abstract", "full-text": "full text"}


def count(n: int, one: str, many: str) -> str:
    """`1 work`, `2 works`: a number with the noun (or verb) that agrees with it."""
    return f"{n} {one if n == 1 else many}"


def listing(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def failed(entry: dict[str, Any]) -> bool:
    """A search that did not run to the end (or at all) is not a database searched."""
    status = str(entry.get("status") or "")
    return status.startswith(("failed", "skipped"))


def searches(review: Review) -> list[dict[str, Any]]:
    """Database searches and database exports from the search log (not citation searching)."""
    return [e for e in search_log(review) if e.get("kind") in ("search", "import")]


def _search_paragraph(review: Review) -> str:
    s = review.protocol.search
    entries = searches(review)
    done = [e for e in entries if not failed(e)]
    by_source: dict[str, list[dict[str, Any]]] = {}
    for e in done:
        by_source.setdefault(display_name(str(e.get("source") or "?")), []).append(e)
    parts = []
    for name, items in by_source.items():
        dates = sorted({str(e["date"])[:10] for e in items if e.get("date")})
        how = " and ".join(
            sorted({"exported file" if e.get("kind") == "import" else "API" for e in items})
        )
        undated = sum(1 for e in items if not e.get("date"))
        when = f" on {listing(dates)}" if dates else ""
        if undated:
            when += f"{';' if dates else ','} search date {NOT_RECORDED}"
        parts.append(f"{name} ({how}{when})")
    limits = []
    if s.years:
        limits.append(f"publication years {s.years[0]}-{s.years[1]}")
    if s.types:
        limits.append("document types " + ", ".join(s.types))
    if s.languages:
        limits.append("languages " + ", ".join(s.languages))
    text = (
        f"We searched {listing(parts)}." if parts else "No database search is logged as done yet."
    )
    text += (
        f" The protocol's query was `{q.to_string(s.query)}` in titles, abstracts and keywords"
        + (f", limited to {listing(limits)}" if limits else "")
        + "; the query as run in each database is in the search log below"
    )
    unqueried = sorted({display_name(str(e.get("source"))) for e in done if not e.get("query")})
    text += f" ({NOT_RECORDED} for {listing(unqueried)})." if unqueried else "."
    bad = [e for e in entries if failed(e)]
    if bad:
        said: list[str] = []
        for e in bad:
            kept = e.get("kept") or 0
            said.append(
                f"{display_name(str(e.get('source') or '?'))} "
                f"({str(e['date'])[:10] if e.get('date') else NOT_RECORDED}: {e.get('status')}"
                + (f"; its {kept} records kept before it stopped are counted" if kept else "")
                + ")"
            )
        text += (
            f" {'This search' if len(bad) == 1 else 'These searches'} failed and "
            f"{'is' if len(bad) == 1 else 'are'} not counted as databases searched: "
            f"{listing(said)}."
        )
    return text


def _dedupe_paragraph(counts: PrismaCounts) -> str:
    return (
        f"The searches identified {counts.identified} records. slr {__version__} linked "
        f"duplicate records into works (exact DOI and normalised-title rules, fuzzy title "
        f"matching within blocks, guarded against generic titles, series parts and errata), "
        f"removing {count(counts.duplicates, 'duplicate', 'duplicates')}; "
        f"{count(sum(counts.excluded_automatic.values()), 'record was', 'records were')} "
        "excluded automatically by "
        "the protocol's metadata rules"
        + (
            f" and {counts.excluded_other} notices (errata, retraction notices, comments) "
            "followed the report they concern, shown with it during screening rather than "
            "screened on their own"
            if counts.excluded_other
            else ""
        )
        + f", leaving {counts.records_screened} records to screen."
    )


NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def _who_screened(stage: str, state: Any) -> str:
    """How many reviewers screened each work of a stage, and whether they worked alone."""
    names = sorted(name for name, decided in state.reviews.items() if decided)
    where = STAGE_NAMES[stage]
    if not names:
        return f"No work was screened on its {where} by a reviewer."
    per_work = Counter(
        sum(1 for decided in state.reviews.values() if w.work_id in decided)
        for w in state.pool
        if w.work_id not in state.auto
    )
    per_work.pop(0, None)
    if len(names) == 1:
        screened = count(sum(per_work.values()), "work was", "works were")
        return f"On {where}, {screened} screened by one reviewer ({names[0]})."
    groups = [
        f"{n} works by {NUMBERS.get(k, str(k))} of them"
        for k, n in sorted(per_work.items(), reverse=True)
    ]
    return (
        f"On {where}, {listing(names)} screened independently, each in their own log: "
        f"{listing(groups)}."
    )


def _kappa(review: Review, stage: str) -> str:
    from slr.screen.agreement import stage_agreement

    result = stage_agreement(review, stage)
    if result.note:
        return ""
    kind = "Cohen's kappa" if result.method == "cohen" else "Fleiss' kappa"
    kappa = result.kappa
    value = (
        "undefined (every decision fell in one category)"
        if kappa is None or math.isnan(kappa)
        else f"{kappa:.2f}"
    )
    n = result.n_both if result.method == "cohen" else result.n_items
    if not n or math.isnan(result.percent_agreement):
        return " No work was screened by more than one reviewer, so no agreement is reported."
    return (
        f" Agreement on the {n} works screened by more than one reviewer: {kind} {value}, "
        f"{100 * result.percent_agreement:.0f}% agreement."
    )


def _resolution(stage: str, state: Any) -> str:
    """How disagreements were resolved: method and resolver as `slr resolve` logged them."""
    if len([n for n, d in state.reviews.items() if d]) < 2:
        return ""
    disputed = len(state.disagreements)
    if not disputed:
        return " The reviewers did not disagree on any work."
    how: Counter[str] = Counter()
    for wid in state.disagreements:
        d = state.resolved.get(wid)
        if d is None:
            continue
        method = str(d.extra.get("method") or "")
        resolver = str(d.extra.get("resolver") or "")
        label = {"consensus": "by consensus", "third-reviewer": "by a third reviewer"}.get(
            method, f"by a method {NOT_RECORDED}" if not method else f"by {method}"
        )
        if resolver and resolver != method:  # `slr resolve` names the method when no one is named
            label += f" ({resolver})"
        else:
            label += f" (resolver {NOT_RECORDED})"
        how[label] += 1
    text = f" The reviewers disagreed on {count(disputed, 'work', 'works')}"
    if how:
        text += "; " + listing(
            [f"{n} {'was' if n == 1 else 'were'} resolved {label}" for label, n in how.items()]
        )
    open_ = disputed - sum(how.values())
    if open_:
        text += f"; {count(open_, 'is', 'are')} not resolved yet"
    return text + "."


def _prioritised(review: Review, states: dict[str, Any]) -> str:
    """Whether decisions were taken from a model-ranked order; if so the model, the stopping
    rule, where screening stopped and the recall established there (slr.screen.stopping)."""
    from slr.screen.ranking import MODEL
    from slr.screen.stopping import labels_in_order, recall_bound, recall_status

    out = []
    for stage, state in states.items():
        ranked = [
            d
            for decided in state.reviews.values()
            for d in decided.values()
            if isinstance(d.extra.get("ranking"), dict)
        ]
        if not ranked:
            continue
        by_model = [d for d in ranked if d.extra["ranking"].get("model") == MODEL]
        decisions = sum(len(decided) for decided in state.reviews.values())
        text = (
            f"On {STAGE_NAMES[stage]}, {len(ranked)} of the {decisions} decisions were taken "
            "in prioritised order (`slr screen --order ranked`, re-ranked after every decision)"
        )
        if by_model:
            info = max(by_model, key=lambda d: d.time).extra["ranking"]
            settings = ", ".join(f"{k}={v}" for k, v in (info.get("settings") or {}).items())
            seeds = sorted({str(d.extra["ranking"].get("seed")) for d in by_model})
            text += (
                f"; {len(by_model)} of them were ranked by the model `{MODEL}` "
                f"({settings or 'settings ' + NOT_RECORDED}; seed {', '.join(seeds)})"
            )
        rest = len(ranked) - len(by_model)
        if rest:
            text += f" and {rest} in protocol order while the model had too few decisions"
        human = [d for w, d in state.final.items() if w not in state.auto]
        labels = labels_in_order(human)
        total = len(state.pool) - len(state.auto)
        status = recall_status(labels, total)
        stop = (
            f"all {total} works were screened"
            if len(labels) >= total
            else f"screening stopped after {len(labels)} of {total} works "
            f"({total - len(labels)} not screened)"
        )
        if sum(labels):
            bound = recall_bound(labels, total)
            verdict = "met" if status.can_stop else "not met"
            recall = (
                f"recall >= {bound:.0%} was established at 95% confidence; the 95% target was "
                f"{verdict} (p = {status.p_value:.3f}); the last {status.irrelevant_streak} "
                "decisions were irrelevant (a heuristic, no guarantee)"
            )
        else:
            recall = "no relevant work was found, so no recall can be established"
        out.append(f"{text}. {stop[0].upper()}{stop[1:]}; {recall}.")
    if not out:
        return (
            "Prioritised screening was not used: no screening decision was taken from a "
            "model-ranked order."
        )
    rule = (
        "The stopping criterion slr reports during prioritised screening is the hypergeometric "
        "test of Callaghan & Müller-Hansen (2020) over every tail of the screening order "
        "(target recall 95%, confidence 95%)."
    )
    return " ".join([*out, rule])


def _screening_paragraph(review: Review) -> str:
    from slr.screen.state import stage_states

    states = stage_states(review)
    parts = []
    for stage, state in states.items():
        parts.append(
            _who_screened(stage, state) + _kappa(review, stage) + _resolution(stage, state)
        )
    parts.append(_fulltext_sentence(review, states["full-text"]))
    parts.append(
        "Every decision is logged with its time, reviewer, criteria and the protocol hash "
        f"`{review.protocol.short_hash}`."
    )
    return " ".join(p for p in parts if p) + "\n\n" + _prioritised(review, states)


OA_SOURCES = {
    "unpaywall": "Unpaywall",
    "openalex": "OpenAlex",
    "semanticscholar": "Semantic Scholar",
    "arxiv": "arXiv",
    "pmc": "PubMed Central",
    "crossref": "Crossref",
}


def _fulltext_sentence(review: Review, state: Any) -> str:
    """How the full texts were retrieved, from fulltext.jsonl: the sources actually used."""
    from slr.screen.state import retrieval_by_work
    from slr.works import record_index

    n = len(state.pool)
    if not n:
        return ""
    reports = f"{n} report{'s' if n != 1 else ''}"
    if not state.retrieval:
        return f"How the full texts of the {reports} were retrieved: {NOT_RECORDED}."
    pdfs = retrieval_by_work(review, record_index(state.pool), {})[1]
    how: Counter[str] = Counter()
    for wid, status in state.retrieval.items():
        if status != "retrieved":
            continue
        pdf = pdfs.get(wid)
        if pdf is None or (pdf.method == "fetched" and not pdf.via):
            how[f"source {NOT_RECORDED}"] += 1
        elif pdf.method == "fetched":
            how["via " + OA_SOURCES.get(pdf.via or "", pdf.via or "")] += 1
        else:
            how["attached by hand"] += 1
    got = sum(how.values())
    parts = [f"{k} {label}" for label, k in sorted(how.items(), key=lambda kv: (-kv[1], kv[0]))]
    text = f"Full texts were retrieved for {got} of {reports}" + (
        ": " + ", ".join(parts) if parts else ""
    )
    missing = sum(1 for s in state.retrieval.values() if s == "not-retrieved")
    no_copy = sum(1 for s in state.retrieval.values() if s == "no-open-access")
    if missing:
        text += f"; {missing} could not be retrieved"
    if no_copy:
        text += f"; for {no_copy} no open-access copy was found and none was attached"
    untried = n - got - missing - no_copy
    if untried:
        text += f"; for {untried} the log records no retrieval ({NOT_RECORDED})"
    return text + "."


def _coding_paragraph(review: Review, coder: str | None) -> str:
    """Who coded the included studies, their agreement and the keyword suggestions used."""
    from slr.coding.log import coders, coding_agreement, coding_counts, latest, read_codings

    names = coders(review)
    k = len(review.protocol.concepts)
    if not names:
        return f"No included study has been coded against the protocol's {k} concepts yet."
    counts = coding_counts(review)
    done = listing([f"{name} {counts['coded'][name]}" for name in names])
    text = (
        f"The {count(counts['studies'], 'included study was', 'included studies were')} coded "
        f"against the protocol's {k} "
        f"concepts by {listing(names)} (studies with every concept coded: {done})."
    )
    if len(names) == 1:
        text += " No second coder coded them, so no coding agreement is reported."
    else:
        result = coding_agreement(review)
        pooled = result["pooled"]
        kind = "Cohen's kappa" if result["method"] == "cohen" else "Fleiss' kappa"
        kappa = (
            "undefined (no variation)" if math.isnan(pooled["kappa"]) else f"{pooled['kappa']:.2f}"
        )
        pct = pooled["percent_agreement"]
        pct_text = NOT_RECORDED if math.isnan(pct) else f"{100 * pct:.0f}%"
        text += (
            f" The coders worked independently, each in their own log; over the {pooled['n']} "
            f"judgements coded by more than one: {kind} {kappa}, {pct_text} agreement, "
            f"{len(result['disagreements'])} disagreements."
        )
        if coder:
            text += f" The concept matrix shows {coder}'s coding."
    judged = [c for name in names for c in latest(read_codings(review, name)).values()]
    suggested = sum(1 for c in judged if c.suggested)
    text += (
        f" {suggested} of the {len(judged)} judgements were keyword suggestions of slr "
        "accepted unchanged."
        if suggested
        else " No judgement was a keyword suggestion of slr accepted unchanged."
    )
    return text


def _citation_paragraph(review: Review, counts: PrismaCounts) -> str:
    citation = [e for e in search_log(review) if e.get("kind") == "citation"]
    if not citation:
        return ""
    rounds = sorted({e.get("round", 1) for e in citation})
    vias = sorted({str(e.get("via", e.get("source", ""))) for e in citation})
    return (
        f"We complemented the search with {len(rounds)} round(s) of backward and/or forward "
        f"snowballing (Wohlin 2014) through {listing([display_name(v) for v in vias])}, "
        f"identifying {counts.other_identified} further records."
    )


def _included_sentence(counts: PrismaCounts) -> str:
    """Studies and their reports, counted apart as PRISMA 2020 does."""
    studies, reports = counts.new_studies, counts.new_reports
    return (
        f"{studies} {'study was' if studies == 1 else 'studies were'} included, "
        f"reported in {reports} {'report' if reports == 1 else 'reports'}."
    )


def methods(review: Review, counts: PrismaCounts, coder: str | None = None) -> list[str]:
    """The methods section, paragraph by paragraph."""
    out = [
        _search_paragraph(review),
        _dedupe_paragraph(counts),
        *_screening_paragraph(review).split("\n\n"),
        _citation_paragraph(review, counts),
        _coding_paragraph(review, coder),
        _included_sentence(counts)
        + " The concept matrix below codes each included study against the protocol's "
        f"{len(review.protocol.concepts)} concepts.",
    ]
    return [p for p in out if p]
