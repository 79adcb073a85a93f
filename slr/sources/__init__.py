"""Search sources: one module per database, found through a registry.

Until the fetchers land, only the names are registered so protocols can be validated.
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
MANUAL = ("google-scholar", "webofscience", "embase", "psycinfo", "acm", "springer", "ebsco")


def known_source_names() -> tuple[str, ...]:
    """Every name a protocol may list under `search.sources`."""
    return FETCHED + MANUAL
