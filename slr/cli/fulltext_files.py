"""`slr fulltext attach | import | extract`: PDFs the reviewer has, and their text.

The subcommands join the `fulltext` group of slr/cli/fulltext.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from slr.cli.options import load, protocol_option, quiet_option
from slr.fulltext import latest_pdf, load_retrievals, pdf_path
from slr.fulltext.attach import Attached, attach_file, import_folder, resolve_work
from slr.fulltext.extract import OK, extract
from slr.works import load_works


def _bar(quiet: bool) -> Callable[[int, int, str], None] | None:
    """A progress callback drawing `files done/total` on stderr (none when quiet or no TTY)."""
    if quiet or not sys.stderr.isatty():
        return None

    def draw(done: int, total: int, name: str) -> None:
        click.echo(f"\rPDFs: {done}/{total}", err=True, nl=done >= total)

    return draw


def _text(pages: int | None, text: str | None) -> str:
    count = (
        f"{pages} page{'s' if pages != 1 else ''}" if pages is not None else "pages not recorded"
    )
    return f"{count}, text {text}" if text == OK else f"{count}; {text}"


@click.command("attach")
@protocol_option
@click.argument("work")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def attach_cmd(protocol_path: str | None, work: str, file: Path) -> None:
    """Attach a PDF you have to a work (its id, a unique start of the id, or its DOI).

    The file is copied to fulltext/<work id>.pdf, its text extracted to
    fulltext/<work id>.txt and the attachment logged in fulltext.jsonl. Attaching the
    same bytes again does nothing; another file replaces the work's PDF.

    \b
    Example:
      slr fulltext attach openalex:W2741809807 ~/Downloads/paper.pdf
      slr fulltext attach 10.7717/peerj-cs.118 paper.pdf
    """
    review = load(protocol_path)
    done = attach_file(review, work, file)
    if done.outcome == "same":
        click.echo(f"{file}: already attached to {done.work_id} (same bytes); nothing to do")
    else:
        click.echo(f"attached {file} to {done.work_id} ({_text(done.pages, done.text)})")


_HOW = {
    "ambiguous": "matches more than one work: {candidates}; attach it by hand",
    "unmatched": "no work's DOI or title found in it; attach it by hand",
    "same": "already attached to {work} (same bytes)",
    "has-pdf": "matches {work}, which already has another PDF; `slr fulltext attach` replaces it",
}


def _line(f: Attached) -> str:
    if f.outcome == "attached":
        return f"attached  {f.path} -> {f.work_id} (by {f.how}; {_text(f.pages, f.text)})"
    if f.outcome == "error":
        return f"error     {f.message}"
    why = _HOW[f.outcome].format(candidates=", ".join(f.candidates), work=f.work_id)
    return f"{f.outcome:<9} {f.path}: {why}"


@click.command("import")
@protocol_option
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@quiet_option
def import_cmd(protocol_path: str | None, folder: Path, quiet: bool) -> None:
    """Attach a folder of PDFs (searched recursively, e.g. a Zotero storage folder).

    Each PDF is matched to a work by a DOI in its metadata or on its first two pages,
    else by the work's title on its first page (works that reached full-text screening
    first, then all). A PDF that matches several works or none is listed and left for
    `slr fulltext attach`: nothing is guessed. PDFs already stored are skipped.

    \b
    Example:
      slr fulltext import ~/Zotero/storage
    """
    review = load(protocol_path)
    report = import_folder(review, folder, on_file=_bar(quiet))
    counts: dict[str, int] = {}
    for f in report.files:
        counts[f.outcome] = counts.get(f.outcome, 0) + 1
        click.echo(_line(f))
    parts = [
        f"{counts.get(k, 0)} {label}"
        for k, label in (
            ("attached", "attached"),
            ("same", "already stored"),
            ("has-pdf", "for works with another PDF"),
            ("ambiguous", "ambiguous"),
            ("unmatched", "unmatched"),
            ("error", "unreadable"),
        )
        if counts.get(k)
    ]
    summary = f"{len(report.files)} PDFs: {', '.join(parts) or 'none found'}"
    if report.skipped:
        summary += f"; {report.skipped} other files (not .pdf) not looked at"
    click.echo(summary)
    if counts.get("error"):
        sys.exit(1)


@click.command("extract")
@protocol_option
@click.argument("works", nargs=-1)
@quiet_option
def extract_cmd(protocol_path: str | None, works: tuple[str, ...], quiet: bool) -> None:
    """(Re)extract the text of stored PDFs (default: every work with one).

    Writes fulltext/<work id>.txt with a `[page N]` line before each page; a scanned PDF
    without a text layer, an encrypted or a damaged one is reported and the run goes on.

    \b
    Example:
      slr fulltext extract
      slr fulltext extract openalex:W2741809807
    """
    review = load(protocol_path)
    if works:
        all_works = load_works(review)
        ids = [resolve_work(all_works, ref).work_id for ref in works]
    else:
        ids = [w for w in latest_pdf(load_retrievals(review)) if pdf_path(review, w).exists()]
    failed = 0
    bar = _bar(quiet)
    for n, work_id in enumerate(ids, 1):
        result = extract(review, work_id)
        if bar:
            bar(n, len(ids), work_id)
        if result.pages is None:
            failed += 1
            click.echo(f"{work_id}: {result.text}")
        else:
            click.echo(f"{work_id}: {_text(result.pages, result.text)}")
    if not ids:
        click.echo("no stored PDFs; `slr fulltext fetch`, `attach` or `import` stores them")
    if failed:
        sys.exit(1)
