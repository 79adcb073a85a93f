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


# fold: text for comparing; split_authors: names from one cell; now_iso: the clock;
# standing: what still stands after undo lines
HELPERS = ("fold", "split_authors", "now_iso", "standing")


def _table_reading(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            name = f"{node.value.id}.{node.attr}"
            if name in ("csv.reader", "csv.DictReader", "pd.read_csv", "pd.read_excel"):
                found.add(name)
        if isinstance(node, ast.Attribute | ast.Name):
            if (node.attr if isinstance(node, ast.Attribute) else node.id) == "load_workbook":
                found.add("load_workbook")
    return found


def test_tables_are_read_by_the_one_reader():
    """No module but the table reader opens a CSV or workbook itself."""
    readers = {p.relative_to(ROOT).as_posix() for p in MODULES if _table_reading(p)}
    assert readers == {"formats/table.py"}
