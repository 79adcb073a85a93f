"""Works from clusters: a canonical record merged field by field, with provenance.

Every source record stays in records.jsonl and is listed in its work; the canonical
record only chooses, per field, the value of the richest record (a published version
over a preprint, a DOI over none, the longest abstract, full author names, the full
venue name), and `extra["provenance"]` says which record each field came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from slr.dedupe.engine import Result
from slr.dedupe.normalise import record_class, strip_annotations
from slr.records import Record
from slr.works import Work


def _title_quality(r: Record) -> tuple[Any, ...]:
    t = r.title or ""
    return (not t.isupper(), strip_annotations(t) == t, bool(r.doi), len(t))


def _author_quality(r: Record) -> tuple[int, int]:
    # full given names beat initials; more names beat a truncated list
    return len(r.authors), sum(len(a) for a in r.authors)


def _pick(
    members: Sequence[Record], value: Callable[[Record], Any], quality: Callable[[Record], Any]
) -> Record | None:
    have = [r for r in members if value(r) not in (None, "", ())]
    return max(have, key=quality) if have else None


def canonical(members: Sequence[Record]) -> Record:
    """One record for a work: the first record's id, each field from the best record."""
    first = members[0]
    published = [r for r in members if record_class(r.type, r.venue, r.doi) != "preprint"]
    pool = published or list(members)
    rank = {id(r): k for k, r in enumerate(members)}

    def earliest(r: Record) -> int:
        return -rank[id(r)]

    chosen: dict[str, Record | None] = {
        "title": _pick(pool, lambda r: r.title, _title_quality),
        "abstract": _pick(members, lambda r: r.abstract, lambda r: len(r.abstract or "")),
        "authors": _pick(pool, lambda r: r.authors, _author_quality),
        "venue": _pick(pool, lambda r: r.venue, lambda r: len(r.venue or "")),
        "doi": _pick(pool, lambda r: r.doi, earliest) or _pick(members, lambda r: r.doi, earliest),
        "references": _pick(members, lambda r: r.references, lambda r: len(r.references)),
    }
    years = Counter(r.year for r in pool if r.year)
    if years:
        year = max(years, key=lambda y: (years[y], -y))  # most common, then earliest
        chosen["year"] = next(r for r in pool if r.year == year)
    for name in ("type", "language", "url", "volume", "issue", "pages", "publisher", "oa_url"):
        get = attrgetter(name)
        chosen[name] = _pick(pool, get, earliest) or _pick(members, get, earliest)
    values: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    for name, rec in chosen.items():
        if rec is not None:
            values[name] = getattr(rec, name)
            provenance[name] = rec.id
    for name in ("retraction", "retracts"):  # any record's retraction evidence is the work's
        values[name] = tuple(dict.fromkeys(x for r in members for x in getattr(r, name)))
    keywords: dict[str, str] = {}
    for r in members:
        for k in r.keywords:
            keywords.setdefault(k.casefold(), k)
    extra: dict[str, Any] = {"provenance": provenance, "records": len(members)}
    versions = [r.id for r in members if r not in published]
    if versions and published:
        extra["versions"] = versions
    return first.evolve(keywords=tuple(keywords.values()), extra=extra, **values)


def works(
    result: Result, records: Sequence[Record], kept: dict[str, str] | None = None
) -> list[Work]:
    """One Work per cluster, in order of its first record; `kept` = earlier reasons to reuse."""
    kept = kept or {}
    assignments = result.assignments()
    out = []
    for members in result.clusters:
        recs = [records[i] for i in members]
        rules = {}
        for i in members:
            _, rule, why = assignments[i]
            if rule == "kept":  # a link of an earlier run: keep its reason
                other = why.rpartition(" with ")[2]
                why = kept.get(records[i].id) or f"earlier run, with {other}"
            rules[records[i].id] = why or ("first record" if len(members) > 1 else "unique")
        sources = tuple(dict.fromkeys(r.source for r in recs))
        canon = canonical(recs) if len(recs) > 1 else recs[0]
        out.append(Work(recs[0].id, tuple(r.id for r in recs), sources, canon, rules))
    return out
