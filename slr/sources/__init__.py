"""Search sources: one module per database, found through a registry.

Each module in this package (except `base`) defines a `Source` subclass decorated with
`slr.sources.base.register`; the registry `SOURCES` (an `slr.registry.Registry`) imports
them all on first use, so adding a database means adding one module. The names a protocol may list live in the core
(`slr.databases`); a contract test checks this registry against them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slr.databases import manual_hint
from slr.errors import SourceError
from slr.registry import Registry, import_modules

if TYPE_CHECKING:
    from slr.errors import SlrError
    from slr.protocol import Protocol
    from slr.sources.base import Source


def _load() -> None:
    import_modules(__name__, __path__, skip={"base"})


SOURCES: Registry[type[Source]] = Registry("source", SourceError, load=_load)


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

    filters = Filters.from_search(protocol.search)
    client = Client(mailto="")  # compiling never sends; no secrets needed
    out: list[tuple[str, str, SlrError | None]] = []
    for spec in protocol.search.sources:
        if spec.name not in SOURCES:
            out.append((spec.name, manual_hint(spec.name), None))
            continue
        try:
            plan = SOURCES.get(spec.name)(client, spec.options, env={}).compile(spec.query, filters)
        except SlrError as exc:
            out.append((spec.name, "", exc))
        else:
            out.append((spec.name, plan.text(), None))
    return out
