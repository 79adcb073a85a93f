"""`slr diff`: what a living review gained since a run, an import or a date."""

from __future__ import annotations

import click

from slr.cli.options import load, protocol_option
from slr.diff import diff, format_diff


@click.command("diff")
@protocol_option
@click.option(
    "--since",
    metavar="DATE|RUN",
    help="A date (YYYY-MM-DD) or a run id of the search log (a search run, an import, "
    "a snowball round; SOURCE/RUN when two sources' runs share an id). Default: the "
    "previous run.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "csv", "markdown"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("--quiet", "-q", is_flag=True, help="Only the counts, no lists.")
def diff_cmd(protocol_path: str | None, since: str | None, fmt: str, quiet: bool) -> None:
    """Show what is new since a run or a date: records, works, works that changed.

    New records are those first stored by a later run (a record found again is not new);
    new works are works whose every record is new; changed works are earlier works that
    gained records, with the merged fields (title, year, DOI, abstract) that changed. A
    changed work keeps its screening decisions: only works without one are queued.

    \b
    Example:
      slr diff                         # since the previous run
      slr diff --since 2024-05-01
      slr diff --since import-becbfc19b40d --format csv > new.csv
      slr diff --quiet
    """
    click.echo(format_diff(diff(load(protocol_path), since), fmt, quiet))


COMMANDS = [diff_cmd]
