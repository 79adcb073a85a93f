"""Semantic Scholar Academic Graph `/paper/search/bulk`: `+ | -` booleans, token paging.

Bulk search matches title and abstract: field prefixes are dropped (a superset) and
keyword-only terms left out, then applied locally. `publicationTypes` is not sent because
papers whose type is null would silently vanish; types are filtered locally. There is no
language field. Years go to the API (`year=`) and are re-checked locally.
"""

from __future__ import annotations

from typing import Any

from slr import query as q
from slr.errors import QueryError
from slr.http import Request, Response
from slr.records import Record, clean_text, normalise_doi
from slr.sources.base import Branch, Dialect, Filters, Page, Plan, Source, State, register
from slr.sources.base import superset as superset_of

FIELDS = (
    "paperId,externalIds,url,title,abstract,venue,publicationVenue,year,authors,"
    "publicationTypes,journal,citationCount,openAccessPdf,publicationDate"
)
# The most specific publication type wins.
_TYPE_ORDER = (
    ("Review", "review"),
    ("Conference", "conference-paper"),
    ("JournalArticle", "article"),
    ("BookSection", "book-chapter"),
    ("Book", "book"),
)


class _Compiler(Dialect):
    AND = " + "
    OR = " | "
    NOT = "-"

    def term(self, node: q.Term) -> str:
        return _word(node.text) + ("*" if node.wildcard else "")

    def phrase(self, node: q.Phrase) -> str:
        return f'"{_word(node.text)}"'


def _word(text: str) -> str:
    return " ".join(text.replace('"', " ").replace("+", " ").replace("|", " ").split())


@register
class SemanticScholar(Source):
    name = "semanticscholar"
    database = "Semantic Scholar"
    interface = "Semantic Scholar Academic Graph API /graph/v1/paper/search/bulk"
    default_url = "https://api.semanticscholar.org/graph/v1"
    optional_env = ("SEMANTIC_SCHOLAR_API_KEY",)
    rate = 1.0  # an introductory key gets 1 req/s
    page_size = 1000  # fixed by the bulk endpoint
    hard_cap = 10_000_000
    searched_fields = ("title", "abstract")
    # bulk search has no page size; `total` comes with a page of ids only
    count_params = {"fields": "paperId"}

    def requests_per_second(self) -> float:
        # Without a key the shared pool is documented as 100 requests per 5 minutes.
        return self.rate if self.secret("SEMANTIC_SCHOLAR_API_KEY") else 1 / 3

    def compile(self, query: q.Node, filters: Filters) -> Plan:
        local: list[str] = []
        sent = superset_of(
            query, lambda n: isinstance(n, q.Term | q.Phrase) and n.field == "keywords"
        )
        if isinstance(sent, bool):
            raise QueryError("semanticscholar: keyword-only queries cannot be sent; add a term")
        if sent != query:
            local.append("keywords: no keyword field in Semantic Scholar, applied locally")
        if any(leaf.field for leaf in q.leaves(sent)):
            local.append("fields: bulk search covers title+abstract; prefixes applied locally")
        api: dict[str, str] = {}
        if filters.years:
            api["year"] = f"{filters.years[0]}-{filters.years[1]}"
        if filters.types:
            local.append("types: publicationTypes is often null, so types are decided locally")
        if filters.languages:
            local.append("languages: no language field; unknown records are kept, flagged")
        return Plan((Branch(_Compiler().visit(sent)),), api, tuple(local))

    def first(self, plan: Plan, branch: int) -> State:
        return {"token": None}

    def request(self, plan: Plan, branch: int, state: State) -> Request:
        params: dict[str, Any] = {
            "query": plan.branches[branch].query,
            **plan.filters,
            "fields": FIELDS,
        }
        if state.get("token"):
            params["token"] = state["token"]
        key = self.secret("SEMANTIC_SCHOLAR_API_KEY")
        headers = {"x-api-key": key} if key else {}
        return Request(f"{self.url}/paper/search/bulk", params, headers)

    def parse(self, response: Response, plan: Plan, branch: int, state: State) -> Page:
        data = response.json()
        items = data.get("data") or []
        token = data.get("token")
        total = data.get("total")
        return Page(
            tuple(self.to_record(i) for i in items if i),
            int(total) if total is not None else None,
            {"token": token} if token and items else None,
        )

    def paper(self, paper_id: str, **kwargs: Any) -> Record:
        """One paper by S2 id, `DOI:…`, `ARXIV:…`, `CorpusId:…` or `PMID:…`."""
        key = self.secret("SEMANTIC_SCHOLAR_API_KEY")
        headers = {"x-api-key": key} if key else {}
        data = self.get_json(f"{self.url}/paper/{paper_id}", {"fields": FIELDS}, headers, **kwargs)
        return self.to_record(data)

    def to_record(self, item: Any) -> Record:
        ext = item.get("externalIds") or {}
        venue = item.get("venue") or (item.get("publicationVenue") or {}).get("name")
        journal = item.get("journal") or {}
        pdf = (item.get("openAccessPdf") or {}).get("url") or None
        kinds = item.get("publicationTypes") or []
        return Record(
            source=self.name,
            source_id=item.get("paperId") or "",
            title=clean_text(item.get("title")),
            abstract=clean_text(item.get("abstract")),
            authors=tuple(a["name"] for a in item.get("authors") or [] if a.get("name")),
            year=item.get("year"),
            venue=clean_text(venue) or clean_text(journal.get("name")),
            doi=normalise_doi(ext.get("DOI")),
            type=next((slr for s2, slr in _TYPE_ORDER if s2 in kinds), None),
            url=item.get("url"),
            volume=journal.get("volume"),
            pages=(journal.get("pages") or "").strip() or None,
            oa_url=pdf,
            extra={
                k: v
                for k, v in {
                    "cited_by_count": item.get("citationCount"),
                    "publication_types": kinds,
                    "arxiv": ext.get("ArXiv"),
                    "pmid": ext.get("PubMed"),
                    "corpus_id": ext.get("CorpusId"),
                }.items()
                if v not in (None, [], "")
            },
        )
