"""The dedupe pair review (`slr dedupe --review`): grey-zone pairs and proposed study links
side by side, one key per answer (y, s, n, u, q) on a terminal, one line each otherwise.

The questions, the answers log and the loop's rules live in slr.dedupe.grey; this module is
the terminal side: how a key is read and where the pairs are shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from slr.dedupe.grey import Question, review_loop
from slr.tui.term import Terminal


def ask(prompt: str, term: Terminal | None = None) -> str:
    """One key on a terminal, one line otherwise; `q` at end of input."""
    term = term or Terminal()
    click.echo(prompt, nl=False)
    if term.interactive(stdout=False):
        key = term.read_key()
        key = "q" if key is None else key
        click.echo(key)
        return key
    line = term.raw_line()
    return line if line else "q"


def review_pairs(
    questions: Sequence[Question], path: Path, previous: Sequence[Question] = ()
) -> dict[str, int]:
    """Ask each pair in turn, answers appended to `path` at once; counts of y, s, n, undo."""
    return review_loop(questions, path, ask, click.echo, previous)
