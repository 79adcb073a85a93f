"""Where a work's open-access PDF may be: one module per location source, and a registry.

Each module defines a `Locator` subclass decorated with `register`. A locator turns a
`Target` (the identifiers a work's records carry) into at most one metadata `Lookup` (a
request whose response is archived under `raw/fulltext/<source>/`) and reads `Location`s
from the response; a source that needs no lookup (arXiv) gives its locations directly.
Locators never send anything themselves: `slr.fulltext.fetch` does, through slr.http, so
that a dry run can read the archive and say which lookups it would make.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from slr.http import Request, Response
from slr.records import Record
from slr.works import Work

# The default order: the sources that state OA status, version and licence per location
# first (Unpaywall, OpenAlex), then those that give one PDF link (Semantic Scholar, arXiv,
# PubMed Central), and Crossref last, because its PDF links are often text-mining links
# behind a subscription, not open-access copies.
DEFAULT_ORDER = ("unpaywall", "openalex", "semanticscholar", "arxiv", "pmc", "crossref")
VERSIONS = {
    "publishedVersion": "published",
    "acceptedVersion": "accepted",
    "submittedVersion": "submitted",
}
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    """A work and the identifiers its records carry, the keys every locator looks up by."""

    work_id: str
    title: str | None = None
    doi: str | None = None
    arxiv: str | None = None
    pmcid: str | None = None
    pmid: str | None = None
    openalex: str | None = None
    semanticscholar: str | None = None


@dataclass(frozen=True)
class Location:
    """A URL that may serve the work's PDF, with what its source says about it."""

    url: str
    via: str
    oa_status: str | None = None
    version: str | None = None  # published, accepted, submitted (as the source says)
    licence: str | None = None
    note: str | None = None  # e.g. a Crossref link's intended application


@dataclass(frozen=True)
class Lookup:
    """One metadata request; `name` is its file name in the archive (stable per work)."""

    name: str
    request: Request


class Locator:
    """A location source. `env` gives its settings (`SLR_<SOURCE>_URL`, keys, SLR_MAILTO)."""

    name: ClassVar[str]
    rate: ClassVar[float] = 1.0  # requests per second to its API
    secrets: ClassVar[tuple[str, ...]] = ()  # environment variables holding credentials

    def __init__(self, env: Mapping[str, str], mailto: str | None) -> None:
        self.env = env
        self.mailto = mailto

    def unavailable(self) -> str | None:
        """Why this source cannot be used at all in this run (a missing setting), or None."""
        return None

    def lookup(self, target: Target) -> Lookup | None:
        """The metadata request for a work, or None when there is nothing to ask."""
        return None

    def locations(self, target: Target, response: Response | None) -> list[Location]:
        """The PDF locations in a lookup's response (None: the source needs no lookup)."""
        return []

    def missing(self, target: Target) -> str:
        """What the work lacks for this source (said when neither lookup nor location)."""
        return "no identifier it can look up"


REGISTRY: dict[str, type[Locator]] = {}


def register(cls: type[Locator]) -> type[Locator]:
    REGISTRY[cls.name] = cls
    return cls


def registry() -> dict[str, type[Locator]]:
    """Source name -> Locator class, for every module in this package."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return dict(REGISTRY)


def target(work: Work, records: Iterable[Record]) -> Target:
    """The identifiers of a work, gathered from its canonical record and every source record."""
    found: dict[str, str] = {}

    def put(key: str, value: object) -> None:
        if value and key not in found:
            found[key] = str(value).strip()

    for rec in (work.canonical, *records):
        put("doi", rec.doi)
        extra = rec.extra or {}
        put("arxiv", extra.get("arxiv"))
        put("pmcid", extra.get("pmcid"))
        put("pmid", extra.get("pmid"))
        if rec.source == "arxiv":
            put("arxiv", rec.source_id)
        elif rec.source == "pubmed":
            put("pmid", rec.source_id)
        elif rec.source in ("openalex", "semanticscholar") and rec.source_id:
            put(rec.source, rec.source_id)
    match = _ARXIV_DOI.match(found.get("doi", ""))
    if match:
        found.setdefault("arxiv", match.group(1))
    if "pmcid" in found and not found["pmcid"].upper().startswith("PMC"):
        found["pmcid"] = "PMC" + found["pmcid"]
    return Target(work.work_id, work.canonical.title, **found)


def version(value: object) -> str | None:
    """`publishedVersion` -> `published` (None for anything the source did not say)."""
    return VERSIONS.get(str(value)) if value else None


def slug(text: str) -> str:
    """An identifier as an archive file name."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:150]
