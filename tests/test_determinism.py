"""Same inputs, same bytes: the demo replays to the byte, and a command with nothing new to
do rewrites no file (a fresh clone stays clean in git).

The clock is made to move a day at every reading, so anything that stamps the time of the
run into a file shows up as a difference.
"""

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from slr import demo
from slr.cli import main

ROOT = Path(__file__).resolve().parents[1]
MLOPS = ROOT / "protocols" / "mlops.toml"
COMMITTED = ROOT / "corpus" / "mlops"


@pytest.fixture
def moving_clock(monkeypatch):
    class Clock(datetime):
        calls = 0

        @classmethod
        def now(cls, tz=None):
            Clock.calls += 1
            return datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=Clock.calls)

    monkeypatch.setattr("slr.clock.datetime", Clock)
    return Clock


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under a folder: its bytes and modification time."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_demo_twice_gives_the_same_bytes_and_leaves_the_committed_corpus_alone(
    tmp_path, moving_clock
):  # the replay runs on the time the committed review logged, whatever the clock says
    before = snapshot(COMMITTED)
    demo.run(MLOPS, tmp_path / "a")
    demo.run(MLOPS, tmp_path / "b")
    first = {k: v[0] for k, v in snapshot(tmp_path / "a").items()}
    second = {k: v[0] for k, v in snapshot(tmp_path / "b").items()}
    assert sorted(first) == sorted(second)
    assert "corpus/mlops/dedupe-state.json" in first and "prisma.svg" in first
    differ = [name for name in first if first[name] != second[name]]
    assert differ == []
    assert snapshot(COMMITTED) == before


def test_a_command_with_nothing_new_to_do_rewrites_no_file(tmp_path, moving_clock):
    (tmp_path / "protocols").mkdir()
    shutil.copy(MLOPS, tmp_path / "protocols" / "mlops.toml")
    corpus = tmp_path / "corpus" / "mlops"
    shutil.copytree(COMMITTED, corpus)
    for path in corpus.rglob("*"):
        os.utime(path, ns=(10**18, 10**18))  # a fixed, old time: any rewrite changes it
    before = snapshot(corpus)
    proto = str(tmp_path / "protocols" / "mlops.toml")
    for args in (["dedupe"], ["dedupe"], ["screen", "--auto"], ["status"]):
        result = CliRunner().invoke(main, [*args, "-p", proto])
        assert result.exit_code == 0, result.output
    after = snapshot(corpus)
    assert sorted(after) == sorted(before)  # no file added (the committed state is complete)
    assert [name for name in before if after[name] != before[name]] == []


def test_the_excel_matrix_carries_no_time_of_saving(monkeypatch):
    import time
    import types
    import zipfile

    from slr import protocol
    from slr.matrix.model import render, review_matrix
    from slr.review import Review
    from slr.store import Store

    proto = protocol.load(MLOPS)
    matrix = review_matrix(Review(proto, Store(COMMITTED)))

    def saved_at(seconds: float) -> bytes:
        # openpyxl reads the clock for docProps/core.xml, zipfile for every entry's date
        class Clock(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.fromtimestamp(seconds, tz)

        clock = types.SimpleNamespace(time=lambda: seconds, localtime=time.localtime)
        monkeypatch.setattr(zipfile, "time", clock)
        monkeypatch.setattr(
            "openpyxl.writer.excel.datetime", types.SimpleNamespace(datetime=Clock, timezone=UTC)
        )
        return bytes(render(matrix, "xlsx"))

    assert saved_at(1.7e9) == saved_at(1.8e9)
