"""Crossref REST `/works`: no booleans, no phrases, no wildcards; cursor paging.

Crossref scores the words of `query.bibliographic` as an OR, so slr sends one request per
OR-branch of the query's first AND group (words only) and lets the local evaluator apply
the whole query. `total-results` is a relevance-ranked count, not an SLR count: each branch
is capped (`max_records`, default 2000). Years and types are API filters; there is no
language filter, and abstracts are often missing (such records stay UNDECIDABLE).
"""

from __future__ import annotations

from typing import Any

from slr import query as q
from slr.errors import QueryError
from slr.http import Request, Response
from slr.records import (
    Record,
    clean_text,
    normalise_doi,
    normalise_language,
    normalise_type,
    parse_year,
)
from slr.retractions import retracting
from slr.sources.base import Branch, Filters, Page, Plan, Source, State, register
from slr.sources.base import superset as superset_of

DEFAULT_BRANCH_CAP = 2000
_TYPES = {
    "article": ("journal-article",),
    "review": ("journal-article",),
    "conference-paper": ("proceedings-article",),
    "book-chapter": ("book-chapter",),
    "book": ("book", "monograph", "edited-book"),
    "preprint": ("posted-content",),
}
_SELECT = (
    "DOI,title,author,issued,published,container-title,type,language,abstract,volume,"
    "issue,page,publisher,URL,is-referenced-by-count,subject,update-to,updated-by,relation"
)


def _disjuncts(node: q.Node) -> list[q.Node]:
    """The OR-branches of the first AND group: what a scored OR can stand in for."""
    if isinstance(node, q.Or):
        return list(node.children)
    if isinstance(node, q.And):
        return _disjuncts(node.children[0])
    return [node]


def _words(node: q.Node) -> str:
    return " ".join(leaf.text for leaf in q.leaves(node))


@register
class Crossref(Source):
    name = "crossref"
    database = "Crossref"
    interface = "Crossref REST API /works"
    default_url = "https://api.crossref.org"
    # Since 1 Dec 2025 the polite pool is reported at 10/s, public at 5/s; stay at 3.
    rate = 3.0
    page_size = 1000
    searched_fields = ("title",)  # query.bibliographic: no abstracts, no keywords
    also_searches = "authors, venue, ISSN and year (query.bibliographic)"
    count_params = {"rows": 0}  # message.total-results, no items
    count_drop = ("cursor", "select")
    count_note = (
        "total-results counts works with any word of a query (a scored OR), far more than "
        "the query matches; a search fetches at most the cap per query"
    )

    def cap(self) -> int | None:
        limit = self.options.get("max_records", DEFAULT_BRANCH_CAP)
        return int(limit) if limit else None

    def compile(self, query: q.Node, filters: Filters) -> Plan:
        sent = superset_of(query, lambda n: isinstance(n, q.Not))
        if isinstance(sent, bool):
            raise QueryError("crossref: a query of only NOT cannot be sent; add a term")
        local = [
            "booleans: Crossref scores words as OR; one request per OR-branch, "
            "the full query is applied locally",
            "phrases and wildcards: not supported; sent as words",
            f"cap: at most {self.cap() or 'all'} records per branch (relevance order)",
        ]
        if sent != query:
            local.append("NOT: not expressible, applied locally")
        branches = tuple(Branch(_words(d)) for d in _disjuncts(sent))
        parts: list[str] = []
        if filters.years:
            parts.append(f"from-pub-date:{filters.years[0]}-01-01")
            parts.append(f"until-pub-date:{filters.years[1]}-12-31")
        if filters.types:
            mapped = [_TYPES.get(t) for t in filters.types]
            if None not in mapped:
                wanted = sorted({t for group in mapped if group for t in group})
                parts.extend(f"type:{t}" for t in wanted)
        if filters.languages:
            local.append("languages: no language filter in Crossref")
        api = {"filter": ",".join(parts)} if parts else {}
        return Plan(branches, api, tuple(local))

    def first(self, plan: Plan, branch: int) -> State:
        return {"cursor": "*"}

    def request(self, plan: Plan, branch: int, state: State) -> Request:
        params: dict[str, Any] = {
            "query.bibliographic": plan.branches[branch].query,
            **plan.filters,
            "select": _SELECT,
            "rows": self.page_size,
            "cursor": state["cursor"],
        }
        if self.client.mailto:
            params["mailto"] = self.client.mailto
        return Request(f"{self.url}/works", params)

    def parse(self, response: Response, plan: Plan, branch: int, state: State) -> Page:
        message = response.json().get("message") or {}
        items = message.get("items") or []
        total = message.get("total-results")
        cursor = message.get("next-cursor")
        rows = int(response_rows(response) or self.page_size)
        # Crossref may repeat the same cursor value; a short page is the end signal.
        more = bool(cursor) and len(items) >= rows
        return Page(
            tuple(self.to_record(i) for i in items),
            int(total) if total is not None else None,
            {"cursor": cursor} if more else None,
        )

    def work(self, doi: str, **kwargs: Any) -> Record:
        """One work by DOI (snowballing, enrichment)."""
        from urllib.parse import quote

        params = {"mailto": self.client.mailto} if self.client.mailto else {}
        data = self.get_json(f"{self.url}/works/{quote(doi, safe='')}", params, **kwargs)
        return self.to_record(data.get("message") or {})

    def error_message(self, response: Response) -> str | None:
        try:
            data = response.json()
        except Exception:
            return response.text.strip()[:200] or None
        message = data.get("message") if isinstance(data, dict) else None
        if isinstance(message, list) and message and isinstance(message[0], dict):
            return str(message[0].get("message") or message[0])
        return str(message)[:300] if message else None

    def to_record(self, item: Any) -> Record:
        doi = normalise_doi(item.get("DOI"))
        return Record(
            source=self.name,
            source_id=doi or str(item.get("DOI") or ""),
            title=clean_text(_first(item.get("title"))),
            abstract=clean_text(item.get("abstract")),
            authors=tuple(a for a in (_author(x) for x in item.get("author") or []) if a),
            year=_year(item),
            venue=clean_text(_first(item.get("container-title"))),
            doi=doi,
            type=normalise_type(item.get("type")),
            language=normalise_language(item.get("language")),
            url=item.get("URL"),
            references=tuple(
                d for d in (normalise_doi(r.get("DOI")) for r in item.get("reference") or []) if d
            ),
            volume=item.get("volume"),
            issue=item.get("issue"),
            pages=item.get("page"),
            publisher=item.get("publisher"),
            retraction=retraction_evidence(item),
            retracts=retracted_dois(item),
            extra={
                k: v
                for k, v in {
                    "cited_by_count": item.get("is-referenced-by-count"),
                    "crossref_type": item.get("type"),
                }.items()
                if v is not None
            },
        )


def retraction_evidence(item: dict[str, Any]) -> tuple[str, ...]:
    """What a Crossref work says of its own retraction: each `updated-by` entry of a
    retracting type (the notice's DOI and who reported it) and `relation.is-retracted-by`."""
    reported: dict[tuple[str, str], list[str]] = {}  # (type, notice DOI) -> who reported it
    for update in _dicts(item.get("updated-by")):
        if retracting(update.get("type")):
            doi = normalise_doi(update.get("DOI")) or str(update.get("DOI") or "no DOI")
            key = (str(update.get("type")), doi)
            who = reported.setdefault(key, [])
            if update.get("source") and update["source"] not in who:
                who.append(str(update["source"]))
    out = [
        f"crossref updated-by: {kind} {doi}" + (f" ({', '.join(who)})" if who else "")
        for (kind, doi), who in reported.items()
    ]
    relation = item.get("relation")
    relation = relation if isinstance(relation, dict) else {}
    for rel in _dicts(relation.get("is-retracted-by")):
        out.append(f"crossref relation is-retracted-by: {rel.get('id') or 'no id'}")
    return tuple(dict.fromkeys(out))


def retracted_dois(item: dict[str, Any]) -> tuple[str, ...]:
    """The DOIs a Crossref work retracts (its `update-to` entries of a retracting type): set
    on retraction notices, and on some retracted articles, which name themselves."""
    dois = (
        normalise_doi(u.get("DOI"))
        for u in _dicts(item.get("update-to"))
        if retracting(u.get("type"))
    )
    return tuple(dict.fromkeys(d for d in dois if d))


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def response_rows(response: Response) -> int | None:
    """The `rows` the request asked for, read back from the archived URL."""
    from urllib.parse import parse_qs, urlsplit

    rows = parse_qs(urlsplit(response.url).query).get("rows")
    return int(rows[0]) if rows and rows[0].isdigit() else None


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _author(a: dict[str, Any]) -> str | None:
    if a.get("family"):
        return f"{a['given']} {a['family']}" if a.get("given") else a["family"]
    return a.get("name")


def _year(item: dict[str, Any]) -> int | None:
    for key in ("issued", "published", "published-print", "published-online", "created"):
        parts = (item.get(key) or {}).get("date-parts") or [[None]]
        year = parse_year(parts[0][0] if parts and parts[0] else None)
        if year:
            return year
    return None
