"""PubMed MEDLINE text (`PMID- `, `TI  - `, six-space continuation lines), as PubMed's
"Save > PubMed format" and `.nbib` downloads write it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slr.formats import Format
from slr.formats.common import Document, Entry

_SNIFF = re.compile(r"^PMID- ?\d", re.MULTILINE)
_JOINED = {"TI", "AB", "JT", "TA", "DP", "PG", "VI", "IP", "PB", "BTI", "CI", "SO"}
_REVIEW = {"review", "systematic review", "meta-analysis", "scoping review"}
_OTHER = {"editorial", "letter", "comment", "news", "published erratum", "retraction notice"}


def sniff(doc: Document) -> int:
    """High when a line starts with `PMID- `."""
    return 95 if _SNIFF.search(doc.head) else 0


def parse(doc: Document) -> Iterator[Entry]:
    """Entries of a MEDLINE file; each record starts at its `PMID-` line."""
    rec: dict[str, list[str]] | None = None
    start = 0
    tag = ""
    for number, line in enumerate(doc.text.split("\n"), start=1):
        if line.startswith("      ") and rec is not None and tag:
            rec[tag][-1] += " " + line.strip()
            continue
        if len(line) < 5 or line[4] != "-":
            continue
        tag = line[:4].strip()
        value = line[5:].strip()
        if tag == "PMID":
            if rec is not None:
                yield Entry(start, _fields(rec))
            rec, start = {}, number
        if rec is not None:
            rec.setdefault(tag, []).append(value)
    if rec is not None:
        yield Entry(start, _fields(rec))


def _one(rec: dict[str, list[str]], *tags: str) -> str | None:
    for tag in tags:
        if rec.get(tag):
            return rec[tag][0]
    return None


def _fields(rec: dict[str, list[str]]) -> dict[str, Any]:
    doi = next(
        (
            v[: -len("[doi]")].strip()
            for v in rec.get("LID", []) + rec.get("AID", [])
            if v.endswith("[doi]")
        ),
        None,
    )
    kinds = {v.lower() for v in rec.get("PT", ())}
    if kinds & _REVIEW:
        kind = "review"
    elif "preprint" in kinds:
        kind = "preprint"
    elif kinds and kinds <= _OTHER | {"journal article"} and kinds & _OTHER:
        kind = "other"
    else:
        kind = "article"
    return {
        "title": _one(rec, "TI", "BTI"),
        "abstract": " ".join(rec.get("AB", ())) or None,
        "authors": rec.get("FAU") or rec.get("AU") or [],
        "year": _one(rec, "DP"),
        "venue": _one(rec, "JT", "TA"),
        "volume": _one(rec, "VI"),
        "issue": _one(rec, "IP"),
        "pages": _one(rec, "PG"),
        "doi": doi,
        "language": _one(rec, "LA"),
        "keywords": rec.get("OT", []) + rec.get("MH", []),
        "publisher": _one(rec, "PB"),
        "type": kind,
        "url": f"https://pubmed.ncbi.nlm.nih.gov/{_one(rec, 'PMID')}/",
        "extra": {"issn": _one(rec, "IS"), "pmcid": _one(rec, "PMC")},
        "source": "pubmed",
        "source_id": _one(rec, "PMID"),
    }


FORMATS = [Format("pubmed", "PubMed MEDLINE", "pubmed", sniff, parse)]
