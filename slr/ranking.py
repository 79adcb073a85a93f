"""Prioritised screening: rank undecided works by predicted relevance (active learning).

Model (chosen on benchmarks/screening.py, see its figures): two TF-IDF views of title,
abstract and keywords (1-2-grams; binary and sublinear term frequency), a linear SVM per
view with relevant works up-weighted (irrelevant total weight = relevant / RATIO) and 100
unscreened works drawn at random as presumed-irrelevant while the pool is large (few
relevant works hide in any random draw), the two views' scores z-normalised and summed.
The vectorisers are fitted once per corpus; only the two small SVMs are refitted per
decision, so re-ranking stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MODEL = "tfidf-binary+sublinear-linearsvm-z"
SETTINGS: dict[str, Any] = {
    "ngram_range": [1, 2],
    "max_df": 0.95,
    "C": 0.05,
    "ratio": 20,
    "presumed_irrelevant": 100,
}
RERANK_EVERY = 1  # re-rank after every decision (the screen re-ranks between draws)


def work_text(title: str | None, abstract: str | None, keywords: Sequence[str] = ()) -> str:
    """The text the model sees."""
    return " ".join(x for x in (title or "", abstract or "", " ".join(keywords)) if x)


@dataclass
class Ranker:
    """Features for one corpus (fitted once) and the per-decision classifier."""

    texts: Sequence[str]
    seed: int = 0
    views: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        common = {"ngram_range": tuple(SETTINGS["ngram_range"]), "max_df": SETTINGS["max_df"]}
        texts = [t or " " for t in self.texts]
        for kind in ({"binary": True}, {"sublinear_tf": True}):
            try:
                matrix = TfidfVectorizer(**common, **kind).fit_transform(texts)
            except ValueError:  # an empty vocabulary (no text at all): every score is equal
                matrix = None
            self.views.append(matrix.tocsr() if matrix is not None else None)
        self.rng = np.random.default_rng(self.seed)

    def scores(
        self, labelled: Sequence[int], labels: Sequence[int], pool: Sequence[int]
    ) -> np.ndarray:
        """Relevance scores of the pool given the labelled works (1 relevant, 0 irrelevant)."""
        from sklearn.svm import LinearSVC

        pool_idx = np.asarray(pool, dtype=int)
        idx = np.asarray(labelled, dtype=int)
        y = np.asarray(labels, dtype=int)
        if len(set(y.tolist())) < 2 or not any(v is not None for v in self.views):
            return np.zeros(len(pool_idx))
        presumed = int(SETTINGS["presumed_irrelevant"])
        if presumed and len(pool_idx) > presumed:
            extra = self.rng.choice(pool_idx, presumed, replace=False)
            idx = np.concatenate([idx, extra])
            y = np.concatenate([y, np.zeros(presumed, dtype=int)])
        weights = _weights(y, float(SETTINGS["ratio"]))
        total = np.zeros(len(pool_idx))
        for view in self.views:
            if view is None:
                continue
            clf = LinearSVC(C=SETTINGS["C"], random_state=self.seed)
            s = clf.fit(view[idx], y, sample_weight=weights).decision_function(view[pool_idx])
            spread = s.std()
            total += (s - s.mean()) / spread if spread > 0 else 0.0
        return total

    def order(
        self, labelled: Sequence[int], labels: Sequence[int], pool: Sequence[int]
    ) -> list[int]:
        """The pool from most to least likely relevant (ties keep the given order)."""
        s = self.scores(labelled, labels, pool)
        return [pool[i] for i in np.argsort(-s, kind="stable")]


def _weights(y: np.ndarray, ratio: float) -> np.ndarray:
    n1 = int(y.sum())
    n0 = len(y) - n1
    w = np.where(y == 1, 1.0, n1 / (ratio * n0) if n0 else 1.0)
    return w * len(y) / w.sum()


def model_info(n_relevant: int, n_irrelevant: int, seed: int, active: bool) -> dict[str, Any]:
    """What is stored with each decision so any ranking can be reproduced."""
    return {
        "model": MODEL if active else "protocol-order (needs one include and one exclude)",
        "settings": dict(SETTINGS),
        "training": {"relevant": n_relevant, "irrelevant": n_irrelevant},
        "seed": seed,
    }


def _label(decision: str) -> int | None:
    # "maybe" counts as relevant: a work worth a full-text look is what the ranking should find
    return {"include": 1, "maybe": 1, "exclude": 0}.get(decision)


class WorkRanker:
    """Ranks the works of one screening session; the features are fitted once, on first use."""

    def __init__(self, known_relevant: Sequence[str] = (), seed: int = 0) -> None:
        self.known_relevant = {k.lower() for k in known_relevant}
        self.seed = seed
        self.ranker: Ranker | None = None
        self.index: dict[str, int] = {}
        self.info: dict[str, Any] = model_info(0, 0, seed, False)

    def _known(self, work: Any) -> bool:
        rec = work.canonical
        keys = {work.work_id.lower(), *(r.lower() for r in work.record_ids)}
        if rec.doi:
            keys.add(rec.doi.lower())
        return bool(keys & self.known_relevant)

    def __call__(self, works: Sequence[Any], decided: Mapping[str, Any]) -> list[Any]:
        """Decided works first (as given), then the undecided ones by predicted relevance."""
        if self.ranker is None or len(self.index) != len(works):
            texts = [
                work_text(w.canonical.title, w.canonical.abstract, w.canonical.keywords)
                for w in works
            ]
            self.ranker = Ranker(texts, self.seed)
            self.index = {w.work_id: i for i, w in enumerate(works)}
        labelled, labels = [], []
        for w in works:
            d = decided.get(w.work_id)
            label = _label(d.decision) if d is not None else (1 if self._known(w) else None)
            if label is not None:
                labelled.append(self.index[w.work_id])
                labels.append(label)
        active = 1 in labels and 0 in labels
        self.info = model_info(labels.count(1), labels.count(0), self.seed, active)
        done = [w for w in works if w.work_id in decided]
        todo = [w for w in works if w.work_id not in decided]
        if not active:
            return done + todo
        pool = [self.index[w.work_id] for w in todo]
        position = {i: k for k, i in enumerate(pool)}
        return done + [todo[position[i]] for i in self.ranker.order(labelled, labels, pool)]

    def decision_extra(self) -> dict[str, Any]:
        """Stored with each decision: the model, its settings and training-set size."""
        return {"ranking": self.info}
