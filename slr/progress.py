"""Progress bars on standard error for long work; `quiet` silences them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

import click

T = TypeVar("T")


def progress(
    items: Iterable[T], label: str, quiet: bool = False, length: int | None = None
) -> Iterator[T]:
    """Yield items while drawing a progress bar on stderr (nothing when quiet or not a TTY)."""
    if quiet:
        yield from items
        return
    stderr = click.get_text_stream("stderr")
    with click.progressbar(items, label=label, length=length, file=stderr) as bar:  # type: ignore[call-overload]
        yield from bar
