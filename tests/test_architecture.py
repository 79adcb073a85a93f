"""The package's shape: no import cycle, no name-prefix grouping, no reach into private names.

The module graph counts the imports a module runs when it is imported (module level, and
inside module-level `if`/`try`); imports inside functions (deliberately lazy) and under
`if TYPE_CHECKING:` are left out, because they never run at import time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import slr

ROOT = Path(slr.__file__).parent
# the ground floor: nouns and state on disk; none of these imports a module above it
GROUND = {
    "slr",
    "slr.errors",
    "slr.clock",
    "slr.databases",
    "slr.protocol",
    "slr.query",
    "slr.records",
    "slr.works",
    "slr.decisions",
    "slr.store",
    "slr.review",
    "slr.http",
    "slr.studies",
    "slr.corpus",
}


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _runtime_imports(body: list[ast.stmt]) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                found += _runtime_imports(node.body) + _runtime_imports(node.orelse)
        elif isinstance(node, ast.Try):
            found += _runtime_imports(node.body)
            for handler in node.handlers:
                found += _runtime_imports(handler.body)
    return found


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The slr modules one import statement loads (`from pkg import mod` names pkg.mod)."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in MODULES}
    base = node.module or ""
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    if base not in MODULES:
        return set()
    subs = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES}
    others = [a for a in node.names if f"{base}.{a.name}" not in MODULES]
    return subs | ({base} if others else set())


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges[module] = set()
        for node in _runtime_imports(tree.body):
            edges[module] |= _targets(module, node) - {module}
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path of module names, or [] when the graph is acyclic."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_the_graph_sees_known_edges():
    edges = graph()
    assert "slr.errors" in edges["slr.protocol"]
    assert "slr.screen.agreement" in edges["slr.coding.log"]  # `from slr.screen import agreement`
    assert "slr.progress" in edges["slr.importer"]


def test_the_module_import_graph_has_no_cycle():
    assert _cycle(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_ground_floor_imports_nothing_above_it():
    edges = graph()
    above = {m: sorted(edges[m] - GROUND) for m in sorted(GROUND) if edges[m] - GROUND}
    assert above == {}


def test_no_top_level_module_name_is_prefixed_by_a_siblings():
    names = sorted(p.stem if p.suffix else p.name for p in ROOT.iterdir() if _is_module(p))
    clashes = [(a, b) for a in names for b in names if a != b and b.startswith(a)]
    assert clashes == []


def _is_module(path: Path) -> bool:
    if path.suffix == ".py":
        return not path.name.startswith("__")
    return path.is_dir() and (path / "__init__.py").exists()


def test_no_module_imports_another_modules_private_names():
    reaches = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("slr"):
                private = [
                    a.name
                    for a in node.names
                    if a.name.startswith("_")
                    and a.name != "__version__"
                    and not _own_private_module(module, f"{node.module}.{a.name}")
                ]
                if private:
                    reaches.append((module, node.module, private))
    assert reaches == []


def _own_private_module(importer: str, target: str) -> bool:
    """A package's private module (`slr.sources._elsevier`) is for its siblings."""
    package = importer if MODULES[importer].name == "__init__.py" else importer.rpartition(".")[0]
    return target in MODULES and target.rpartition(".")[0] == package
