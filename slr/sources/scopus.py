"""Scopus Search API (Elsevier): `TITLE-ABS-KEY(...)` queries, start or cursor paging.

Everything in the reference query is expressible: fields, phrases (`"loose"`), wildcards,
years (`PUBYEAR`), document types (`DOCTYPE`) and language (`LANGUAGE`) all go into the
query string. Non-subscribers get `view=STANDARD` (200 per page, no abstracts, first 5000
results via `start`); with an institution token (or `subscriber = true`) slr asks for
`view=COMPLETE` (25 per page, abstracts and all authors) and pages with `cursor=*`.
An empty result is a fake entry `{"error": "Result set was empty"}`, never a record.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

from slr import query as q
from slr.errors import SourceError
from slr.http import Request, Response
from slr.records import (
    Record,
    clean_text,
    normalise_doi,
    normalise_language,
    normalise_type,
    parse_year,
)
from slr.sources import _elsevier
from slr.sources._elsevier import KEY, TOKEN
from slr.sources.base import Branch, Dialect, Filters, Page, Plan, Source, State, register

SEARCH_MAX_ENTRIES = 5000  # non-subscribers: `start` + `count` must stay within this

_FUNCTIONS = {None: "TITLE-ABS-KEY", "title": "TITLE", "abstract": "ABS", "keywords": "KEY"}
DOCTYPES = {
    "article": "ar",
    "conference-paper": "cp",
    "review": "re",
    "book-chapter": "ch",
    "book": "bk",
}
LANGUAGES = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "pt": "portuguese",
    "zh": "chinese",
    "ja": "japanese",
    "ru": "russian",
    "it": "italian",
    "nl": "dutch",
    "ko": "korean",
    "pl": "polish",
    "tr": "turkish",
    "ar": "arabic",
    "fa": "persian",
    "cs": "czech",
    "sv": "swedish",
}
# Words Scopus would read as operators if sent bare.
_RESERVED = {"and", "or", "not", "w", "pre"}
_PLAIN = re.compile(r"[\w.']+")


class _Compiler(Dialect):
    """The AST in Scopus advanced-search syntax; each single-field subtree is wrapped once
    in its field function, so the reference query reads `TITLE-ABS-KEY((...) AND (...))`.
    """

    binary_not = " AND NOT "

    def __init__(self, wrap: bool = True) -> None:
        self.wrap = wrap

    def visit(self, node: q.Node) -> str:
        if self.wrap and _uniform(node):
            field = next(iter(q.leaves(node))).field
            return f"{_FUNCTIONS[field]}({_Compiler(wrap=False).visit(node)})"
        return super().visit(node)

    def group(self, node: q.Node) -> str:
        text = self.visit(node)
        wrapped = self.wrap and _uniform(node)
        return f"({text})" if isinstance(node, q.And | q.Or | q.Not) and not wrapped else text

    def term(self, node: q.Term) -> str:
        star = "*" if node.wildcard else ""
        if _PLAIN.fullmatch(node.text) and node.text.lower() not in _RESERVED:
            return node.text + star
        return f'"{node.text}{star}"'  # a loose phrase keeps hyphens and symbols literal


def _uniform(node: q.Node) -> bool:
    """All leaves of `node` search the same field (None = title, abstract and keywords)."""
    return len({leaf.field for leaf in q.leaves(node)}) == 1


def compile_query(query: q.Node, filters: Filters) -> tuple[str, tuple[str, ...]]:
    """The Scopus query string (with year, type and language limits) and the local notes."""
    parts = [_Compiler().visit(query)]
    local: list[str] = [
        "plurals and spelling variants: Scopus folds them; the local re-check is stricter"
    ]
    if filters.years:
        lo, hi = filters.years
        parts.append(f"PUBYEAR > {lo - 1} AND PUBYEAR < {hi + 1}")
    if filters.types:
        codes = [DOCTYPES.get(t) for t in filters.types]
        if None in codes:
            missing = [t for t, c in zip(filters.types, codes, strict=True) if c is None]
            local.append(f"types: {', '.join(missing)} has no Scopus DOCTYPE; checked locally")
        else:
            parts.append(_any(f"DOCTYPE({c})" for c in dict.fromkeys(codes)))
    if filters.languages:
        names = [LANGUAGES.get(lang) for lang in filters.languages]
        if None in names:
            local.append("languages: a language has no Scopus name; checked locally")
        else:
            parts.append(_any(f"LANGUAGE({n})" for n in names))
        local.append("languages: search results carry no language; unknown ones are kept")
    if len(parts) > 1 and not _uniform(query):
        # `a AND NOT b AND PUBYEAR > 2017` would mean a AND NOT (b AND PUBYEAR > 2017).
        parts[0] = f"({parts[0]})"
    return " AND ".join(parts), tuple(local)


def _any(items: Any) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else "(" + " OR ".join(items) + ")"


@register
class Scopus(Source):
    name = "scopus"
    database = "Scopus"
    interface = "Elsevier Scopus Search API"
    default_url = "https://api.elsevier.com"
    key_env = (KEY,)
    optional_env = (TOKEN,)
    rate = 9.0  # pybliometrics RATELIMITS; the weekly quota (20 000) is the real budget
    page_size = 200
    # TITLE-ABS-KEY: title, abstract, author keywords and index terms
    also_searches = "index terms (TITLE-ABS-KEY)"
    count_params = {"count": 1}  # opensearch:totalResults

    # -- configuration ------------------------------------------------------------------
    def subscriber(self) -> bool:
        """Cursor paging and COMPLETE view: with an institution token or `subscriber`."""
        flag = self.options.get("subscriber")
        return bool(self.env.get(TOKEN)) if flag is None else bool(flag)

    def view(self) -> str:
        return str(self.options.get("view") or ("COMPLETE" if self.subscriber() else "STANDARD"))

    def count(self) -> int:
        return 25 if self.view().upper() == "COMPLETE" else 200

    def cap(self) -> int | None:
        limit = self.options.get("max_records")
        caps = [c for c in (None if self.subscriber() else SEARCH_MAX_ENTRIES, limit) if c]
        return min(int(c) for c in caps) if caps else None

    def headers(self) -> dict[str, str]:
        return _elsevier.headers(self)

    # -- the module's five methods --------------------------------------------------------
    def compile(self, query: q.Node, filters: Filters) -> Plan:
        text, local = compile_query(query, filters)
        notes = list(local)
        if self.view().upper() != "COMPLETE":
            notes.append(
                "abstracts: view=STANDARD has none (first author only); such records stay "
                f"UNDECIDABLE locally ({TOKEN} gives view=COMPLETE, or enrich)"
            )
        if not self.subscriber():
            notes.append(f"cap: without a subscription only the first {SEARCH_MAX_ENTRIES}")
        params = {"view": self.view(), "count": self.count()}
        return Plan((Branch(text, params),), {}, tuple(notes))

    def first(self, plan: Plan, branch: int) -> State:
        return {"cursor": "*", "seen": 0} if self.subscriber() else {"start": 0}

    def request(self, plan: Plan, branch: int, state: State) -> Request:
        b = plan.branches[branch]
        params: dict[str, Any] = {"query": b.query, **b.params}
        if "cursor" in state:
            params["cursor"] = state["cursor"]
        else:
            params["start"] = state["start"]
        return Request(f"{self.url}/content/search/scopus", params, self.headers())

    def parse(self, response: Response, plan: Plan, branch: int, state: State) -> Page:
        results = response.json().get("search-results")
        if not isinstance(results, dict):
            raise SourceError(f"scopus: no 'search-results' in the response ({response.url})")
        total = int(results.get("opensearch:totalResults") or 0)
        # An empty result still has one entry: {"@_fa": "true", "error": "Result set was empty"}.
        entries = [e for e in results.get("entry") or [] if "error" not in e] if total else []
        records = tuple(self.to_record(e) for e in entries)
        nxt: State | None = None
        if "cursor" in state:
            seen = int(state.get("seen", 0)) + len(entries)
            cursor = (results.get("cursor") or {}).get("@next")
            if entries and cursor and seen < total:
                nxt = {"cursor": cursor, "seen": seen}
        else:
            start = int(state.get("start", 0)) + len(entries)
            if entries and start < total:
                nxt = {"start": start}
        return Page(records, total, nxt)

    def error_message(self, response: Response) -> str | None:
        return _elsevier.error_message(response)

    def to_record(self, item: Any) -> Record:
        eid = item.get("eid") or str(item.get("dc:identifier") or "").replace("SCOPUS_ID:", "")
        authors = tuple(a for a in (_author(x) for x in item.get("author") or []) if a)
        if not authors and item.get("dc:creator"):
            authors = (str(item["dc:creator"]),)  # STANDARD view: the first author only
        keywords = tuple(
            k.strip() for k in str(item.get("authkeywords") or "").split("|") if k.strip()
        )
        links = {x.get("@ref"): x.get("@href") for x in item.get("link") or []}
        extra = {
            "eid": eid,
            "scopus_id": str(item.get("dc:identifier") or "").replace("SCOPUS_ID:", "") or None,
            "cited_by_count": _int(item.get("citedby-count")),
            "subtype": item.get("subtype"),
            "subtype_description": item.get("subtypeDescription"),
            "aggregation_type": item.get("prism:aggregationType"),
            "issn": item.get("prism:issn") or item.get("prism:eIssn"),
            "pubmed_id": item.get("pubmed-id"),
            "pii": item.get("pii"),
            "article_number": item.get("article-number"),
            "open_access": item.get("openaccessFlag"),
            "authors_complete": bool(item.get("author")),
        }
        return Record(
            source=self.name,
            source_id=eid,
            title=clean_text(item.get("dc:title")),
            abstract=clean_text(item.get("dc:description")),
            authors=authors,
            year=parse_year(str(item.get("prism:coverDate") or "")[:4]),
            venue=clean_text(item.get("prism:publicationName")),
            doi=normalise_doi(item.get("prism:doi")),
            type=normalise_type(item.get("subtype") or item.get("subtypeDescription")),
            keywords=keywords,
            url=links.get("scopus") or item.get("prism:url"),
            volume=item.get("prism:volume"),
            issue=item.get("prism:issueIdentifier"),
            pages=item.get("prism:pageRange"),
            extra={k: v for k, v in extra.items() if v not in (None, "")},
        )

    # -- Abstract Retrieval (one record, with abstract and language) -----------------------
    def abstract(self, eid: str, **kwargs: Any) -> Record:
        """One record by EID from the Abstract Retrieval API (`view=META_ABS`, XML)."""
        request = Request(
            f"{self.url}/content/abstract/eid/{eid}",
            {"view": "META_ABS"},
            {**self.headers(), "Accept": "text/xml"},
            expect="xml",
        )
        response = self.send(request, **kwargs)
        self.check(response)
        return parse_abstract_retrieval(response.content)


def _author(a: dict[str, Any]) -> str | None:
    given, surname = a.get("given-name"), a.get("surname")
    if surname:
        return f"{given} {surname}" if given else str(surname)
    return a.get("authname")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_NS = {
    "a": "http://www.elsevier.com/xml/svapi/abstract/dtd",
    "ce": "http://www.elsevier.com/xml/ani/common",
    "dc": "http://purl.org/dc/elements/1.1/",
    "prism": "http://prismstandard.org/namespaces/basic/2.0/",
}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def parse_abstract_retrieval(content: bytes | str) -> Record:
    """An Abstract Retrieval XML response (`abstracts-retrieval-response`) as a Record."""
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as exc:
        raise SourceError(f"scopus: Abstract Retrieval body is not XML: {exc}") from None
    core = root.find("a:coredata", _NS)
    if core is None:
        raise SourceError("scopus: no <coredata> in the Abstract Retrieval response")

    def text(path: str) -> str | None:
        node = core.find(path, _NS)
        return clean_text("".join(node.itertext())) if node is not None else None

    authors = []
    for a in core.findall("dc:creator/a:author", _NS) + root.findall("a:authors/a:author", _NS):
        given, surname = a.findtext("ce:given-name", None, _NS), a.findtext("ce:surname", None, _NS)
        name = f"{given} {surname}" if given and surname else a.findtext("ce:indexed-name", "", _NS)
        if name and name not in authors:
            authors.append(name)
    abstract = core.find("dc:description/a:abstract", _NS)
    paras: list[str | None] = []
    if abstract is not None:
        paras = [clean_text("".join(p.itertext())) for p in abstract.iter(f"{{{_NS['ce']}}}para")]
    # The paper's language is `citation-language` (FULL view); an abstract's xml:lang is
    # only the abstract's, so it is kept apart.
    lang = root.find(".//a:citation-language", _NS)
    language = lang.get(_XML_LANG) if lang is not None else None
    publisher = core.find("dc:publisher", _NS)
    eid = text("a:eid") or ""
    return Record(
        source="scopus",
        source_id=eid,
        title=text("dc:title"),
        abstract=" ".join(p for p in paras if p) or None,
        authors=tuple(authors),
        year=parse_year(text("prism:coverDate")),
        venue=text("prism:publicationName"),
        doi=normalise_doi(text("prism:doi")),
        type=normalise_type(text("a:subtype") or text("a:subtypeDescription")),
        language=normalise_language(language),
        url=text("prism:url"),
        volume=text("prism:volume"),
        issue=text("prism:issueIdentifier"),
        pages=text("prism:pageRange"),
        # Scopus appends the publisher's e-mail on a second line.
        publisher=clean_text((publisher.text or "").strip().splitlines()[0])
        if publisher is not None and (publisher.text or "").strip()
        else None,
        extra={
            k: v
            for k, v in {
                "eid": eid,
                "pubmed_id": text("a:pubmed-id"),
                "cited_by_count": _int(text("a:citedby-count")),
                "subtype": text("a:subtype"),
                "open_access": text("a:openaccessFlag") == "true",
                "abstract_language": abstract.get(_XML_LANG) if abstract is not None else None,
            }.items()
            if v not in (None, "")
        },
    )
