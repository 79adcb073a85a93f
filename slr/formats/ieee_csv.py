"""IEEE Xplore CSV export (`Document Title`, `Authors`, ..., `Document Identifier`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slr.formats import Format
from slr.formats.common import Document, Entry, int_or_none, pages, split_list
from slr.formats.table import header_keys, parse_rows

_ARNUMBER = re.compile(r"arnumber=(\d+)|/document/(\d+)")
_TYPES = {
    "ieee journals": "article",
    "ieee magazines": "article",
    "ieee early access articles": "article",
    "ieee conferences": "conference-paper",
    "ieee books": "book-chapter",
    "ieee standards": "other",
    "ieee courses": "other",
}


def columns(keys: set[str]) -> bool:
    """IEEE names its title column `Document Title` and has a PDF link or identifier."""
    return "document title" in keys and ("pdf link" in keys or "document identifier" in keys)


def row(c: dict[str, str]) -> dict[str, Any]:
    """Record fields from one IEEE row; the article number (from the PDF link) is the id."""
    link = c.get("pdf link", "")
    m = _ARNUMBER.search(link)
    number = (m.group(1) or m.group(2)) if m else None
    identifier = (c.get("document identifier") or "").strip().lower()
    return {
        "title": c.get("document title"),
        "authors": split_list(c.get("authors")),
        "venue": c.get("publication title"),
        "year": c.get("publication year"),
        "volume": c.get("volume"),
        "issue": c.get("issue"),
        "pages": pages(c.get("start page"), c.get("end page")),
        "abstract": c.get("abstract"),
        "doi": c.get("doi"),
        "url": f"https://ieeexplore.ieee.org/document/{number}" if number else None,
        "keywords": split_list(c.get("author keywords")) + split_list(c.get("ieee terms")),
        "publisher": c.get("publisher"),
        "type": _TYPES.get(identifier, "other" if identifier else None),
        "extra": {
            "issn": c.get("issn"),
            "isbn": c.get("isbns"),
            "cited_by": int_or_none(c.get("article citation count")),
        },
        "source": "ieee",
        "source_id": number,
    }


def sniff(doc: Document) -> int:
    """High for IEEE's column names."""
    return 95 if columns(header_keys(doc)) else 0


def parse(doc: Document) -> Iterator[Entry]:
    """Entries of an IEEE Xplore CSV export."""
    return parse_rows(doc, row)


FORMATS = [Format("ieee-csv", "IEEE Xplore CSV", "ieee", sniff, parse, columns=columns, row=row)]
