"""How library functions report progress: a callback, never drawing.

A long function (import, search, enrichment, auto-screening, snowballing) takes
`progress: Progress | None = None` and calls `progress(task, done, total)` as it goes:
`task` names the work in words, `done` counts what is finished and `total` is how many
there will be (None: not known, and then `task` is a whole line of news to show as is).
The library never writes to the terminal; the CLI passes a callback that draws
(slr/cli/progress.py), `--quiet` passes none, and a notebook may pass its own or none.
Non-fatal conditions are typed warnings (`warnings.warn`), which the caller shows or not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")


class Progress(Protocol):
    """progress(task, done, total): `done` of `total` items of `task` are finished."""

    def __call__(self, task: str, done: int, total: int | None, /) -> None: ...


def counted(items: Sequence[T], task: str, progress: Progress | None) -> Iterator[T]:
    """Yield the items, reporting 0 before the first and each count after it is handled."""
    if progress is None:
        yield from items
        return
    total = len(items)
    progress(task, 0, total)
    for done, item in enumerate(items, start=1):
        yield item
        progress(task, done, total)
