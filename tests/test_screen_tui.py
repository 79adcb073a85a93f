"""The screening view: layout at 80x24 and other sizes, highlighting, keys, and the real terminal."""

import json
import os
import re
import shutil
from pathlib import Path

import pexpect
import pytest

from slr.decisions import read_log
from slr.records import Record
from slr.review import open_review
from slr.screen.session import open_session
from slr.tui.keys import KeysError, load_keymap
from slr.tui.view import Highlighter, View, render, wrap
from slr.works import Work, save_works

CRITERIA = "\n".join(
    f'[[criteria.exclusion]]\nid = "EC{n}"\ntext = "Exclusion criterion number {n} with a long '
    f'explanation that will not fit one line of an eighty column terminal"\n'
    for n in range(1, 10)
)
PROTOCOL = f"""
[review]
id = "tui"
title = "TUI review"
reviewers = ["alice"]

[search]
query = 'MLOps OR "machine learning operations" OR challeng*'
sources = ["openalex"]

[[criteria.inclusion]]
id = "IC1"
text = "Studies about MLOps"

{CRITERIA}

[[concepts]]
id = "C1"
label = "Data"
keywords = ["data quality", "privacy"]
"""

ABSTRACT = (
    "Machine-learning operations (MLOps) face many challenges: data quality, privacy and "
    "the monitoring of models in production. " * 12
)


def records():
    return [
        Record(
            "openalex",
            f"W{n}",
            title=f"Paper{n} about MLOps challenges in the wild",
            abstract=ABSTRACT,
            authors=("Ada Lovelace", "Alan Turing"),
            year=2021,
            venue="Journal of Systems",
            type="article",
            language="en",
            doi=f"10.5555/{n}",
            oa_url=f"https://oa.example/{n}.pdf",
        )
        for n in range(1, 4)
    ]


@pytest.fixture
def review(tmp_path):
    path = tmp_path / "protocols" / "tui.toml"
    path.parent.mkdir()
    path.write_text(PROTOCOL, encoding="utf-8")
    rev = open_review(path)
    save_works(rev, [Work(r.id, (r.id,), ("openalex", "scopus"), r) for r in records()])
    return rev


def text_of(rows):
    return ["".join(t for t, _ in row) for row in rows]


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (100, 30)])
def test_render_fits_the_terminal_and_shows_everything_needed(review, tmp_path, size):
    width, height = size
    session = open_session(review, "alice", "title-abstract")
    rows = render(
        session, load_keymap(tmp_path / "none"), Highlighter(review.protocol), View(), *size
    )
    lines = text_of(rows)
    assert len(lines) == height and all(len(line) <= width for line in lines)
    screen = "\n".join(lines)
    assert "1/3" in lines[0] and "alice" in lines[0] and "included 0" in lines[0]
    assert "Paper1 about MLOps challenges" in screen
    assert "Ada Lovelace; Alan Turing" in screen
    assert "2021  ·  Journal of Systems  ·  article  ·  en" in screen
    assert "found by openalex, scopus" in screen and "DOI https://doi.org/10.5555/1" in screen
    for n in range(1, 10):  # every criterion with its key, always visible
        assert f"{n} EC{n} Exclusion criterion" in screen
    assert "i include" in screen and "q quit" in screen
    assert "Machine-learning operations" in screen
    if height == 24:  # the long abstract does not fit: the separator says where we are
        assert re.search(r"-- abstract 1-\d+ of \d+ lines \(up/down, PgUp/PgDn\)", screen)


def test_render_scrolls_the_abstract_and_clamps(review, tmp_path):
    session = open_session(review, "alice", "title-abstract")
    hl, keys = Highlighter(review.protocol), load_keymap(tmp_path / "none")
    view = View()
    first = text_of(render(session, keys, hl, view, 80, 24))
    view.scroll = 3
    moved = text_of(render(session, keys, hl, view, 80, 24))
    assert first != moved and "abstract 4-" in "\n".join(moved)
    view.scroll = 10_000
    text_of(render(session, keys, hl, view, 80, 24))
    assert 0 < view.scroll < 30  # clamped to the last page


def test_small_and_tiny_terminals_do_not_break(review, tmp_path):
    session = open_session(review, "alice", "title-abstract")
    hl, keys = Highlighter(review.protocol), load_keymap(tmp_path / "none")
    for width, height in [(40, 12), (20, 5), (1, 1)]:
        lines = text_of(render(session, keys, hl, View(), width, height))
        assert len(lines) == max(height, 5)
        assert all(len(line) <= max(width, 20) for line in lines)


def test_full_text_view_shows_the_open_access_and_doi_links(review, tmp_path):
    ta = open_session(review, "alice", "title-abstract")
    ta.decide("include")
    ft = open_session(review, "alice", "full-text")
    screen = "\n".join(
        text_of(
            render(ft, load_keymap(tmp_path / "none"), Highlighter(review.protocol), View(), 80, 24)
        )
    )
    assert "full text (open access): https://oa.example/1.pdf" in screen
    assert "r not retrieved" in screen and "1/1" in screen


def test_highlighter_marks_query_terms_phrases_wildcards_and_concept_keywords(review):
    hl = Highlighter(review.protocol)
    text = "Machine-learning operations and MLOps: challenges of data quality, not data or quality."
    found = [text[a:b] for a, b in hl.spans(text)]
    assert found == ["Machine-learning operations", "MLOps", "challenges", "data quality"]
    assert hl.spans("nothing here") == []


def test_wrap_keeps_words_whole_and_cuts_only_overlong_ones():
    text = "alpha beta gamma " + "x" * 25 + " delta"
    lines = [text[a:b] for a, b in wrap(text, 10)]
    assert lines == ["alpha beta", "gamma", "x" * 10, "x" * 10, "xxxxx", "delta"]
    assert all(len(line) <= 10 for line in lines)


def test_keys_file_errors_name_the_file_and_the_fix(tmp_path):
    path = tmp_path / "keys.toml"
    path.write_text('inclde = "y"\n', encoding="utf-8")
    with pytest.raises(KeysError, match=r"keys.toml: inclde: unknown action"):
        load_keymap(path)
    path.write_text('include = "yes"\n', encoding="utf-8")
    with pytest.raises(KeysError, match="not one printable character"):
        load_keymap(path)
    path.write_text('exclude = ["i"]\n', encoding="utf-8")
    with pytest.raises(KeysError, match="given to both include and exclude:1"):
        load_keymap(path)
    path.write_text('quit = "x"\nexclude = ["a", "c"]\n', encoding="utf-8")
    keys = load_keymap(path)
    assert keys.action("x") == "quit" and keys.action("c") == "exclude:2"
    assert keys.action("q") is None and keys.action("3") is None


# ---------------------------------------------------------------- the real terminal


def spawn(review, *args, size=(24, 80)):
    slr = shutil.which("slr", path=str(Path(os.sys.executable).parent)) or "slr"
    env = dict(os.environ, TERM="xterm-256color", SLR_KEYS="/nonexistent/keys.toml")
    env.pop("SLR_REVIEWER", None)
    return pexpect.spawn(
        slr,
        ["screen", "-p", str(review.protocol.path), *args],
        env=env,
        dimensions=size,
        encoding="utf-8",
        timeout=15,
    )


def test_full_screen_mode_in_a_pseudo_terminal(review):
    child = spawn(review, "--reviewer", "alice")
    try:
        child.expect("1/3")
        child.expect("9 EC9")  # the criteria are drawn
        child.send("i")
        child.expect("2/3")
        child.send("n")
        child.expect("note: ")
        child.send("needs the full text\r")
        child.expect("saved")  # the message and the card both say so
        child.send("3")
        child.expect("3/3")
        child.setwinsize(30, 100)  # SIGWINCH: the view is redrawn at the new size
        child.expect("Paper3")
        child.send("?")
        child.expect("Inclusion criteria")
        child.send(" ")
        child.expect("Paper3")
        child.send("u")  # undo the exclusion of Paper2
        child.expect("undone: exclude")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    log = [
        json.loads(line) for line in review.store.decisions_file("alice").read_text().splitlines()
    ]
    assert [(d["work_id"], d.get("decision", d.get("kind")), d["note"]) for d in log] == [
        ("openalex:W1", "include", ""),
        ("openalex:W2", "note", "needs the full text"),  # on disk before the decision
        ("openalex:W2", "exclude", ""),
        ("openalex:W2", "undo", ""),
    ]
    session = open_session(review, "alice", "title-abstract")
    assert session.current.work_id == "openalex:W2"
    assert session.notes == {"openalex:W2": ["needs the full text"]}  # the undo kept it
    assert len(read_log(review, "alice")) == 3  # the note is not a decision


class ScriptedScreen:
    """A stand-in for curses' window: keys (or timeouts, as curses.error) from a script,
    and the header line of every paint kept."""

    def __init__(self, script, on_key=lambda: None):
        self.script, self.timeouts, self.headers, self.row0 = list(script), [], [], ""
        self.on_key = on_key  # called at every read: the world moves on between paints

    def getmaxyx(self):
        return (24, 200)

    def keypad(self, flag):
        pass

    def clear(self):
        pass

    def erase(self):
        self.row0 = ""

    def addnstr(self, y, x, text, n, attr=0):
        if y == 0:
            self.row0 += text[:n]

    def move(self, y, x):
        pass

    def clrtoeol(self):
        pass

    def refresh(self):
        self.headers.append(self.row0.strip())

    def timeout(self, ms):
        self.timeouts.append(ms)

    def get_wch(self):
        import curses

        self.on_key()
        step = self.script.pop(0)
        if step is None:
            raise curses.error("no input")
        return step


def test_the_header_shows_the_rankings_progress_without_a_key(review, tmp_path, monkeypatch):
    """While the ordering reports progress the screen repaints on a timeout, then waits."""
    import curses

    from slr.screen.session import protocol_order
    from slr.tui.screen import REPAINT_MS, _curses_loop

    monkeypatch.setattr(curses, "has_colors", lambda: False)
    monkeypatch.setattr(curses, "curs_set", lambda n: None)
    news = ["ranking: building features (1/3)", "ranking: first model", ""]
    at = [0]

    class Reporting:
        def __call__(self, works, decided):
            return protocol_order(works, decided)

        def state(self, counts=None):
            return news[min(at[0], len(news) - 1)]

    def later():
        at[0] += 1

    session = open_session(review, "alice", "title-abstract", Reporting())
    screen = ScriptedScreen([None, None, "q"], later)  # two timeouts, then q
    _curses_loop(screen, session, load_keymap(tmp_path / "none"), Highlighter(review.protocol))
    assert "building features (1/3)" in screen.headers[0]
    assert "first model" in screen.headers[1] and "ranking" not in screen.headers[2]
    assert screen.timeouts[:3] == [REPAINT_MS, REPAINT_MS, -1]  # nothing left to say: wait
