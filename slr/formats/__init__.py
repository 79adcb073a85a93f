"""Reference-file formats: one module per format, found through a registry.

Each module in this package (except `common`) exports `FORMATS`, a list of `Format`s, which
the registry `FORMATS` here (an `slr.registry.Registry`) collects on first use. A
format knows how to recognise a file (`sniff`, a score from 0 to 100), read it into
entries (`parse`), and, for the export formats, write records back (`dump`). Table
flavours (Scopus CSV, IEEE CSV, ...) also give `columns` and `row` so the generic CSV, TSV
and XLSX readers can hand their rows to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from slr.errors import ImportError_
from slr.formats.common import Document, Entry
from slr.records import Record
from slr.registry import Registry, import_modules

__all__ = ["FORMATS", "Document", "Entry", "Format", "detect", "exporters"]


@dataclass(frozen=True)
class Format:
    """One readable (and maybe writable) file format."""

    name: str  # as given to --format
    label: str  # for people: "Scopus CSV"
    database: str | None  # the source this format implies; None for generic files
    sniff: Callable[[Document], int]
    parse: Callable[[Document], Iterator[Entry]]
    dump: Callable[[Sequence[Record]], str] | None = None
    columns: Callable[[set[str]], bool] | None = None  # table flavours: header matches?
    row: Callable[[dict[str, str]], dict[str, Any]] | None = None  # table flavours
    binary: bool = False  # parsed from bytes, not text


def _load() -> None:
    for module in import_modules(__name__, __path__, skip={"common"}):
        for fmt in getattr(module, "FORMATS", ()):
            FORMATS.add(fmt.name, fmt)


FORMATS: Registry[Format] = Registry("format", ImportError_, load=_load, also=("auto",))


def detect(doc: Document) -> Format:
    """The best-scoring format for a document; an ImportError_ when none recognises it."""
    scored = sorted(
        ((fmt.sniff(doc), fmt.name) for _, fmt in FORMATS.items() if fmt.binary == doc.binary),
        reverse=True,
    )
    if not scored or scored[0][0] <= 0:
        raise ImportError_(
            f"{doc.name}: not a reference format slr recognises (BibTeX, RIS, Web of Science, "
            "Scopus/IEEE/Springer CSV, PubMed, Publish or Perish, EndNote, CSV/TSV/XLSX with a "
            "title column); pass --format to choose one"
        )
    return FORMATS.get(scored[0][1])


def table_flavours() -> list[Format]:
    """Formats that map the rows of a table with known columns (best first)."""
    return [f for _, f in FORMATS.items() if f.columns is not None and f.row is not None]


def exporters() -> dict[str, Format]:
    """Formats that can write records: name -> Format."""
    return {name: f for name, f in FORMATS.items() if f.dump is not None}
