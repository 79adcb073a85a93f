"""Importing reference files: detect the format, decode, parse, keep the bytes, log the import.

`read_records` parses any supported file into Records without touching a review (used by
stand-alone de-duplication and by simulations). `import_files` adds files to a review: each
file is copied verbatim to `raw/import/<sha256 prefix>-<name>`, its records are added to the
corpus, and the import is logged as its own search (PRISMA-S) so every database is counted.
Importing the same bytes again is a no-op. A file that cannot be read at all changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from slr import formats
from slr.corpus import add_records, log_search, now_iso, search_log
from slr.errors import ImportError_, SlrError
from slr.formats.common import (
    Document,
    check_date,
    decode,
    fallback_id,
    finish,
    normalise_newlines,
)
from slr.progress import progress
from slr.records import Record
from slr.review import Review
from slr.store import write_atomic

DATABASES = {
    "scopus": "Scopus",
    "webofscience": "Web of Science",
    "ieee": "IEEE Xplore",
    "springer": "SpringerLink",
    "pubmed": "PubMed",
    "google-scholar": "Google Scholar",
    "sciencedirect": "ScienceDirect",
    "embase": "Embase",
    "acm": "ACM Digital Library",
    "ebsco": "EBSCOhost",
    "cochrane": "Cochrane Library",
    "psycinfo": "APA PsycInfo",
    "dblp": "dblp",
    "arxiv": "arXiv",
    "openalex": "OpenAlex",
    "crossref": "Crossref",
    "semanticscholar": "Semantic Scholar",
    "import": "file import",
}
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ZIP = b"PK\x03\x04"


@dataclass
class ImportResult:
    """The records of one file, the entries skipped (`file:line: what`), and notes."""

    path: str
    format: str
    label: str
    encoding: str
    sha256: str
    raw: str  # where import_files keeps the bytes, relative to the review folder
    records: list[Record]
    problems: list[str]  # skipped entries
    warnings: list[str]  # imported anyway, or about the whole file
    read: int  # entries found in the file
    source: str  # the --source, else the single source of all records, else "import"
    meta: dict[str, Any] = field(default_factory=dict)
    data: bytes = field(default=b"", repr=False)

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as `(records, problems)`."""
        return iter((self.records, self.problems))


def read_records(path: str | Path, format: str = "auto", source: str | None = None) -> ImportResult:
    """Parse a reference file into Records without touching a review."""
    name = str(path)
    if source is not None:
        check_source(source)
    data = _read_bytes(Path(path))
    sha = hashlib.sha256(data).hexdigest()
    raw = f"raw/import/{sha[:12]}-{_safe_filename(Path(path).name)}"
    doc = _document(name, data, format)
    fmt = formats.detect(doc) if format == "auto" else formats.get(format)
    if fmt.binary != doc.binary:
        kind = "a binary (XLSX) workbook" if doc.binary else "a text file"
        raise ImportError_(f"{name}: --format {fmt.name} does not fit {kind}; try --format auto")
    try:
        entries = list(fmt.parse(doc))
    except SlrError:
        raise
    except Exception as exc:  # a parser must never end in a traceback for the user
        raise ImportError_(
            f"{name}: could not be read as {fmt.label} ({type(exc).__name__}: {exc}); "
            "check the file or pass another --format"
        ) from None
    records, problems = _records(entries, doc, fmt, source, raw)
    if not records:
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ImportError_(f"no entry could be read: {problems[0]}{more}")
        raise ImportError_(f"{name}: no {fmt.label} entries found; is it the right file?")
    sources = Counter(r.source for r in records)
    main = source or (next(iter(sources)) if len(sources) == 1 else "import")
    return ImportResult(
        path=name,
        format=fmt.name,
        label=fmt.label,
        encoding=doc.encoding,
        sha256=sha,
        raw=raw,
        records=records,
        problems=problems,
        warnings=doc.warnings,
        read=len(entries),
        source=main,
        meta={
            **{k: v for k, v in doc.meta.items() if not k.startswith("_")},
            "sources": dict(sources),
        },
        data=data,
    )


def check_source(name: str) -> str:
    """A --source name must be usable inside record ids: lower-case letters, digits, '-'."""
    if not _SOURCE_NAME.match(name):
        raise ImportError_(
            f"--source {name!r}: use lower-case letters, digits and '-', e.g. scopus or webofscience"
        )
    return name


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ImportError_(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportError_(f"{path}: is a folder; name the exported files inside it") from None
    except OSError as exc:
        raise ImportError_(f"{path}: cannot be read ({exc.strerror})") from None


def _document(name: str, data: bytes, format: str) -> Document:
    if data.startswith(_ZIP):
        return Document(name, data=data, binary=True, encoding="xlsx")
    text, encoding, warning = decode(data, name)
    doc = Document(name, data=b"", text=normalise_newlines(text), encoding=encoding)
    if warning:
        doc.warnings.append(warning)
    return doc


def _records(
    entries: Sequence[formats.Entry],
    doc: Document,
    fmt: formats.Format,
    source: str | None,
    raw: str,
) -> tuple[list[Record], list[str]]:
    records: list[Record] = []
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    default_source = source or fmt.database or "import"
    for entry in entries:
        if entry.problem or entry.fields is None:
            problems.append(f"{doc.name}:{entry.line}: {entry.problem or 'unreadable entry'}")
            continue
        f = finish(entry.fields)
        if not f["title"] and not f["doi"]:
            problems.append(f"{doc.name}:{entry.line}: no title and no DOI; entry skipped")
            continue
        src = source or f.pop("source", None) or default_source
        f.pop("source", None)
        sid = f.pop("source_id", None) or fallback_id(f)
        if (src, sid) in seen:
            base, n = sid, 2
            while (src, f"{base}-{n}") in seen:
                n += 1
            sid = f"{base}-{n}"
            doc.warn(
                entry.line,
                f"same id {src}:{base} as the entry at line {seen[(src, base)]}; kept as {src}:{sid}",
            )
        seen[(src, sid)] = entry.line
        records.append(Record(source=src, source_id=sid, raw=f"{raw}#{entry.line}", **f))
    return records, problems


def _safe_filename(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return cleaned.lstrip(".") or "import"


# ------------------------------------------------------------------ into a review


@dataclass
class FileSummary:
    """What happened to one file."""

    path: str
    status: str  # "imported" | "already imported"
    format: str
    source: str
    read: int
    imported: int  # records read from the file
    added: int  # new to the corpus
    skipped: int
    raw: str
    problems: list[str]
    warnings: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ImportSummary:
    """Per-file outcomes of `import_files` and their totals."""

    files: list[FileSummary]

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "added": self.added,
            "skipped": self.skipped,
        }

    def format(self, limit: int = 20) -> str:
        """Plain-text summary; problems and warnings beyond `limit` per file are counted."""
        lines = []
        for f in self.files:
            if f.status == "already imported":
                lines.append(f"{f.path}: already imported (same bytes as {f.raw}); nothing to do")
                continue
            lines.append(
                f"{f.path}: {f.format}, source {f.source}: {f.read} entries read, "
                f"{f.imported} imported ({f.added} new, {f.imported - f.added} already in the "
                f"corpus), {f.skipped} skipped"
            )
            notes = f.problems + f.warnings
            lines.extend(f"  {n}" for n in notes[:limit])
            if len(notes) > limit:
                lines.append(f"  ... and {len(notes) - limit} more")
        if len(self.files) > 1:
            lines.append(f"total: {self.added} new records, {self.skipped} entries skipped")
        return "\n".join(lines)


def import_files(
    review: Review,
    paths: Sequence[str | Path],
    format: str = "auto",
    source: str | None = None,
    query: str | None = None,
    date: str | None = None,
    quiet: bool = False,
) -> ImportSummary:
    """Import reference files into a review; every file is read before anything is written."""
    check_date(date)
    if source is not None:
        check_source(source)
    started = now_iso()
    results = [
        read_records(p, format=format, source=source)
        for p in progress(list(paths), "reading", quiet=quiet or len(paths) < 2)
    ]
    review.store.ensure()
    done = {
        e.get("sha256"): e.get("file")
        for e in search_log(review)
        if e.get("kind") == "import" and e.get("sha256")
    }
    known = review.store.record_ids()
    listed = [spec.name for spec in review.protocol.search.sources]
    unlisted = sorted({r.source for res in results for r in res.records} - set(listed) - {"import"})
    summaries = []
    for res in results:
        if res.sha256 in done:
            summaries.append(_summary(res, "already imported", 0, done[res.sha256] or res.raw))
            continue
        target = review.store.root / res.raw
        if not target.exists():
            write_atomic(target, res.data)
        added = add_records(review, res.records, known=known)
        log_search(review, _log_entry(res, added, query, date, started))
        done[res.sha256] = res.raw
        summaries.append(_summary(res, "imported", added, res.raw))
    if unlisted:
        summaries[-1].warnings.append(
            "source "
            + ", ".join(unlisted)
            + " is not in the protocol's search.sources ("
            + ", ".join(listed)
            + "); add it there so the report counts it as planned"
        )
    return ImportSummary(summaries)


def _summary(res: ImportResult, status: str, added: int, raw: str) -> FileSummary:
    return FileSummary(
        path=res.path,
        status=status,
        format=res.label,
        source=res.source,
        read=res.read,
        imported=len(res.records),
        added=added,
        skipped=res.skipped,
        raw=raw,
        problems=res.problems,
        warnings=res.warnings,
    )


def _log_entry(
    res: ImportResult, added: int, query: str | None, date: str | None, started: str
) -> dict[str, Any]:
    notes = []
    search_date = date or _export_date(res.meta.get("export_date"))
    if date is None:
        notes.append(
            f"search date taken from the file's export date ({search_date})"
            if search_date
            else "search date not given (pass --date)"
        )
    if query is None:
        notes.append("query not given (pass --query as typed in the database)")
    if len(res.meta.get("sources", {})) > 1:
        notes.append(
            "records per source: " + ", ".join(f"{s} {n}" for s, n in res.meta["sources"].items())
        )
    return {
        "run_id": f"import-{res.sha256[:12]}",
        "kind": "import",
        "source": res.source,
        "database": DATABASES.get(res.source, res.source),
        "interface": f"{res.label} file",
        "query": query,
        "date": search_date,
        "started": started,
        "finished": now_iso(),
        "reported_total": res.read,
        "fetched": len(res.records),
        "kept": added,
        "skipped": res.skipped,
        "status": "partial" if res.problems else "ok",
        "file": res.raw,
        "filename": Path(res.path).name,
        "sha256": res.sha256,
        "format": res.format,
        "encoding": res.encoding,
        "notes": "; ".join(notes),
    }


def _export_date(text: str | None) -> str | None:
    if not text:
        return None
    for pattern in ("%d %B %Y", "%d %b %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), pattern).date().isoformat()
        except ValueError:
            continue
    return None
