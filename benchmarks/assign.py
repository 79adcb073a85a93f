"""`slr assign` at scale: 100,000 works among 5 reviewers with 20% overlap (target: < 2 s,
every share within 1% of equal), then dual screening, and a refresh of 1,000 new works.

Times the allocation alone and the whole `slr assign` on a review of that size (its queue
read from works.jsonl, assignment.jsonl written and read back), and prints each share.

    .venv/bin/python benchmarks/assign.py [--works 100000] [--reviewers 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from slr.records import Record
from slr.review import open_review
from slr.screen.assign import Assignment, allocate, assign
from slr.works import Work, load_works, save_works

PROTOCOL = """
[review]
id = "bench"
title = "Assignment benchmark"
reviewers = REVIEWERS

[search]
query = "MLOps"
sources = ["openalex"]

[[criteria.exclusion]]
id = "EC1"
text = "Not about MLOps"
"""


def spread(shares: dict[str, int]) -> float:
    """The largest distance of a share from the mean, as a fraction of the mean."""
    mean = sum(shares.values()) / len(shares)
    return max(abs(v - mean) for v in shares.values()) / mean


def show(label: str, seconds: float, a: Assignment) -> None:
    shares = {name: len(ids) for name, ids in a.shares().items()}
    print(
        f"{label}: {seconds:.3f} s; shares "
        + ", ".join(f"{n} {k:,}" for n, k in shares.items())
        + f" (overlap {len(a.overlap):,}); largest distance from equal {spread(shares):.4%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--reviewers", type=int, default=5)
    args = parser.parse_args()
    names = [f"r{i}" for i in range(1, args.reviewers + 1)]
    ids = [f"openalex:W{i}" for i in range(args.works)]

    start = time.perf_counter()
    lines = allocate(ids, names, "overlap", 0.2, seed=1)
    seconds = time.perf_counter() - start
    pure = Assignment("title-abstract")
    pure.reviewers_of = {w: given for w, given, _ in lines}
    pure.overlap = {w for w, _, shared in lines if shared}
    show(f"allocate {args.works:,} works, {len(names)} reviewers, 20% overlap", seconds, pure)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "protocols" / "bench.toml"
        path.parent.mkdir()
        path.write_text(PROTOCOL.replace("REVIEWERS", repr(names).replace("'", '"')), "utf-8")
        review = open_review(path)
        works = [
            Work(w, (w,), ("openalex",), Record("openalex", w.split(":")[1], title=f"Study {w}"))
            for w in ids
        ]
        save_works(review, works)
        review = open_review(path)
        start = time.perf_counter()
        load_works(review)
        print(
            f"reading the review's works.jsonl ({args.works:,} works, slr.works): "
            f"{time.perf_counter() - start:.3f} s (kept for the command)"
        )
        start = time.perf_counter()
        result = assign(review, names, "overlap", 0.2, seed=1)
        seconds = time.perf_counter() - start
        size = review.store.assignment_file.stat().st_size
        show("slr assign on it (queue, allocation, file written)", seconds, result.assignment)
        print(f"  assignment.jsonl: {size / 1e6:.1f} MB")
        more = [
            Work(w, (w,), ("openalex",), Record("openalex", w.split(":")[1], title=f"Study {w}"))
            for w in (f"openalex:N{i}" for i in range(1_000))
        ]
        save_works(review, works + more)
        start = time.perf_counter()
        result = assign(review)
        seconds = time.perf_counter() - start
        show(
            "slr assign after a refresh of 1,000 new works (works.jsonl read again)",
            seconds,
            result.assignment,
        )

    start = time.perf_counter()
    lines = allocate(ids, names, "dual", 0.0, seed=1)
    seconds = time.perf_counter() - start
    dual = Assignment("title-abstract")
    dual.reviewers_of = {w: given for w, given, _ in lines}
    show(f"allocate {args.works:,} works, dual screening", seconds, dual)


if __name__ == "__main__":
    main()
