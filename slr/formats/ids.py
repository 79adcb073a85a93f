"""Which record ids are database-wide, and which are only local to one file.

A Scopus EID, a Web of Science UT, a PMID, an OpenAlex or Semantic Scholar id, an arXiv id
or a DOI names one work in the whole database, so two files that share it hold the same
record. A BibTeX key, a RIS `ID`, a CSV `id` column or an EndNote record number only
names an entry inside its file. Parsers give the first as `source_id` and the second as
`local_id`; the importer scopes a local id to its file so it never merges two records.
"""

from __future__ import annotations

import re

# Ids that slr itself made unique: `<12 hex digits of the file's sha256>-<local id>`.
SCOPED = re.compile(r"^[0-9a-f]{12}-.")

_PATTERNS = {
    "scopus": re.compile(r"^2-s2\.0-\d+$"),
    "webofscience": re.compile(r"^(?:WOS|ISI):\S+$"),
    "pubmed": re.compile(r"^\d{1,9}$"),
    "openalex": re.compile(r"^W\d+$"),
    "semanticscholar": re.compile(r"^(?:[0-9a-f]{40}|CorpusId:\d+)$"),
    "arxiv": re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$"),
    "ieee": re.compile(r"^\d+$"),
    "dblp": re.compile(r"^[a-z]+/[^/\s]+/\S+$"),
    "google-scholar": re.compile(r"^GS:\d+$"),
}
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
# Patterns that say what an id is wherever it appears (a bare number says nothing).
_DISTINCTIVE = ("scopus", "webofscience", "openalex", "semanticscholar", "arxiv")


def database_id(source: str | None, sid: str | None, distinctive: bool = False) -> bool:
    """True when `sid` has the shape of a database-wide id of `source` (or of a DOI, or of
    an id slr already scoped to its file). `distinctive` ignores shapes as plain as a
    number, for fields where a reference manager puts its own running numbers (RIS `ID`)."""
    if not sid:
        return False
    if SCOPED.match(sid) or _DOI.match(sid):
        return True
    if distinctive:
        return any(_PATTERNS[name].match(sid) for name in _DISTINCTIVE)
    pattern = _PATTERNS.get(source or "")
    return bool(pattern and pattern.match(sid))


def id_fields(source: str | None, sid: str | None, distinctive: bool = False) -> dict[str, str]:
    """`{"source_id": sid}` for a database-wide id, `{"local_id": sid}` otherwise."""
    if not sid:
        return {}
    return {"source_id" if database_id(source, sid, distinctive) else "local_id": sid}
