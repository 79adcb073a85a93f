"""Scopus CSV export ("CSV Export" from the results page, any field selection with EID)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slr.formats import Format
from slr.formats.common import (
    Document,
    Entry,
    doc_type,
    int_or_none,
    pages,
    split_authors,
    split_list,
)
from slr.formats.table import header_keys, parse_rows

_AUTHOR_ID = re.compile(r"\s*\(\d+\)\s*$")


def columns(keys: set[str]) -> bool:
    """Scopus names its id column EID and its venue column `Source title`."""
    return "eid" in keys and ("source title" in keys or "link" in keys)


def row(c: dict[str, str]) -> dict[str, Any]:
    """Record fields from one Scopus row (keys are lower-case column words)."""
    full = c.get("author full names", "")
    if full:  # `Kreuzberger, Dominik (57219543450); ...` in exports since 2023
        authors = [_AUTHOR_ID.sub("", a).strip() for a in full.split(";") if a.strip()]
    else:
        authors = split_authors(c.get("authors"))
    return {
        "title": c.get("title"),
        "authors": [a for a in authors if a != "[No author name available]"],
        "year": c.get("year"),
        "venue": c.get("source title"),
        "volume": c.get("volume"),
        "issue": c.get("issue"),
        "pages": pages(c.get("page start"), c.get("page end")) or c.get("art no"),
        "doi": c.get("doi"),
        "url": c.get("link"),
        "abstract": c.get("abstract"),
        "keywords": split_list(c.get("author keywords")) + split_list(c.get("index keywords")),
        "publisher": c.get("publisher"),
        "language": c.get("language of original document"),
        "type": doc_type(c.get("document type")),
        "extra": {
            "issn": c.get("issn"),
            "pmid": c.get("pubmed id"),
            "cited_by": int_or_none(c.get("cited by")),
            "open_access": c.get("open access"),
        },
        "source": "scopus",
        "source_id": c.get("eid"),
    }


def sniff(doc: Document) -> int:
    """High for a header with EID and Source title."""
    return 95 if columns(header_keys(doc)) else 0


def parse(doc: Document) -> Iterator[Entry]:
    """Entries of a Scopus CSV export."""
    return parse_rows(doc, row)


FORMATS = [Format("scopus-csv", "Scopus CSV", "scopus", sniff, parse, columns=columns, row=row)]
