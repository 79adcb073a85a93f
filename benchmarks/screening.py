"""Prioritised screening on the labelled sets in ../shared/benchmarks/screen_*: slr vs ASReview.

Side by side (default): for every set and seed, `slr simulate` and then (with
ASREVIEW=/path/to/asreview, an executable in its own virtualenv) `asreview simulate` from the
same two prior records (--prior-idx), both as command-line runs timed from start to exit,
alternating per seed so that the machine's load hits both alike. Both orders are scored by the
same code (slr.screen.simulate.metrics): WSS@95 (Cohen), recall@10% and @25%, ATD, wall
and CPU seconds per run (CPU time does not grow with other work on the machine), and the work saved where the safe stopping rule stops (ranked until 10%
screened and 50 irrelevant in a row, then a random sample of the rest until the
hypergeometric test establishes recall >= 95% at 95%), with the recall it reached.
Without ASREVIEW, ASReview 2.2's published figures from the benchmark README are shown.

Sets: the three open sets, and a generated large set (--large, default 20,000 records, 1%
relevant; see `large_set`), written to out/ (git-ignored). On the generated set ASReview
stops after --large-budget of the records (default 10%): run to its end it takes hours of
CPU per simulation (its cost grows with the square of the decisions made), so only the
recall@x it reached is compared, and its time for that part against slr's whole run.

--ablation instead measures what each model option adds (in-process runs, open sets, same
seeds): mean over sets of each set's mean over seeds, and the worst set.

    .venv/bin/python benchmarks/screening.py [--seeds 5] [--large 20000] [--large-seeds N]
        [--sets kitchenham,nudging,wilson,large20k] [--first-seed K]
    (a long run can be split: `--seeds 3` and `--seeds 2 --first-seed 3` are seeds 0-4)
A finished ASReview run is kept in out/asreview-runs/ (by data, priors, seed and ASReview
version) with its wall and CPU seconds, the time it ran and the load; later runs of the
benchmark reuse it and say so (--fresh runs it again): on the generated 20,000-record set
one ASReview simulation takes over an hour of CPU. Compare CPU seconds for reused runs: the
wall seconds were measured at another time.
    ASREVIEW=/work/asreview-venv/bin/asreview .venv/bin/python benchmarks/screening.py
    .venv/bin/python benchmarks/screening.py --ablation [--seeds 5] [--generated 6000:20000,5000:7]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from slr.screen.ranking import settings_with
from slr.screen.simulate import draw_priors, metrics, read_dataset, simulate

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "benchmarks"
SLR = ROOT / ".venv" / "bin" / "slr"
# ASReview 2.2 default model (elas_u4), 3 seeds, from ../shared/benchmarks/README.md
ASREVIEW_README = {
    "kitchenham": (0.674, 0.697, 0.932, 0.086, 20),
    "nudging": (0.712, 0.636, 0.963, 0.089, 28),
    "wilson": (0.833, 0.939, 1.000, 0.041, 7),
}
METRICS = ("wss95", "recall10", "recall25", "atd")


def _summary(values: list[float]) -> str:
    sd = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f}"


def open_sets() -> list[tuple[str, Path]]:
    return [(f.name.split("_")[1], next(f.glob("*.csv"))) for f in sorted(SHARED.glob("screen_*"))]


def large_set(n: int, seed: int = 20000) -> Path:
    """A generated set of n records, 1% relevant, from the open sets' real records.

    Deterministic from `seed`: n/100 relevant slots are filled with the open sets' relevant
    records and the rest with their irrelevant ones, drawn with replacement; every copy
    loses 20% of its words at random (near, not exact, duplicates); label noise: 2% of the
    relevant slots get an irrelevant record's text (relevant by label, not by content).
    The three topics are mixed, so one relevant prior covers one topic only.
    """
    path = ROOT / "out" / f"bench-screen-large-{n}-{seed}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    pool: dict[int, list[tuple[str, str]]] = {0: [], 1: []}
    for _, data in open_sets():
        with open(data, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                label = row.get("label_included", row.get("included", "0")).strip()
                pool[int(float(label or 0))].append((row["title"] or "", row["abstract"] or ""))
    relevant = n // 100
    noisy = max(1, round(0.02 * relevant))
    labels = np.zeros(n, dtype=int)
    labels[rng.choice(n, relevant, replace=False)] = 1
    slots = np.flatnonzero(labels)
    noise = set(rng.choice(slots, noisy, replace=False).tolist())

    def thinned(text: str) -> str:
        words = text.split()
        keep = rng.random(len(words)) >= 0.2
        return " ".join(w for w, k in zip(words, keep, strict=True) if k)

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "title", "abstract", "included"])
        for i in range(n):
            source = 1 if labels[i] and i not in noise else 0
            title, abstract = pool[source][int(rng.integers(len(pool[source])))]
            out.writerow([i + 1, thinned(title), thinned(abstract), int(labels[i])])
    tmp.replace(path)
    return path


def _run(command: list[str], cwd: str | None = None) -> tuple[float, float]:
    """Run a command to its end: (wall seconds, CPU seconds of it and its children).

    CPU time does not grow when other work shares the machine; wall time does."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    wall = time.time() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run_slr(data: Path, seed: int) -> tuple[dict[str, Any], float]:
    """One `slr simulate` run (the command, as a user runs it); its order is scored here."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "order.csv"
        wall, cpu = _run(
            [str(SLR), "simulate", str(data), "--seed", str(seed), "--quiet", "--output", str(out)]
        )
        with open(out, newline="") as fh:
            labels = [int(r["label"]) for r in csv.DictReader(fh)]
    return {**_scored(labels[2:], seed), "cpu": cpu}, wall


RUNS = ROOT / "out" / "asreview-runs"  # finished ASReview runs (git-ignored), reused


def _run_file(exe: str, data: Path, seed: int, priors: list[int], stop: int = 0) -> Path:
    """Where a finished ASReview run of these data, priors, seed, budget and version is kept."""
    import hashlib

    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.split()
    digest = hashlib.sha1(data.read_bytes()).hexdigest()[:12]
    prior_ids = "-".join(map(str, priors))
    budget = f"-stop{stop}" if stop else ""
    name = (
        f"{data.stem}-{digest}-seed{seed}-priors{prior_ids}{budget}-{'-'.join(version[-1:])}.json"
    )
    return RUNS / name


def run_asreview(
    exe: str,
    data: Path,
    seed: int,
    priors: list[int],
    labels: list[int],
    fresh: bool = False,
    stop: int = 0,
) -> tuple[dict, float]:
    """One `asreview simulate` run (ASReview 3.x CLI); its order is read from the project file.

    With `stop` it makes that many screening decisions after the priors (--n-stop) and
    only what they show is scored (`_budgeted`). A finished run is kept in
    out/asreview-runs and reused unless `fresh`: the figures say when it ran, at what load."""
    kept = _run_file(exe, data, seed, priors, stop)
    if kept.exists() and not fresh:
        run = json.loads(kept.read_text("utf-8"))
        print(f"  (asreview seed {seed}: run of {run['ran']} reused from {kept.relative_to(ROOT)})")
    else:
        run = _asreview_order(exe, data, seed, priors, stop + len(priors) if stop else 0)
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_suffix(".tmp")  # a killed benchmark leaves no half-written run
        partial.write_text(json.dumps(run), "utf-8")
        partial.replace(kept)
    order = run["labels"][2:]  # the two priors first
    if stop:
        relevant = sum(labels) - sum(labels[i] for i in priors)
        budgeted = _budgeted(order[:stop], len(labels) - 2, relevant)
        return {**budgeted, "cpu": run["cpu"]}, run["wall"]
    # ASReview stops once every relevant record is found: the rest are irrelevant
    order += [0] * (len(labels) - 2 - len(order))
    return {**_scored(order, seed), "cpu": run["cpu"]}, run["wall"]


def _budgeted(order: list[int], n: int, relevant: int) -> dict[str, Any]:
    """The metrics that the first decisions of a stopped run decide: recall@x where x*N of
    them were made, WSS@95 if 95% of the relevant records were found; the rest None."""
    found = np.cumsum(order) if order else np.zeros(0)

    def recall_at(x: float) -> float | None:
        k = math.ceil(x * n)
        return float(found[k - 1] / relevant) if k <= len(order) else None

    need = math.ceil(0.95 * relevant)
    reached = np.flatnonzero(found >= need)
    wss = (n - (int(reached[0]) + 1)) / n - 0.05 if len(reached) else None
    return {
        "N": n,
        "relevant": relevant,
        "wss95": wss,
        "recall10": recall_at(0.10),
        "recall25": recall_at(0.25),
        "atd": None,
        "stops": None,
        "screened": len(order),
    }


def _asreview_order(
    exe: str, data: Path, seed: int, priors: list[int], n_stop: int = 0
) -> dict[str, Any]:
    import sqlite3
    import zipfile

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sim.asreview"
        wall, cpu = _run(
            [
                exe,
                "simulate",
                str(data),
                "--prior-idx",
                *map(str, priors),
                "--seed",
                str(seed),
                "-o",
                str(out),
                *(["--n-stop", str(n_stop)] if n_stop else []),
            ],
            cwd=tmp,  # it may drop a synergy cache in the working directory
        )
        with zipfile.ZipFile(out) as z:
            db = next(n for n in z.namelist() if n.endswith("results.db"))
            z.extract(db, tmp)
        con = sqlite3.connect(Path(tmp) / db)
        rows = con.execute("SELECT label FROM results ORDER BY rowid").fetchall()
        con.close()
    return {
        "labels": [int(r[0]) for r in rows],
        "wall": wall,
        "cpu": cpu,
        "ran": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(time.time() - wall)),
        "load": [load, os.getloadavg()[0]],
    }


def _scored(order: list[int], seed: int) -> dict[str, Any]:
    """The metrics of a screening order, with every stopping rule's stop."""
    m = metrics(order, seed=seed)
    return {**m.to_dict(), "stops": [stop.to_dict() for stop in m.stops]}


def _cell(values: list[float | None]) -> str:
    """Mean ± sd, or "-" where a stopped run could not measure it."""
    return "-" if any(v is None for v in values) else _summary(values)  # type: ignore[arg-type]


def _row(label: str, runs: list[dict[str, Any]], walls: list[float]) -> str:
    cells = [_cell([r[k] for r in runs]) for k in METRICS]
    safe = [r["stops"][0] for r in runs if r["stops"]]
    stop = (
        f"{statistics.mean(s['work_saved'] for s in safe):.3f} ({min(s['recall'] for s in safe):.3f})"
        if safe
        else "-"
    )
    cpu = _summary([r["cpu"] for r in runs])
    return (
        f"  {label:10}"
        + "".join(f" {v:>15}" for v in cells)
        + f" {_summary(walls):>15} {cpu:>15}{stop:>17}"
    )


def _means(runs: list[dict[str, Any]], walls: list[float]) -> dict[str, float]:
    """A set's means over seeds of the metrics the targets name (those every run measured)."""
    means = {"wall": statistics.mean(walls), "cpu": statistics.mean(r["cpu"] for r in runs)}
    for key in ("wss95", "recall10"):
        if all(r[key] is not None for r in runs):
            means[key] = statistics.mean(r[key] for r in runs)
    return means


def _across_sets(mine: dict[str, dict[str, float]], peer: dict[str, dict[str, float]]) -> None:
    """Per target metric: the mean over sets of each tool, and the set where slr's margin
    over ASReview is smallest (the worst set), with that margin."""
    print("\nacross sets (means over seeds):")
    for key, better in (("wss95", 1), ("recall10", 1), ("wall", -1), ("cpu", -1)):
        margins = {
            s: better * (mine[s][key] - peer[s][key])
            for s in mine
            if s in peer and key in peer[s] and key in mine[s]
        }
        if not margins:
            continue
        worst = min(margins, key=lambda s: margins[s])
        print(
            f"  {key:8} slr {statistics.mean(mine[s][key] for s in margins):.3f}  "
            f"asreview {statistics.mean(peer[s][key] for s in margins):.3f}  "
            f"worst set {worst} (slr {'ahead' if margins[worst] >= 0 else 'behind'} by "
            f"{abs(margins[worst]):.3f}); slr ahead on {sum(m >= 0 for m in margins.values())}"
            f"/{len(margins)} sets"
        )


def _seed_line(
    name: str, seed: int, mine: dict[str, Any], wall: float, peer: dict | None, pwall: float | None
) -> None:
    """One seed's figures as soon as both runs are done (a large set takes hours)."""
    line = (
        f"  {name} seed {seed}: slr WSS@95 {mine['wss95']:.3f} recall@10% {mine['recall10']:.3f}"
        f" wall {wall:.1f} s cpu {mine['cpu']:.1f} s"
    )
    if peer is not None:
        wss = "-" if peer["wss95"] is None else f"{peer['wss95']:.3f}"
        line += (
            f" | asreview WSS@95 {wss} recall@10% {peer['recall10']:.3f}"
            f" wall {pwall:.1f} s cpu {peer['cpu']:.1f} s"
        )
        if peer.get("screened"):
            line += f" (stopped after {peer['screened']} decisions)"
    print(line, flush=True)


def side_by_side(
    seeds: int,
    large: int,
    large_seeds: int,
    exe: str | None,
    only: set[str] | None = None,
    first_seed: int = 0,
    fresh: bool = False,
    budget: float = 0.0,
) -> None:
    sets = open_sets()
    if large:
        sets.append((f"large{large // 1000}k", large_set(large)))
    if only:
        sets = [(name, data) for name, data in sets if name in only]
    print(f"load at start: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
    totals: dict[str, dict[str, list[float]]] = {}
    for name, data in sets:
        dataset = read_dataset(data)
        n_seeds = large_seeds if name.startswith("large") else seeds
        stop = math.ceil(budget * (len(dataset.labels) - 2)) if name.startswith("large") else 0
        mine, peer, walls, pwalls = [], [], [], []
        # both from the same priors; who goes first alternates
        for seed in range(first_seed, first_seed + n_seeds):
            peer_first = bool(exe) and seed % 2 == 1
            if peer_first:
                priors = draw_priors(dataset.labels, seed)
                m, wall = run_asreview(exe, data, seed, priors, dataset.labels, fresh, stop)
                peer.append(m)
                pwalls.append(wall)
            m, wall = run_slr(data, seed)
            mine.append(m)
            walls.append(wall)
            if exe and not peer_first:
                priors = draw_priors(dataset.labels, seed)
                m, wall = run_asreview(exe, data, seed, priors, dataset.labels, fresh, stop)
                peer.append(m)
                pwalls.append(wall)
            _seed_line(name, seed, mine[-1], walls[-1], peer[-1] if exe else None,
                       pwalls[-1] if exe else None)  # fmt: skip
        n, r = mine[0]["N"], mine[0]["relevant"]
        print(f"\n{name}: N = {n}, R = {r}, {n_seeds} seeds, load {os.getloadavg()[0]:.2f}")
        head = ("WSS@95", "recall@10%", "recall@25%", "ATD", "wall s", "cpu s", "safe stop saved")
        print(f"  {'':10}" + "".join(f" {h:>15}" for h in head[:6]) + f"{head[6]:>17}")
        print(_row("slr", mine, walls))
        totals.setdefault("slr", {})[name] = _means(mine, walls)
        if exe:
            print(_row("asreview", peer, pwalls))
            totals.setdefault("asreview", {})[name] = _means(peer, pwalls)
            for key in ("wss95", "recall10"):
                if any(b[key] is None for b in peer):
                    print(f"  {key}: not measured for asreview (stopped after {stop} decisions)")
                    continue
                ahead = sum(a[key] >= b[key] for a, b in zip(mine, peer, strict=True))
                print(f"  {key}: slr >= asreview in {ahead}/{n_seeds} seeds")
            faster = sum(a <= b for a, b in zip(walls, pwalls, strict=True))
            print(f"  wall: slr <= asreview in {faster}/{n_seeds} seeds")
            if stop:
                print(
                    f"  (asreview stopped after {stop} decisions, {budget:.0%} of the records:"
                    " its wall and CPU seconds are for those only, slr's for the whole simulation)"
                )
        elif name in ASREVIEW_README:
            w, r10, r25, atd, wall = ASREVIEW_README[name]
            cells = "".join(f"{v:>15.3f}" for v in (w, r10, r25, atd))
            print(f"  {'asreview*':10}" + cells + f"{wall:>15}")
    if "asreview" in totals:
        _across_sets(totals["slr"], totals["asreview"])
    print(
        "\n(safe stop saved: mean share of records left unscreened where the safe rule stops, "
        "and in brackets the lowest recall reached at that stop over the seeds)"
    )
    if not exe:
        print(
            "* ASReview 2.2 default model, figures from ../shared/benchmarks/README.md "
            "(set ASREVIEW=/path/to/asreview to run it here)"
        )
    print(f"load at end: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")


# the candidates of issue 20, each measured against the kept model on every open set
Variant = tuple[str, dict[str, Any], int, Callable[[str], bool]]
EVERY: Callable[[str], bool] = lambda name: True  # noqa: E731
KITCHENHAM_TOPIC = json.loads(
    (SHARED / "screen_kitchenham_2010" / "Kitchenham_2010.json").read_text("utf-8")
    if (SHARED / "screen_kitchenham_2010" / "Kitchenham_2010.json").exists()
    else '{"title": ""}'
)["title"].strip()
VARIANTS: list[Variant] = [
    ("kept model", {}, 1, EVERY),
    # the only open set with a stated topic (its dataset metadata: the review's title);
    # nudging and wilson come with none, and none is made up for them
    (
        "+ query-term prior (topic)",
        {"prior_text": KITCHENHAM_TOPIC},
        1,
        lambda n: n == "kitchenham",
    ),
    ("+ uncertainty first 10", {"uncertain_first": 10}, 1, EVERY),
    ("+ 2 more known relevant", {}, 3, EVERY),
    (
        "+ title view, weight by training",
        {"title_view": True, "view_weights": "by-training"},
        1,
        EVERY,
    ),
    ("+ title view", {"title_view": True}, 1, EVERY),
    ("+ explore after 50 irrelevant", {"explore_after": 50}, 1, EVERY),
]


def ablation(seeds: int, generated: Sequence[tuple[int, int]] = ()) -> None:
    """Each variant on the open sets and on generated sets (records, generator seed)."""
    sets = open_sets() + [(f"gen{n // 1000}k-{g}", large_set(n, g)) for n, g in generated]
    data = {name: read_dataset(path) for name, path in sets}
    print(f"load at start: {os.getloadavg()[0]:.2f}; {seeds} seeds, in-process runs")
    results: dict[str, dict[str, dict[str, float]]] = {}
    for label, options, known, applies in VARIANTS:
        for name, d in data.items():
            if not applies(name):
                continue
            runs, cpu = [], []
            for seed in range(seeds):
                c0 = time.process_time()
                sim = simulate(
                    d.texts, d.labels, seed, settings=settings_with(**options), titles=d.titles,
                    known=known,
                )  # fmt: skip
                cpu.append(time.process_time() - c0)
                runs.append(sim.metrics.to_dict())
            got = results.setdefault(label, {})[name] = {
                **{k: statistics.mean(r[k] for r in runs) for k in METRICS},
                "cpu": statistics.mean(cpu),
            }
            print(
                f"  {label} / {name}: WSS@95 {got['wss95']:.3f}, recall@10% {got['recall10']:.3f}"
                f", recall@25% {got['recall25']:.3f}, ATD {got['atd']:.3f}, cpu {got['cpu']:.1f} s",
                flush=True,
            )
    base = results["kept model"]
    print(
        f"\n{'variant':36}{'WSS@95 mean':>12}{'worst set':>20}{'Δ mean':>8}"
        f"{'recall@10 mean':>15}{'worst set':>20}{'Δ mean':>8}{'cpu s':>7}"
    )
    for label, per_set in results.items():
        line = f"{label:36}"
        for key in ("wss95", "recall10"):
            mean = statistics.mean(v[key] for v in per_set.values())
            worst = min(per_set, key=lambda s: per_set[s][key])
            delta = mean - statistics.mean(base[s][key] for s in per_set)
            line += f"{mean:>12.3f}{f'{per_set[worst][key]:.3f} ({worst})':>20}{delta:>+8.3f}"
        line += f"{statistics.mean(v['cpu'] for v in per_set.values()):>7.1f}"
        print(line)
    print(
        "\nΔ mean: against the kept model on the same sets and seeds. The query-term prior is"
        f" measured on kitchenham only, from its dataset's stated topic ({KITCHENHAM_TOPIC!r});"
        " nudging and wilson state no query or topic."
    )
    for label, per_set in results.items():
        print(
            f"  {label}: "
            + ", ".join(f"{s} {v['wss95']:.3f}/{v['recall10']:.3f}" for s, v in per_set.items())
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--large", type=int, default=20000, help="records of the generated set (0: none)"
    )
    parser.add_argument(
        "--large-seeds", type=int, help="seeds on the generated set (default: --seeds)"
    )
    parser.add_argument("--ablation", action="store_true", help="what each model option adds")
    parser.add_argument(
        "--generated",
        default="",
        help="--ablation also on generated sets, as RECORDS:SEED,... (e.g. 6000:20000,5000:7)",
    )
    parser.add_argument(
        "--sets", help="comma-separated set names to run (e.g. large20k); default: all"
    )
    parser.add_argument("--first-seed", type=int, default=0, help="seeds from this one on")
    parser.add_argument(
        "--fresh", action="store_true", help="run ASReview again even where a run is kept"
    )
    parser.add_argument(
        "--large-budget",
        type=float,
        default=0.1,
        help="on the generated set ASReview stops after this share of the records (0: at its"
        " end, which takes hours); its recall@x up to that share is scored",
    )
    args = parser.parse_args()
    if not open_sets():
        print(f"no screening sets under {SHARED}: this benchmark needs ../shared/benchmarks")
        return 1
    if args.ablation:
        generated = [
            (int(g.split(":")[0]), int(g.split(":")[1])) for g in args.generated.split(",") if g
        ]
        ablation(args.seeds, generated)
    else:
        large_seeds = args.seeds if args.large_seeds is None else args.large_seeds
        only = set(args.sets.split(",")) if args.sets else None
        exe = os.environ.get("ASREVIEW")
        side_by_side(
            args.seeds,
            args.large,
            large_seeds,
            exe,
            only,
            args.first_seed,
            args.fresh,
            args.large_budget,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
