"""One style of plugin registry, for sources, formats, matrix renderers and snowball fetchers.

A `Registry[T]` maps a name to a plugin. It is filled either from an explicit table (the
matrix renderers, the snowball fetchers) or, on first use, by a `load` function that imports
a package's modules (`import_modules`), whose plugins then `add` themselves (sources, by a
class decorator) or are added from the list each module exports (formats). Every registry is
used the same way: `get(name)` (an error listing the known names when there is none),
`names()`, `items()` and `name in registry`. Commands are discovered the same way by
`slr.cli` (each module exports `COMMANDS`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Generic, TypeVar

from slr.errors import SlrError

T = TypeVar("T")


class Registry(Generic[T]):
    """Name -> plugin, in the order the plugins were added."""

    def __init__(
        self,
        kind: str,
        error: type[SlrError],
        *,
        table: Mapping[str, T] | None = None,
        load: Callable[[], None] | None = None,
        also: tuple[str, ...] = (),
    ) -> None:
        """`kind` names a plugin in the error ("format"); `also` lists names the caller
        handles itself (`auto`), shown in the error beside the registered ones."""
        self.kind = kind
        self.error = error
        self.also = also
        self._items: dict[str, T] = dict(table or {})
        self._load = load

    def add(self, name: str, item: T) -> T:
        """Make `item` known under `name`; returns it, so a decorator can be built on it."""
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        """The plugin called `name`; otherwise the registry's error, naming the known ones
        (sorted, after `also`)."""
        items = self._loaded()
        if name not in items:
            known = ", ".join((*self.also, *sorted(items)))
            raise self.error(f"unknown {self.kind} {name!r}; use one of: {known}")
        return items[name]

    def names(self) -> tuple[str, ...]:
        """Every registered name, in the order the plugins were added."""
        return tuple(self._loaded())

    def items(self) -> list[tuple[str, T]]:
        """(name, plugin) pairs, in the order the plugins were added."""
        return list(self._loaded().items())

    def __contains__(self, name: object) -> bool:
        return name in self._loaded()

    def _loaded(self) -> dict[str, T]:
        if self._load is not None:
            load, self._load = self._load, None  # once, even if a module adds while loading
            load()
        return self._items


def import_modules(package: str, path: Iterable[str], skip: Iterable[str] = ()) -> list[ModuleType]:
    """Import every public module of a package (sorted by name), except those in `skip`.

    Adding a plugin means adding one module: nothing lists the modules by hand.
    """
    left_out = set(skip)
    return [
        importlib.import_module(f"{package}.{info.name}")
        for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name)
        if not info.name.startswith("_") and info.name not in left_out
    ]
