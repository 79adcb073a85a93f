"""PRISMA 2020 flow-diagram counts, derived from the review's own state and checked to balance.

Column A (databases and registers) holds works with at least one record from a database
search or a database export; column B (other methods) holds works found only by citation
searching or by imports from other sources. Boxes count records up to screening and works
(reports) afterwards; the included box counts studies and their reports apart, a study being
included when one of its reports is (studies.jsonl links reports into studies; without it
every work is a study of its own). Nothing is typed: every number comes from records.jsonl,
works.jsonl, studies.jsonl and the decision logs, and `check` verifies the PRISMA identities
(methods.md section 1) so an inconsistent state is an error naming the boxes and numbers.

Notices (errata, retraction notices, comments linked to the report they concern) are not
screened on their own: they follow their report. They are records identified, but no one
screened them, so column A counts them under "Records removed for other reasons" (one line per
kind) and they appear in no later box; identity 2 then holds as methods.md writes it, and no
box claims a decision that was taken on another record. In column B they are part of the
logged gap between records identified and reports sought (identity 6).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from slr.corpus import load_records
from slr.databases import known_source_names
from slr.errors import SlrError
from slr.protocol import Protocol
from slr.records import Record
from slr.review import Review
from slr.works import Work, load_works, record_index

if TYPE_CHECKING:
    from slr.prisma.previous import Previous

DISPLAY_NAMES = {
    "openalex": "OpenAlex",
    "crossref": "Crossref",
    "scopus": "Scopus",
    "sciencedirect": "ScienceDirect",
    "arxiv": "arXiv",
    "semanticscholar": "Semantic Scholar",
    "pubmed": "PubMed",
    "ieee": "IEEE Xplore",
    "dblp": "dblp",
    "google-scholar": "Google Scholar",
    "webofscience": "Web of Science",
    "embase": "Embase",
    "psycinfo": "PsycINFO",
    "acm": "ACM Digital Library",
    "springer": "SpringerLink",
    "ebsco": "EBSCO",
}


class PrismaError(SlrError):
    """The state does not yet give a complete, balanced flow diagram."""


def display_name(source: str) -> str:
    """How a source is named in the diagram and the report."""
    return DISPLAY_NAMES.get(source, source)


@dataclass
class Column:
    """The boxes of one column from `sought for retrieval` down."""

    sought: int = 0
    not_retrieved: int = 0
    assessed: int = 0
    excluded: dict[str, int] = field(default_factory=dict)  # reason label -> n
    included: int = 0
    awaiting: int = 0  # interim only: sought, retrieved, not yet decided at full text


@dataclass
class PrismaCounts:
    database_results: dict[str, int] = field(default_factory=dict)  # display name -> records
    other_results: dict[str, int] = field(default_factory=dict)  # method label -> records
    duplicates: int = 0
    excluded_automatic: dict[str, int] = field(default_factory=dict)  # criterion label -> n
    excluded_other: int = 0
    notices: dict[str, int] = field(default_factory=dict)  # column A notices per relation
    other_notices: int = 0  # column B notices (part of the logged identity-6 gap)
    records_screened: int = 0
    records_excluded: int = 0
    records_excluded_by_human: dict[str, int] = field(default_factory=dict)
    databases: Column = field(default_factory=Column)
    other: Column = field(default_factory=Column)
    other_screened_out: int = 0  # citation candidates excluded on title/abstract (logged gap)
    new_studies: int = 0
    new_reports: int = 0
    # updated review (`slr prisma --previous REF`): the previous version's included studies
    # and reports; every other box counts only the works whose every record is new since
    previous: Previous | None = None
    reports_of_previous_studies: int = 0  # new included reports of studies included before
    warnings: list[str] = field(default_factory=list)  # identity 9 is a warning, not a failure
    interim: bool = False  # drawn while screening is unfinished (`slr prisma --interim`)
    awaiting_screening: int = 0  # interim only: column-A works without a title-abstract decision
    other_awaiting_screening: int = 0  # the same for column B

    @property
    def identified(self) -> int:
        return sum(self.database_results.values())

    @property
    def other_identified(self) -> int:
        return sum(self.other_results.values())

    @property
    def has_other_methods(self) -> bool:
        return bool(self.other_results)

    @property
    def awaiting_full_text(self) -> int:
        return self.databases.awaiting + self.other.awaiting

    @property
    def total_studies(self) -> int:
        """Previous + new studies (PRISMA 2020 updated review); the new ones without one."""
        return (self.previous.studies if self.previous else 0) + self.new_studies

    @property
    def total_reports(self) -> int:
        return (self.previous.reports if self.previous else 0) + self.new_reports

    def to_dict(self) -> dict[str, Any]:
        """Flat, JSON-ready view with the PRISMA2020 template's keys (and the interim marks)."""
        interim = {
            "interim": True,
            "awaiting_screening": self.awaiting_screening,
            "other_awaiting_screening": self.other_awaiting_screening,
            "dbr_awaiting_assessment": self.databases.awaiting,
            "other_awaiting_assessment": self.other.awaiting,
        }
        previous = {}
        if self.previous is not None:
            previous = {
                "previous_version": self.previous.label(),
                "previous_studies": self.previous.studies,
                "previous_reports": self.previous.reports,
            }
        totals = {
            "total_studies": self.total_studies,
            "total_reports": self.total_reports,
        }
        if self.previous is not None:
            totals["new_reports_of_previous_studies"] = self.reports_of_previous_studies
        return {
            **(interim if self.interim else {}),
            **previous,
            "database_results": self.identified,
            "database_specific_results": dict(self.database_results),
            "other_results": dict(self.other_results),
            "duplicates": self.duplicates,
            "excluded_automatic": sum(self.excluded_automatic.values()),
            "excluded_automatic_by_criterion": dict(self.excluded_automatic),
            "excluded_other": self.excluded_other,
            "excluded_other_notices": dict(self.notices),
            "other_notices": self.other_notices,
            "records_screened": self.records_screened,
            "records_excluded": self.records_excluded,
            "dbr_sought_reports": self.databases.sought,
            "dbr_notretrieved_reports": self.databases.not_retrieved,
            "dbr_assessed": self.databases.assessed,
            "dbr_excluded": dict(self.databases.excluded),
            "dbr_included": self.databases.included,
            "other_sought_reports": self.other.sought,
            "other_notretrieved_reports": self.other.not_retrieved,
            "other_assessed": self.other.assessed,
            "other_excluded": dict(self.other.excluded),
            "other_included": self.other.included,
            "new_studies": self.new_studies,
            "new_reports": self.new_reports,
            **totals,
        }


def is_citation_record(record: Record) -> bool:
    """A record found by citation searching (snowballing tags its round in `extra`)."""
    return "round" in record.extra or record.extra.get("method") == "citation"


def other_method_label(record: Record) -> str:
    """Column-B line for a record: citation searching per round, else its source."""
    if is_citation_record(record):
        return f"Citation searching (round {record.extra.get('round', 1)})"
    return display_name(record.source)


def is_database_record(record: Record, databases: set[str]) -> bool:
    return record.source in databases and not is_citation_record(record)


def criterion_label(protocol: Protocol, cid: str) -> str:
    """`EC3: Studies that do not allow access ...`; an id the protocol no longer has says so."""
    for c in protocol.criteria:
        if c.id == cid:
            return f"{c.id}: {c.text}"
    if cid == "years":
        years = protocol.search.years
        return (
            f"Outside the year range {years[0]}-{years[1]}" if years else "Outside the year range"
        )
    return f"{cid} (no longer in the protocol)"


NOTICE_REMOVED = {
    "erratum": "Errata and corrections, with the report they correct",
    "retraction": "Retraction notices, with the report they retract",
    "comment": "Comments and replies, with the report they discuss",
}


def _reason(protocol: Protocol, criteria: tuple[str, ...]) -> str:
    # PRISMA needs one primary reason per report: the first criterion given.
    return criterion_label(protocol, criteria[0]) if criteria else "No reason recorded"


def compute(
    review: Review, interim: bool = False, previous: Previous | None = None
) -> PrismaCounts:
    """All flow-diagram counts from the state; raises PrismaError if it is incomplete or unbalanced.

    `interim` draws it while screening is unfinished: works without a final decision are
    counted as awaiting their stage instead of being an error. `previous` (an updated
    review, see slr.prisma.previous) carries the previous version's studies and reports
    over and counts only what is new since: records it did not hold, and the works whose
    every record is new (a new record merged into an earlier work is a duplicate removed).
    """
    from slr.screen.state import included_studies, stage_states  # builds on works; import late

    records = {r.id: r for r in load_records(review)}
    works = load_works(review)
    if not records:
        raise PrismaError("no records yet: run `slr search` or `slr import` first")
    if not works:
        raise PrismaError("no works yet: run `slr dedupe` before drawing the flow diagram")
    states = stage_states(review, works)
    counts = PrismaCounts(interim=interim, previous=previous)
    full_ft = states["full-text"]
    if previous is not None:
        old = previous.record_ids
        counts.warnings = _dropped_since(previous, works, full_ft)
        records = {rid: r for rid, r in records.items() if rid not in old}
        works = [w for w in works if not any(rid in old for rid in w.record_ids)]
        keep = {w.work_id for w in works}
        states = {stage: _only(state, keep) for stage, state in states.items()}
    databases = set(known_source_names())
    column_of: dict[str, str] = {}
    for work in works:
        recs = [records[rid] for rid in work.record_ids if rid in records]
        column_of[work.work_id] = (
            "A" if any(is_database_record(r, databases) for r in recs) else "B"
        )
    db_records = Counter(
        display_name(r.source) for r in records.values() if is_database_record(r, databases)
    )
    counts.database_results = dict(sorted(db_records.items()))
    other_records = Counter(
        other_method_label(r) for r in records.values() if not is_database_record(r, databases)
    )
    counts.other_results = dict(sorted(other_records.items()))
    a_works = [w for w in works if column_of[w.work_id] == "A"]
    counts.duplicates = counts.identified - len(a_works)

    ta, ft = states["title-abstract"], states["full-text"]
    notices = ta.notices
    counts.notices = dict(
        sorted(Counter(rel for w, (_, rel) in notices.items() if column_of[w] == "A").items())
    )
    counts.excluded_other = sum(counts.notices.values())
    counts.other_notices = len(notices) - counts.excluded_other
    if not interim:
        _require_complete(ta, "title-abstract", "slr screen")
        _require_complete(ft, "full-text", "slr screen --stage full-text")
    auto = Counter(
        _reason(review.protocol, d.criteria) for w, d in ta.auto.items() if column_of[w] == "A"
    )
    counts.excluded_automatic = dict(sorted(auto.items()))
    counts.awaiting_screening = sum(
        1 for w in a_works if w.work_id not in ta.final and w.work_id not in notices
    )
    counts.other_awaiting_screening = sum(
        1 for w in ta.pool if column_of[w.work_id] == "B" and w.work_id not in ta.final
    )
    counts.records_screened = (
        len(a_works) - sum(auto.values()) - counts.excluded_other - counts.awaiting_screening
    )
    human_out = Counter(
        _reason(review.protocol, d.criteria)
        for w, d in ta.final.items()
        if column_of[w] == "A" and w not in ta.auto and d.decision == "exclude"
    )
    counts.records_excluded = sum(human_out.values())
    counts.records_excluded_by_human = dict(sorted(human_out.items()))
    counts.other_screened_out = sum(
        1 for w, d in ta.final.items() if column_of[w] == "B" and d.decision == "exclude"
    )
    for col, box in (("A", counts.databases), ("B", counts.other)):
        box.sought = sum(
            1
            for w, d in ta.final.items()
            if column_of[w] == col and d.decision in ("include", "maybe")
        )
        decided = {w: d for w, d in ft.final.items() if column_of[w] == col}
        # from fulltext.jsonl (and old logs' not-retrieved), unless reviewers assessed it
        box.not_retrieved = sum(1 for w in ft.not_retrieved if column_of[w] == col)
        box.assessed = sum(1 for d in decided.values() if d.decision in ("include", "exclude"))
        box.awaiting = sum(
            1
            for w in ft.pool
            if column_of[w.work_id] == col
            and (w.work_id not in ft.final or ft.final[w.work_id].decision == "maybe")
        )
        reasons = Counter(
            _reason(review.protocol, d.criteria)
            for d in decided.values()
            if d.decision == "exclude"
        )
        box.excluded = dict(sorted(reasons.items()))
        box.included = sum(1 for d in decided.values() if d.decision == "include")
    studies = included_studies(ft)
    if previous is not None:  # a new report of a study included before adds no study
        studies, counts.reports_of_previous_studies = split_new_studies(
            included_studies(full_ft), ft
        )
    below_cutoff = _quality_exclusions(review, counts, ft.final, studies, column_of)
    counts.new_reports = counts.databases.included + counts.other.included
    counts.new_studies = len(studies) - below_cutoff
    check(counts)
    return counts


def _only(state: Any, keep: set[str]) -> Any:
    """A stage's state restricted to some works (an update's new works)."""

    def sub(d: dict[str, Any]) -> dict[str, Any]:
        return {w: v for w, v in d.items() if w in keep}

    return replace(
        state,
        pool=[w for w in state.pool if w.work_id in keep],
        auto=sub(state.auto),
        reviews={name: sub(decided) for name, decided in state.reviews.items()},
        resolved=sub(state.resolved),
        final=sub(state.final),
        order=sub(state.order),
        disagreements=sub(state.disagreements),
        conflicts=sub(state.conflicts),
        notes=sub(state.notes),
        notices=sub(state.notices),
        not_retrieved={w for w in state.not_retrieved if w in keep},
        retrieval=sub(state.retrieval),
    )


def split_new_studies(every: dict[str, list[str]], ft: Any) -> tuple[dict[str, list[str]], int]:
    """The included studies all of whose included reports are new, and the number of new
    included reports of studies that also have an earlier included report."""
    new, of_previous = {}, 0
    for study, ids in every.items():
        fresh = [w for w in ids if w in ft.final]
        if fresh and len(fresh) == len(ids):
            new[study] = fresh
        else:
            of_previous += len(fresh)
    return new, of_previous


def _dropped_since(previous: Previous, works: list[Work], ft: Any) -> list[str]:
    """Identity 9 is a warning: reports the previous version included that are no longer
    included (decisions changed since) make the totals differ from today's state."""
    index = record_index(works)
    gone = [
        w
        for w in previous.included
        if (now := index.get(w)) is None
        or ft.final.get(now) is None
        or ft.final[now].decision != "include"
    ]
    if not gone:
        return []
    return [
        f"{len(gone)} report(s) included in the previous version {previous.label()} are not "
        "included now (decisions changed since); the previous boxes show that version as it "
        "was: " + ", ".join(sorted(gone)[:5]) + (" ..." if len(gone) > 5 else "")
    ]


def _quality_exclusions(
    review: Review,
    counts: PrismaCounts,
    final: dict[str, Any],
    studies: dict[str, list[str]],
    column_of: dict[str, str],
) -> int:
    """Move the reports of studies below the quality cut-off from included to excluded (QA).

    They were assessed for eligibility and then excluded, so the identities still hold.
    Returns the number of studies excluded.
    """
    from slr.quality.scores import cutoff_label, excluded

    below = excluded(review)
    quality = review.protocol.quality
    if not below or quality is None:
        return 0
    label, n = cutoff_label(quality), 0
    for study, ids in studies.items():
        if (study if study in ids else ids[0]) not in below:
            continue
        n += 1
        for wid in ids:
            if final[wid].decision != "include":
                continue
            box = counts.databases if column_of[wid] == "A" else counts.other
            box.included -= 1
            box.excluded = dict(
                sorted({**box.excluded, label: box.excluded.get(label, 0) + 1}.items())
            )
    return n


def _require_complete(state: Any, stage: str, command: str) -> None:
    open_works = len(state.pool) - len(state.final) - len(state.conflicts)
    maybes = sum(1 for d in state.final.values() if d.decision == "maybe")
    problems = []
    if open_works:
        problems.append(f"{open_works} works not screened yet (run `{command}`)")
    if state.conflicts:
        problems.append(f"{len(state.conflicts)} conflicts (run `slr resolve`)")
    if maybes and stage == "full-text":
        problems.append(f"{maybes} works still 'maybe' (decide them with `{command}`)")
    if problems:
        raise PrismaError(
            f"{stage}: " + "; ".join(problems) + ": the diagram needs final decisions "
            "(draw it before then, marked as interim, with `slr prisma --interim`)"
        )


def check(c: PrismaCounts) -> None:
    """Verify the PRISMA 2020 identities; an imbalance names the boxes and the numbers."""
    auto = sum(c.excluded_automatic.values())
    rules = [
        (
            "records screened = identified - duplicates - automation - other reasons"
            + (" - awaiting" if c.interim else ""),
            c.records_screened,
            c.identified - c.duplicates - auto - c.excluded_other - c.awaiting_screening,
            f"{c.identified} - {c.duplicates} - {auto} - {c.excluded_other}"
            + (f" - {c.awaiting_screening}" if c.interim else ""),
        ),
        (
            "reports sought (databases) = records screened - records excluded",
            c.databases.sought,
            c.records_screened - c.records_excluded,
            f"{c.records_screened} - {c.records_excluded}",
        ),
    ]
    for name, col in (("databases", c.databases), ("other", c.other)):
        rules.append(
            (
                f"reports assessed ({name}) = sought - not retrieved"
                + (" - awaiting" if c.interim else ""),
                col.assessed,
                col.sought - col.not_retrieved - col.awaiting,
                f"{col.sought} - {col.not_retrieved}" + (f" - {col.awaiting}" if c.interim else ""),
            )
        )
        excluded = sum(col.excluded.values())
        rules.append(
            (
                f"included ({name}) = assessed - excluded",
                col.included,
                col.assessed - excluded,
                f"{col.assessed} - {excluded}",
            )
        )
    rules.append(
        (
            "reports sought (other) <= records identified (other)",
            min(c.other.sought, c.other_identified),
            c.other.sought,
            f"{c.other.sought} <= {c.other_identified}",
        )
    )
    reports = c.databases.included + c.other.included
    rules.append(
        (
            "reports of included studies = included (databases) + included (other)",
            c.new_reports,
            reports,
            f"{c.databases.included} + {c.other.included}",
        )
    )
    for name, got, want, how in rules:
        if got != want:
            raise PrismaError(f"PRISMA boxes do not balance: {name}: {got} != {how} = {want}")
    # each included report is of one included study, and an included study has a report
    # (in an update, a new report may be of a study included before: it adds no study)
    least = min(reports - c.reports_of_previous_studies, 1)
    if not (least <= c.new_studies <= reports):
        raise PrismaError(
            f"PRISMA boxes do not balance: studies included must be at least {least} and at "
            f"most the reports of included studies: {c.new_studies} studies, {reports} reports"
        )
    if c.previous is not None:
        for what, total, before, new in (
            ("studies", c.total_studies, c.previous.studies, c.new_studies),
            ("reports", c.total_reports, c.previous.reports, c.new_reports),
        ):
            if total != before + new:
                raise PrismaError(
                    f"PRISMA boxes do not balance: total {what} {total} != previous {before} "
                    f"+ new {new}"
                )
    values = [
        c.duplicates,
        c.records_screened,
        c.records_excluded,
        c.databases.sought,
        c.other.sought,
        c.awaiting_screening,
        c.databases.awaiting,
        c.other.awaiting,
        *c.database_results.values(),
        *c.excluded_automatic.values(),
    ]
    if any(v < 0 for v in values):
        raise PrismaError(f"PRISMA boxes do not balance: negative count in {c.to_dict()}")


def boxes(c: PrismaCounts) -> dict[str, list[str]]:
    """The text of every box, as the PRISMA 2020 template words it, `(n = 123)` included."""

    def n(value: int) -> str:
        return f"(n = {value})"

    out: dict[str, list[str]] = {
        "identified": ["Records identified from*:", f"Databases {n(c.identified)}"]
        + [f"  {name} {n(v)}" for name, v in c.database_results.items()]
        + [f"Registers {n(0)}"],
        "removed": [
            "Records removed before screening:",
            f"Duplicate records removed {n(c.duplicates)}",
            "Records marked as ineligible by automation tools "
            + n(sum(c.excluded_automatic.values())),
        ]
        + [f"  {label} {n(v)}" for label, v in c.excluded_automatic.items()]
        + [f"Records removed for other reasons {n(c.excluded_other)}"]
        + [f"  {NOTICE_REMOVED.get(rel, rel)} {n(v)}" for rel, v in c.notices.items()],
        "screened": ["Records screened", n(c.records_screened)],
        "excluded": [f"Records excluded** {n(c.records_excluded)}"]
        + [f"  {label} {n(v)}" for label, v in c.records_excluded_by_human.items()],
        "sought": ["Reports sought for retrieval", n(c.databases.sought)],
        "not_retrieved": ["Reports not retrieved", n(c.databases.not_retrieved)],
        "assessed": ["Reports assessed for eligibility", n(c.databases.assessed)],
        "reports_excluded": ["Reports excluded:"]
        + [f"{label} {n(v)}" for label, v in c.databases.excluded.items()],
        "included": [
            f"Studies included in review {n(c.new_studies)}",
            f"Reports of included studies {n(c.new_reports)}",
        ],
    }
    if c.previous is not None:  # PRISMA 2020 template for updated reviews
        out = {
            "previous": [
                f"Studies included in previous version of review {n(c.previous.studies)}",
                "Reports of studies included in previous version of review "
                + n(c.previous.reports),
            ],
            **out,
        }
        out["included"] = [
            f"New studies included in review {n(c.new_studies)}",
            f"Reports of new included studies {n(c.new_reports)}",
        ]
        if c.reports_of_previous_studies:
            out["included"].append(
                f"  of which reports of studies included before {n(c.reports_of_previous_studies)}"
            )
        out["total"] = [
            f"Total studies included in review {n(c.total_studies)}",
            f"Reports of total included studies {n(c.total_reports)}",
        ]
    if c.has_other_methods:
        out.update(
            {
                "other_identified": ["Records identified from:"]
                + [f"{label} {n(v)}" for label, v in c.other_results.items()],
                "other_sought": ["Reports sought for retrieval", n(c.other.sought)],
                "other_not_retrieved": ["Reports not retrieved", n(c.other.not_retrieved)],
                "other_assessed": ["Reports assessed for eligibility", n(c.other.assessed)],
                "other_excluded": ["Reports excluded:"]
                + [f"{label} {n(v)}" for label, v in c.other.excluded.items()],
            }
        )
    return _mark_interim(c, out) if c.interim else out


def _mark_interim(c: PrismaCounts, out: dict[str, list[str]]) -> dict[str, list[str]]:
    """An interim diagram says so first and shows the works still awaiting each stage."""
    banner = [
        "INTERIM - screening is not finished: "
        f"{c.awaiting_screening + c.other_awaiting_screening} works await title-abstract "
        f"screening, {c.awaiting_full_text} await full-text assessment"
    ]
    out["screened"].append(f"Awaiting screening (n = {c.awaiting_screening})")
    out["assessed"].append(f"Awaiting assessment (n = {c.databases.awaiting})")
    out["included"].append("so far (interim)")
    if c.has_other_methods:
        out["other_identified"].append(f"Awaiting screening (n = {c.other_awaiting_screening})")
        out["other_assessed"].append(f"Awaiting assessment (n = {c.other.awaiting})")
    return {"interim": banner, **out}


def summary(c: PrismaCounts) -> str:
    """The counts as plain text, one box per line (for the terminal and the demo)."""
    lines = []
    for name, text in boxes(c).items():
        lines.append(f"{name:<20} " + " | ".join(t.strip() for t in text))
    return "\n".join(lines)
