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
@click.option(
    "--import-segments",
    "segments_file",
    type=click.Path(dir_okay=False),
    help="Read coded segments (.csv or .xlsx: work_id, concept, quote, page, line).",
)
@click.option(
    "--documents",
    is_flag=True,
    help="Code the added documents (slr documents add) instead of the included studies.",
)
@click.option("--plain", is_flag=True, help="Line prompts even in a terminal (for scripts).")
def code_cmd(
    protocol_path: str | None,
    coder: str | None,
    sheet: str | None,
    import_file: str | None,
    segments_file: str | None,
    documents: bool,
    plain: bool,
) -> None:
    """Code the included studies: each protocol concept present or absent, with evidence.

    Interactive by default: one study at a time; keys 1-9, 0 (then letters) toggle the
    concepts, `e` records an evidence quote and page, `n` a note, Enter saves and moves on,
    `b` goes back, `q` quits; `+` adds a coded segment (another quote and page) to a
    concept, so a concept can hold several segments per study (code density). Concepts whose keywords occur in the study are pre-marked
    as suggestions `(✓)`. Without a terminal (or with --plain) commands are read as lines:
    `1 3 10` toggles concepts 1, 3 and 10; an empty line saves.

    \b
    Example:
      slr code --coder alice
      slr code --sheet coding.xlsx --coder alice
      slr code --import coding.xlsx --coder alice
      slr code --import-segments segments.csv --coder alice
      slr code --documents --coder alice
    """
    if sum(1 for x in (sheet, import_file, segments_file) if x) > 1:
        raise click.UsageError(
            "give either --sheet or --import (or --import-segments), one at a time"
        )
    review = load(protocol_path)
    require(review.protocol, "code")
    name = pick_coder(review, coder)
    works = coding.included(review)
    if documents:
        from slr.documents import document_works

        works = document_works(review)
    if segments_file:
        got = coding_sheet.import_segments(review, Path(segments_file), name, works)
        click.echo(
            f"imported {segments_file}: {got.segments} segments added, {got.codings} concepts "
            f"newly marked present (coder {name})"
        )
        return
    if sheet:
        n = coding_sheet.write_sheet(review, Path(sheet), name, works)
        click.echo(
            f"wrote {sheet}: {n} studies x {len(review.protocol.concepts)} concepts "
            f"(coder {name}); fill it in, then: slr code --import {sheet} --coder {name}"
        )
        return
    if import_file:
        result = coding_sheet.import_sheet(review, Path(import_file), name, works)
        click.echo(
            f"imported {import_file}: {result.studies} studies, {result.changed} codings "
            f"changed, {result.labels} labels set (coder {name})"
        )
        return
    io = code_tui.LineIo() if plain else None
    code_tui.run(review, works, name, io)


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
@click.option(
    "--count",
    "count",
    type=click.Choice(["column", *matrix_mod.COUNTS]),
    is_flag=False,
    flag_value="column",
    default=None,
    help="Alone: add a column with each study's concept count. With --summary: what a "
    "theme counts, `studies` (with any of its concepts; the default) or coded `segments`.",
)
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
@click.option(
    "--documents", is_flag=True, help="Add the added documents (slr documents) after the studies."
)
def matrix_cmd(
    protocol_path: str | None,
    fmt: str | None,
    output: str | None,
    sort: str,
    percent: bool,
    count: str | None,
    marks: str,
    summary: bool,
    coder: str | None,
    two_authors: str,
    standalone: bool,
    documents: bool,
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
      slr matrix --summary --count segments --format latex -o table2.tex

    With --summary, concepts that carry a `theme` are counted per theme under their
    group (dimension), the shape of a code-density table; the caption says what was
    counted. Added documents (interviews, reports) join only with --documents.
    """
    name = matrix_mod.format_for(fmt, output)
    if name in matrix_mod.BINARY_FORMATS and not output:
        raise ExportError(f"--format {name} writes a binary file; give -o FILE.{name}")
    if count in matrix_mod.COUNTS and not summary:
        raise click.UsageError(f"--count {count} goes with --summary; alone, --count adds a column")
    tally = count if count in matrix_mod.COUNTS else "studies"
    if summary and tally == "segments" and percent:
        raise click.UsageError(
            "--percent is a share of studies; leave it out with --count segments"
        )
    review = load(protocol_path)
    table = matrix_mod.review_matrix(review, coder, sort, two_authors, documents)
    style = matrix_mod.Style(
        marks=marks, percent=percent, count=count == "column", standalone=standalone
    )
    if summary:
        data = matrix_mod.render_summary(matrix_mod.summary(table, tally), name, style)
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
