"""What every interactive loop reads from the terminal: one key, or one line without a TTY.

Shared by the screening view, the coding view and the dedupe pair review, so a keypress
means the same thing in each: Ctrl-D / end of input is None (the loop treats it as quit).
"""

from __future__ import annotations

import sys
from typing import TextIO

import click


def interactive() -> bool:
    """True on a terminal (single keys, redrawn screens); False for scripts and pipes."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def read_key() -> str | None:
    """One keypress on a terminal; None at end of input (Ctrl-D)."""
    try:
        ch = click.getchar()
    except EOFError:
        return None
    return None if ch == "\x04" else ch


def read_line(prompt: str, stream: TextIO | None = None) -> str | None:
    """One line (without its newline) after `prompt`; None at end of input."""
    click.echo(prompt, nl=False)
    line = (stream or sys.stdin).readline()
    if not line:
        return None
    return line.rstrip("\r\n")
