"""Search sources: one module per database, found through a registry.

Each module in this package (except `base`) defines a `Source` subclass decorated with
`slr.sources.base.register`; `registry()` imports them all on first use, so adding a
database means adding one module. The names a protocol may list live in the core
(`slr.databases`); a contract test checks this registry against them.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

from slr.databases import MANUAL, manual_hint

if TYPE_CHECKING:
    from slr.errors import SlrError
    from slr.protocol import Protocol
    from slr.sources.base import Source


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
