"""De-duplication speed and memory on synthetic corpora of 10^4, 10^5 and 10^6 records.

Each size runs in a fresh process. A corpus is a set of works with Zipf-distributed title
words and surnames (so unrelated titles and authors collide as in real data); about 30%
of the records are duplicates carrying realistic noise: typos, case changes, dropped
subtitles, missing DOIs, initials instead of given names, abbreviated venues, language
tags, missing pages, year off by one. Printed per size: wall time of `engine.run` (keys,
blocking, comparison, clustering; generating the corpus is not timed; best of --repeat
runs below 10^6 because the machine is shared) and its CPU time, the peak RSS during the
runs (the whole process, the corpus itself included), and pairwise precision/recall
against the generator's truth.

    .venv/bin/python benchmarks/dedupe_speed.py [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import time
from itertools import accumulate, combinations

from slr.dedupe.engine import run
from slr.dedupe.normalise import clear_cache
from slr.records import Record

SYLLABLES = [
    c + v
    for c in ("b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "th")
    for v in ("a", "e", "i", "o", "u", "ia", "ou", "er", "an", "on")
]


def _words(rng: random.Random, n: int, lo: int, hi: int) -> list[str]:
    out = set()
    while len(out) < n:
        out.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(lo, hi))))
    return sorted(out)


class Corpus:
    """A deterministic synthetic corpus; `truth[k]` = the work of record k."""

    def __init__(self, n: int, seed: int = 7) -> None:
        rng = random.Random(seed)
        vocab = _words(rng, 30000, 2, 4)
        surnames = _words(rng, 8000, 1, 3)
        venues = [" ".join(w.capitalize() for w in _words(rng, 3, 2, 4)) for _ in range(3000)]
        # Zipf-like weights: a few very common words and names, a long tail
        word_w = list(accumulate(1.0 / (k + 1) ** 0.9 for k in range(len(vocab))))
        name_w = list(accumulate(1.0 / (k + 1) ** 0.8 for k in range(len(surnames))))
        bases: list[dict] = []
        slots: list[tuple[int, int]] = []  # (work, copy)
        while len(slots) < n:
            work = len(bases)
            title_words = rng.choices(vocab, cum_weights=word_w, k=rng.randint(5, 14))
            title = " ".join(title_words).capitalize()
            if rng.random() < 0.3:
                title += ": " + " ".join(
                    rng.choices(vocab, cum_weights=word_w, k=rng.randint(2, 5))
                )
            authors = [
                (
                    rng.choices(surnames, cum_weights=name_w)[0].capitalize(),
                    rng.choice(surnames).capitalize(),
                )
                for _ in range(rng.randint(1, 6))
            ]
            bases.append(
                {
                    "title": title,
                    "authors": authors,
                    "year": rng.randint(1990, 2024),
                    "venue": rng.choice(venues),
                    "volume": str(rng.randint(1, 120)),
                    "issue": str(rng.randint(1, 12)),
                    "first": rng.randint(1, 3000),
                    "doi": f"10.{rng.randint(1000, 9999)}/w{work}" if rng.random() < 0.75 else None,
                }
            )
            copies = 1 + min(int(rng.expovariate(1 / 0.45)), 5)
            slots += [(work, c) for c in range(copies)]
        slots = slots[:n]
        rng.shuffle(slots)  # duplicates arrive from other databases at other times
        # records are built in arrival order, as they would be read from records.jsonl
        self.records = [self._record(rng, bases[w], k, c > 0) for k, (w, c) in enumerate(slots)]
        self.truth = [w for w, _ in slots]

    @staticmethod
    def _record(rng: random.Random, b: dict, k: int, noisy: bool) -> Record:
        title, year, doi, venue = "".join(b["title"]), b["year"], b["doi"], b["venue"]
        pages: str | None = f"{b['first']}-{b['first'] + rng.randint(3, 20)}"
        full = [f"{s}, {g}" for s, g in b["authors"]]
        authors = full
        if noisy:
            r = rng.random
            if r() < 0.3:
                title = title.upper() if r() < 0.3 else title.lower()
            if r() < 0.25:
                title = _typo(rng, title)
            if r() < 0.3 and ":" in title:
                title = title.split(":")[0]
            if r() < 0.05:
                title += " [Spanish]"
            if r() < 0.3:
                title += "."
            if r() < 0.5:
                doi = None
            if r() < 0.5:
                authors = [f"{s}, {g[0]}." for s, g in b["authors"]]
            if r() < 0.4:
                venue = " ".join(w[:4] for w in venue.split())
            if r() < 0.15:
                pages = None
            if r() < 0.05:
                year += 1
        return Record(
            source="synthetic",
            source_id=str(k),
            title=title,
            authors=tuple(authors),
            year=year,
            venue=venue,
            volume=b["volume"],
            issue=b["issue"],
            pages=pages,
            doi=doi,
        )


def _typo(rng: random.Random, text: str) -> str:
    pos = rng.randrange(1, max(2, len(text) - 1))
    kind = rng.randrange(3)
    if kind == 0:
        return text[:pos] + text[pos + 1 :]
    if kind == 1:
        return text[:pos] + rng.choice("aeiourst") + text[pos:]
    return text[: pos - 1] + text[pos] + text[pos - 1] + text[pos + 1 :]


def pairs_of(labels: list[int]) -> set[tuple[int, int]]:
    groups: dict[int, list[int]] = {}
    for k, g in enumerate(labels):
        groups.setdefault(g, []).append(k)
    return {p for members in groups.values() for p in combinations(members, 2)}


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (Linux), so the peak covers the run, not generation."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(n: int, repeat: int) -> None:
    """Measure one size in this process (best of `repeat` runs) and print a result line."""
    corpus = Corpus(n)
    wall = cpu = float("inf")
    _reset_peak()
    result = None
    for _ in range(repeat):
        clear_cache()  # every run starts cold
        result = None  # one result alive at a time
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run(corpus.records)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    assert result is not None
    peak_mb = _peak_mb()
    predicted = [0] * n
    for members in result.clusters:
        for i in members:
            predicted[i] = members[0]
    true_pairs, pred_pairs = pairs_of(corpus.truth), pairs_of(predicted)
    both = len(true_pairs & pred_pairs)
    precision = both / len(pred_pairs) if pred_pairs else 1.0
    recall = both / len(true_pairs) if true_pairs else 1.0
    print(
        f"{n}\t{wall:.2f}\t{cpu:.2f}\t{peak_mb:.0f}\t{len(result.clusters)}\t{len(set(corpus.truth))}"
        f"\t{precision:.4f}\t{recall:.4f}\t{len(result.grey)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per size below 10^6; the best is kept"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one, args.repeat if args.one < 1_000_000 else 1)
        return 0
    print(
        f"{'records':>9}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}{'works':>9}{'true':>9}"
        f"{'pair P':>8}{'pair R':>8}{'grey':>7}"
    )
    walls: dict[int, float] = {}
    cpus: dict[int, float] = {}
    for n in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--repeat", str(args.repeat)],
            capture_output=True,
            text=True,
        )
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return 1
        f = out.stdout.split()
        walls[n], cpus[n] = float(f[1]), float(f[2])
        print(f"{f[0]:>9}{f[1]:>9}{f[2]:>9}{f[3]:>9}{f[4]:>9}{f[5]:>9}{f[6]:>8}{f[7]:>8}{f[8]:>7}")
    if 10000 in walls and 100000 in walls:
        print(
            f"t(1e5)/t(1e4) = {walls[100000] / walls[10000]:.1f} (wall), "
            f"{cpus[100000] / cpus[10000]:.1f} (cpu)"
        )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
