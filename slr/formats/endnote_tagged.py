"""EndNote tagged ("refer", `.enw`) files: `%0 Journal Article`, `%T title`, `%A author`...

Records are separated by blank lines; a line without a `%` tag continues the previous one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slr.formats import Format
from slr.formats.common import Document, Entry, doc_type
from slr.formats.ids import id_fields
from slr.formats.tagged import Layout, entries, first

_SNIFF = re.compile(r"^%[0TA] \S", re.MULTILINE)
_TYPES = {
    "journal article": "article",
    "conference paper": "conference-paper",
    "conference proceedings": "conference-paper",
    "book section": "book-chapter",
    "book": "book",
    "generic": None,
}


def sniff(doc: Document) -> int:
    """High when lines start with `%T `, `%A `, `%0 `."""
    found = set(m.group(0)[:2] for m in _SNIFF.finditer(doc.head))
    return 85 if len(found) >= 2 else 0


def _tag(line: str) -> tuple[str, str] | None:
    if len(line) >= 2 and line[0] == "%" and (len(line) == 2 or line[2] == " "):
        return line[:2], line[3:].strip()
    return None


LAYOUT = Layout(_tag, lambda line: True, " ", start=None, blank_ends=True)


def parse(doc: Document) -> Iterator[Entry]:
    """Entries of a tagged EndNote file."""
    return entries(doc, LAYOUT, _fields)


def _fields(rec: dict[str, list[str]]) -> dict[str, Any]:
    kind = (first(rec, "%0") or "").lower()
    return {
        "title": first(rec, "%T"),
        "authors": rec.get("%A", []),
        "venue": first(rec, "%J", "%B"),
        "year": first(rec, "%D", "%8"),
        "volume": first(rec, "%V"),
        "issue": first(rec, "%N"),
        "pages": first(rec, "%P"),
        "url": first(rec, "%U"),
        "abstract": first(rec, "%X"),
        "keywords": [k for v in rec.get("%K", []) for k in v.split("\n") if k.strip()],
        "doi": first(rec, "%R"),
        "publisher": first(rec, "%I"),
        "language": first(rec, "%G"),
        "type": _TYPES.get(kind, doc_type(kind) if kind else None),
        **_ids(first(rec, "%M"), first(rec, "%F")),
    }


def _ids(accession: str | None, label: str | None) -> dict[str, str]:
    """A WoS accession number is database-wide; any other number or label is the library's."""
    if accession and accession.upper().startswith(("WOS:", "ISI:")):
        return {"source": "webofscience", "source_id": "WOS:" + accession[4:]}
    return id_fields(None, accession or label)


FORMATS = [Format("endnote-tagged", "EndNote tagged (.enw)", None, sniff, parse)]
