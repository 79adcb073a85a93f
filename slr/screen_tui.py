"""The screening view: a full-screen curses terminal view, and plain line prompts without a TTY.

Both front-ends drive the same `slr.screening.Session` through the same key handler, so a
scripted plain session exercises exactly what a reviewer's keystrokes do. The screen is
rendered into rows of (text, style) segments by `render`, a pure function, then painted;
that keeps the view testable and lets the latency benchmark time a full redraw.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from slr import query as q
from slr.decisions import STAGES
from slr.errors import SlrError
from slr.protocol import Protocol
from slr.screening import Session, describe
from slr.works import Work

Segment = tuple[str, str]  # (text, style); styles: plain, bold, hl, dim, header, mark, title
Row = list[Segment]

# ---------------------------------------------------------------- keys

ACTIONS = ("include", "maybe", "not-retrieved", "skip", "note", "undo", "back", "help", "quit")
DEFAULT_KEYS = {
    "include": "i",
    "maybe": "m",
    "not-retrieved": "r",
    "skip": "s",
    "note": "n",
    "undo": "u",
    "back": "b",
    "help": "?",
    "quit": "q",
}
LABELS = {"not-retrieved": "not retrieved"}


class KeysError(SlrError):
    """The key configuration file is invalid."""


@dataclass(frozen=True)
class Keymap:
    """Key -> action; `exclude:N` excludes with the N-th exclusion criterion (EC<N>)."""

    keys: dict[str, str] = field(default_factory=dict)

    def action(self, key: str) -> str | None:
        return self.keys.get(key)

    def key_for(self, action: str) -> str | None:
        for key, act in self.keys.items():
            if act == action:
                return key
        return None


def keys_file() -> Path:
    """$SLR_KEYS, else $XDG_CONFIG_HOME/slr/keys.toml, else ~/.config/slr/keys.toml."""
    if os.environ.get("SLR_KEYS"):
        return Path(os.environ["SLR_KEYS"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "slr" / "keys.toml"


def load_keymap(path: Path | None = None) -> Keymap:
    """The default keys, overridden by the keys file when it exists (independent of protocols).

    Format: `include = "y"`, `quit = "x"`, ..., and `exclude = ["1", "2", ...]` for EC1, EC2...
    """
    names = dict(DEFAULT_KEYS)
    exclude = list("123456789")
    path = path or keys_file()
    if path.exists():
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise KeysError(f"{path}: not valid TOML ({exc}); fix or delete the file") from None
        for name, value in data.items():
            if name == "exclude":
                if not (isinstance(value, list) and 1 <= len(value) <= 9):
                    raise KeysError(f'{path}: exclude: give a list of 1-9 keys, e.g. ["1", "2"]')
                exclude = [_one_key(path, name, v) for v in value]
            elif name in DEFAULT_KEYS:
                names[name] = _one_key(path, name, value)
            else:
                raise KeysError(
                    f"{path}: {name}: unknown action; known: exclude, " + ", ".join(ACTIONS)
                )
    keys: dict[str, str] = {}
    pairs = [(k, a) for a, k in names.items()] + [
        (k, f"exclude:{i}") for i, k in enumerate(exclude, start=1)
    ]
    for key, act in pairs:
        if key in keys:
            raise KeysError(
                f"{path}: key {key!r} is given to both {keys[key]} and {act}; give each its own key"
            )
        keys[key] = act
    return Keymap(keys)


def _one_key(path: Path, name: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) != 1 or value.isspace():
        raise KeysError(f"{path}: {name}: {value!r} is not one printable character")
    return value


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


def work_lines(session: Session, work: Work) -> list[tuple[str, str]]:
    """The metadata lines of a work (label, style), in display order."""
    rec = work.canonical
    meta = [str(rec.year or "year ?"), rec.venue or "venue ?", rec.type or "type ?"]
    meta.append(rec.language or "language ?")
    lines = [(_authors(work), "plain"), ("  ·  ".join(meta), "dim")]
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
    if links:
        lines.append(("  ".join(links), "plain"))
    for extra in session.context.get(work.work_id, []):
        lines.append((extra, "mark"))
    mine = session.decision_on(work.work_id)
    if mine is not None:
        lines.append((f"your decision: {describe(mine)}", "mark"))
    if session.notes.get(work.work_id):
        lines.append((f"note (saved with the decision): {session.notes[work.work_id]}", "mark"))
    return lines


def key_items(session: Session, keymap: Keymap) -> list[str]:
    """`i include`, `m maybe`, ... for the actions this stage offers."""
    items = []
    for act in ACTIONS:
        if act == "not-retrieved" and session.stage != STAGES[1]:
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


def header(session: Session) -> str:
    """`title-abstract · alice · 3/120 · done 2 · included 1 · excluded 1 · maybe 0`."""
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
        parts.append(f"not retrieved {c['not-retrieved']}")
    recall = _recall_text(session)
    if recall:
        parts.append(recall)
    return " · ".join(parts)


def _recall_text(session: Session) -> str:
    """`recall ≥ 80% (95%)` from the reviewer's decisions, refreshed in a background thread
    every 25 decisions so the statistics never delay a keystroke."""
    from slr.stopping import labels_in_order, recall_bound

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
        return top + _help_rows(session, keymap, width, height - 1)
    work = session.current
    if work is None:
        body = [
            [(f"Every work at {session.stage} has a decision ({session.total}).", "bold")],
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


def _help_rows(session: Session, keymap: Keymap, width: int, height: int) -> list[Row]:
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


# ---------------------------------------------------------------- the shared key handler


def handle(
    session: Session,
    keymap: Keymap,
    key: str,
    view: View,
    ask: Callable[[str], str | None],
) -> bool:
    """Apply one key to the session; False means quit. Messages go to `view.message`."""
    act = keymap.action(key)
    view.message = ""
    if act is None:
        help_key = keymap.key_for("help") or "?"
        view.message = f"unknown key {key!r}; press {help_key} for help"
        return True
    if act == "quit":
        return False
    if act == "help":
        view.help = True
        return True
    if act == "back":
        session.back()
        return True
    if act == "undo":
        undone = session.undo()
        view.message = (
            f"undone: {describe(undone)} on {undone.work_id}" if undone else "nothing to undo"
        )
        return True
    if session.current is None:
        view.message = "every work has a decision; b goes back, u undoes, q quits"
        return True
    if act == "skip":
        session.skip()
    elif act == "note":
        text = ask("note: ")
        if text:
            session.note(text)
            view.message = "note kept; it is saved with your decision on this work"
    elif act.startswith("exclude:"):
        n = int(act.split(":")[1])
        if n > len(session.criteria):
            view.message = f"no exclusion criterion {n}: the protocol has {len(session.criteria)}"
        else:
            session.decide("exclude", (session.criteria[n - 1],))
    elif act == "not-retrieved" and session.stage != STAGES[1]:
        view.message = "'not retrieved' is for the full-text stage"
    else:
        session.decide(act)
    return True


# ---------------------------------------------------------------- plain line prompts


def run_plain(
    session: Session,
    keymap: Keymap,
    hl: Highlighter,
    read_line: Callable[[], str] | None = None,
    width: int = 80,
) -> None:
    """Line-based screening for pipes and scripts: one line per key (`n TEXT` adds a note)."""
    read = read_line or sys.stdin.readline
    view = View()
    pending: list[str] = []

    def ask(prompt: str) -> str | None:
        if pending:
            return pending.pop()
        click.echo(prompt, nl=False)
        return read().strip() or None

    if session.done:
        click.echo(f"resuming: {session.done} of {session.total} already decided")
    shown: tuple[str | None, int | None] | None = None
    while True:
        work = session.current
        state = (work.work_id if work else None, session.index)
        if state != shown:
            click.echo(plain_card(session, keymap, hl, width))
            shown = state
        if view.message:
            click.echo(view.message)
        click.echo(f"[{_pos(session)}] {'/'.join(_short_keys(session, keymap))} > ", nl=False)
        line = read()
        if line and not sys.stdin.isatty():  # a script: echo the key so the transcript reads well
            click.echo(line.rstrip("\n"))
        if not line:
            click.echo("\nend of input: every decision so far is saved; run again to resume")
            return
        line = line.strip()
        if not line:
            continue
        key, _, rest = line.partition(" ")
        if rest.strip():
            pending[:] = [rest.strip()]
        if len(key) != 1:
            view.message = f"type one key per line (got {key!r}); ? for help"
            continue
        if not handle(session, keymap, key, view, ask):
            click.echo("quit: every decision so far is saved; run again to resume")
            return
        pending.clear()
        if view.help:
            view.help = False
            for row in _help_rows(session, keymap, width, 1000)[:-1]:  # no "press any key"
                click.echo("".join(text for text, _ in row))


def _pos(session: Session) -> str:
    return f"{'-' if session.index is None else session.index + 1}/{session.total}"


def _short_keys(session: Session, keymap: Keymap) -> list[str]:
    keys = []
    for act in ACTIONS:
        if act == "not-retrieved" and session.stage != STAGES[1]:
            continue
        key = keymap.key_for(act)
        if act == "maybe":
            n = len(session.criteria)
            ex = [keymap.key_for(f"exclude:{i}") for i in range(1, min(n, 9) + 1)]
            keys.append(",".join(k for k in ex if k))
        if key:
            keys.append(key)
    return keys


def plain_card(session: Session, keymap: Keymap, hl: Highlighter, width: int = 80) -> str:
    """The work on screen as plain text (styles become bold/underline on a terminal)."""
    out = ["", "=" * width, header(session)]
    work = session.current
    if work is None:
        out.append(f"Every work at {session.stage} has a decision; b back, u undo, q quit.")
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


# ---------------------------------------------------------------- full screen (curses)


def run_curses(session: Session, keymap: Keymap, hl: Highlighter) -> None:
    """The full-screen view; redraws on resize, works from 80x24 up."""
    import curses
    import locale

    locale.setlocale(locale.LC_ALL, "")
    os.environ.setdefault("ESCDELAY", "25")  # Esc cancels a note without a one-second wait
    curses.wrapper(_curses_loop, session, keymap, hl)


def _curses_loop(stdscr: Any, session: Session, keymap: Keymap, hl: Highlighter) -> None:
    import curses

    with _suppress_curses():
        curses.curs_set(0)
    styles = _curses_styles(curses)
    stdscr.keypad(True)
    view = View()
    scroll_keys = {
        curses.KEY_UP: -1,
        curses.KEY_DOWN: 1,
        curses.KEY_PPAGE: -10,
        curses.KEY_NPAGE: 10,
    }

    def ask(prompt: str) -> str | None:
        return _read_line(stdscr, prompt, styles)

    painted: tuple[str | None, int, int] | None = None
    while True:
        height, width = stdscr.getmaxyx()
        work = session.current
        if painted != (work.work_id if work else None, width, height):
            stdscr.clear()  # a new work or size: repaint everything, no stale fragments
            painted = (work.work_id if work else None, width, height)
        _paint(stdscr, render(session, keymap, hl, view, width, height), styles, width, height)
        key = stdscr.get_wch()
        if key == curses.KEY_RESIZE:
            curses.update_lines_cols()
            continue
        if view.help:
            view.help = False
            continue
        if isinstance(key, int):
            if key in scroll_keys:
                view.scroll += scroll_keys[key] * (1 if abs(scroll_keys[key]) == 1 else height // 3)
            continue
        if key == " ":
            view.scroll += max(height // 3, 1)
            continue
        if not handle(session, keymap, key, view, ask):
            return


class _suppress_curses:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        import curses

        return kind is not None and issubclass(kind, curses.error)


def _curses_styles(curses: Any) -> dict[str, int]:
    hl = curses.A_BOLD | curses.A_UNDERLINE
    mark = curses.A_BOLD
    if curses.has_colors():
        with _suppress_curses():
            curses.start_color()
            curses.use_default_colors()
            curses.init_pair(1, curses.COLOR_YELLOW, -1)
            curses.init_pair(2, curses.COLOR_CYAN, -1)
            hl = curses.color_pair(1) | curses.A_BOLD
            mark = curses.color_pair(2) | curses.A_BOLD
    return {
        "plain": curses.A_NORMAL,
        "bold": curses.A_BOLD,
        "title": curses.A_BOLD,
        "hl": hl,
        "dim": curses.A_DIM,
        "header": curses.A_REVERSE,
        "mark": mark,
    }


def _paint(stdscr: Any, rows: list[Row], styles: dict[str, int], width: int, height: int) -> None:
    import curses

    stdscr.erase()
    for y, row in enumerate(rows[:height]):
        x = 0
        for text, style in row:
            if x >= width:
                break
            try:  # the bottom-right cell cannot be written without an error; clip and go on
                stdscr.addnstr(y, x, text, width - x, styles.get(style, 0))
            except curses.error:
                pass
            x += len(text)
    stdscr.refresh()


def _read_line(stdscr: Any, prompt: str, styles: dict[str, int]) -> str | None:
    """A one-line editor on the bottom row: Enter keeps, Esc cancels, Backspace deletes."""
    import curses

    height, width = stdscr.getmaxyx()
    text = ""
    with _suppress_curses():
        curses.curs_set(1)
    try:
        while True:
            stdscr.move(height - 1, 0)
            stdscr.clrtoeol()
            shown = (prompt + text)[-(width - 1) :]
            with _suppress_curses():
                stdscr.addnstr(height - 1, 0, shown, width - 1, styles["mark"])
            stdscr.refresh()
            key = stdscr.get_wch()
            if key in ("\n", "\r", curses.KEY_ENTER):
                return text.strip() or None
            if key == "\x1b":
                return None
            if key in ("\b", "\x7f", curses.KEY_BACKSPACE):
                text = text[:-1]
            elif key == curses.KEY_RESIZE:
                curses.update_lines_cols()
                height, width = stdscr.getmaxyx()
            elif isinstance(key, str) and key.isprintable():
                text += key
    finally:
        with _suppress_curses():
            curses.curs_set(0)


def screen(session: Session, keymap: Keymap, plain: bool = False) -> None:
    """Full screen on a terminal, plain prompts otherwise (or when asked)."""
    hl = Highlighter(session.review.protocol)
    if plain or not (sys.stdin.isatty() and sys.stdout.isatty()):
        run_plain(session, keymap, hl)
    else:
        run_curses(session, keymap, hl)
