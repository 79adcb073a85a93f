"""What the screening view shows: highlighting, word wrap, and the screen as styled rows.

`render` is a pure function from a session to rows of (text, style) segments; apart from
the terminal loop so the view is testable and the latency benchmark can time a full redraw.
"""

from __future__ import annotations

import re
import textwrap
import threading
from dataclasses import dataclass, field

import click

from slr import query as q
from slr.decisions import STAGES
from slr.fulltext import retrieval_line
from slr.protocol import Protocol
from slr.retractions import Flag, review_flags
from slr.screen.session import Session, describe, finished_line
from slr.tui.keys import ACTIONS, FULL_TEXT_ONLY, LABELS, Keymap
from slr.works import Work

Segment = tuple[str, str]  # (text, style); plain, bold, hl, dim, header, mark, title, alert
Row = list[Segment]

# ---------------------------------------------------------------- highlighting


class Highlighter:
    """Finds the protocol's query terms and concept keywords in a text (for highlighting)."""

    def __init__(self, protocol: Protocol) -> None:
        patterns: set[str] = set()
        queries = [protocol.search.query, *(s.query for s in protocol.search.sources)]
        for node in queries:
            for leaf in q.leaves(node):
                wildcard = isinstance(leaf, q.Term) and leaf.wildcard
                patterns.add(_pattern(q.tokens(leaf.text), wildcard))
        for concept in protocol.concepts:
            for keyword in concept.keywords:
                patterns.add(_pattern(q.tokens(keyword), False))
        patterns.discard("")
        alternatives = sorted(patterns, key=len, reverse=True)
        self.regex = (
            re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)
            if alternatives
            else None
        )

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every highlighted stretch, left to right."""
        return [m.span() for m in self.regex.finditer(text)] if self.regex and text else []


def _pattern(words: list[str], wildcard: bool) -> str:
    if not words:
        return ""
    parts = []
    for i, word in enumerate(words):
        last = i == len(words) - 1
        if last and wildcard:
            parts.append(re.escape(word) + r"\w*")
        elif word.endswith("y"):
            parts.append(re.escape(word[:-1]) + r"(?:y|ies)")
        else:
            parts.append(re.escape(word) + r"(?:s|es)?")
    return r"[\s\-/_]+".join(parts)


def wrap(text: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap as (start, end) slices of `text`; over-long words are cut."""
    lines: list[tuple[int, int]] = []
    start = end = None
    width = max(width, 1)
    for m in re.finditer(r"\S+", text):
        s, e = m.span()
        while e - s > width:  # a word longer than the line
            if start is not None:
                lines.append((start, end or start))
                start = None
            lines.append((s, s + width))
            s += width
        if start is None:
            start, end = s, e
        elif e - start <= width:
            end = e
        else:
            lines.append((start, end or start))
            start, end = s, e
    if start is not None:
        lines.append((start, end or start))
    return lines


def _segments(text: str, a: int, b: int, spans: list[tuple[int, int]], style: str) -> Row:
    row: Row = []
    pos = a
    for s, e in spans:
        if e <= a or s >= b:
            continue
        s, e = max(s, a), min(e, b)
        if s > pos:
            row.append((text[pos:s], style))
        row.append((text[s:e], "hl"))
        pos = e
    if pos < b:
        row.append((text[pos:b], style))
    return row


# ---------------------------------------------------------------- rendering


@dataclass
class View:
    """What the front-end shows besides the work: scroll offset, a message, help."""

    scroll: int = 0
    message: str = ""
    help: bool = False
    shown: str | None = None  # the work id on screen (scroll resets when it changes)
    # a search of the full text (`/`): the term, (page, sentence) hits, the one shown, the work
    term: str = ""
    hits: list[tuple[int, str]] = field(default_factory=list)
    hit: int = 0
    hits_for: str | None = None
    cache: dict[tuple[str, int], tuple[str, list[tuple[int, int]], list[tuple[int, int]]]] = field(
        default_factory=dict
    )


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "~"


def _authors(work: Work) -> str:
    authors = work.canonical.authors
    if not authors:
        return "(no authors)"
    return "; ".join(authors[:6]) + (f"; ... ({len(authors)} authors)" if len(authors) > 6 else "")


NOTICE_LABELS = {
    "retraction": "RETRACTED - retraction notice",
    "erratum": "erratum/correction",
    "comment": "comment/reply",
}


def notice_line(relation: str, notice: Work) -> str:
    """`RETRACTED - retraction notice: Title (2021) · id X · DOI 10.1/x` for a notice shown
    under the report it concerns."""
    rec = notice.canonical
    title = " ".join((rec.title or "(no title)").split())
    bits = [f"{NOTICE_LABELS.get(relation, relation)}: {title} ({rec.year or 'year ?'})"]
    bits.append(f"id {notice.work_id}")
    if rec.doi:
        bits.append(f"DOI {rec.doi}")
    return "  ·  ".join(bits)


def retraction_flag(session: Session, work: Work) -> Flag | None:
    """The work's retraction flag (slr.retractions), worked out once per session."""
    flags = session.__dict__.get("_retraction_flags")
    if flags is None:
        flags = session.__dict__["_retraction_flags"] = review_flags(session.review, False)
    return flags.get(work.work_id)


def work_lines(session: Session, work: Work) -> list[tuple[str, str]]:
    """The metadata lines of a work (label, style), in display order.

    A retraction notice comes first, right under the title, so it is seen before anything
    else (and is the last line a small terminal gives up); other notices follow the links.
    """
    rec = work.canonical
    meta = [str(rec.year or "year ?"), rec.venue or "venue ?", rec.type or "type ?"]
    meta.append(rec.language or "language ?")
    attached = session.attached.get(work.work_id, [])
    lines = [("!! " + notice_line(r, n), "alert") for r, n in attached if r == "retraction"]
    flag = retraction_flag(session, work)
    if flag is not None and flag.recorded:  # the records' own evidence (Crossref, OpenAlex...)
        lines.insert(0, ("!! RETRACTED - " + Flag(flag.work_id, flag.recorded).summary(), "alert"))
    lines += [(_authors(work), "plain"), ("  ·  ".join(meta), "dim")]
    lines.append((f"found by {', '.join(work.sources) or '?'}  ·  id {work.work_id}", "dim"))
    links = []
    if rec.doi:
        links.append(f"DOI https://doi.org/{rec.doi}")
    if rec.url and session.stage == STAGES[0]:
        links.append(f"URL {rec.url}")
    if session.stage == STAGES[1]:
        lines.append(
            (f"full text (open access): {rec.oa_url}", "bold")
            if rec.oa_url
            else ("full text: no open-access link known", "dim")
        )
        if rec.url and rec.url != rec.oa_url:
            links.append(f"URL {rec.url}")
        wid = work.work_id
        lines.append((retrieval_line(session.retrieval.get(wid), session.pdfs.get(wid)), "bold"))
    if links:
        lines.append(("  ".join(links), "plain"))
    lines += [(notice_line(r, n), "mark") for r, n in attached if r != "retraction"]
    for extra in session.context.get(work.work_id, []):
        lines.append((extra, "mark"))
    mine = session.decision_on(work.work_id)
    if mine is not None:
        lines.append((f"your decision: {describe(mine)}", "mark"))
    for text in session.notes.get(work.work_id, []):
        lines.append((f"your note (saved): {text}", "mark"))
    return lines


def key_items(session: Session, keymap: Keymap) -> list[str]:
    """`i include`, `m maybe`, ... for the actions this stage offers."""
    items = []
    for act in ACTIONS:
        if act in FULL_TEXT_ONLY and session.stage != STAGES[1]:
            continue
        key = keymap.key_for(act)
        if key is not None:
            items.append(f"{key} {LABELS.get(act, act)}")
    return items


def criteria_items(session: Session, keymap: Keymap) -> list[str]:
    """`1 EC1 text` for each exclusion criterion that has a key."""
    out = []
    for i, c in enumerate(session.review.protocol.exclusion, start=1):
        key = keymap.key_for(f"exclude:{i}")
        if key is not None:
            out.append(f"{key} {c.id} {c.text}")
    return out


def _pack(items: list[str], width: int, gap: str = "  ") -> list[str]:
    rows: list[str] = []
    for item in items:
        if rows and len(rows[-1]) + len(gap) + len(item) <= width:
            rows[-1] += gap + item
        else:
            rows.append(_clip(item, width))
    return rows


def header(session: Session, recall: str | None = None) -> str:
    """`title-abstract · alice · 3/120 · done 2 · included 1 · excluded 1 · maybe 0`.

    `recall` is the recall statement when the caller works it out itself (the browser does,
    in a process of its own); else it comes from a background thread here."""
    pos = "-" if session.index is None else str(session.index + 1)
    c = session.counts
    parts = [
        session.stage,
        session.reviewer,
        f"{pos}/{session.total}",
        f"done {session.done}",
        f"included {c['include']}",
        f"excluded {c['exclude']}",
        f"maybe {c['maybe']}",
    ]
    if session.stage == STAGES[1]:
        parts.append(f"not retrieved {c['not-retrieved'] + len(session.gone)}")
    work = session.current
    if work is not None and (
        any(r == "retraction" for r, _ in session.attached.get(work.work_id, []))
        or retraction_flag(session, work) is not None
    ):
        parts.insert(0, "RETRACTED")  # first, so no terminal is too narrow to show it
    recall = _recall_text(session) if recall is None else recall
    if recall:
        parts.append(recall)
    ordering_state = session.ordering_state()
    if ordering_state:
        parts.append(ordering_state)
    return " · ".join(parts)


def _recall_text(session: Session) -> str:
    """`recall ≥ 80% (95%)` from the reviewer's decisions, refreshed in a background thread
    every 25 decisions so the statistics never delay a keystroke."""
    from slr.screen.stopping import labels_in_order, recall_bound

    state = session.__dict__.setdefault("_recall", {"done": None, "text": "", "job": None})
    done = session.done
    job = state["job"]
    stale = state["done"] is None or abs(done - state["done"]) >= 25
    if stale and (job is None or not job.is_alive()):
        decisions = list(session.decided_map().values())  # a snapshot; sorted in the thread
        total = session.total

        def compute() -> None:
            labels = labels_in_order(decisions)
            bound = recall_bound(labels, total) if 1 in labels else 0.0
            may_stop = " · may stop" if bound >= 0.95 else ""
            state["text"] = f"recall ≥ {bound:.0%} (95%){may_stop}" if labels else ""

        state["done"] = done
        state["job"] = threading.Thread(target=compute, daemon=True)
        state["job"].start()
    return str(state["text"])


def render(
    session: Session, keymap: Keymap, hl: Highlighter, view: View, width: int, height: int
) -> list[Row]:
    """The whole screen as rows of styled segments, fitting width x height."""
    width, height = max(width, 20), max(height, 5)
    top: list[Row] = [[(_clip(" " + header(session), width).ljust(width), "header")]]
    bottom = _bottom(session, keymap, view, width, compact=False)
    if view.help:
        return top + help_rows(session, keymap, width, height - 1)
    work = session.current
    if work is None:
        body = [
            [(finished_line(session), "bold")],
            [("Press b to look back, u to undo the last decision, q to quit.", "plain")],
        ]
        return _fit(top + body, [], bottom, height)
    if view.shown != work.work_id:
        view.shown, view.scroll = work.work_id, 0
    rec = work.canonical
    title = " ".join((rec.title or "(no title)").split())
    title_spans = hl.spans(title)
    for a, b in wrap(title, width)[:3]:
        top.append(_segments(title, a, b, title_spans, "title"))
    for text, style in work_lines(session, work):
        top.append([(_clip(text, width), style)])
    if view.hits and view.hits_for == work.work_id:
        found = hit_line(view)
        for a, b in wrap(found, width)[:3]:
            top.append([(found[a:b], "mark")])
    abstract, lines, spans = _abstract(view, work, width, hl)
    room = height - len(top) - len(bottom) - 1
    if room < 3:  # a small terminal: criteria ids only, then fewer metadata lines
        bottom = _bottom(session, keymap, view, width, compact=True)
        room = height - len(top) - len(bottom) - 1
    if room < 3:
        top = top[: max(2, len(top) - (3 - room))]
        room = height - len(top) - len(bottom) - 1
    room = max(room, 0)
    view.scroll = max(0, min(view.scroll, max(len(lines) - room, 0)))
    shown = lines[view.scroll : view.scroll + room]
    if len(lines) <= room:
        more = " abstract "
    elif shown:
        more = (
            f" abstract {view.scroll + 1}-{view.scroll + len(shown)} of {len(lines)} lines "
            "(up/down, PgUp/PgDn) "
        )
    else:
        more = f" abstract: {len(lines)} lines; make the terminal taller "
    sep: Row = [(("--" + more).ljust(width, "-")[:width], "dim")]
    body = [_segments(abstract, a, b, spans, "plain") for a, b in shown]
    if not lines:
        body = [[("(no abstract)", "dim")]]
    return _fit(top + [sep] + body, [], bottom, height)


def hit_line(view: View) -> str:
    """`'term' hit 2 of 7, p. 3: the sentence` for the search hit on show."""
    page, sentence = view.hits[view.hit]
    return f"{view.term!r} hit {view.hit + 1} of {len(view.hits)}, p. {page}: {sentence}"


def _bottom(session: Session, keymap: Keymap, view: View, width: int, compact: bool) -> list[Row]:
    """The criteria with their keys, the other keys, and the message line."""
    crit = criteria_items(session, keymap)
    rows: list[Row] = []
    if compact:  # only "1 EC1" when the terminal is too small for the criteria texts
        short = [" ".join(c.split(" ")[:2]) for c in crit]
        rows += [[(row, "bold")] for row in _pack(short, width)]
    elif len(crit) > 4 and width >= 60:  # two columns keep 9 criteria within 24 rows
        half = (width - 2) // 2
        pairs = [crit[i : i + 2] for i in range(0, len(crit), 2)]
        rows += [
            [("  ".join(_clip(c, half).ljust(half) for c in pair).rstrip(), "bold")]
            for pair in pairs
        ]
    else:
        rows += [[(_clip(c, width), "bold")] for c in crit]
    rows += [[(row, "dim")] for row in _pack(key_items(session, keymap), width)]
    rows.append([(_clip(view.message, width), "mark")])
    return rows


def _abstract(
    view: View, work: Work, width: int, hl: Highlighter
) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    key = (work.work_id, width)
    if key not in view.cache:
        view.cache.clear()  # only the work on screen is worth keeping
        text = " ".join((work.canonical.abstract or "").split())
        view.cache[key] = (text, wrap(text, width), hl.spans(text))
    return view.cache[key]


def _fit(upper: list[Row], middle: list[Row], bottom: list[Row], height: int) -> list[Row]:
    rows = upper + middle
    room = height - len(bottom)
    rows = rows[:room] + [[("", "plain")]] * max(room - len(rows), 0)
    return (rows + bottom)[:height]


def help_rows(session: Session, keymap: Keymap, width: int, height: int) -> list[Row]:
    """The help overlay: every key of the keymap with what it does."""
    proto = session.review.protocol
    rows: list[Row] = [[("Keys", "bold")]]
    rows += [[(_clip("  " + item, width), "plain")] for item in key_items(session, keymap)]
    rows += [[("  up/down PgUp/PgDn scroll the abstract", "plain")]]
    rows.append([("Inclusion criteria (include when all hold)", "bold")])
    for c in proto.inclusion:
        for line in textwrap.wrap(f"{c.id} {c.text}", width - 2) or [""]:
            rows.append([("  " + line, "plain")])
    rows.append([("Exclusion criteria (key excludes with it)", "bold")])
    for item in criteria_items(session, keymap):
        for line in textwrap.wrap(item, width - 2):
            rows.append([("  " + line, "plain")])
    rows.append([("Press any key to go back.", "dim")])
    return rows[:height]


def plain_card(session: Session, keymap: Keymap, hl: Highlighter, width: int = 80) -> str:
    """The work on screen as plain text (styles become bold/underline on a terminal)."""
    out = ["", "=" * width, header(session)]
    work = session.current
    if work is None:
        out.append(f"{finished_line(session)} b back, u undo, q quit.")
        return "\n".join(out)
    rec = work.canonical

    def styled(text: str) -> str:
        parts = []
        for a, b in wrap(text, width):
            row = _segments(text, a, b, hl.spans(text), "plain")
            parts.append(
                "".join(
                    click.style(t, bold=True, underline=True) if s == "hl" else t for t, s in row
                )
            )
        return "\n".join(parts)

    out.append(styled(" ".join((rec.title or "(no title)").split())))
    out += [text for text, _ in work_lines(session, work)]
    out.append("-" * width)
    abstract = " ".join((rec.abstract or "").split())
    out.append(styled(abstract) if abstract else "(no abstract)")
    out.append("-" * width)
    out += _pack(criteria_items(session, keymap), width)
    return "\n".join(out)
