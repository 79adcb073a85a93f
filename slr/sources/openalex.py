"""OpenAlex `/works`: boolean search in a `title_and_abstract.search` filter, cursor paging.

OpenAlex removes `* ? ~` from searches, so wildcard terms are left out of the query sent
(a superset) and decided locally; where leaving one out would leave nothing (an OR
alternative, or the whole query) its stem is sent as a word and the search log says which
forms can be missed; it has no keyword field, stems with Kstem and drops stop
words inside phrases. Years, types and languages are API filters and re-checked locally.
"""

from __future__ import annotations

from typing import Any

from slr import query as q
from slr.errors import QueryError
from slr.http import Request, Response
from slr.records import Record, clean_text, normalise_doi, normalise_language, normalise_type
from slr.sources.base import Branch, Dialect, Filters, Page, Plan, Source, State, register
from slr.sources.base import superset as superset_of

# slr type -> OpenAlex `type` (OpenAlex files conference papers under `article`)
_TYPES = {
    "article": "article",
    "conference-paper": "article",
    "review": "review",
    "book-chapter": "book-chapter",
    "book": "book",
    "preprint": "preprint",
}
_FIELD_FILTER = {None: "title_and_abstract.search", "title": "title.search"}
_FIELD_FILTER["abstract"] = "abstract.search"


class _Compiler(Dialect):
    # Lucene-style: a group holding only a NOT matches nothing, so write `a AND NOT b`.
    binary_not = " AND NOT "

    def term(self, node: q.Term) -> str:
        return _clean(node.text)

    def phrase(self, node: q.Phrase) -> str:
        return f'"{_clean(node.text)}"'


def _is_wild(node: q.Node) -> bool:
    return isinstance(node, q.Term) and node.wildcard


def _stemmed(node: q.Node, positive: bool = True) -> q.Node:
    """Each wildcard term that counts positively becomes its stem as a plain word."""
    if isinstance(node, q.Term):
        return q.Term(node.text, node.field) if node.wildcard and positive else node
    if isinstance(node, q.Phrase):
        return node
    if isinstance(node, q.Not):
        return q.Not(_stemmed(node.child, not positive))
    kids = [_stemmed(c, positive) for c in node.children]
    return q.and_(*kids) if isinstance(node, q.And) else q.or_(*kids)


def _without_wildcards(query: q.Node) -> tuple[q.Node, str | None]:
    """The query OpenAlex is sent, and the search-log note on what became of the wildcards.

    Leaving a wildcard term out gives a superset where that is possible (under an AND);
    when it would leave nothing (the wildcard is an OR alternative, or the whole query) the
    stem is sent as a word: OpenAlex then finds the forms its stemmer folds onto it, and
    works with only other forms are missed, which the note says.
    """
    wild = sorted({f"{t.text}*" for t in q.leaves(query) if isinstance(t, q.Term) and t.wildcard})
    if not wild:
        return query, None
    sent = superset_of(query, _is_wild)
    if not isinstance(sent, bool):
        return sent, (
            f"wildcards: OpenAlex has none, so {_words(wild)} left out of the query sent "
            "(a superset) and applied by the local filter"
        )
    stemmed = _stemmed(query)
    sent = superset_of(stemmed, _is_wild)
    if isinstance(sent, bool):  # only a NOT is left; the parser refuses such queries
        raise QueryError(
            "openalex: nothing is left to send without wildcards; add a plain term to the query"
        )
    negated = sorted({f"{t.text}*" for t in q.leaves(stemmed) if _is_wild(t)})
    stems = [w for w in wild if w not in negated]
    note = (
        f"wildcards: OpenAlex has none, so {_words(stems)} sent as a plain word "
        "(OpenAlex folds plurals and stems words): works with only other forms are missed; "
        "the local filter applies the wildcards to what is found"
    )
    if negated:
        note += f"; {_words(negated)} left out of the query sent"
    return sent, note


def _words(items: list[str]) -> str:
    return f"{items[0]} was" if len(items) == 1 else f"{', '.join(items)} were"


def _clean(text: str) -> str:
    # A comma would end the filter value, a `|` would make it an OR list.
    return " ".join(text.replace(",", " ").replace("|", " ").split())


def short_id(value: str | None) -> str | None:
    """`https://openalex.org/W123` -> `W123`."""
    return value.rstrip("/").rsplit("/", 1)[-1] if value else None


def invert_abstract(index: dict[str, list[int]] | None) -> str | None:
    """Rebuild an abstract from OpenAlex's inverted index (word -> positions)."""
    if not index:
        return None
    words = sorted((pos, word) for word, positions in index.items() for pos in positions)
    return clean_text(" ".join(word for _, word in words))


@register
class OpenAlex(Source):
    name = "openalex"
    database = "OpenAlex"
    interface = "OpenAlex REST API /works"
    default_url = "https://api.openalex.org"
    key_env = ("OPENALEX_API_KEY",)
    # 100 req/s is allowed; every search call is billed, so slr stays well below.
    rate = 10.0
    page_size = 100
    searched_fields = ("title", "abstract")  # title_and_abstract.search
    count_params = {"per-page": 1, "select": "id"}  # per-page is 1 to 200; meta.count
    count_drop = ("cursor",)

    def compile(self, query: q.Node, filters: Filters) -> Plan:
        local: list[str] = []
        sent, note = _without_wildcards(query)
        if note:
            local.append(note)
        fields = {leaf.field for leaf in q.leaves(sent)}
        if len(fields) == 1 and next(iter(fields)) in _FIELD_FILTER:
            field = _FIELD_FILTER[next(iter(fields))]
        else:
            field = "title_and_abstract.search"
            local.append("fields: searched title+abstract, the field prefixes are applied locally")
        if None in fields or "keywords" in fields:
            local.append("keywords: OpenAlex has no keyword field")
        local.append("phrases: OpenAlex stems and drops stop words inside phrases")
        api: dict[str, str] = {}
        if filters.years:
            api["publication_year"] = f"{filters.years[0]}-{filters.years[1]}"
        if filters.types:
            mapped = {_TYPES.get(t) for t in filters.types}
            if None not in mapped:
                api["type"] = "|".join(sorted(t for t in mapped if t))
            local.append("types: journal vs conference is decided locally")
        if filters.languages:
            api["language"] = "|".join(filters.languages)
        body = _Compiler().group(sent)  # parenthesised when compound, as OpenAlex expects
        text = f"{field}:{body}"
        return Plan((Branch(text),), api, tuple(local))

    def first(self, plan: Plan, branch: int) -> State:
        return {"cursor": "*"}

    def request(self, plan: Plan, branch: int, state: State) -> Request:
        parts = [plan.branches[branch].query] + [f"{k}:{v}" for k, v in plan.filters.items()]
        params: dict[str, Any] = {
            "filter": ",".join(parts),
            "per-page": self.page_size,
            "cursor": state["cursor"],
        }
        if self.client.mailto:
            params["mailto"] = self.client.mailto
        key = self.secret("OPENALEX_API_KEY")
        if key:
            params["api_key"] = key
        return Request(f"{self.url}/works", params)

    def parse(self, response: Response, plan: Plan, branch: int, state: State) -> Page:
        data = response.json()
        results = data.get("results") or []
        meta = data.get("meta") or {}
        cursor = meta.get("next_cursor")
        records = tuple(self.to_record(item) for item in results)
        total = meta.get("count")
        return Page(
            records,
            int(total) if total is not None else None,
            {"cursor": cursor} if cursor and results else None,
        )

    def work(self, work_id: str, **kwargs: Any) -> Record:
        """One work by OpenAlex id (`W123`) or `doi:10.x/y` (singletons are free)."""
        params: dict[str, Any] = {}
        key = self.secret("OPENALEX_API_KEY")
        if key:
            params["api_key"] = key
        if self.client.mailto:
            params["mailto"] = self.client.mailto
        return self.to_record(self.get_json(f"{self.url}/works/{work_id}", params, **kwargs))

    def to_record(self, item: Any) -> Record:
        loc = item.get("primary_location") or {}
        src = loc.get("source") or {}
        biblio = item.get("biblio") or {}
        first, last = biblio.get("first_page"), biblio.get("last_page")
        pages = f"{first}-{last}" if first and last and first != last else first
        return Record(
            source=self.name,
            source_id=short_id(item.get("id")) or "",
            title=clean_text(item.get("title") or item.get("display_name")),
            abstract=invert_abstract(item.get("abstract_inverted_index")),
            authors=tuple(
                a["author"]["display_name"]
                for a in item.get("authorships") or []
                if (a.get("author") or {}).get("display_name")
            ),
            year=item.get("publication_year"),
            venue=src.get("display_name"),
            doi=normalise_doi(item.get("doi")),
            type=_type(item, src),
            language=normalise_language(item.get("language")),
            url=loc.get("landing_page_url") or item.get("id"),
            references=tuple(
                s for s in (short_id(w) for w in item.get("referenced_works") or []) if s
            ),
            volume=biblio.get("volume"),
            issue=biblio.get("issue"),
            pages=pages,
            publisher=src.get("host_organization_name"),
            oa_url=(item.get("open_access") or {}).get("oa_url"),
            retraction=("openalex is_retracted",) if item.get("is_retracted") is True else (),
            extra={
                k: v
                for k, v in {
                    "cited_by_count": item.get("cited_by_count"),
                    "openalex_type": item.get("type"),
                    "source_type": src.get("type"),
                }.items()
                if v is not None
            },
        )


def _type(item: dict[str, Any], src: dict[str, Any]) -> str | None:
    """Crossref's finer type first; OpenAlex `article` in a conference source is a paper."""
    kind = item.get("type")
    if kind == "review":
        return "review"
    found = normalise_type(item.get("type_crossref")) or normalise_type(kind)
    if found == "article" and src.get("type") == "conference":
        return "conference-paper"
    return found
