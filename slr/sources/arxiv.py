"""arXiv API (`/api/query`, Atom): fielded boolean search, offset paging, 1 request per 3 s.

Wildcards are undocumented in arXiv, so wildcard terms are left out (a superset) and
decided locally; there is no keyword field, document type or language. Years go to the
API as a `submittedDate` range (v1 submission) and are re-checked locally.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

from slr import query as q
from slr.errors import QueryError, SourceError
from slr.http import Archive, Request, Response
from slr.records import Record, clean_text, normalise_doi, parse_year
from slr.sources.base import Branch, Dialect, Filters, Page, Plan, Source, State, register
from slr.sources.base import superset as superset_of

NS = {
    "a": "http://www.w3.org/2005/Atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
    "arxiv": "http://arxiv.org/schemas/atom",
}
_PREFIX = {"title": ("ti",), "abstract": ("abs",), None: ("ti", "abs")}
_ID = re.compile(r"arxiv\.org/abs/(.+?)(v\d+)?$")
EMPTY_PAGE_RETRIES = 3


class _Compiler(Dialect):
    binary_not = " ANDNOT "

    def _fielded(self, field: str | None, body: str) -> str:
        parts = [f"{p}:{body}" for p in _PREFIX[field]]
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def term(self, node: q.Term) -> str:
        return self._fielded(node.field, _word(node.text))

    def phrase(self, node: q.Phrase) -> str:
        return self._fielded(node.field, f'"{_word(node.text)}"')


def _word(text: str) -> str:
    # findpapers: arXiv splits on hyphens anyway and chokes on quotes/colons inside terms.
    return " ".join(re.sub(r'[-":()]', " ", text).split())


def arxiv_id(url: str | None) -> tuple[str, str | None]:
    """(`2202.12139`, `v1`) from `http://arxiv.org/abs/2202.12139v1`."""
    m = _ID.search(url or "")
    if not m:
        return (url or "").rsplit("/", 1)[-1], None
    return m.group(1), m.group(2)


@register
class Arxiv(Source):
    name = "arxiv"
    database = "arXiv"
    interface = "arXiv API /api/query (Atom)"
    default_url = "https://export.arxiv.org/api"
    rate = 1 / 3  # Terms of Use: one request every three seconds, one connection
    page_size = 500
    hard_cap = 30000
    searched_fields = ("title", "abstract")  # ti: and abs:
    count_params = {"max_results": 1}  # opensearch:totalResults

    def compile(self, query: q.Node, filters: Filters) -> Plan:
        local: list[str] = []

        def unsupported(n: q.Node) -> bool:
            return isinstance(n, q.Term | q.Phrase) and (
                n.field == "keywords" or (isinstance(n, q.Term) and n.wildcard)
            )

        sent = superset_of(query, unsupported)
        if isinstance(sent, bool):
            raise QueryError(
                "arxiv: nothing left to send without wildcards and keywords; "
                "add a plain term for this source"
            )
        if sent != query:
            local.append("wildcards and keywords: not supported by arXiv, applied locally")
        text = _Compiler().visit(sent)
        if filters.years:
            lo, hi = filters.years
            text = f"({text}) AND submittedDate:[{lo}01010000 TO {hi}12312359]"
            local.append("years: arXiv filters the v1 submission date; re-checked locally")
        if filters.types:
            local.append("types: arXiv has no document type (preprints); decided locally")
        if filters.languages:
            local.append("languages: arXiv has no language; unknown records are kept, flagged")
        return Plan((Branch(text),), {}, tuple(local))

    def request(self, plan: Plan, branch: int, state: State) -> Request:
        params = {
            "search_query": plan.branches[branch].query,
            "start": state["start"],
            "max_results": self.page_size,
            "sortBy": "submittedDate",
            "sortOrder": "ascending",
        }
        return Request(f"{self.url}/query", params, expect="xml")

    def fetch(
        self,
        plan: Plan,
        branch: int,
        state: State,
        archive: Archive | None = None,
        name: str | None = None,
    ) -> Page:
        # arXiv sporadically answers a non-first page with no entries (arxiv.py retries too).
        for _ in range(EMPTY_PAGE_RETRIES):
            page = super().fetch(plan, branch, state, archive, name)
            if page.records or state["start"] == 0 or state["start"] >= (page.total or 0):
                return page
        return page

    def parse(self, response: Response, plan: Plan, branch: int, state: State) -> Page:
        feed = response.xml()
        entries = feed.findall("a:entry", NS)
        _raise_error_entry(entries)
        total_text = feed.findtext("opensearch:totalResults", None, NS)
        total = int(total_text) if total_text and total_text.strip().isdigit() else None
        records = tuple(self.to_record(e) for e in entries)
        start = int(state.get("start", 0)) + len(entries)
        more = bool(entries) and total is not None and start < total
        return Page(records, total, {"start": start} if more else None)

    def check(self, response: Response) -> None:
        if not response.ok:
            try:
                entries = response.xml().findall("a:entry", NS)
            except SourceError:
                entries = []
            try:
                _raise_error_entry(entries)
            except SourceError as exc:
                raise SourceError(f"{exc} (HTTP {response.status})") from None
        super().check(response)

    def to_record(self, item: Any) -> Record:
        entry: ElementTree.Element = item
        ident, version = arxiv_id(entry.findtext("a:id", "", NS))
        journal = clean_text(entry.findtext("arxiv:journal_ref", None, NS))
        links = entry.findall("a:link", NS)
        pdf = next((lk.get("href") for lk in links if lk.get("title") == "pdf"), None)
        page = next((lk.get("href") for lk in links if lk.get("rel") == "alternate"), None)
        cats = [c.get("term") for c in entry.findall("a:category", NS) if c.get("term")]
        return Record(
            source=self.name,
            source_id=ident,
            title=clean_text(entry.findtext("a:title", None, NS)),
            abstract=clean_text(entry.findtext("a:summary", None, NS)),
            authors=tuple(
                n
                for n in (
                    clean_text(a.findtext("a:name", None, NS))
                    for a in entry.findall("a:author", NS)
                )
                if n
            ),
            year=parse_year(entry.findtext("a:published", None, NS)),
            venue=journal,
            doi=normalise_doi(entry.findtext("arxiv:doi", None, NS)),
            # A journal reference means it was published as something we cannot tell.
            type=None if journal else "preprint",
            url=page,
            oa_url=pdf,
            extra={k: v for k, v in {"arxiv_version": version, "categories": cats}.items() if v},
        )


def _raise_error_entry(entries: list[ElementTree.Element]) -> None:
    """arXiv reports errors as a feed holding one entry titled `Error`, whatever the status."""
    if len(entries) == 1 and (entries[0].findtext("a:title", "", NS) or "").strip() == "Error":
        why = clean_text(entries[0].findtext("a:summary", None, NS)) or "unknown error"
        raise SourceError(f"arxiv: {why}; check the query syntax")
