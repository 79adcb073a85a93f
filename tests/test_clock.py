"""One clock: seconds for logs, milliseconds for the archive, both following a replay's clock."""

from __future__ import annotations

import re

from slr.clock import fixed_clock, now_iso


def test_precision_of_the_running_clock():
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", now_iso())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", now_iso("milliseconds"))


def test_a_replay_fixes_every_precision():
    with fixed_clock("2024-03-01T10:20:30Z"):
        assert now_iso() == "2024-03-01T10:20:30Z"
        assert now_iso("milliseconds") == "2024-03-01T10:20:30.000Z"


def test_the_archive_stamps_responses_by_the_replay_clock(tmp_path):
    import json

    import responses

    from slr.http import Archive, Client

    client = Client(sleep=lambda _: None)
    with responses.RequestsMock() as mock, fixed_clock("2024-03-01T10:20:30Z"):
        mock.add(responses.GET, "https://api.example.org/x", json={"ok": 1})
        client.get_json(
            "https://api.example.org/x",
            source="openalex",
            rate=100,
            archive=Archive(tmp_path),
            name="x",
        )
    meta = [json.loads(p.read_text()) for p in tmp_path.rglob("*.meta.json")]
    assert meta and all("2024-03-01T10:20:30.000Z" in json.dumps(m) for m in meta)
