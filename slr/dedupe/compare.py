"""Pair comparison: hard negatives first, then a score built from field-by-field evidence.

Precision comes first (a false merge loses a study), so every rule that links needs a
title or DOI match *and* corroboration, and anything doubtful lands in the grey zone where
a person decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Indel

from slr.dedupe import placement
from slr.dedupe.normalise import notice_core, pages_agree, venue_match
from slr.dedupe.table import Table

LINK, GREY, DISTINCT = "link", "grey", "distinct"


@dataclass(frozen=True)
class Settings:
    """Thresholds and switches of one de-duplication run."""

    auto: float = 95.0  # score at or above which a pair is linked without asking
    grey: float = 85.0  # scores in [grey, auto) are asked in `slr dedupe --review`
    versions: bool = True  # link a preprint and its published version as one study
    window: int = 4  # sorted-neighbourhood window (distinct title keys)
    block_cap: int = 40  # larger exact-key blocks are compared only within that window


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing two records."""

    decision: str  # link | grey | distinct
    rule: str  # why, in words a reviewer recognises
    score: float  # 0-100
    apart: bool = False  # never in one work through other links (only a reviewer's `y` joins)


def ratio(a: str, b: str) -> float:
    """Indel similarity of two strings, 0-100 (rapidfuzz's fuzz.ratio)."""
    return Indel.normalized_similarity(a, b) * 100.0


def authors_agree(t: Table, i: int, j: int) -> int:
    """+1 same first author, 0 unknown, -1 different first authors.

    Tolerates what databases do to names: particles (`de Jorge` / `Goicoechea de Jorge`),
    swapped given and family names (`Hua, T` / `Tong, H`), typos and dropped letters.
    """
    si, sj = t.surnames[i], t.surnames[j]
    if not si or not sj:
        return 0
    a, b = si[0], sj[0]
    ii, ij = t.initial[i], t.initial[j]
    if a == b:
        return -1 if ii and ij and ii[0] != ij[0] else 1
    if len(a) >= 4 and len(b) >= 4:
        if a.endswith(b) or b.endswith(a) or ratio(a, b) >= 80:
            return 1
    if (len(a) >= 4 and a in t.full(j)) or (len(b) >= 4 and b in t.full(i)):
        return 1  # one database split or ordered the name differently
    if ii and ij and a[0] in ij and b[0] in ii and min(len(a), len(b)) <= 4:
        return 1  # family and given name swapped (East Asian names)
    if a in sj or b in si:
        return 1  # author order differs between databases
    return -1


_STOP = {"a", "an", "the", "of", "in", "on", "for", "and", "to", "with", "at", "by", "from", "or"}


def substitutions(wa: str, wb: str) -> int:
    """Words replaced by different words ("adult" / "paediatric"), not typos or splits."""
    only_a = set(wa.split()) - set(wb.split()) - _STOP
    only_b = set(wb.split()) - set(wa.split()) - _STOP
    if not only_a or not only_b:
        return 0  # one title only adds words (a subtitle, a tag)

    def unmatched(words: set[str], others: set[str]) -> int:
        n = 0
        for w in words:
            if not any(w in o or o in w or ratio(w, o) >= 75 for o in others):
                n += 1
        return n

    return min(unmatched(only_a, only_b), unmatched(only_b, only_a))


def contained(ka: str, kb: str) -> bool:
    """One compact title key starts or ends the other (a dropped subtitle or prefix).

    Tolerates a typo: the shorter key need only be very similar to the start (or end) of
    the longer one.
    """
    short, long = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
    n = len(short)
    if n < 20 or n == len(long):
        return False
    if long.startswith(short) or long.endswith(short):
        return True
    return ratio(short, long[:n]) >= 93 or ratio(short, long[-n:]) >= 93


def _same(x: str, y: str) -> int:
    """+1 equal, 0 unknown, -1 different."""
    if not x or not y:
        return 0
    return 1 if x == y else -1


def _venue(t: Table, i: int, j: int) -> int:
    m = venue_match(t.venue[i], t.venue[j])
    return 0 if m is None else (1 if m else -1)


def same_notice(t: Table, i: int, j: int) -> bool:
    """Two notices (errata) about one article, whatever prefix or citation each database adds."""
    a, b = notice_core(t.words[i]), notice_core(t.words[j])
    return bool(a) and (a == b or contained(a, b))


def same_item_other_doi(t: Table, i: int, j: int) -> bool:
    """Two DOIs, yet one title, first two authors, journal, year and first page: one DOI is a
    database's error (e.g. an abstract filed under a sibling journal's DOI), not two works."""
    ki = t.key[i]
    if not ki or ki != t.key[j] or t.generic[i] or t.kind[i] != "item" or t.nums[i] != t.nums[j]:
        return False
    if not t.year[i] or t.year[i] != t.year[j] or _venue(t, i, j) != 1:
        return False
    if pages_agree(t.page[i], t.page[j]) != 1 or authors_agree(t, i, j) != 1:
        return False
    vi, vj, ii, ij = t.volume[i], t.volume[j], t.issue[i], t.issue[j]
    # a series (LNCS, CEUR-WS) has many volumes a year: other volumes are other items,
    # unless one database filed the supplement or issue number as the volume
    if vi and vj and vi != vj and vi != ij and vj != ii:
        return False
    if ii and ij and ii != ij and ii != vj and ij != vi:
        return False
    return placement.second_author_agrees(t, i, j)


def evidence(t: Table, i: int, j: int) -> dict[str, object]:
    """Field-by-field agreement of two records (for --explain)."""
    yi, yj = t.year[i], t.year[j]
    conflict = placement.numbering_conflict(t, i, j)
    return {
        "title": round(ratio(t.words[i], t.words[j]), 1),
        "doi": _same(t.doi[i], t.doi[j]),
        "first_author": authors_agree(t, i, j),
        "year": (yi - yj) if yi and yj else None,
        "venue": _venue(t, i, j),
        # numbers filed in the other field (a supplement as the volume, the page as the
        # issue) are not "other": they count as unknown
        "volume": -1 if conflict == "volume" else max(0, _same(t.volume[i], t.volume[j])),
        "issue": -1 if conflict == "issue" else max(0, _same(t.issue[i], t.issue[j])),
        "pages": pages_agree(t.page[i], t.page[j]),
        "abstract": round(ratio(t.abstract[i][:200], t.abstract[j][:200]), 1)
        if t.abstract[i] and t.abstract[j]
        else None,
    }


# Placement patterns that explain two first pages in one issue (placement.py).
PLACEMENT_RULES = ("one-page-before-article", "abstract-listed-twice")


def compare(t: Table, i: int, j: int, st: Settings, sim: float | None = None) -> Verdict:
    """Decide whether records i and j are the same work; `sim` = title similarity if known.

    Two records that place themselves in different volumes, issues, or pages of one issue
    are two items of a series (a recurring column, a proceedings' Part I and Part II) however
    alike their titles and authors: only a DOI, the same abstract or a recognised placement
    pattern may link them; otherwise the pair is at most grey and never joined by a chain.
    """
    v = _compare(t, i, j, st, sim)
    conflict = placement.numbering_conflict(t, i, j)
    if not conflict or v.rule == "doi" or v.rule in PLACEMENT_RULES:
        return v
    if placement.same_abstract(t, i, j):
        return v if v.decision != LINK else Verdict(LINK, f"{v.rule}+same-abstract", v.score)
    if v.decision == DISTINCT:
        return Verdict(DISTINCT, v.rule, v.score, apart=True)
    rule = f"{conflict}-differs, {v.rule}"
    score = min(v.score, st.auto - 1)
    return Verdict(GREY if score >= st.grey else DISTINCT, rule, score, apart=True)


def _compare(t: Table, i: int, j: int, st: Settings, sim: float | None = None) -> Verdict:
    ki, kj = t.key[i], t.key[j]
    di, dj = t.doi[i], t.doi[j]
    same_doi = bool(di) and di == dj
    if t.kind[i] != t.kind[j]:
        kinds = sorted((t.kind[i], t.kind[j]))
        return Verdict(DISTINCT, f"{kinds[0]}-vs-{kinds[1]}", 0.0)
    ci, cj = t.cls[i], t.cls[j]
    version = (ci == "preprint") != (cj == "preprint") and bool(ci) and bool(cj)
    if di and dj and not same_doi and not version:
        if same_item_other_doi(t, i, j):
            return Verdict(LINK, "same-item-other-doi", 95.0)
        return Verdict(DISTINCT, "doi-differs", 0.0)
    if not ki or not kj:
        return Verdict(LINK, "doi", 100.0) if same_doi else Verdict(DISTINCT, "no-title", 0.0)
    if sim is None:
        sim = ratio(t.words[i], t.words[j])
    if same_doi:
        # a supplement's or proceedings' DOI is shared by all of its abstracts
        clash = authors_agree(t, i, j) == -1 and pages_agree(t.page[i], t.page[j]) == -1
        if sim >= 60 and not clash:
            return Verdict(LINK, "doi", 100.0)
        if clash and sim < 60:
            return Verdict(DISTINCT, "doi-shared-by-different-items", sim)
        ai, aj = t.abstract[i], t.abstract[j]
        if sim < 60 and ai and aj and ratio(ai[:200], aj[:200]) < 70:
            # titles and abstracts both differ: two abstracts of one supplement's DOI
            return Verdict(DISTINCT, "doi-shared-by-different-items", sim)
        return Verdict(GREY, "doi-but-titles-differ", max(st.grey, sim))
    part = ki != kj and contained(ki, kj)
    yi, yj = t.year[i], t.year[j]
    dy = abs(yi - yj) if yi and yj else None
    auth = authors_agree(t, i, j)
    page = pages_agree(t.page[i], t.page[j])
    vol = _same(t.volume[i], t.volume[j])
    venue = _venue(t, i, j)
    shift = page == -1 and vol == 0 and placement.shifted(t, i, j)
    if shift:
        page, vol = 0, 1  # the pages field holds the issue: not a disagreement
    # same journal, volume, first page and year: one article, whatever its title looks like
    bib = page == 1 and vol == 1 and venue >= 0 and dy == 0
    ni, nj = t.nums[i], t.nums[j]
    if ni != nj and not bib:
        # "Part I" / "Part II" differ; a longer title may add numbers (a citation tail)
        if ni and nj and not (part and (ni <= nj or nj <= ni)):
            return Verdict(DISTINCT, "numbers-differ", sim)
        if not part:
            return Verdict(DISTINCT, "number-missing", sim)
    if version:
        pre, pub = (i, j) if ci == "preprint" else (j, i)
        in_order = dy is None or 0 <= t.year[pub] - t.year[pre] <= 3
        if sim >= 90 and auth >= 0 and in_order:
            # two reports of one study (linked in studies.jsonl), never one work
            return Verdict(DISTINCT, "version" if st.versions else "version-not-linked", sim)
        if not st.versions:
            return Verdict(DISTINCT, "version-not-linked", sim)
    if t.generic[i] or t.generic[j]:
        if ki == kj and bib and auth >= 0:
            return Verdict(LINK, "generic-title+bibliographic", 100.0)
        return Verdict(DISTINCT, "generic-title", sim)
    if t.kind[i] == "notice" and bib and auth >= 0 and same_notice(t, i, j):
        return Verdict(LINK, "notice+bibliographic", 96.0)
    if dy is not None and dy > 1:
        return Verdict(DISTINCT, "years-differ", sim)
    if dy == 1 and ("conference" in (ci, cj) or (ci and cj and ci != cj)):
        return Verdict(DISTINCT, "other-year", sim)
    if page == -1 and vol == 1 and venue == 1 and dy == 0 and auth == 1:
        layout = _layout(t, i, j, sim)
        if layout:
            return layout
    if part:
        ok = auth >= 0 and venue >= 0 and page >= 0 and vol >= 0
        if bib and auth >= 0:
            return Verdict(LINK, "title-contained+bibliographic", 96.0)
        if ok and dy == 0 and auth == 1 and ni == nj and (page == 1 or vol == 1):
            return Verdict(LINK, "title-contained", 95.0)
        if ok and (dy == 0 or (dy == 1 and page == 1 and vol == 1)):
            return Verdict(GREY, "title-contained", max(st.grey, min(sim + 10, st.auto - 1)))
        return Verdict(DISTINCT, "title-contained", sim)
    if vol == -1 and page == -1:
        if venue == 1:
            return Verdict(DISTINCT, "same-journal-other-volume", sim)  # a recurring column
        if venue == -1 and placement.full_articles(t, i, j):
            return Verdict(DISTINCT, "articles-in-two-journals", sim)  # co-published
    score = sim
    score += {1: 2.0, 0: -3.0, -1: -3.0 if bib else -15.0}[auth]
    score += {1: 2.0, 0: 0.0, -1: -8.0}[page]
    score += {1: 1.0, 0: 0.0, -1: -4.0}[vol]
    score += {1: 1.0, 0: 0.0, -1: -4.0}[venue]
    score += {0: 0.0, 1: -4.0, None: -2.0}[dy]
    ai, aj = t.abstract[i], t.abstract[j]
    if ai and aj:
        a_sim = ratio(ai[:200], aj[:200])
        score += 2.0 if a_sim >= 90 else (-6.0 if a_sim < 50 else 0.0)
    if ki != kj:
        score -= 6.0 * substitutions(t.words[i], t.words[j])
    support = (auth == 1) + (dy == 0) + (venue == 1) + (vol == 1) + (page == 1)
    if (
        (dy == 1 and page != 1 and vol != 1)
        or (page == -1 and not placement.same_abstract(t, i, j))
        or (min(len(ki), len(kj)) < 40 and support < 2)
    ):
        # a year apart with nothing else in common, another first page (an erratum?), or a
        # short title with hardly any corroboration: ask
        score = min(score, st.auto - 1)
    score = min(score, 100.0)
    if bib and auth == 1 and sim >= 60:
        if score < st.auto and sim >= 70 and venue == 1 and placement.same_range(t, i, j):
            # one journal, volume, page range, year and first author: a translated title
            return Verdict(LINK, "bibliographic", 96.0)
        score = max(score, st.grey)  # a translated or reworded title of one article: ask
    rule = "title" if ki == kj else "fuzzy-title"
    if shift:
        rule += "+shifted-fields"
    if score >= st.auto:
        return Verdict(LINK, rule, score)
    if score >= st.grey:
        return Verdict(GREY, rule, score)
    return Verdict(DISTINCT, rule, score)


def _layout(t: Table, i: int, j: int, sim: float) -> Verdict | None:
    """One title, first two authors, journal, volume and year, but other pages: which item?"""
    if t.kind[i] != "item" or (t.key[i] != t.key[j] and sim < 97):
        return None
    if t.nums[i] != t.nums[j] or not placement.second_author_agrees(t, i, j):
        return None
    order = placement.one_page_order(t, i, j)
    if order == "before":  # a meeting abstract or online-first listing of the article
        return Verdict(LINK, "one-page-before-article", 95.0)
    if order == "after":  # an erratum or a reply printed under the article's title
        return Verdict(DISTINCT, "one-page-after-article", sim)
    same_issue = bool(t.issue[i]) and t.issue[i] == t.issue[j]
    if order == "short" and (same_issue or "conference" in (t.cls[i], t.cls[j])):
        return Verdict(LINK, "abstract-listed-twice", 95.0)  # one supplement, two listings
    return None
