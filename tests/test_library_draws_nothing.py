"""Rule 3, the library draws nothing: outside slr/cli/ and slr/tui/ no module imports click
or writes to standard error, and long functions report progress through a callback."""

from __future__ import annotations

import ast
from pathlib import Path

from click.testing import CliRunner

import slr
from slr.cli import main
from slr.importer import import_files
from slr.progress import counted
from slr.review import open_review

ROOT = Path(slr.__file__).parent
DRAWS = ("cli", "tui")  # the packages allowed to talk to the terminal


def _library_modules() -> list[Path]:
    return [p for p in sorted(ROOT.rglob("*.py")) if p.relative_to(ROOT).parts[0] not in DRAWS]


def offences(tree: ast.AST) -> list[str]:
    """click imports, `sys.stderr` / `sys.__stderr__` uses and `print(..., file=...)` in a tree."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "click"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "click":
            found.append(f"from {node.module} import")
        elif isinstance(node, ast.ImportFrom) and node.module == "sys":
            found += [f"from sys import {a.name}" for a in node.names if "stderr" in a.name]
        elif isinstance(node, ast.Attribute) and node.attr in ("stderr", "__stderr__"):
            found.append(f"{ast.unparse(node)} (line {node.lineno})")
        elif isinstance(node, ast.Call) and ast.unparse(node.func) == "print":
            if any(k.arg == "file" for k in node.keywords):
                found.append(f"print(..., file=...) (line {node.lineno})")
    return found


def test_the_scan_sees_each_kind_of_offence():
    code = (
        "import click\nimport sys\nfrom click import echo\nsys.stderr.write('x')\n"
        "print('x', file=sys.stderr)\n"
    )
    assert len(offences(ast.parse(code))) == 5


def test_no_library_module_imports_click_or_writes_to_stderr():
    found = {
        str(p.relative_to(ROOT)): offences(ast.parse(p.read_text("utf-8")))
        for p in _library_modules()
    }
    assert {name: what for name, what in found.items() if what} == {}


def test_import_reports_each_file_read_to_the_callback(tmp_path):
    proto = tmp_path / "protocols" / "mlops.toml"
    proto.parent.mkdir()
    proto.write_text((ROOT.parent / "protocols" / "mlops.toml").read_text())
    review = open_review(proto)
    a, b = tmp_path / "a.ris", tmp_path / "b.ris"
    a.write_text("TY  - JOUR\nTI  - One title\nPY  - 2020\nER  - \n", "utf-8")
    b.write_text("TY  - JOUR\nTI  - Another title\nPY  - 2021\nER  - \n", "utf-8")
    seen: list[tuple[str, int, int | None]] = []
    import_files(
        review, [a, b], progress=lambda task, done, total: seen.append((task, done, total))
    )
    assert seen == [("reading", 0, 2), ("reading", 1, 2), ("reading", 2, 2)]


def test_counted_reports_nothing_without_a_callback_and_every_item_with_one():
    assert list(counted([1, 2], "x", None)) == [1, 2]
    seen: list[int] = []
    assert list(counted([1, 2], "x", lambda _t, done, _n: seen.append(done))) == [1, 2]
    assert seen == [0, 1, 2]


def test_dedupe_help_groups_the_four_modes_with_an_example_each():
    out = CliRunner().invoke(main, ["dedupe", "--help"]).output
    for mode, example in [
        ("run", "slr dedupe [--full]"),
        ("explain", "slr dedupe --explain ID"),
        ("review", "slr dedupe --review"),
        ("standalone", "slr dedupe --input FILE"),
    ]:
        assert any(line.split()[:1] == [mode] and example in line for line in out.splitlines())


def test_two_dedupe_modes_at_once_are_a_one_line_error(tmp_path):
    for args, says in [
        (["--explain", "x", "--review"], "--explain and --review are two modes"),
        (["--explain", "x", "--full"], "--explain and --full are two modes"),
        (["--input", "refs.csv", "--full"], "--full works on a review, not with --input"),
        (["--format", "ris"], "--format is the format of --input FILE"),
    ]:
        result = CliRunner().invoke(main, ["dedupe", *args])
        assert result.exit_code == 1, args
        assert result.output.startswith("Error: ") and says in result.output, result.output
        assert result.output.count("\n") == 1
