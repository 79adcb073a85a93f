"""`slr extract`: the data extraction form, its sheet round trip, reconciliation and export."""

from __future__ import annotations

import os
from pathlib import Path

import click

from slr.cli.options import load, protocol_option
from slr.coding.log import included
from slr.errors import ExportError
from slr.extraction import log as xlog
from slr.extraction import reconcile as xrec
from slr.extraction import session
from slr.extraction import sheet as xsheet
from slr.extraction import table as xtable
from slr.matrix.model import write_output
from slr.review import Review


def pick_coder(review: Review, names: tuple[str, ...]) -> str:
    """--coder, else $SLR_CODER, else the only coder so far or the protocol's first reviewer."""
    if len(names) > 1:
        raise click.UsageError("give one --coder here (two only with --reconcile)")
    name = names[0] if names else os.environ.get("SLR_CODER")
    return xlog.resolve_coder(review, name) if name else xlog.default_coder(review)


@click.command("extract")
@protocol_option
@click.option(
    "--coder",
    "coders",
    multiple=True,
    help="Your name; each coder has their own log (default: $SLR_CODER). Twice with --reconcile.",
)
@click.option(
    "--sheet",
    type=click.Path(dir_okay=False),
    help="Write a wide extraction sheet (.csv or .xlsx) to fill in.",
)
@click.option(
    "--import",
    "import_file",
    type=click.Path(dir_okay=False),
    help="Read a filled-in extraction sheet; any error and nothing changes.",
)
@click.option(
    "--reconcile", is_flag=True, help="Agreement of two coders, then settle disagreements."
)
@click.option(
    "--export", "export_fmt", type=click.Choice(["csv", "xlsx"]), help="Write the extracted data."
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File for --export.")
@click.option("--wide", is_flag=True, help="--export a row per study instead of a row per value.")
@click.option("--plain", is_flag=True, help="Line prompts (the only mode for now; for scripts).")
def extract_cmd(
    protocol_path: str | None,
    coders: tuple[str, ...],
    sheet: str | None,
    import_file: str | None,
    reconcile: bool,
    export_fmt: str | None,
    output: str | None,
    wide: bool,
    plain: bool,
) -> None:
    """Extract data from the included studies into the protocol's [[extraction]] form.

    One study at a time, its full text (or abstract) shown with the form; each field is
    asked as `value | evidence quote | page` and checked against its type; every value is
    saved the moment it is entered. `:p N` shows page N, `:s` skips, `:q` quits; a new
    run starts at the first study with a field still open.

    \b
    Example:
      slr extract --coder alice
      slr extract --sheet extraction.xlsx --coder alice
      slr extract --import extraction.xlsx --coder alice
      slr extract --reconcile --coder alice --coder bob
      slr extract --export csv --wide -o data.csv
    """
    modes = [bool(sheet), bool(import_file), reconcile, bool(export_fmt)]
    if sum(modes) > 1:
        raise click.UsageError("give one of --sheet, --import, --reconcile, --export")
    if (output or wide) and not export_fmt:
        raise click.UsageError("-o and --wide go with --export")
    review = load(protocol_path)
    xlog.fields_of(review)
    if reconcile:
        names = xrec.pick_pair(review, coders)
        result = xrec.review_comparison(review, names)
        click.echo(xrec.format_comparison(result))
        if result.disagreements:
            n = xrec.resolve(review, result, session.LineIo())
            click.echo(
                f"{n} disagreement{'s' if n != 1 else ''} reconciled into the consensus log."
            )
        return
    if export_fmt:
        _export(review, export_fmt, output, wide, coders)
        return
    name = pick_coder(review, coders)
    if sheet:
        n = xsheet.write_sheet(review, Path(sheet), name, included(review))
        click.echo(
            f"wrote {sheet}: {n} studies x {len(review.protocol.extraction)} fields "
            f"(coder {name}); fill it in, then: slr extract --import {sheet} --coder {name}"
        )
        return
    if import_file:
        try:
            got = xsheet.import_sheet(review, Path(import_file), name)
        except xsheet.SheetErrors as exc:
            for line in exc.lines:
                click.echo(f"Error: {line}", err=True)
            click.echo(f"Error: {len(exc.lines)} problem(s); nothing was imported", err=True)
            click.get_current_context().exit(1)
        click.echo(
            f"imported {import_file}: {got.studies} studies, {got.written} values "
            f"written (coder {name})"
        )
        return
    session.run(review, included(review), name)


def _export(
    review: Review, fmt: str, output: str | None, wide: bool, coders: tuple[str, ...]
) -> None:
    names = [xlog.resolve_coder(review, c) for c in coders] if coders else None
    got = xtable.export_rows(review, included(review), names, wide)
    data = xsheet.table_bytes(got.rows, f".{fmt}", "Extraction")
    if got.unresolved:
        click.echo(
            f"Warning: {got.unresolved} cells left empty: the coders disagree and no "
            "consensus is recorded (slr extract --reconcile)",
            err=True,
        )
    if output:
        write_output(Path(output), data)
        click.echo(f"wrote {output}: {len(got.rows) - 1} rows", err=True)
    elif fmt == "xlsx":
        raise ExportError("--export xlsx writes a binary file; give -o FILE.xlsx")
    else:
        click.echo(data.decode("utf-8"), nl=False)


COMMANDS = [extract_cmd]
