"""PubMed MEDLINE text (`PMID- `, `TI  - `, six-space continuation lines), as PubMed's
"Save > PubMed format" and `.nbib` downloads write it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slr.formats import Format
from slr.formats.common import Document, Entry
from slr.formats.tagged import Layout, entries, first

_SNIFF = re.compile(r"^PMID- ?\d", re.MULTILINE)
_JOINED = {"TI", "AB", "JT", "TA", "DP", "PG", "VI", "IP", "PB", "BTI", "CI", "SO"}
_REVIEW = {"review", "systematic review", "meta-analysis", "scoping review"}
_OTHER = {"editorial", "letter", "comment", "news", "published erratum", "retraction notice"}


def sniff(doc: Document) -> int:
    """High when a line starts with `PMID- `."""
    return 95 if _SNIFF.search(doc.head) else 0


def _tag(line: str) -> tuple[str, str] | None:
    return (line[:4].strip(), line[5:].strip()) if len(line) >= 5 and line[4] == "-" else None


LAYOUT = Layout(_tag, lambda line: line.startswith("      "), " ", start="PMID")


def parse(doc: Document) -> Iterator[Entry]:
    """Entries of a MEDLINE file; each record starts at its `PMID-` line."""
    return entries(doc, LAYOUT, _fields)


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
    retraction = [f"pubmed RIN: {v}" for v in rec.get("RIN", ())]
    if "retracted publication" in kinds:
        retraction.insert(0, "pubmed publication type: Retracted Publication")
    return {
        "retraction": retraction,
        "title": first(rec, "TI", "BTI"),
        "abstract": " ".join(rec.get("AB", ())) or None,
        "authors": rec.get("FAU") or rec.get("AU") or [],
        "year": first(rec, "DP"),
        "venue": first(rec, "JT", "TA"),
        "volume": first(rec, "VI"),
        "issue": first(rec, "IP"),
        "pages": first(rec, "PG"),
        "doi": doi,
        "language": first(rec, "LA"),
        "keywords": rec.get("OT", []) + rec.get("MH", []),
        "publisher": first(rec, "PB"),
        "type": kind,
        "url": f"https://pubmed.ncbi.nlm.nih.gov/{first(rec, 'PMID')}/",
        "extra": {"issn": first(rec, "IS"), "pmcid": first(rec, "PMC")},
        "source": "pubmed",
        "source_id": first(rec, "PMID"),
    }


FORMATS = [Format("pubmed", "PubMed MEDLINE", "pubmed", sniff, parse)]
