"""Speed of the imported-records check of `slr status` (`slr.validate.imported_unmatched`).

Every imported record is evaluated against the protocol's query (the reference protocol's
`MLOps OR "machine learning in production" OR "machine learning operations"`). The records
are the 58 real ones of litstudy's Scopus CSV export (titles, abstracts, keywords; in
tests/fixtures), repeated to --records. Timed: the check alone, best of --repeat runs.
With --compare, the same with the evaluator of an earlier commit (its `slr/query.py`,
token-by-token scan) for the ratio.

    .venv/bin/python benchmarks/unmatched.py [--records 58000] [--compare 90faab9]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import slr.query
from slr.importer import read_records
from slr.protocol import load
from slr.validate import imported_unmatched

ROOT = Path(__file__).resolve().parents[1]
EXPORT = ROOT / "tests/fixtures/exports/scopus_csv/litstudy_scopus.csv"


def timed(records: list, repeat: int) -> float:
    proto = load(ROOT / "protocols" / "mlops.toml")
    log = [{"kind": "import", "file": "raw/import/x.csv", "run_id": "import-x"}]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        imported_unmatched(proto, records, log)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=58_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", metavar="COMMIT", help="also time that commit's evaluator")
    args = parser.parse_args()
    base = read_records(EXPORT).records
    records = [
        r.evolve(source_id=f"{r.source_id}-{i}", raw=f"raw/import/x.csv#{i}")
        for i in range(args.records // len(base) + 1)
        for r in base
    ][: args.records]
    now = timed(records, args.repeat)
    print(f"{len(records)} imported records: {now:.2f} s ({len(records) / now:,.0f} records/s)")
    if args.compare:
        text = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{args.compare}:slr/query.py"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "old_query.py"
            path.write_text(text)
            spec = importlib.util.spec_from_file_location("old_query", path)
            assert spec is not None and spec.loader is not None
            old = importlib.util.module_from_spec(spec)
            sys.modules["old_query"] = old
            spec.loader.exec_module(old)
        # the evaluator looks these two up in its module at every call
        slr.query._contains = old._contains  # type: ignore[attr-defined]
        slr.query.tokens = old.tokens
        then = timed(records, args.repeat)
        print(f"with the evaluator of {args.compare}: {then:.2f} s ({then / now:.1f}x slower)")


if __name__ == "__main__":
    main()
