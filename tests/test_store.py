"""Crash-safety of the corpus store: torn last lines, interrupted replacements, versions."""

import json
import os
import subprocess
import sys
import warnings

import pytest

from slr.errors import StoreError
from slr.store import FORMAT_VERSION, Store, TornLineWarning, append_jsonl, read_jsonl, write_atomic


def test_append_then_read_in_order(tmp_path):
    path = tmp_path / "log.jsonl"
    append_jsonl(path, {"n": 1})
    append_jsonl(path, {"n": 2}, {"n": 3})
    assert [d["n"] for d in read_jsonl(path)] == [1, 2, 3]


def test_torn_last_line_is_reported_skipped_and_kept_aside(tmp_path):
    path = tmp_path / "log.jsonl"
    append_jsonl(path, {"n": 1})
    with open(path, "ab") as fh:
        fh.write(b'{"n": 2, "no')  # the crash happened mid-write
    with pytest.warns(TornLineWarning, match="incomplete last line"):
        assert [d["n"] for d in read_jsonl(path)] == [1]
    append_jsonl(path, {"n": 3})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [d["n"] for d in read_jsonl(path)] == [1, 3]
    assert (tmp_path / "log.jsonl.torn").read_bytes() == b'{"n": 2, "no\n'


def test_complete_last_object_without_newline_is_kept(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"n": 1}\n{"n": 2}')
    append_jsonl(path, {"n": 3})
    assert [d["n"] for d in read_jsonl(path)] == [1, 2, 3]


def test_corrupt_middle_line_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"n": 1}\ngarbage\n{"n": 3}\n')
    with pytest.raises(StoreError, match=r"log.jsonl:2: not valid JSON"):
        list(read_jsonl(path))


def test_append_survives_sigkill_of_the_writer(tmp_path):
    """A writer killed at a random point leaves only whole lines plus at most one torn line."""
    path = tmp_path / "log.jsonl"
    code = (
        "import sys; from slr.store import append_jsonl; from pathlib import Path\n"
        "p = Path(sys.argv[1])\n"
        "for i in range(100000):\n"
        "    append_jsonl(p, {'i': i, 'pad': 'x' * 200})\n"
        "    if i == 100: print('100 written', flush=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"100 written\n"  # the writer's own signal, no polling
    finally:
        proc.kill()
        proc.wait()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TornLineWarning)
        values = [d["i"] for d in read_jsonl(path)]
    assert values == list(range(len(values))) and len(values) > 50


def test_interrupted_replace_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "works.jsonl"
    write_atomic(path, "old\n")

    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, "new\n")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["works.jsonl"]  # no temp left behind


def test_state_version_is_written_and_newer_versions_refused(tmp_path):
    store = Store(tmp_path / "c").ensure()
    state = tmp_path / "c" / "slr-state.json"
    assert json.loads(state.read_text()) == {"format": FORMAT_VERSION}
    state.write_text(json.dumps({"format": FORMAT_VERSION + 1}))
    with pytest.raises(StoreError, match="newer than this slr"):
        store.ensure()
    state.write_text("{broken")
    with pytest.raises(StoreError, match="unreadable state file"):
        store.ensure()


def test_reviewer_names_become_safe_file_names(tmp_path):
    store = Store(tmp_path)
    assert store.decisions_file("Ana María").name == "Ana_María.jsonl"
    with pytest.raises(StoreError):
        store.decisions_file("../etc")
