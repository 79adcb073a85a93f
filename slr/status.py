"""`slr status`: counts per stage, each reviewer's own progress, damaged logs, and what to run next.

The `next:` line comes from one rule set (`next_step`) applied to the same counts the
status shows, so it is always true of the state it is printed with.

On a big review (its files at least `slr.review.LOCAL_CACHE_MIN_BYTES`) the status is kept
in the review's local cache (outside the repo, see `slr.review`) under the sha256 of every
file of the corpus folder but `raw/`, and of the protocol: computed once per change.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections import Counter
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

from slr.coding.log import coding_counts
from slr.corpus import citation_caps_hit
from slr.databases import FETCHED
from slr.decisions import AUTO_REVIEWER, STAGES
from slr.dedupe.counts import dedupe_counts
from slr.retractions import flags
from slr.review import LOCAL_CACHE_MIN_BYTES, Review
from slr.screen.rules import auto_rules
from slr.screen.state import screening_counts, stage_recalls
from slr.state import ReviewState, load_state
from slr.store import Store, TornLineWarning, has_torn_tail
from slr.studies import notices
from slr.validate import status_counts, unmatched_line
from slr.works import Work


@dataclass(frozen=True)
class Status:
    """The review's state in counts: what `slr status` prints (`to_dict()` for `--json`).

    The per-stage recall statement is worked out only when asked for (`recall`, `to_dict`):
    its statistics import scipy, and the plain status shows it only while works are left.
    """

    review: str
    protocol_hash: str
    corpus: str
    records: int
    records_per_source: dict[str, int]
    records_from_databases: int
    records_from_citation_searching: dict[str, int]
    records_not_in_works: int
    searches: int
    works: int
    dedupe: dict[str, Any]
    screening: dict[str, dict[str, Any]]
    coding: dict[str, Any]
    auto_screened: bool
    torn: list[dict[str, str]]
    snowball_caps_hit: list[str]
    imported_unmatched: dict[str, int]  # imported records the query does not match / decide
    next: str
    # works flagged as retracted (slr.retractions): how many, and the included ones' evidence
    retracted: dict[str, Any] = field(default_factory=dict)
    source: ReviewState | None = field(default=None, compare=False, repr=False)

    @cached_property
    def recall(self) -> dict[str, dict[str, Any]]:
        """Per stage, the stopping statement for its human-screened part."""
        if self.source is None or not self.works:
            return {}
        return stage_recalls(self.source.review)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `slr status --json` (the keys it always had)."""
        screening = {
            stage: {**c, "recall": self.recall[stage]} if stage in self.recall else dict(c)
            for stage, c in self.screening.items()
        }
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "source"}
        data["screening"] = screening
        return data


def status(review: Review) -> Status:
    """The counts of `slr status` for a review (see `status_of`), kept while nothing changes
    on a big review (see the module docstring)."""
    key = _cache_key(review)
    if key is None:
        return status_of(load_state(review))
    kept = review.local().get("status")
    if isinstance(kept, dict) and kept.get("key") == key:
        return _from_dict(kept["value"])
    result = status_of(load_state(review))
    value = result.to_dict()
    if _cache_key(review) == key:  # not changed meanwhile (e.g. stale works rebuilt)
        review.local().put("status", {"key": key, "value": value})
    return result


STATUS_CACHE_FORMAT = 2  # bump when the status's counts change meaning


def _cache_key(review: Review) -> dict[str, Any] | None:
    """What a status is a function of, by content (None: too small to keep a status for)."""
    from slr import __version__

    root = review.store.root
    files: list[Path] = []
    size = 0
    for top, dirs, names in os.walk(root):
        if Path(top) == root:
            dirs[:] = [d for d in dirs if Path(top, d) != review.store.raw]
        dirs.sort()
        for name in sorted(names):
            path = Path(top, name)
            with contextlib.suppress(OSError):
                size += path.stat().st_size
                files.append(path)
    if size < LOCAL_CACHE_MIN_BYTES:
        return None
    return {
        "format": STATUS_CACHE_FORMAT,
        "slr": __version__,
        "corpus": str(root),  # printed as given
        "protocol": review.protocol.hash,
        # hashes kept from 64 KiB: a review with many full-text PDFs is not read again
        "files": {str(p.relative_to(root)): review.sha256(p, 1 << 16) for p in files},
    }


def _from_dict(data: dict[str, Any]) -> Status:
    """A Status back from `to_dict()` (the recall statements included)."""
    recall = {k: c["recall"] for k, c in data["screening"].items() if "recall" in c}
    screening = {
        k: {f: v for f, v in c.items() if f != "recall"} for k, c in data["screening"].items()
    }
    result = Status(**{**data, "screening": screening})
    result.__dict__["recall"] = recall  # the cached_property's value, as computed then
    return result


def status_of(state: ReviewState) -> Status:
    """The counts of `slr status`, computed from the review's state value."""
    review = state.review
    store = review.store
    per_source: Counter[str] = Counter()
    cited: Counter[int] = Counter()  # records found by citation searching, per round
    with warnings.catch_warnings():  # torn lines are listed in the status itself
        warnings.simplefilter("ignore", TornLineWarning)
        ids = set()
        for rec in state.records:  # names file:line of a damaged record, never a KeyError
            ids.add(rec.id)
            per_source[rec.source] += 1
            extra = rec.extra or {}
            if extra.get("method") == "citation" and extra.get("round") is not None:
                cited[int(extra["round"])] += 1
        stored = review.entries(store.works_file, Work.from_dict, "work")  # as stored
        in_works = {rid for work in stored for rid in work.record_ids}
        works = len(stored)
        data: dict[str, Any] = {
            "review": review.id,
            "protocol_hash": review.protocol.hash,
            "corpus": str(store.root),
            "records": sum(per_source.values()),
            "records_per_source": dict(sorted(per_source.items())),
            "records_from_databases": sum(per_source.values()) - sum(cited.values()),
            "records_from_citation_searching": {str(k): cited[k] for k in sorted(cited)},
            "records_not_in_works": len(ids - in_works),
            "searches": len(state.search_log),  # amendments folded in, removed imports out
            "works": works,
            "dedupe": dedupe_counts(review) if works else {},
            "screening": screening_counts(review, recall=False) if works else {},
            "coding": coding_counts(review) if works else {},
            "auto_screened": store.decisions_file(AUTO_REVIEWER).exists(),
            "torn": damaged_logs(store),
            "snowball_caps_hit": citation_caps_hit(state.search_log),
            "imported_unmatched": status_counts(review, state.records, state.search_log),
        }
    if data["screening"]:  # an update never re-queues a decided work: say how many grew
        from slr.diff import decided_then_grown

        final = state.stage_states[STAGES[0]].final
        grown = decided_then_grown(state.records, state.search_log, state.works, final)
        data["screening"][STAGES[0]]["decided_then_grown"] = grown
    data["next"] = next_step(review, data)
    data["retracted"] = retracted_counts(state, stored) if works else {}
    return Status(**data, source=state)


def retracted_counts(state: ReviewState, works: list[Work]) -> dict[str, Any]:
    """How many works are flagged as retracted, and which included ones (with evidence)."""
    linked = notices([w.work_id for w in works], state.links)
    flagged = flags(works, state.records, linked)
    final = state.stage_states[STAGES[1]].final if flagged else {}
    included = {
        wid: list(flag.evidence)
        for wid, flag in flagged.items()
        if wid in final and final[wid].decision == "include"
    }
    return {"works": len(flagged), "included": included}


def damaged_logs(store: Store) -> list[dict[str, str]]:
    """Logs whose last line a crash cut short, and fragments already moved to `.torn` files."""
    out: list[dict[str, str]] = []
    if not store.root.is_dir():
        return out
    for path in sorted(store.root.rglob("*.jsonl")):
        if store.raw not in path.parents and has_torn_tail(path):
            out.append({"file": _rel(store, path), "state": "torn"})
    for path in sorted(store.root.rglob("*.jsonl.torn")):
        if store.raw not in path.parents:
            out.append({"file": _rel(store, path), "state": "kept"})
    return out


def _rel(store: Store, path: Path) -> str:
    return str(path.relative_to(store.root))


def next_step(review: Review, data: dict[str, Any]) -> str:
    """The command to run next, from the state in `data` (one rule set, first match wins)."""
    if not data["records"] and not data["works"]:
        names = [s.name for s in review.protocol.search.sources]
        if not any(n in FETCHED for n in names):  # `slr search` fetches nothing for them
            return (
                f"slr import FILE --source NAME ({', '.join(names)} have no API) to collect records"
            )
        return "slr search (or slr import FILE) to collect records"
    if not data["works"]:
        return "slr dedupe, to link the records into works"
    if data["records_not_in_works"]:
        return f"slr dedupe: {data['records_not_in_works']} record(s) are not in any work yet"
    if auto_rules(review.protocol) and not data["auto_screened"]:
        return "slr screen --auto, to apply the protocol's machine rules"
    for stage in STAGES:
        c = data["screening"][stage]
        flag = "" if stage == STAGES[0] else f" --stage {stage}"
        if stage == STAGES[1] and not c["works"]:
            return "slr prisma, then slr report (no work reached the full text)"
        if c["to_screen"]:
            if c.get("assignment", {}).get("unassigned"):  # served to no one until assigned
                return f"slr assign ({c['assignment']['unassigned']} new works to assign)"
            left = [(n, r["left"]) for n, r in c["reviewers"].items() if r["left"]]
            if left:
                return "; ".join(f"slr screen --reviewer {n}{flag} ({k} left)" for n, k in left)
            return f"slr screen --reviewer NAME{flag} ({c['to_screen']} works to screen)"
        if c["conflicts"]:
            return (
                f"slr conflicts --stage {stage}, then slr resolve --stage {stage} "
                f"({c['conflicts']} disagreement(s))"
            )
        if stage == STAGES[1] and c["maybe"]:  # PRISMA and the report need them decided
            return f"slr screen{flag} ({c['maybe']} work(s) still 'maybe': include or exclude)"
    coding = data["coding"]
    if not coding["studies"]:
        return "slr prisma, then slr report (no study was included)"
    if not coding["concepts"]:
        return "slr report (the protocol has no concepts to code)"
    behind = [(n, coding["studies"] - k) for n, k in coding["coded"].items()]
    behind = [(n, k) for n, k in behind if k]
    if behind:
        return "; ".join(f"slr code --coder {n} ({k} studies left)" for n, k in behind)
    if not coding["coded"]:
        who = review.protocol.reviewers[0] if review.protocol.reviewers else "NAME"
        return f"slr code --coder {who} ({coding['studies']} included studies to code)"
    return "slr matrix, then slr report"


def _team_lines(c: dict[str, Any]) -> list[str]:
    """The assignment (`slr assign`) and calibration (`slr calibrate`) lines of a stage."""
    lines = []
    a = c.get("assignment")
    if a:
        how = (
            "dual screening (two reviewers a work)"
            if a["mode"] == "dual"
            else f"single screening with {a['in_overlap']} overlap works every reviewer screens"
        )
        lines.append(
            f"  assignment: {a['assigned']} works among {', '.join(a['reviewers'])}, {how} "
            f"(seed {a['seed']})"
            + (f"; {a['unassigned']} new works not assigned yet" if a["unassigned"] else "")
        )
    cal = c.get("calibration")
    if cal:
        if any(cal["left"].values()):
            done = ", ".join(f"{n} {cal['works'] - k}" for n, k in cal["left"].items())
            state = f"screened so far: {done}; kappa once all have screened it"
        else:
            kind = "Cohen's" if cal["method"] == "cohen" else "Fleiss'"
            kappa = "undefined" if cal["kappa"] is None else f"{cal['kappa']:.3f}"
            state = f"{kind} kappa {kappa}"
            if cal["min_kappa"] is not None:
                state += f", min_kappa {cal['min_kappa']:g} " + (
                    "reached" if cal["reached"] else "not reached"
                )
        lines.append(
            f"  calibration round {cal['round']}: {cal['works']} works for "
            f"{', '.join(cal['reviewers'])}; {state}"
        )
    return lines


def format_status(status: Status) -> str:
    """Plain-text rendering of `status()`."""
    data = {f.name: getattr(status, f.name) for f in fields(status)}
    lines = [
        f"review {data['review']}  (protocol {data['protocol_hash'][:12]})",
        f"corpus  {data['corpus']}",
    ]
    lines.append(f"records identified: {data['records']}")
    for source, n in data["records_per_source"].items():
        lines.append(f"  {source:<20} {n}")
    cited = data.get("records_from_citation_searching") or {}
    if cited:
        rounds = ", ".join(f"round {k}: {n}" for k, n in cited.items())
        lines.append(
            f"  by method: databases and imports {data['records_from_databases']}, "
            f"citation searching {sum(cited.values())} ({rounds})"
        )
    lines.append(f"searches and imports logged: {data['searches']}")
    lines.append(f"works after de-duplication: {data['works']}")
    dd = data.get("dedupe") or {}
    if dd:
        lines.append(
            f"  {dd['duplicates_linked']} duplicates linked, "
            f"{dd['works_found_by_several_sources']} works found by several sources, "
            f"{dd['grey_pairs_pending']} grey pairs to review (slr dedupe --review)"
        )
        rel = ", ".join(f"{k} {v}" for k, v in dd.get("study_links", {}).items())
        lines.append(
            f"  {data['works']} works -> {dd.get('studies', data['works'])} studies"
            + (f" (linked: {rel})" if rel else "")
        )
        if dd.get("study_links_pending"):
            lines[-1] += f", {dd['study_links_pending']} proposed study links to review"
    for stage, c in data.get("screening", {}).items():
        per = ", ".join(f"{k} {v}" for k, v in c["excluded_per_criterion"].items())
        if sum(c["excluded_per_criterion"].values()) > c["excluded"]:
            per += "; a work can fail several criteria"
        included = f"{c['included']} included"
        if stage == STAGES[1]:  # PRISMA 2020: studies and their reports counted apart
            n = c.get("included_studies", c["included"])
            included += f" (reports of {n} {'study' if n == 1 else 'studies'})"
        lines.append(
            f"screening {stage}: {c['works']} works, {c['to_screen']} to screen, "
            f"{included}, {c['excluded']} excluded"
            + (f" ({per})" if per else "")
            + f", {c['maybe']} maybe"
            + (f", {c['not_retrieved']} not retrieved" if stage == "full-text" else "")
            + f", {c['conflicts']} conflicts"
        )
        if c.get("full_texts"):
            f = c["full_texts"]
            lines.append(
                f"  full texts: {f['retrieved']} retrieved, {f['not_retrieved']} not retrieved, "
                + (
                    f"{f['no_open_access']} with no open-access copy (attach it, or r), "
                    if f.get("no_open_access")
                    else ""
                )
                + f"{f['not_tried']} not yet tried (slr fulltext fetch / attach)"
            )
        if c.get("notices") and stage == STAGES[0]:
            lines.append(
                f"  {c['notices']} notice(s) (errata, retractions, comments) follow the report "
                "they concern: shown under it, not screened on their own"
            )
        if c.get("decided_then_grown"):
            lines.append(
                f"  {c['decided_then_grown']} decided work(s) gained records from runs started "
                "after their decision: the decisions stand, not queued again (see slr diff)"
            )
        if c.get("awaiting_reviewers"):
            who = (
                "the reviewers it is assigned to have"
                if c.get("assignment")
                else ("every listed reviewer has")
            )
            lines.append(
                f"  {c['awaiting_reviewers']} work(s) decided by some reviewers, not yet by all "
                f"(a decision is final once {who} decided)"
            )
        lines += _team_lines(c)
        for name, r in c.get("reviewers", {}).items():
            own = ", ".join(
                f"{r[k]} {k.replace('_', ' ')}"
                for k in ("include", "exclude", "maybe", "not_retrieved")
                if r[k]
            )
            of = str(r["works"])
            if c.get("assignment"):  # the calibration sample is served too, share or not
                of += (
                    " works (share and calibration sample)"
                    if c.get("calibration")
                    else " assigned works"
                )
            lines.append(
                f"  {name}: {r['decided']} of {of} decided"
                + (f" ({own})" if own else "")
                + f", {r['left']} left"
            )
        recall = status.recall.get(stage) if c["to_screen"] else None
        if recall:
            lines.append(
                f"  recall: at least {recall['recall_lower_bound_95']:.0%} at 95% confidence; "
                + recall["text"]
            )
    flagged = data.get("retracted") or {}
    if flagged.get("works"):
        n, included = flagged["works"], flagged.get("included", {})
        lines.append(
            f"{n} {'work' if n == 1 else 'works'} flagged as retracted ({len(included)} included)"
        )
    coded = data.get("coding", {}).get("coded", {})
    for coder, n in coded.items():
        lines.append(f"coding {coder}: {n} of {data['coding']['studies']} included studies coded")
    lines.extend(f"note: {line}" for line in data.get("snowball_caps_hit", []))
    for wid, evidence in (flagged.get("included") or {}).items():
        lines.append(
            f"warning: included work {wid} is retracted ({'; '.join(evidence[:2])}"
            + (f"; and {len(evidence) - 2} more" if len(evidence) > 2 else "")
            + "): check it before relying on it"
        )
    unmatched = unmatched_line(data.get("imported_unmatched") or {})
    lines.extend([f"note: {unmatched}"] if unmatched else [])
    for damaged in data.get("torn", []):
        if damaged["state"] == "torn":
            lines.append(
                f"warning: {damaged['file']}: the last line was cut short by an interrupted write; "
                "it is left out of every count and moved to a .torn file on the next write"
            )
        else:
            lines.append(
                f"warning: {damaged['file']} holds fragments of interrupted writes; look at it "
                "and copy back what is worth keeping, then delete it"
            )
    lines.append(f"next: {data['next']}")
    return "\n".join(lines)
