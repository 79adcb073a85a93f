"""Full texts: where a work's PDF and extracted text live, and the retrieval log.

`fulltext.jsonl` (append-only, committed) has one line per retrieval event of a work: a
PDF fetched or attached (`retrieved`, with its sha256, URL, host, OA status, version,
licence, date and method), a location tried and refused (`failed`, with the reason), or
a reviewer's `r` at full text (`not-retrieved`). The PDFs themselves sit in
`fulltext/<work id>.pdf` (git-ignored: copyright) and their text in `fulltext/<work
id>.txt`, one `PAGE_MARK` line before each page, so quotes can name their page.

`retrieval_status` is the one reading of the log that screening, PRISMA and status use:
a work is `retrieved` once a PDF is stored (a later `r` does not undo a file on disk),
`not-retrieved` after a reviewer's explicit `r`, `no-open-access` when a fetch run found
no open copy anywhere (the reviewer may still have it through a library: the work stays
in the full-text queue until a PDF is attached or `r` is pressed), and not tried otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from slr.review import Review
from slr.store import append_jsonl, field_of, read_entries

EVENTS = ("retrieved", "failed", "not-retrieved", "exhausted")
# `exhausted`: a fetch run tried every location it knew for the work and none gave a PDF.
METHODS = ("fetched", "attached", "imported", "marked")
VERSIONS = ("published", "accepted", "submitted")
PAGE_MARK = "\f[page {n}]"
_PAGE_LINE = re.compile(r"^\f\[page (\d+)\]$", re.MULTILINE)


@dataclass(frozen=True)
class Retrieval:
    """One event in a work's retrieval (see the module docstring)."""

    work_id: str
    event: str  # one of EVENTS
    method: str  # one of METHODS
    date: str  # ISO 8601 UTC time of the event
    via: str | None = None  # unpaywall, openalex, semanticscholar, arxiv, pmc, crossref, or None
    url: str | None = None
    host: str | None = None
    sha256: str | None = None
    oa_status: str | None = None  # gold, green, hybrid, bronze, closed (as the source says)
    version: str | None = None  # one of VERSIONS, when the source says
    licence: str | None = None  # as the source gives it (cc-by, a URL, free text)
    pages: int | None = None
    text: str | None = None  # "ok", "no text layer (scanned?)", or why extraction failed
    reason: str | None = None  # why a `failed` attempt failed; the reviewer's note for `r`

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Retrieval:
        def opt(name: str, kind: type = str) -> Any:
            return field_of(data, name, kind, None) if data.get(name) is not None else None

        return cls(
            work_id=field_of(data, "work_id", str),
            event=field_of(data, "event", str, choices=EVENTS),
            method=field_of(data, "method", str, choices=METHODS),
            date=field_of(data, "date", str),
            via=opt("via"),
            url=opt("url"),
            host=opt("host"),
            sha256=opt("sha256"),
            oa_status=opt("oa_status"),
            version=opt("version"),
            licence=opt("licence"),
            pages=opt("pages", int),
            text=opt("text"),
            reason=opt("reason"),
        )


def log_path(review: Review) -> Path:
    return review.store.fulltext_file


def _name(work_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", work_id)


def pdf_path(review: Review, work_id: str) -> Path:
    """Where a work's PDF is stored (git-ignored)."""
    return review.store.fulltext_dir / f"{_name(work_id)}.pdf"


def text_path(review: Review, work_id: str) -> Path:
    """Where a work's extracted text is stored (the coding suggestions read it)."""
    return review.store.fulltext_dir / f"{_name(work_id)}.txt"


def load_retrievals(review: Review) -> list[Retrieval]:
    """Every retrieval event, oldest first."""
    return read_entries(log_path(review), Retrieval.from_dict, "full-text retrieval")


def log_retrieval(review: Review, *events: Retrieval) -> None:
    """Append retrieval events (fsynced before returning)."""
    review.store.ensure()
    append_jsonl(log_path(review), *(e.to_dict() for e in events))


def retrieval_status(events: Iterable[Retrieval]) -> dict[str, str]:
    """work id -> `retrieved` | `not-retrieved` | `no-open-access` for every work the log
    names (others: not tried).

    A stored PDF wins over everything, then a reviewer's `r` (`not-retrieved`); `exhausted`
    (a fetch run found no open copy anywhere) is `no-open-access`, which is not "not
    retrieved": only a person can say a report could not be had. `failed` attempts alone
    leave the work to be tried again.
    """
    rank = {"no-open-access": 1, "not-retrieved": 2, "retrieved": 3}
    status: dict[str, str] = {}
    for e in events:
        new = {"retrieved": "retrieved", "not-retrieved": "not-retrieved"}.get(e.event)
        if e.event == "exhausted":
            new = "no-open-access"
        if new and rank[new] >= rank.get(status.get(e.work_id, ""), 0):
            status[e.work_id] = new
    return status


def latest_pdf(events: Iterable[Retrieval]) -> dict[str, Retrieval]:
    """work id -> the event of the PDF stored last for it."""
    out: dict[str, Retrieval] = {}
    for e in events:
        if e.event == "retrieved":
            out[e.work_id] = e
    return out


def pages_of(text: str) -> list[tuple[int, str]]:
    """(page number, page text) of an extracted text; text before the first mark is page 1."""
    marks = list(_PAGE_LINE.finditer(text))
    if not marks:
        return [(1, text)] if text else []
    out = []
    if text[: marks[0].start()].strip():
        out.append((1, text[: marks[0].start()]))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out.append((int(m.group(1)), text[m.end() : end].lstrip("\n")))
    return out


def join_pages(pages: Iterable[str]) -> str:
    """The stored form of an extracted text: a PAGE_MARK line before each page."""
    return "".join(f"{PAGE_MARK.format(n=n)}\n{page.rstrip()}\n" for n, page in enumerate(pages, 1))


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def sentences(text: str) -> list[tuple[int, str]]:
    """(page, sentence) of an extracted text, in reading order, for quoting with a page.

    Line breaks are joined (a hyphen at a line end is kept, with no space: `model-based`),
    so a sentence wrapped over lines reads as one; a sentence belongs to the page it starts on.
    """
    out: list[tuple[int, str]] = []
    for page, body in pages_of(text):
        flat = re.sub(r"(\w)-\n(\w)", r"\1-\2", body)
        flat = " ".join(flat.split())
        out += [(page, s.strip()) for s in _SENTENCE_END.split(flat) if s.strip()]
    return out


def find_sentences(text: str, term: str) -> list[tuple[int, str]]:
    """(page, sentence) of every sentence holding `term` (case and spacing ignored)."""
    words = term.split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.IGNORECASE)
    return [(page, s) for page, s in sentences(text) if pattern.search(s)]


def read_text(review: Review, work_id: str) -> str | None:
    """A work's extracted text, or None when there is none yet."""
    try:
        return text_path(review, work_id).read_text("utf-8", errors="replace")
    except OSError:
        return None


def retrieval_line(status: str | None, pdf: Retrieval | None) -> str:
    """`full text: retrieved (fetched via unpaywall, host x, accepted version) · 12 pages`,
    `full text: not retrieved` or `full text: not yet tried`, for the screen."""
    if status == "retrieved" and pdf is not None:
        how = [pdf.method + (f" via {pdf.via}" if pdf.via else "")]
        if pdf.host:
            how.append(f"host {pdf.host}")
        if pdf.version:
            how.append(f"{pdf.version} version")
        pages = f" · {pdf.pages} page{'s' if pdf.pages != 1 else ''}" if pdf.pages else ""
        return f"full text: retrieved ({', '.join(how)}){pages}"
    if status == "not-retrieved":
        return "full text: not retrieved"
    if status == "no-open-access":
        return "full text: no open-access copy found (attach the PDF you have, or press r)"
    return "full text: not yet tried"
