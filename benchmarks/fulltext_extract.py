"""Full-text benchmarks. `extraction_figures()`: text extraction speed, overhead and yield.

Over every fixture PDF (../shared/fixtures/fulltext/pdf, read in place; the copies in
tests/fixtures/fulltext/pdf when it is absent):
- pages per second of `slr.fulltext.extract.extract_pdf` (pdfminer.six layout analysis
  plus slr's paragraph joining) against pdfminer.six's own extractor on the same files,
  both in-process (`pdfminer.high_level.extract_text`, what pdf2txt.py runs) and as
  command lines (`pdf2txt.py -A FILE` against a one-line `python -c` calling slr, each a
  new process per file). Overhead = slr's time / pdfminer's. Target: <= 1.2x.
- the share of PDFs with usable text: readable, and at least USABLE_CHARS characters per
  page on average (a scan without a text layer, an encrypted or damaged file is not).
Times are CPU seconds (this process and its children: other work on a shared machine
slows the wall clock, not these), each file's best of --repeats runs, slr and pdfminer
taking turns; files pdfminer cannot read count for neither.

    .venv/bin/python benchmarks/fulltext_extract.py [--repeats 2]   (or benchmarks/fulltext.py: both halves)
"""

from __future__ import annotations

import argparse
import logging
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pdfminer.high_level import extract_text

from slr.fulltext.extract import LAPARAMS, PdfError, extract_pdf

ROOT = Path(__file__).resolve().parents[1]
SHARED_PDFS = ROOT.parent / "shared" / "fixtures" / "fulltext" / "pdf"
COPIED_PDFS = ROOT / "tests" / "fixtures" / "fulltext" / "pdf"
USABLE_CHARS = 200  # per page on average: a page of an article has thousands
PDF2TXT = Path(sys.executable).parent / "pdf2txt.py"
SLR_ONE = "import sys; from pathlib import Path; from slr.fulltext.extract import extract_pdf; sys.stdout.write(''.join(extract_pdf(Path(sys.argv[1])).pages))"


def _pdfs() -> list[Path]:
    folder = SHARED_PDFS if SHARED_PDFS.exists() else COPIED_PDFS
    return sorted(folder.rglob("*.pdf"))


def _cpu() -> float:
    """CPU seconds of this process and its finished children: other work on a shared
    machine slows the wall clock, not this."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _paired(
    files: list[Path], repeats: int, a: Callable[[Path], object], b: Callable[[Path], object]
) -> tuple[float, float]:
    """Total CPU time of a and of b over the files, each file's best of `repeats`, a and b
    taking turns so that a slow spell of the machine hits both."""
    best_a = dict.fromkeys(files, float("inf"))
    best_b = dict.fromkeys(files, float("inf"))
    for _ in range(repeats):
        for path in files:
            for job, best in ((a, best_a), (b, best_b)):
                start = _cpu()
                job(path)
                best[path] = min(best[path], _cpu() - start)
    return sum(best_a.values()), sum(best_b.values())


def _slr(path: Path) -> object:
    return extract_pdf(path)


def _pdfminer(path: Path) -> object:
    return extract_text(path, laparams=LAPARAMS)


def _slr_cli(path: Path) -> object:
    return subprocess.run(
        [sys.executable, "-c", SLR_ONE, str(path)], check=True, capture_output=True
    )


def _pdf2txt_cli(path: Path) -> object:
    cmd = [sys.executable, str(PDF2TXT), "-A", str(path)]
    return subprocess.run(cmd, check=True, capture_output=True)


def extraction_figures(repeats: int = 2) -> dict[str, float]:
    """Print and return the extraction figures (see the module docstring)."""
    logging.getLogger("pdfminer").setLevel(logging.CRITICAL)  # its per-object warnings
    files = _pdfs()
    readable: list[Path] = []
    pages = usable = 0
    print(f"extraction: {len(files)} fixture PDFs from {files[0].parent.parent if files else '-'}")
    for path in files:
        try:
            got = extract_pdf(path)
        except PdfError as exc:
            print(f"  {path.name}: unreadable ({str(exc).split(': ', 1)[1]})")
            continue
        chars = sum(len(p) for p in got.pages)
        ok = chars >= USABLE_CHARS * len(got.pages)
        usable += ok
        readable.append(path)
        pages += len(got.pages)
        print(
            f"  {path.name}: {len(got.pages)} page{'s' if len(got.pages) != 1 else ''}, {chars} characters, {got.status}"
            f"{'' if ok else ' (not usable)'}"
        )

    t_ours, t_theirs = _paired(readable, repeats, _slr, _pdfminer)
    t_ours_cli, t_theirs_cli = _paired(readable, repeats, _slr_cli, _pdf2txt_cli)
    figures = {
        "pdfs": len(files),
        "pages": pages,
        "pages_per_s": pages / t_ours,
        "pdfminer_pages_per_s": pages / t_theirs,
        "overhead": t_ours / t_theirs,
        "cli_pages_per_s": pages / t_ours_cli,
        "pdf2txt_pages_per_s": pages / t_theirs_cli,
        "cli_overhead": t_ours_cli / t_theirs_cli,
        "usable_share": usable / len(files) if files else 0.0,
    }
    print(
        f"  in-process: slr {figures['pages_per_s']:.1f} pages/s, pdfminer extract_text "
        f"{figures['pdfminer_pages_per_s']:.1f} pages/s: overhead {figures['overhead']:.2f}x "
        "(target <= 1.2x)"
    )
    print(
        f"  command line: slr {figures['cli_pages_per_s']:.1f} pages/s, pdf2txt.py -A "
        f"{figures['pdf2txt_pages_per_s']:.1f} pages/s: overhead {figures['cli_overhead']:.2f}x"
    )
    print(
        f"  usable text: {usable} of {len(files)} PDFs ({figures['usable_share']:.0%}); "
        f"{pages} pages in the {len(readable)} readable ones, CPU time, best of {repeats} runs"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    extraction_figures(args.repeats)


if __name__ == "__main__":
    main()
