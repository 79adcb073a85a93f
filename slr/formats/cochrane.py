"""Cochrane Library exports: the plain-text citation export and the CENTRAL CSV.

The plain text numbers each record (`Record #1 of 18`) and tags its lines `ID: `, `AU: `,
`TI: `, `SO: `, `YR: `, `VL: `, `NO: `, `PG: `, `XR: `, `PT: `, `KY: `, `DOI: `, `AB: `,
`US: `; an untagged line continues the previous value. The id says which Cochrane database
a record is from: `CN-...` is CENTRAL (trials), `CD...` the Cochrane Database of Systematic
Reviews. Both are imported with the source `cochrane`, the database kept in `extra`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slr.formats import Format
from slr.formats.common import Document, Entry, doc_type, split_authors, split_list
from slr.formats.table import header_keys, parse_rows

_RECORD = re.compile(r"^Record #\d+ of \d+\s*$")
_SNIFF_RECORD = re.compile(r"^Record #\d+ of \d+\s*$", re.MULTILINE)
_SNIFF_TAG = re.compile(r"^(?:ID|TI|AU): ", re.MULTILINE)
_TAG = re.compile(r"^([A-Z]{2}|DOI): ?(.*)$")
# Tags Cochrane writes; inside an abstract only these start a new field, so a structured
# abstract's `AIM: ...` line stays part of the abstract.
_TAGS = {
    "ID", "AU", "TI", "SO", "YR", "VL", "NO", "PG", "XR", "PM", "EM", "PT", "KY", "DOI",
    "US", "AB", "CC", "PB", "IS", "SN", "ED", "LA", "CT", "DT", "NT",
}  # fmt: skip
_XREF = re.compile(r"\b(PUBMED|EMBASE|CTGOV|CINAHL|ICTRP)\s+(\S+)", re.IGNORECASE)


def database_of(identifier: str | None, doi: str | None = None) -> str | None:
    """`CENTRAL` for a `CN-` id, `CDSR` for a review (`CD...` id or a 14651858 DOI)."""
    ident = (identifier or "").strip().upper()
    if ident.startswith("CN-"):
        return "CENTRAL"
    if re.match(r"^CD\d{6}", ident) or "14651858" in (doi or ""):
        return "CDSR"
    return None


def sniff(doc: Document) -> int:
    """High for `Record #1 of N` followed by `ID: `/`TI: ` lines."""
    head = doc.head
    return 96 if _SNIFF_RECORD.search(head) and _SNIFF_TAG.search(head) else 0


def parse(doc: Document) -> Iterator[Entry]:
    """Entries of a plain-text export; each record starts at its `Record #` line."""
    rec: dict[str, list[str]] | None = None
    start = 0
    tag = ""
    preamble: list[str] = []
    for number, line in enumerate(doc.text.split("\n"), start=1):
        if _RECORD.match(line):
            if rec:
                yield Entry(start, _fields(rec))
            rec, start, tag = {}, number, ""
            continue
        if rec is None:
            if line.strip():
                preamble.append(line.strip())
            continue
        m = _TAG.match(line)
        if m and (m.group(1) in _TAGS or tag != "AB"):
            tag = m.group(1)
            rec.setdefault(tag, []).append(m.group(2).strip())
        elif line.strip() and tag:
            rec[tag][-1] += "\n" + line.strip()
    if rec:
        yield Entry(start, _fields(rec))
    if preamble:
        doc.meta["preamble"] = preamble


def _one(rec: dict[str, list[str]], tag: str) -> str | None:
    return next((v for v in rec.get(tag, ()) if v), None)


def _fields(rec: dict[str, list[str]]) -> dict[str, Any]:
    authors = rec.get("AU", [])
    if len(authors) == 1:  # older exports: `AU: Smith J; Jones K` on one line
        authors = split_authors(authors[0])
    ident = _one(rec, "ID")
    doi = _one(rec, "DOI")
    refs = {k.lower(): v for k, v in _XREF.findall(" ".join(rec.get("XR", []) + rec.get("PM", [])))}
    database = database_of(ident, doi)
    kind = doc_type(_one(rec, "PT"))
    if database == "CDSR":
        kind = "review"
    return {
        "title": _one(rec, "TI"),
        "authors": authors,
        "year": _one(rec, "YR"),
        "venue": _one(rec, "SO"),
        "volume": _one(rec, "VL"),
        "issue": _one(rec, "NO"),
        "pages": _one(rec, "PG"),
        "doi": doi,
        "url": _one(rec, "US"),
        "abstract": " ".join(rec.get("AB", [])) or None,
        "keywords": [k for v in rec.get("KY", []) for k in split_list(v)],
        "publisher": _one(rec, "PB"),
        "language": _one(rec, "LA"),
        "type": kind,
        "extra": {
            "database": database,
            "pmid": refs.get("pubmed"),
            "embase": refs.get("embase"),
            "issn": _one(rec, "SN") or _one(rec, "IS"),
        },
        "source": "cochrane",
        "source_id": ident,
    }


# ------------------------------------------------------------------ CENTRAL CSV


def columns(keys: set[str]) -> bool:
    """The CENTRAL CSV names its id column `CENTRAL ID`."""
    return "central id" in keys and "title" in keys


def row(c: dict[str, str]) -> dict[str, Any]:
    """Record fields from one row of a CENTRAL CSV export."""
    ident = c.get("central id", "").strip()
    return {
        "title": c.get("title"),
        "authors": split_authors(c.get("author s") or c.get("authors")),
        "year": c.get("year"),
        "venue": c.get("source"),
        "volume": c.get("volume"),
        "issue": c.get("issue"),
        "pages": c.get("pages"),
        "abstract": c.get("abstract"),
        "doi": c.get("doi"),
        "url": c.get("url"),
        "keywords": split_list(c.get("keywords")),
        "type": doc_type(c.get("publication type")),
        "extra": {
            "database": database_of(ident) or c.get("database name"),
            "pmid": _number(c.get("pubmed id")),
            "embase": _number(c.get("embase id")),
        },
        "source": "cochrane",
        "source_id": ident or None,
    }


def _number(value: str | None) -> str | None:
    """`PUBMED 21314913` -> `21314913`, as the CENTRAL CSV prefixes its cross-references."""
    return value.split()[-1] if value and value.strip() else None


def sniff_csv(doc: Document) -> int:
    """High for a header with `CENTRAL ID` and `Title`."""
    return 95 if columns(header_keys(doc)) else 0


def parse_csv(doc: Document) -> Iterator[Entry]:
    """Entries of a CENTRAL CSV export."""
    return parse_rows(doc, row)


FORMATS = [
    Format("cochrane", "Cochrane Library plain text", "cochrane", sniff, parse),
    Format(
        "cochrane-csv",
        "Cochrane CENTRAL CSV",
        "cochrane",
        sniff_csv,
        parse_csv,
        columns=columns,
        row=row,
    ),
]
