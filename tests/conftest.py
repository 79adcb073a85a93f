"""Shared fixtures: a fresh review, a record and a work; and the count of ../shared skips.

`review` is the reference protocol (protocols/mlops.toml) copied into tmp_path with an empty
corpus folder, which is what most tests start from. Tests that read ../shared (GPL fixtures,
recorded API pages, labelled datasets) skip with a reason starting SHARED_ABSENT, and the end
of the run says how many did, so a green run without ../shared is never mistaken for a full one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from slr.records import Record
from slr.review import Review, open_review
from slr.works import Work

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_ABSENT = "../shared is absent"  # every skip for want of ../shared starts with this


def pytest_configure(config: Any) -> None:
    """Each test run gets its own machine cache (status cache, serve tokens, no-op dedupe
    memo): a run must never read what another checkout or branch cached in ~/.cache/slr,
    nor leave anything there. Tests that test the cache location set their own."""
    os.environ["SLR_CACHE_DIR"] = tempfile.mkdtemp(prefix="slr-test-cache-")


def new_review(folder: Path, protocol: str | None = None, name: str = "mlops.toml") -> Review:
    """A review in folder/protocols/<name> (the reference protocol unless text is given)."""
    path = folder / "protocols" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = protocol if protocol is not None else (ROOT / "protocols" / "mlops.toml").read_text()
    path.write_text(text, encoding="utf-8")
    return open_review(path)


def make_record(i: int = 1, source: str = "scopus", **fields: Any) -> Record:
    """A plain journal article; `fields` override any Record field."""
    base: dict[str, Any] = {
        "title": f"Study {i} of machine learning operations",
        "authors": (f"Author{i}, A.",),
        "year": 2021,
        "type": "article",
        "language": "en",
    }
    return Record(source, f"r{i}", **(base | fields))


def make_work(*records: Record) -> Work:
    """The work of these records (the first one is the canonical record and gives the id)."""
    first = records[0]
    return Work(
        first.id, tuple(r.id for r in records), tuple(sorted({r.source for r in records})), first
    )


@pytest.fixture
def review(tmp_path: Path) -> Review:
    """The reference protocol in tmp_path/protocols/mlops.toml, with an empty corpus."""
    return new_review(tmp_path)


@pytest.fixture
def record() -> Record:
    return make_record()


@pytest.fixture
def work(record: Record) -> Work:
    return make_work(record)


# ------------------------------------------------------------------ ../shared skips


def shared_skips(reports: Iterable[Any]) -> int:
    """How many skip reports name ../shared's absence as their reason."""
    count = 0
    for report in reports:
        longrepr = getattr(report, "longrepr", None)
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else ""
        count += SHARED_ABSENT in str(reason)
    return count


def pytest_terminal_summary(terminalreporter: Any) -> None:
    skipped = shared_skips(terminalreporter.stats.get("skipped", []))
    if skipped:
        terminalreporter.write_line(
            f"{skipped} test(s) skipped because {SHARED_ABSENT} ({SHARED}); "
            "put the shared folder beside the repository to run them"
        )
