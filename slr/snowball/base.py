"""What every citation source of snowballing shares: the values a task yields, the
cache-first fetcher over the raw archive and the title-matching helpers."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rapidfuzz import fuzz

from slr.corpus import load_records
from slr.errors import SlrError
from slr.http import Archive, Request, Response
from slr.records import Record, normalise_title
from slr.review import Review
from slr.sources.base import Source

DIRECTIONS = ("backward", "forward")
ROUND_FILE = "round.json"
MAX_PER_SEED = 1000  # default cap on the citing works fetched per seed (forward)
TITLE_MATCH = 92.0  # rapidfuzz ratio on normalised titles to accept a title match

State = dict[str, Any]
T = TypeVar("T")


class SnowballError(SlrError):
    """A snowballing round cannot run (nothing included, a missing key, a bad option...)."""


@dataclass(frozen=True)
class Found:
    """One reference or citing work: its record, or why it could not be resolved."""

    record: Record | None
    label: str = ""
    reason: str = ""
    doi: str | None = None


@dataclass(frozen=True)
class Step:
    """What one request (or one checkpointed group of requests) gave a task."""

    found: tuple[Found, ...]
    state: State | None  # where to resume after this step; None when the task is done
    total: int | None = None  # what the API reported for the whole task
    note: str = ""
    capped: bool = False  # paging stopped at the per-seed cap while more works existed
    citing: int | None = None  # the seed's own count of citing works, where the API has one


def slug(text: str) -> str:
    """A file-name-safe form of an id (`openalex:W1` -> `openalex_W1`)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "x"


def title_name(text: str) -> str:
    """The archive name of a title look-up (a digest: titles are not file names)."""
    digest = hashlib.sha1(normalise_title(text).encode("utf-8")).hexdigest()[:16]
    return f"resolve-title-{digest}"


def same_title(a: str | None, b: str | None) -> bool:
    """Two titles name the same work (normalised, fuzzy ratio >= TITLE_MATCH)."""
    ka, kb = normalise_title(a), normalise_title(b)
    if not ka or not kb:
        return False
    return ka == kb or fuzz.ratio(ka, kb) >= TITLE_MATCH


def title_in(title: str | None, text: str | None) -> bool:
    """A title (long enough to be specific) occurs inside a free-text reference."""
    kt, kx = normalise_title(title), normalise_title(text)
    return len(kt) >= 20 and kt in kx


def resolved(record: Record, how: str) -> Found:
    """A reference without a usable id, found by `how` ("doi" or "title")."""
    return Found(record.evolve(extra={**record.extra, "resolved_by": how}))


def chunks(items: list[T], size: int) -> list[list[T]]:
    """`items` in consecutive groups of at most `size`."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def steps(items: list[T], state: State) -> Iterator[tuple[int, T, State | None]]:
    """(index, item, resume state after it) of the items a task has not done yet."""
    for k in range(int(state.get("step", 0)), len(items)):
        yield k, items[k], ({"step": k + 1} if k + 1 < len(items) else None)


def mailto(src: Source) -> dict[str, str]:
    """The polite-pool `mailto` parameter, when the client has an address."""
    return {"mailto": src.client.mailto} if src.client.mailto else {}


def records_by_id(review: Review) -> dict[str, Record]:
    """Every stored record of the review by its id."""
    return {r.id: r for r in load_records(review)}


class Fetcher:
    """Cache-first GETs for one round: an archived response is read back, never re-sent."""

    def __init__(self, src: Source, archive: Archive, offline: bool, review_root: Path) -> None:
        self.src = src
        self.archive = archive
        self.offline = offline
        self.done = set(archive.names())
        self.bodies: dict[str, str] = {}
        parts = archive.folder.relative_to(review_root).parts
        self.rel = "/".join(parts)

    def can_get(self, name: str) -> bool:
        """`name` is archived, or may be fetched (not offline)."""
        return name in self.done or not self.offline

    def get(self, name: str, request: Request, missing_ok: bool = False) -> Response | None:
        """The response for `name` (archived or fetched); None for a 400/404 when `missing_ok`."""
        if name in self.done:
            response, _ = self.archive.load(name)
        elif self.offline:
            raise SnowballError(
                f"{self.archive.folder}: response {name!r} is not in the raw archive; "
                "run `slr snowball` without --offline to fetch it"
            )
        else:
            response = self.src.send(request, self.archive, name, {"snowball": name})
            self.done.add(name)
        if missing_ok and response.status in (400, 404):  # unknown id, or a title it rejects
            return None
        self.src.check(response)
        return response

    def raw(self, name: str, index: int) -> str:
        """`raw/<via>/snowball-NN/<body>#<index>` for a record parsed from page `name`."""
        if name not in self.bodies:
            meta = json.loads((self.archive.folder / f"{name}.meta.json").read_text("utf-8"))
            self.bodies[name] = meta["body"]
        return f"{self.rel}/{self.bodies[name]}#{index}"

    def parse(self, item: Any, name: str, index: int) -> Record:
        """Item `index` of page `name` as a record pointing at its archived body."""
        return self.src.to_record(item).evolve(raw=self.raw(name, index))


def room(cap: int | None, fetched: int, page: int) -> int:
    """How many items to ask for next: a full page, or what is left under the cap."""
    return page if cap is None else max(0, min(page, cap - fetched))


Task = Callable[[Fetcher, dict[str, Any], str, State, int | None], Iterator[Step]]
"""A source's citation task: (fetcher, seed, direction, resume state, cap on the citing
works of a forward task; None for no cap) -> steps."""
