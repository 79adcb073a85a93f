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
    from slr.errors import SlrError
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
        hint = manual_hint(name) if name in MANUAL else "known: " + ", ".join(sources)
        raise SourceError(f"no fetcher for source {name!r}; {hint}")
    return sources[name]


def compile_all(protocol: Protocol) -> list[tuple[str, str]]:
    """(name, query string exactly as sent) for each of the protocol's sources (no network)."""
    out: list[tuple[str, str]] = []
    for name, text, error in compile_each(protocol):
        if error is not None:
            raise error
        out.append((name, text))
    return out


def compile_each(protocol: Protocol) -> list[tuple[str, str, SlrError | None]]:
    """(name, query as sent or the manual hint, the error if it cannot be compiled) per source.

    `slr check` reports every failing source, not only the first.
    """
    from slr.errors import SlrError
    from slr.http import Client
    from slr.sources.base import Filters

    sources = registry()
    filters = Filters.from_search(protocol.search)
    client = Client(mailto="")  # compiling never sends; no secrets needed
    out: list[tuple[str, str, SlrError | None]] = []
    for spec in protocol.search.sources:
        cls = sources.get(spec.name)
        if cls is None:
            out.append((spec.name, manual_hint(spec.name), None))
            continue
        try:
            plan = cls(client, spec.options, env={}).compile(spec.query, filters)
        except SlrError as exc:
            out.append((spec.name, "", exc))
        else:
            out.append((spec.name, plan.text(), None))
    return out
