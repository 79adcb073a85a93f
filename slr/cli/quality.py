"""`slr quality`: the quality assessment of the included studies (Kitchenham checklist)."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.code import pick_coder
from slr.cli.options import load, protocol_option
from slr.coding.log import included_at_full_text, read_labels
from slr.matrix.model import study_labels, write_output
from slr.quality import log, scores, sheet, table
from slr.tui import quality as session


@click.command("quality")
@protocol_option
@click.option("--coder", help="Your name; each coder has their own log (default: $SLR_CODER).")
@click.option(
    "--sheet",
    "sheet_file",
    type=click.Path(dir_okay=False),
    help="Write a quality sheet template (.csv or .xlsx): a row per study, a column per question.",
)
@click.option(
    "--import",
    "import_file",
    type=click.Path(dir_okay=False),
    help="Read a filled-in quality sheet; any error and nothing changes.",
)
@click.option("--reconcile", is_flag=True, help="Settle the answers two coders gave differently.")
@click.option("--table", "show_table", is_flag=True, help="Write the per-study score table.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(table.FORMATS),
    default="markdown",
    show_default=True,
    help="Format of --table.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write --table to FILE.")
def quality_cmd(
    protocol_path: str | None,
    coder: str | None,
    sheet_file: str | None,
    import_file: str | None,
    reconcile: bool,
    show_table: bool,
    fmt: str,
    output: str | None,
) -> None:
    """Assess the quality of the included studies against the protocol's [quality] checklist.

    One study at a time, one question at a time: type an answer key (y yes, p partly,
    n no, or the protocol's [quality.answers]) and optionally a note after it
    (`p only one data set`); `q` stops. Every answer is saved at once; a rerun resumes at
    the next unanswered question. A study's score is the sum of its answers' scores; two
    coders' differing answers are settled with --reconcile. Studies below the protocol's
    min_score are excluded with its quality criterion (QA), in PRISMA and the report.

    \b
    Example:
      slr quality --coder alice
      slr quality --sheet quality.xlsx --coder alice
      slr quality --import quality.xlsx --coder alice
      slr quality --reconcile --coder alice
      slr quality --table --format latex -o quality.tex
    """
    if sum(map(bool, (sheet_file, import_file, reconcile, show_table))) > 1:
        raise click.UsageError("give one of --sheet, --import, --reconcile or --table")
    review = load(protocol_path)
    quality = log.checklist(review)
    works = included_at_full_text(review)
    labels = study_labels(works, read_labels(review))
    if show_table:
        text = table.render(quality, scores.assess(review), labels, fmt)
        if output:
            write_output(Path(output), text)
            click.echo(f"wrote {output}", err=True)
        else:
            click.echo(text, nl=False)
        return
    name = pick_coder(review, coder)
    if sheet_file:
        n = sheet.write_sheet(review, Path(sheet_file), name, works, labels)
        click.echo(
            f"wrote {sheet_file}: {n} studies x {len(quality.questions)} questions (coder "
            f"{name}); fill it in, then: slr quality --import {sheet_file} --coder {name}"
        )
    elif import_file:
        studies, written = sheet.import_sheet(review, Path(import_file), name, works)
        click.echo(f"imported {import_file}: {studies} studies, {written} answers (coder {name})")
    elif reconcile:
        session.reconcile(review, name, works, labels)
    else:
        session.run(review, name, works, labels)


COMMANDS = [quality_cmd]
