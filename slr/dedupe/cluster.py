"""Union-find clustering with cannot-link constraints, so transitive chains stay honest.

Links are applied strongest first. A link is refused when it would put two records that
must stay apart (a hard negative or a reviewer's `n`) into one work, or join two works
that each carry different DOIs (unless the link is a preprint version, a reviewer's `y`, or a
pair whose every other field says one item: same-item-other-doi).
"""

from __future__ import annotations

from dataclasses import dataclass

# kept = a link of an earlier run; same-item-other-doi = all but the DOI say one item
OVERRIDES_DOI = ("version", "reviewer", "kept", "same-item-other-doi")


@dataclass(frozen=True)
class Link:
    a: int
    b: int
    rule: str
    score: float


class UnionFind:
    """Disjoint sets over 0..n-1 with per-set forbidden partners and DOIs."""

    def __init__(self, n: int, dois: list[str]) -> None:
        self.parent = list(range(n))
        self.size = [1] * n
        self.forbidden: dict[int, set[int]] = {}
        self.dois: dict[int, set[str]] = {i: {d} for i, d in enumerate(dois) if d}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def forbid(self, a: int, b: int) -> None:
        """Records a and b (and so their sets) must never end up together."""
        self.forbidden.setdefault(self.find(a), set()).add(b)
        self.forbidden.setdefault(self.find(b), set()).add(a)

    def blocked(self, ra: int, rb: int, rule: str) -> str | None:
        """Why sets ra and rb may not be joined, or None."""
        for x in self.forbidden.get(ra, ()):
            if self.find(x) == rb:
                return "kept apart"
        for x in self.forbidden.get(rb, ()):
            if self.find(x) == ra:
                return "kept apart"
        da, db = self.dois.get(ra), self.dois.get(rb)
        if da and db and not (da & db) and rule not in OVERRIDES_DOI:
            return "different DOIs"
        return None

    def union(self, a: int, b: int, rule: str) -> bool:
        """Join the sets of a and b unless blocked; True when joined."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb or self.blocked(ra, rb, rule):
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        fb = self.forbidden.pop(rb, None)
        if fb:
            self.forbidden.setdefault(ra, set()).update(fb)
        db = self.dois.pop(rb, None)
        if db:
            self.dois.setdefault(ra, set()).update(db)
        return True


def cluster(
    n: int, links: list[Link], cannot: list[tuple[int, int]], dois: list[str]
) -> tuple[list[list[int]], list[Link], list[Link]]:
    """(clusters sorted by first member, links used, links refused)."""
    uf = UnionFind(n, dois)
    for a, b in cannot:
        uf.forbid(a, b)
    used, refused = [], []
    for link in sorted(links, key=lambda k: (-k.score, k.a, k.b)):
        if uf.union(link.a, link.b, link.rule):
            used.append(link)
        elif uf.find(link.a) != uf.find(link.b):
            refused.append(link)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0]), used, refused
