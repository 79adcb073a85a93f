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

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slr.records import normalise_doi

MODEL = "tfidf-binary+sublinear-linearsvm-z"
SETTINGS: dict[str, Any] = {
    "ngram_range": [1, 2],
    "max_df": 0.95,
    "C": 0.05,
    "tol": 1e-3,  # liblinear's stopping tolerance: same rankings on the benchmarks, 15% faster
    "ratio": 20,
    "presumed_irrelevant": 100,
}
RERANK_EVERY = 1  # re-rank after every decision (the screen re-ranks between draws)
BACKGROUND_FROM = 5000  # from this many works, re-rank in a background thread ...
BACKGROUND_RERANK_EVERY = 10  # ... and ask for a new ordering every 10 decisions


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
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

        texts = [t or " " for t in self.texts]
        try:  # one tokenisation, two TF-IDF views of the same counts
            counts = CountVectorizer(
                ngram_range=tuple(SETTINGS["ngram_range"]), max_df=SETTINGS["max_df"]
            ).fit_transform(texts)
        except ValueError:  # an empty vocabulary (no text at all): every score is equal
            counts = None
        if counts is not None:
            binary = counts.copy()
            binary.data[:] = 1
            self.views.append(TfidfTransformer().fit_transform(binary).tocsr())
            self.views.append(TfidfTransformer(sublinear_tf=True).fit_transform(counts).tocsr())

    def scores(
        self, labelled: Sequence[int], labels: Sequence[int], pool: Sequence[int]
    ) -> np.ndarray:
        """Relevance scores of the pool given the labelled works (1 relevant, 0 irrelevant)."""
        from sklearn.svm import LinearSVC

        pool_idx = np.asarray(pool, dtype=int)
        idx = np.asarray(labelled, dtype=int)
        y = np.asarray(labels, dtype=int)
        if len(set(y.tolist())) < 2 or not self.views:
            return np.zeros(len(pool_idx))
        presumed = int(SETTINGS["presumed_irrelevant"])
        # works labelled relevant while still in the pool (known relevant) are never drawn
        candidates = np.setdiff1d(pool_idx, idx[y == 1])
        if presumed and len(candidates) > presumed:
            # a fresh generator per call: the ranking depends only on seed and training set
            rng = np.random.default_rng([self.seed, len(idx)])
            extra = rng.choice(candidates, presumed, replace=False)
            idx = np.concatenate([idx, extra])
            y = np.concatenate([y, np.zeros(presumed, dtype=int)])
        weights = _weights(y, float(SETTINGS["ratio"]))
        total = np.zeros(len(pool_idx))
        for view in self.views:
            clf = LinearSVC(C=SETTINGS["C"], tol=SETTINGS["tol"], random_state=self.seed)
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
    """Ranks the works of one screening session; the features are fitted once, on first use.

    With `background=True` (large reviews) a re-ranking runs in a thread while the reviewer
    goes on: a call returns at once with the latest finished ranking (decided works moved
    out) and starts the next one, so the keystroke loop never waits for the model.
    """

    def __init__(
        self, known_relevant: Sequence[str] = (), seed: int = 0, background: bool = False
    ) -> None:
        # protocol entries may be DOIs (any spelling) or record/work ids
        self.known_relevant = {normalise_doi(k) or k.lower() for k in known_relevant}
        self.seed = seed
        self.background = background
        self.ranker: Ranker | None = None
        self.index: dict[str, int] = {}
        self.info: dict[str, Any] = model_info(0, 0, seed, False)
        self._works: Sequence[Any] | None = None
        self._full: list[Any] | None = None  # the latest finished ordering (background mode)
        self._started = -1e9
        self._job: threading.Thread | None = None
        self._lock = threading.Lock()

    def _known(self, work: Any) -> bool:
        rec = work.canonical
        keys = {work.work_id.lower(), *(r.lower() for r in work.record_ids)}
        if rec.doi:
            keys.add(rec.doi.lower())
        return bool(keys & self.known_relevant)

    def _training(
        self, works: Sequence[Any], decided: Mapping[str, Any]
    ) -> tuple[list[int], list[int]]:
        labelled, labels = [], []
        for w in works:
            d = decided.get(w.work_id)
            if d is not None:
                label = _label(d.decision)
            else:  # skip the per-work key set when the protocol names no known studies
                label = 1 if self.known_relevant and self._known(w) else None
            if label is not None:
                labelled.append(self.index[w.work_id])
                labels.append(label)
        return labelled, labels

    def _ordered(self, works: Sequence[Any], decided: Mapping[str, Any]) -> list[Any]:
        """Decided works first (as given), then the undecided ones by predicted relevance."""
        assert self.ranker is not None
        labelled, labels = self._training(works, decided)
        done = [w for w in works if w.work_id in decided]
        todo = [w for w in works if w.work_id not in decided]
        active = 1 in labels and 0 in labels
        if active:
            pool = [self.index[w.work_id] for w in todo]
            position = {i: k for k, i in enumerate(pool)}
            todo = [todo[position[i]] for i in self.ranker.order(labelled, labels, pool)]
        info = model_info(labels.count(1), labels.count(0), self.seed, active)
        with self._lock:
            self.info = info
        return done + todo

    def _in_background(self, works: Sequence[Any], decided: Mapping[str, Any]) -> None:
        full = self._ordered(works, decided)
        with self._lock:
            self._full = full

    def __call__(self, works: Sequence[Any], decided: Mapping[str, Any]) -> list[Any]:
        """Decided works first, then the undecided ones by predicted relevance.

        In background mode the call costs O(1): it returns the latest finished ordering
        (works decided since then are skipped by the session) and starts the next one.
        """
        if works is not self._works:
            ids = [w.work_id for w in works]
            if self.ranker is None or list(self.index) != ids:
                texts = [
                    work_text(w.canonical.title, w.canonical.abstract, w.canonical.keywords)
                    for w in works
                ]
                self.ranker = Ranker(texts, self.seed)
                self.index = {wid: i for i, wid in enumerate(ids)}
                self._full = None
            self._works = works
        if not self.background:
            return self._ordered(works, decided)
        idle = self._job is None or not self._job.is_alive()
        # at most one re-ranking per second: the thread shares the interpreter with the screen
        if idle and time.monotonic() - self._started >= 1.0:
            self._started = time.monotonic()
            self._job = threading.Thread(
                target=self._in_background, args=(works, dict(decided)), daemon=True
            )
            self._job.start()
        with self._lock:
            return list(self._full) if self._full is not None else list(works)

    def decision_extra(self) -> dict[str, Any]:
        """Stored with each decision: the model, its settings and training-set size."""
        with self._lock:
            return {"ranking": dict(self.info)}
