"""Output piped into a reader that stops early (`slr ... | head -1`) ends quietly."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MLOPS = str(ROOT / "protocols" / "mlops.toml")
SLR = [sys.executable, "-m", "slr"]


def test_closed_pipe_ends_quietly(tmp_path):
    # the reader is gone before the first byte: every write meets EPIPE, whatever the timing
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [*SLR, "query", "-p", MLOPS],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr == b""
    assert done.returncode == 141  # 128 + SIGPIPE, as a shell reports for `yes | head`


@pytest.mark.skipif(shutil.which("head") is None, reason="no head command")
def test_pipe_into_head_prints_the_first_line_and_no_error(tmp_path):
    command = " ".join([f"'{sys.executable}'", "-m", "slr", "query", "-p", f"'{MLOPS}'"])
    done = subprocess.run(
        f"{command} | head -1",
        shell=True,
        capture_output=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.stdout == b"OR\n"
    assert done.stderr == b""
    assert done.returncode == 0
