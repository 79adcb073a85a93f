"""Publish or Perish exports of Google Scholar results, CSV and JSON.

Scholar's cluster id (`GS:<id>`, from `uid` or the `cites=` link) is the source id.
Publish or Perish writes 0 for unknown volume, issue and pages; those are dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from slr.errors import ImportError_
from slr.formats import Format
from slr.formats.common import Document, Entry, int_or_none, pages
from slr.formats.ids import id_fields
from slr.formats.table import header_keys, parse_rows

_CLUSTER = re.compile(r"cites=(\d+)")
_TYPES = {"book": "book", "citation": None, "pdf": None, "html": None}


def _nonzero(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return None if text in ("", "0") else text


def _gs_id(uid: Any, cites_url: Any) -> str | None:
    if uid:
        return str(uid)
    m = _CLUSTER.search(str(cites_url or ""))
    return f"GS:{m.group(1)}" if m else None


def _fields(get: Any, authors: list[str]) -> dict[str, Any]:
    kind = (get("type") or "").strip().lower()
    return {
        "title": get("title"),
        "authors": authors,
        "year": _nonzero(get("year")),
        "venue": get("source"),
        "publisher": get("publisher"),
        "url": get("article_url") or get("articleurl"),
        "oa_url": get("fulltext_url") or get("fulltexturl"),
        "abstract": get("abstract"),
        "doi": get("doi"),
        "volume": _nonzero(get("volume")),
        "issue": _nonzero(get("issue")),
        "pages": pages(_nonzero(get("startpage")), _nonzero(get("endpage"))),
        "type": _TYPES.get(kind, "other" if kind else None),
        "extra": {
            "cited_by": int_or_none(get("cites")),
            "rank": int_or_none(get("rank") or get("gsrank")),
        },
        "source": "google-scholar",
        **id_fields("google-scholar", _gs_id(get("uid"), get("cites_url") or get("citesurl"))),
    }


# ------------------------------------------------------------------ CSV

_CSV_COLUMNS = {"cites", "authors", "title", "year", "source"}


def columns(keys: set[str]) -> bool:
    """Publish or Perish's CSV header (Cites, Authors, Title, Year, Source, ..., GSRank)."""
    return _CSV_COLUMNS <= keys and ("gsrank" in keys or "citesurl" in keys or "articleurl" in keys)


def row(cells: dict[str, str]) -> dict[str, Any]:
    """Record fields from one Publish or Perish CSV row."""
    return _fields(cells.get, _authors(cells.get("authors")))


def _authors(value: str | None) -> list[str]:
    """Scholar names are `W Guo, D Straub`: initials first, so every comma separates."""
    return [a.strip() for a in (value or "").split(",") if a.strip()]


def sniff_csv(doc: Document) -> int:
    """High for Publish or Perish's column names."""
    return 95 if columns(header_keys(doc)) else 0


def parse_csv(doc: Document) -> Iterator[Entry]:
    """Entries of a Publish or Perish CSV export."""
    return parse_rows(doc, row)


# ------------------------------------------------------------------ JSON


def sniff_json(doc: Document) -> int:
    """A JSON list of objects with Scholar's keys."""
    head = doc.head.lstrip()
    if not head.startswith(("[", "{")):
        return 0
    return (
        95
        if '"title"' in head and ('"cites"' in head or '"GS:' in head or '"article_url"' in head)
        else 0
    )


def parse_json(doc: Document) -> Iterator[Entry]:
    """Entries of a Publish or Perish JSON export; each located by the line it starts on."""
    for line, item in iter_array(doc):
        if not isinstance(item, dict):
            yield Entry(line, problem="not a JSON object; entry skipped")
            continue
        authors = item.get("authors") or []
        names = _authors(authors) if isinstance(authors, str) else [str(a) for a in authors]
        yield Entry(line, _fields(item.get, names))


def iter_array(doc: Document) -> Iterator[tuple[int, Any]]:
    """(line, element) for each element of a top-level JSON array; a broken element ends
    the file with a problem naming its line (the elements before it are kept)."""
    text = doc.text
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if pos < len(text) and text[pos] == "{":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportError_(f"{doc.name}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        items = obj.get("results") or obj.get("items") or obj.get("records") or [obj]
        for item in items:
            yield 1, item
        return
    if pos >= len(text) or text[pos] != "[":
        raise ImportError_(f"{doc.name}:1: expected a JSON list of records")
    pos = _skip(text, pos + 1)
    line, counted = 1, 0
    while pos < len(text) and text[pos] != "]":
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _Truncated(exc.lineno, exc.msg) from None
        yield line, item
        pos = _skip(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)


class _Truncated(ImportError_):
    def __init__(self, line: int, msg: str) -> None:
        super().__init__(msg)
        self.line = line


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def parse_json_safe(doc: Document) -> Iterator[Entry]:
    """parse_json, turning a broken element into a reported, skipped entry."""
    try:
        yield from parse_json(doc)
    except _Truncated as exc:
        yield Entry(
            exc.line, problem=f"not valid JSON ({exc.args[0]}); this and any later entries skipped"
        )


FORMATS = [
    Format(
        "pop-csv",
        "Publish or Perish CSV",
        "google-scholar",
        sniff_csv,
        parse_csv,
        columns=columns,
        row=row,
    ),
    Format("pop-json", "Publish or Perish JSON", "google-scholar", sniff_json, parse_json_safe),
]
