"""Helpers for the source tests: recorded fixtures, a client with faked time, page walking."""

from __future__ import annotations

from pathlib import Path

import pytest

from slr import query as q
from slr.http import Client
from slr.sources.base import Filters, Source

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "api"
LOCAL = Path(__file__).resolve().parents[1] / "fixtures"

# The canonical query of docs/sources.md section 3, with its scope.
REFERENCE = q.parse(
    '("MLOps" OR "machine learning operations" OR "machine learning in production") '
    "AND (challenge* OR barrier*)"
)
REFERENCE_FILTERS = Filters((2018, 2023), ("article", "conference-paper"), ("en",))
KEY = "TESTKEY-0123456789"


def fixture(*parts: str) -> Path:
    """A recorded response from the shared fixtures (the test is skipped without them)."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared is absent: {path}")
    return path


class FakeTime:
    """A clock that only moves when slr sleeps, so pacing and retries take no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def client(ft: FakeTime | None = None) -> Client:
    ft = ft or FakeTime()
    return Client(mailto="me@example.org", clock=ft.clock, sleep=ft.sleep, rng=lambda: 0.5)


def make(cls: type[Source], env: dict[str, str] | None = None, **options) -> Source:
    return cls(client(), options, env if env is not None else {})


def walk(src: Source, plan, archive=None) -> list:
    """Every record of every page of a plan."""
    return [r for got in src.pages(plan, archive) for r in got.page.records]
