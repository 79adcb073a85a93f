"""SpringerLink search-results CSV (`Item Title`, ..., `Content Type`).

SpringerLink runs the authors of a row together with no separator (`Araz R. AlievNigar T.
Ismayilova`); they are split where a lower-case letter meets the capital that starts the
next name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slr.formats import Format
from slr.formats.common import Document, Entry, normalise_doi, split_authors
from slr.formats.table import header_keys, parse_rows

_TYPES = {
    "article": "article",
    "chapter": "book-chapter",
    "chapter conferencepaper": "conference-paper",
    "conferencepaper": "conference-paper",
    "conference paper": "conference-paper",
    "book": "book",
    "referenceworkentry": "other",
    "protocol": "other",
}


def columns(keys: set[str]) -> bool:
    """SpringerLink names its title column `Item Title`."""
    return "item title" in keys and "content type" in keys


def row(c: dict[str, str]) -> dict[str, Any]:
    """Record fields from one SpringerLink row; the DOI is Springer's id."""
    kind = " ".join((c.get("content type") or "").lower().split())
    return {
        "title": c.get("item title"),
        "venue": c.get("publication title") or c.get("book series title"),
        "volume": c.get("journal volume"),
        "issue": c.get("journal issue"),
        "doi": c.get("item doi"),
        "authors": split_authors(c.get("authors"), glued=True),
        "year": c.get("publication year"),
        "url": c.get("url"),
        "type": _TYPES.get(kind, "other" if kind else None),
        "source": "springer",
        "source_id": normalise_doi(c.get("item doi")),
    }


def sniff(doc: Document) -> int:
    """High for SpringerLink's column names."""
    return 95 if columns(header_keys(doc)) else 0


def parse(doc: Document) -> Iterator[Entry]:
    """Entries of a SpringerLink CSV export."""
    return parse_rows(doc, row)


FORMATS = [
    Format("springer-csv", "SpringerLink CSV", "springer", sniff, parse, columns=columns, row=row)
]
