"""`slr documents`: add and list documents that are not search records (interviews, reports)."""

from __future__ import annotations

from pathlib import Path

import click

from slr.cli.options import load, protocol_option
from slr.documents import KINDS, add_document, list_documents


@click.group("documents")
def documents_group() -> None:
    """Documents that are not search records: interview transcripts, reports, grey literature.

    They are coded with the same logs as the studies (`slr code --documents`) and kept out
    of PRISMA and of the matrix unless asked for (`slr matrix --documents`).

    \b
    Example:
      slr documents add interview-01.txt --kind interview --title "Interview 1"
      slr documents list
    """


@documents_group.command("add")
@protocol_option
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(KINDS), required=True, help="What the document is.")
@click.option("--title", help="How the document is named in tables (default: the file name).")
def add_cmd(protocol_path: str | None, file: str, kind: str, title: str | None) -> None:
    """Add a .txt, .md or .pdf document; its text is kept under the review folder.

    \b
    Example:
      slr documents add interview-01.txt --kind interview
      slr documents add annual-report.pdf --kind report --title "Vendor report 2023"
    """
    review = load(protocol_path)
    doc = add_document(review, Path(file), kind, title)
    click.echo(f"added {doc.id} ({doc.kind}): {doc.title}; text in {doc.text}")


@documents_group.command("list")
@protocol_option
def list_cmd(protocol_path: str | None) -> None:
    """List the added documents: id, kind, title.

    \b
    Example:
      slr documents list
    """
    review = load(protocol_path)
    docs = list_documents(review)
    if not docs:
        click.echo("no documents yet; add one with `slr documents add FILE --kind interview`")
    for d in docs:
        click.echo(f"{d.id}\t{d.kind}\t{d.title}")


COMMANDS = [documents_group]
