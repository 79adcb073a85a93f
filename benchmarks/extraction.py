"""Extraction at scale: 10,000 generated studies x 20 fields x 2 coders (issue 18).

Builds a review in a temporary folder (not timed): the studies included at both stages,
a protocol with 20 fields of every type, coder A's values imported from a generated wide
CSV sheet, coder B's appended to the log with ~10% of values changed. Then times:
- the sheet import (coder A: 10,000 rows x 60 columns, all type-checked, one write);
- reconciling the two coders (agreement per field and the open disagreements);
- the tidy and the wide CSV export.
Target: each under 5 s. Wall and CPU (process) seconds are both printed: on a shared,
loaded machine the wall time is mostly waiting for a core.

    .venv/bin/python benchmarks/extraction.py [--studies 10000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from slr.corpus import now_iso
from slr.decisions import Decision
from slr.extraction import form, reconcile
from slr.extraction import log as xlog
from slr.extraction.sheet import header, import_sheet, table_bytes
from slr.extraction.table import export_rows
from slr.records import Record
from slr.review import open_review
from slr.store import append_jsonl
from slr.works import Work, save_works

TYPES = ["integer", "number", "category", "category*", "boolean", "text", "date"]
CATS = ["survey", "case study", "experiment", "interview", "mixed"]


def protocol(n_fields: int) -> str:
    lines = [
        '[review]\nid = "bench"\ntitle = "Extraction benchmark"',
        '[search]\nquery = "mlops"\nsources = ["openalex"]',
    ]
    for i in range(n_fields):
        kind = TYPES[i % len(TYPES)]
        lines.append(f'[[extraction]]\nid = "f{i}"\nlabel = "Field {i}"')
        if kind.startswith("category"):
            values = ", ".join(f'"{c}"' for c in CATS)
            multiple = "true" if kind.endswith("*") else "false"
            lines.append(f'type = "category"\nvalues = [{values}]\nmultiple = {multiple}')
        else:
            lines.append(f'type = "{kind}"')
    return "\n".join(lines) + "\n"


def typed(kind: str, rng: random.Random) -> str:
    if kind == "integer":
        return str(rng.randint(5, 500))
    if kind == "number":
        return f"{rng.uniform(0, 1):.3f}"
    if kind == "category":
        return rng.choice(CATS)
    if kind == "category*":
        return "; ".join(rng.sample(CATS, rng.randint(1, 3)))
    if kind == "boolean":
        return rng.choice(["yes", "no"])
    if kind == "date":
        return f"{rng.randint(2000, 2023)}-{rng.randint(1, 12):02d}"
    return rng.choice(["uses Kafka", "on premises", "cloud", "not stated clearly"])


def build(root: Path, n: int, n_fields: int) -> tuple[object, Path]:
    proto = root / "protocols" / "bench.toml"
    proto.parent.mkdir(parents=True)
    proto.write_text(protocol(n_fields), "utf-8")
    review = open_review(proto)
    works = []
    for i in range(n):
        rec = Record("manual", str(i), title=f"Study {i}", authors=("Smith, J.",), year=2020)
        works.append(Work(rec.id, (rec.id,), ("manual",), rec))
    save_works(review, works)
    now = now_iso()
    review.store.ensure()
    append_jsonl(
        review.store.decisions_file("r1"),
        *(
            Decision(
                "r1", stage, w.work_id, "include", time=now, protocol_hash=review.protocol.hash
            ).to_dict()
            for stage in ("title-abstract", "full-text")
            for w in works
        ),
    )
    rng = random.Random(18)
    fields = review.protocol.extraction
    kinds = [TYPES[i % len(TYPES)] for i in range(n_fields)]
    rows = [header(fields)]
    b_values = []
    for w in works:
        row = [w.work_id, "Smith, J.", "2020", w.canonical.title or ""]
        for f, kind in zip(fields, kinds, strict=True):
            text = typed(kind, rng)
            row += [text, "a quote from the paper", str(rng.randint(1, 20))]
            other = typed(kind, rng) if rng.random() < 0.1 else text
            b_values.append(xlog.Value("b", w.work_id, f.id, form.parse_value(f, other)))
        rows.append(row)
    sheet = root / "a.csv"
    sheet.write_bytes(table_bytes(rows, ".csv", "Extraction"))
    xlog.record_values(review, b_values)
    return review, sheet


class Clock:
    """Wall and CPU seconds of one timed step."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall:6.2f} s wall, {self.cpu:5.2f} s CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=10_000)
    parser.add_argument("--fields", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        review, sheet = build(Path(tmp), args.studies, args.fields)
        print(
            f"set-up (not timed): {args.studies} studies x {args.fields} fields x 2 coders "
            f"in {time.perf_counter() - t:.1f} s"
        )
        with Clock() as c_import:
            got = import_sheet(review, sheet, "a")  # type: ignore[arg-type]
        print(f"sheet import:  {c_import}  ({got.studies} rows, {got.written} values)")
        with Clock() as c_rec:
            result = reconcile.review_comparison(review, ("a", "b"))  # type: ignore[arg-type]
            text = reconcile.format_comparison(result)
        print(f"reconcile:     {c_rec}  ({len(result.disagreements)} disagreements open)")
        from slr.coding.log import included

        with Clock() as c_tidy:
            tidy = export_rows(review, included(review))  # type: ignore[arg-type]
            data = table_bytes(tidy.rows, ".csv", "Extraction")
        print(f"export tidy:   {c_tidy}  ({len(tidy.rows) - 1} rows, {len(data) >> 20} MiB)")
        with Clock() as c_wide:
            wide = export_rows(review, included(review), wide=True)  # type: ignore[arg-type]
            table_bytes(wide.rows, ".csv", "Extraction")
        print(f"export wide:   {c_wide}  ({len(wide.rows) - 1} rows)")
        clocks = (c_import, c_rec, c_tidy, c_wide)
        worst_wall, worst_cpu = max(c.wall for c in clocks), max(c.cpu for c in clocks)
        verdict = "met" if worst_wall < 5 else "NOT met"
        print(
            f"target each < 5 s: {verdict} on wall time (slowest {worst_wall:.2f} s wall, "
            f"slowest {worst_cpu:.2f} s CPU)"
        )
        print(text.splitlines()[0])


if __name__ == "__main__":
    main()
