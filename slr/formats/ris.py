"""RIS (`TY  - ` ... `ER  - `), as Scopus, Web of Science, Zotero, EndNote, Rayyan, Ovid,
ProQuest, EBSCO, Embase and ScienceDirect write it.

Untagged lines continue the previous tag's value (a new keyword for `KW`, as Rayyan writes
them). Repeated tags accumulate. Text between records (Ovid's numbering, its links) is
ignored. A record without its `ER  - ` line is reported and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from slr.formats import Format
from slr.formats.cochrane import database_of
from slr.formats.common import (
    Document,
    Entry,
    doc_type,
    pages,
    scopus_eid,
    source_for,
)
from slr.formats.ids import database_id, id_fields
from slr.formats.tagged import Layout, entries
from slr.records import Record

_LOOSE_TAG = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*))?$")
_SNIFF = re.compile(r"^TY {1,2}- {0,2}\w", re.MULTILINE)  # Cochrane: `TY  -  JOUR`
_TYPES = {
    "JOUR": "article",
    "JFULL": "article",
    "EJOUR": "article",
    "MGZN": "article",
    "INPR": "article",
    "ABST": "article",
    "CONF": "conference-paper",
    "CPAPER": "conference-paper",
    "CHAP": "book-chapter",
    "ECHAP": "book-chapter",
    "BOOK": "book",
    "EBOOK": "book",
    "EDBOOK": "book",
    "UNPB": "preprint",
    "GEN": None,
}
_EXPORT_TYPES = {
    "article": ("JOUR", None),
    "review": ("JOUR", "review"),
    "conference-paper": ("CONF", None),
    "book-chapter": ("CHAP", None),
    "book": ("BOOK", None),
    "preprint": ("UNPB", None),
    "other": ("GEN", "other"),
    None: ("GEN", None),
}
# Scopus RIS puts its document type on a line of its own inside a note (`U3`/`N1`).
_SCOPUS_TYPES = {
    "article",
    "conference paper",
    "review",
    "book chapter",
    "book",
    "editorial",
    "letter",
    "note",
    "erratum",
    "conference review",
    "short survey",
    "data paper",
}


def sniff(doc: Document) -> int:
    """High when a line starts with `TY  - `."""
    if not _SNIFF.search(doc.head):
        return 0
    return 95 if doc.ext == "ris" else 90


def _tag(line: str) -> tuple[str, str] | None:
    if line[2:5] == "  -" and line[:2].isalnum() and line[:2].isupper():
        return line[:2], line[6:].strip()
    if line[2:4] == " -" and (m := _LOOSE_TAG.match(line)):
        return m.group(1), (m.group(2) or "").strip()
    return None


LAYOUT = Layout(
    _tag,
    lambda line: bool(line.strip()),
    "\n",
    start="TY",
    end="ER",
    new_values=frozenset({"KW"}),  # Rayyan writes one keyword a line under one KW tag
    start_label="'TY  - '",
    end_label="'ER  - '",
)


def parse(doc: Document) -> Iterator[Entry]:
    """Entries of a RIS file."""
    return entries(doc, LAYOUT, _record_fields)


def _one(rec: dict[str, list[str]], *tags: str) -> str | None:
    for tag in tags:
        for value in rec.get(tag, ()):
            if value:
                return value
    return None


def _record_fields(rec: dict[str, list[str]]) -> dict[str, Any]:
    authors: list[str] = []
    for tag in ("AU", "A1"):
        for name in rec.get(tag, ()):
            if name and (not authors or authors[-1] != name):  # IEEE repeats AU lines
                authors.append(name)
    url = _one(rec, "UR", "L2")
    if url:
        url = url.split()[0].rstrip(";")
        if url.startswith("//"):
            url = "https:" + url
    m3 = _one(rec, "M3")
    doi = _one(rec, "DO") or (m3 if m3 and m3.startswith("10.") else None)
    kind = doc_type(m3) if m3 and not m3.startswith("10.") else None
    if kind is None or (kind == "other" and m3 and m3.lower() != "other"):
        kind = _scopus_type(rec) or _TYPES.get(_one(rec, "TY") or "", "other")
    out: dict[str, Any] = {
        "type": kind,
        "title": _one(rec, "TI", "T1", "CT", "BT", "ST"),
        "authors": authors,
        "year": _one(rec, "PY", "Y1", "DA", "Y2"),
        "venue": _one(rec, "T2", "JF", "JO", "J2", "JA", "T3"),
        "abstract": _one(rec, "AB", "N2"),
        "doi": doi,
        "keywords": [k for k in rec.get("KW", ()) if k],
        "url": url,
        "volume": _one(rec, "VL", "VO"),
        "issue": _one(rec, "IS", "CP"),
        "pages": pages(_one(rec, "SP"), _one(rec, "EP")),
        "publisher": _one(rec, "PB"),
        "language": _one(rec, "LA"),
    }
    issn = _one(rec, "SN")
    if issn:
        out["extra"] = {"issn": issn}
    # DB names the database (`Embase`, ProQuest's `PTSDpubs`), DP the platform (`EBSCOhost`).
    db_name = _database_name(_one(rec, "DB"))
    source = (
        source_for(db_name, loose=True)
        or source_for(_one(rec, "DP"))
        or (_slug(db_name) if db_name else None)
    )
    if db_name and source and source_for(source) is None:
        out.setdefault("extra", {})["database"] = db_name  # an unknown database, as it names itself
    accession = _one(rec, "AN")
    if accession:
        accession = accession.split(";")[0].strip()  # ProQuest: `AN  - 2214991469; 51887`
    local = _one(rec, "ID")  # a reference manager's own number for the entry
    if (accession and accession.upper().startswith("WOS:")) or "WE" in rec:  # WE: WoS index
        source = source or "webofscience"
    if accession and database_of(
        accession
    ):  # Cochrane: `AN  -  CN-00778158` (CENTRAL) or a CD... review
        source = source or "cochrane"
    eid = scopus_eid(url)
    if eid and not accession:
        source, accession = source or "scopus", eid
    if source:
        out["source"] = source
    if accession and (source or database_id(None, accession, distinctive=True)):
        out["source_id"] = accession  # an accession number is unique in its database
    elif accession or local:
        out.update(id_fields(source, accession or local, distinctive=True))
    return out


def _database_name(name: str | None) -> str | None:
    """Ovid adds the coverage and a mark: `Ovid MEDLINE(R) <1946 to June 2024>` -> `MEDLINE`."""
    if not name:
        return None
    name = re.sub(r"\s*<[^>]*>\s*$", "", name)
    name = re.sub(r"\((?:R|TM)\)", "", name)
    name = re.sub(r"^Ovid\s+", "", name, flags=re.IGNORECASE).strip()
    return name or None


def _slug(name: str) -> str | None:
    """`PTSDpubs` -> `ptsdpubs`: a database the file names, as a source name."""
    slug = "-".join(re.findall(r"[a-z0-9]+", name.lower()))
    return slug or None


def _scopus_type(rec: dict[str, list[str]]) -> str | None:
    for tag in ("U3", "N1"):
        for value in rec.get(tag, ()):
            for note_line in value.split("\n")[1:]:
                if note_line.strip().lower() in _SCOPUS_TYPES:
                    return doc_type(note_line.strip())
    return None


def dump(records: Sequence[Record]) -> str:
    """RIS that reference managers read; `DB` and `ID` carry the record's source and id."""
    return "\n".join(_dump_one(r) for r in records)


def _dump_one(r: Record) -> str:
    code, m3 = _EXPORT_TYPES.get(r.type, ("GEN", r.type))
    first_page, sep, last_page = (r.pages or "").partition("-")
    split = bool(sep and first_page and last_page)
    tags: list[tuple[str, str | None]] = [
        ("TY", code),
        ("DB", r.source),
        ("ID", r.source_id),
        ("TI", r.title),
        *(("AU", name) for name in r.authors),
        ("PY", str(r.year) if r.year else None),
        ("T2", r.venue),
        ("VL", r.volume),
        ("IS", r.issue),
        ("SP", first_page if split else r.pages),
        ("EP", last_page if split else None),
        ("PB", r.publisher),
        ("DO", r.doi),
        ("UR", r.url),
        ("LA", r.language),
        ("M3", m3),
        *(("KW", keyword) for keyword in r.keywords),
        ("AB", r.abstract),
    ]
    lines = [f"{tag}  - {value}" for tag, value in tags if value]
    return "\n".join(lines) + "\nER  - \n"


FORMATS = [Format("ris", "RIS", None, sniff, parse, dump=dump)]
