"""One de-duplication run over a list of records: keys -> candidate pairs -> verdicts -> clusters."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from slr.dedupe import blocking, links
from slr.dedupe.cluster import Link, cluster
from slr.dedupe.compare import DISTINCT, GREY, LINK, Settings, Verdict, authors_agree, compare
from slr.dedupe.table import Table
from slr.records import Record
from slr.studies import StudyLink, study_index

# Distinct verdicts that also forbid any transitive merge of the two records.
HARD_NEGATIVES = (
    "comment-vs-item",
    "comment-vs-notice",
    "item-vs-notice",
    "numbers-differ",
    "doi-differs",
    "other-year",
    "years-differ",
    "version",
    "version-not-linked",
    "doi-shared-by-different-items",
)
CHUNK = 20000

Tick = Callable[[int], None]


@dataclass
class Pair:
    """Two record positions and what comparing them gave."""

    a: int
    b: int
    verdict: Verdict


@dataclass
class Result:
    """Everything a run decided, by record position."""

    table: Table
    clusters: list[list[int]]
    used: list[Link]
    refused: list[Link]
    grey: list[Pair] = field(default_factory=list)  # pending: unanswered and still apart
    apart: list[Pair] = field(default_factory=list)  # hard negatives among candidates
    related: list[links.Related] = field(default_factory=list)  # other reports of one study

    def root(self) -> dict[int, int]:
        """Record position -> position of its work's first record."""
        return {i: members[0] for members in self.clusters for i in members}

    def study_pairs(self) -> dict[int, tuple[int, links.Related]]:
        """Work (first record) -> (work of its study, the link): one study per work."""
        where = self.root()
        ids = self.table.ids
        found = links.best_per_report((ids[where[r.a]], ids[where[r.b]], r) for r in self.related)
        at = {rid: k for k, rid in enumerate(ids)}
        return {at[w]: (at[s], rel) for w, (s, rel) in found.items()}

    def study_links(self) -> list[StudyLink]:
        """One StudyLink per work that is another report of some other work's study."""
        ids = self.table.ids
        return [
            StudyLink(ids[w], ids[s], rel.relation, rel.rule, self.evidence(rel))
            for w, (s, rel) in sorted(self.study_pairs().items())
        ]

    def evidence(self, rel: links.Related) -> str:
        """The link's evidence, naming the two records it was found between."""
        ids = self.table.ids
        return f"{ids[rel.a]} -> {ids[rel.b]}: {rel.evidence}"

    def studies(self) -> list[int]:
        """Per record: the first record of the main report (work) of its study."""
        where = self.root()
        ids = self.table.ids
        works = sorted(set(where.values()))
        index = study_index((ids[w] for w in works), self.study_links())
        at = {rid: k for k, rid in enumerate(ids)}
        return [at[index[ids[where[i]]]] for i in range(len(ids))]

    def assignments(self) -> list[tuple[int, str, str]]:
        """Per record: (cluster's first record position, rule, why in words)."""
        out: list[tuple[int, str, str]] = [(i, "unique", "") for i in range(len(self.table))]
        edges: dict[int, list[Link]] = {}
        for link in self.used:
            edges.setdefault(link.a, []).append(link)
            edges.setdefault(link.b, []).append(link)
        ids = self.table.ids
        for members in self.clusters:
            root = members[0]
            if len(members) == 1:
                continue
            out[root] = (root, "first", "")
            seen = {root}
            queue = [root]
            while queue:  # walk the spanning tree from the first record
                x = queue.pop()
                for link in edges.get(x, ()):
                    y = link.b if link.a == x else link.a
                    if y in seen:
                        continue
                    seen.add(y)
                    queue.append(y)
                    out[y] = (root, link.rule, f"{link.rule} ({link.score:.1f}) with {ids[x]}")
        return out


def _noop(_: int) -> None:
    return None


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: the run allocates millions of acyclic objects and
    repeated full collections would make it quadratic."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run(
    records: Sequence[Record] | Table,
    settings: Settings | None = None,
    answers: dict[tuple[str, str], str] | None = None,
    seed: Iterable[Link] = (),
    fresh: Sequence[bool] | None = None,
    tick: Tick = _noop,
) -> Result:
    """Cluster records into works.

    `answers` maps (id, id) pairs (sorted) to a reviewer's `y`/`n`; `seed` are links kept
    from an earlier run and `fresh` flags the records that are new since then: only pairs
    touching a fresh record are compared (incremental mode).
    """
    with _no_gc():
        return _run(records, settings or Settings(), answers, seed, fresh, tick)


def _run(
    records: Sequence[Record] | Table,
    st: Settings,
    answers: dict[tuple[str, str], str] | None,
    seed: Iterable[Link],
    fresh: Sequence[bool] | None,
    tick: Tick,
) -> Result:
    if isinstance(records, Table):
        t = records
    else:
        t = Table()
        for start in range(0, len(records), CHUNK):
            t.extend(records[start : start + CHUNK])
            tick(min(CHUNK, len(records) - start))
    n = len(t)
    pairs = blocking.candidate_pairs(t, st)
    if fresh is not None and len(pairs):
        is_new = np.asarray(fresh, dtype=bool)
        pairs = pairs[is_new[pairs[:, 0]] | is_new[pairs[:, 1]]]
    position = {rid: k for k, rid in enumerate(t.ids)}
    answered: dict[tuple[int, int], str] = {}
    for (x, y), ans in (answers or {}).items():
        if x in position and y in position:
            a, b = sorted((position[x], position[y]))
            answered[(a, b)] = ans
    records_ = None if isinstance(records, Table) else records
    merges = list(seed)
    cannot = [pair for pair, ans in answered.items() if ans in ("n", "s")]
    merges += [Link(a, b, "reviewer", 101.0) for (a, b), ans in answered.items() if ans == "y"]
    related = [
        links.Related(b, a, "same-study", "reviewer", "answered `s` in `slr dedupe --review`")
        for (a, b), ans in answered.items()
        if ans == "s"
    ]
    grey: list[Pair] = []
    apart: list[Pair] = []
    series: list[tuple[int, int]] = []  # other volume/issue/page: apart unless a reviewer joins
    words = t.words
    lefts, rights = pairs[:, 0].tolist(), pairs[:, 1].tolist()
    for start in range(0, len(lefts), CHUNK):
        a_part = lefts[start : start + CHUNK]
        b_part = rights[start : start + CHUNK]
        sims = process.cpdist(
            [words[a] for a in a_part], [words[b] for b in b_part], scorer=fuzz.ratio, workers=-1
        )
        for a, b, sim in zip(a_part, b_part, sims.tolist(), strict=True):
            if (a, b) in answered:
                continue
            v = compare(t, a, b, st, sim)
            if v.decision != LINK and (sim >= 95 or v.rule in links.PAIR_RULES):
                rel = links.pair(t, a, b, v.rule, authors_agree(t, a, b), st.versions)
                if rel is not None:
                    related.append(rel)
            if v.decision == LINK:
                merges.append(Link(a, b, v.rule, v.score))
            elif v.decision == GREY:
                grey.append(Pair(a, b, v))
            elif v.rule in HARD_NEGATIVES:
                cannot.append((a, b))
                apart.append(Pair(a, b, v))
            elif v.apart:
                apart.append(Pair(a, b, v))
            if v.apart and v.decision != DISTINCT:
                series.append((a, b))
            elif v.apart and v.rule not in HARD_NEGATIVES:
                cannot.append((a, b))
        tick(0)
    clusters, used, refused = cluster(n, merges, cannot + series, t.doi)
    where = {}
    for members in clusters:
        for i in members:
            where[i] = members[0]
    # a reviewer's `n` or a hard negative between two works settles every pair across them
    settled = {(min(where[a], where[b]), max(where[a], where[b])) for a, b in cannot}
    best: dict[tuple[int, int], Pair] = {}  # one question per pair of works
    for p in grey:
        ra, rb = where[p.a], where[p.b]
        key = (min(ra, rb), max(ra, rb))
        if ra == rb or key in settled:
            continue
        if key not in best or p.verdict.score > best[key].verdict.score:
            best[key] = p
    pending = sorted(best.values(), key=lambda p: (-p.verdict.score, p.a, p.b))
    apart += [Pair(k.a, k.b, Verdict(DISTINCT, f"refused {k.rule}", k.score)) for k in refused]
    related += links.notices(t, records_) + links.registry(records_)
    return Result(t, clusters, used, refused, pending, apart, related)
