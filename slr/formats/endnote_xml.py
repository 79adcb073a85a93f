"""EndNote XML (`<xml><records><record>...`), as EndNote's "Export > XML" writes it.

Text sits in `<style>` wrappers and may be pretty-printed across lines; it is joined and
whitespace-collapsed. The accession number (`ISI:...`, a PMID, ...) is the source id when
present, else EndNote's record number. A parse error keeps the records before it.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from slr.formats import Format
from slr.formats.common import Document, Entry, doc_type
from slr.formats.ids import id_fields

_TYPES = {
    "journal article": "article",
    "electronic article": "article",
    "magazine article": "article",
    "conference proceedings": "conference-paper",
    "conference paper": "conference-paper",
    "book section": "book-chapter",
    "electronic book section": "book-chapter",
    "book": "book",
    "edited book": "book",
    "electronic book": "book",
    "generic": None,
}
_RECORD_START = re.compile(r"<record[\s>]")


def sniff(doc: Document) -> int:
    """High for an XML document with EndNote's `<records><record>` layout."""
    head = doc.head.lstrip()
    if head.startswith("<") and "<records>" in head and _RECORD_START.search(head):
        return 95
    return 0


def _text(el: ET.Element | None) -> str | None:
    if el is None:
        return None
    text = " ".join("".join(el.itertext()).split())
    return text or None


def parse(doc: Document) -> Iterator[Entry]:
    """Entries of an EndNote XML file; each located by the line of its `<record>`."""
    text = doc.text
    lines = []
    counted, line = 0, 1
    for m in _RECORD_START.finditer(text):
        line += text.count("\n", counted, m.start())
        counted = m.start()
        lines.append(line)
    index = 0
    parser = ET.iterparse(io.StringIO(text), events=("end",))
    try:
        for _, el in parser:
            if el.tag != "record":
                continue
            at = lines[index] if index < len(lines) else index + 1
            index += 1
            yield Entry(at, _fields(el))
            el.clear()
    except ET.ParseError as exc:
        row = exc.position[0]
        yield Entry(
            row,
            problem=f"XML error ({exc.msg if hasattr(exc, 'msg') else exc}); the rest of the file is skipped",
        )


def _fields(rec: ET.Element) -> dict[str, Any]:
    ref_type = rec.find("ref-type")
    kind_name = (ref_type.get("name") or "").lower() if ref_type is not None else ""
    url = next(
        (
            u
            for u in (_text(e) for e in rec.iterfind("urls/related-urls/url"))
            if u and u.startswith("http")
        ),
        None,
    )
    accession = _text(rec.find("accession-num"))
    out: dict[str, Any] = {
        "title": _text(rec.find("titles/title")),
        "authors": [
            t for t in (_text(a) for a in rec.iterfind("contributors/authors/author")) if t
        ],
        "venue": _text(rec.find("titles/secondary-title"))
        or _text(rec.find("periodical/full-title")),
        "year": _text(rec.find("dates/year")),
        "pages": _text(rec.find("pages")),
        "volume": _text(rec.find("volume")),
        "issue": _text(rec.find("number")),
        "abstract": _text(rec.find("abstract")),
        "keywords": [t for t in (_text(k) for k in rec.iterfind("keywords/keyword")) if t],
        "doi": _text(rec.find("electronic-resource-num")),
        "url": url,
        "language": _text(rec.find("language")),
        "publisher": _text(rec.find("publisher")),
        "type": _TYPES.get(kind_name, doc_type(kind_name) if kind_name else None),
        "extra": {"isbn": _text(rec.find("isbn"))},
    }
    if accession and accession.upper().startswith(("ISI:", "WOS:")):
        out["source"], out["source_id"] = "webofscience", "WOS:" + accession[4:]
    else:
        out.update(id_fields(None, accession or _text(rec.find("rec-number"))))
    return out


FORMATS = [Format("endnote-xml", "EndNote XML", None, sniff, parse)]
