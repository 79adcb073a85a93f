"""Standalone mode: de-duplicate any citation list, no review folder; write
`id,cluster_id,rule,study`.

Input is a CSV (columns: any subset of id, title, author/authors, year, journal, volume,
number, pages, doi, abstract, ENTRYTYPE; names are matched case-insensitively) or any file
`slr.importer.read_records` understands.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from slr.dedupe.compare import Settings
from slr.dedupe.engine import Result, Tick, run
from slr.errors import ImportError_, SlrError
from slr.formats.common import split_authors
from slr.formats.table import key, read_table
from slr.records import Record, parse_year
from slr.store import write_atomic

SOURCE = "input"
COLUMNS = {
    "id": ("id", "record_id", "key", "citation_key"),
    "title": ("title", "primary_title", "ti"),
    "authors": ("authors", "author", "au"),
    "year": ("year", "py", "publication_year", "date"),
    "venue": (
        "journal",
        "venue",
        "source_title",
        "secondary_title",
        "booktitle",
        "container_title",
    ),
    "volume": ("volume", "vl"),
    "issue": ("number", "issue", "is"),
    "pages": ("pages", "page", "start_page"),
    "doi": ("doi", "do"),
    "abstract": ("abstract", "ab"),
    "type": ("entrytype", "type", "document_type"),
}


def read_csv(path: Path) -> list[Record]:
    """Records from a citation table (CSV, TSV); `source_id` is the id column or the 1-based
    row number (a row of empty cells counts, a blank line does not)."""
    table = read_table(path, keep_empty=True)
    mapping: dict[str, str] = {}
    for name, aliases in COLUMNS.items():
        for alias in map(key, aliases):
            if alias in table.columns:
                mapping[name] = alias
                break
    if "title" not in mapping and "doi" not in mapping:
        raise ImportError_(
            f"{path}:1: no 'title' or 'doi' column "
            f"(found: {', '.join(c for c in table.columns if c) or 'none'}); "
            "name the columns id, title, author, year, journal, volume, number, pages, doi"
        )
    records, seen = [], set()
    for row_no, (line, cells) in enumerate(table.rows, start=1):

        def get(name: str, cells: dict[str, str] = cells) -> str | None:
            return cells.get(mapping.get(name, ""), "").strip() or None

        rid = get("id") or str(row_no)
        if rid in seen:
            raise ImportError_(f"{path}:{line}: field id: {rid!r} occurs twice; ids must be unique")
        seen.add(rid)
        records.append(
            Record(
                source=SOURCE,
                source_id=rid,
                title=get("title"),
                authors=tuple(split_authors(get("authors"), conjunction=True)),
                year=parse_year(get("year")),
                venue=get("venue"),
                volume=get("volume"),
                issue=get("issue"),
                pages=get("pages"),
                doi=get("doi"),
                abstract=get("abstract"),
                type=get("type"),
            )
        )
    return records


def read_input(path: str | Path, format: str = "auto") -> list[Record]:
    """Records from a CSV (benchmark columns) or any importable citation file."""
    from slr.importer import read_records

    p = Path(path)
    if not p.is_file():
        raise ImportError_(f"{p}: no such file; give a CSV or an exported citation file")
    if format == "auto" and (p.suffix.lower() in (".csv", ".tsv") or p.suffix == ""):
        return read_csv(p)
    result = read_records(p, format=format)
    seen: set[str] = set()
    records = []
    for rec in result.records:
        if rec.id not in seen:  # one id, one record (as the corpus keeps them)
            seen.add(rec.id)
            records.append(rec)
    if not records:
        raise ImportError_(f"{p}: no records found; check the file's format")
    return records


def clusters_csv(result: Result) -> str:
    """`id,cluster_id,rule,study`: every input record exactly once, cluster id = its first
    record, study = the cluster id of the main report of its study (an erratum's study is
    its article's cluster; a record linked to no other report's study: its own cluster)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "cluster_id", "rule", "study"])
    t = result.table
    studies = result.studies()
    for i, (root, rule, _) in enumerate(result.assignments()):
        writer.writerow([_plain(t.ids[i]), _plain(t.ids[root]), rule, _plain(t.ids[studies[i]])])
    return buf.getvalue()


def _plain(rid: str) -> str:
    """The input's own id (records of a CSV are `input:<id>`)."""
    prefix = SOURCE + ":"
    return rid[len(prefix) :] if rid.startswith(prefix) else rid


def dedupe_file(
    input_path: str | Path,
    output_path: str | Path,
    settings: Settings | None = None,
    tick: Tick | None = None,
    on_read: Callable[[int], None] | None = None,
    format: str = "auto",
) -> Result:
    """Read a citation list, cluster it, write clusters.csv; returns the run's result."""
    records = read_input(input_path, format)
    if on_read:
        on_read(len(records))
    result = run(records, settings, tick=tick or (lambda _: None))
    try:
        write_atomic(Path(output_path), clusters_csv(result))
    except OSError as exc:
        raise SlrError(f"{output_path}: cannot write ({exc.strerror}); check the folder") from None
    return result
