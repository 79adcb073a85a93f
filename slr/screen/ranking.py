"""Prioritised screening: rank undecided works by predicted relevance (active learning).

Model (chosen on benchmarks/screening.py, see its figures): two TF-IDF views of title,
abstract and keywords (1-2-grams, hashed; binary and sublinear term frequency), a linear SVM per
view with relevant works up-weighted (irrelevant total weight = relevant / RATIO) and 100
unscreened works drawn at random as presumed-irrelevant while the pool is large (few
relevant works hide in any random draw), the two views' scores z-normalised and summed.
Past 2,000 labelled irrelevant works a random 2,000 of them train the model, so a refit
costs the same late in a large review as early on (a cap of 400 made a 20,000-work review
forget most of what it had excluded: recall@10% 0.51 against 0.74 with 2,000; on the open
sets no figure changes, cap 400 or none).
The vectorisers are fitted once per corpus; only the two small SVMs are refitted per
decision, so re-ranking stays cheap. Options measured in the benchmark's ablation (a title
view, view weights by training size, uncertainty sampling first, a query-term prior, no
presumed-irrelevant works after a run of irrelevant decisions) are settings, off by default,
and stored with every decision like the rest. The training set is in decision order.
Large reviews rank in a child process (RemoteRanker) so the model never shares the
interpreter lock with the screen; while it builds their features (seconds), a first model
on titles and keywords alone ranks (setting `text` = "title+keywords", stored with the
decisions it served), so the first ranking comes within 2 s of the first include and exclude.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slr.errors import QueryError
from slr.progress import Progress
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
    # after this many irrelevant decisions in a row no work is presumed irrelevant (0: never):
    # presumed works push every unexplored region down, so a model stuck on one topic stays
    "explore_after": 0,
    "irrelevant_cap": 2000,
    # terms hashed into 2^24 columns (no vocabulary to build: 1.7 to 3 times faster than a
    # vocabulary on the open benchmark sets), then only the columns in use are kept
    "features": "hashed-2^24",
    # what the model reads of a work; "title+keywords" is the quick first model of a large
    # review, used only while the full features are being built
    "text": "title+abstract+keywords",
    # options measured by benchmarks/screening.py (ablation table); off unless set
    "title_view": False,  # a third view: the title alone (title weighted above abstract)
    "view_weights": "equal",  # or "by-training": the title view fades as training grows
    "uncertain_first": 0,  # screen the k most uncertain works first (k decisions)
    "prior_text": "",  # the protocol's query terms and concept keywords
    "prior_weight": 1.0,  # weight of the query-term score, divided by the relevant count
}
FULL_TEXT, QUICK_TEXT = "title+abstract+keywords", "title+keywords"
RERANK_EVERY = 1  # ask after every decision (in background mode the answer is O(1))
BACKGROUND_FROM = 5000  # from this many works, re-rank in a background process
QUICK_FROM = 5000  # from this many works, a titles-only model ranks while the features are built
FEATURE_CHUNK = 500  # texts hashed per step (progress, and the quick model's answers, after each)


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


def work_text(
    title: str | None, abstract: str | None, keywords: Sequence[str] = (), text: str = FULL_TEXT
) -> str:
    """The text the model sees (`text`: the setting saying which fields it reads)."""
    if text == QUICK_TEXT:
        abstract = None
    return " ".join(x for x in (title or "", abstract or "", " ".join(keywords)) if x)


def texts_of(works: Sequence[Any], text: str = FULL_TEXT) -> list[str]:
    """The model's text of each work (slr.works.Work), as a decision's `text` setting says."""
    return [
        work_text(w.canonical.title, w.canonical.abstract, w.canonical.keywords, text)
        for w in works
    ]


CHOICES = {
    "features": ("hashed-2^24",),
    "view_weights": ("equal", "by-training"),
    "text": (FULL_TEXT, QUICK_TEXT),
}


def settings_with(**options: Any) -> dict[str, Any]:
    """The default settings with some options changed (unknown names or values are an
    error: a setting stored with a decision must be one the ranking applies)."""
    unknown = set(options) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown ranking option(s): {', '.join(sorted(unknown))}")
    for name, allowed in CHOICES.items():
        if name in options and options[name] not in allowed:
            raise ValueError(f"ranking option {name}: {options[name]!r}; one of {allowed}")
    return {**SETTINGS, **options}


def prior_text(query: str | None, keywords: Sequence[str] = (), where: str = "query") -> str:
    """The words of a query's positive terms and phrases (NOT parts left out; a wildcard
    term as its stem) and the concept keywords: what the query-term prior looks for."""
    from slr import query as q

    words: list[str] = []

    def walk(node: q.Node) -> None:
        if isinstance(node, q.Term | q.Phrase):
            words.append(node.text)
        elif isinstance(node, q.And | q.Or):
            for child in node.children:
                walk(child)

    if query:
        try:
            walk(q.parse(query))
        except QueryError as exc:
            raise QueryError(f"{where}: cannot parse query: {exc}") from None
    return " ".join([*words, *keywords])


def protocol_prior(protocol: Any) -> str:
    """The prior text of a protocol: its search query and every concept's keywords."""
    keywords = [k for c in protocol.concepts for k in c.keywords]
    return prior_text(protocol.search.query_text, keywords)


class _Hasher:
    """Term counts of texts (1-2-grams), hashed, chunk by chunk, with progress."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.vectoriser = HashingVectorizer(
            ngram_range=tuple(settings["ngram_range"]),
            alternate_sign=False,
            norm=None,
            n_features=2**24,
        )

    def counts(self, texts: Sequence[str], progress: Progress | None = None, task: str = "") -> Any:
        import scipy.sparse as sp

        parts = []
        n = len(texts)
        for i in range(0, n, FEATURE_CHUNK):
            parts.append(
                self.vectoriser.transform([t or " " for t in texts[i : i + FEATURE_CHUNK]])
            )
            if progress is not None:
                progress(task, min(i + FEATURE_CHUNK, n), n)
        m = sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, 2**24))
        m.sum_duplicates()
        return m


def _compact(m: Any, max_df: float, min_df: int = 1) -> tuple[Any, np.ndarray]:
    """Keep the hashed columns in use, without those in more than max_df of the rows or in
    fewer than min_df rows."""
    import scipy.sparse as sp

    columns, inverse = np.unique(m.indices, return_inverse=True)
    df = np.bincount(inverse, minlength=len(columns))
    keep = df <= max_df * m.shape[0] if m.shape[0] else np.ones(len(columns), dtype=bool)
    keep &= df >= min_df
    m = sp.csr_matrix((m.data, inverse, m.indptr), shape=(m.shape[0], len(columns)))
    if not keep.all():
        m = m[:, np.flatnonzero(keep)].tocsr()
        columns = columns[keep]
    return m, columns


@dataclass
class Ranker:
    """Features for one corpus (fitted once) and the per-decision classifier.

    `settings` (default SETTINGS) are stored with each decision; together with the seed and
    the training set they reproduce a ranking exactly. `titles` feed the optional title
    view; `progress` hears how far the features are built.
    """

    texts: Sequence[str]
    seed: int = 0
    settings: Mapping[str, Any] | None = None
    titles: Sequence[str] | None = None
    progress: Progress | None = None
    views: list[Any] = field(default_factory=list)
    prior: np.ndarray | None = None  # the query-term score of every work

    def __post_init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfTransformer

        self.settings = {**SETTINGS, **(self.settings or {})}
        st = self.settings
        hasher = _Hasher(st)
        counts, columns = _compact(
            hasher.counts(self.texts, self.progress, "building features"),
            float(st["max_df"]),
            int(st["min_df"]),
        )
        if not counts.nnz:  # an empty vocabulary (no text at all): every score is equal
            return
        binary = counts.copy()
        binary.data[:] = 1
        tfidf = TfidfTransformer().fit(binary)
        # single precision: half the memory to stream through in the product per re-ranking
        self.views.append(tfidf.transform(binary).tocsr().astype(np.float32))
        sublinear = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
        self.views.append(sublinear.tocsr().astype(np.float32))
        if st["title_view"] and self.titles is not None:
            title_counts, _ = _compact(hasher.counts(self.titles), float(st["max_df"]))
            if title_counts.nnz:
                title_counts.data[:] = 1
                title_view = TfidfTransformer().fit_transform(title_counts).tocsr()
                self.views.append(title_view.astype(np.float32))
        if st["prior_text"]:
            # the query terms as a vector in the binary view's columns, weighted by idf
            q = hasher.counts([str(st["prior_text"])])
            hashed = np.unique(q.indices)
            at = np.searchsorted(columns, hashed)
            found = at < len(columns)
            found[found] = columns[at[found]] == hashed[found]
            vector = np.zeros(len(columns))
            vector[at[found]] = tfidf.idf_[at[found]]
            self.prior = (self.views[0] @ vector.astype(np.float32)).astype(np.float64)

    def scores(
        self, labelled: Sequence[int], labels: Sequence[int], pool: Sequence[int] | np.ndarray
    ) -> np.ndarray:
        """Priority of the pool given the labelled works (1 relevant, 0 irrelevant): higher first.

        Relevance scores, but for the first `uncertain_first` decisions the works nearest
        the decision boundary come first; before one relevant and one irrelevant work are
        labelled, the query-term score (if a prior text is set), else all equal.
        """
        from sklearn import config_context
        from sklearn.svm import LinearSVC

        st = self.settings or SETTINGS
        pool_idx = np.asarray(pool, dtype=int)
        idx = np.asarray(labelled, dtype=int)
        y = np.asarray(labels, dtype=int)
        if not self.views or not len(pool_idx):
            return np.zeros(len(pool_idx))
        if len(set(y.tolist())) < 2:
            return self.prior[pool_idx] if self.prior is not None else np.zeros(len(pool_idx))
        n_relevant, n_labelled = int(y.sum()), len(y)
        # a fresh generator per call: the ranking depends only on seed and training set
        rng = np.random.default_rng([self.seed, len(idx)])
        cap = int(st["irrelevant_cap"])
        irrelevant = np.flatnonzero(y == 0)
        if cap and len(irrelevant) > cap:
            # a random subset of the irrelevant works once there are many: the same
            # rankings on the benchmarks where it matters, and training stops growing
            drawn = rng.choice(irrelevant, cap, replace=False)
            keep = np.sort(np.concatenate([np.flatnonzero(y == 1), drawn]))
            idx, y = idx[keep], y[keep]
        presumed = int(st["presumed_irrelevant"])
        explore = int(st["explore_after"])
        if explore and presumed:
            found = np.flatnonzero(np.asarray(labels)[::-1] == 1)  # labels in decision order
            if (found[0] if len(found) else len(labels)) >= explore:
                presumed = 0
        if presumed and len(pool_idx) > presumed:
            # works of the pool at random, presumed irrelevant; not those known relevant
            # (works labelled relevant while still in the pool); O(presumed), not O(N)
            extra = pool_idx[rng.choice(len(pool_idx), presumed, replace=False)]
            extra = extra[~np.isin(extra, idx[y == 1])]
            idx = np.concatenate([idx, extra])
            y = np.concatenate([y, np.zeros(len(extra), dtype=int)])
        weights = _weights(y, float(st["ratio"]))
        total = np.zeros(len(pool_idx))
        margin = np.zeros(len(pool_idx))
        uncertain = n_labelled < int(st["uncertain_first"]) + 2  # the two priors, then k
        for v, view in enumerate(self.views):
            clf = LinearSVC(C=st["C"], tol=st["tol"], random_state=self.seed)
            # TF-IDF values are finite and the parameters fixed: sklearn's checks are skipped
            with config_context(assume_finite=True, skip_parameter_validation=True):
                clf.fit(view[idx], y, sample_weight=weights)
            # one product over the whole corpus is cheaper than slicing the pool out first;
            # the intercept is left out: z-normalising removes it
            s = (view @ clf.coef_.ravel().astype(np.float32))[pool_idx].astype(np.float64)
            if uncertain:
                margin += s + float(clf.intercept_[0])
            spread = s.std()
            weight = 1.0
            if v == 2 and st["view_weights"] == "by-training":
                weight = 10.0 / (10.0 + n_relevant)  # the title view leads while few are known
            total += weight * ((s - s.mean()) / spread if spread > 0 else 0.0)
        if uncertain:
            return -np.abs(margin)
        if self.prior is not None and float(st["prior_weight"]):
            p = self.prior[pool_idx]
            spread = p.std()
            if spread > 0:
                total += float(st["prior_weight"]) / n_relevant * (p - p.mean()) / spread
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

    def __init__(
        self, seed: int = 0, settings: Mapping[str, Any] | None = None, conn: Any = None
    ) -> None:
        """Start the child process; with `conn`, speak over that connection instead (to a
        `serve_requests` loop run elsewhere, e.g. in a test's thread)."""
        self.complete = False  # the full features are built (else the quick model answers)
        self.text = FULL_TEXT  # what the model behind the last answer read of each work
        self._progress: Progress | None = None
        self._closing = threading.Lock()  # the job thread and _retire may both close it
        self._closed = False
        self._process: Any = None
        if conn is not None:
            self._conn = conn
            return
        ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(
            target=_serve,
            args=(child, seed, dict(settings or {})),
            daemon=True,
            name="slr-ranking",
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

    def fit(
        self,
        texts: Sequence[str],
        progress: Progress | None = None,
        titles: Sequence[str] = (),
        quick: Sequence[str] = (),
    ) -> RemoteRanker:
        """Send the texts and wait while the child builds the features, passing on its
        progress (call it once, from a thread). With `quick` texts (titles and keywords)
        it returns as soon as the child's quick model is ready; the child then answers
        from it while it builds the full features (`complete` says which one answered)."""
        self._progress = progress
        for i in range(0, len(texts), self.BATCH):
            part = slice(i, i + self.BATCH)
            self._conn.send((list(texts[part]), list(titles[part]), list(quick[part])))
        self._conn.send(None)
        while self._receive() != "quick" and not self.complete:
            pass
        return self

    def _receive(self) -> Any:
        """The child's next message; progress is passed on, "ready" noted (call from a thread)."""
        answer = self._conn.recv()  # EOFError if the child died
        if isinstance(answer, str):
            raise RuntimeError(answer)
        if answer[0] == "progress":
            if self._progress is not None:
                self._progress(*answer[1:])
        elif answer[0] == "ready":
            self.complete = True
        return answer[0] if answer[0] != "order" else answer

    def listen(self, timeout: float) -> None:
        """Hear the child's progress for up to `timeout` seconds (no request outstanding)."""
        deadline = time.monotonic() + timeout
        while not self.complete and self._conn.poll(max(0.0, deadline - time.monotonic())):
            self._receive()

    def order(
        self, labelled: Sequence[int], labels: Sequence[int], pool: Sequence[int]
    ) -> list[int]:
        """As Ranker.order; blocks until the child answers (call it from a thread).
        `text` then says which model answered: the quick one until the features are built."""
        self._conn.send((list(labelled), list(labels), list(pool)))
        while not isinstance(answer := self._receive(), tuple):
            pass
        self.text = answer[1]
        return list(answer[2])

    @property
    def pid(self) -> int | None:
        """The child's process id (None when it speaks over a given connection)."""
        return self._process.pid if self._process is not None else None

    def close(self) -> None:
        """Stop the child at once (it holds nothing to save); a thread waiting on it gets EOF.

        Once only: a job thread that got EOF and `_retire` may both get here, and a second
        close of the pipe would close whatever file now has its number."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
            if self._process is not None:
                self._process.kill()
                self._process.join(timeout=5)
            self._conn.close()


def _start_remote(seed: int, settings: Mapping[str, Any] | None = None) -> RemoteRanker | None:
    """A ranking process, or None where none can be started (e.g. a sandbox without fork)."""
    try:
        return RemoteRanker(seed, settings)
    except (OSError, RuntimeError):
        return None


def _serve(conn: Any, seed: int, settings: dict[str, Any] | None = None) -> None:
    """The child's loop: receive the texts, fit the features, then answer ranking requests.

    Nothing it says may reach the reviewer's screen (it shares the terminal): its output
    goes to /dev/null and a failure is sent to the parent as text.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # also when started from a thread
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    # imported now, while the parent still loads the works (a second of the first ranking)
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.svm  # noqa: F401

    def yield_to_the_screen() -> None:  # once a first model is ready (at full priority)
        with contextlib.suppress(OSError):
            os.nice(5)  # the screen comes first when the machine is busy

    serve_requests(conn, seed, settings, yield_to_the_screen)


def serve_requests(
    conn: Any,
    seed: int,
    settings: dict[str, Any] | None = None,
    first_model: Callable[[], None] = lambda: None,
) -> None:
    """Receive the texts, fit the features, then answer ranking requests until the
    connection closes. With quick texts a titles-only model is fitted first and answers
    the requests that come while the full features are built. `first_model` is called
    once the first model (quick or full) is ready."""
    texts: list[str] = []
    titles: list[str] = []
    quick_texts: list[str] = []
    settings = {**SETTINGS, **(settings or {})}

    def answer(ranker: Ranker) -> None:
        labelled, labels, pool = conn.recv()
        try:
            order = ranker.order(labelled, labels, pool)
            conn.send(("order", (ranker.settings or SETTINGS)["text"], order))
        except Exception as exc:  # report, keep serving: the screen keeps its last order
            conn.send(f"ranking failed: {exc.__class__.__name__}: {exc}")

    try:
        while (batch := conn.recv()) is not None:
            texts.extend(batch[0])
            titles.extend(batch[1])
            quick_texts.extend(batch[2])
        quick = None
        if quick_texts:  # titles are hashed in a tenth of the time: a model while the rest is built
            quick_settings = {**settings, "text": QUICK_TEXT}
            quick = Ranker(quick_texts, seed, quick_settings, titles if titles else None)
            if quick.views:  # else no title has a word: nothing to rank by until the rest is built
                conn.send(("quick",))
                first_model()
            else:
                quick = None

        def progress(task: str, done: int, total: int | None) -> None:
            conn.send(("progress", task, done, total))
            while quick is not None and conn.poll():  # requests meanwhile: the quick model
                answer(quick)

        ranker = Ranker(texts, seed, settings, titles if titles else None, progress)
        if quick is None:
            first_model()
        quick = None  # its memory back
        conn.send(("ready",))
        while True:
            answer(ranker)
    except (EOFError, OSError):  # the parent closed the pipe or ended
        return
    except BaseException as exc:  # e.g. out of memory while building the features
        with contextlib.suppress(Exception):
            conn.send(f"ranking failed: {exc.__class__.__name__}: {exc}")


def _by_model(order: Any) -> bool:
    return bool(getattr(order, "info", {}).get("model") == MODEL)


def _weights(y: np.ndarray, ratio: float) -> np.ndarray:
    n1 = int(y.sum())
    n0 = len(y) - n1
    w = np.where(y == 1, 1.0, n1 / (ratio * n0) if n0 else 1.0)
    return w * len(y) / w.sum()


def model_info(
    n_relevant: int,
    n_irrelevant: int,
    seed: int,
    active: bool,
    settings: Mapping[str, Any] | None = None,
    until: str = "",
) -> dict[str, Any]:
    """What is stored with each decision so any ranking can be reproduced: the model, every
    setting (slr.screen.ranking.SETTINGS with the options in use), the training-set size
    and the seed. The training set is the reviewer's standing decisions (and the known
    relevant works) as of `trained_until`, the time of the newest decision in it, in the
    order they were made: in a large review the model in use may be a few decisions behind
    the log."""
    info = {
        "model": MODEL if active else "protocol-order (needs one include and one exclude)",
        "settings": {**SETTINGS, **(settings or {})},
        "training": {"relevant": n_relevant, "irrelevant": n_irrelevant},
        "seed": seed,
    }
    if active:
        info["trained_until"] = until or "not recorded"
    return info


def _label(decision: str) -> int | None:
    # "maybe" counts as relevant: a work worth a full-text look is what the ranking should find
    return {"include": 1, "maybe": 1, "exclude": 0}.get(decision)


class WorkRanker:
    """Ranks the works of one screening session; the features are fitted once, on first use.

    With `background=True` (large reviews) a re-ranking runs in a thread, which hands the
    numeric work to the model's own process (RemoteRanker), while the reviewer goes on: a
    call returns at once with the latest finished ranking (decided works moved out) and
    starts the next one (or, while one runs, leaves the newest request for that thread to
    take up when it finishes, so the first ranking never waits for another keystroke);
    the keystroke loop never waits for the model. `wait()` is for callers that need the
    newest ordering (benchmarks, tests); the screen never calls it. `settings` are model
    options (SETTINGS), stored with every decision.
    """

    RERANK_EVERY = 1.0  # seconds between background re-rankings (the thread shares the lock)

    def __init__(
        self,
        known_relevant: Sequence[str] = (),
        seed: int = 0,
        background: bool = False,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        # protocol entries may be DOIs (any spelling) or record/work ids
        self.known_relevant = {normalise_doi(k) or k.lower() for k in known_relevant}
        self.seed = seed
        self.background = background
        self.settings = {**SETTINGS, **(settings or {})}
        self.ranker: Ranker | RemoteRanker | None = None
        self._fitting: RemoteRanker | None = None  # a process receiving its texts
        # started now, before the caller loads the works: a spare process for the first fit
        self._remote = _start_remote(seed, self.settings) if background else None
        if background:  # the screen gets the interpreter back within 1 ms (default 5 ms)
            sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self.error = ""  # why background ranking stopped (the screen keeps its last order)
        self.index: dict[str, int] = {}
        self._waiting = model_info(0, 0, seed, False, self.settings)
        if background:
            self._waiting["model"] = "protocol-order (the first ranking is being built)"
        self._works: Sequence[Any] | None = None
        self._unranked: list[Any] = []  # the works as given, until a ranking has finished
        self._full: Ordered | None = None  # the latest finished ordering (background mode)
        self._served: list[Any] | None = None  # the ordering last handed out: the one in use
        self._generation = 0  # bumped when the works change or on close: older jobs are void
        self._started = -1e9
        self._job: threading.Thread | None = None
        self._running = False  # a job is under way and will take up `_pending`
        self._pending: tuple[Sequence[Any], Mapping[str, Any], int] | None = None
        self._features = (0, 0)  # works whose features are built, of how many
        self._built = False
        self._known_found = 0  # works named in known_relevant, found among the works
        self._lock = threading.Lock()

    def _known(self, work: Any) -> bool:
        rec = work.canonical
        keys = {work.work_id.lower(), *(r.lower() for r in work.record_ids)}
        if rec.doi:
            keys.add(rec.doi.lower())
        return bool(keys & self.known_relevant)

    def _training(
        self, works: Sequence[Any], decided: Mapping[str, Any]
    ) -> tuple[list[int], list[int], str]:
        """Indices and labels of the training set in decision order (known relevant works
        first, then the decisions by time; the model counts the latest irrelevant ones in a
        row), and the time of its newest decision."""
        rows: list[tuple[str, int, int]] = []  # (time, index, label)
        known = 0
        for w in works:
            d = decided.get(w.work_id)
            if d is not None:
                label = _label(d.decision)
                when = str(getattr(d, "time", "") or "")
            else:  # skip the per-work key set when the protocol names no known studies
                label = 1 if self.known_relevant and self._known(w) else None
                known += label is not None
                when = ""
            if label is not None:
                rows.append((when, self.index[w.work_id], label))
        rows.sort(key=lambda row: row[0])  # stable: one second's decisions as the works are
        self._known_found = known
        until = rows[-1][0] if rows else ""
        return [row[1] for row in rows], [row[2] for row in rows], until

    def _progress(self, task: str, done: int, total: int | None) -> None:
        self._features = (done, total or done)

    def _fit(self, works: Sequence[Any], generation: int) -> Ranker | RemoteRanker:
        """The features of these works (built once per list of works)."""
        ranker = self.ranker
        if ranker is None:
            self._features, self._built = (0, len(works)), False
            texts = texts_of(works, str(self.settings["text"]))
            titles = [w.canonical.title or "" for w in works] if self.settings["title_view"] else []
            with self._lock:
                remote, self._remote = self._remote, None
            if self.background and remote is None:
                remote = _start_remote(self.seed, self.settings)
            if remote is None:  # no child process possible here: rank in this thread
                ranker = Ranker(texts, self.seed, self.settings, titles or None, self._progress)
            else:
                with self._lock:
                    self._fitting = remote  # so that _retire can stop it mid-fit
                try:
                    quick = texts_of(works, QUICK_TEXT) if len(works) >= QUICK_FROM else []
                    ranker = remote.fit(texts, self._progress, titles, quick)
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
        labelled, labels, until = self._training(works, decided)
        done = [w for w in works if w.work_id in decided]
        todo = [w for w in works if w.work_id not in decided]
        active = 1 in labels and 0 in labels
        settings = self.settings
        if active:
            pool = [self.index[w.work_id] for w in todo]
            position = {i: k for k, i in enumerate(pool)}
            todo = [todo[position[i]] for i in ranker.order(labelled, labels, pool)]
            if isinstance(ranker, RemoteRanker):  # the quick model may have answered
                settings = {**settings, "text": ranker.text}
        elif isinstance(ranker, RemoteRanker):  # nothing to learn from yet: hear the build
            ranker.listen(0.25)
        with self._lock:
            self._built = not isinstance(ranker, RemoteRanker) or ranker.complete
        info = model_info(labels.count(1), labels.count(0), self.seed, active, settings, until)
        return Ordered(done + todo, len(done), info)

    def _in_background(
        self, works: Sequence[Any], decided: Mapping[str, Any], generation: int
    ) -> None:
        """Rank, then take up the newest request made meanwhile (if any), at most one
        ranking per RERANK_EVERY seconds."""
        try:
            self._rank_requests(works, decided, generation)
        except BaseException:
            with self._lock:  # whatever ended the thread, the next request starts a job
                self._running = False
            raise

    def _rank_requests(
        self, works: Sequence[Any], decided: Mapping[str, Any], generation: int
    ) -> None:
        while True:
            delay = self.RERANK_EVERY - (time.monotonic() - self._started)
            if delay > 0 and self._full is not None and _by_model(self._full):
                time.sleep(delay)  # the reviewer's keystrokes come first (not the first model)
            self._started = time.monotonic()
            full: Ordered | None = None
            failure = ""
            try:
                full = self._ordered(works, dict(decided), generation)
            except Exception as exc:  # the child died or failed: never a traceback on the screen
                failure = f"ranking stopped ({exc.__class__.__name__}: {exc}); order kept"
            with self._lock:
                if generation == self._generation:  # not a ranking of works replaced meanwhile
                    if full is None:
                        self.error = failure
                    else:
                        self._full = full
                nxt, self._pending = self._pending, None
                if nxt is None and full is not None and not self._built:
                    # ask again until the full features are built (to hear their progress)
                    nxt = (works, decided, generation)
                # the newest request, if one came meanwhile for the works now in use
                if self.error or nxt is None or nxt[2] != self._generation:
                    self._running = False
                    return
            works, decided, generation = nxt

    def __call__(self, works: Sequence[Any], decided: Mapping[str, Any]) -> list[Any]:
        """Decided works first, then the undecided ones by predicted relevance.

        In background mode the call costs O(1): it returns the latest finished ordering
        (works decided since then are skipped by the session) and starts the next one;
        the features are built there too, so the screen opens at once (in the given
        order until the first ranking is ready). The list returned is the same object
        until a newer ordering finishes (callers compare by identity and must not modify
        it); the model stored with the next decision is the one that made that list.
        `decided` may be a live view: it is copied when a ranking starts.
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
            with self._lock:
                start = not self.error and not self._running
                if start:
                    self._running = True
                elif not self.error:  # the running job takes it up next
                    self._pending = (works, decided, self._generation)
            if start:
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
            self._full, self.error, self._pending = None, "", None
            self._built = False  # the header says "building features" again for new works
        for remote in (ranker, fitting):
            if isinstance(remote, RemoteRanker):
                remote.close()  # a job waiting on it gets EOF and ends
        if self._job is not None:
            self._job.join(timeout=5)
        with self._lock:  # a job still running clears the flag itself when it ends
            if self._job is None or not self._job.is_alive():
                self._running = False

    def close(self) -> None:
        """Let go of the model (and stop its processes in background mode)."""
        self._retire()
        with self._lock:
            remote, self._remote = self._remote, None
        if remote is not None:
            remote.close()

    def state(self, counts: Mapping[str, int] | None = None) -> str:
        """For the screen header: "" while the ranking is in use, else why there is none yet.

        `counts` are the reviewer's standing decisions by kind (Session.counts): without
        one include (or maybe, or a known-relevant work) and one exclude there is nothing
        to learn from; then the features are built ("building features (n/N)"), then the
        first model is fitted.
        """
        if self.error:
            return "ranking stopped, order kept"
        if self.ready:
            if self.info["settings"].get("text") == self.settings["text"]:
                return ""  # the full model (the quick one reads less of each work)
            if self._built:
                return "ranking: titles only, full model from the next decision"
            done, total = self._features
            return f"ranking: titles only, building features ({done}/{total})"
        if counts is not None:
            relevant = counts.get("include", 0) + counts.get("maybe", 0) + self._known_found
            if not relevant or not counts.get("exclude", 0):
                return "ranking: waiting for one include and one exclude"
        elif not self.background:
            return ""
        if not self._built:
            done, total = self._features
            return (
                f"ranking: building features ({done}/{total})"
                if total
                else "ranking: building features"
            )
        return "ranking: first model"

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
