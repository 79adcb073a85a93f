"""The dedupe pair review (`slr dedupe --review`): grey-zone pairs and proposed study links
side by side, one key per answer (y, s, n, u, q) on a terminal, one line each otherwise.

The questions, the answers log and the loop's rules live in slr.dedupe.grey; this module is
the terminal side: how a key is read, which key means which answer (the keys file's [pairs]
table, slr.tui.keys) and where the pairs are shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from slr.dedupe.grey import Question, review_loop
from slr.tui.keys import Keymap, default_section, load_section
from slr.tui.term import Terminal

DEFAULT_KEYS = default_section("pairs")
# the answer letters slr.dedupe.grey knows, by action
LETTERS = {k: a for a, k in DEFAULT_KEYS.keys.items()}
GREY_HINT = "press y, s, n, u or q"


def read_answer(prompt: str, term: Terminal | None = None) -> str | None:
    """One key on a terminal, one line otherwise; None at end of input (Ctrl-D)."""
    term = term or Terminal()
    click.echo(prompt, nl=False)
    if term.interactive(stdout=False):
        key = term.read_key()
        click.echo("q" if key is None else key)
        return key
    return term.raw_line() or None


def ask(prompt: str, term: Terminal | None = None) -> str:
    """One key on a terminal, one line otherwise; `q` at end of input."""
    answer = read_answer(prompt, term)
    return "q" if answer is None else answer


def keyed(
    keymap: Keymap, read: Callable[[str], str | None], show: Callable[[str], None]
) -> tuple[Callable[[str], str], Callable[[str], None]]:
    """`ask` and `show` speaking the configured keys to the user and the default letters to
    slr.dedupe.grey; with the default keys both are returned as they are."""
    if keymap == DEFAULT_KEYS:
        return lambda prompt: read(prompt) or "q", show
    letter = {k: LETTERS[a] for k, a in keymap.keys.items()}  # configured key -> grey's letter
    key_of = {LETTERS[a]: k for k, a in keymap.keys.items()}  # grey's letter -> configured key

    def relabel(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            d, rest = m.group(1), m.group(2)
            if key_of[d] == d:
                return m.group(0)
            return f"[{key_of[d]}] {d}{rest}" if rest else f"[{key_of[d]}]"

        return re.sub(r"\[([ysnuq])\](\w*)", one, text)

    def keyed_ask(prompt: str) -> str:
        answer = read(relabel(prompt))
        if answer is None:  # end of input quits, whatever key quit has
            return "q"
        first = answer.strip()[:1]
        if not first:
            return answer
        return letter.get(first, "?")  # a key no answer has: grey asks again

    def keyed_show(text: str) -> None:
        if text == GREY_HINT:
            text = "press " + ", ".join(key_of[d] for d in "ysnu") + " or " + key_of["q"]
        show(text)

    return keyed_ask, keyed_show


def review_pairs(
    questions: Sequence[Question],
    path: Path,
    previous: Sequence[Question] = (),
    keymap: Keymap | None = None,
) -> dict[str, int]:
    """Ask each pair in turn, answers appended to `path` at once; counts of y, s, n, undo.

    `keymap`: the answer keys (default: the keys file's [pairs] table, else y s n u q).
    """
    read, show = keyed(keymap or load_section("pairs"), read_answer, click.echo)
    return review_loop(questions, path, read, show, previous)
