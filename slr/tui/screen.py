"""The screening view: a full-screen curses terminal view, and plain line prompts without a TTY.

Both front-ends drive the same `slr.screen.session.Session` through the same key handler, so a
scripted plain session exercises exactly what a reviewer's keystrokes do. The screen is
rendered into rows of (text, style) segments by `render` (slr.tui.view), a pure
function, then painted; that keeps the view testable and lets the latency benchmark time a
full redraw.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from slr.decisions import STAGES
from slr.fulltext import find_sentences, pdf_path, read_text
from slr.screen.session import Session, describe
from slr.tui.keys import ACTIONS, FULL_TEXT_ONLY, Keymap
from slr.tui.term import interactive, raw_line
from slr.tui.view import Highlighter, Row, View, help_rows, hit_line, plain_card, render

# ---------------------------------------------------------------- the PDF viewer


def viewer_command() -> tuple[list[str] | None, str]:
    """The viewer to start (`$SLR_PDF_VIEWER`, else xdg-open or open), or None and why not."""
    given = os.environ.get("SLR_PDF_VIEWER", "").strip()
    if given:
        cmd = shlex.split(given)
        found = shutil.which(cmd[0])
        return ([found, *cmd[1:]], "") if found else (None, f"SLR_PDF_VIEWER {cmd[0]!r} not found")
    name = "open" if sys.platform == "darwin" else "xdg-open"
    found = shutil.which(name)
    return (
        ([found], "") if found else (None, f"no PDF viewer ({name} not found); set SLR_PDF_VIEWER")
    )


def open_pdf(path: Path) -> str:
    """Start the viewer on a PDF, detached (never waited on here); a one-line message."""
    if not path.exists():
        return "no PDF stored for this work; get it with `slr fulltext fetch` or `attach`"
    cmd, why = viewer_command()
    if cmd is None:
        return why
    try:
        proc = subprocess.Popen(
            [*cmd, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own session: a Ctrl-C here never reaches it
        )
    except OSError as exc:
        return f"cannot start the PDF viewer {cmd[0]}: {exc.strerror or exc}"
    threading.Thread(target=proc.wait, daemon=True).start()  # reaped in the background
    return f"opened {path.name} in {Path(cmd[0]).name}"


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
        if text and session.note(text):
            view.message = "note saved"
    elif act.startswith("exclude:"):
        n = int(act.split(":")[1])
        if n > len(session.criteria):
            view.message = f"no exclusion criterion {n}: the protocol has {len(session.criteria)}"
        else:
            session.decide("exclude", (session.criteria[n - 1],))
    elif act in FULL_TEXT_ONLY and session.stage != STAGES[1]:
        view.message = f"{key} is for the full-text stage"
    elif act == "not-retrieved":
        wid = session.current.work_id
        session.mark_not_retrieved()
        view.message = f"{wid}: not retrieved (fulltext.jsonl); attaching its PDF brings it back"
    elif act == "search":
        _search(session, view, ask("search the full text: "))
    elif act == "next-hit":
        if view.hits_for != session.current.work_id or not view.hits:
            view.message = f"no hits to step through; {keymap.key_for('search')} searches the text"
        else:
            view.hit = (view.hit + 1) % len(view.hits)
    elif act == "open":
        view.message = open_pdf(pdf_path(session.review, session.current.work_id))
    else:
        session.decide(act)
    return True


def _search(session: Session, view: View, term: str | None) -> None:
    """Find the sentences holding `term` in the work's extracted text (with their pages)."""
    work = session.current
    if work is None or not term:
        return
    text = read_text(session.review, work.work_id)
    if text is None:
        view.message = "no extracted text for this work; `slr fulltext fetch` or `attach` first"
        return
    view.term, view.hits, view.hit, view.hits_for = (
        term,
        find_sentences(text, term),
        0,
        work.work_id,
    )
    if not view.hits:
        view.message = f"{term!r}: not found in the full text"


# ---------------------------------------------------------------- plain line prompts


def run_plain(
    session: Session,
    keymap: Keymap,
    hl: Highlighter,
    read_line: Callable[[], str] | None = None,
    width: int = 80,
) -> None:
    """Line-based screening for pipes and scripts: one line per key (`n TEXT` adds a note)."""
    read = read_line or raw_line
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
        if line and not interactive(
            stdout=False
        ):  # a script: echo the key so the transcript reads well
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
        if view.hits and view.hits_for == (session.current and session.current.work_id):
            if keymap.action(key) in ("search", "next-hit"):
                click.echo(hit_line(view))
        if view.help:
            view.help = False
            for row in help_rows(session, keymap, width, 1000)[:-1]:  # no "press any key"
                click.echo("".join(text for text, _ in row))


def _pos(session: Session) -> str:
    return f"{'-' if session.index is None else session.index + 1}/{session.total}"


def _short_keys(session: Session, keymap: Keymap) -> list[str]:
    keys = []
    for act in ACTIONS:
        if act in FULL_TEXT_ONLY and session.stage != STAGES[1]:
            continue
        key = keymap.key_for(act)
        if act == "maybe":
            n = len(session.criteria)
            ex = [keymap.key_for(f"exclude:{i}") for i in range(1, min(n, 9) + 1)]
            keys.append(",".join(k for k in ex if k))
        if key:
            keys.append(key)
    return keys


# ---------------------------------------------------------------- full screen (curses)


def run_curses(session: Session, keymap: Keymap, hl: Highlighter) -> None:
    """The full-screen view; redraws on resize, works from 80x24 up."""
    import curses
    import locale

    locale.setlocale(locale.LC_ALL, "")
    os.environ.setdefault("ESCDELAY", "25")  # Esc cancels a note without a one-second wait
    curses.wrapper(_curses_loop, session, keymap, hl)


REPAINT_MS = 400  # how often the header shows how far the ranking got, with no key pressed


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
        # while the ordering has something to say (features being built, a first model), the
        # header is repainted every REPAINT_MS without a key; otherwise wait for one
        stdscr.timeout(REPAINT_MS if session.ordering_state() else -1)
        try:
            key = stdscr.get_wch()
        except curses.error:  # no key within REPAINT_MS: paint the header's news
            continue
        stdscr.timeout(-1)  # a note or a search typed after this key waits for every key
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
    alert = curses.A_REVERSE | curses.A_BOLD  # a retraction: seen even without colours
    if curses.has_colors():
        with _suppress_curses():
            curses.start_color()
            curses.use_default_colors()
            curses.init_pair(1, curses.COLOR_YELLOW, -1)
            curses.init_pair(2, curses.COLOR_CYAN, -1)
            curses.init_pair(3, curses.COLOR_RED, -1)
            hl = curses.color_pair(1) | curses.A_BOLD
            mark = curses.color_pair(2) | curses.A_BOLD
            alert = curses.color_pair(3) | curses.A_REVERSE | curses.A_BOLD
    return {
        "plain": curses.A_NORMAL,
        "bold": curses.A_BOLD,
        "title": curses.A_BOLD,
        "hl": hl,
        "dim": curses.A_DIM,
        "header": curses.A_REVERSE,
        "mark": mark,
        "alert": alert,
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
    if plain or not interactive():
        run_plain(session, keymap, hl)
    else:
        run_curses(session, keymap, hl)
