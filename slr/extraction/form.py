"""Typed values of an extraction form: parsed from what a coder types, checked against the field.

Stored values are JSON: number -> float, integer -> int, category -> str (a list of str
with `multiple = true`, entered separated by `;`), text -> str, boolean -> bool, date ->
an ISO date `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (a study often gives only a year or month).
An empty entry is None: not reported. A bad entry raises FormError naming the field.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from slr.errors import SlrError
from slr.protocol import Field

TRUE_WORDS = ("yes", "y", "true", "1", "✓")
FALSE_WORDS = ("no", "n", "false", "0", "✗")
NOT_REPORTED = "(not reported)"
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class FormError(SlrError):
    """A value that does not fit its field; the message names the field and what it takes."""


def expects(f: Field) -> str:
    """What a field takes, in words (shown beside the prompt and in every error)."""
    if f.type == "category":
        joined = " | ".join(f.values)
        return f"one or more of {joined}, separated by ';'" if f.multiple else f"one of {joined}"
    return {
        "number": "a number, e.g. 12.5 (a decimal point, no thousands separator)",
        "integer": "a whole number, e.g. 1200 (no thousands separator)",
        "text": "any text",
        "boolean": "yes or no",
        "date": "a date YYYY, YYYY-MM or YYYY-MM-DD",
    }[f.type]


def parse_value(f: Field, text: str) -> Any:
    """The stored value of `text` for field `f`; None when empty; FormError when it does not fit."""
    raw = text.strip()
    if not raw:
        return None
    try:
        return _parse(f, raw)
    except ValueError:
        raise FormError(f"{f.id}: {raw!r} is not {expects(f)}; enter it again") from None


def _parse(f: Field, raw: str) -> Any:
    if f.type == "number":
        if not _NUMBER.fullmatch(raw):  # no "1,5": a decimal comma and a thousands one look alike
            raise ValueError(raw)
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError(raw)
        return value
    if f.type == "integer":
        if not re.fullmatch(r"[-+]?\d+", raw):
            raise ValueError(raw)
        return int(raw)
    if f.type == "boolean":
        word = raw.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(raw)
    if f.type == "date":
        m = _DATE.match(raw)
        if not m:
            raise ValueError(raw)
        year, month, day = (int(g) if g else 1 for g in m.groups())
        dt.date(year, month, day)  # ValueError for 2021-02-30
        return raw
    if f.type == "category":
        by_fold = {v.casefold(): v for v in f.values}
        parts = [p.strip() for p in raw.split(";")] if f.multiple else [raw]
        picked = []
        for part in parts:
            if not part:
                continue
            if part.casefold() not in by_fold:
                raise ValueError(part)
            picked.append(by_fold[part.casefold()])
        if f.multiple:
            return [v for v in f.values if v in picked]  # protocol order, no repeats
        return picked[0]
    return raw  # text


def check_value(f: Field, value: Any) -> Any:
    """A value read from a log, checked as if typed (a hand edit must still fit the field)."""
    if value is None:
        return None
    if f.type == "category" and f.multiple and isinstance(value, list):
        return parse_value(f, ";".join(str(v) for v in value))
    if isinstance(value, bool) and f.type != "boolean":
        raise FormError(f"{f.id}: {value!r} is not {expects(f)}")
    return parse_value(f, format_value(value))


def format_value(value: Any) -> str:
    """A stored value as a coder would type it (the inverse of `parse_value`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def comparable(f: Field, value: Any) -> str:
    """A value as a label two coders agree on: text ignores case and spacing, 12 equals 12.0."""
    return comparer(f)(value)


def comparer(f: Field) -> Callable[[Any], str]:
    """`comparable` for one field, chosen once (the reconciliation calls it per value)."""
    kind = f.type

    def label(value: Any) -> str:
        if value is None:
            return NOT_REPORTED
        if kind == "text":
            return " ".join(str(value).split()).casefold()
        if kind in ("number", "integer"):
            return repr(float(value))
        if kind == "category" and not isinstance(value, list):
            return str(value)
        return format_value(value)

    return label
