"""Progress bars on standard error for long work; `quiet` silences them."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

import click

T = TypeVar("T")


def progress(
    items: Iterable[T], label: str, quiet: bool = False, length: int | None = None
) -> Iterator[T]:
    """Yield items while drawing a progress bar on stderr (nothing when quiet or not a TTY)."""
    if quiet or not sys.stderr.isatty():
        yield from items
        return
    with click.progressbar(items, label=label, length=length, file=sys.stderr) as bar:
        yield from bar
