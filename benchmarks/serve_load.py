"""`slr serve` under load: N reviewers deciding as fast as they can, over loopback (target:
p99 < 100 ms at 5 reviewers on 10,000 works; 0 lost, 0 doubled).

A review of N synthetic works (realistic title and abstract lengths) is written to
out/bench-serve (git-ignored) with reviewers r1..rN; `slr serve` starts on it in a process
of its own (the real server, over 127.0.0.1, rate limit off); each simulated reviewer logs
in, then for --seconds posts a decision on the work its page shows (include, exclude with a
criterion or maybe) and follows the redirect to the next work's page. Printed: decisions
per second, p50/p99/max latency from the POST to the next work's HTML, errors, and a check
that each reviewer's log holds exactly the decisions the server acknowledged (303), in order.

    .venv/bin/python benchmarks/serve_load.py [--works 10000] [--reviewers 5] [--seconds 30]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from slr.decisions import read_log
from slr.review import open_review
from slr.store import append_jsonl
from slr.works import save_works

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screen_latency import corpus  # noqa: E402  (the same synthetic works)

ROOT = Path(__file__).resolve().parents[1]
FIELD = {name: re.compile(rf'name="{name}" value="([^"]*)"') for name in ("csrf", "seen", "last")}
WORK = re.compile(r'data-work="([^"]+)"')
PAGE = "/screen/title-abstract"


def protocol_text(reviewers: int) -> str:
    names = ", ".join(f'"r{i}"' for i in range(1, reviewers + 1))
    return f"""
[review]
id = "bench-serve"
title = "Serve load"
reviewers = [{names}]

[search]
query = 'MLOps OR "machine learning operations"'
sources = ["openalex"]

[[criteria.inclusion]]
id = "IC1"
text = "Studies about MLOps"

[[criteria.exclusion]]
id = "EC1"
text = "Not about MLOps"

[[criteria.exclusion]]
id = "EC2"
text = "Not a primary study"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Reviewer(threading.Thread):
    """One simulated reviewer: decide on each page's work until `stop` (`open` first)."""

    def __init__(self, base: str, name: str, stop: threading.Event, seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.name, self.stop, self.rng = base, name, stop, random.Random(seed)
        self.http = requests.Session()
        self.latencies: list[float] = []
        self.acked: list[tuple[str, str, tuple[str, ...]]] = []
        self.errors: list[str] = []
        self.page = ""  # the first page, fetched before the clock starts

    def open(self) -> None:
        """Log in and load the first page (the reviewer's session opened on the server)."""
        self.http.post(f"{self.base}/login", data={"name": self.name}, allow_redirects=False)
        self.page = self.http.get(self.base + PAGE).text

    def run(self) -> None:
        page = self.page
        try:
            while not self.stop.is_set():
                page = self.decide(page)
        except requests.RequestException as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def decide(self, page: str) -> str:
        work = WORK.search(page)
        if work is None:
            self.errors.append("no work on the page (queue finished?)")
            self.stop.set()
            return page
        action = self.rng.choice(["include", "exclude:1", "exclude:2", "maybe"])
        form = {k: (m.group(1) if (m := rx.search(page)) else "") for k, rx in FIELD.items()}
        form.update(work=work.group(1), action=action, order="protocol")
        start = time.perf_counter()
        r = self.http.post(self.base + PAGE, data=form)
        self.latencies.append((time.perf_counter() - start) * 1000)
        acked = bool(r.history) and r.history[0].status_code == 303 and r.status_code == 200
        if not acked or "nothing written" in r.text:
            self.errors.append(f"{r.status_code} on {work.group(1)}")
            return r.text
        decision, _, n = action.partition(":")
        self.acked.append((work.group(1), decision, (f"EC{n}",) if n else ()))
        return r.text


def server_cpu(pid: int) -> float | None:
    """CPU seconds the server process used (Linux /proc), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fsync_times(folder: Path, n: int = 200) -> list[float]:
    """ms of n one-line fsynced appends on the review's disk (what each decision waits for)."""
    scratch = folder / "fsync-probe.jsonl"
    times = []
    for i in range(n):
        start = time.perf_counter()
        append_jsonl(scratch, {"probe": i})
        times.append((time.perf_counter() - start) * 1000)
    scratch.unlink()
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    folder = ROOT / "out" / "bench-serve"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "protocols").mkdir(parents=True)
    protocol = folder / "protocols" / "bench.toml"
    protocol.write_text(protocol_text(args.reviewers), "utf-8")
    review = open_review(protocol)
    save_works(review, corpus(args.works, random.Random(args.seed)))
    print(f"corpus: {args.works} works, {args.reviewers} reviewers, in {folder}")
    probe = fsync_times(folder)
    print(
        f"disk: one fsynced append p50 {statistics.median(probe):.1f} ms, "
        f"p99 {probe[int(0.99 * len(probe)) - 1]:.1f} ms; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SLR_CACHE_DIR": str(folder / "cache")}
    cmd = [sys.executable, "-m", "slr", "serve", "-p", str(protocol), "--port", str(port)]
    server = subprocess.Popen([*cmd, "--rate", "0"], env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:  # readiness: poll the health URL with a deadline
        try:
            if requests.get(base + "/health", timeout=2).ok:
                break
        except requests.RequestException:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            sys.exit("the server did not start")
        time.sleep(0.05)

    stop = threading.Event()
    reviewers = [Reviewer(base, f"r{i}", stop, args.seed + i) for i in range(1, args.reviewers + 1)]
    # first pages (each reviewer's session opened on the server) before the clock starts
    for r in reviewers:
        r.open()
    started, cpu_before = time.perf_counter(), server_cpu(server.pid)
    for r in reviewers:
        r.start()
    stop.wait(args.seconds)
    stop.set()
    for r in reviewers:
        r.join()
    elapsed = time.perf_counter() - started
    cpu_after = server_cpu(server.pid)
    cpu = None if cpu_after is None or cpu_before is None else cpu_after - cpu_before
    server.send_signal(signal.SIGTERM)
    server.wait(30)

    ms = sorted(x for r in reviewers for x in r.latencies)
    decided = sum(len(r.acked) for r in reviewers)
    errors = [e for r in reviewers for e in r.errors]
    p99 = ms[min(len(ms) - 1, max(int(round(0.99 * len(ms))) - 1, 0))] if ms else float("nan")
    print(f"decisions: {decided} in {elapsed:.1f} s = {decided / elapsed:.1f} decisions/s")
    print(
        f"POST -> next work's HTML: p50 {statistics.median(ms) if ms else float('nan'):.1f} ms, "
        f"p99 {p99:.1f} ms, max {ms[-1] if ms else float('nan'):.1f} ms "
        f"over {len(ms)} requests (target p99 < 100 ms)"
    )
    if cpu is not None and decided:
        print(f"server CPU while timed: {cpu:.1f} s, {cpu / decided * 1000:.1f} ms per decision")
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    lost = doubled = 0
    for r in reviewers:
        logged = [(d.work_id, d.decision, d.criteria) for d in read_log(review, r.name)]
        lost += len(set(r.acked) - set(logged))
        doubled += len(logged) - len(set(w for w, _, _ in logged))
        if logged != r.acked:
            print(f"{r.name}: the log differs from the acknowledged decisions")
    print(f"check: {lost} lost, {doubled} doubled (logs hold exactly the acknowledged decisions)")


if __name__ == "__main__":
    main()
