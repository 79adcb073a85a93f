"""Full-text benchmarks. `fetch_figures()`: the fetch rate against the configured rate limit.

A loopback server answers like Unpaywall (`/v2/<doi>`) for 100 works: hits whose PDF is
served by one of 20 loopback hosts (127.0.0.2-21, each with its own per-host limit, as
real PDFs come from many publishers and repositories), misses (404), landing pages
instead of PDFs, 403s, and slow answers (0.5 s). `slr fulltext fetch --via unpaywall`
runs against it; the figure is the Unpaywall lookups per second over the configured
Unpaywall rate limit (slr paces itself 5% under it). Target: >= 90% of the rate limit.

    .venv/bin/python benchmarks/fulltext_fetch.py [--works 100]   (or benchmarks/fulltext.py: both halves)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slr.corpus import add_records  # noqa: E402
from slr.decisions import Decision, record_decision  # noqa: E402
from slr.fulltext import load_retrievals  # noqa: E402
from slr.fulltext.fetch import fetch  # noqa: E402
from slr.fulltext.locate.unpaywall import Unpaywall  # noqa: E402
from slr.http import Client  # noqa: E402
from slr.records import Record  # noqa: E402
from slr.review import open_review  # noqa: E402
from slr.snowball import dedupe  # noqa: E402

PDF = (
    ROOT / "tests" / "fixtures" / "fulltext" / "pdf" / "broken_xref_keyword_missing.pdf"
).read_bytes()
HOSTS = [f"127.0.0.{i}" for i in range(2, 22)]
PROTOCOL = """
[review]
id = "bench"
title = "Full-text fetch benchmark"
reviewers = ["reviewer1"]

[search]
query = 'MLOps'
sources = ["openalex"]

[[criteria.exclusion]]
id = "EC2"
text = "No relevance"
"""


def kind(n: int) -> str:
    """What the server does for work n: 60% hits, 15% misses, 10% landing, 10% 403, 5% slow."""
    k = n % 20
    return (
        "miss"
        if k < 3
        else "landing"
        if k < 5
        else "forbidden"
        if k < 7
        else "slow"
        if k < 8
        else "hit"
    )


class Handler(BaseHTTPRequestHandler):
    pdf_port = 0

    def log_message(self, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.startswith("/v2/"):
            n = int(path.rsplit(".", 1)[-1])
            what = kind(n)
            if what == "miss":
                return self.send(
                    404, b'{"error": true, "HTTP_status_code": 404}', "application/json"
                )
            if what == "slow":
                time.sleep(0.5)
            host = HOSTS[n % len(HOSTS)]
            loc = {
                "url_for_pdf": f"http://{host}:{self.pdf_port}/{what}/{n}.pdf",
                "version": "publishedVersion",
                "license": "cc-by",
            }
            data = {"oa_status": "gold", "best_oa_location": loc, "oa_locations": [loc]}
            return self.send(200, json.dumps(data).encode(), "application/json")
        if path.startswith("/landing/"):
            return self.send(
                200, b"<!DOCTYPE html><html><body>Article page</body></html>", "text/html"
            )
        if path.startswith("/forbidden/"):
            return self.send(403, b"Forbidden", "text/plain")
        return self.send(200, PDF, "application/pdf")


def serve(host: str, port: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def fetch_figures(works: int = 100) -> dict[str, float]:
    """Time `fetch --via unpaywall` for `works` works on the loopback server; print and return."""
    api = serve("127.0.0.1")
    first = serve(HOSTS[0])
    Handler.pdf_port = first.server_address[1]
    servers = [api, first] + [serve(h, Handler.pdf_port) for h in HOSTS[1:]]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            proto = Path(tmp) / "protocols" / "bench.toml"
            proto.parent.mkdir(parents=True)
            proto.write_text(PROTOCOL)
            review = open_review(proto, Path(tmp) / "corpus")
            records = [
                Record(
                    "crossref", f"10.9999/bench.{n}", title=f"Work {n}", doi=f"10.9999/bench.{n}"
                )
                for n in range(works)
            ]
            add_records(review, records)
            dedupe(review)
            for r in records:
                record_decision(review, Decision("reviewer1", "title-abstract", r.id, "include"))
            env = {
                "SLR_MAILTO": "bench@example.org",
                "SLR_UNPAYWALL_URL": f"http://127.0.0.1:{api.server_address[1]}/v2",
            }
            client = Client(mailto="bench@example.org")
            start = time.perf_counter()
            report = fetch(review, ["unpaywall"], client=client, env=env)
            wall = time.perf_counter() - start
            events = load_retrievals(review)
    finally:
        for s in servers:
            s.shutdown()
    rate = Unpaywall.rate
    got = sum(1 for o in report.outcomes if o.retrieved)
    figures = {
        "works": works,
        "seconds": wall,
        "seconds_per_100_works": wall * 100 / works,
        "lookups_per_second": works / wall,
        "rate_limit": rate,
        "share_of_rate_limit": works / wall / rate,
        "retrieved": got,
        "failed_events": sum(1 for e in events if e.event == "failed"),
    }
    print(
        f"fetch: {works} works in {wall:.2f} s ({figures['seconds_per_100_works']:.2f} s per 100 works); "
        f"{works / wall:.2f} Unpaywall lookups/s against a limit of {rate:g}/s = "
        f"{figures['share_of_rate_limit']:.0%} (target >= 90%; slr paces 5% under the limit)"
    )
    print(
        f"       {got} PDFs stored, {figures['failed_events']} failed attempts logged "
        "(landing pages and 403s), misses and slow answers included"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=100)
    args = parser.parse_args()
    fetch_figures(args.works)


if __name__ == "__main__":
    main()
