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
    records = list(records)
    # only the few records that carry evidence, and the DOIs notices name, are looked at
    carrying = {r.id: r for r in records if r.retraction or r.retracts}
    notices_of = [r for r in carrying.values() if r.retracts]
    notices_of += [w.canonical for w in works if w.canonical.retracts and not records]
    named = {normalise_doi(d) or d for r in notices_of for d in r.retracts}
    doi_of = {r.id: r.doi for r in records if r.doi in named} if named else {}
    evidence: dict[str, list[str]] = {}
    by_doi: dict[str, list[str]] = {}
    for w in works:
        lines = list(w.canonical.retraction)
        dois = {w.canonical.doi} & named
        for rid in w.record_ids:
            if rid in carrying:
                lines += carrying[rid].retraction
            if rid in doi_of:
                dois.add(doi_of[rid])
        if lines:
            evidence[w.work_id] = lines
        for doi in sorted(d for d in dois if d):
            by_doi.setdefault(doi, []).append(w.work_id)
    for rec in notices_of:
        for doi in rec.retracts:
            for target in by_doi.get(normalise_doi(doi) or doi, []):
                name = rec.doi or rec.id
                evidence.setdefault(target, []).append(
                    f"{rec.source} update-to: {name} is a retraction notice naming {doi}"
                    if name != doi
                    else f"{rec.source} update-to: {doi} is marked as retracted by itself"
                )
    attached: dict[str, list[str]] = {}
    retractions = {n: t for n, (t, relation) in (linked or {}).items() if relation == "retraction"}
    known = {w.work_id: w for w in works} if retractions else {}
    if retractions:
        for notice, target in retractions.items():
            if target in known and notice in known:
                attached.setdefault(target, []).append(notice)
    out: dict[str, Flag] = {}
    for w in works:
        lines, ids = evidence.get(w.work_id, []), sorted(attached.get(w.work_id, []))
        if not lines and not ids:
            continue
        titles = [" ".join((known[n].canonical.title or "(no title)").split()) for n in ids]
        shown = [f"linked retraction notice {n}: {t}" for n, t in zip(ids, titles, strict=True)]
        out[w.work_id] = Flag(w.work_id, (*dict.fromkeys(lines), *shown), tuple(ids))
    return out


def review_flags(review: Review, records: bool = True) -> dict[str, Flag]:
    """`flags` for a review as it is stored: its works, records and study links.

    `records=False` reads the works alone (their canonical records carry every record's
    evidence as of the last `slr dedupe`): what the screen uses, so it never waits for
    records.jsonl.
    """
    works = load_works(review)
    linked = notices([w.work_id for w in works], load_links(review))
    return flags(works, load_records(review) if records else (), linked)
