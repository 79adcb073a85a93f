"""dblp publication search: words ANDed by space, `a|b` for an OR of single words.

dblp matches word prefixes (case-insensitive) over title, authors and venue; phrases and
NOT are disabled, there are no fields, years or types, and no abstracts. So slr sends a
superset: each OR that holds a multi-word phrase becomes separate queries (their union
is the OR), NOTs are dropped, stop words inside phrases are dropped, and every word is cut
to a stem that prefix-matches its inflections (`operations` -> `operation`, `challenge*`
-> `challeng`). The local filter applies the exact query to the titles; since there is
no abstract, a record that does not match on its title stays UNDECIDABLE, not rejected.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from slr import query as q
from slr.errors import QueryError, SourceError
from slr.http import Request, Response
from slr.records import Record, clean_text, normalise_doi, parse_year
from slr.sources.base import Branch, Filters, Page, Plan, Source, State, register
from slr.sources.base import superset as superset_of

MAX_QUERIES = 32
STOP_WORDS = frozenset(
    "a an and as at by for from in into of on or the to with without via".split()
)
TYPES = {
    "Journal Articles": "article",
    "Conference and Workshop Papers": "conference-paper",
    "Informal and Other Publications": "preprint",  # mostly CoRR (arXiv) preprints
    "Parts in Books or Collections": "book-chapter",
    "Books and Theses": "book",
}

# A query is a union of conjunctions; a conjunction is a list of slots, a slot is a set of
# alternative words sent as `a|b|c`.
Slot = tuple[str, ...]
Conjunction = tuple[Slot, ...]


def stem(word: str, wildcard: bool, original: str) -> str:
    """A prefix that dblp's prefix match extends to the word's inflections.

    Acronyms and names (upper case after the first letter, `MLOps`) are kept whole; other
    words lose a plural ending; a wildcard stem also loses a final `e` (challeng*).
    """
    if any(c.isupper() for c in original[1:]):
        return word
    if not wildcard and len(word) > 3 and word.endswith("ies"):
        word = word[:-3] + "i"
    elif not wildcard and len(word) > 3 and word.endswith("s") and word[-2] not in "su":
        word = word[:-1]
    if wildcard and len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def _leaf_words(node: q.Term | q.Phrase) -> list[str]:
    originals = re.findall(r"\w+", node.text)
    words = q.tokens(node.text)
    wild = isinstance(node, q.Term) and node.wildcard
    kept = [
        stem(w, wild and i == len(words) - 1, o)
        for i, (w, o) in enumerate(zip(words, originals, strict=False))
        if not (isinstance(node, q.Phrase) and len(words) > 1 and w in STOP_WORDS)
    ]
    return kept


def expand(node: q.Node) -> list[Conjunction]:
    """The node (without NOT) as a union of dblp conjunctions."""
    if isinstance(node, q.Term | q.Phrase):
        return [tuple((w,) for w in _leaf_words(node))]
    if isinstance(node, q.Not):
        raise QueryError("dblp: NOT cannot be sent")  # removed by compile() before
    if isinstance(node, q.And):
        out: list[Conjunction] = [()]
        for child in node.children:
            out = [a + b for a, b in itertools.product(out, expand(child))]
        return out
    singles: list[str] = []
    rest: list[Conjunction] = []
    for child in node.children:
        for conj in expand(child):
            if len(conj) == 1:
                singles.extend(conj[0])
            else:
                rest.append(conj)
    merged = [(tuple(dict.fromkeys(singles)),)] if singles else []
    return merged + rest


def render(conj: Conjunction) -> str:
    """`machine learning operation challeng|barrier`."""
    return " ".join("|".join(slot) for slot in conj if slot)


@register
class Dblp(Source):
    name = "dblp"
    database = "dblp computer science bibliography"
    interface = "dblp publication search API /search/publ/api"
    default_url = "https://dblp.org"
    rate = 0.5  # "wait at least 1-2 s between calls" (dblp FAQ)
    page_size = 1000  # `h` maximum
    searched_fields = ("title",)
    also_searches = "authors and venue (prefix match)"
    count_params = {"h": 1}  # result.hits.@total

    def compile(self, query: q.Node, filters: Filters) -> Plan:
        local = [
            "dblp matches word prefixes over title, authors and venue: stems are sent and "
            "the exact query is applied locally to the titles",
            "phrases: disabled in dblp; words sent in any order",
        ]
        sent = superset_of(query, lambda n: isinstance(n, q.Not))
        if isinstance(sent, bool):
            raise QueryError("dblp: a query of only NOT cannot be sent; add a term")
        if sent != query:
            local.append("NOT: disabled in dblp; applied locally")
        conjunctions = list(dict.fromkeys(expand(sent)))
        if len(conjunctions) > MAX_QUERIES:
            raise QueryError(
                f"dblp: the query needs {len(conjunctions)} requests (phrases under OR "
                "multiply); give dblp its own shorter query in the protocol"
            )
        if len(conjunctions) > 1:
            local.append(
                f"OR of phrases: sent as {len(conjunctions)} queries whose union is the OR"
            )
        if filters.years:
            local.append("years: no year parameter; checked locally")
        if filters.types:
            local.append("types: no type parameter; checked locally")
        if filters.languages:
            local.append("languages: dblp has none; unknown ones are kept")
        local.append("abstracts: none in dblp; records stay UNDECIDABLE until enriched")
        return Plan(tuple(Branch(render(c)) for c in conjunctions), {}, tuple(local))

    def request(self, plan: Plan, branch: int, state: State) -> Request:
        params = {
            "q": plan.branches[branch].query,
            "format": "json",
            "h": self.page_size,
            "f": state["start"],
            "c": 0,
        }
        return Request(f"{self.url}/search/publ/api", params)

    def parse(self, response: Response, plan: Plan, branch: int, state: State) -> Page:
        data = response.json()
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, dict) or "hits" not in result:
            raise SourceError(f"dblp: no 'result.hits' in the response ({response.url})")
        status = result.get("status") or {}
        if str(status.get("@code", "200")) != "200":
            raise SourceError(f"dblp: status {status.get('@code')}: {status.get('text')}")
        hits = result["hits"]
        total = int(hits.get("@total") or 0)
        items = hits.get("hit") or []
        if isinstance(items, dict):
            items = [items]
        nxt = int(state.get("start", 0)) + len(items)
        more = bool(items) and nxt < total
        return Page(
            tuple(self.to_record(i) for i in items), total, {"start": nxt} if more else None
        )

    def to_record(self, item: Any) -> Record:
        info = item.get("info") or {}
        people = (info.get("authors") or {}).get("author") or []
        if isinstance(people, dict):  # one author: a dict, not a list
            people = [people]
        authors = tuple(
            re.sub(r"\s+\d{4}$", "", str(a.get("text") if isinstance(a, dict) else a))
            for a in people
        )
        venue = info.get("venue")
        ee = info.get("ee")
        links = ee if isinstance(ee, list) else [ee] if ee else []
        title = clean_text(info.get("title"))
        if title and title.endswith(".") and not title.endswith(".."):
            title = title[:-1]  # dblp ends every title with a period
        kind = info.get("type")
        extra = {
            "dblp_key": info.get("key"),
            "dblp_type": kind,
            "dblp_url": info.get("url"),
            "ee": links or None,
            "access": info.get("access"),
            "score": item.get("@score"),
        }
        return Record(
            source=self.name,
            source_id=str(info.get("key") or item.get("@id") or ""),
            title=title,
            authors=authors,
            year=parse_year(info.get("year")),
            venue=", ".join(venue) if isinstance(venue, list) else venue,
            doi=normalise_doi(info.get("doi")),
            type=TYPES.get(kind, "other") if kind else None,
            url=links[0] if links else info.get("url"),
            volume=info.get("volume"),
            issue=info.get("number"),
            pages=info.get("pages"),
            extra={k: v for k, v in extra.items() if v not in (None, [], "")},
        )
