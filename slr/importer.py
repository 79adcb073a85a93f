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
from slr.corpus import add_records, load_records, log_search, now_iso, search_log
from slr.errors import ImportError_, SlrError
from slr.formats.common import (
    Document,
    check_date,
    decode,
    fallback_id,
    finish,
    normalise_newlines,
)
from slr.progress import Progress, counted
from slr.records import Record
from slr.review import Review
from slr.store import write_atomic
from slr.works import load_works, save_works

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
# Fields that make an entry more than an empty row.
_CONTENT = ("authors", "venue", "year", "volume", "issue", "pages", "abstract", "keywords", "url")
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
    local: set[int] = field(default_factory=set)  # positions of records with a file-local id

    def scoped(self) -> list[Record]:
        """The records as a review stores them: a file-local id (a BibTeX key, a RIS `ID`, a
        row number, a content hash) is prefixed with the file's sha256, so it can never make
        two files' records one, while the same bytes give the same ids again."""
        prefix = self.sha256[:12]
        return [
            r.evolve(source_id=f"{prefix}-{r.source_id}") if i in self.local else r
            for i, r in enumerate(self.records)
        ]

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
    fmt = formats.detect(doc) if format == "auto" else formats.FORMATS.get(format)
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
    records, problems, local = _records(entries, doc, fmt, source, raw)
    if not records:
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ImportError_(f"no entry could be read: {problems[0]}{more}")
        raise ImportError_(f"{name}: no {fmt.label} entries found; is it the right file?")
    sources = Counter(r.source for r in records)
    main = source or (next(iter(sources)) if len(sources) == 1 else "import")
    named = {r.extra.get("database") for r in records if r.source == main} - {None}
    if len(named) == 1:
        doc.meta["database"] = named.pop()  # a database slr does not know, as the file names it
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
        local=local,
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
) -> tuple[list[Record], list[str], set[int]]:
    """Records, skipped entries, and the positions of records whose id is only the file's.

    Every readable entry becomes one record: an id repeated inside the file gets `-2`,
    `-3`, ... and a warning naming both lines.
    """
    records: list[Record] = []
    problems: list[str] = []
    local: set[int] = set()
    seen: dict[tuple[str, str], int] = {}
    default_source = source or fmt.database or "import"
    for entry in entries:
        if entry.problem or entry.fields is None:
            problems.append(f"{doc.name}:{entry.line}: {entry.problem or 'unreadable entry'}")
            continue
        local_id = entry.fields.get("local_id")
        f = finish(entry.fields)
        if not f["title"] and not f["doi"]:
            if not any(f.get(k) for k in _CONTENT):
                problems.append(f"{doc.name}:{entry.line}: an empty entry; skipped")
                continue
            # a citation without its title is still an entry the database returned: keep it,
            # so the count of records matches the file, and let screening decide
            doc.warn(entry.line, "no title and no DOI; kept as it is (screen or correct it)")
        src = source or f.pop("source", None) or default_source
        f.pop("source", None)
        sid = f.pop("source_id", None)
        is_local = not sid
        sid = sid or (str(local_id).strip() if local_id else None) or fallback_id(f)
        if (src, sid) in seen:
            base, n = sid, 2
            while (src, f"{base}-{n}") in seen:
                n += 1
            sid, is_local = f"{base}-{n}", True
            doc.warn(
                entry.line,
                f"same id {src}:{base} as the entry at line {seen[(src, base)]}; both kept, "
                f"this one as {src}:{sid} (`slr dedupe` links them if they are one work)",
            )
        seen[(src, sid)] = entry.line
        if is_local:
            local.add(len(records))
        records.append(Record(source=src, source_id=sid, raw=f"{raw}#{entry.line}", **f))
    return records, problems, local


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
    run_id: str | None = None  # the import's id in the search log, for --amend and --remove
    notices: list[str] = field(default_factory=list)  # what the log lacks, said after the import

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
                f"corpus), {f.skipped} skipped; logged as import {f.run_id}"
            )
            notes = f.problems + f.warnings
            lines.extend(f"  {n}" for n in notes[:limit])
            if len(notes) > limit:
                lines.append(f"  ... and {len(notes) - limit} more")
        if len(self.files) > 1:
            lines.append(f"total: {self.added} new records, {self.skipped} entries skipped")
        lines.extend(f"warning: {n}" for f in self.files for n in f.notices)
        return "\n".join(lines)


def import_files(
    review: Review,
    paths: Sequence[str | Path],
    format: str = "auto",
    source: str | None = None,
    query: str | None = None,
    date: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import reference files into a review; every file is read before anything is written.

    Each entry read becomes its own record: a file-local id is scoped to the file (see
    `ImportResult.scoped`), so only a database-wide id (EID, UT, PMID, ...) or the very same
    bytes meet a record already stored.
    """
    check_date(date)
    if source is not None:
        check_source(source)
    started = now_iso()
    results = [
        read_records(p, format=format, source=source)
        for p in counted(list(paths), "reading", progress if len(paths) > 1 else None)
    ]
    review.store.ensure()
    log = search_log(review, removed=True)
    done = {
        e.get("sha256"): e.get("file")
        for e in log
        if e.get("kind") == "import" and e.get("sha256") and "removed" not in e
    }
    run_ids = {e.get("run_id") for e in log}
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
        records = res.scoped()
        held = sorted({r.id for r in records} & known)  # stored already: kept as provenance
        added = add_records(review, records, known=known)
        run_id = _run_id(res.sha256, run_ids)
        log_search(review, _log_entry(res, run_id, added, held, query, date, started))
        done[res.sha256] = res.raw
        summary = _summary(res, "imported", added, res.raw)
        summary.run_id = run_id
        summary.notices = _notices(res, run_id, source, query, date)
        summaries.append(summary)
    if unlisted:
        summaries[-1].warnings.append(
            "source "
            + ", ".join(unlisted)
            + " is not in the protocol's search.sources ("
            + ", ".join(listed)
            + "); add it there so the report counts it as planned"
        )
    return ImportSummary(summaries)


def _run_id(sha: str, taken: set[Any]) -> str:
    """`import-<sha prefix>`; `-2`, `-3` for the same bytes imported again after a removal."""
    base = run_id = f"import-{sha[:12]}"
    n = 2
    while run_id in taken:
        run_id, n = f"{base}-{n}", n + 1
    taken.add(run_id)
    return run_id


def _notices(
    res: ImportResult, run_id: str, source: str | None, query: str | None, date: str | None
) -> list[str]:
    """One line each for what the search log will lack, and how to add it later."""
    out = []
    if source is None and res.source == "import":
        out.append(
            f"{res.path}: the file does not say which database it came from; its records "
            f"count under other methods unless you name it: slr import --amend {run_id} "
            "--source NAME (or import with --source NAME)"
        )
    if query is None:
        out.append(
            f"{res.path}: no --query; the search log says 'not recorded' until you add it: "
            f"slr import --amend {run_id} --query '...'"
        )
    if date is None and not _export_date(res.meta.get("export_date")):
        out.append(
            f"{res.path}: no --date; the search log says 'not recorded' until you add it: "
            f"slr import --amend {run_id} --date YYYY-MM-DD"
        )
    return out


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
    res: ImportResult,
    run_id: str,
    added: int,
    held: list[str],
    query: str | None,
    date: str | None,
    started: str,
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
        "run_id": run_id,
        "kind": "import",
        "source": res.source,
        "database": database_name(res.source, res.meta.get("database")),
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
        "held": held,
    }


def database_name(source: str, named: str | None = None) -> str:
    """The database's name for people: ours for a known source, else as the file names it."""
    return DATABASES.get(source) or named or source


def _export_date(text: str | None) -> str | None:
    if not text:
        return None
    for pattern in ("%d %B %Y", "%d %b %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), pattern).date().isoformat()
        except ValueError:
            continue
    return None


# ------------------------------------------------------------------ correcting imports


def list_imports(review: Review) -> list[dict[str, Any]]:
    """Every import, removed ones too (marked), as corrected: for `slr import --list`."""
    return [e for e in search_log(review, removed=True) if e.get("kind") == "import"]


def format_imports(entries: Sequence[dict[str, Any]]) -> str:
    """One block per import: id, file, sha256, source, query, date, records."""
    if not entries:
        return "no imports yet; run `slr import FILE`"
    lines = []
    for e in entries:
        state = f"  (removed {e['removed']})" if "removed" in e else ""
        amended = f"  (amended {len(e['amended'])}x)" if e.get("amended") else ""
        lines += [
            f"{e.get('run_id')}{state}{amended}",
            f"  file     {e.get('file')}" + (f"  ({e['filename']})" if e.get("filename") else ""),
            f"  sha256   {e.get('sha256') or 'not recorded'}",
            f"  source   {e.get('source')} ({e.get('database') or e.get('source')})",
            f"  query    {e.get('query') or 'not recorded'}",
            f"  date     {e.get('date') or 'not recorded'}",
            f"  records  {e.get('fetched', 'not recorded')} ({e.get('kept', 0)} new to the corpus)",
        ]
    return "\n".join(lines)


def _find_import(review: Review, run_id: str, flag: str) -> dict[str, Any]:
    entries = list_imports(review)
    for e in entries:
        if e.get("run_id") == run_id:
            if "removed" in e:
                raise ImportError_(
                    f"{flag} {run_id}: that import was removed ({e['removed']}); "
                    "import the file again to bring it back"
                )
            return e
    live = [str(e.get("run_id")) for e in entries if "removed" not in e]
    known = ", ".join(live) if live else "none yet"
    raise ImportError_(
        f"{flag} {run_id!r}: no such import; use one of: {known} (see slr import --list)"
    )


def amend_import(
    review: Review,
    run_id: str,
    source: str | None = None,
    query: str | None = None,
    date: str | None = None,
) -> str:
    """Append a correction of one import's source, query or date; returns what changed."""
    if source is None and query is None and date is None:
        raise ImportError_(f"--amend {run_id}: give --source, --query or --date to correct")
    if source is not None:
        check_source(source)
    check_date(date)
    entry = _find_import(review, run_id, "--amend")
    change: dict[str, Any] = {}
    notes = [n for n in (entry.get("notes") or "").split("; ") if n]
    if source is not None:
        change["source"] = source
        change["database"] = database_name(source)
    if query is not None:
        change["query"] = query
        notes = [n for n in notes if not n.startswith("query not given")]
    if date is not None:
        change["date"] = date
        notes = [n for n in notes if not n.startswith("search date")]
    said = ", ".join(f"{k} {entry.get(k) or 'not recorded'} -> {v}" for k, v in change.items())
    change["notes"] = "; ".join(notes + [f"amended {now_iso()[:10]}: " + ", ".join(change)])
    log_search(review, {"run_id": run_id, "kind": "amend", **change})
    return f"{run_id}: {said}"


def remove_import(review: Review, run_id: str) -> str:
    """Append a tombstone for one import: its records leave the review, its file stays.

    Decisions stay in the reviewers' logs; works.jsonl (derived) is rewritten without the
    records only that import held, so every count follows at once.
    """
    entry = _find_import(review, run_id, "--remove")
    before = len(load_records(review))
    works_before = len(load_works(review)) if review.store.works_file.exists() else None
    log_search(review, {"run_id": run_id, "kind": "remove"})
    left = before - len(load_records(review))
    text = f"{run_id}: removed ({entry.get('file')} is kept); {left} record(s) left the review"
    if works_before is not None:
        works = load_works(review)
        save_works(review, works)
        text += f", {works_before - len(works)} work(s) with them; their decisions stay in the logs"
    return text
