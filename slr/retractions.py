"""Is a work retracted, and on what evidence: the one answer for the screen, status and report.

A work is flagged when any of its records says so itself (Crossref `updated-by` or
`relation.is-retracted-by`, OpenAlex `is_retracted`, PubMed's publication type "Retracted
Publication" or its RIN field), when a record anywhere in the review is a retraction notice
naming the work's DOI (Crossref `update-to`), or when `slr dedupe` linked a retraction notice
to it (slr.studies). Each flag keeps every piece of evidence, one readable line each.

Which update types retract: Crossref's `retraction`, `partial_retraction`, `removal` and
`withdrawal` (its update-type list). An `expression_of_concern` warns but does not retract,
so it is no flag; nor is a title starting "RETRACTED:" or "Retracted:", which publishers
give to retracted articles and to retraction notices alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from slr.corpus import load_records
from slr.records import Record, normalise_doi
from slr.review import Review
from slr.studies import load_links, notices
from slr.works import Work, load_works

RETRACTING = frozenset({"retraction", "partial_retraction", "removal", "withdrawal"})


def retracting(update_type: object) -> bool:
    """True for a Crossref update type that retracts the work (`Partial retraction` too)."""
    if not isinstance(update_type, str):
        return False
    return "_".join(update_type.strip().lower().replace("-", " ").split()) in RETRACTING


@dataclass(frozen=True)
class Flag:
    """A work flagged as retracted, with the evidence (one line each, as shown to users)."""

    work_id: str
    evidence: tuple[str, ...]
    notices: tuple[str, ...] = ()  # the linked retraction notices' work ids

    @property
    def recorded(self) -> tuple[str, ...]:
        """The evidence carried by records (without the linked notices' lines)."""
        return self.evidence[: len(self.evidence) - len(self.notices)]

    def summary(self, limit: int = 2) -> str:
        """The evidence on one line: the first `limit` items and how many more."""
        shown = "; ".join(self.evidence[:limit])
        more = len(self.evidence) - limit
        return shown + (f"; and {more} more" if more > 0 else "")


def flags(
    works: Iterable[Work],
    records: Iterable[Record] = (),
    linked: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, Flag]:
    """work id -> Flag for every work flagged as retracted, in the works' order.

    `records` are the review's records (a work's own records are read by id; without them
    its canonical record stands for them); `linked` is slr.studies.notices: a notice work
    id -> (the report it follows, its relation).
    """
    works = list(works)
    by_id = {r.id: r for r in records}
    evidence: dict[str, list[str]] = {w.work_id: [] for w in works}
    members: dict[str, list[Record]] = {}
    by_doi: dict[str, list[str]] = {}
    for w in works:
        recs = [by_id[rid] for rid in w.record_ids if rid in by_id] or [w.canonical]
        members[w.work_id] = recs
        for doi in dict.fromkeys(d for d in (w.canonical.doi, *(r.doi for r in recs)) if d):
            by_doi.setdefault(doi, []).append(w.work_id)
        for rec in (*recs, w.canonical):
            evidence[w.work_id] += rec.retraction
    for w in works:
        for rec in members[w.work_id]:
            for doi in rec.retracts:
                for target in by_doi.get(normalise_doi(doi) or doi, []):
                    name = rec.doi or rec.id
                    evidence[target].append(
                        f"{rec.source} update-to: {name} is a retraction notice naming {doi}"
                        if name != doi
                        else f"{rec.source} update-to: {doi} is marked as retracted by itself"
                    )
    known = {w.work_id: w for w in works}
    attached: dict[str, list[str]] = {}
    for notice, (target, relation) in (linked or {}).items():
        if relation == "retraction" and target in evidence and notice in known:
            attached.setdefault(target, []).append(notice)
    out: dict[str, Flag] = {}
    for wid, lines in evidence.items():
        ids = sorted(attached.get(wid, []))
        if not lines and not ids:
            continue
        titles = [" ".join((known[n].canonical.title or "(no title)").split()) for n in ids]
        shown = [f"linked retraction notice {n}: {t}" for n, t in zip(ids, titles, strict=True)]
        out[wid] = Flag(wid, (*dict.fromkeys(lines), *shown), tuple(ids))
    return out


def review_flags(review: Review) -> dict[str, Flag]:
    """`flags` for a review as it is stored: its works, records and study links."""
    works = load_works(review)
    linked = notices([w.work_id for w in works], load_links(review))
    return flags(works, load_records(review), linked)
