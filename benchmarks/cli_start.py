"""Start-up and no-op costs of the `slr` command, as a user feels them.

Median of `--runs` runs (default 10), each a fresh process, of:
- `python -c pass` (for scale), `slr --help`, and on the committed demo review
  `slr status` and `slr matrix --format csv` (targets < 200, < 300 and < 400 ms);
- on a generated review of `--records` records (default 100,000, the import benchmark's
  generator, one RIS file; built once in a temporary folder, median of `--large-runs`):
  the first `slr dedupe`, `slr dedupe` with nothing new (target < 1 s), the first
  `slr screen --auto`, and `slr status` (target < 1 s).

    .venv/bin/python benchmarks/cli_start.py [--runs 10] [--records 100000] [--large-runs 3]
    .venv/bin/python benchmarks/cli_start.py --records 0      # the demo figures only
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SLR = str(BIN / "slr") if (BIN / "slr").exists() else shutil.which("slr") or "slr"
DEMO = ROOT / "protocols" / "mlops.toml"


def timed(cmd: list[str], cwd: Path = ROOT) -> float:
    """Wall seconds of one run; a failing command stops the benchmark (its figure is wrong)."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    return wall


def median(cmd: list[str], runs: int, cwd: Path = ROOT) -> float:
    return statistics.median(timed(cmd, cwd) for _ in range(runs))


def demo_figures(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:  # the demo's corpus is committed: work on a copy
        copy = Path(tmp)
        shutil.copytree(ROOT / "protocols", copy / "protocols")
        shutil.copytree(ROOT / "corpus", copy / "corpus")
        cases: list[tuple[str, list[str], float | None]] = [
            ("python -c pass", [sys.executable, "-c", "pass"], None),
            ("slr --help", [SLR, "--help"], 0.200),
            ("slr status (demo)", [SLR, "status", "-p", "protocols/mlops.toml"], 0.300),
            (
                "slr matrix --format csv (demo)",
                [SLR, "matrix", "--format", "csv", "-p", "protocols/mlops.toml"],
                0.400,
            ),
        ]
        for label, cmd, target in cases:
            wall = median(cmd, runs, copy)
            goal = ""
            if target is not None:
                goal = (
                    f"  (target < {target * 1000:.0f} ms: {'met' if wall < target else 'NOT met'})"
                )
            print(f"{label:<34} {wall * 1000:8.0f} ms{goal}")


def _import_benchmark():
    spec = importlib.util.spec_from_file_location("bench_import", ROOT / "benchmarks" / "import.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def large_figures(n: int, runs: int) -> None:
    bench = _import_benchmark()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "protocols").mkdir()
        text = DEMO.read_text("utf-8").replace('id = "mlops"', 'id = "large"')
        (folder / "protocols" / "large.toml").write_text(text, "utf-8")
        ris = folder / "large.ris"
        bench.write_ris(bench._entries(n), ris)
        proto = ["-p", "protocols/large.toml"]
        timed([SLR, "import", str(ris), "--source", "scopus", "-q", *proto], folder)
        first = timed([SLR, "dedupe", "-q", *proto], folder)
        again = median([SLR, "dedupe", "-q", *proto], runs, folder)
        auto = timed([SLR, "screen", "--auto", "-q", *proto], folder)
        status = median([SLR, "status", *proto], runs, folder)
    print(f"\n{n:,} records (generated, one RIS import):")
    print(f"{'slr dedupe (first run)':<34} {first:8.2f} s")
    print(f"{'slr dedupe (nothing new)':<34} {again:8.2f} s  (target < 1 s)")
    print(f"{'slr screen --auto (first run)':<34} {auto:8.2f} s")
    print(f"{'slr status':<34} {status:8.2f} s  (target < 1 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--large-runs", type=int, default=3)
    args = parser.parse_args()
    print(f"slr: {SLR}; {os.cpu_count()} CPUs; median of {args.runs} runs\n")
    demo_figures(args.runs)
    if args.records:
        large_figures(args.records, args.large_runs)


if __name__ == "__main__":
    main()
