"""PDFs the reviewer already has: attach one to a work, or import a folder of them.

`attach_file` stores one PDF for a named work. `import_folder` walks a folder (a Zotero
storage folder, an institution's download batch) and matches each PDF to a work: by a DOI
in the PDF's metadata, else a DOI on its first two pages, else by title similarity
(rapidfuzz) with the first page, among the works that need a full text (passed title and
abstract screening) first, then among all works. A file that matches more than one work,
or none, is listed and left alone: a wrong PDF behind a work would be read, quoted and
coded as that study, so nothing is guessed.

Storing follows the contract of `slr.fulltext`: the bytes are copied atomically to
`pdf_path`, the text is extracted to `text_path`, and one `retrieved` event (method
`attached` or `imported`, sha256, pages, text status) is appended to fulltext.jsonl. The
same bytes a second time are a no-op.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from slr.corpus import now_iso
from slr.errors import SlrError
from slr.fulltext import Retrieval, latest_pdf, load_retrievals, log_retrieval, pdf_path
from slr.fulltext.extract import (
    Extracted,
    PdfError,
    dois_in,
    extract_pdf,
    is_pdf,
    pdf_metadata,
    store_text,
)
from slr.records import normalise_doi
from slr.review import Review
from slr.store import write_atomic
from slr.works import Work, load_works

TITLE_MIN_SCORE = 90  # rapidfuzz partial_ratio of a work's title within the first page
TITLE_MARGIN = 5  # ... and by this much more than any other work's title, else ambiguous
TITLE_MIN_LENGTH = 20  # shorter titles ("Introduction") match too much of any first page
HEAD_CHARS = 3000  # how much of the first page a title is looked for in
_NOT_WORD = re.compile(r"[^\w]+")

Progress = Callable[[int, int, str], None]  # (files done, files in all, file name)


class AttachError(SlrError):
    """A work that cannot be named, or a file that cannot be attached."""


@dataclass(frozen=True)
class Attached:
    """What became of one file: `attached`, `same` (those bytes are stored already),
    `has-pdf` (the work has another PDF; import leaves it), `ambiguous`, `unmatched` or
    `error` (not a PDF, encrypted, damaged)."""

    path: Path
    outcome: str
    work_id: str | None = None
    how: str | None = None  # doi, title, by hand
    candidates: tuple[str, ...] = ()
    pages: int | None = None
    text: str | None = None  # extraction status
    message: str | None = None


@dataclass
class ImportReport:
    files: list[Attached] = field(default_factory=list)
    skipped: int = 0  # files without a .pdf name, not looked at


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- naming a work


def resolve_work(works: Iterable[Work], ref: str) -> Work:
    """The work a user named by its id, a unique prefix of it, or its DOI."""
    works = list(works)
    for w in works:
        if w.work_id == ref:
            return w
    doi = normalise_doi(ref)
    if doi:
        hits = [w for w in works if normalise_doi(w.canonical.doi) == doi]
    else:
        hits = [w for w in works if w.work_id.startswith(ref)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise AttachError(
            f"{ref}: no work has this id or DOI; `slr screen` or works.jsonl show the ids"
        )
    shown = ", ".join(w.work_id for w in hits[:5]) + (", ..." if len(hits) > 5 else "")
    raise AttachError(f"{ref}: matches {len(hits)} works ({shown}); give more of the id")


# --------------------------------------------------------------------------- storing


def attach_file(review: Review, ref: str, path: Path) -> Attached:
    """Attach the PDF at `path` to the work `ref` names; AttachError/PdfError if it cannot be."""
    work = resolve_work(load_works(review), ref)
    data = _read(path)
    if not is_pdf(data):
        raise PdfError(f"{path}: not a PDF (no %PDF- header); attach the PDF file itself")
    sha = sha256_of(data)
    stored = latest_pdf(load_retrievals(review)).get(work.work_id)
    if stored and stored.sha256 == sha and pdf_path(review, work.work_id).exists():
        return Attached(path, "same", work.work_id, "by hand", pages=stored.pages)
    extracted = extract_pdf(path)
    return _store(review, work.work_id, path, data, extracted, "attached", "by hand")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AttachError(
            f"{path}: cannot read ({exc.strerror or exc}); check the path and its permissions"
        ) from None


def _store(
    review: Review,
    work_id: str,
    path: Path,
    data: bytes,
    extracted: Extracted,
    method: str,
    how: str,
) -> Attached:
    """Copy the bytes, write the text, then log the event (a kill before the log line leaves
    a stored file that the next attach of the same bytes simply logs)."""
    write_atomic(pdf_path(review, work_id), data)
    store_text(review, work_id, extracted)
    pages = len(extracted.pages)
    log_retrieval(
        review,
        Retrieval(
            work_id,
            "retrieved",
            method,
            now_iso(),
            sha256=sha256_of(data),
            pages=pages,
            text=extracted.status,
        ),
    )
    return Attached(path, "attached", work_id, how, pages=pages, text=extracted.status)


# --------------------------------------------------------------------------- importing


def import_folder(
    review: Review,
    folder: Path,
    needy: Iterable[str] | None = None,
    on_file: Progress | None = None,
) -> ImportReport:
    """Attach every PDF under `folder` that matches exactly one work; list the rest.

    `needy`: ids of the works that need a full text (default: those passed to full-text
    screening), tried first when matching by title.
    """
    if not folder.is_dir():
        raise AttachError(f"{folder}: not a folder; give the folder that holds the PDFs")
    works = load_works(review)
    if not works:
        raise AttachError("no works yet; run `slr dedupe` first, then import the PDFs")
    needy_ids = set(_needing_fulltext(review, works) if needy is None else needy)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    pdfs = [p for p in files if p.suffix.lower() == ".pdf"]
    report = ImportReport(skipped=len(files) - len(pdfs))
    events = load_retrievals(review)
    stored = latest_pdf(events)
    by_sha = {e.sha256: e.work_id for e in events if e.event == "retrieved" and e.sha256}
    matcher = _Matcher(works, needy_ids)
    for n, path in enumerate(pdfs, 1):
        report.files.append(_import_one(review, path, matcher, stored, by_sha))
        if on_file:
            on_file(n, len(pdfs), path.name)
    return report


def _import_one(
    review: Review,
    path: Path,
    matcher: _Matcher,
    stored: dict[str, Retrieval],
    by_sha: dict[str, str],
) -> Attached:
    try:
        data = _read(path)
    except AttachError as exc:
        return Attached(path, "error", message=str(exc))
    if not is_pdf(data):
        return Attached(path, "error", message=f"{path}: not a PDF (no %PDF- header)")
    sha = sha256_of(data)
    if sha in by_sha:
        return Attached(path, "same", by_sha[sha])
    try:
        extracted = extract_pdf(path)
    except PdfError as exc:
        return Attached(path, "error", message=str(exc))
    title, meta_dois = pdf_metadata(path)
    outcome = matcher.match(meta_dois, title, extracted.pages[:2])
    if outcome.outcome != "attached" or outcome.work_id is None:
        return Attached(path, outcome.outcome, candidates=outcome.candidates)
    if outcome.work_id in stored and pdf_path(review, outcome.work_id).exists():
        return Attached(path, "has-pdf", outcome.work_id, outcome.how)
    done = _store(review, outcome.work_id, path, data, extracted, "imported", outcome.how or "")
    by_sha[sha] = outcome.work_id
    stored[outcome.work_id] = Retrieval(outcome.work_id, "retrieved", "imported", "", sha256=sha)
    return done


def _needing_fulltext(review: Review, works: list[Work]) -> list[str]:
    """Works passed to full-text screening (included or maybe at title/abstract)."""
    from slr.screen.state import stage_pool  # late: screening state is heavy

    return [w.work_id for w in stage_pool(review, "full-text", works)]


def _words(text: str) -> str:
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


class _Matcher:
    """Matches one PDF's DOIs and first pages to works (see the module docstring)."""

    def __init__(self, works: list[Work], needy: set[str]) -> None:
        self.by_doi: dict[str, list[str]] = {}
        for w in works:
            doi = normalise_doi(w.canonical.doi)
            if doi:
                self.by_doi.setdefault(doi, []).append(w.work_id)
        titled = [(w.work_id, _words(w.canonical.title or "")) for w in works]
        titled = [(wid, t) for wid, t in titled if len(t) >= TITLE_MIN_LENGTH]
        self.pools = [[(wid, t) for wid, t in titled if wid in needy], titled]

    def match(self, meta_dois: list[str], title: str, first_pages: list[str]) -> Attached:
        for dois in (meta_dois, dois_in("\n".join(first_pages))):
            ids = list(dict.fromkeys(wid for d in dois for wid in self.by_doi.get(d, [])))
            if len(ids) == 1:
                return Attached(Path(), "attached", ids[0], "doi")
            if ids:
                return Attached(Path(), "ambiguous", candidates=tuple(ids))
        head = _words(f"{title}\n{first_pages[0] if first_pages else ''}")[:HEAD_CHARS]
        for pool in self.pools:
            if not pool or not head:
                continue
            hits = process.extract(
                head,
                {wid: t for wid, t in pool},
                scorer=fuzz.partial_ratio,
                score_cutoff=TITLE_MIN_SCORE,
                limit=None,
            )
            if not hits:
                continue
            scores = sorted((score for _, score, _ in hits), reverse=True)
            if len(scores) == 1 or scores[0] - scores[1] >= TITLE_MARGIN:
                return Attached(Path(), "attached", hits[0][2], "title")
            return Attached(Path(), "ambiguous", candidates=tuple(wid for _, _, wid in hits))
        return Attached(Path(), "unmatched")
