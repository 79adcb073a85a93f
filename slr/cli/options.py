"""The options and the review loader every CLI command module shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from slr.review import Review, open_review


def protocol_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """`-p/--protocol PATH`: the review's protocol (default: found from this folder up)."""
    return click.option(
        "-p",
        "--protocol",
        "protocol_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="Protocol file (default: the only .toml in protocols/ of the review holding this "
        "folder, found as git finds its root).",
    )(func)


def quiet_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--quiet`: no progress bars."""
    return click.option("--quiet", "-q", is_flag=True, help="Do not show progress.")(func)


def load(protocol_path: str | None) -> Review:
    """Open the review named by -p (or the default one).

    Derived files a git merge left stale are rebuilt here, with a one-line warning, so that
    every command counts what both merged clones recorded.
    """
    from slr.works import refresh, stale_reason

    review = open_review(protocol_path)
    if stale_reason(review):
        refresh(review)
    return review
