"""What every interactive loop reads from the terminal: one key, or one line without a TTY.

Shared by the screening view, the coding view and the dedupe pair review, so a keypress
means the same thing in each: Ctrl-D / end of input is None (each loop decides what None
means: the coding view and the pair review quit, the plain screening view stops). No other
module of slr.tui reads standard input, puts the terminal in raw mode or calls input()
(tests/test_tui_term.py checks it); the curses screening view reads keys through curses.
"""

from __future__ import annotations

import sys
from typing import TextIO

import click


def interactive(stdout: bool = True) -> bool:
    """True on a terminal (single keys, redrawn screens); False for scripts and pipes.

    `stdout=False` asks about standard input only (the pair review answers keys on a
    terminal even when its output goes to a file).
    """
    return sys.stdin.isatty() and (not stdout or sys.stdout.isatty())


def read_key() -> str | None:
    """One keypress on a terminal (raw mode while it is read); None at end of input (Ctrl-D).

    Ctrl-C raises KeyboardInterrupt, as everywhere else.
    """
    try:
        ch = click.getchar()
    except EOFError:
        return None
    return None if ch == "\x04" else ch


def raw_line(stream: TextIO | None = None) -> str:
    """The next line as read, newline included; "" at end of input."""
    return (stream or sys.stdin).readline()


def read_line(prompt: str, stream: TextIO | None = None, eof_newline: bool = False) -> str | None:
    """One line (without its newline) after `prompt`; None at end of input.

    `eof_newline` ends the prompt's line at end of input, so what follows starts on its own.
    """
    click.echo(prompt, nl=False)
    line = raw_line(stream)
    if not line:
        if eof_newline:
            click.echo()
        return None
    return line.rstrip("\r\n")


def edit_line(prompt: str) -> str | None:
    """One line typed on a terminal with the terminal's line editing; None on Ctrl-D or Ctrl-C."""
    try:
        return str(click.prompt(prompt, default="", show_default=False))
    except click.Abort:
        return None


class Terminal:
    """The loops' input in one value: a stream of lines (None: standard input) and its keys."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def interactive(self, stdout: bool = True) -> bool:
        """A terminal, and no stream given in its place."""
        return self.stream is None and interactive(stdout)

    def read_key(self) -> str | None:
        """One keypress; None at end of input."""
        return read_key()

    def read_line(self, prompt: str, eof_newline: bool = False) -> str | None:
        """One line after `prompt` from the stream; None at end of input."""
        return read_line(prompt, self.stream, eof_newline)

    def raw_line(self) -> str:
        """The next line as read; "" at end of input."""
        return raw_line(self.stream)

    def edit_line(self, prompt: str) -> str | None:
        """One line with line editing on a terminal; None on Ctrl-D or Ctrl-C."""
        return edit_line(prompt)
