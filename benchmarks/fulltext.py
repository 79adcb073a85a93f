"""Full-text benchmarks, both halves: text extraction (benchmarks/fulltext_extract.py:
pages per second against pdfminer.six's own extractor, target overhead <= 1.2x, and the
share of PDFs with usable text) and fetching (benchmarks/fulltext_fetch.py: lookups per
second against the configured rate limit on a loopback Unpaywall-like server, target
>= 90%).

    .venv/bin/python benchmarks/fulltext.py [--repeats 2] [--works 100]
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--works", type=int, default=100)
    args = parser.parse_args()
    _load("fulltext_extract").extraction_figures(args.repeats)
    print()
    _load("fulltext_fetch").fetch_figures(args.works)


if __name__ == "__main__":
    main()
