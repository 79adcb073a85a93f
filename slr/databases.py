"""The databases a protocol may name: those searched through an API, and manual ones.

Part of the core (the protocol loader checks names against it) so that it imports nothing:
`slr.sources` holds one module per fetched database, and a contract test checks that its
registry names exactly `FETCHED`.
"""

from __future__ import annotations

FETCHED = (
    "openalex",
    "crossref",
    "scopus",
    "sciencedirect",
    "arxiv",
    "semanticscholar",
    "pubmed",
    "ieee",
    "dblp",
)
# Databases without a usable API: a protocol may list them; records come in by `slr import`.
# Each hint names the database's own export route and the import command that reads it.
MANUAL_HINTS = {
    "google-scholar": "manual: import a Publish or Perish export (search Google Scholar in "
    "Publish or Perish, save the results as CSV or JSON) with "
    "slr import FILE --source google-scholar",
    "webofscience": "manual: in Web of Science, Export > Plain text file or Tab delimited "
    "file (Full Record), then slr import FILE --source webofscience",
    "embase": "manual: in Embase (embase.com), Export the results as RIS, then "
    "slr import FILE --source embase",
    "psycinfo": "manual: in APA PsycInfo (on EBSCOhost or Ovid), Export the results as RIS, "
    "then slr import FILE --source psycinfo",
    "acm": "manual: in the ACM Digital Library, select the results, Export Citations > "
    "BibTeX, then slr import FILE --source acm",
    "springer": "manual: on SpringerLink, Download search results (CSV), then "
    "slr import FILE --source springer",
    "ebsco": "manual: in EBSCOhost, Export the results as RIS, then slr import FILE --source ebsco",
    "cochrane": "manual: in the Cochrane Library, Export selected citations as plain text or "
    "RIS, then slr import FILE --source cochrane",
}
MANUAL = tuple(MANUAL_HINTS)


def manual_hint(name: str) -> str:
    """How records of a database without an API come in: its export route, then slr import."""
    return MANUAL_HINTS.get(
        name, f"manual: export the results, then slr import FILE --source {name}"
    )


def known_source_names() -> tuple[str, ...]:
    """Every name a protocol may list under `search.sources`."""
    return FETCHED + MANUAL
