"""Shared by the tests of `slr serve`: a small two-reviewer review, and a real server."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import make_record, make_work, new_review

from slr.review import Review
from slr.works import save_works

PROTOCOL = """
[review]
id = "served"
title = "A served review"
reviewers = ["alice", "bob"]

[search]
query = 'MLOps OR "machine learning operations"'
sources = ["openalex"]

[[criteria.inclusion]]
id = "IC1"
text = "Studies about MLOps"

[[criteria.exclusion]]
id = "EC1"
text = "Not about MLOps"

[[criteria.exclusion]]
id = "EC2"
text = "Not a primary study"
"""


def served_review(
    folder: Path, n: int = 8, abstract: str | None = None, reviewers: tuple[str, ...] = ()
) -> Review:
    """A review of `n` works W1..Wn (protocol order), each with a title and an abstract;
    screened by alice and bob, or by `reviewers`."""
    text = PROTOCOL
    if reviewers:
        text = text.replace('["alice", "bob"]', json.dumps(list(reviewers)))
    review = new_review(folder, text, name="served.toml")
    works = [
        make_work(
            make_record(
                i,
                title=f"Paper {i} on MLOps in practice",
                abstract=abstract or f"Abstract {i}: machine learning operations at scale.",
            )
        )
        for i in range(1, n + 1)
    ]
    save_works(review, works)
    return review


WORK_ID = re.compile(r'data-work="([^"]+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SEEN = re.compile(r'name="seen" value="([^"]*)"')
LAST = re.compile(r'name="last" value="([^"]*)"')


def shown(html: str) -> dict[str, str]:
    """The work on a screening page and the hidden fields of its form."""
    work = WORK_ID.search(html)
    return {
        "work": work.group(1) if work else "",
        "csrf": CSRF.search(html).group(1),  # type: ignore[union-attr]
        "seen": SEEN.search(html).group(1),  # type: ignore[union-attr]
        "last": LAST.search(html).group(1),  # type: ignore[union-attr]
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(protocol: Path, port: int, env: dict[str, str], *extra: str) -> subprocess.Popen:
    """`slr serve` in a process of its own; returns once /health answers (deadline 30 s).
    Its output goes to serve-<port>.log beside the protocol."""
    log = protocol.parent / f"serve-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "slr", "serve", "-p", str(protocol), "--port", str(port)]
            + list(extra),
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"slr serve did not start: {log.read_text()}")
        time.sleep(0.05)  # polling the health URL with a deadline: the readiness event
