"""Checks of the search against what the team knows: known relevant papers, imported records.

`slr search --validate` (PRISMA-S; Cochrane's advice to test a search against studies known
to be relevant): for each `search.known_relevant` entry (a DOI or a title) and each source
of the protocol, whether the source's query matches the paper, by the local evaluator
(`slr.query`) on the paper's title, abstract and keywords, restricted to the fields the
source's API searches; and whether that source's records in the review hold it. The
metadata comes from the review's records (same DOI or same normalised title); a paper the
records lack, or hold without the abstract a source's verdict needs, is looked up by DOI in
OpenAlex (with a key) or Crossref. Lookups are archived under `raw/<source>/validate/` and
reused, so a validation replays offline; with no network a paper is "not looked up", never
an error.

`imported_unmatched` checks the records of imports (database exports): a database's web
interface often ran a different query than the protocol's, so records it returned that the
protocol's query would not match are counted (`slr status`) and listed
(`slr search --unmatched`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slr import query as q
from slr.databases import MANUAL
from slr.errors import SlrError
from slr.progress import Progress, counted
from slr.protocol import Protocol, SourceSpec
from slr.query import Verdict
from slr.records import Record, normalise_doi, normalise_title

if TYPE_CHECKING:
    from slr.http import Client
    from slr.review import Review

LOOKUP = "validate"  # raw/<source>/validate/doi-<doi>.json
ALL_FIELDS = ("title", "abstract", "keywords")
WORDS = {Verdict.MATCH: "match", Verdict.NO_MATCH: "no match", Verdict.UNDECIDABLE: "undecidable"}


# ---------------------------------------------------------------- known relevant papers


@dataclass(frozen=True)
class Known:
    """A `known_relevant` entry: a DOI, or else a title (compared normalised)."""

    entry: str
    doi: str | None
    title: str

    @classmethod
    def parse(cls, entry: str) -> Known:
        doi = normalise_doi(entry)
        return cls(entry, doi, "" if doi else normalise_title(entry))


@dataclass
class Metadata:
    """What the query is evaluated on, and where it came from."""

    title: str | None = None
    abstract: str | None = None
    keywords: tuple[str, ...] = ()
    origin: str = "none"  # "records", "openalex", "crossref", "records + openalex", "none"
    note: str = ""  # why there is none, or what a lookup said

    def describe(self) -> str:
        """Where the metadata came from, in words (and what is missing)."""
        if self.origin == "none":
            return self.note or "no metadata"
        where = self.origin.replace("openalex", "OpenAlex lookup").replace(
            "crossref", "Crossref lookup"
        )
        if self.abstract is None:
            where += ", no abstract" + (f"; {self.note}" if self.note else "")
        return where


@dataclass
class SourceCheck:
    source: str
    fields: str  # the fields the source's query searches, in words
    verdict: Verdict | None  # None: no metadata to evaluate
    retrieved: bool | None  # None: the source has not been searched or imported yet
    records: tuple[str, ...] = ()


@dataclass
class PaperCheck:
    known: Known
    metadata: Metadata
    sources: list[SourceCheck] = field(default_factory=list)

    @property
    def found(self) -> bool:
        """Some source's query matches the paper."""
        return any(s.verdict is Verdict.MATCH for s in self.sources)

    @property
    def retrieved(self) -> bool:
        return any(s.retrieved for s in self.sources)


@dataclass
class Validation:
    papers: list[PaperCheck]

    def recall_line(self) -> str:
        n = len(self.papers)
        if not n:
            return (
                "known relevant: none listed; add search.known_relevant = [DOIs or titles] "
                "to the protocol to test the search"
            )
        found = sum(p.found for p in self.papers)
        why: list[str] = []
        undecided = sum(
            not p.found and any(s.verdict is Verdict.UNDECIDABLE for s in p.sources)
            for p in self.papers
        )
        if undecided:
            why.append(f"{undecided} undecidable without an abstract")
        missing = sum(p.metadata.origin == "none" for p in self.papers)
        if missing:
            why.append(f"{missing} without metadata")
        missed = n - found - undecided - missing
        if missed:
            why.append(f"{missed} not matched")
        detail = f" ({'; '.join(why)})" if why else ""
        got = sum(p.retrieved for p in self.papers)
        return (
            f"known relevant found by the query: {found}/{n}{detail}; "
            f"retrieved by the last search: {got}/{n}"
        )


def validate(
    review: Review,
    *,
    offline: bool = False,
    progress: Progress | None = None,
    client: Client | None = None,
    env: Mapping[str, str] | None = None,
) -> Validation:
    """Check every known relevant paper against every source of the protocol."""
    from slr.corpus import load_records, search_log

    protocol = review.protocol
    records = load_records(review)
    searched = {
        e.get("source") for e in search_log(review) if e.get("kind") in ("search", "import")
    }
    index = _Index(records)
    papers = []
    lookup = _Lookup(review, offline, client, env)
    for entry in counted(list(protocol.known_relevant), "validate known relevant", progress):
        known = Known.parse(entry)
        found = index.find(known.doi, known.title)
        meta = _metadata(found)
        checks = _per_source(protocol, meta, found, searched)
        doi = known.doi or next((r.doi for r in found if r.doi), None)
        undecided = any(c.verdict in (None, Verdict.UNDECIDABLE) for c in checks)
        if doi and undecided:  # not in the records, or there without the abstract it needs
            looked = lookup.doi(doi)
            if looked.origin == "none":
                meta.note = looked.note
            else:
                found = found or index.find(None, normalise_title(looked.title))
                meta = _merge(_metadata(found), looked)
                checks = _per_source(protocol, meta, found, searched)
        elif not found:
            meta.note = "not in the records; give its DOI to look it up"
        papers.append(PaperCheck(known, meta, checks))
    return Validation(papers)


class _Index:
    """The review's records by DOI and by normalised title."""

    def __init__(self, records: Iterable[Record]) -> None:
        self.by_doi: dict[str, list[Record]] = {}
        self.by_title: dict[str, list[Record]] = {}
        for rec in records:
            if rec.doi:
                self.by_doi.setdefault(rec.doi, []).append(rec)
            key = normalise_title(rec.title)
            if key:
                self.by_title.setdefault(key, []).append(rec)

    def find(self, doi: str | None, title: str) -> list[Record]:
        """Records with the DOI or the title, and those sharing a title or DOI with them."""
        found = {r.id: r for r in self.by_doi.get(doi or "", []) + self.by_title.get(title, [])}
        for rec in list(found.values()):
            same_title = self.by_title.get(normalise_title(rec.title), [])
            same_doi = self.by_doi.get(rec.doi or "", [])
            found.update((r.id, r) for r in [*same_title, *same_doi])
        return list(found.values())


def _metadata(records: Sequence[Record]) -> Metadata:
    if not records:
        return Metadata()
    titles = [r.title for r in records if r.title]
    abstracts = [r.abstract for r in records if r.abstract]
    keywords = tuple(dict.fromkeys(k for r in records for k in r.keywords))
    return Metadata(
        titles[0] if titles else None,
        max(abstracts, key=len) if abstracts else None,
        keywords,
        "records",
    )


def _merge(mine: Metadata, looked: Metadata) -> Metadata:
    """The records' metadata (if any) completed by a lookup: its abstract and keywords."""
    if mine.origin == "none":
        return looked
    return Metadata(
        mine.title or looked.title,
        mine.abstract or looked.abstract,
        tuple(dict.fromkeys(mine.keywords + looked.keywords)),
        f"records + {looked.origin}" if looked.abstract else "records",
        "" if looked.abstract else f"{looked.origin} has no abstract either",
    )


def scoped(node: q.Node, fields: Sequence[str]) -> q.Node:
    """The query with each unprefixed term searching only `fields` (a source's scope)."""
    if tuple(fields) == ALL_FIELDS:
        return node
    if isinstance(node, q.Term | q.Phrase):
        if node.field is not None:
            return node
        return q.or_(*(type(node)(**{**node.__dict__, "field": f}) for f in fields))
    if isinstance(node, q.Not):
        return q.Not(scoped(node.child, fields))
    kids = [scoped(c, fields) for c in node.children]
    return q.and_(*kids) if isinstance(node, q.And) else q.or_(*kids)


def source_scope(spec: SourceSpec) -> tuple[tuple[str, ...], str]:
    """(the record fields a source's query searches, those fields in words)."""
    if spec.name in MANUAL:
        return ALL_FIELDS, "title, abstract, keywords (the web interface's own scope is unknown)"
    from slr.sources import SOURCES

    if spec.name not in SOURCES:
        return ALL_FIELDS, ", ".join(ALL_FIELDS)
    cls = SOURCES.get(spec.name)
    words = ", ".join(cls.searched_fields)
    if cls.also_searches:
        words += f"; also {cls.also_searches}, not checked"
    return cls.searched_fields, words


def _per_source(
    protocol: Protocol, meta: Metadata, found: Sequence[Record], searched: set[Any]
) -> list[SourceCheck]:
    out = []
    for spec in protocol.search.sources:
        fields, words = source_scope(spec)
        verdict = None
        if meta.origin != "none":
            verdict = q.evaluate(
                scoped(spec.query, fields), meta.title, meta.abstract, meta.keywords
            )
        mine = tuple(r.id for r in found if r.source == spec.name)
        retrieved = True if mine else (False if spec.name in searched else None)
        out.append(SourceCheck(spec.name, words, verdict, retrieved, mine))
    return out


class _Lookup:
    """Metadata by DOI from OpenAlex (when its key is set) or Crossref, archived and reused."""

    def __init__(
        self,
        review: Review,
        offline: bool,
        client: Client | None,
        env: Mapping[str, str] | None,
    ) -> None:
        self.review, self.offline, self.client, self.env = review, offline, client, env

    def doi(self, doi: str) -> Metadata:
        """The first answer with an abstract (else the first answer, else why there is none)."""
        from slr.http import Archive, default_client
        from slr.sources.crossref import Crossref
        from slr.sources.openalex import OpenAlex

        client = self.client or default_client()
        name = "doi-" + "".join(c if c.isalnum() or c in "-._" else "_" for c in doi)
        said: list[str] = []
        first: Metadata | None = None
        sources = (
            (OpenAlex(client, {}, self.env), f"doi:{doi}"),
            (Crossref(client, {}, self.env), doi),
        )
        for src, ident in sources:
            archive = Archive(self.review.store.raw / src.name / LOOKUP)
            try:
                if name in archive.names():
                    response, _ = archive.load(name)
                    if not response.ok:
                        said.append(f"{src.name}: HTTP {response.status} (archived)")
                        continue
                    data = response.json()
                    if src.name == "crossref":  # Crossref wraps the work in `message`
                        data = data.get("message") or {}
                    rec = src.to_record(data)
                elif self.offline:
                    said.append(f"{src.name}: offline")
                    continue
                elif src.missing_keys():
                    said.append(f"{src.name}: no {' or '.join(src.missing_keys())}")
                    continue
                else:
                    self.review.store.ensure()
                    rec = src.work(ident, archive=archive, name=name)
            except SlrError as exc:  # 404, no network, a quota: the paper stays unchecked
                text = client.redactor.text(str(exc)).split(";", 1)[0]
                said.append(text if text.startswith(f"{src.name}:") else f"{src.name}: {text}")
                continue
            found = Metadata(rec.title, rec.abstract, rec.keywords, src.name)
            if rec.abstract is not None:
                return found
            first = first or found
        return first or Metadata(note="not looked up: " + "; ".join(said))


# ---------------------------------------------------------------- imported records


@dataclass(frozen=True)
class Unmatched:
    """An imported record the protocol's query does not match (or cannot decide)."""

    record: Record
    verdict: Verdict
    import_id: str  # the import's run id in the search log
    typed_query: str | None  # the query the database's web interface ran, as logged


def imported_unmatched(
    protocol: Protocol, records: Iterable[Record], log: Iterable[Mapping[str, Any]]
) -> list[Unmatched]:
    """Records of imports that the protocol's query (the source's own, if set) does not
    match, then those it cannot decide for want of an abstract; each in stored order."""
    imports = {e["file"]: e for e in log if e.get("kind") == "import" and e.get("file")}
    if not imports:
        return []
    queries = {s.name: s.query for s in protocol.search.sources}
    out: list[Unmatched] = []
    for rec in records:
        entry = imports.get((rec.raw or "").split("#", 1)[0])
        if entry is None:
            continue
        verdict = rec.matches(queries.get(rec.source, protocol.search.query))
        if verdict is not Verdict.MATCH:
            out.append(Unmatched(rec, verdict, str(entry.get("run_id")), entry.get("query")))
    return sorted(out, key=lambda u: u.verdict is Verdict.UNDECIDABLE)  # stable: no match first


def count_imports(log: Iterable[Mapping[str, Any]]) -> int:
    """The imports of the search log whose records --unmatched checks."""
    return sum(1 for e in log if e.get("kind") == "import" and e.get("file"))


def unmatched_counts(found: Iterable[Unmatched]) -> dict[str, int]:
    """{"no_match": n, "undecidable": m}."""
    out = {"no_match": 0, "undecidable": 0}
    for u in found:
        out[u.verdict.value] += 1
    return out


def status_counts(
    review: Review, records: Iterable[Record], log: Iterable[Mapping[str, Any]]
) -> dict[str, int]:
    """`unmatched_counts` for `slr status`, kept in the review's local cache while the
    records, the search log and the protocol are unchanged (on a big review): evaluating
    every imported record takes seconds per 100,000, and the status is asked often."""
    from slr import __version__
    from slr.review import LOCAL_CACHE_MIN_BYTES

    store = review.store
    size = store.records_file.stat().st_size if store.records_file.exists() else 0
    if size < LOCAL_CACHE_MIN_BYTES:
        return unmatched_counts(imported_unmatched(review.protocol, records, log))
    key = {
        "slr": __version__,
        "protocol": review.protocol.hash,
        "records": review.sha256(store.records_file),
        "log": review.sha256(store.searchlog_file),
    }
    kept = review.local().get("imported_unmatched")
    if isinstance(kept, dict) and kept.get("key") == key:
        return dict(kept["value"])
    value = unmatched_counts(imported_unmatched(review.protocol, records, log))
    review.local().put("imported_unmatched", {"key": key, "value": value})
    return value


def unmatched_line(counts: Mapping[str, int]) -> str | None:
    """The one status line, or None when every imported record matches."""
    n, m = counts.get("no_match", 0), counts.get("undecidable", 0)
    if not n and not m:
        return None
    if n:
        text = f"{n} imported record{'s do' if n != 1 else ' does'} not match the protocol's query"
        text += f", {m} more cannot be checked without an abstract" if m else ""
    else:
        text = (
            f"{m} imported record{'s' if m != 1 else ''} cannot be checked against the "
            "protocol's query without an abstract"
        )
    return text + " (slr search --unmatched to list)"


UNMATCHED_WHY = (
    "Why: a database's web interface often runs a different query than the protocol's (its "
    "own fields and stemming, or a query edited there). These records came from an export, "
    "not from slr's search: 'no match' means the protocol's query would not have found them; "
    "'undecidable' means their title and keywords do not match and they have no abstract to "
    "decide on (slr search --enrich adds abstracts by DOI). Check the query logged for each "
    "import, or report such records as found by other means."
)


def format_unmatched(found: Sequence[Unmatched], fmt: str = "text", imports: int = -1) -> str:
    """The unmatched imported records: per import in text, one table in CSV or Markdown.
    `imports`: how many imports the log holds (0: nothing was checked, which is said)."""
    from slr.search import format_rows

    head = ("record", "verdict", "import", "year", "title", "query typed in the database")
    rows = [
        (
            u.record.id,
            WORDS[u.verdict],
            u.import_id,
            "" if u.record.year is None else str(u.record.year),
            u.record.title or "",
            u.typed_query or "not recorded",
        )
        for u in found
    ]
    if fmt == "csv":
        return format_rows(head, rows, fmt)
    if not found and imports == 0:
        return (
            "no imported records to check: --unmatched checks the records of database "
            "exports brought in with `slr import FILE`"
        )
    if not found:
        return "every imported record matches the protocol's query"
    if fmt == "markdown":
        return format_rows(head, rows, fmt, [UNMATCHED_WHY])
    lines: list[str] = []
    by_import: dict[str, list[Unmatched]] = {}
    for u in found:
        by_import.setdefault(u.import_id, []).append(u)
    for run_id, items in by_import.items():
        first = items[0]
        lines.append(
            f"{run_id} ({first.record.source}; query typed: "
            f"{first.typed_query or 'not recorded'}): {len(items)} record(s)"
        )
        table = format_rows(
            ("  record", "verdict", "year", "title"),
            [(f"  {r[0]}", r[1], r[3], r[4]) for r in rows if r[2] == run_id],
        )
        lines.extend(table.splitlines())
    return "\n".join([*lines, "", UNMATCHED_WHY])


def format_validation(result: Validation, fmt: str = "text") -> str:
    """Per known paper and source: the query's verdict, the fields, whether retrieved; then
    the recall line (not in CSV, which stays a table)."""
    from slr.search import format_rows

    head = ("known relevant", "title", "metadata", "source", "query", "retrieved", "fields")
    rows = []
    for p in result.papers:
        for s in p.sources:
            rows.append(
                (
                    p.known.entry,
                    p.metadata.title or "",
                    p.metadata.describe(),
                    s.source,
                    "not evaluated" if s.verdict is None else WORDS[s.verdict],
                    _retrieved(s),
                    s.fields,
                )
            )
    if fmt == "csv":
        return format_rows(head, rows, fmt)
    if fmt == "markdown":
        return format_rows(head, rows, fmt, [result.recall_line()])
    lines: list[str] = []
    for p in result.papers:
        lines.append(f"{p.known.entry}: {p.metadata.title or '(title not known)'}")
        lines.append(f"  metadata: {p.metadata.describe()}")
        table = format_rows(
            ("  source", "query", "retrieved", "fields searched"),
            [
                (
                    f"  {s.source}",
                    "not evaluated" if s.verdict is None else WORDS[s.verdict],
                    _retrieved(s),
                    s.fields,
                )
                for s in p.sources
            ],
        )
        lines.extend(table.splitlines())
    return "\n".join([*lines, result.recall_line()])


def _retrieved(s: SourceCheck) -> str:
    if s.retrieved is None:
        return "not searched yet"
    return "yes (" + ", ".join(s.records) + ")" if s.retrieved else "no"
