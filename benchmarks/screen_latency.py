"""Screening latency: time from a keypress to the next work drawn, on 100,000 works (target < 50 ms).

A review of N synthetic works (realistic title and abstract lengths) is written to a folder
on the same disk as the repository (out/bench-screen-<order>, git-ignored), half of them already
screened by the reviewer so the session resumes mid-way. Then K keystrokes (include,
exclude with a criterion, maybe, skip, undo, back) go through the same key handler as the
terminal view; each one is timed from the key to the next screen rendered at 80x24,
including the fsynced append of the decision. Printed: start-up time (load works + log),
median, p99 and max per keystroke.

    .venv/bin/python benchmarks/screen_latency.py [--works 100000] [--keys 2000] [--seed 1]
        [--order protocol|ranked] [--think 0.02]
    ranked: keys are timed first while the model is being built (its own process), then,
    with --think seconds between keys, while new rankings arrive and are adopted.

    .venv/bin/python benchmarks/screen_latency.py --first-ranking [--works 10000]
    first ranking (target: within 2 s of the first include and exclude, 10,000 works): a
    fresh review, nothing decided; the seconds from the second of those decisions until a
    model-based ranking is finished (the screen shows it from the next keystroke on), when
    they come at once after opening (the features still being built) and when they come
    after the features are built (a reviewer reading the first abstracts); with what the
    header said meanwhile.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import statistics
import time
from pathlib import Path

from slr.corpus import now_iso
from slr.decisions import Decision
from slr.records import Record
from slr.review import open_review
from slr.screen.session import open_session, ordering
from slr.store import append_jsonl
from slr.tui.keys import load_keymap
from slr.tui.screen import handle
from slr.tui.view import Highlighter, View, render
from slr.works import Work, save_works

ROOT = Path(__file__).resolve().parents[1]
WORDS = (
    "model data pipeline deployment monitoring drift machine learning operations production "
    "team challenge infrastructure testing quality privacy tool standard skill integration "
    "organisation case study survey framework cloud edge latency version experiment feature"
).split()


def corpus(n: int, rng: random.Random) -> list[Work]:
    works = []
    for i in range(n):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize()
        abstract = " ".join(rng.choice(WORDS) for _ in range(rng.randint(120, 300)))
        rec = Record(
            source="scopus",
            source_id=str(i),
            title=title,
            abstract=abstract,
            authors=tuple(f"Author{rng.randint(1, 9999)} A." for _ in range(rng.randint(1, 8))),
            year=rng.randint(2015, 2023),
            venue="Journal of " + rng.choice(WORDS).capitalize(),
            doi=f"10.1000/{i}",
            type="article",
            language="en",
        )
        works.append(Work(rec.id, (rec.id,), ("scopus",), rec))
    return works


def first_ranking(n: int, seed: int) -> None:
    """Seconds from the first include and exclude until the first ranking is finished."""
    rng = random.Random(seed)
    works = corpus(n, rng)
    # a topic the model can learn: the relevant-looking works say "mlops" in their title
    for i in range(0, n, 50):
        rec = dataclasses.replace(works[i].canonical, title=f"MLOps {works[i].canonical.title}")
        works[i] = Work(rec.id, (rec.id,), ("scopus",), rec)
    for wait_for_features in (False, True):
        folder = ROOT / "out" / "bench-screen-first"
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "protocols").mkdir(parents=True)
        protocol = folder / "protocols" / "mlops.toml"
        protocol.write_text((ROOT / "protocols" / "mlops.toml").read_text("utf-8"), "utf-8")
        review = open_review(protocol)
        save_works(review, works)
        who = (review.protocol.reviewers or ("bench",))[0]
        t0 = time.perf_counter()
        order = ordering("ranked", review, "title-abstract", who, seed)
        session = open_session(review, who, "title-abstract", order=order)
        ranker = order.ranker  # type: ignore[attr-defined]
        keymap = load_keymap(folder / "no-keys.toml")
        view = View()
        said = [session.ordering_state()]
        if wait_for_features:
            while "building features" in ranker.state({"include": 1, "exclude": 1}):
                state = session.ordering_state()
                if state != said[-1]:
                    said.append(state)
                time.sleep(0.05)
            print(f"  features of {n} works built {time.perf_counter() - t0:.1f} s after opening")
        # the first include (an MLOps work) and the first exclude, as keystrokes
        mlops = next(i for i, w in enumerate(session.works) if w.work_id == works[0].work_id)
        session.index = mlops
        handle(session, keymap, "i", view, lambda prompt: None)
        session.index = 1
        handle(session, keymap, "4", view, lambda prompt: None)
        t1 = time.perf_counter()
        while not ranker.ready:
            state = session.ordering_state()
            if state != said[-1]:
                said.append(state)
            ranker.wait(0.05)
            session.rerank()
        ready = time.perf_counter() - t1
        when = "after the features were built" if wait_for_features else "at once after opening"
        print(
            f"first include and exclude {when}: ranking ready {ready:.2f} s after the second "
            f"decision (target <= 2 s); header said: {' -> '.join(s or '(ranked)' for s in said)}"
        )
        ranker.close()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, help="default 100,000 (--first-ranking: 10,000)")
    parser.add_argument("--keys", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--order", choices=("protocol", "ranked"), default="protocol")
    parser.add_argument("--think", type=float, default=0.02, help="seconds between keys")
    parser.add_argument("--first-ranking", action="store_true", help="time the first ranking")
    args = parser.parse_args()
    if args.first_ranking:
        print(f"load: {os.getloadavg()[0]:.2f} (1 min)")
        first_ranking(args.works or 10_000, args.seed)
        return
    args.works = args.works or 100_000
    rng = random.Random(args.seed)

    folder = ROOT / "out" / f"bench-screen-{args.order}"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "protocols").mkdir(parents=True)
    protocol = folder / "protocols" / "mlops.toml"
    protocol.write_text((ROOT / "protocols" / "mlops.toml").read_text("utf-8"), "utf-8")
    review = open_review(protocol)
    works = corpus(args.works, rng)
    save_works(review, works)
    who = (review.protocol.reviewers or ("bench",))[0]  # a reviewer the protocol accepts
    half = args.works // 2
    append_jsonl(
        review.store.decisions_file(who),
        *(
            Decision(
                who, "title-abstract", w.work_id, "exclude", ("EC4",), time=now_iso()
            ).to_dict()
            for w in works[:half]
        ),
    )
    print(f"corpus: {args.works} works, {half} already decided, in {folder}")

    t0 = time.perf_counter()
    order = ordering(args.order, review, "title-abstract", who, args.seed)
    session = open_session(review, who, "title-abstract", order=order)
    keymap = load_keymap(folder / "no-keys.toml")
    hl = Highlighter(review.protocol)
    view = View()
    render(session, keymap, hl, view, 80, 24)
    startup = time.perf_counter() - t0
    print(f"start-up (load works and log, first screen): {startup:.2f} s")

    keys = ["i"] * 30 + ["1", "2", "3", "4"] * 12 + ["m"] * 10 + ["s"] * 5 + ["u"] * 3 + ["b"] * 2

    def press(n: int, think: float = 0.0) -> tuple[list[float], int]:
        times, adopted = [], 0
        for _ in range(n):
            time.sleep(think)  # the reviewer reading (not timed): rankings land meanwhile
            key = rng.choice(keys)
            before = session.works
            start = time.perf_counter()
            handle(session, keymap, key, view, lambda prompt: None)
            render(session, keymap, hl, view, 80, 24)
            times.append((time.perf_counter() - start) * 1000)
            adopted += session.works is not before
        return sorted(times), adopted

    def report(label: str, pressed: tuple[list[float], int]) -> None:
        ms, adopted = pressed
        p99 = ms[min(len(ms) - 1, int(round(0.99 * len(ms))) - 1)]
        print(
            f"{label}: keypress -> next work drawn: median {statistics.median(ms):.2f} ms, "
            f"p99 {p99:.2f} ms, max {ms[-1]:.2f} ms over {len(ms)} keys (target < 50 ms); "
            f"new orderings adopted: {adopted}"
        )

    print(f"order: {args.order}")
    ranker = getattr(order, "ranker", None)
    label = "while the model is built" if ranker is not None else "keystrokes"
    report(label, press(args.keys))
    if ranker is not None:  # then while it re-ranks in the background, with rankings arriving
        while not ranker.ready:  # ask as the screen does after a decision
            time.sleep(0.1)
            session.rerank()
        print(
            f"model-based ranking in use {time.perf_counter() - t0:.1f} s after the session opened"
        )
        report("while re-ranking", press(args.keys, args.think))
    print(f"decisions now {session.done} of {session.total}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
