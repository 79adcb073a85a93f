"""Search sources: one module per database, found through a registry.

Each module in this package (except `base`) defines a `Source` subclass decorated with
`slr.sources.base.register`; `registry()` imports them all on first use, so adding a
database means adding one module. `known_source_names()` stays import-light because the
protocol loader calls it.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slr.protocol import Protocol
    from slr.sources.base import Source

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
MANUAL = (
    "google-scholar",
    "webofscience",
    "embase",
    "psycinfo",
    "acm",
    "springer",
    "ebsco",
    "cochrane",
)
MANUAL_HINT = "manual: import a Publish or Perish or Scholar BibTeX export with slr import"


def known_source_names() -> tuple[str, ...]:
    """Every name a protocol may list under `search.sources`."""
    return FETCHED + MANUAL


def registry() -> dict[str, type[Source]]:
    """Source name -> Source class, for every module in this package."""
    from slr.sources import base

    for info in pkgutil.iter_modules(__path__):
        if info.name != "base" and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(base.REGISTRY.items()))


def get(name: str) -> type[Source]:
    """The Source class registered under `name` (a SourceError when there is none)."""
    from slr.errors import SourceError

    sources = registry()
    if name not in sources:
        hint = MANUAL_HINT if name in MANUAL else "known: " + ", ".join(sources)
        raise SourceError(f"no fetcher for source {name!r}; {hint}")
    return sources[name]


def compile_all(protocol: Protocol) -> list[tuple[str, str]]:
    """(name, query string exactly as sent) for each of the protocol's sources (no network)."""
    from slr.http import Client
    from slr.sources.base import Filters

    sources = registry()
    filters = Filters.from_search(protocol.search)
    client = Client(mailto="")  # compiling never sends; no secrets needed
    out: list[tuple[str, str]] = []
    for spec in protocol.search.sources:
        cls = sources.get(spec.name)
        if cls is None:
            out.append((spec.name, MANUAL_HINT if spec.name in MANUAL else "no fetcher yet"))
            continue
        plan = cls(client, spec.options, env={}).compile(spec.query, filters)
        out.append((spec.name, plan.text()))
    return out
