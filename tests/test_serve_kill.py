"""`slr serve` killed with SIGKILL in the middle of a burst of decisions: every decision the
server acknowledged (its 303) is on disk, none twice, and a restart shows the next work."""

from __future__ import annotations

import os
import signal
import threading

import requests
from serve_support import free_port, served_review, shown, start_server

from slr.decisions import read_log

TA = "/screen/title-abstract"
REVIEWERS = ("alice", "bob")


def burst(base: str, name: str, acked: list, enough: threading.Event, count: list) -> None:
    """Decide as fast as possible until the server goes away; `acked` gets each 303."""
    http = requests.Session()
    try:
        http.post(f"{base}/login", data={"name": name}, allow_redirects=False)
        page = http.get(base + TA).text
        while True:
            form = shown(page)
            r = http.post(base + TA, data={**form, "action": "include"}, allow_redirects=False)
            if r.status_code != 303:
                return
            acked.append(form["work"])
            count.append(1)
            if len(count) >= 60:
                enough.set()
            page = http.get(base + r.headers["location"]).text
    except requests.RequestException:
        return  # the server was killed


def test_a_killed_server_loses_no_acknowledged_decision(tmp_path):
    review = served_review(tmp_path, n=2000)
    protocol = tmp_path / "protocols" / "served.toml"
    env = {"SLR_CACHE_DIR": str(tmp_path / "cache")}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(protocol, port, env, "--rate", "0")
    acked: dict[str, list[str]] = {name: [] for name in REVIEWERS}
    enough, count = threading.Event(), []
    threads = [
        threading.Thread(target=burst, args=(base, name, acked[name], enough, count))
        for name in REVIEWERS
    ]
    try:
        for t in threads:
            t.start()
        assert enough.wait(120), "the burst never reached 60 decisions"
        os.kill(server.pid, signal.SIGKILL)  # mid-burst: requests are in flight
        server.wait(30)
    finally:
        if server.poll() is None:
            server.kill()
    for t in threads:
        t.join(60)
    assert sum(len(a) for a in acked.values()) >= 60
    for name in REVIEWERS:
        logged = [d.work_id for d in read_log(review, name)]
        assert len(logged) == len(set(logged))  # none doubled
        assert logged[: len(acked[name])] == acked[name]  # none lost, in order
        assert len(logged) - len(acked[name]) <= 1  # at most the one in flight, unanswered
    # a restarted server shows each reviewer the first work without a decision
    port = free_port()
    server = start_server(protocol, port, env)
    try:
        http = requests.Session()
        http.post(f"http://127.0.0.1:{port}/login", data={"name": "alice"}, allow_redirects=False)
        page = http.get(f"http://127.0.0.1:{port}{TA}").text
        decided = len(read_log(review, "alice"))
        assert shown(page)["work"] == f"scopus:r{decided + 1}"
    finally:
        server.terminate()
        server.wait(30)
