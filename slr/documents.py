"""Documents that are not search records (interview transcripts, reports, grey literature).

`slr documents add FILE` keeps the document's text under the review folder
(`documents/<name>.txt`; a PDF's text is extracted with slr.fulltext.extract) and appends a
line to `documents.jsonl`: {time, id, kind, title, file, text, sha256}. A document is coded
with the same coding logs as the studies (its id `doc:<name>` stands for the work id), but
it is no record: PRISMA never counts it, and the concept matrix shows it only when asked
(`slr matrix --documents`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slr.corpus import now_iso
from slr.errors import ImportError_
from slr.records import Record
from slr.review import Review
from slr.store import append_jsonl, field_of, write_atomic
from slr.works import Work

KINDS = ("interview", "report", "other")
SUFFIXES = (".txt", ".md", ".pdf")
PREFIX = "doc:"
SOURCE = "document"
PREVIEW = 4000  # characters of the text shown where a study shows its abstract


@dataclass(frozen=True)
class Document:
    """One added document."""

    id: str  # doc:<name>
    kind: str
    title: str
    file: str  # the file it was added from, as given
    text: str  # its text, relative to the review folder
    sha256: str  # of the file's bytes
    time: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(
            id=field_of(data, "id", str),
            kind=field_of(data, "kind", str),
            title=field_of(data, "title", str),
            file=field_of(data, "file", str, ""),
            text=field_of(data, "text", str),
            sha256=field_of(data, "sha256", str, ""),
            time=field_of(data, "time", str, ""),
        )


def list_documents(review: Review) -> list[Document]:
    """The added documents, in the order they were added.

    Two different files under one id (two clones each added an `interview.txt`, then git
    merged the logs) would merge two documents' codings: that is an error naming both.
    """
    docs = review.entries(review.store.documents_file, Document.from_dict, "document")
    by_id: dict[str, Document] = {}
    for doc in docs:
        other = by_id.setdefault(doc.id, doc)
        if other.sha256 != doc.sha256:
            raise ImportError_(
                f"{review.store.documents_file}: {doc.id} names two different files "
                f"({other.file} and {doc.file}); give one line another id and rename its "
                "text file in documents/ to match"
            )
    return docs


def is_document(work_id: str) -> bool:
    """Whether a coding's work id names an added document."""
    return work_id.startswith(PREFIX)


def read_text(review: Review, doc: Document) -> str:
    """The document's stored text ("" when the file has gone)."""
    try:
        return (review.store.root / doc.text).read_text("utf-8", errors="replace")
    except OSError:
        return ""


def _file_text(path: Path, data: bytes) -> str:
    if path.suffix.lower() == ".pdf":
        from slr.fulltext.extract import extract_pdf

        pages = extract_pdf(path).pages
        text = "\n\n".join(f"[page {i}]\n{p}" for i, p in enumerate(pages, start=1))
        if not any(p.strip() for p in pages):
            raise ImportError_(
                f"{path}: the PDF has no text layer (a scan?); run OCR on it, or add its "
                "text as a .txt file"
            )
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_(f"{path}: not UTF-8 text; save it as UTF-8") from None


def _name(stem: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "document"
    name, n = base, 1
    while PREFIX + name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def add_document(review: Review, path: Path, kind: str, title: str | None = None) -> Document:
    """Store a document's text and log it; the same file twice is an error, not a copy."""
    if kind not in KINDS:
        raise ImportError_(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    if path.suffix.lower() not in SUFFIXES:
        raise ImportError_(f"{path}: a document is .txt, .md or .pdf; save it as one of those")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportError_(f"{path}: no such file; check the path") from None
    except OSError as exc:
        raise ImportError_(f"{path}: cannot read ({exc.strerror})") from None
    digest = hashlib.sha256(data).hexdigest()
    known = list_documents(review)
    for doc in known:
        if doc.sha256 == digest:
            raise ImportError_(f"{path}: already added as {doc.id} ({doc.title}); nothing added")
    text = _file_text(path, data)
    name = _name(path.stem, {d.id for d in known})
    store = review.store.ensure()
    target = store.documents_dir / f"{name}.txt"
    write_atomic(target, text)
    doc = Document(
        id=PREFIX + name,
        kind=kind,
        title=(title or "").strip() or path.stem,
        file=str(path),
        text=target.relative_to(store.root).as_posix(),
        sha256=digest,
        time=now_iso(),
    )
    append_jsonl(store.documents_file, doc.__dict__)
    return doc


def as_work(review: Review, doc: Document) -> Work:
    """A document in the shape coding and the matrix use (its text where an abstract goes)."""
    text = " ".join(read_text(review, doc).split())
    preview = text if len(text) <= PREVIEW else text[:PREVIEW] + " …"
    record = Record(SOURCE, doc.id[len(PREFIX) :], title=doc.title, abstract=preview, type=doc.kind)
    return Work(doc.id, (doc.id,), (SOURCE,), record)


def document_works(review: Review) -> list[Work]:
    """Every added document as a Work, in the order they were added."""
    return [as_work(review, d) for d in list_documents(review)]
