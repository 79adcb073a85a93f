"""`slr fulltext`: the full texts of the works that reach full-text screening.

`fulltext` is the command group; other modules add subcommands to `fulltext_group`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from slr.cli.fulltext_files import attach_cmd, extract_cmd, import_cmd
from slr.cli.options import load, protocol_option, quiet_option
from slr.fulltext.locate import DEFAULT_ORDER


@click.group("fulltext")
def fulltext_group() -> None:
    """Full texts: fetch open-access PDFs, attach your own, extract their text.

    PDFs are git-ignored (copyright); fulltext.jsonl, the log of every retrieval, is
    committed.

    \b
    Example:
      slr fulltext fetch --dry-run
      slr fulltext fetch
      slr fulltext import ~/Zotero/storage
    """


def _bar(quiet: bool) -> Callable[[int, int], None] | None:
    """A progress callback drawing `works done/total` on stderr (none when quiet or no TTY)."""
    if quiet or not sys.stderr.isatty():
        return None

    def draw(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        click.echo(f"\rfull texts: {done}/{total} works", err=True, nl=False)
        if end:
            click.echo("", err=True)

    return draw


@fulltext_group.command("fetch")
@protocol_option
@click.option(
    "--via",
    multiple=True,
    type=click.Choice(DEFAULT_ORDER),
    help="Location source to ask, in the order given (repeatable) "
    f"[default: {', '.join(DEFAULT_ORDER)}].",
)
@click.option("--dry-run", is_flag=True, help="List what would be tried; write nothing.")
@quiet_option
def fetch_cmd(protocol_path: str | None, via: tuple[str, ...], dry_run: bool, quiet: bool) -> None:
    """Fetch the open-access PDFs of the works included or maybe at title/abstract.

    Each PDF goes to fulltext/<work id>.pdf (git-ignored) and one line per attempt to
    fulltext.jsonl. Only a real PDF is accepted; a landing page, a login page, an HTTP
    error or a truncated file is logged as failed and the next location is tried.
    Unpaywall needs SLR_MAILTO. Stopped, it resumes; a second run fetches nothing stored.

    \b
    Example:
      slr fulltext fetch --dry-run
      slr fulltext fetch
      slr fulltext fetch --via arxiv --via unpaywall
    """
    from slr.fulltext import fetch as ft

    review = load(protocol_path)
    report = ft.fetch(review, via, dry_run=dry_run, progress=_bar(quiet))
    for line in ft.summary(report):
        click.echo(line)


for _command in (attach_cmd, import_cmd, extract_cmd):  # PDFs the reviewer has
    fulltext_group.add_command(_command)

COMMANDS = [fulltext_group]
