"""`slr import` and `slr export`: reference files in and out of a review."""

from __future__ import annotations

import json

import click

from slr.commands import load, protocol_option, quiet_option
from slr.export import STAGES, export_stage, format_for
from slr.importer import import_files


@click.command("import")
@protocol_option
@quiet_option
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    help="auto (detect from content and extension), bibtex, ris, wos, wos-tab, scopus-csv, "
    "ieee-csv, springer-csv, pubmed, pop-csv, pop-json, endnote-xml, endnote-tagged, csv, tsv, xlsx.",
)
@click.option("--source", help="Database name for these records (default: what the file implies).")
@click.option("--query", help="The search string exactly as typed in the database.")
@click.option("--date", help="The day the search was run, YYYY-MM-DD.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable summary.")
def import_cmd(
    protocol_path: str | None,
    quiet: bool,
    files: tuple[str, ...],
    fmt: str,
    source: str | None,
    query: str | None,
    date: str | None,
    as_json: bool,
) -> None:
    """Import exported reference files (BibTeX, RIS, Scopus/WoS/IEEE/... exports).

    Each file is kept byte for byte under raw/import/, its records are added to the
    corpus and the import is logged as a search of its database. Importing the same
    file again changes nothing. Broken entries are reported as file:line and skipped.

    \b
    Example:
      slr import scopus.csv --query 'TITLE-ABS-KEY(mlops)' --date 2024-03-01
      slr import savedrecs.txt --source webofscience
    """
    review = load(protocol_path)
    summary = import_files(
        review, files, format=fmt, source=source, query=query, date=date, quiet=quiet
    )
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(summary.format())


@click.command("export")
@protocol_option
@click.option(
    "--stage",
    type=click.Choice(STAGES),
    default="included",
    show_default=True,
    help="identified: every record; deduplicated: one record per work; screened: works "
    "included (or maybe) at title/abstract; included: works included at full text.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["bibtex", "ris", "csv"]),
    help="Output format (default: from the -o file's extension).",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (default: stdout)."
)
def export_cmd(protocol_path: str | None, stage: str, fmt: str | None, output: str | None) -> None:
    """Export the records of a stage as BibTeX, RIS or CSV.

    BibTeX gets stable citation keys (kreuzberger2023machine); CSV cells are safe to open
    in a spreadsheet. Each record keeps its id, so an export can be imported again.

    \b
    Example:
      slr export --stage included --format bibtex -o included.bib
      slr export --stage identified -o records.csv
    """
    review = load(protocol_path)
    text, count = export_stage(review, stage, format_for(output, fmt), output)
    if output is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"{count} records ({stage}) written to {output}", err=True)


COMMANDS = [import_cmd, export_cmd]
