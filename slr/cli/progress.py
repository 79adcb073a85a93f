"""Progress drawn on standard error: the CLI's side of slr.progress.

Library functions only report `progress(task, done, total)`; a command passes one of these
drawers (`--quiet` passes None). A task with a known total is a progress bar, drawn only on a
terminal; a task with no total is a line of news (a snowballing page): rewritten in place on
a terminal, one line each otherwise, so a long fetch never looks like a hang. `slr search`
draws its sources, which run at once, together on one status line.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

import click

from slr.progress import Progress


class Drawer:
    """Bars for counted tasks, one after another; lines of news for tasks with no total."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.bar: Any = None  # click's ProgressBar (a private class)
        self.task = ""
        self.width = 0  # of the line of news on screen, 0 when none

    def __call__(self, task: str, done: int, total: int | None) -> None:
        if total is None:
            self._news(task)
            return
        if not self.tty:
            return
        self._end_news()
        if self.bar is None or task != self.task or done < self.bar.pos:
            self._end_bar()
            self.bar = click.progressbar(length=total, label=task, file=sys.stderr)
            self.bar.__enter__()
            self.task = task
        if done > self.bar.pos:
            self.bar.update(done - self.bar.pos)
        if done >= total:
            self._end_bar()

    def close(self) -> None:
        self._end_bar()
        self._end_news()

    def _news(self, text: str) -> None:
        self._end_bar()
        if self.tty:
            click.echo("\r" + text.ljust(self.width), nl=False, err=True)
            self.width = len(text)
        else:
            click.echo(text, err=True)

    def _end_news(self) -> None:
        if self.width:
            click.echo(err=True)
            self.width = 0

    def _end_bar(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


class StatusLine:
    """The tasks named in `together` (sources fetched at once, from several threads) on one
    line, `name [###.......] 40/100`, rewritten in place on a terminal; other tasks go to
    `rest`."""

    def __init__(self, together: Collection[str], rest: Drawer) -> None:
        self.together = set(together)
        self.rest = rest
        self.enabled = sys.stderr.isatty()
        self.state: dict[str, str] = {}
        self.lock = threading.Lock()

    def __call__(self, task: str, done: int, total: int | None) -> None:
        if task not in self.together:
            self._end()
            self.rest(task, done, total)
            return
        if not self.enabled:
            return
        with self.lock:
            if total:
                filled = min(10, int(10 * done / total))
                self.state[task] = f"{task} [{'#' * filled}{'.' * (10 - filled)}] {done}/{total}"
            else:
                self.state[task] = f"{task} {done}"
            sys.stderr.write("\r" + "  ".join(self.state.values())[:200] + "\x1b[K")
            sys.stderr.flush()

    def close(self) -> None:
        self._end()
        self.rest.close()

    def _end(self) -> None:
        with self.lock:
            if self.state:
                sys.stderr.write("\n")
                self.state = {}


@contextmanager
def drawing(quiet: bool, together: Collection[str] = ()) -> Iterator[Progress | None]:
    """The callback a command passes to the library (None when quiet); the last bar or line
    is finished on the way out, also when the command fails."""
    if quiet:
        yield None
        return
    drawer: Drawer | StatusLine = StatusLine(together, Drawer()) if together else Drawer()
    try:
        yield drawer
    finally:
        drawer.close()


def ticker(progress: Progress | None, task: str, total: int) -> Callable[[int], None]:
    """A `tick(n)` callback (n more items done) that reports to `progress`."""
    done = 0
    if progress is not None:
        progress(task, 0, total)

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(task, min(done, total), total)

    return tick
