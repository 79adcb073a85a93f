"""Prioritised screening: rank undecided works by predicted relevance (active learning).

Model (chosen on benchmarks/screening.py, see its figures): two TF-IDF views of title,
abstract and keywords (1-2-grams; binary and sublinear term frequency), a linear SVM per
view with relevant works up-weighted (irrelevant total weight = relevant / RATIO) and 100
unscreened works drawn at random as presumed-irrelevant while the pool is large (few
relevant works hide in any random draw), the two views' scores z-normalised and summed.
Past 400 labelled irrelevant works a random 400 of them train the model, so a refit costs
the same late in a large review as early on.
The vectorisers are fitted once per corpus; only the two small SVMs are refitted per
decision, so re-ranking stays cheap. Large reviews rank in a child process (RemoteRanker)
so the model never shares the interpreter lock with the screen.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
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
    "min_df": 1,
    "C": 0.05,
    "tol": 1e-2,  # liblinear's stopping tolerance: as good rankings on the benchmarks, faster
    "ratio": 20,
    "presumed_irrelevant": 100,
    "irrelevant_cap": 400,
}
RERANK_EVERY = 1  # ask after every decision (in background mode the answer is O(1))
BACKGROUND_FROM = 5000  # from this many works, re-rank in a background process


class Ordered(list):  # type: ignore[type-arg]
    """A ranked list of works with what the screen needs to adopt it in O(1).

    `position` (work id -> index) and `first_open` (where the undecided works start) are
    computed where the ranking is, in the background, not in the keystroke loop; `info`
    is the model that made it, stored with each decision taken from this order.
    """

    def __init__(self, works: list[Any], first_open: int, info: dict[str, Any]) -> None:
        super().__init__(works)
        self.first_open = first_open
        self.info = info
        self.position = {w.work_id: i for i, w in enumerate(works)}


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
                ngram_range=tuple(SETTINGS["ngram_range"]),
                max_df=SETTINGS["max_df"],
                min_df=SETTINGS["min_df"],
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
        from sklearn import config_context
        from sklearn.svm import LinearSVC

        pool_idx = np.asarray(pool, dtype=int)
        idx = np.asarray(labelled, dtype=int)
        y = np.asarray(labels, dtype=int)
        if len(set(y.tolist())) < 2 or not self.views or not len(pool_idx):
            return np.zeros(len(pool_idx))
        # works labelled relevant while still in the pool (known relevant) are never drawn
        candidates = np.setdiff1d(pool_idx, idx[y == 1])
        # a fresh generator per call: the ranking depends only on seed and training set
        rng = np.random.default_rng([self.seed, len(idx)])
        cap = int(SETTINGS["irrelevant_cap"])
        irrelevant = np.flatnonzero(y == 0)
        if cap and len(irrelevant) > cap:
            # a random subset of the irrelevant works once there are many: the same
            # rankings on the benchmarks where it matters, and training stops growing
            drawn = rng.choice(irrelevant, cap, replace=False)
            keep = np.sort(np.concatenate([np.flatnonzero(y == 1), drawn]))
            idx, y = idx[keep], y[keep]
        presumed = int(SETTINGS["presumed_irrelevant"])
        if presumed and len(candidates) > presumed:
            extra = rng.choice(candidates, presumed, replace=False)
            idx = np.concatenate([idx, extra])
            y = np.concatenate([y, np.zeros(presumed, dtype=int)])
        weights = _weights(y, float(SETTINGS["ratio"]))
        total = np.zeros(len(pool_idx))
        for view in self.views:
            clf = LinearSVC(C=SETTINGS["C"], tol=SETTINGS["tol"], random_state=self.seed)
            with config_context(assume_finite=True):  # TF-IDF values are finite by construction
                clf.fit(view[idx], y, sample_weight=weights)
            # one product over the whole corpus is cheaper than slicing the pool out first;
            # the intercept is left out: z-normalising removes it
            s = (view @ clf.coef_.ravel())[pool_idx]
            spread = s.std()
            total += (s - s.mean()) / spread if spread > 0 else 0.0
        return total

    def order(
        self, labelled: Sequence[int], labels: Sequence[int], pool: Sequence[int]
    ) -> list[int]:
        """The pool from most to least likely relevant (ties keep the given order)."""
        s = self.scores(labelled, labels, pool)
        return [pool[i] for i in np.argsort(-s, kind="stable")]


class RemoteRanker:
    """A Ranker in a child process, for large reviews.

    The features and every refit are numeric work that holds the interpreter lock for
    tens of milliseconds at a time; in a process of its own (on the machine's other
    core) it can never delay a keystroke. The process is started before the works are
    loaded (starting it copies the parent's page tables, slow in a large process), the
    texts go over in small batches, and a child whose parent dies sees the pipe close
    and exits.
    """

    BATCH = 2000  # texts per message: each pickling holds the lock for a few ms only

    def __init__(self, seed: int = 0) -> None:
        ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve, args=(child, seed), daemon=True, name="slr-ranking"
        )
        # Ctrl-C is the screen's business: the child, started with SIGINT ignored (kept
        # across exec), prints no traceback and ends when the screen closes the pipe
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            self._process.start()
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        child.close()

    def fit(self, texts: Sequence[str]) -> RemoteRanker:
        """Send the texts; the child builds the features (call it once, from a thread)."""
        for i in range(0, len(texts), self.BATCH):
            self._conn.send(list(texts[i : i + self.BATCH]))
        self._conn.send(None)
        return self

    def order(
        self, labelled: Sequence[int], labels: Sequence[int], pool: Sequence[int]
    ) -> list[int]:
        """As Ranker.order; blocks until the child answers (call it from a thread)."""
        self._conn.send((list(labelled), list(labels), list(pool)))
        answer = self._conn.recv()  # EOFError if the child died
        if isinstance(answer, str):
            raise RuntimeError(answer)
        return list(answer)

    @property
    def pid(self) -> int | None:
        """The child's process id."""
        return self._process.pid

    def close(self) -> None:
        """Stop the child at once (it holds nothing to save); a thread waiting on it gets EOF."""
        self._process.kill()
        self._process.join(timeout=5)
        self._conn.close()


def _start_remote(seed: int) -> RemoteRanker | None:
    """A ranking process, or None where none can be started (e.g. a sandbox without fork)."""
    try:
        return RemoteRanker(seed)
    except (OSError, RuntimeError):
        return None


def _serve(conn: Any, seed: int) -> None:
    """The child's loop: receive the texts, fit the features, then answer ranking requests.

    Nothing it says may reach the reviewer's screen (it shares the terminal): its output
    goes to /dev/null and a failure is sent to the parent as text.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # also when started from a thread
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    with contextlib.suppress(OSError):
        os.nice(5)  # the screen comes first when the machine is busy
    texts: list[str] = []
    try:
        while (batch := conn.recv()) is not None:
            texts.extend(batch)
        ranker = Ranker(texts, seed)
        while True:
            labelled, labels, pool = conn.recv()
            try:
                conn.send(ranker.order(labelled, labels, pool))
            except Exception as exc:  # report, keep serving: the screen keeps its last order
                conn.send(f"ranking failed: {exc.__class__.__name__}: {exc}")
    except (EOFError, OSError):  # the parent closed the pipe or ended
        return
    except BaseException as exc:  # e.g. out of memory while building the features
        with contextlib.suppress(Exception):
            conn.send(f"ranking failed: {exc.__class__.__name__}: {exc}")


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

    With `background=True` (large reviews) a re-ranking runs in a thread, which hands the
    numeric work to the model's own process (RemoteRanker), while the reviewer goes on: a
    call returns at once with the latest finished ranking (decided works moved out) and
    starts the next one, so the keystroke loop never waits for the model. `wait()` is for
    callers that need the newest ordering (benchmarks, tests); the screen never calls it.
    """

    RERANK_EVERY = 1.0  # seconds between background re-rankings (the thread shares the lock)

    def __init__(
        self, known_relevant: Sequence[str] = (), seed: int = 0, background: bool = False
    ) -> None:
        # protocol entries may be DOIs (any spelling) or record/work ids
        self.known_relevant = {normalise_doi(k) or k.lower() for k in known_relevant}
        self.seed = seed
        self.background = background
        self.ranker: Ranker | RemoteRanker | None = None
        self._fitting: RemoteRanker | None = None  # a process receiving its texts
        # started now, before the caller loads the works: a spare process for the first fit
        self._remote = _start_remote(seed) if background else None
        if background:  # the screen gets the interpreter back within 1 ms (default 5 ms)
            sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self.error = ""  # why background ranking stopped (the screen keeps its last order)
        self.index: dict[str, int] = {}
        self._waiting = model_info(0, 0, seed, False)
        if background:
            self._waiting["model"] = "protocol-order (the first ranking is being built)"
        self._works: Sequence[Any] | None = None
        self._unranked: list[Any] = []  # the works as given, until a ranking has finished
        self._full: Ordered | None = None  # the latest finished ordering (background mode)
        self._served: list[Any] | None = None  # the ordering last handed out: the one in use
        self._generation = 0  # bumped when the works change or on close: older jobs are void
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

    def _fit(self, works: Sequence[Any], generation: int) -> Ranker | RemoteRanker:
        """The features of these works (built once per list of works)."""
        ranker = self.ranker
        if ranker is None:
            texts = [
                work_text(w.canonical.title, w.canonical.abstract, w.canonical.keywords)
                for w in works
            ]
            with self._lock:
                remote, self._remote = self._remote, None
            if self.background and remote is None:
                remote = _start_remote(self.seed)
            if remote is None:  # no child process possible here: rank in this thread
                ranker = Ranker(texts, self.seed)
            else:
                with self._lock:
                    self._fitting = remote  # so that _retire can stop it mid-fit
                try:
                    ranker = remote.fit(texts)
                except BaseException:
                    remote.close()
                    raise
            with self._lock:
                self._fitting = None
                stale = generation != self._generation
                if not stale:
                    self.ranker = ranker
            if stale:  # the works changed meanwhile: these features are of no use
                if isinstance(ranker, RemoteRanker):
                    ranker.close()
                raise RuntimeError("superseded")
        return ranker

    def _ordered(
        self, works: Sequence[Any], decided: Mapping[str, Any], generation: int
    ) -> Ordered:
        """Decided works first (as given), then the undecided ones by predicted relevance."""
        ranker = self._fit(works, generation)
        labelled, labels = self._training(works, decided)
        done = [w for w in works if w.work_id in decided]
        todo = [w for w in works if w.work_id not in decided]
        active = 1 in labels and 0 in labels
        if active:
            pool = [self.index[w.work_id] for w in todo]
            position = {i: k for k, i in enumerate(pool)}
            todo = [todo[position[i]] for i in ranker.order(labelled, labels, pool)]
        info = model_info(labels.count(1), labels.count(0), self.seed, active)
        return Ordered(done + todo, len(done), info)

    def _in_background(
        self, works: Sequence[Any], decided: Mapping[str, Any], generation: int
    ) -> None:
        try:
            full = self._ordered(works, decided, generation)
        except Exception as exc:  # the child died or failed: never a traceback on the screen
            with self._lock:
                if generation == self._generation:
                    self.error = f"ranking stopped ({exc.__class__.__name__}: {exc}); order kept"
            return
        with self._lock:
            if generation == self._generation:  # not a ranking of works replaced meanwhile
                self._full = full

    def __call__(self, works: Sequence[Any], decided: Mapping[str, Any]) -> list[Any]:
        """Decided works first, then the undecided ones by predicted relevance.

        In background mode the call costs O(1): it returns the latest finished ordering
        (works decided since then are skipped by the session) and starts the next one;
        the features are built there too, so the screen opens at once (in the given
        order until the first ranking is ready). The list returned is the same object
        until a newer ordering finishes (callers compare by identity and must not modify
        it); the model stored with the next decision is the one that made that list.
        """
        if works is not self._works:
            ids = [w.work_id for w in works]
            if list(self.index) != ids:  # other works: other features
                self._retire()
                self.index = {wid: i for i, wid in enumerate(ids)}
            with self._lock:
                self._works, self._unranked = works, list(works)
        if not self.background:
            served: list[Any] = self._ordered(works, decided, self._generation)
        else:
            idle = not self.error and (self._job is None or not self._job.is_alive())
            # at most one re-ranking per second: the thread's list work shares the interpreter
            if idle and time.monotonic() - self._started >= self.RERANK_EVERY:
                self._started = time.monotonic()
                self._job = threading.Thread(
                    target=self._in_background,
                    args=(works, dict(decided), self._generation),
                    daemon=True,
                )
                self._job.start()
            with self._lock:
                served = self._full if self._full is not None else self._unranked
        with self._lock:
            self._served = served
        return served

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the background ranking under way (if any) has finished.

        True when none is running any more; the next call then hands out its ordering.
        """
        job = self._job
        if job is None:
            return True
        job.join(timeout)
        return not job.is_alive()

    @property
    def pid(self) -> int | None:
        """The ranking process's id: the one in use, else the spare one; None in-thread."""
        with self._lock:
            for remote in (self.ranker, self._fitting, self._remote):
                if isinstance(remote, RemoteRanker):
                    return remote.pid
        return None

    def _retire(self) -> None:
        """Void the current model and any job under way (their results are dropped)."""
        with self._lock:
            self._generation += 1
            ranker, self.ranker = self.ranker, None
            fitting, self._fitting = self._fitting, None
            self._full, self.error = None, ""
        for remote in (ranker, fitting):
            if isinstance(remote, RemoteRanker):
                remote.close()  # a job waiting on it gets EOF and ends
        if self._job is not None:
            self._job.join(timeout=5)

    def close(self) -> None:
        """Let go of the model (and stop its processes in background mode)."""
        self._retire()
        with self._lock:
            remote, self._remote = self._remote, None
        if remote is not None:
            remote.close()

    def state(self) -> str:
        """For the screen header: "" while all is well, else what the ranking is doing."""
        if self.error:
            return "ranking stopped, order kept"
        if self.background and not self.ready:
            # before one include and one exclude, or while the model's features are built
            return "ranking: not ready yet"
        return ""

    @property
    def info(self) -> dict[str, Any]:
        """The model behind the ordering in use (what the next decision stores)."""
        with self._lock:
            return dict(getattr(self._served, "info", None) or self._waiting)

    @property
    def ready(self) -> bool:
        """The order in use comes from the model (not the given order while it gets going)."""
        return bool(self.info["model"] == MODEL)

    def decision_extra(self) -> dict[str, Any]:
        """Stored with each decision: the model, its settings and training-set size."""
        return {"ranking": self.info}
