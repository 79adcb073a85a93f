"""Prioritised screening on the labelled sets in ../shared/benchmarks/screen_*: slr vs ASReview.

Runs `slr.screen.simulate` on every set for several seeds and prints mean and spread of WSS@95
(Cohen), recall@10%, recall@25%, ATD and wall time per run. With ASREVIEW=/path/to/asreview
(an executable in its own virtualenv) it runs `asreview simulate` from the same two
prior records as slr's run with that seed (--prior-idx) and prints both side by
side; without it, ASReview's published figures from the benchmark README are shown.

    .venv/bin/python benchmarks/screening.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from slr.screen.simulate import draw_priors, metrics, read_dataset, simulate

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
# ASReview 2.2 default model (elas_u4), 3 seeds, from ../shared/benchmarks/README.md
ASREVIEW_README = {
    "kitchenham": (0.674, 0.697, 0.932, 0.086, 20),
    "nudging": (0.712, 0.636, 0.963, 0.089, 28),
    "wilson": (0.833, 0.939, 1.000, 0.041, 7),
}


def _summary(values: list[float]) -> str:
    sd = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f}"


def run_asreview(exe: str, data: Path, seed: int, priors: list[int], n: int) -> tuple[dict, float]:
    """One `asreview simulate` run; its order is read back from the project file."""
    import sqlite3
    import zipfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sim.asreview"
        t0 = time.time()
        subprocess.run(
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
            ],
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        wall = time.time() - t0
        with zipfile.ZipFile(out) as z:
            db = next(n for n in z.namelist() if n.endswith("results.db"))
            z.extract(db, tmp)
        con = sqlite3.connect(Path(tmp) / db)
        rows = con.execute("SELECT label FROM results ORDER BY rowid").fetchall()
        con.close()
    order = [int(r[0]) for r in rows][2:]  # the two priors first
    # ASReview stops once every relevant record is found: the rest are irrelevant
    order += [0] * (n - 2 - len(order))
    return metrics(order).to_dict(), wall


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    sets = sorted(SHARED.glob("screen_*"))
    if not sets:
        print(f"no screening sets under {SHARED}: this benchmark needs ../shared/benchmarks")
        return 1
    exe = os.environ.get("ASREVIEW")
    for folder in sets:
        data = next(folder.glob("*.csv"))
        name = folder.name.split("_")[1]
        dataset = read_dataset(data)
        runs, walls = [], []
        for seed in range(args.seeds):
            t0 = time.time()
            runs.append(simulate(dataset.texts, dataset.labels, seed).metrics.to_dict())
            walls.append(time.time() - t0)
        print(f"\n{name}: N = {runs[0]['N']}, R = {runs[0]['relevant']}, {args.seeds} seeds")
        print(
            f"  {'':12}{'WSS@95':>16}{'recall@10%':>16}{'recall@25%':>16}{'ATD':>16}{'wall s':>16}"
        )
        row = [_summary([r[k] for r in runs]) for k in ("wss95", "recall10", "recall25", "atd")]
        print(f"  {'slr':12}" + "".join(f"{v:>16}" for v in row) + f"{_summary(walls):>16}")
        stops = [r for r in runs if r["stop_at"]]
        if stops:
            frac = statistics.mean(r["stop_at"] / r["N"] for r in stops)
            rec = min(r["stop_recall"] for r in stops)
            print(
                f"  stopping rule: stopped in {len(stops)}/{len(runs)} runs after {frac:.0%} of N "
                f"on average, lowest actual recall {rec:.3f}"
            )
        if exe:
            peer, pwalls = [], []
            for seed in range(args.seeds):  # the same two priors as slr's run with this seed
                priors = draw_priors(dataset.labels, seed)
                m, wall = run_asreview(exe, data, seed, priors, len(dataset.labels))
                peer.append(m)
                pwalls.append(wall)
            row = [_summary([r[k] for r in peer]) for k in ("wss95", "recall10", "recall25", "atd")]
            print(
                f"  {'asreview':12}" + "".join(f"{v:>16}" for v in row) + f"{_summary(pwalls):>16}"
            )
        elif name in ASREVIEW_README:
            w, r10, r25, atd, wall = ASREVIEW_README[name]
            print(
                f"  {'asreview*':12}"
                + "".join(f"{v:>16.3f}" for v in (w, r10, r25, atd))
                + f"{wall:>16}"
            )
    if not exe:
        print(
            "\n* ASReview 2.2 default model, figures from ../shared/benchmarks/README.md "
            "(set ASREVIEW=/path/to/asreview to run it here)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
