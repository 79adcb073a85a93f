"""IEEE Xplore Metadata API: boolean `querytext`, one query per content type, 1-based paging.

An unfielded term searches all metadata and the full text (over-recall; the local filter
decides). `title:`, `abstract:` and `keywords:` become the data fields "Document Title",
"Abstract" and "Author Keywords". A NOT over the full text would also reject papers that
name the term only in their body, so such NOTs are not sent and applied locally. Years
are `start_year`/`end_year`; types are `content_type`, one request series per type (a
comma list is unverified); there is no language. Keys: `IEEE_API_KEY` (`apikey=`).
"""

from __future__ import annotations

import re
from typing import Any

from slr import query as q
from slr.errors import QueryError, SourceError
from slr.http import Request, Response
from slr.records import Record, clean_text, normalise_doi, normalise_type, parse_year
from slr.sources.base import Branch, Dialect, Filters, Page, Plan, Source, State, register
from slr.sources.base import superset as superset_of

KEY = "IEEE_API_KEY"
_FIELDS = {
    None: None,
    "title": "Document Title",
    "abstract": "Abstract",
    "keywords": "Author Keywords",
}
CONTENT_TYPES = {
    "article": "Journals",
    "review": "Journals",
    "conference-paper": "Conferences",
    "book": "Books",
    "book-chapter": "Books",
}
MIN_WILDCARD_STEM = 3  # "at least 3 characters before the wildcard"


class _Compiler(Dialect):
    """IEEE Xplore boolean syntax with data-field prefixes; NOT is binary (`a NOT b`)."""

    binary_not = " NOT "

    def _field(self, node: q.Term | q.Phrase, body: str) -> str:
        name = _FIELDS[node.field]
        return f'"{name}":{body}' if name else body

    def term(self, node: q.Term) -> str:
        text = node.text + ("*" if node.wildcard else "")
        return self._field(node, text if re.fullmatch(r"[\w*]+", text) else f'"{text}"')

    def phrase(self, node: q.Phrase) -> str:
        return self._field(node, f'"{node.text}"')


def _unsendable(node: q.Node) -> bool:
    if isinstance(node, q.Term):
        return node.wildcard and len(node.text) < MIN_WILDCARD_STEM
    if isinstance(node, q.Not):  # a NOT touching the full text: see the module docstring
        return any(leaf.field is None for leaf in q.leaves(node.child))
    return False


@register
class Ieee(Source):
    name = "ieee"
    database = "IEEE Xplore"
    interface = "IEEE Xplore Metadata API v1 /search/articles"
    default_url = "https://ieeexploreapi.ieee.org/api/v1"
    key_env = (KEY,)
    # Set per key at registration; commonly 10 calls/s and 200 calls/day: stay well below.
    rate = 5.0
    page_size = 200  # max_records
    also_searches = "the full text and all metadata (unfielded terms)"
    count_params = {"max_records": 1}  # total_records

    def compile(self, query: q.Node, filters: Filters) -> Plan:
        local = [
            "unfielded terms also search the full text; the local filter decides",
        ]
        sent = superset_of(query, _unsendable)
        if isinstance(sent, bool):
            raise QueryError(
                "ieee: nothing is left to send once full-text NOTs and short wildcards are "
                "removed; add a positive term"
            )
        if sent != query:
            local.append(
                "NOT over the full text, or a wildcard with fewer than "
                f"{MIN_WILDCARD_STEM} letters: not sent; applied locally"
            )
        text = f"({_Compiler().visit(sent)})"
        api: dict[str, Any] = {}
        if filters.years:
            api = {"start_year": filters.years[0], "end_year": filters.years[1]}
        kinds: list[str | None] = [None]
        if filters.types:
            mapped = [CONTENT_TYPES.get(t) for t in filters.types]
            if None in mapped:
                local.append("types: a type has no IEEE content type; checked locally")
            else:
                kinds = list(dict.fromkeys(mapped))
        if filters.languages:
            local.append("languages: no language in the API; unknown ones are kept")
        branches = tuple(Branch(text, {"content_type": kind} if kind else {}) for kind in kinds)
        return Plan(branches, api, tuple(local))

    def first(self, plan: Plan, branch: int) -> State:
        return {"start": 1}

    def request(self, plan: Plan, branch: int, state: State) -> Request:
        b = plan.branches[branch]
        years = dict(plan.filters)
        params: dict[str, Any] = {"querytext": b.query, **years, **b.params}
        params.update(
            max_records=self.page_size,
            start_record=state["start"],
            format="json",
            apikey=self.secret(KEY) or "",
        )
        return Request(f"{self.url}/search/articles", params)

    def parse(self, response: Response, plan: Plan, branch: int, state: State) -> Page:
        data = response.json()
        if not isinstance(data, dict) or ("total_records" not in data and "articles" not in data):
            detail = data.get("error") if isinstance(data, dict) else None
            raise SourceError(
                f"ieee: not a search result (HTTP {response.status})"
                + (f": {detail}" if detail else "")
                + f"; check {KEY}"
            )
        total = int(data.get("total_records") or 0)
        items = data.get("articles") or []
        nxt = int(state.get("start", 1)) + len(items)
        more = bool(items) and nxt <= total
        return Page(
            tuple(self.to_record(i) for i in items), total, {"start": nxt} if more else None
        )

    def error_message(self, response: Response) -> str | None:
        # Errors come from the Mashery gateway: an HTML snippet plus explanatory headers.
        code = response.headers.get("X-Mashery-Error-Code")
        detail = response.headers.get("X-Error-Detail-Header")
        body = clean_text(re.sub(r"<[^>]+>", " ", response.text)) if response.content else None
        try:
            data = response.json()
            if isinstance(data, dict) and data.get("error"):
                body = str(data["error"])
        except SourceError:
            pass
        parts = [p for p in (body, detail, code) if p]
        if code and ("OVER_RATE" in code or "OVER_QPS" in code):
            wait = response.headers.get("Retry-After")
            parts.append(
                "the key's call quota is used up" + (f"; retry in {wait} s" if wait else "")
            )
        return "; ".join(dict.fromkeys(parts)) or None

    def to_record(self, item: Any) -> Record:
        people = (item.get("authors") or {}).get("authors") or []
        people = sorted(people, key=lambda a: a.get("author_order") or 0)
        terms = item.get("index_terms") or {}
        author_terms = (terms.get("author_terms") or {}).get("terms") or []
        ieee_terms = (terms.get("ieee_terms") or {}).get("terms") or []
        start, end = item.get("start_page"), item.get("end_page")
        open_access = item.get("access_type") == "OPEN_ACCESS"
        extra = {
            "article_number": item.get("article_number"),
            "content_type": item.get("content_type"),
            "cited_by_count": item.get("citing_paper_count"),
            "ieee_terms": ieee_terms,
            "isbn": item.get("isbn"),
            "issn": item.get("issn"),
            "conference_location": item.get("conference_location"),
            "conference_dates": item.get("conference_dates"),
            "publication_date": item.get("publication_date"),
            "access_type": item.get("access_type"),
        }
        return Record(
            source=self.name,
            source_id=str(item.get("article_number") or item.get("doi") or ""),
            title=clean_text(item.get("title")),
            abstract=clean_text(item.get("abstract")),
            authors=tuple(
                clean_text(a.get("full_name")) or "" for a in people if a.get("full_name")
            ),
            year=parse_year(item.get("publication_year")),
            venue=clean_text(item.get("publication_title")),
            doi=normalise_doi(item.get("doi")),
            type=normalise_type(item.get("content_type")),
            keywords=tuple(t for t in author_terms if t),
            url=item.get("html_url") or item.get("abstract_url"),
            volume=item.get("volume"),
            issue=item.get("issue"),
            pages=f"{start}-{end}" if start and end and start != end else start or None,
            publisher=item.get("publisher"),
            oa_url=item.get("pdf_url") if open_access else None,
            extra={k: v for k, v in extra.items() if v not in (None, [], "")},
        )
