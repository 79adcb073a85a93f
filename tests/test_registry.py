"""Every plugin registry (sources, formats, matrix renderers, snowball fetchers) is one
`slr.registry.Registry`: the same interface, and one error for an unknown name."""

from __future__ import annotations

import pytest

from slr.errors import ExportError, ImportError_, SlrError, SourceError
from slr.formats import FORMATS
from slr.matrix.model import RENDERERS, format_for
from slr.registry import Registry
from slr.snowball import FETCHERS, SnowballError
from slr.sources import SOURCES

REGISTRIES = [
    (SOURCES, SourceError, "source"),
    (FORMATS, ImportError_, "format"),
    (RENDERERS, ExportError, "matrix format"),
    (FETCHERS, SnowballError, "snowball source"),
]


@pytest.mark.parametrize(("registry", "error", "kind"), REGISTRIES)
def test_every_registry_has_the_same_interface(registry, error, kind):
    assert isinstance(registry, Registry)
    names = registry.names()
    assert names and len(set(names)) == len(names)
    assert [name for name, _ in registry.items()] == list(names)
    assert all(registry.get(name) is plugin for name, plugin in registry.items())
    assert names[0] in registry and "no-such-plugin" not in registry


@pytest.mark.parametrize(("registry", "error", "kind"), REGISTRIES)
def test_a_bad_name_gives_one_line_listing_the_known_names(registry, error, kind):
    with pytest.raises(error) as caught:
        registry.get("no-such-plugin")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"unknown {kind} 'no-such-plugin'; use one of: ")
    assert message.endswith(", ".join(sorted(registry.names())))


def test_the_formats_error_also_names_auto():
    with pytest.raises(ImportError_, match="use one of: auto, bibtex, "):
        FORMATS.get("docx")


def test_the_matrix_format_check_uses_the_registry_error():
    with pytest.raises(ExportError, match="unknown matrix format 'pdf'; use one of: csv, latex"):
        format_for("pdf", None)


def test_a_registry_loads_its_plugins_once_on_first_use():
    loads: list[int] = []

    def load() -> None:
        loads.append(1)
        registry.add("b", 2)
        registry.add("a", 1)

    registry = Registry("thing", SlrError, load=load)
    assert loads == []
    assert registry.names() == ("b", "a")  # the order they were added
    assert registry.get("a") == 1 and "b" in registry
    assert loads == [1]
