"""`slr plot`: the review's figures (Sankey diagram, descriptive plots) as SVG or PNG."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from slr.cli.options import load, protocol_option
from slr.errors import ExportError, SlrError
from slr.plot import FORMATS, PLOTS
from slr.store import write_atomic


def _format(fmt: str | None, output: str | None) -> str:
    """The format given, else the -o extension's, else SVG; PNG needs a file."""
    if fmt is None and output:
        fmt = Path(output).suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ExportError(f"{output}: unknown extension; pass --format svg or png")
    fmt = fmt or "svg"
    if fmt == "png" and not output:
        raise ExportError("--format png is binary: give a file with -o FILE.png")
    return fmt


def _emit(data: bytes, output: str | None) -> None:
    if output:
        if not Path(output).parent.is_dir():  # a typo in -o never makes a folder tree
            raise SlrError(f"{output}: its folder does not exist; create it or fix the path")
        write_atomic(Path(output), data)
        click.echo(f"wrote {output}", err=True)
    else:
        sys.stdout.write(data.decode("utf-8"))


def _plot_command(name: str, doc: str, coded: bool) -> click.Command:
    """One `slr plot NAME` subcommand with the options every plot shares."""

    def run(protocol_path: str | None, fmt: str | None, output: str | None, **kw: Any) -> None:
        from slr.plot import draw

        fmt = _format(fmt, output)
        review = load(protocol_path)
        _emit(draw(review, name, fmt, kw.get("coder"), bool(kw.get("documents"))), output)

    func: Callable[..., None] = run
    if coded:
        func = click.option("--coder", help="Whose coding (default: the only coder).")(func)
    if name == "sankey":
        func = click.option(
            "--documents",
            is_flag=True,
            help="Add the documents (slr documents add: interviews, reports) after the studies.",
        )(func)
    func = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False),
        help="Write to FILE (SVG prints to standard output without it).",
    )(func)
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        help="svg or png (default: from the -o extension, else svg).",
    )(func)
    func = protocol_option(func)
    return click.command(name, help=doc)(func)


@click.group("plot")
def plot() -> None:
    """Draw the review's figures: Sankey diagram, studies per year, venues, sources, concepts.

    Each figure takes --format svg|png and -o FILE, and gives the same bytes on every run.

    \b
    Example:
      slr plot sankey -o out/sankey.svg
      slr plot years --format png -o out/years.png
      slr plot venues -o out/venues.svg
    """


DOCS = {
    "sankey": (
        "The paper's Fig. 4: included studies -> themes -> dimensions (concept groups).\n\n"
        "A band's width is the number of concepts coded present: a study gives a theme one "
        "unit per concept of that theme. A concept's theme is its `theme` in the protocol, "
        "else the concept itself; its dimension is its `group`.",
        True,
    ),
    "years": (
        "Included studies per year, stacked by the sources that found them (each study once).",
        False,
    ),
    "venues": ("The 15 venues with the most included studies, as horizontal bars.", False),
    "sources": (
        "Records identified per database and other method (the PRISMA identification box).",
        False,
    ),
    "concepts-by-year": (
        "A heat map of the included studies coded with each concept, per publication year.",
        True,
    ),
}
assert set(DOCS) == set(PLOTS)
for _name, (_doc, _coded) in DOCS.items():
    plot.add_command(_plot_command(_name, _doc, _coded))

COMMANDS = [plot]
