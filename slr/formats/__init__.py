"""Reference-file formats: one module per format, found through a registry.

Each module in this package (except `common`) exports `FORMATS`, a list of `Format`s. A
format knows how to recognise a file (`sniff`, a score from 0 to 100), read it into
entries (`parse`), and, for the export formats, write records back (`dump`). Table
flavours (Scopus CSV, IEEE CSV, ...) also give `columns` and `row` so the generic CSV, TSV
and XLSX readers can hand their rows to them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from slr.errors import ImportError_
from slr.formats.common import Document, Entry
from slr.records import Record

__all__ = ["Document", "Entry", "Format", "registry", "get", "detect", "exporters"]


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


_REGISTRY: dict[str, Format] = {}


def registry() -> dict[str, Format]:
    """Format name -> Format, for every module in this package."""
    if not _REGISTRY:
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            if info.name == "common" or info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{__name__}.{info.name}")
            for fmt in getattr(module, "FORMATS", ()):
                _REGISTRY[fmt.name] = fmt
    return _REGISTRY


def get(name: str) -> Format:
    """The format called `name`; an ImportError_ listing the known ones otherwise."""
    formats = registry()
    if name not in formats:
        raise ImportError_(
            f"unknown format {name!r}; use one of: auto, " + ", ".join(sorted(formats))
        )
    return formats[name]


def detect(doc: Document) -> Format:
    """The best-scoring format for a document; an ImportError_ when none recognises it."""
    scored = sorted(
        ((fmt.sniff(doc), fmt.name) for fmt in registry().values() if fmt.binary == doc.binary),
        reverse=True,
    )
    if not scored or scored[0][0] <= 0:
        raise ImportError_(
            f"{doc.name}: not a reference format slr recognises (BibTeX, RIS, Web of Science, "
            "Scopus/IEEE/Springer CSV, PubMed, Publish or Perish, EndNote, CSV/TSV/XLSX with a "
            "title column); pass --format to choose one"
        )
    return registry()[scored[0][1]]


def table_flavours() -> list[Format]:
    """Formats that map the rows of a table with known columns (best first)."""
    return [f for f in registry().values() if f.columns is not None and f.row is not None]


def exporters() -> dict[str, Format]:
    """Formats that can write records: name -> Format."""
    return {name: f for name, f in registry().items() if f.dump is not None}
