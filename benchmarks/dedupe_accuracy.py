"""De-duplication accuracy on the labelled sets in ../shared/benchmarks/dedup_*.

Prints, per set, two tables.

Work level (one work = one report): pairwise precision/recall/F1 and record-level
sensitivity, precision, specificity (as ASySD and bib-dedupe report them; definitions in
the sets' README), the record-level FP count (a unique study lost: must be 0), the
grey-zone pairs left for a person, and the wall time of the automatic run. A study link
(an erratum and its article, ...) is not a duplicate here. "After review" answers every
grey-zone question from the truth (a perfect reviewer).

Study level: a truth pair counts as found when its two records share a study (one work,
or works linked in studies.jsonl); record-level sensitivity computed on studies, with
bib-dedupe's sensitivity beside it, and how many study links join records of different
truth clusters (the sets disagree on errata, so these are shown, not scored).

Every figure is printed with all truth pairs and without the pairs listed in
benchmarks/dedupe_disputes.csv (set, ids, reason: every pair among `ids` is disputed).

    .venv/bin/python benchmarks/dedupe_accuracy.py [--show-errors] [--auto 95 --grey 85]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from itertools import combinations
from pathlib import Path

from slr.dedupe.compare import Settings
from slr.dedupe.engine import run
from slr.dedupe.standalone import read_csv
from slr.records import Record

ROOT = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
DISPUTES = Path(__file__).resolve().parent / "dedupe_disputes.csv"
# bib-dedupe 0.11 record-level sensitivity on these files (../shared/benchmarks/README.md)
BIB_DEDUPE = {
    "diabetes": 1.000,
    "cytology": 0.992,
    "haematology": 0.889,
    "stroke": 0.994,
    "special_cases": 0.333,
}
SETS = {
    "diabetes": ("dedup_asysd_diabetes", "labelled_test_set.csv"),
    "cytology": ("dedup_cytology_screening", "records_pre_merged.csv"),
    "haematology": ("dedup_haematology", "records_pre_merged.csv"),
    "stroke": ("dedup_stroke", "records_pre_merged.csv"),
    "special_cases": ("dedup_special_cases", "records_pre_merged.csv"),
}


def load(folder: str, name: str) -> tuple[list[Record], list[list[str]]]:
    """Records (ids as in the truth file) and the true clusters."""
    records = read_csv(ROOT / folder / name)
    if folder == "dedup_asysd_diabetes":  # truth names record_id 699 as id_0000699
        records = [r.evolve(source_id=f"id_{int(r.source_id):07d}") for r in records]
    with open(ROOT / folder / "merged_record_ids.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    truth = [row["merged_ids"].split(";") for row in rows]
    return records, truth


def disputes(name: str) -> set[tuple[str, str]]:
    """The truth pairs of set `name` that dedupe_disputes.csv says are wrong."""
    out: set[tuple[str, str]] = set()
    with open(DISPUTES, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["set"] == name:
                ids = sorted(row["ids"].split(";"))
                out.update(combinations(ids, 2))
    return out


def without(truth: list[list[str]], disputed: set[tuple[str, str]]) -> list[list[str]]:
    """The truth clusters with the disputed pairs cut (clusters split into what stays joined)."""
    out = []
    for c in truth:
        parent = {x: x for x in c}

        def find(x: str, parent: dict[str, str] = parent) -> str:
            while parent[x] != x:
                x = parent[x]
            return x

        for a, b in combinations(sorted(c), 2):
            if (a, b) not in disputed:
                parent[find(a)] = find(b)
        groups: dict[str, list[str]] = {}
        for x in c:
            groups.setdefault(find(x), []).append(x)
        out += [g for g in groups.values() if len(g) > 1]
    return out


def metrics(ids: list[str], predicted: dict[str, str], truth: list[list[str]]) -> dict[str, float]:
    """Pairwise and record-level figures; predicted maps id -> id of the kept record."""
    true_of = {rid: k for k, c in enumerate(truth) for rid in c}
    clusters = list(truth) + [[rid] for rid in ids if rid not in true_of]
    groups: dict[str, list[str]] = {}
    for rid in ids:
        groups.setdefault(predicted[rid], []).append(rid)
    true_pairs = {tuple(sorted(p)) for c in truth for p in combinations(c, 2)}
    pred_pairs = {tuple(sorted(p)) for g in groups.values() for p in combinations(g, 2)}
    both = len(true_pairs & pred_pairs)
    p = both / len(pred_pairs) if pred_pairs else 1.0
    r = both / len(true_pairs) if true_pairs else 1.0
    kept = {rid for rid in ids if predicted[rid] == rid}
    tp = fp = tn = fn = 0
    for c in clusters:
        m = sum(1 for rid in c if rid in kept)
        if len(c) == 1:
            tn, fp = (tn + 1, fp) if m else (tn, fp + 1)
        elif m == 0:
            fp += 1
            tp += len(c) - 1
        else:
            tn += 1
            fn += m - 1
            tp += len(c) - m
    return {
        "pair_p": p,
        "pair_r": r,
        "pair_f1": 2 * p * r / (p + r) if p + r else 0.0,
        "sens": tp / (tp + fn) if tp + fn else 1.0,
        "prec": tp / (tp + fp) if tp + fp else 1.0,
        "spec": tn / (tn + fp) if tn + fp else 1.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def show_errors(records: list[Record], predicted: dict[str, str], truth: list[list[str]]) -> None:
    """Print wrongly merged and missed pairs with their titles (for tuning)."""
    by_id = {r.source_id: r for r in records}
    true_of = {rid: k for k, c in enumerate(truth) for rid in c}
    groups: dict[str, list[str]] = {}
    for rid, root in predicted.items():
        groups.setdefault(root, []).append(rid)

    def line(rid: str) -> str:
        r = by_id[rid]
        au = "; ".join(r.authors[:2])
        return f"    {rid} {r.year} {au[:30]!r} {r.venue!r} v{r.volume} p{r.pages} {r.doi}\n      {r.title!r}"

    for g in groups.values():
        owners = {true_of.get(rid, rid) for rid in g}
        if len(owners) > 1:
            print("  FALSE MERGE:")
            for rid in g:
                print(line(rid))
    for c in truth:
        roots = {predicted[rid] for rid in c}
        if len(roots) > 1:
            print("  MISSED:")
            for rid in c:
                print(line(rid), "->", predicted[rid])


def oracle_review(
    records: list[Record], truth: list[list[str]], settings: Settings
) -> tuple[dict[str, str], int]:
    """Answer every grey-zone question from the truth, as a perfect reviewer would.

    Returns the clustering after the answers and how many questions were asked.
    """
    true_of = {rid: k for k, c in enumerate(truth) for rid in c}
    answers: dict[tuple[str, str], str] = {}
    asked = 0
    for _ in range(5):  # answers can surface new questions; a few rounds settle it
        result = run(records, settings, answers)
        if not result.grey:
            break
        for pair in result.grey:
            a, b = result.table.ids[pair.a], result.table.ids[pair.b]
            same = true_of.get(a[6:], a) == true_of.get(b[6:], b)
            answers[(min(a, b), max(a, b))] = "y" if same else "n"
            asked += 1
    ids = [r.source_id for r in records]
    return {ids[i]: ids[root] for i, (root, _, _) in enumerate(result.assignments())}, asked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--auto", type=float, default=Settings.auto)
    parser.add_argument("--grey", type=float, default=Settings.grey)
    parser.add_argument("--only", default=None, help="one set name")
    args = parser.parse_args()
    if not ROOT.is_dir():
        print(f"{ROOT} is absent: the labelled sets are not available here", file=sys.stderr)
        return 1
    settings = Settings(auto=args.auto, grey=args.grey)
    print("WORK LEVEL (a study link is not a duplicate); [without disputed truth pairs]")
    print(
        f"{'set':<14}{'records':>8}{'pair P':>8}{'pair R':>8}"
        f"{'sens':>7}{'prec':>7}{'spec':>7}{'FP':>4}{'FN':>5}{'grey':>6}{'wall s':>8}"
        f"{'[sens':>7}{'FP]':>4}  | after review: {'asked':>5}{'sens':>7}{'FP':>4}"
    )
    study_rows = []
    figures: dict[str, list[float]] = {"work": [], "work_d": [], "study": [], "study_d": []}
    for name, (folder, file) in SETS.items():
        if args.only and name != args.only:
            continue
        records, truth = load(folder, file)
        cut = without(truth, disputes(name))
        start = time.perf_counter()
        result = run(records, settings)
        wall = time.perf_counter() - start
        ids = [r.source_id for r in records]
        predicted = {ids[i]: ids[root] for i, (root, _, _) in enumerate(result.assignments())}
        m = metrics(ids, predicted, truth)
        md = metrics(ids, predicted, cut)
        reviewed, asked = oracle_review(records, truth, settings)
        r = metrics(ids, reviewed, truth)
        print(
            f"{name:<14}{len(records):>8}{m['pair_p']:>8.4f}{m['pair_r']:>8.4f}"
            f"{m['sens']:>7.3f}{m['prec']:>7.3f}{m['spec']:>7.3f}{m['fp']:>4}{m['fn']:>5}"
            f"{len(result.grey):>6}{wall:>8.2f}{md['sens']:>7.3f}{md['fp']:>4}"
            f"  | {'':>14}{asked:>5}{r['sens']:>7.3f}{r['fp']:>4}"
        )
        study = result.studies()
        in_study = {ids[i]: ids[study[i]] for i in range(len(ids))}
        s_all = metrics(ids, in_study, truth)
        s_cut = metrics(ids, in_study, cut)
        true_of = {rid: k for k, c in enumerate(truth) for rid in c}
        across = sum(
            1
            for i in range(len(ids))
            if study[i] != result.root()[i]
            and true_of.get(ids[i], ids[i]) != true_of.get(ids[study[i]], ids[study[i]])
        )
        study_rows.append((name, s_all, s_cut, across))
        for key, value in (("work", m), ("work_d", md), ("study", s_all), ("study_d", s_cut)):
            figures[key].append(value["sens"])
        if args.show_errors:
            show_errors(records, predicted, truth)
            print("  study level:")
            show_errors(records, in_study, truth)
    print()
    print("STUDY LEVEL (a truth pair is found when both records share a study)")
    print(
        f"{'set':<14}{'sens':>7}{'FN':>5}{'[sens':>7}{'FN]':>5}{'bib-dedupe':>12}"
        f"  links across truth clusters"
    )
    for name, s_all, s_cut, across in study_rows:
        print(
            f"{name:<14}{s_all['sens']:>7.3f}{s_all['fn']:>5}{s_cut['sens']:>7.3f}{s_cut['fn']:>5}"
            f"{BIB_DEDUPE[name]:>12.3f}  {across}"
        )
    print()
    for key, label in (
        ("work", "work-level sensitivity"),
        ("work_d", "work-level sensitivity without disputes"),
        ("study", "study-level sensitivity"),
        ("study_d", "study-level sensitivity without disputes"),
    ):
        values = figures[key]
        if values:
            worst = min(range(len(values)), key=values.__getitem__)
            names = [row[0] for row in study_rows]
            print(
                f"{label:<42} mean {sum(values) / len(values):.3f}, "
                f"worst {values[worst]:.3f} ({names[worst]})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
