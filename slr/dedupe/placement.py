"""Where two records sit in a journal: page-layout evidence for pairs their titles cannot decide.

Two records with one title, one first author and one journal volume are one item or two
items about one study (an abstract and its article, an article and its erratum). The
pages tell which: an erratum or a reply comes after its article, a meeting abstract or an
online-first listing before it. Every function here is pure and reads one `Table`.
"""

from __future__ import annotations

from rapidfuzz.distance import Indel

from slr.dedupe.normalise import pages_agree, venue_match
from slr.dedupe.table import Table


def page_span(page: str) -> tuple[int, int] | None:
    """(first, last) page of a `first-last` key (last = first for one page); None if unknown."""
    if not page or page[0] in "@-":
        return None  # an article number, or a garbled range without its first page
    first, _, last = page.partition("-")
    a = int(first)
    b = int(last) if last else a
    return (a, b) if b >= a else (a, a)


def shifted(t: Table, i: int, j: int) -> bool:
    """One record lacks a volume and holds the other's volume and issue in its issue and pages.

    Some conference-abstract exports move every field one place left (volume 26, issue 9,
    page 1746 becomes issue 26, page 9): then the pages do not disagree, they are missing.
    """
    for a, b in ((i, j), (j, i)):
        if t.volume[a] or not t.volume[b] or not t.issue[b]:
            continue
        if t.issue[a] == t.volume[b] and t.page[a].partition("-")[0] == t.issue[b]:
            return True
    return False


def same_range(t: Table, i: int, j: int) -> bool:
    """Both records give the same page range of more than one page, and no other issue."""
    si, sj = page_span(t.page[i]), page_span(t.page[j])
    if si is None or si != sj or si[1] == si[0]:
        return False
    ii, ij = t.issue[i], t.issue[j]
    return not (ii and ij and ii != ij)


def second_author_agrees(t: Table, i: int, j: int) -> bool:
    """Both records name a second author and it is the same (allowing a typo)."""
    si, sj = t.surnames[i], t.surnames[j]
    if len(si) < 2 or len(sj) < 2:
        return False
    return si[1] == sj[1] or Indel.normalized_similarity(si[1], sj[1]) >= 0.8


def one_page_order(t: Table, i: int, j: int) -> str:
    """`before` / `after`: one record is a single page before / after the other's page range.

    `short`: both are one or two pages (two listings of one abstract); `` otherwise.
    """
    si, sj = page_span(t.page[i]), page_span(t.page[j])
    if si is None or sj is None:
        return ""
    if si[1] - si[0] <= 1 and sj[1] - sj[0] <= 1:
        return "short"
    for one, other in ((si, sj), (sj, si)):
        if one[0] == one[1] and other[1] - other[0] >= 2:
            if one[0] < other[0]:
                return "before"
            if one[0] > other[1]:
                return "after"
    return ""


def full_articles(t: Table, i: int, j: int) -> bool:
    """Both records span three pages or more (articles, not abstracts or letters)."""
    si, sj = page_span(t.page[i]), page_span(t.page[j])
    return si is not None and sj is not None and si[1] - si[0] >= 2 and sj[1] - sj[0] >= 2


def _first_page(page: str) -> str:
    return page.lstrip("@").partition("-")[0]


def numbering_conflict(t: Table, i: int, j: int) -> str:
    """`volume`, `issue` or `page` when both records place themselves and the places differ.

    Such a pair is two items of one series (a column that recurs in every issue, the parts
    of a proceedings series) unless independent evidence says otherwise. Two database habits
    are not disagreements: an issue field that holds the page or article number, and a
    supplement or issue number filed as the volume (volume 1 / volume 55 issue 1).
    """
    vi, vj = t.volume[i], t.volume[j]
    pages = {_first_page(t.page[i]), _first_page(t.page[j])} - {""}
    ii = "" if t.issue[i] in pages else t.issue[i]
    ij = "" if t.issue[j] in pages else t.issue[j]
    if (vi and vi == ij) or (vj and vj == ii):
        return ""  # the issue (or supplement) number filed as the volume
    if vi and vj and vi != vj:
        return "volume"
    if ii and ij and ii != ij:
        return "issue"
    if ii and ii == ij and pages_agree(t.page[i], t.page[j]) == -1:
        return "page"  # two items of one issue
    return ""


def same_abstract(t: Table, i: int, j: int) -> bool:
    """Both records carry an abstract and it is the same text (independent of the title)."""
    ai, aj = t.abstract[i], t.abstract[j]
    if len(ai) < 80 or len(aj) < 80:
        return False
    return Indel.normalized_similarity(ai[:200], aj[:200]) >= 0.9


def venue_agrees(t: Table, i: int, j: int) -> bool | None:
    """Same journal or meeting (abbreviations allowed); None when either is unknown."""
    return venue_match(t.venue[i], t.venue[j])
