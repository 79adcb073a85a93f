"""`slr prisma` and `slr report`: the PRISMA 2020 flow diagram and the review report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from slr.cli.options import load, protocol_option
from slr.errors import ExportError
from slr.prisma.counts import compute, summary
from slr.protocol import review_root
from slr.store import write_atomic

FORMATS = ("svg", "png", "pdf", "tikz", "csv", "json", "text")
EXTENSIONS = {
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
    ".tex": "tikz",
    ".csv": "csv",
    ".json": "json",
    ".txt": "text",
}


def render(counts, fmt: str) -> str | bytes:  # type: ignore[no-untyped-def]
    """The diagram (or its counts) in one format."""
    from slr.prisma import render as prisma_render

    if fmt == "svg":
        return prisma_render.to_svg(counts)
    if fmt == "tikz":
        return prisma_render.to_tikz(counts)
    if fmt == "csv":
        return prisma_render.to_csv(counts)
    if fmt in ("png", "pdf"):
        return prisma_render.to_image(counts, fmt)
    if fmt == "json":
        return json.dumps(counts.to_dict(), indent=2, ensure_ascii=False) + "\n"
    return summary(counts) + "\n"


@click.command()
@protocol_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write to FILE (format from its extension).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format (default: from -o, else text).",
)
@click.option(
    "--interim",
    is_flag=True,
    help="Draw it while screening is unfinished: marked as interim, with the works awaiting "
    "each stage.",
)
@click.option(
    "--previous",
    metavar="REF",
    help="An updated review: carry over the studies and reports included in the version at "
    "REF (a git tag, a commit, or a date YYYY-MM-DD) and count only what is new since.",
)
def prisma(
    protocol_path: str | None,
    output: str | None,
    fmt: str | None,
    interim: bool,
    previous: str | None,
) -> None:
    """Draw the PRISMA 2020 flow diagram from the review's own state.

    Every count is derived from the records, works and decision logs and checked to
    balance; an incomplete or inconsistent state is an error naming the boxes.

    \b
    Example:
      slr prisma                       # the counts as text
      slr prisma -o out/prisma.svg
      slr prisma --format tikz -o out/prisma.tex
      slr prisma --format csv          # PRISMA2020 Shiny-app template
      slr prisma --interim -o out/prisma-interim.svg   # while screening goes on
      slr prisma --previous v1 -o out/prisma.svg       # update of the version tagged v1
    """
    if fmt is None:
        fmt = EXTENSIONS.get(Path(output).suffix.lower(), "") if output else "text"
        if not fmt:
            raise ExportError(f"{output}: unknown extension; pass --format ({', '.join(FORMATS)})")
    if fmt in ("png", "pdf") and output is None:
        raise ExportError(f"--format {fmt} is binary: give a file with -o")
    review = load(protocol_path)
    before = None
    if previous is not None:
        from slr.prisma.previous import read_previous

        before = read_previous(review, previous)
    counts = compute(review, interim=interim, previous=before)
    for warning in counts.warnings:
        click.echo(f"Warning: {warning}", err=True)
    data = render(counts, fmt)
    if output:
        write_atomic(Path(output), data)
        click.echo(f"wrote {output}", err=True)
    else:
        assert isinstance(data, str)
        sys.stdout.write(data)


@click.command()
@protocol_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="report.md or report.html; prisma.svg and included.bib go beside it "
    "(default: out/report.md in the review's folder, from any folder below it).",
)
@click.option("--coder", help="Whose coding the concept matrix shows (default: the only coder).")
def report(protocol_path: str | None, output: str | None, coder: str | None) -> None:
    """Write the review report: methods, search log, PRISMA diagram, matrix, included studies.

    \b
    Example:
      slr report -o out/report.md
      slr report -o out/report.html
    """
    from slr.report import write_report

    review = load(protocol_path)
    if output is None:
        output = str(review_root(review.protocol) / "out" / "report.md")
    for path in write_report(review, output, coder):
        click.echo(f"wrote {path}")


COMMANDS = [prisma, report]
