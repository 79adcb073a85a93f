"""Coding the included studies: one append-only log per coder, labels, suggestions, agreement.

A line of `coding/<coder>.jsonl`: {time, coder, work_id, concept, present, evidence, page,
note, protocol_hash, suggested}. A changed coding is a new line (the latest counts), so the
history is never rewritten. `suggested` is true when the coder accepted a keyword suggestion
unchanged.

A coded segment (one passage of a document coded with a concept) is a line of the same log
with `kind: "segment"`: {time, coder, work_id, concept, quote, page, line, protocol_hash}.
A concept may hold several segments per document, so code density (segments) is a real
count. Segments count only while the concept's standing coding is present (marking it
absent withdraws them). Logs written before segments existed keep working: a present
coding with an evidence quote is one segment (`segment_counts`). Published row labels may be overridden per study in `labels.jsonl` (same rules:
append-only, latest counts, an empty label withdraws the override).

Full texts, when the reviewer keeps them, are read for suggestions from
`fulltext/<work id with ':' and '/' as '_'>.txt`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slr.corpus import now_iso
from slr.decisions import default_log_name, log_name, same_name
from slr.errors import SlrError
from slr.fulltext import sentences
from slr.protocol import Concept
from slr.review import Review
from slr.screen import agreement
from slr.store import append_jsonl, field_of

if TYPE_CHECKING:
    from slr.works import Work


@dataclass(frozen=True)
class Coding:
    """One coder's judgement of one concept in one study."""

    coder: str
    work_id: str
    concept: str
    present: bool
    evidence: str = ""
    page: str = ""
    note: str = ""
    protocol_hash: str = ""
    time: str = ""
    suggested: bool = False
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "time": self.time or now_iso(),
            "coder": self.coder,
            "work_id": self.work_id,
            "concept": self.concept,
            "present": self.present,
            "evidence": self.evidence,
            "page": self.page,
            "note": self.note,
            "protocol_hash": self.protocol_hash,
            "suggested": self.suggested,
        }
        data.update(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Coding:
        known = {
            "time",
            "coder",
            "work_id",
            "concept",
            "present",
            "evidence",
            "page",
            "note",
            "protocol_hash",
            "suggested",
        }
        page = data.get("page", "")
        if not isinstance(page, (str, int)) or isinstance(page, bool):
            raise TypeError(f"field 'page' must be a string or number, got {page!r}")
        return cls(
            coder=field_of(data, "coder", str),
            work_id=field_of(data, "work_id", str),
            concept=field_of(data, "concept", str),
            # "false" as a string would read as present: a hand edit must say true or false
            present=field_of(data, "present", bool),
            evidence=field_of(data, "evidence", str, ""),
            page=str(page),
            note=field_of(data, "note", str, ""),
            protocol_hash=field_of(data, "protocol_hash", str, ""),
            time=field_of(data, "time", str, ""),
            suggested=field_of(data, "suggested", bool, False),
            extra={k: v for k, v in data.items() if k not in known},
        )


Codings = dict[tuple[str, str], Coding]  # (work id, concept id) -> latest coding

SEGMENT = "segment"


@dataclass(frozen=True)
class Segment:
    """One coded passage: a quote of a document, with its page or line, under one concept."""

    coder: str
    work_id: str
    concept: str
    quote: str
    page: str = ""
    line: str = ""
    protocol_hash: str = ""
    time: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": SEGMENT, **self.__dict__, "time": self.time or now_iso()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        where = {}
        for key in ("page", "line"):
            value = data.get(key, "")
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise TypeError(f"field {key!r} must be a string or number, got {value!r}")
            where[key] = str(value)
        return cls(
            coder=field_of(data, "coder", str),
            work_id=field_of(data, "work_id", str),
            concept=field_of(data, "concept", str),
            quote=field_of(data, "quote", str),
            protocol_hash=field_of(data, "protocol_hash", str, ""),
            time=field_of(data, "time", str, ""),
            **where,
        )


def _log_line(data: dict[str, Any]) -> Coding | Segment:
    return Segment.from_dict(data) if data.get("kind") == SEGMENT else Coding.from_dict(data)


# --------------------------------------------------------------------------- logs


def record_codings(review: Review, codings: list[Coding]) -> list[Coding]:
    """Append codings (one coder each) and fsync before returning."""
    if not codings:
        return []
    review.store.ensure()
    stamped = []
    now = now_iso()
    for c in codings:
        data = {**c.__dict__, "time": c.time or now}
        data["protocol_hash"] = c.protocol_hash or review.protocol.hash
        stamped.append(Coding(**data))
    by_coder: dict[str, list[Coding]] = {}
    for c in stamped:
        by_coder.setdefault(c.coder, []).append(c)
    for coder, items in by_coder.items():
        # one write per coder: a study's codings reach the disk together
        append_jsonl(review.store.coding_file(coder), *(c.to_dict() for c in items))
    return stamped


def _read_log(review: Review, coder: str) -> list[Coding | Segment]:
    return review.entries(review.store.coding_file(coder), _log_line, "coding")


def read_codings(review: Review, coder: str) -> list[Coding]:
    """One coder's codings (segment lines left out), oldest first."""
    return [c for c in _read_log(review, coder) if isinstance(c, Coding)]


def read_segments(review: Review, coder: str) -> list[Segment]:
    """One coder's coded segments, oldest first."""
    return [s for s in _read_log(review, coder) if isinstance(s, Segment)]


def record_segments(review: Review, segments: list[Segment]) -> list[Segment]:
    """Append coded segments and fsync before returning (a coder's lines in one write)."""
    if not segments:
        return []
    review.store.ensure()
    now = now_iso()
    stamped = [
        Segment(**{**s.__dict__, "time": s.time or now, "protocol_hash": review.protocol.hash})
        for s in segments
    ]
    for coder in dict.fromkeys(s.coder for s in stamped):
        lines = (s.to_dict() for s in stamped if s.coder == coder)
        append_jsonl(review.store.coding_file(coder), *lines)
    return stamped


def segment_counts(codings: Codings, segments: list[Segment]) -> dict[tuple[str, str], int]:
    """(work id, concept id) -> coded segments, for concepts whose standing coding is present.

    The segment lines count, plus the coding's own evidence quote when it is not one of
    them: so a log without segment lines counts one segment per present concept with
    evidence, and none for a present concept without a quote (nothing was coded as text).
    """
    quotes: dict[tuple[str, str], list[str]] = {}
    for s in segments:
        quotes.setdefault((s.work_id, s.concept), []).append(s.quote)
    out: dict[tuple[str, str], int] = {}
    for key, c in codings.items():
        if not c.present:
            continue
        found = quotes.get(key, [])
        extra = 1 if c.evidence.strip() and c.evidence not in found else 0
        out[key] = len(found) + extra
    return out


def latest(log: list[Coding]) -> Codings:
    """(work id, concept id) -> the standing coding (the last line wins)."""
    return {(c.work_id, c.concept): c for c in log}


def coders(review: Review) -> list[str]:
    """Coders with a coding log."""
    folder = review.store.coding_dir
    return sorted(p.stem for p in folder.glob("*.jsonl")) if folder.is_dir() else []


def resolve_coder(review: Review, name: str) -> str:
    """The log name of a coder: a protocol reviewer (any case), else an existing coder's name.

    As for screeners (slr.decisions.log_name): a typo is an error when the protocol lists
    reviewers, and `Alice` never starts a second log beside `alice`.
    """
    review.store.coding_file(name)  # rejects names that cannot be a file name
    return log_name(name, review.protocol.reviewers, coders(review), "coder", "--coder")


def default_coder(review: Review) -> str:
    """The only coder so far, else the protocol's first reviewer."""
    return default_log_name(coders(review), review.protocol.reviewers, "coder", "--coder")


def matrix_coder(review: Review, coder: str | None) -> str:
    """The coder whose coding a matrix shows: the given one, else the only one."""
    found = coders(review)
    if coder is not None:
        coder = next((c for c in found if c == coder), None) or next(
            (c for c in found if same_name(c, coder)), coder
        )
        if coder not in found:
            known = ", ".join(found) or "none yet"
            raise SlrError(f"no coding by {coder!r} (coders: {known}); check --coder")
        return coder
    if len(found) == 1:
        return found[0]
    if not found:
        raise SlrError(
            f"no coding in {review.store.coding_dir}; code the studies with "
            "`slr code` or `slr code --import FILE`"
        )
    raise SlrError(f"several coders ({', '.join(found)}); choose one with --coder NAME")


# --------------------------------------------------------------------------- labels


def _label_entry(data: dict[str, Any]) -> tuple[str, Any]:
    return str(data["work_id"]), data.get("label")


def read_labels(review: Review) -> dict[str, str]:
    """work id -> published row label override (latest line wins; empty withdraws)."""
    out: dict[str, str] = {}
    path = review.store.labels_file
    for work_id, label in review.entries(path, _label_entry, "label"):
        label = str(label or "").strip()
        if label:
            out[work_id] = label
        else:
            out.pop(work_id, None)
    return out


def set_labels(review: Review, labels: dict[str, str]) -> None:
    """Append label overrides (work id -> label; "" withdraws one)."""
    if not labels:
        return
    review.store.ensure()
    now = now_iso()
    append_jsonl(
        review.store.labels_file,
        *(
            {"time": now, "work_id": w, "label": lab, "protocol_hash": review.protocol.hash}
            for w, lab in labels.items()
        ),
    )


# --------------------------------------------------------------------------- studies


def included(review: Review) -> list[Work]:
    """The studies to code: one report per study included at full text, in order of inclusion.

    A study with several included reports (a conference abstract and its article) is coded
    once, on its main report (slr.screen.state.included_by_study), so the concept matrix counts
    each study once, as PRISMA counts studies; without studies.jsonl every included work is
    a study of its own, as before. A study below the protocol's quality cut-off
    (`[quality] min_score`) is excluded with the QA criterion and is not coded.
    """
    from slr.quality.scores import excluded

    below = excluded(review)  # studies under the quality cut-off leave the review
    return [w for w in included_at_full_text(review) if w.work_id not in below]


def included_at_full_text(review: Review) -> list[Work]:
    """`included` before the quality cut-off: the studies quality assessment is about."""
    from slr.screen.state import included_by_study

    return [reports[0] for reports in included_by_study(review, stage="full-text")]


# --------------------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class Suggestion:
    """A concept whose keywords occur in a study's text."""

    concept: str
    keyword: str
    where: str  # "title" | "abstract" | "keywords" | "full text"
    snippet: str  # the whole sentence holding the keyword (the title, the keywords)
    page: str = ""  # the page of the sentence, in the full text


def fulltext_path(review: Review, work_id: str) -> Path:
    """Where a study's plain full text is kept, if the reviewer keeps it."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", work_id)
    return review.store.fulltext_dir / f"{name}.txt"


def read_fulltext(review: Review, work_id: str) -> str | None:
    """The study's full text, or None."""
    path = fulltext_path(review, work_id)
    try:
        return path.read_text("utf-8", errors="replace")
    except OSError:
        return None


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    # a keyword matches at the start of a word, so "test" also finds "testing" and "tests"
    words = [re.escape(w) for w in keyword.split()]
    return re.compile(r"(?<!\w)" + r"[\s\-]+".join(words), re.IGNORECASE)


def suggest(
    concepts: tuple[Concept, ...] | list[Concept],
    title: str | None,
    abstract: str | None,
    keywords: tuple[str, ...] = (),
    fulltext: str | None = None,
) -> dict[str, Suggestion]:
    """concept id -> the first keyword hit (title, then abstract, keywords, full text)."""
    texts = [
        ("title", title or ""),
        ("abstract", abstract or ""),
        ("keywords", "; ".join(keywords)),
        ("full text", fulltext or ""),
    ]
    out: dict[str, Suggestion] = {}
    split: dict[str, list[tuple[int, str]]] = {}  # sentences of a text, split once
    for concept in concepts:
        for where, text in texts:
            if not _first_hit(concept.keywords, text):
                continue
            if where not in split:
                whole = [(1, " ".join(text.split()))]
                split[where] = sentences(text) if where in ("abstract", "full text") else whole
            for page, sentence in split[where]:  # the first sentence a keyword occurs in
                hit = _first_hit(concept.keywords, sentence)
                if hit:
                    shown = str(page) if where == "full text" else ""
                    out[concept.id] = Suggestion(concept.id, hit[0], where, sentence, shown)
                    break
            if concept.id in out:
                break
    return out


def _first_hit(keywords: tuple[str, ...], text: str) -> tuple[str, int, int] | None:
    best: tuple[str, int, int] | None = None
    if not text:
        return None
    for kw in keywords:
        if not kw.strip():
            continue
        m = _keyword_pattern(kw).search(text)
        if m and (best is None or m.start() < best[1]):
            best = (kw, m.start(), m.end())
    return best


def suggest_for(review: Review, work: Work) -> dict[str, Suggestion]:
    """Keyword suggestions for one study from its metadata and kept full text."""
    rec = work.canonical
    return suggest(
        review.protocol.concepts,
        rec.title,
        rec.abstract,
        rec.keywords,
        read_fulltext(review, work.work_id),
    )


# --------------------------------------------------------------------------- agreement

_CATS = ["present", "absent"]


def _cell_stats(values: list[list[bool]], method: str) -> dict[str, Any]:
    """Agreement on a set of items, each the list of coders' values (present = True)."""
    if method == "cohen":
        pairs = [(_CATS[not v[0]], _CATS[not v[1]]) for v in values]
        _, table = agreement.confusion(pairs, _CATS)
        kappa = agreement.cohen_kappa(table)
        return {
            "n": len(values),
            "percent_agreement": agreement.percent_agreement(table),
            "kappa": kappa,
            "band": agreement.landis_koch(kappa),
            "ac1": agreement.gwet_ac1(table),
            "table": table,
        }
    stats = agreement.multi_rater([[sum(v), len(v) - sum(v)] for v in values])
    return {
        "n": stats.items,
        "percent_agreement": stats.p_a,
        "kappa": stats.fleiss,
        "band": agreement.landis_koch(stats.fleiss),
        "ac1": stats.ac1,
    }


def agreement_from_logs(
    logs: dict[str, Codings],
    concepts: tuple[Concept, ...] | list[Concept],
    work_ids: list[str] | None = None,
) -> dict[str, Any]:
    """Agreement per concept between coders' standing codings (pure; see `coding_agreement`).

    Two coders: Cohen's kappa on the studies both coded; three or more: Fleiss' kappa
    (incomplete design) on studies coded by at least two. NaN kappa: no variation.
    """
    names = sorted(logs)
    result: dict[str, Any] = {"stage": "coding", "coders": names}
    if len(names) < 2:
        result["note"] = "fewer than two coders; each codes with `slr code --coder NAME`"
        return result
    method = "cohen" if len(names) == 2 else "fleiss"
    if work_ids is None:
        work_ids = list(dict.fromkeys(wid for n in names for wid, _ in logs[n]))
    need = 2 if method == "fleiss" else len(names)
    rows, disagreements, pooled = [], [], []
    for concept in concepts:
        items = []
        for wid in work_ids:
            key = (wid, concept.id)
            values = {n: logs[n][key].present for n in names if key in logs[n]}
            if len(values) < need:
                continue
            items.append(list(values.values()))
            if len(set(values.values())) > 1:
                disagreements.append({"work_id": wid, "concept": concept.id, "values": values})
        pooled.extend(items)
        rows.append({"concept": concept.id, "label": concept.label, **_cell_stats(items, method)})
    return {
        **result,
        "method": method,
        "concepts": rows,
        "pooled": {"concept": "*", "label": "all concepts", **_cell_stats(pooled, method)},
        "disagreements": disagreements,
    }


def coding_agreement(review: Review) -> dict[str, Any]:
    """Cohen's kappa per concept (Fleiss' for three or more coders) and the disagreements."""
    logs = {name: latest(read_codings(review, name)) for name in coders(review)}
    return agreement_from_logs(
        logs, review.protocol.concepts, [w.work_id for w in included(review)]
    )


def format_coding_agreement(result: dict[str, Any]) -> str:
    """Plain text: a row per concept, the pooled row, then each disagreement."""
    head = f"coding: coders {', '.join(result['coders']) or '(none)'}"
    if "note" in result:
        return f"{head}\n  {result['note']}"
    kind = "Cohen's kappa" if result["method"] == "cohen" else "Fleiss' kappa"
    lines = [f"{head} ({kind} per concept)"]
    lines.append(f"  {'concept':<10} {'n':>4} {'agree':>7} {'kappa':>9}  {'band':<15} label")

    def fmt(a: dict[str, Any]) -> str:
        pct = a["percent_agreement"]
        pct_text = "-" if math.isnan(pct) else f"{pct * 100:.1f}%"
        kap = "undefined" if math.isnan(a["kappa"]) else f"{a['kappa']:.3f}"
        return (
            f"  {a['concept']:<10} {a['n']:>4} {pct_text:>7} {kap:>9}  {a['band']:<15} {a['label']}"
        )

    lines += [fmt(a) for a in result["concepts"]]
    lines.append(fmt(result["pooled"]))
    if any(math.isnan(a["kappa"]) and a["n"] for a in result["concepts"]):
        lines.append("  undefined: the coders gave one same value throughout (no variation)")
    if result["disagreements"]:
        lines.append(f"  {len(result['disagreements'])} disagreement(s):")
        for d in result["disagreements"]:
            vals = ", ".join(f"{k} {'present' if v else 'absent'}" for k, v in d["values"].items())
            lines.append(f"    {d['work_id']}  {d['concept']}: {vals}")
    else:
        lines.append("  no disagreements")
    return "\n".join(lines)


# --------------------------------------------------------------------------- status


def coding_counts(review: Review) -> dict[str, Any]:
    """For `slr status`: included studies and, per coder, how many have every concept coded."""
    works = included(review)
    ids = [c.id for c in review.protocol.concepts]
    out: dict[str, Any] = {"studies": len(works), "concepts": len(ids), "coded": {}}
    for name in coders(review):
        current = latest(read_codings(review, name))
        done = sum(1 for w in works if all((w.work_id, c) in current for c in ids))
        out["coded"][name] = done
    return out
