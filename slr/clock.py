"""The one clock of slr: every time it logs or archives, as ISO 8601 UTC with `Z`.

A replay (`make demo`) fixes the clock with `fixed_clock`, so that the same inputs give the
same bytes; every caller then gets that time, at its own precision.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Literal

Precision = Literal["seconds", "milliseconds"]

_FIXED: list[str] = []  # the clock of a replay (see fixed_clock)


def now_iso(precision: Precision = "seconds") -> str:
    """UTC now (a replay's time inside `fixed_clock`): seconds for logs, milliseconds for the
    archive's response metadata, where two requests often fall within one second."""
    if _FIXED:
        fixed = _FIXED[-1]
        if precision == "seconds":
            return fixed  # as given, to the byte
        when = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
    else:
        when = datetime.now(UTC)
    return when.astimezone(UTC).isoformat(timespec=precision).replace("+00:00", "Z")


@contextlib.contextmanager
def fixed_clock(iso: str) -> Iterator[None]:
    """Within the block every time slr logs is `iso`: `make demo` replays a review to the byte."""
    _FIXED.append(iso)
    try:
        yield
    finally:
        _FIXED.pop()
