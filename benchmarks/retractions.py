"""Retraction flags on a big review: `slr.retractions.flags` over N works and their records.

N synthetic works of one record each (1 in 1,000 carrying OpenAlex `is_retracted`, 1 in 1,000
a Crossref retraction notice naming another work's DOI, 1 in 1,000 with a linked notice) are
built in memory; printed: the time of one `flags` call (what status and the report pay once,
and the screen once per session) and how many works it flags.

    .venv/bin/python benchmarks/retractions.py [--works 100000]
"""

from __future__ import annotations

import argparse
import time

from slr.records import Record
from slr.retractions import flags
from slr.works import Work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=100_000)
    n = parser.parse_args().works
    records = []
    for i in range(n):
        rec = Record(source="scopus", source_id=str(i), title=f"Work {i}", doi=f"10.1000/{i}")
        if i % 1000 == 1:
            rec = rec.evolve(retraction=("openalex is_retracted",))
        if i % 1000 == 2:
            rec = rec.evolve(retracts=(f"10.1000/{i + 1}",))
        records.append(rec)
    works = [Work(r.id, (r.id,), (r.source,), r) for r in records]
    linked = {f"scopus:{i}": (f"scopus:{i + 1}", "retraction") for i in range(5, n - 1, 1000)}
    start = time.perf_counter()
    found = flags(works, records, linked)
    took = time.perf_counter() - start
    print(f"{n} works: flags in {took:.2f} s, {len(found)} flagged")


if __name__ == "__main__":
    main()
