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


def parse(doc: Document) -> Iterator[Entry]:
    """Entries of a tagged EndNote file."""
    rec: dict[str, list[str]] = {}
    start = 0
    tag = ""
    for number, line in enumerate(doc.text.split("\n") + [""], start=1):
        if not line.strip():
            if rec:
                yield Entry(start, _fields(rec))
            rec, tag = {}, ""
            continue
        if len(line) >= 2 and line[0] == "%" and (len(line) == 2 or line[2] == " "):
            if not rec:
                start = number
            tag = line[:2]
            rec.setdefault(tag, []).append(line[3:].strip())
        elif tag:
            rec[tag][-1] += " " + line.strip()


def _one(rec: dict[str, list[str]], *tags: str) -> str | None:
    for tag in tags:
        if rec.get(tag):
            return rec[tag][0]
    return None


def _fields(rec: dict[str, list[str]]) -> dict[str, Any]:
    kind = (_one(rec, "%0") or "").lower()
    return {
        "title": _one(rec, "%T"),
        "authors": rec.get("%A", []),
        "venue": _one(rec, "%J", "%B"),
        "year": _one(rec, "%D", "%8"),
        "volume": _one(rec, "%V"),
        "issue": _one(rec, "%N"),
        "pages": _one(rec, "%P"),
        "url": _one(rec, "%U"),
        "abstract": _one(rec, "%X"),
        "keywords": [k for v in rec.get("%K", []) for k in v.split("\n") if k.strip()],
        "doi": _one(rec, "%R"),
        "publisher": _one(rec, "%I"),
        "language": _one(rec, "%G"),
        "type": _TYPES.get(kind, doc_type(kind) if kind else None),
        **_ids(_one(rec, "%M"), _one(rec, "%F")),
    }


def _ids(accession: str | None, label: str | None) -> dict[str, str]:
    """A WoS accession number is database-wide; any other number or label is the library's."""
    if accession and accession.upper().startswith(("WOS:", "ISI:")):
        return {"source": "webofscience", "source_id": "WOS:" + accession[4:]}
    return id_fields(None, accession or label)


FORMATS = [Format("endnote-tagged", "EndNote tagged (.enw)", None, sniff, parse)]
