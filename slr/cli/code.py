"""`slr code` and `slr matrix`: coding the included studies and the concept matrix."""

from __future__ import annotations

import os
from pathlib import Path

import click

from slr.cli.options import load, protocol_option
from slr.coding import log as coding
from slr.coding import sheet as coding_sheet
from slr.errors import ExportError
from slr.matrix import model as matrix_mod
from slr.protocol import require
from slr.review import Review
from slr.tui import code as code_tui


def pick_coder(review: Review, name: str | None) -> str:
    """--coder, else $SLR_CODER, else the only coder so far or the protocol's first reviewer.

    A name is one of the protocol's reviewers when it lists any (compared case-insensitively).
    """
    name = name or os.environ.get("SLR_CODER")
    if name:
        return coding.resolve_coder(review, name)
    return coding.default_coder(review)


@click.command("code")
@protocol_option
@click.option("--coder", help="Your name; each coder has their own log (default: $SLR_CODER).")
@click.option(
    "--sheet",
    "sheet",
    type=click.Path(dir_okay=False),
    help="Write a coding sheet template (.csv or .xlsx) instead of coding interactively.",
)
@click.option(
    "--import",
    "import_file",
    type=click.Path(dir_okay=False),
    help="Read a filled-in coding sheet (.csv or .xlsx); any error and nothing changes.",
)
@click.option("--plain", is_flag=True, help="Line prompts even in a terminal (for scripts).")
def code_cmd(
    protocol_path: str | None,
    coder: str | None,
    sheet: str | None,
    import_file: str | None,
    plain: bool,
) -> None:
    """Code the included studies: each protocol concept present or absent, with evidence.

    Interactive by default: one study at a time; keys 1-9, 0 (then letters) toggle the
    concepts, `e` records an evidence quote and page, `n` a note, Enter saves and moves on,
    `b` goes back, `q` quits. Concepts whose keywords occur in the study are pre-marked
    as suggestions `(✓)`. Without a terminal (or with --plain) commands are read as lines:
    `1 3 10` toggles concepts 1, 3 and 10; an empty line saves.

    \b
    Example:
      slr code --coder alice
      slr code --sheet coding.xlsx --coder alice
      slr code --import coding.xlsx --coder alice
    """
    if sheet and import_file:
        raise click.UsageError("give either --sheet or --import, not both")
    review = load(protocol_path)
    require(review.protocol, "code")
    name = pick_coder(review, coder)
    if sheet:
        n = coding_sheet.write_sheet(review, Path(sheet), name, coding.included(review))
        click.echo(
            f"wrote {sheet}: {n} studies x {len(review.protocol.concepts)} concepts "
            f"(coder {name}); fill it in, then: slr code --import {sheet} --coder {name}"
        )
        return
    if import_file:
        result = coding_sheet.import_sheet(review, Path(import_file), name)
        click.echo(
            f"imported {import_file}: {result.studies} studies, {result.changed} codings "
            f"changed, {result.labels} labels set (coder {name})"
        )
        return
    io = code_tui.LineIo() if plain else None
    code_tui.run(review, coding.included(review), name, io)


@click.command("matrix")
@protocol_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(matrix_mod.FORMATS),
    help="Output format (default: from the -o extension, else csv).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write to FILE (text formats print to standard output without it).",
)
@click.option(
    "--sort",
    type=click.Choice(matrix_mod.SORTS),
    default="as-included",
    show_default=True,
    help="Row order.",
)
@click.option("--percent", is_flag=True, help="Add a % row (share of studies per concept).")
@click.option("--count", is_flag=True, help="Add a column with each study's concept count.")
@click.option(
    "--marks",
    type=click.Choice(list(matrix_mod.MARK_STYLES)),
    default="check",
    show_default=True,
    help="Cell marks: ✓/✗, Y/N or 1/0.",
)
@click.option("--summary", is_flag=True, help="Counts per group and concept, with group totals.")
@click.option("--coder", help="Whose coding (default: the only coder).")
@click.option(
    "--two-authors",
    type=click.Choice(matrix_mod.CONJUNCTIONS),
    default="&",
    show_default=True,
    help="How two-author labels are joined: 'A & B (2021)' or 'A and B (2021)'.",
)
@click.option("--standalone", is_flag=True, help="LaTeX: a whole compilable document.")
def matrix_cmd(
    protocol_path: str | None,
    fmt: str | None,
    output: str | None,
    sort: str,
    percent: bool,
    count: bool,
    marks: str,
    summary: bool,
    coder: str | None,
    two_authors: str,
    standalone: bool,
) -> None:
    """The concept matrix of the included studies (the review's Table 1), with totals.

    Rows are the included studies labelled "First author et al. (year)", columns the
    protocol's concepts in order; the Total row is counted from the cells. Concepts with
    a group get grouped headers. A label stored by `slr code --import` replaces the
    computed one.

    \b
    Example:
      slr matrix -p protocols/mlops.toml --format csv
      slr matrix --format latex --percent -o table1.tex
      slr matrix -o table1.png
      slr matrix --summary --format markdown
    """
    name = matrix_mod.format_for(fmt, output)
    if name in matrix_mod.BINARY_FORMATS and not output:
        raise ExportError(f"--format {name} writes a binary file; give -o FILE.{name}")
    review = load(protocol_path)
    table = matrix_mod.review_matrix(review, coder, sort, two_authors)
    style = matrix_mod.Style(marks=marks, percent=percent, count=count, standalone=standalone)
    if summary:
        data = matrix_mod.render_summary(matrix_mod.summary(table), name, style)
    else:
        data = matrix_mod.render(table, name, style)
    if table.uncoded:
        click.echo(
            f"Warning: {table.uncoded} cells not coded yet by {table.coder} (shown as ?)",
            err=True,
        )
    if output:
        matrix_mod.write_output(Path(output), data)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(data, nl=False)


COMMANDS = [code_cmd, matrix_cmd]
