"""The Source base class: HTTP, paging, caps, keys, pacing and archiving live here,
so that a source module only says how its API is spoken.

A source module (`slr/sources/<name>.py`) looks like this:

    from slr import query as q
    from slr.http import Request, Response
    from slr.records import Record, normalise_doi, parse_year
    from slr.sources.base import Branch, Dialect, Filters, Page, Plan, Source, State, register


    class _Compiler(Dialect):                     # AST -> the API's query dialect
        binary_not = " AND NOT "                  # Scopus writes `a AND NOT b`

        def term(self, node: q.Term) -> str:      # fields and wildcards per dialect
            return node.text + ("*" if node.wildcard else "")

        def phrase(self, node: q.Phrase) -> str:
            return f'"{node.text}"'


    @register
    class Example(Source):
        name = "example"                          # the protocol's source name
        database = "Example Index"                # PRISMA-S "database"
        interface = "Example Search API v1"       # PRISMA-S "interface"
        default_url = "https://api.example.org"   # SLR_EXAMPLE_URL overrides it
        key_env = ("EXAMPLE_API_KEY",)            # required: missing -> `skipped: set ...`
        optional_env = ()                         # used when set (institution token, ...)
        rate = 3.0                                # documented requests per second
        page_size = 100
        hard_cap = 5000                           # most records one query can return

        def compile(self, query: q.Node, filters: Filters) -> Plan:
            text = _Compiler().visit(query)
            api_filters = {"date": f"{filters.years[0]}-{filters.years[1]}"} if filters.years else {}
            return Plan((Branch(text),), api_filters,
                        local=("languages: no language filter in the API",))

        def first(self, plan: Plan, branch: int) -> State:
            return {"start": 0}                   # or {"cursor": "*"}

        def request(self, plan: Plan, branch: int, state: State) -> Request:
            params = {"query": plan.branches[branch].query, **plan.filters,
                      "start": state["start"], "count": self.page_size}
            return Request(f"{self.url}/search", params, {"X-Key": self.secret("EXAMPLE_API_KEY")})

        def parse(self, response: Response, plan: Plan, branch: int, state: State) -> Page:
            data = response.json()
            items = data.get("entries") or []
            total = int(data["total"])
            nxt = state["start"] + len(items)
            return Page(tuple(self.to_record(i) for i in items), total,
                        {"start": nxt} if items and nxt < total else None)

        def to_record(self, item: dict) -> Record:  # also used by snowballing/enrichment
            return Record("example", item["id"], title=item.get("title"), ...)

Rules every module follows:

- **Compile** the AST with a `slr.query.Visitor` (usually a `Dialect` subclass) into the
  exact string that is sent; the plan is a value that can be printed and tested offline.
  An API that cannot express an OR or a NOT gets several `Branch`es (one query each, e.g.
  Crossref per OR-branch) or a superset query. Never a hidden filter: everything the API
  cannot express goes into `Plan.local` (logged); `slr.search` then keeps only the records
  the local evaluator does not reject (years, types and languages are always re-checked).
- **Years, types, languages** go into `Plan.filters` when the API supports them.
- **Paging**: `first()` gives the state of page 0 of a branch, `parse()` returns the next
  state or None at the API's end signal. States are small JSON dicts (they are saved for
  resume). `hard_cap` (or the protocol option `max_records`) stops a branch; the base
  class reports it.
- **Errors**: `error_message(response)` pulls the API's own message out of an error body;
  the base class turns a non-2xx page into a `SourceError` naming the key variable on
  401/403. A page that is an error with status 200 (arXiv) raises SourceError in `parse`.
- **Keys** only through `self.secret(ENV_NAME)`: values are registered with the client and
  redacted from archives, logs and errors. Key variables used by slr:
  `OPENALEX_API_KEY`, `ELSEVIER_API_KEY` (+ optional `ELSEVIER_INSTTOKEN`),
  `IEEE_API_KEY`, optional `SEMANTIC_SCHOLAR_API_KEY`, optional `NCBI_API_KEY`.
- **Records**: `parse` returns `Record(source=name, source_id=<stable id>, ...)` with
  normalised DOI/type/language/year; the base class fills `Record.raw` with the archived
  page (`raw/<source>/<run>/<page>.<ext>#<index>`).
- Sources never call `requests`: `self.send(request)` and `self.get_json(url, params)` go
  through `slr.http.Client` (retries, pacing, archive).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

from slr import query as q
from slr.errors import QueryError, SourceError
from slr.http import Archive, Client, Request, Response, base_url, default_client
from slr.records import Record
from slr.sources import SOURCES

if TYPE_CHECKING:
    from slr.protocol import Search

State = dict[str, Any]  # a page position: {"start": 200}, {"cursor": "..."}; JSON-serialisable


def register(cls: type[Source]) -> type[Source]:
    """Class decorator: make a source known to `slr.sources.SOURCES` under `cls.name`."""
    return SOURCES.add(cls.name, cls)


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class Filters:
    """The protocol's limits: years (inclusive), slr types, ISO 639-1 languages."""

    years: tuple[int, int] | None = None
    types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @classmethod
    def from_search(cls, search: Search) -> Filters:
        """The filters of a protocol's `[search]` table."""
        return cls(search.years, tuple(search.types), tuple(search.languages))


@dataclass(frozen=True)
class Branch:
    """One query the API runs and pages on its own; `params` are per-branch constants."""

    query: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Plan:
    """A compiled search: what is sent (branches + API filters) and what is left to slr.

    `local` lists, in words, the parts of the query/filters the API cannot express and
    the local post-filter decides instead (written to the search log).
    """

    branches: tuple[Branch, ...]
    filters: Mapping[str, Any] = field(default_factory=dict, hash=False)
    local: tuple[str, ...] = ()

    @property
    def queries(self) -> tuple[str, ...]:
        return tuple(b.query for b in self.branches)

    def text(self) -> str:
        """The query string(s) exactly as sent, one line; branches numbered."""
        if len(self.branches) == 1:
            return self.branches[0].query
        return "  ".join(f"[{i + 1}] {b.query}" for i, b in enumerate(self.branches))


@dataclass(frozen=True)
class Page:
    """One parsed page: its records, the reported total (None if not reported), next state."""

    records: tuple[Record, ...]
    total: int | None
    next: State | None


@dataclass(frozen=True)
class Fetched:
    """What `Source.pages` yields per page, for the caller to store and checkpoint."""

    branch: int
    index: int  # page number within the branch, from 0
    state: State  # the state this page was requested with
    page: Page
    name: str  # archive name of the page (`b<branch>-p<index>`)
    capped: bool  # the branch stopped at the hard cap after this page


def page_name(branch: int, index: int) -> str:
    """Archive name of a page: sorted names are branch order, then page order."""
    return f"b{branch:02d}-p{index:05d}"


# ---------------------------------------------------------------- dialect helpers


def superset(node: q.Node, unsupported: Callable[[q.Node], bool]) -> q.Node | bool:
    """A query matching at least what `node` matches, without the parts an API cannot send.

    An unsupported node becomes True where it counts positively and False under a NOT, so
    the result is always a superset; the local evaluator then applies the full query.
    Returns True when nothing expressible is left (the whole database would match).
    """
    return _superset(node, unsupported, True)


def _superset(node: q.Node, bad: Callable[[q.Node], bool], positive: bool) -> q.Node | bool:
    if bad(node):
        return positive
    if isinstance(node, q.Term | q.Phrase):
        return node
    if isinstance(node, q.Not):
        inner = _superset(node.child, bad, not positive)
        return (not inner) if isinstance(inner, bool) else q.Not(inner)
    kids = [_superset(c, bad, positive) for c in node.children]
    is_and = isinstance(node, q.And)
    if (False if is_and else True) in kids:
        return not is_and
    rest = [k for k in kids if not isinstance(k, bool)]
    if not rest:
        return is_and
    return q.and_(*rest) if is_and else q.or_(*rest)


class Dialect(q.Visitor[str]):
    """A boolean printer most APIs fit: override `term`/`phrase` and the operator spellings.

    AND/OR children are always parenthesised (APIs disagree on precedence: Scopus binds
    OR tighter than AND); a NOT is not, since `(NOT b)` alone matches nothing in Lucene. With `binary_not` set (" AND NOT ", " ANDNOT "), negated children
    of an AND are written after the positive ones as `a AND NOT b`; a query that is only a
    NOT cannot be expressed then and raises QueryError.
    """

    AND = " AND "
    OR = " OR "
    NOT = "NOT "
    binary_not: str | None = None

    def term(self, node: q.Term) -> str:
        return node.text + ("*" if node.wildcard else "")

    def phrase(self, node: q.Phrase) -> str:
        return f'"{node.text}"'

    def group(self, node: q.Node) -> str:
        text = self.visit(node)
        return f"({text})" if isinstance(node, q.And | q.Or) else text

    def visit_term(self, node: q.Term) -> str:
        return self.term(node)

    def visit_phrase(self, node: q.Phrase) -> str:
        return self.phrase(node)

    def visit_and(self, node: q.And) -> str:
        if self.binary_not is None:
            return self.AND.join(self.group(c) for c in node.children)
        pos = [c for c in node.children if not isinstance(c, q.Not)]
        neg = [c.child for c in node.children if isinstance(c, q.Not)]
        if not pos:
            raise QueryError("a query of only NOT cannot be sent; add a term to find")
        text = self.AND.join(self.group(c) for c in pos)
        return text + "".join(self.binary_not + self.group(c) for c in neg)

    def visit_or(self, node: q.Or) -> str:
        return self.OR.join(self.group(c) for c in node.children)

    def visit_not(self, node: q.Not) -> str:
        if self.binary_not is not None:
            raise QueryError("NOT must follow another term; write `a AND NOT b`")
        return self.NOT + self.group(node.child)


# ---------------------------------------------------------------- the base class


class Source:
    """Base of every search source; subclasses set the class attributes and five methods."""

    name: ClassVar[str] = ""
    database: ClassVar[str] = ""
    interface: ClassVar[str] = ""
    default_url: ClassVar[str] = ""
    key_env: ClassVar[tuple[str, ...]] = ()
    optional_env: ClassVar[tuple[str, ...]] = ()
    rate: ClassVar[float] = 1.0
    page_size: ClassVar[int] = 100
    hard_cap: ClassVar[int | None] = None
    # What an unprefixed query term is matched against, among the record fields the local
    # evaluator knows (`slr search --validate` evaluates the query on these only), and, in
    # words, what else the API searches that no record holds (full text, authors, ...).
    searched_fields: ClassVar[tuple[str, ...]] = ("title", "abstract", "keywords")
    also_searches: ClassVar[str] = ""
    # `slr search --count`: the first page's parameters that are replaced (e.g. a page size
    # of 1 or 0) or dropped (a cursor), so the API answers with its hit count and no records.
    count_params: ClassVar[Mapping[str, Any]] = {}
    count_drop: ClassVar[tuple[str, ...]] = ()
    count_note: ClassVar[str] = ""  # what the count means when it is not the query's matches

    def __init__(
        self,
        client: Client | None = None,
        options: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.client = client or default_client()
        self.options: dict[str, Any] = dict(options or {})
        self.env: Mapping[str, str] = os.environ if env is None else env
        for var in self.key_env + self.optional_env:
            self.client.add_secret(self.env.get(var))

    # -- configuration -------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL, `SLR_<NAME>_URL` when set."""
        return base_url(self.name, self.default_url, self.env)

    def secret(self, var: str) -> str | None:
        """The value of a key variable (registered for redaction); None when unset."""
        value = self.env.get(var) or None
        self.client.add_secret(value)
        return value

    def missing_keys(self) -> tuple[str, ...]:
        """Required key variables that are not set (the source is skipped)."""
        return tuple(v for v in self.key_env if not self.env.get(v))

    def requests_per_second(self) -> float:
        """The client-side pace; override when a key raises the limit (PubMed: 3 -> 10)."""
        return self.rate

    def cap(self) -> int | None:
        """Most records fetched per branch: the API's hard cap or the `max_records` option."""
        limit = self.options.get("max_records")
        caps = [c for c in (self.hard_cap, int(limit) if limit else None) if c]
        return min(caps) if caps else None

    # -- what a module implements --------------------------------------------
    def compile(self, query: q.Node, filters: Filters) -> Plan:
        """The query AST and filters in the API's dialect (no network)."""
        raise NotImplementedError

    def first(self, plan: Plan, branch: int) -> State:
        """The paging state of the first page of a branch."""
        return {"start": 0}

    def request(self, plan: Plan, branch: int, state: State) -> Request:
        """The HTTP request for one page."""
        raise NotImplementedError

    def parse(self, response: Response, plan: Plan, branch: int, state: State) -> Page:
        """Records, reported total and next state of one 2xx page."""
        raise NotImplementedError

    def to_record(self, item: Any) -> Record:
        """One API item as a Record (used by `parse`, snowballing and enrichment)."""
        raise NotImplementedError

    def count_request(self, plan: Plan, branch: int) -> Request:
        """The request that asks only for a branch's hit count: its first page, shrunk."""
        request = self.request(plan, branch, self.first(plan, branch))
        params = {k: v for k, v in request.params.items() if k not in self.count_drop}
        return replace(request, params={**params, **self.count_params})

    def hit_count(self, response: Response, plan: Plan, branch: int) -> int | None:
        """The hit count a count response reports (None when it reports none)."""
        self.check(response)
        return self.parse(response, plan, branch, self.first(plan, branch)).total

    def error_message(self, response: Response) -> str | None:
        """The API's own explanation inside an error body, if any."""
        try:
            data = response.json()
        except SourceError:
            text = response.text.strip()
            return text[:200] or None
        if isinstance(data, dict):
            for key in ("message", "error", "detail", "error-message", "service-error"):
                if data.get(key):
                    value = data[key]
                    return (value if isinstance(value, str) else str(value))[:300]
        return None

    # -- the machinery ---------------------------------------------------------
    def send(
        self,
        request: Request,
        archive: Archive | None = None,
        name: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Response:
        """Send one request through the shared client at this source's pace."""
        return self.client.send(
            request,
            source=self.name,
            rate=self.requests_per_second(),
            archive=archive,
            name=name,
            extra=extra,
        )

    def get_json(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        archive: Archive | None = None,
        name: str | None = None,
    ) -> Any:
        """GET a JSON document from this API (snowballing, enrichment); errors are SourceError."""
        response = self.send(Request(url, dict(params or {}), dict(headers or {})), archive, name)
        self.check(response)
        return response.json()

    def check(self, response: Response) -> None:
        """Raise a one-line SourceError for a non-2xx response, naming the fix."""
        if response.ok:
            return
        detail = self.error_message(response)
        hint = ""
        if response.status in (401, 403):
            names = self.key_env + self.optional_env
            hint = f"; check {' / '.join(names)}" if names else "; access refused"
        elif response.status == 400:
            hint = "; the query or a parameter was rejected"
        elif response.status == 404:
            hint = f"; check the URL (SLR_{self.name.upper()}_URL?)"
        text = f"{self.name}: HTTP {response.status}" + (f": {detail}" if detail else "") + hint
        raise SourceError(self.client.redactor.text(text))

    def fetch(
        self,
        plan: Plan,
        branch: int,
        state: State,
        archive: Archive | None = None,
        name: str | None = None,
    ) -> Page:
        """Request, archive, check and parse one page; records point at the archived body."""
        request = self.request(plan, branch, state)
        extra = {"source": self.name, "branch": branch, "state": state}
        response = self.send(request, archive, name, extra)
        self.check(response)
        page = self.parse(response, plan, branch, state)
        if archive is not None and name is not None:
            page = self.locate(page, archive, name)
        return page

    def replay(self, plan: Plan, archive: Archive, name: str) -> tuple[Page, dict[str, Any]]:
        """Re-parse one archived page without the network (`slr search --offline`)."""
        response, meta = archive.load(name)
        self.check(response)
        page = self.parse(response, plan, int(meta.get("branch", 0)), meta.get("state") or {})
        return self.locate(page, archive, name, meta.get("body")), meta

    def locate(self, page: Page, archive: Archive, name: str, body: str | None = None) -> Page:
        """Point each record's `raw` at its archived page (relative to the corpus folder)."""
        folder = archive.folder
        parts = folder.parts
        rel = "/".join(parts[parts.index("raw") :]) if "raw" in parts else str(folder)
        if body is None:
            found = sorted(p.name for p in folder.glob(f"{name}.*") if ".meta." not in p.name)
            body = found[0] if found else f"{name}"
        recs = tuple(r.evolve(raw=f"{rel}/{body}#{i}") for i, r in enumerate(page.records))
        return Page(recs, page.total, page.next)

    def pages(
        self,
        plan: Plan,
        archive: Archive | None = None,
        resume: Mapping[int, tuple[int, State | None, int]] | None = None,
        on_total: Callable[[int, int | None], None] | None = None,
    ) -> Iterator[Fetched]:
        """Fetch every branch page by page, to the end or the cap, sequentially.

        `resume` maps branch -> (next page index, next state or None when the branch is
        done, records fetched so far); a resumed branch continues exactly there.
        """
        cap = self.cap()
        for branch in range(len(plan.branches)):
            index, state, fetched = (resume or {}).get(branch, (0, self.first(plan, branch), 0))
            while state is not None:
                name = page_name(branch, index)
                page = self.fetch(plan, branch, state, archive, name)
                if on_total is not None:
                    on_total(branch, page.total)
                fetched += len(page.records)
                capped = cap is not None and fetched >= cap and page.next is not None
                nxt = None if capped or not page.records else page.next
                yield Fetched(
                    branch, index, state, Page(page.records, page.total, nxt), name, capped
                )
                state = nxt
                index += 1
