"""`slr dedupe --explain ID`: why the records of a work were linked, and what was kept apart."""

from __future__ import annotations

from slr.corpus import load_records
from slr.dedupe.compare import Settings, evidence
from slr.dedupe.incremental import update
from slr.dedupe.table import build
from slr.errors import SlrError
from slr.review import Review
from slr.studies import load_links, study_index, study_members
from slr.works import Work, load_works, record_index

_AGREE = {1: "same", 0: "unknown", -1: "differs"}


def _evidence_line(ev: dict[str, object], rule: str) -> str:
    """Field-by-field agreement; a linked pair's other volume or issue names what outweighed it."""
    parts = [f"title {ev['title']}"]
    for name in ("doi", "first_author", "venue", "volume", "issue", "pages"):
        value = int(ev[name])  # type: ignore[call-overload]
        if value == -1 and name in ("volume", "issue"):
            parts.append(f"{name} other, outweighed by {_outweighed(ev, rule)}")
        else:
            parts.append(f"{name.replace('_', ' ')} {_AGREE[value]}")
    year = ev["year"]
    parts.append(
        "year unknown" if year is None else f"years {'same' if year == 0 else f'{year:+d}'}"
    )
    if ev["abstract"] is not None:
        parts.append(f"abstract {ev['abstract']}")
    return ", ".join(parts)


def _outweighed(ev: dict[str, object], rule: str) -> str:
    if ev["doi"] == 1:
        return "the same DOI"
    if "same-abstract" in rule:
        return "the same abstract"
    if rule.startswith("reviewer") or "reviewer" in rule:
        return "a reviewer's answer"
    return f"the rule {rule.split(' (')[0]}"


def explain(review: Review, rid: str, settings: Settings | None = None) -> str:
    """A report on the work that holds record (or work) `rid`."""
    works = load_works(review)
    if not works:
        raise SlrError(f"{review.store.works_file}: no works yet; run `slr dedupe` first")
    index = record_index(works)
    if rid not in index:
        raise SlrError(
            f"{rid!r}: no such record or work id in {review.store.works_file}; "
            "ids look like `scopus:2-s2.0-123` (see `slr dedupe` output or records.jsonl)"
        )
    work = next(w for w in works if w.work_id == index[rid])
    by_id = {r.id: r for r in load_records(review)}
    members = [by_id[x] for x in work.record_ids if x in by_id]
    table = build(members)
    at = {r.id: k for k, r in enumerate(members)}
    canon = work.canonical
    lines = [
        f"work {work.work_id}: {len(work.record_ids)} record(s) from {', '.join(work.sources)}",
        f"  {canon.title or '(no title)'} ({canon.year or 'n.d.'}){'  doi:' + canon.doi if canon.doi else ''}",
    ]
    for rec in members:
        why = work.rules.get(rec.id, "")
        lines.append(f"- {rec.id}  {rec.year or 'n.d.'}  {(rec.title or '(no title)')[:90]}")
        lines.append(f"    {why}")
        other = why.rpartition(" with ")[2] if " with " in why else ""
        if other in at:
            ev = evidence(table, at[rec.id], at[other])
            lines.append(f"    {_evidence_line(ev, why)}")
    lines += _study_lines(review, works, work)
    prov = canon.extra.get("provenance") if isinstance(canon.extra, dict) else None
    if prov:
        lines.append("canonical fields from: " + ", ".join(f"{k}={v}" for k, v in prov.items()))
    outcome = update(review, settings, full=True, save=False)  # every pair, nothing written
    records = outcome.records
    mine = set(work.record_ids)
    for pair in outcome.result.apart + outcome.result.grey:
        a, b = records[pair.a].id, records[pair.b].id
        if (a in mine) == (b in mine):
            continue
        inside, outside = (a, b) if a in mine else (b, a)
        v = pair.verdict
        if v.decision == "grey":
            lines.append(
                f"undecided: {inside} / {outside} ({v.rule}, score {v.score:.1f}); "
                "answer with `slr dedupe --review`"
            )
        else:
            lines.append(f"kept apart: {inside} / {outside} ({v.rule})")
    return "\n".join(lines)


def _study_lines(review: Review, works: list[Work], work: Work) -> list[str]:
    """The study the work belongs to, its reports and every link with its rule and evidence."""
    links = load_links(review)
    index = study_index((w.work_id for w in works), links)
    study = index[work.work_id]
    members = study_members(index)[study]
    if len(members) == 1:
        return ["study: this work is a study of its own (no other report linked)"]
    titles = {w.work_id: (w.canonical.title or "(no title)")[:70] for w in works}
    lines = [f"study {study}: {len(members)} reports"]
    by_work = {link.work_id: link for link in links}
    for member in members:
        link = by_work.get(member)
        if member == study or link is None:
            lines.append(f"  main report {member}  {titles[member]}")
            continue
        lines.append(f"  {link.relation} {member} of {link.study_id}  {titles[member]}")
        lines.append(f"    rule {link.rule}; evidence: {link.evidence or 'not recorded'}")
    return lines
