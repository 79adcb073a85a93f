"""ScienceDirect Search API v2 (Elsevier): `PUT` with a JSON body, offset paging.

The API mirrors the website: AND/OR/AND NOT and `"phrases"`, at most 8 connectors per
field, no wildcards (plurals are folded instead), no document type, language or abstract.
`qs` searches every field including the full text; `title` searches titles only. A query
with more than 8 connectors is split into several queries whose union is the original
(the records are de-duplicated by PII). Everything else is left to the local filter.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from slr import query as q
from slr.errors import QueryError, SourceError
from slr.http import Request, Response
from slr.records import Record, clean_text, normalise_doi, parse_year
from slr.sources import _elsevier
from slr.sources._elsevier import KEY, TOKEN
from slr.sources.base import Branch, Dialect, Filters, Page, Plan, Source, State, register
from slr.sources.base import superset as superset_of

MAX_CONNECTORS = 8  # "Use fewer boolean connectors (max 8 per field)"
MAX_ENTRIES = 6000  # offset + show; pybliometrics SCIENCE_DIRECT_MAX_ENTRIES
MAX_BRANCHES = 64


class _Compiler(Dialect):
    """ScienceDirect boolean syntax (NOTs are removed before); a wildcard is sent as its
    stem, since ScienceDirect folds plurals but rejects `*`.
    """

    def term(self, node: q.Term) -> str:
        return f'"{node.text}"' if not re.fullmatch(r"\w+", node.text) else node.text


def connectors(node: q.Node) -> int:
    """How many AND / OR / AND NOT connectors the node needs when written out."""
    if isinstance(node, q.Term | q.Phrase):
        return 0
    if isinstance(node, q.Not):
        return connectors(node.child)
    return len(node.children) - 1 + sum(connectors(c) for c in node.children)


def split(node: q.Node, limit: int = MAX_CONNECTORS) -> tuple[list[q.Node], list[str]]:
    """Queries of at most `limit` connectors whose union is at least `node`, and notes.

    An OR is packed into groups; an AND is split on its widest OR child (a AND (b OR c)
    = (a AND b) OR (a AND c)); an AND of plain conjuncts loses its last ones (a superset).
    """
    if connectors(node) <= limit:
        return [node], []
    if isinstance(node, q.Or):
        out: list[q.Node] = []
        notes: list[str] = []
        group: list[q.Node] = []
        for child in node.children:
            if connectors(q.or_(*group, child)) <= limit:
                group.append(child)
                continue
            if group:
                out.append(q.or_(*group))
            group = []
            if connectors(child) <= limit:
                group = [child]
            else:
                parts, more = split(child, limit)
                out.extend(parts)
                notes.extend(more)
        if group:
            out.append(q.or_(*group))
        return out, notes
    if isinstance(node, q.And):
        wide = [c for c in node.children if isinstance(c, q.Or)]
        if wide:
            target = max(wide, key=lambda c: len(c.children))
            half = len(target.children) // 2
            out, notes = [], []
            for part in (target.children[:half], target.children[half:]):
                kids = [q.or_(*part) if c is target else c for c in node.children]
                pieces, more = split(q.and_(*kids), limit)
                out.extend(pieces)
                notes.extend(more)
            return out, notes
        # Only plain conjuncts: dropping one gives a superset; NOTs go first.
        nots = [c for c in node.children if isinstance(c, q.Not)]
        dropped = nots[0] if nots else node.children[-1]
        rest = [c for c in node.children if c is not dropped]
        pieces, notes = split(q.and_(*rest), limit)
        return pieces, [f"connectors: dropped {q.to_string(dropped)} (applied locally)", *notes]
    return [node], []


def _nodes(node: q.Node) -> list[q.Node]:
    if isinstance(node, q.Term | q.Phrase):
        return [node]
    kids = [node.child] if isinstance(node, q.Not) else list(node.children)
    return [node, *(n for k in kids for n in _nodes(k))]


def _title_only(node: q.Node) -> bool:
    return all(leaf.field == "title" for leaf in q.leaves(node))


@register
class ScienceDirect(Source):
    name = "sciencedirect"
    database = "ScienceDirect"
    interface = "Elsevier ScienceDirect Search API v2 (PUT)"
    default_url = "https://api.elsevier.com"
    key_env = (KEY,)
    optional_env = (TOKEN,)
    rate = 2.0  # pybliometrics RATELIMITS
    page_size = 100  # `show` maximum
    # `qs` searches every field; a count asks the first page as is (resultsFound)
    also_searches = "the full text and all fields (qs)"
    hard_cap = MAX_ENTRIES

    def headers(self) -> dict[str, str]:
        return _elsevier.headers(self, **{"Content-Type": "application/json"})

    def compile(self, query: q.Node, filters: Filters) -> Plan:
        local: list[str] = []
        sent: q.Node | bool = query
        wildcards = [leaf for leaf in q.leaves(query) if isinstance(leaf, q.Term) and leaf.wildcard]
        if wildcards and self.options.get("wildcards") == "drop":
            sent = superset_of(query, lambda n: isinstance(n, q.Term) and n.wildcard)
            if isinstance(sent, bool):
                raise QueryError("sciencedirect: nothing is left once the wildcards are dropped")
            local.append("wildcards: not supported; the terms holding them were dropped")
        elif wildcards:
            stems = ", ".join(f"{t.text}* -> {t.text}" for t in wildcards)
            local.append(
                f"wildcards: not supported, sent as stems ({stems}); ScienceDirect folds "
                'plurals, other forms are not searched (option wildcards = "drop" sends '
                "a strict superset)"
            )
        assert not isinstance(sent, bool)
        if any(isinstance(n, q.Not) for n in _nodes(sent)):
            # qs covers the full text, so a NOT there would also reject records that name
            # the term only in the body: that loses recall. Drop it; the local filter applies it.
            dropped = superset_of(sent, lambda n: isinstance(n, q.Not))
            if isinstance(dropped, bool):
                raise QueryError("sciencedirect: a query of only NOT cannot be sent; add a term")
            sent = dropped
            local.append("NOT: not sent (qs includes the full text); applied locally")
        conjuncts = list(sent.children) if isinstance(sent, q.And) else [sent]
        titles = [c for c in conjuncts if _title_only(c)]
        others = [c for c in conjuncts if not _title_only(c)]
        if any(leaf.field in ("abstract", "keywords") for leaf in q.leaves(sent)):
            local.append("fields abstract:/keywords: not in the API; searched in all fields")
        if others and any(leaf.field == "title" for c in others for leaf in q.leaves(c)):
            local.append("fields: title: inside a mixed group is searched in all fields")
        local.append("qs searches all fields including the full text; the local filter decides")
        fields: list[tuple[str, list[q.Node]]] = []
        for key, nodes in (("qs", others), ("title", titles)):
            if nodes:
                parts, notes = split(q.and_(*nodes))
                local.extend(notes)
                fields.append((key, parts))
        combos = list(itertools.product(*(parts for _, parts in fields)))
        if len(combos) > MAX_BRANCHES:
            raise QueryError(
                f"sciencedirect: the query needs {len(combos)} requests to stay within "
                f"{MAX_CONNECTORS} connectors per field; shorten it or give sciencedirect "
                "its own query in the protocol"
            )
        if len(combos) > 1:
            local.append(
                f"connectors: more than {MAX_CONNECTORS} per field; split into "
                f"{len(combos)} queries whose union is the query"
            )
        branches = []
        for combo in combos:
            body = {
                key: _Compiler().visit(node) for (key, _), node in zip(fields, combo, strict=True)
            }
            text = body["qs"] if list(body) == ["qs"] else json.dumps(body, ensure_ascii=False)
            branches.append(Branch(text, body))
        api: dict[str, Any] = {}
        if filters.years:
            api["date"] = f"{filters.years[0]}-{filters.years[1]}"
        if filters.types:
            local.append("types: no document type in the API; checked locally")
        if filters.languages:
            local.append("languages: no language in the API; unknown ones are kept")
        local.append("abstracts: none in search results; records stay UNDECIDABLE until enriched")
        return Plan(tuple(branches), api, tuple(local))

    def request(self, plan: Plan, branch: int, state: State) -> Request:
        body: dict[str, Any] = {
            **plan.branches[branch].params,
            **plan.filters,
            "display": {"offset": state["start"], "show": self.page_size, "sortBy": "relevance"},
        }
        return Request(
            f"{self.url}/content/search/sciencedirect", {}, self.headers(), "PUT", json=body
        )

    def parse(self, response: Response, plan: Plan, branch: int, state: State) -> Page:
        data = response.json()
        if not isinstance(data, dict) or "resultsFound" not in data:
            raise SourceError(f"sciencedirect: no 'resultsFound' in the response ({response.url})")
        total = int(data.get("resultsFound") or 0)
        items = data.get("results") or []
        start = int(state.get("start", 0)) + len(items)
        more = bool(items) and start < total
        return Page(
            tuple(self.to_record(i) for i in items), total, {"start": start} if more else None
        )

    def error_message(self, response: Response) -> str | None:
        return _elsevier.error_message(response)

    def to_record(self, item: Any) -> Record:
        authors = sorted(item.get("authors") or [], key=lambda a: a.get("order") or 0)
        pages = item.get("pages") or {}
        first, last = pages.get("first"), pages.get("last")
        volume, issue = _volume_issue(item.get("volumeIssue"))
        doi = normalise_doi(item.get("doi"))
        uri = item.get("uri")
        return Record(
            source=self.name,
            source_id=str(item.get("pii") or doi or ""),
            title=clean_text(item.get("title")),
            authors=tuple(clean_text(a.get("name")) or "" for a in authors if a.get("name")),
            year=parse_year(str(item.get("publicationDate") or "")[:4]),
            venue=clean_text(item.get("sourceTitle")),
            doi=doi,
            url=re.sub(r"\?dgcid=[^&]*$", "", uri) if uri else None,
            volume=volume,
            issue=issue,
            pages=f"{first}-{last}" if first and last else first,
            extra={
                k: v
                for k, v in {
                    "pii": item.get("pii"),
                    "open_access": item.get("openAccess"),
                    "publication_date": item.get("publicationDate"),
                    "load_date": item.get("loadDate"),
                }.items()
                if v is not None
            },
        )


def _volume_issue(value: str | None) -> tuple[str | None, str | None]:
    """`Volume 256, Issue 3` -> ("256", "3")."""
    if not value:
        return None, None
    vol = re.search(r"Volume\s+([^,]+)", value)
    iss = re.search(r"Issues?\s+([^,]+)", value)
    return (vol.group(1).strip() if vol else None, iss.group(1).strip() if iss else None)
