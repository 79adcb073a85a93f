"""Replay a fully labelled dataset as if screened with the ranking, and measure it.

Start: one relevant and one irrelevant record drawn with the seed (the priors, excluded
from N as ASReview and the benchmark README do). Then the model re-ranks after every
decision and the top record is screened; once 2 * REFIT_POOL or more records are left it
re-ranks after every relevant record and otherwise every pool/REFIT_POOL records (the next
ones of the last ranking are screened in between), so the cost per record stays bounded as
N grows. Once the last relevant record has been found the
remaining order cannot change any metric (every one of them depends only on where the
relevant records are), so the rest is ordered by the last scores without refitting.
Metrics: WSS@95 (Cohen et al. 2006: (N - n95)/N - 0.05), recall at 10% and 25% screened
(relevant within the first floor(x*N)), ATD (mean position of the relevant records / N),
the position of the last relevant record, and where each stopping rule would have stopped
(slr.screen.stopping.simulated_stops).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from slr.errors import SlrError
from slr.formats.table import key, read_table
from slr.progress import Progress
from slr.screen.ranking import Ranker
from slr.screen.stopping import Stop, simulated_stops

REFIT_POOL = 500  # a pool of n records is re-ranked every n // REFIT_POOL records (at least 1)

LABEL_COLUMNS = ("label_included", "included", "label", "relevant")


@dataclass(frozen=True)
class Dataset:
    ids: list[str]
    texts: list[str]
    labels: list[int]
    titles: list[str] | None = None


@dataclass(frozen=True)
class Metrics:
    """How well a screening order did (N excludes the priors; positions count from 1)."""

    n: int  # records screened after the priors
    relevant: int
    wss95: float  # Cohen et al. 2006: (N - n95)/N - 0.05
    recall10: float  # share of the relevant records within the first floor(0.1 N)
    recall25: float
    atd: float  # mean position of the relevant records / N
    last_relevant: int
    stop_at: int | None  # where the buscarpy rule stops; None: not before the end
    stop_recall: float | None
    stops: tuple[Stop, ...] = ()  # every rule (slr.screen.stopping.simulated_stops)

    def to_dict(self) -> dict[str, Any]:
        return {
            "N": self.n,
            "relevant": self.relevant,
            "wss95": self.wss95,
            "recall10": self.recall10,
            "recall25": self.recall25,
            "atd": self.atd,
            "last_relevant": self.last_relevant,
            "stop_at": self.stop_at,
            "stop_recall": self.stop_recall,
        }


@dataclass(frozen=True)
class Simulation:
    """The screening order (priors first) and its metrics (over N = all but the priors)."""

    order: list[int]
    labels: list[int]
    priors: int
    metrics: Metrics
    settings: dict[str, Any] | None = None  # the model's settings (slr.screen.ranking)


def metrics(
    order_labels: Sequence[int], target: float = 0.95, confidence: float = 0.95, seed: int = 0
) -> Metrics:
    """WSS@95, recall@10%/25%, ATD, last relevant and the stopping points for labels in
    screening order (`seed` draws the random sample of the safe stopping rule)."""
    y = np.asarray(order_labels, dtype=int)
    n, r = len(y), int(y.sum())
    if r == 0:
        raise SlrError("no relevant record outside the priors: nothing to find")
    positions = np.flatnonzero(y) + 1
    n95 = int(positions[math.ceil(0.95 * r) - 1])
    found = np.cumsum(y)

    def recall_at(x: float) -> float:  # methods.md: cumsum[ceil(x*N) - 1] / R, as ASReview
        k = min(math.ceil(x * n), n)
        return float(found[k - 1] / r) if k else 0.0

    stops = simulated_stops(y.tolist(), seed, target, confidence)
    stop = stops[1].screened  # the buscarpy rule on the ranked order
    return Metrics(
        n=n,
        relevant=r,
        wss95=(n - n95) / n - 0.05,
        recall10=recall_at(0.10),
        recall25=recall_at(0.25),
        atd=float(positions.mean() / n),
        last_relevant=int(positions[-1]),
        stop_at=stop,
        stop_recall=float(found[stop - 1] / r) if stop else None,
        stops=tuple(stops),
    )


def draw_priors(labels: Sequence[int], seed: int, relevant: int = 1) -> list[int]:
    """The starting records (row indices): `relevant` relevant ones and one irrelevant, by seed.

    With relevant=1 the draw is the one the benchmark gives ASReview (--prior-idx); more
    stand for the protocol's `known_relevant` studies, which the screen trains on too.
    """
    y = np.asarray(labels, dtype=int)
    rng = np.random.default_rng(seed)
    first = int(rng.choice(np.flatnonzero(y == 1)))
    priors = [first, int(rng.choice(np.flatnonzero(y == 0)))]
    if relevant > 1:
        others = np.setdiff1d(np.flatnonzero(y == 1), [first])
        priors += [int(i) for i in rng.choice(others, relevant - 1, replace=False)]
    return priors


def simulate(
    texts: Sequence[str],
    labels: Sequence[int],
    seed: int = 0,
    target: float = 0.95,
    settings: dict[str, Any] | None = None,
    titles: Sequence[str] | None = None,
    progress: Progress | None = None,
    known: int = 1,
) -> Simulation:
    """Screen the dataset in ranked order from random priors (`known` relevant, one not).

    `settings` change the model's options (slr.screen.ranking.SETTINGS); `progress` hears
    about the features and, every 5% of the records, how far the screening has come.
    """
    y = np.asarray(labels, dtype=int)
    relevant, irrelevant = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if len(relevant) < known + 1 or len(irrelevant) < 1:
        raise SlrError(
            f"the data need at least {known + 1} relevant and 1 irrelevant record to simulate"
        )
    priors = draw_priors(labels, seed, known)
    started = time.monotonic()
    ranker = Ranker(list(texts), seed, settings, titles, progress)
    labelled = list(priors)
    unseen = np.ones(len(y), dtype=bool)
    unseen[priors] = False
    remaining = int(y.sum()) - known
    # counted as the results are: N and R without the priors
    total, every = len(y) - len(priors), max(1, math.ceil((len(y) - len(priors)) / 20))
    queue: deque[int] = deque()
    while unseen.any():
        if not queue:
            pool = np.flatnonzero(unseen)
            s = ranker.scores(labelled, y[labelled].tolist(), pool)
            # all of them once every relevant record is found, else the next batch
            batch = len(pool) if remaining == 0 else max(1, len(pool) // REFIT_POOL)
            top = np.arange(len(pool))
            if batch < len(pool):  # the best `batch` without sorting the whole pool
                top = np.argpartition(-s, batch - 1)[:batch]
            # highest score first, ties in record order
            queue.extend(pool[top[np.lexsort((top, -s[top]))]].tolist())
        i = queue.popleft()
        labelled.append(i)
        unseen[i] = False
        if y[i]:
            remaining -= 1
            queue.clear()  # a relevant record: re-rank at once
        screened = len(labelled) - len(priors)
        if progress is not None and (screened % every == 0 or not unseen.any()):
            found = int(y[labelled].sum()) - known
            progress(
                f"simulating: {screened} of {total} records screened after the {len(priors)} "
                f"priors, {found} of {int(y.sum()) - known} relevant found "
                f"({time.monotonic() - started:.0f} s)",
                screened,
                None,
            )
    order_labels = y[labelled[len(priors) :]].tolist()
    return Simulation(
        labelled,
        y[labelled].tolist(),
        len(priors),
        metrics(order_labels, target, seed=seed),
        dict(ranker.settings or {}),
    )


def read_dataset(path: str | Path, label_column: str | None = None) -> Dataset:
    """Titles, abstracts, keywords and 0/1 labels from a labelled CSV, TSV or XLSX table."""
    p = Path(path)
    if not p.is_file():
        raise SlrError(f"{p}: no such file; give a labelled CSV, TSV or XLSX")
    table = read_table(p, keep_empty=True)
    columns = set(table.columns)
    wanted = [key(label_column)] if label_column else [key(c) for c in LABEL_COLUMNS]
    label = next((c for c in wanted if c in columns), None)
    if label is None:
        raise SlrError(
            f"{p}: no label column ({label_column or ', '.join(LABEL_COLUMNS)}); "
            "name it with --label-column"
        )
    if "title" not in columns:
        raise SlrError(f"{p}: no 'title' column; the ranking needs titles (and abstracts)")
    labels = []
    for line, cells in table.rows:
        value = cells.get(label, "").strip()
        if value not in ("0", "1", "0.0", "1.0"):
            raise SlrError(f"{p}:{line}: column {label!r} must be 0 or 1, got {value!r}")
        labels.append(int(float(value)))
    texts = [
        " ".join(x for x in (cells.get(c, "") for c in ("title", "abstract", "keywords")) if x)
        for _, cells in table.rows
    ]
    titles = [cells.get("title", "") for _, cells in table.rows]
    id_col = next((c for c in ("id", "record id") if c in columns), None)
    ids = [
        cells.get(id_col, "") if id_col else str(n)
        for n, (_, cells) in enumerate(table.rows, start=1)
    ]
    return Dataset(ids, texts, labels, titles)


def order_csv(data: Dataset, sim: Simulation) -> str:
    """`rank,id,label`, every record once, priors first."""
    lines = ["rank,id,label"]
    for rank, i in enumerate(sim.order, start=1):
        lines.append(f"{rank},{_csv(data.ids[i])},{data.labels[i]}")
    return "\n".join(lines) + "\n"


def _csv(value: str) -> str:
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if any(c in value for c in ',"\n') else value
