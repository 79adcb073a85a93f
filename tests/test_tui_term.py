"""The interactive loops read the terminal through one layer, slr.tui.term."""

from __future__ import annotations

import ast
import io
import os
import sys
from pathlib import Path

import pytest
from test_coding_support import make_review, work

import slr.tui
from slr.coding.log import latest, read_codings
from slr.tui import code, pairs, term

TUI = Path(slr.tui.__file__).parent
FORBIDDEN_MODULES = {"termios", "tty", "msvcrt", "getpass"}
FORBIDDEN_CALLS = {("click", "getchar"), ("click", "prompt"), ("click", "confirm")}


def _direct_reads(path: Path) -> list[str]:
    """Places in one module that read the terminal without slr.tui.term."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        where = f"{path.name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [f"{where} import {a.name}" for a in node.names if a.name in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module in FORBIDDEN_MODULES:
            found.append(f"{where} from {node.module} import")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "input":
                found.append(f"{where} input()")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) == ("sys", "stdin"):
                found.append(f"{where} sys.stdin")
            elif (node.value.id, node.attr) in FORBIDDEN_CALLS:
                found.append(f"{where} {node.value.id}.{node.attr}")
    return found


def test_only_term_reads_the_terminal():
    modules = sorted(p for p in TUI.glob("*.py") if p.name != "term.py")
    assert {"screen.py", "code.py", "pairs.py"} <= {p.name for p in modules}
    assert [hit for p in modules for hit in _direct_reads(p)] == []
    assert _direct_reads(TUI / "term.py")  # the check does see a direct read


def test_the_three_loops_import_term():
    for module in ("screen.py", "code.py", "pairs.py"):
        tree = ast.parse((TUI / module).read_text("utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "slr.tui.term" in imported, module


def test_line_io_reads_through_terminal():
    lines = code.LineIo(io.StringIO("1 3\n"))
    assert isinstance(lines.term, term.Terminal)
    assert [lines.key(), lines.key(), lines.key()] == ["1", "3", None]


def test_pair_review_reads_lines_through_terminal(capsys):
    given = term.Terminal(io.StringIO("y\n"))
    assert pairs.ask("Same work? ", given) == "y\n"
    assert pairs.ask("Same work? ", given) == "q"  # end of input quits
    assert capsys.readouterr().out == "Same work? Same work? "


CONCEPTS = [
    {"id": "C1", "label": "Model issues", "keywords": ["monitoring"]},
    {"id": "C2", "label": "Data issues", "keywords": ["data quality"]},
]


def test_ctrl_d_in_coding_terminal_quits_and_keeps_changes(tmp_path):
    """Ctrl-D leaves like `q`: the study on screen keeps what the coder changed."""
    pexpect = pytest.importorskip("pexpect")
    works = [work(1, ("Author1, A.",), 2020, title="A survey", abstract="Plain text.")]
    review = make_review(tmp_path, CONCEPTS, works)
    env = {**os.environ, "COLUMNS": "100", "LINES": "30", "TERM": "xterm"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "slr", "code", "-p", str(review.protocol.path), "--coder", "r1"],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(30, 100),
    )
    child.expect("Study 1 of 1")
    child.send("2")
    child.expect(r"2 \[✓\] Data issues")
    child.sendcontrol("d")
    child.expect("1 study saved by r1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    got = latest(read_codings(review, "r1"))
    assert {k: c.present for k, c in got.items()} == {
        ("manual:1", "C1"): False,
        ("manual:1", "C2"): True,
    }
