"""Import speed on generated 20,000-entry BibTeX, RIS and Scopus-style CSV files.

The files look like database exports: 1-8 authors (LaTeX accents in BibTeX, Unicode in
RIS and CSV), a title, a 120-220 word abstract, keywords, venue, volume, issue, pages,
DOI and URL. Timed: `slr.importer.read_records` end to end (read, hash, decode, detect,
parse, normalise, build Records), best of three runs. For BibTeX, pybtex's bare
`parse_file` on the same file is timed too, and the ratio printed.
Targets: >= 10,000 records/s for RIS and CSV; BibTeX within 1.5x of pybtex.

It then imports the labelled CSVs of `../shared/benchmarks/dedup_*/` and `screen_*/` (read
in place, never copied) into one temporary review and prints the records kept against the entries
read: every entry must become one record (ids that only number rows in a file never merge
two records); an entry is left out only when it is empty, and then it is named.

    .venv/bin/python benchmarks/import.py [--entries 20000] [--labelled DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pybtex.database import parse_file

from slr.corpus import load_records
from slr.importer import import_files, read_records
from slr.review import open_review

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT.parent / "shared" / "benchmarks"

WORDS = (
    "machine learning operations production deployment model monitoring data pipeline drift "
    "challenge adoption survey framework continuous delivery governance quality testing "
    "feature store automation infrastructure reproducibility versioning serving scalability"
).split()
SURNAMES = ["Kreuzberger", "Müller", "García", "Nguyen", "Smith", "Østergaard", "Łukasz", "Chen"]
LATEX = {"ü": '{\\"u}', "í": "{\\'i}", "Ø": "{\\O}", "Ł": "{\\L}"}
GIVEN = ["Dominik", "Anna", "J.", "Wei", "María", "Lars"]


def _words(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def _latex(text: str) -> str:
    for char, code in LATEX.items():
        text = text.replace(char, code)
    return text


def _entries(n: int) -> list[dict]:
    rng = random.Random(42)
    out = []
    for i in range(n):
        out.append(
            {
                "i": i,
                "authors": [
                    f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}" for _ in range(rng.randint(1, 8))
                ],
                "title": _words(rng, 6, 14).capitalize(),
                "abstract": _words(rng, 120, 220).capitalize() + ".",
                "venue": "Journal of " + _words(rng, 1, 3).title(),
                "year": rng.randint(2010, 2024),
                "volume": str(rng.randint(1, 80)),
                "issue": str(rng.randint(1, 12)),
                "start": rng.randint(1, 900),
                "keywords": [_words(rng, 1, 3) for _ in range(rng.randint(3, 7))],
                "doi": f"10.{rng.randint(1000, 9999)}/j.bench.{i}",
            }
        )
    return out


def write_bibtex(entries: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for e in entries:
            fh.write(
                f"@article{{key{e['i']},\n"
                f"  author = {{{_latex(' and '.join(e['authors']))}}},\n"
                f"  title = {{{e['title']}}},\n"
                f"  journal = {{{e['venue']}}},\n"
                f"  year = {{{e['year']}}},\n"
                f"  volume = {{{e['volume']}}},\n"
                f"  number = {{{e['issue']}}},\n"
                f"  pages = {{{e['start']}--{e['start'] + 12}}},\n"
                f"  doi = {{{e['doi']}}},\n"
                f"  url = {{https://doi.org/{e['doi']}}},\n"
                f"  abstract = {{{e['abstract']}}},\n"
                f"  keywords = {{{'; '.join(e['keywords'])}}},\n"
                f"  month = mar,\n"
                "}\n\n"
            )


def write_ris(entries: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for e in entries:
            lines = ["TY  - JOUR", f"ID  - bench{e['i']}", f"TI  - {e['title']}"]
            lines += [f"AU  - {a}" for a in e["authors"]]
            lines += [
                f"PY  - {e['year']}",
                f"T2  - {e['venue']}",
                f"VL  - {e['volume']}",
                f"IS  - {e['issue']}",
                f"SP  - {e['start']}",
                f"EP  - {e['start'] + 12}",
                f"DO  - {e['doi']}",
                f"UR  - https://doi.org/{e['doi']}",
                f"AB  - {e['abstract']}",
            ]
            lines += [f"KW  - {k}" for k in e["keywords"]]
            fh.write("\n".join(lines) + "\nER  - \n\n")


def write_csv(entries: list[dict], path: Path) -> None:
    header = ["Authors", "Title", "Year", "Source title", "Volume", "Issue", "Page start"]
    header += ["Page end", "DOI", "Link", "Abstract", "Author Keywords", "Document Type", "EID"]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for e in entries:
            writer.writerow(
                [
                    "; ".join(e["authors"]),
                    e["title"],
                    e["year"],
                    e["venue"],
                    e["volume"],
                    e["issue"],
                    e["start"],
                    e["start"] + 12,
                    e["doi"],
                    f"https://www.scopus.com/inward/record.uri?eid=2-s2.0-{e['i']}",
                    e["abstract"],
                    "; ".join(e["keywords"]),
                    "Article",
                    f"2-s2.0-{85000000000 + e['i']}",
                ]
            )


def best_of(runs: int, func: Callable[[], object]) -> tuple[float, float, object]:
    """(best wall seconds, best CPU seconds, result): CPU time shows the cost on a busy machine."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def labelled_files(folder: Path) -> list[Path]:
    """The labelled record files: the de-duplication sets' (not their truth files) and the
    screening sets'."""
    dedupe = [p for p in folder.glob("dedup_*/*.csv") if p.name != "merged_record_ids.csv"]
    return sorted(dedupe + list(folder.glob("screen_*/*.csv")))


def kept_against_read(files: list[Path]) -> tuple[int, int, list[str]]:
    """(entries read, records kept, entries skipped) for `files` imported into one review."""
    with tempfile.TemporaryDirectory() as tmp:
        proto = Path(tmp) / "protocols" / "bench.toml"
        proto.parent.mkdir()
        proto.write_text((ROOT / "protocols" / "mlops.toml").read_text(encoding="utf-8"))
        review = open_review(proto)
        summary = import_files(review, files)
        kept = len(load_records(review))
    read = sum(f.read for f in summary.files)
    return read, kept, [p for f in summary.files for p in f.problems]


def report_labelled(folder: Path) -> None:
    files = labelled_files(folder)
    if not files:
        print(f"\nlabelled CSVs: {folder} not found; skipped")
        return
    read, kept, skipped = kept_against_read(files)
    verdict = "ok" if kept == read else f"{read - kept} RECORDS LOST"
    print(
        f"\nlabelled CSVs ({len(files)} files in {folder}, one review): {read} entries read, "
        f"{kept} records kept, {len(skipped)} empty entries skipped: {verdict}"
    )
    for problem in skipped:
        print(f"  {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--labelled", type=Path, default=LABELLED)
    args = parser.parse_args()
    report_labelled(args.labelled)
    entries = _entries(args.entries)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {"bibtex": folder / "bench.bib", "ris": folder / "bench.ris"}
        files["csv"] = folder / "scopus.csv"
        write_bibtex(entries, files["bibtex"])
        write_ris(entries, files["ris"])
        write_csv(entries, files["csv"])
        print(f"{args.entries} entries per file; best of {args.runs} runs (wall and CPU time)")
        print(f"{'format':<7} {'MB':>5} {'wall s':>7} {'rec/s':>7} {'cpu s':>6} {'rec/s':>7}  note")
        for name, path in files.items():
            wall, cpu, result = best_of(args.runs, lambda p=path: read_records(p))
            count = len(result.records)  # type: ignore[attr-defined]
            assert count == args.entries, f"{name}: {count} records"
            if name == "bibtex":
                bare_wall, bare_cpu, _ = best_of(
                    args.runs, lambda p=path: parse_file(str(p), "bibtex")
                )
                note = (
                    f"pybtex parse_file {bare_wall:.2f} s wall / {bare_cpu:.2f} s CPU; ratio "
                    f"{wall / bare_wall:.2f}x wall, {cpu / bare_cpu:.2f}x CPU (target <= 1.5x)"
                )
            else:
                note = "target >= 10000 records/s"
            size = path.stat().st_size / 1e6
            print(
                f"{name:<7} {size:>5.1f} {wall:>7.2f} {count / wall:>7.0f} {cpu:>6.2f} "
                f"{count / cpu:>7.0f}  {note}"
            )


if __name__ == "__main__":
    main()
