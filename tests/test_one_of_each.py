"""Rule 5 of the house: one of each helper, and every state file path owned by the store."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import slr
from slr.store import DEDUPE_STATE_FILE, STATE_FILE, Store

ROOT = Path(slr.__file__).parent
MODULES = sorted(ROOT.rglob("*.py"))
STATE_NAME = re.compile(r"[\w/-]+\.jsonl")


def _constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def test_no_module_but_the_store_spells_a_state_file_name():
    spelled = {
        (path.relative_to(ROOT).as_posix(), text)
        for path in MODULES
        if path.name != "store.py" or path.parent != ROOT
        for text in _constants(path)
        if STATE_NAME.fullmatch(text) or text in (DEDUPE_STATE_FILE, STATE_FILE)
    }
    assert spelled == set()


def test_the_store_names_every_state_file(tmp_path):
    store = Store(tmp_path)
    names = {
        p.relative_to(tmp_path).as_posix()
        for p in (
            store.records_file,
            store.works_file,
            store.studies_file,
            store.searchlog_file,
            store.dedupe_state_file,
            store.answers_file,
            store.labels_file,
            store.decisions_file("ana"),
            store.coding_file("ana"),
            store.unresolved_file(3),
        )
    }
    assert names == {
        "records.jsonl",
        "works.jsonl",
        "studies.jsonl",
        "searchlog.jsonl",
        "dedupe-state.json",
        "dedupe-answers.jsonl",
        "labels.jsonl",
        "decisions/ana.jsonl",
        "coding/ana.jsonl",
        "snowball/round-03-unresolved.csv",
    }


def _definitions(name: str) -> list[str]:
    found = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in (name, f"_{name}"):
                found.append(path.relative_to(ROOT).as_posix())
    return found


def test_one_definition_of_each_helper():
    assert {name: len(_definitions(name)) for name in HELPERS} == dict.fromkeys(HELPERS, 1)


HELPERS = ("fold",)  # split_authors and now_iso: see the issue-16 note (two rules each)
