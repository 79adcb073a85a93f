"""Study links: different reports of one study (PRISMA 2020), found between records.

A work is one report. Records that are *about* another report (an erratum, a retraction, a
reply) or that report the same study in another document (a meeting abstract and the full
article, a preprint and its journal version, publications citing one trial registration)
are never merged into its work; they are linked to it here, with the rule and the
evidence, and `slr dedupe` turns the record links into `slr.studies.StudyLink`s between
works. Each function is pure over one `Table` (plus the records' text for registration
numbers and DOIs quoted in a notice).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Indel

from slr.dedupe import placement
from slr.dedupe.normalise import compact, notice_core, pages_agree
from slr.dedupe.table import Table
from slr.records import Record

# Strongest first: when a work has several candidate studies, the first relation wins.
PRIORITY: tuple[str, ...] = ("same-study", "retraction", "erratum", "comment", "preprint")
PRIORITY += ("registry", "conference-abstract")
# Verdicts (compare.py) that keep two records apart because they are reports of one study.
PAIR_RULES = ("version", "one-page-after-article")


@dataclass(frozen=True)
class Related:
    """Record `a` is another report of the study whose report is record `b`."""

    a: int
    b: int
    relation: str
    rule: str
    evidence: str


_COMMENT_HEAD = re.compile(
    r"^(?:comments? on|commentary on|reply to|response to|in response to|re|in reply to|"
    r"authors? reply to|the authors reply to|letter regarding|letter to the editor regarding|"
    r"editorial comment on|invited commentary on)(?: the)?(?: (?:article|letter|paper))? "
)
_COMMENT_TAIL = re.compile(r" (?:reply|authors? reply|the authors reply|response)$")
_RETRACTION = re.compile(r"\b(?:retract\w*|withdraw\w*|expression of concern)\b")


def about_core(t: Table, k: int) -> str:
    """The compact title of the report a notice or comment names (`Reply to: X` -> `X`)."""
    words = t.words[k]
    if t.kind[k] == "notice":
        return notice_core(words)
    return compact(_COMMENT_TAIL.sub("", _COMMENT_HEAD.sub("", words)))


def _names(core: str, key: str) -> bool:
    """The notice's core title names the item's title (equal, cut short, or a typo)."""
    if len(core) < 20 or len(key) < 20:
        return False
    if core == key:
        return True
    short, long = (core, key) if len(core) <= len(key) else (key, core)
    n = len(short)
    # a notice's title may carry a long citation tail, but a short item title must not
    # match the start of a longer one
    enough = n >= 50 or n >= 0.6 * len(long)
    return enough and Indel.normalized_similarity(short, long[:n]) >= 0.93


def _named_items(
    t: Table, about: list[int]
) -> tuple[dict[int, str], dict[str, list[int]], dict[str, list[int]]]:
    """Notice -> the title it names; items by whole title key and by its first 20 letters."""
    cores = {k: about_core(t, k) for k in about}
    wanted = {c for c in cores.values() if len(c) >= 20}
    heads = {c[:20] for c in wanted}
    by_key: dict[str, list[int]] = {}
    by_head: dict[str, list[int]] = {}
    for k, key in enumerate(t.key):  # one pass, two set look-ups per record
        head = key[:20]
        if head in heads and t.kind[k] == "item" and not t.generic[k] and len(key) >= 20:
            by_head.setdefault(head, []).append(k)
            if key in wanted:
                by_key.setdefault(key, []).append(k)
    return cores, by_key, by_head


def _relation(t: Table, k: int) -> str:
    if t.kind[k] == "comment":
        return "comment"
    return "retraction" if _RETRACTION.search(t.words[k]) else "erratum"


def _in_time(t: Table, later: int, earlier: int, span: int) -> bool:
    ya, yb = t.year[later], t.year[earlier]
    return not ya or not yb or 0 <= ya - yb <= span


_DOI_IN_TEXT = re.compile(r"\b10\.\d{4,9}/[^\s\"<>,;]+", re.IGNORECASE)


def notices(t: Table, records: Sequence[Record] | None) -> list[Related]:
    """Errata, retractions and replies linked to the report they name, by title or by DOI."""
    about = [k for k, kind in enumerate(t.kind) if kind != "item"]
    if not about:
        return []
    cores, by_key, by_head = _named_items(t, about)
    by_doi: dict[str, list[int]] = {}
    if records is not None and any(
        "10." in f"{records[k].title}{records[k].abstract}" for k in about
    ):
        for k, doi in enumerate(t.doi):
            if doi:
                by_doi.setdefault(doi, []).append(k)
    out: list[Related] = []
    for k in about:
        kind = t.kind[k]
        found = _quoted_doi(k, t, records, by_doi)
        if found is not None:
            out.append(found)
            continue
        core = cores[k]
        if len(core) < 20:
            continue
        hits = by_key.get(core) or [x for x in by_head.get(core[:20], ()) if _names(core, t.key[x])]
        hits = [x for x in hits if _in_time(t, k, x, 5)]
        if kind == "notice":  # an erratum appears in the journal of its article
            hits = [x for x in hits if placement.venue_agrees(t, k, x) is not False]
        if not hits:
            continue
        x = min(hits, key=lambda h: (t.year[h] or 9999, h))
        how = "title names it" if t.key[x] == core else "title names it (cut short or misspelt)"
        out.append(Related(k, x, _relation(t, k), f"{kind}-names-its-item", how))
    return out


def _quoted_doi(
    k: int, t: Table, records: Sequence[Record] | None, by_doi: dict[str, list[int]]
) -> Related | None:
    """A notice that quotes the DOI of another record (not its own) is about that record."""
    if records is None:
        return None
    rec = records[k]
    text = " ".join(x for x in (rec.title, rec.abstract) if x)
    if "10." not in text:
        return None
    for m in _DOI_IN_TEXT.finditer(text):
        doi = m.group(0).lower().rstrip(".)]")
        for x in by_doi.get(doi, ()):
            if x != k and t.doi[x] != t.doi[k] and t.kind[x] == "item":
                return Related(k, x, _relation(t, k), "notice-quotes-doi", f"quotes doi {doi}")
    return None


_REGISTRATION = re.compile(
    r"\b(NCT)\s?(\d{8})\b|\b(ISRCTN)\s?(\d{8})\b|\b(EudraCT)(?: (?:no|number))?[\s:.]*"
    r"(\d{4}-\d{6}-\d{2})\b",
    re.IGNORECASE,
)
_REGISTRY_VENUE = re.compile(
    r"clinicaltrials\.gov|isrctn|eu clinical trials register|clinicaltrialsregister|"
    r"who ictrp|trial regist|anzctr|chictr|drks|ctri",
    re.IGNORECASE,
)


def registrations(rec: Record) -> set[str]:
    """Trial registration numbers a record cites (title, abstract, keywords, URL, id)."""
    parts = [rec.title or "", rec.abstract or "", rec.url or "", rec.source_id, *rec.keywords]
    text = " ".join(parts)
    if (
        "NCT" not in text
        and "nct" not in text
        and "ISRCTN" not in text
        and "udra" not in text.lower()
    ):
        return set()
    out = set()
    for m in _REGISTRATION.finditer(text):
        if m.group(1):
            out.add("NCT" + m.group(2))
        elif m.group(3):
            out.add("ISRCTN" + m.group(4))
        else:
            out.add("EudraCT " + m.group(6))
    return out


def is_registry_entry(rec: Record) -> bool:
    """A record of a trial registry itself (ClinicalTrials.gov, ISRCTN, EU CTR ...)."""
    where = " ".join(x for x in (rec.venue, rec.url, rec.source, rec.type) if x)
    return bool(_REGISTRY_VENUE.search(where)) or (rec.type or "").lower() in ("registry", "trial")


def registry(records: Sequence[Record] | None) -> list[Related]:
    """Publications citing one registration number, linked to the registry entry (or, when
    the registry entry is not among the records, to the earliest publication)."""
    if records is None:
        return []
    cites: dict[str, list[int]] = {}
    for k, rec in enumerate(records):
        for number in registrations(rec):
            cites.setdefault(number, []).append(k)
    out: list[Related] = []
    for number, members in sorted(cites.items()):
        if len(members) < 2:
            continue
        entries = [k for k in members if is_registry_entry(records[k])]
        main = (entries or sorted(members, key=lambda k: (records[k].year or 9999, k)))[0]
        where = "the registry entry" if entries else "the earliest publication citing it"
        for k in members:
            if k != main:
                out.append(
                    Related(k, main, "registry", "cites-registration", f"{number}; study = {where}")
                )
    return out


def _abstract_like(t: Table, k: int) -> bool:
    span = placement.page_span(t.page[k])
    return t.cls[k] == "conference" or (span is not None and span[1] - span[0] <= 1)


def _full_article(t: Table, k: int) -> bool:
    """Three pages or more, or a journal record without pages (an article number is unknown)."""
    span = placement.page_span(t.page[k])
    if t.cls[k] in ("conference", "preprint"):
        return False
    return span[1] - span[0] >= 2 if span is not None else t.cls[k] == "journal" and not t.page[k]


def pair(
    t: Table, i: int, j: int, rule: str, authors: int, versions: bool = True
) -> Related | None:
    """Two records kept apart as works: reports of one study? (`rule` = why apart.)"""
    if rule == "version" and versions:
        pre, pub = (i, j) if t.cls[i] == "preprint" else (j, i)
        return Related(pre, pub, "preprint", "preprint-and-published", "same title and authors")
    if rule == "one-page-after-article":
        span_i = placement.page_span(t.page[i])
        note, art = (i, j) if span_i is not None and span_i[0] == span_i[1] else (j, i)
        return Related(
            note, art, "erratum", rule, "same title, authors and volume; one page after the article"
        )
    if t.kind[i] != "item" or t.kind[j] != "item" or t.generic[i] or t.generic[j]:
        return None
    if authors != 1 or t.nums[i] != t.nums[j] or not t.key[i] or not t.key[j]:
        return None
    if t.key[i] != t.key[j] and Indel.normalized_similarity(t.words[i], t.words[j]) < 0.95:
        return None
    venue = placement.venue_agrees(t, i, j)
    ab_i, ab_j = _abstract_like(t, i), _abstract_like(t, j)
    first, later = sorted((i, j), key=lambda k: (t.year[k] or 0, k))
    if (ab_i or ab_j) and not (_full_article(t, i) or _full_article(t, j)):
        # one abstract at two meetings: other venues, a year at most apart, same two authors
        if venue is False and _in_time(t, later, first, 1):
            if placement.second_author_agrees(t, i, j):
                why = "same title and first two authors, abstracts in two venues"
                return Related(later, first, "conference-abstract", "encore-abstract", why)
        return None
    for ab, full in ((i, j), (j, i)):
        if not (_abstract_like(t, ab) and _full_article(t, full)):
            continue
        # in the same journal only a meeting supplement's abstract (a recurring column is not)
        if venue is not False and t.cls[ab] != "conference":
            continue
        if _in_time(t, full, ab, 3) and pages_agree(t.page[ab], t.page[full]) != 1:
            return Related(
                ab,
                full,
                "conference-abstract",
                "abstract-then-article",
                "same title and first author; a meeting abstract, then the full article",
            )
    return None


def best_per_report(links: Iterable[tuple[str, str, Related]]) -> dict[str, tuple[str, Related]]:
    """(report work, study work, link) -> one study per report work, strongest relation first."""
    best: dict[str, tuple[str, Related]] = {}
    rank = {r: k for k, r in enumerate(PRIORITY)}

    def strength(rel: Related) -> tuple[bool, int]:  # a reviewer's answer comes first
        return (rel.rule != "reviewer", rank[rel.relation])

    for work, study, rel in links:
        if work == study:
            continue
        old = best.get(work)
        if old is None or strength(rel) < strength(old[1]):
            best[work] = (study, rel)
    return best


# Study-link questions: evidence too weak to link without a person (`slr dedupe --review`).
ASK_NAMES = 0.85  # a notice's named title this alike (below `_names`' 0.93) is asked
ASK_TITLES = 0.75  # a meeting abstract and a later article with titles this alike are asked
ASK_BLOCK = 400  # a first author with more full articles than this is not searched


def _alike(core: str, key: str) -> float:
    """How alike a notice's named title is to an item's title (0 when too short to tell)."""
    short, long = (core, key) if len(core) <= len(key) else (key, core)
    n = len(short)
    if n < 20 or not (n >= 50 or n >= 0.6 * len(long)):
        return 0.0
    return Indel.normalized_similarity(short, long[:n])


def notice_candidates(t: Table, records: Sequence[Record] | None = None) -> list[Related]:
    """Notices whose article is found only with weaker evidence than `notices` links on:
    a title named only fuzzily, a year gap over five, another journal, or several articles
    carrying the named title (the earliest is linked, the others are asked)."""
    about = [k for k, kind in enumerate(t.kind) if kind != "item"]
    if not about:
        return []
    cores, by_key, by_head = _named_items(t, about)
    by_doi: dict[str, list[int]] = {}
    if records is not None and any(
        "10." in f"{records[k].title}{records[k].abstract}" for k in about
    ):
        for k, doi in enumerate(t.doi):
            if doi:
                by_doi.setdefault(doi, []).append(k)
    out: list[Related] = []
    for k in about:
        core = cores[k]
        if len(core) < 20 or _quoted_doi(k, t, records, by_doi) is not None:
            continue
        named = by_key.get(core) or [
            x for x in by_head.get(core[:20], ()) if _names(core, t.key[x])
        ]
        linked = [x for x in named if _in_time(t, k, x, 5)]
        if t.kind[k] == "notice":
            linked = [x for x in linked if placement.venue_agrees(t, k, x) is not False]
        chosen = min(linked, key=lambda h: (t.year[h] or 9999, h)) if linked else None
        relation = _relation(t, k)
        for x in by_head.get(core[:20], ()):
            if x == chosen:
                continue
            if x in linked:
                rule, why = "several-candidates", "another article carries the title it names"
            elif x in named:
                if not _in_time(t, k, x, 10) and t.year[k] + 1 != t.year[x]:
                    continue
                rule = "names-it-weakly"
                why = (
                    f"title names it, but {t.year[k]} vs {t.year[x]}"
                    if not _in_time(t, k, x, 5)
                    else "title names it, but in another journal"
                )
            else:
                alike = _alike(core, t.key[x])
                if alike < ASK_NAMES or not _in_time(t, k, x, 10):
                    continue
                rule, why = "names-it-weakly", f"the title it names is {alike:.0%} alike"
            out.append(Related(k, x, relation, rule, why))
    return out


def abstract_candidates(t: Table) -> list[Related]:
    """A meeting abstract and a full article by the same first author, up to six years later,
    whose title was reworded or which came out later than `pair` links on."""
    wanted: dict[tuple[str, str], list[int]] = {}
    for k, cls in enumerate(t.cls):
        if cls == "conference" and t.kind[k] == "item" and t.surnames[k] and t.words[k]:
            if not t.generic[k] and _abstract_like(t, k):
                wanted.setdefault((t.surnames[k][0], t.initial[k][:1]), []).append(k)
    if not wanted:
        return []
    articles: dict[tuple[str, str], list[int]] = {}
    for k, names in enumerate(t.surnames):
        if names and (names[0], t.initial[k][:1]) in wanted and t.kind[k] == "item":
            if not t.generic[k] and _full_article(t, k):
                articles.setdefault((names[0], t.initial[k][:1]), []).append(k)
    out: list[Related] = []
    for block, abstracts in wanted.items():
        full = articles.get(block, [])
        if len(full) > ASK_BLOCK:
            continue
        for ab in abstracts:
            for x in full:
                if not _in_time(t, x, ab, 6):
                    continue
                alike = Indel.normalized_similarity(t.words[ab], t.words[x])
                if alike < ASK_TITLES:
                    continue
                why = (
                    f"same first author; titles {alike:.0%} alike; "
                    f"abstract {t.year[ab] or '?'}, article {t.year[x] or '?'}"
                )
                out.append(Related(ab, x, "conference-abstract", "abstract-then-article?", why))
    return out


def candidates(t: Table, records: Sequence[Record] | None = None) -> list[Related]:
    """Study links to put to a reviewer; `slr dedupe` drops those already linked."""
    return notice_candidates(t, records) + abstract_candidates(t)
