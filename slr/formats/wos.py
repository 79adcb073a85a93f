"""Web of Science exports: tagged plain text (`PT J` ... `ER`) and tab-delimited (savedrecs).

Both carry the same two-letter field tags; the plain text puts one author or cited
reference per (3-space indented) line, the tab-delimited file separates them with `; `.
The source id is the accession number (`UT`, `WOS:...`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from slr.formats import Format
from slr.formats.common import Document, Entry, doc_type, int_or_none, normalise_doi, pages
from slr.formats.table import header_keys, parse_rows
from slr.formats.tagged import Layout, entries

_SNIFF = re.compile(r"^(?:FN |PT [A-Z]\s*$)", re.MULTILINE)
_PT = {"J": "article", "B": "book", "S": "article", "P": "other"}
_REF_DOI = re.compile(r"\bDOI\s+\[?(10\.\d{4,9}/[^\s,\]]+)")
_MULTI = {"AU", "AF", "CR", "C1", "BE", "CA", "GP"}  # one value per line in plain text


def sniff_plain(doc: Document) -> int:
    """High for `FN Clarivate...`/`PT J` files with `ER` lines."""
    head = doc.head
    if _SNIFF.search(head) and re.search(r"^ER\s*$", head, re.MULTILINE):
        return 95
    return 0


def _tag(line: str) -> tuple[str, str] | None:
    head = line[:2]
    if not head.strip() or (len(line) > 2 and line[2] != " "):
        return None
    return head, line[3:].strip()


PLAIN = Layout(
    _tag,
    lambda line: line.startswith("   "),
    None,  # an indented line is the next author or cited reference
    start="PT",
    end="ER",
    start_label="'PT'",
    end_label="'ER'",
)


def parse_plain(doc: Document) -> Iterator[Entry]:
    """Entries of a tagged plain-text export."""
    return entries(doc, PLAIN, _plain_fields)


def _plain_fields(rec: dict[str, list[str]]) -> dict[str, Any]:
    def values(tag: str) -> list[str]:
        return _lines(rec, tag)

    def text(tag: str) -> str:
        return " ".join(rec.get(tag, ()))

    return _fields(values, text)


def _lines(rec: dict[str, list[str]], tag: str) -> list[str]:
    values = rec.get(tag, [])
    if tag in _MULTI:
        return values
    return [v for v in " ".join(values).split("; ") if v.strip()]


def _fields(values: Callable[[str], list[str]], text: Callable[[str], str]) -> dict[str, Any]:
    """Record fields from WoS tags; `values` gives list items, `text` a whole value."""
    refs: list[str] = []
    for cited in values("CR"):
        for m in _REF_DOI.finditer(cited):
            doi = normalise_doi(m.group(1))
            if doi and doi not in refs:
                refs.append(doi)
    bp, ep = text("BP").strip(), text("EP").strip()
    out: dict[str, Any] = {
        "title": text("TI"),
        "authors": values("AF") or values("AU") or values("CA"),
        "year": text("PY") or text("EA") or text("PD"),
        "venue": text("SO") or text("SE"),
        "doi": text("DI") or text("D2"),
        "abstract": text("AB"),
        "keywords": [k.strip() for k in values("DE") + values("ID")],
        "type": doc_type(text("DT")) or _PT.get(text("PT").strip()),
        "language": text("LA"),
        "volume": text("VL"),
        "issue": text("IS"),
        "pages": pages(bp, ep) if bp else text("AR"),
        "publisher": text("PU"),
        "references": tuple(refs),
        "extra": {
            "issn": text("SN"),
            "cited_by": int_or_none(text("TC")),
            "pmid": text("PM"),
        },
        "source": "webofscience",
    }
    ut = text("UT").strip()
    if ut:
        out["source_id"] = ut
    return out


# ------------------------------------------------------------------ tab-delimited

_TAB_COLUMNS = {"pt", "au", "ti", "so", "ut"}


def columns(keys: set[str]) -> bool:
    """The header of a savedrecs table: two-letter tags PT, AU, TI, SO, UT, ..."""
    return _TAB_COLUMNS <= keys


def row(cells: dict[str, str]) -> dict[str, Any]:
    """Record fields from one tab-delimited row (keys are lower-case tags)."""

    def values(tag: str) -> list[str]:
        return [v.strip() for v in cells.get(tag.lower(), "").split(";") if v.strip()]

    def text(tag: str) -> str:
        return cells.get(tag.lower(), "")

    return _fields(values, text)


def sniff_tab(doc: Document) -> int:
    """High for a tab-separated header of WoS tags."""
    return 96 if "\t" in doc.head[:2000] and columns(header_keys(doc)) else 0


def parse_tab(doc: Document) -> Iterator[Entry]:
    """Entries of a tab-delimited export: cells are never quoted, a `"` is text."""
    return parse_rows(doc, row, quoted=False)


FORMATS = [
    Format("wos", "Web of Science plain text", "webofscience", sniff_plain, parse_plain),
    Format(
        "wos-tab",
        "Web of Science tab-delimited",
        "webofscience",
        sniff_tab,
        parse_tab,
        columns=columns,
        row=row,
    ),
]
