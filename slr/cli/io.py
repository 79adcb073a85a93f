"""`slr import` and `slr export`: reference files in and out of a review."""

from __future__ import annotations

import json

import click

from slr.cli.options import load, protocol_option, quiet_option
from slr.cli.progress import drawing
from slr.errors import ImportError_
from slr.export import STAGES, export_stage, format_for
from slr.importer import (
    amend_import,
    format_imports,
    import_files,
    list_imports,
    remove_import,
)


@click.command("import")
@protocol_option
@quiet_option
@click.argument("files", nargs=-1, type=click.Path())
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
@click.option("--list", "list_", is_flag=True, help="List every import: id, file, sha256, ...")
@click.option(
    "--amend", metavar="ID", help="Correct import ID's --source, --query or --date (appended)."
)
@click.option(
    "--remove", metavar="ID", help="Take import ID's records out of the review (file kept)."
)
def import_cmd(
    protocol_path: str | None,
    quiet: bool,
    files: tuple[str, ...],
    fmt: str,
    source: str | None,
    query: str | None,
    date: str | None,
    as_json: bool,
    list_: bool,
    amend: str | None,
    remove: str | None,
) -> None:
    """Import exported reference files (BibTeX, RIS, Scopus/WoS/IEEE/... exports).

    Each file is kept byte for byte under raw/import/, its records are added to the
    corpus and the import is logged as a search of its database. Importing the same
    file again changes nothing. Broken entries are reported as file:line and skipped.
    Ids that only number entries inside a file (BibTeX keys, RIS ID, a CSV id column)
    never merge records of two files; `slr dedupe` links the same work.

    Corrections are appended to the search log, never edited in: --list shows every
    import, --amend ID fixes its source, query or date, --remove ID takes its records
    out of the review (PRISMA, the report and status follow; decisions stay logged).

    \b
    Example:
      slr import scopus.csv --query 'TITLE-ABS-KEY(mlops)' --date 2024-03-01
      slr import savedrecs.txt --source webofscience
      slr import --list
      slr import --amend import-3fa2b9c01d2e --source embase --date 2024-03-01
      slr import --remove import-3fa2b9c01d2e
    """
    modes = [
        name for name, on in (("--list", list_), ("--amend", amend), ("--remove", remove)) if on
    ]
    if len(modes) > 1:
        raise ImportError_(f"{' and '.join(modes)}: use one at a time")
    if modes and files:
        raise ImportError_(f"{modes[0]} takes no FILES; import files in a separate command")
    if not modes and not files:
        raise ImportError_("no FILES given; name the exported files, or use --list")
    if (list_ or remove) and (source or query or date):
        raise ImportError_(f"{modes[0]} takes no --source, --query or --date; use --amend ID")
    review = load(protocol_path)
    if list_:
        entries = list_imports(review)
        if as_json:
            click.echo(json.dumps(entries, indent=2, ensure_ascii=False))
        else:
            click.echo(format_imports(entries))
        return
    if amend:
        click.echo(amend_import(review, amend, source=source, query=query, date=date))
        return
    if remove:
        click.echo(remove_import(review, remove))
        return
    with drawing(quiet) as progress:
        summary = import_files(
            review, files, format=fmt, source=source, query=query, date=date, progress=progress
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
