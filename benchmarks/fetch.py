"""Rate-limiter benchmark: does slr use the allowed rate of each API without tripping it?

A loopback HTTP server enforces, per source path, the documented rate of that source
(`Source.requests_per_second()`, i.e. without optional keys): in any sliding window of
W = max(1 s, 1/rate) seconds it accepts at most round(rate * W) requests and answers
429 with Retry-After beyond that. All registered sources then fetch in parallel through
one `slr.http.Client` (as `slr search` does) for --seconds. Printed per source: the
allowed rate, the steady-state pages/s (first request excluded), its share of the allowed
rate, and the 429s received. A control run without the limiter shows the server bites.

Target: >= 90% of the allowed rate and no 429 in steady state.

    .venv/bin/python benchmarks/fetch.py --seconds 20
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from slr.http import Client, Request
from slr.sources import SOURCES


class Limits:
    """Per-source sliding-window limits and counters, shared by the handler threads."""

    def __init__(self, rates: dict[str, float]) -> None:
        self.rates = rates
        self.window = {s: max(1.0, 1.0 / r) for s, r in rates.items()}
        self.allowed = {s: max(1, round(r * self.window[s])) for s, r in rates.items()}
        self.seen: dict[str, deque[float]] = {s: deque() for s in rates}
        self.rejected = dict.fromkeys(rates, 0)
        self.lock = threading.Lock()

    def admit(self, source: str) -> float | None:
        """None when the request is within the limit, else the seconds to wait."""
        now = time.monotonic()
        with self.lock:
            seen, window = self.seen[source], self.window[source]
            while seen and seen[0] <= now - window:
                seen.popleft()
            if len(seen) >= self.allowed[source]:
                self.rejected[source] += 1
                return seen[0] + window - now
            seen.append(now)
            return None


def serve(limits: Limits) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            source = self.path.split("/")[1]
            wait = limits.admit(source) if source in limits.rates else None
            if wait is not None:
                self.send_response(429)
                self.send_header("Retry-After", str(math.ceil(wait)))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps({"source": source, "results": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(seconds: float) -> None:
    sources = {name: cls(None, {}, {}) for name, cls in SOURCES.items()}
    rates = {name: src.requests_per_second() for name, src in sources.items()}
    limits = Limits(rates)
    server = serve(limits)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    client = Client(mailto="bench@example.org")
    stamps: dict[str, list[float]] = {name: [] for name in sources}

    def fetch(name: str) -> None:
        end = time.monotonic() + seconds
        page = 0
        while time.monotonic() < end:
            client.send(Request(f"{base}/{name}/page", {"n": page}), source=name, rate=rates[name])
            stamps[name].append(time.monotonic())
            page += 1

    threads = [threading.Thread(target=fetch, args=(n,)) for n in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    print(f"{'source':<16}{'allowed/s':>10}{'pages/s':>10}{'share':>8}{'pages':>7}{'429s':>6}")
    worst = 1.0
    for name in sorted(sources):
        ts = stamps[name]
        rate = (len(ts) - 1) / (ts[-1] - ts[0]) if len(ts) > 1 else 0.0
        share = rate / rates[name]
        worst = min(worst, share)
        print(
            f"{name:<16}{rates[name]:>10.2f}{rate:>10.2f}{share:>7.0%}{len(ts):>7}"
            f"{limits.rejected[name]:>6}"
        )
    total_429 = sum(limits.rejected.values())
    print(f"lowest share {worst:.0%}; 429 answers in steady state: {total_429}")

    # Control: the same server without a client-side limiter answers 429 quickly.
    limits.seen = {s: deque() for s in rates}
    limits.rejected = dict.fromkeys(rates, 0)
    name = "crossref" if "crossref" in rates else next(iter(rates))
    session = requests.Session()
    for i in range(int(rates[name] * 3) + 10):
        session.get(f"{base}/{name}/page", params={"n": i}, timeout=5)
    print(f"control ({name}, no limiter, burst): {limits.rejected[name]} answers were 429")
    server.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="fetch time per source")
    run(parser.parse_args().seconds)
