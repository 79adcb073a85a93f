"""The HTTP layer: identity, retries and backoff, Retry-After, pacing, archive, redaction.

Time is faked: `FakeTime` advances its clock only when slr sleeps, so no test waits.
"""

import json
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import requests
import responses

from slr import __version__
from slr.errors import SourceError
from slr.http import Archive, Client, RateLimiter, Request, base_url, contact, user_agent

URL = "https://api.example.org/works"
KEY = "s3cr3t-KEY-value"


class FakeTime:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now


def make_client(ft: FakeTime, **kw) -> Client:
    return Client(
        mailto="me@example.org",
        clock=ft.clock,
        sleep=ft.sleep,
        wall=ft.wall,
        rng=lambda: 0.5,
        **kw,
    )


def test_user_agent_names_version_and_contact(monkeypatch, tmp_path):
    monkeypatch.setenv("SLR_MAILTO", "ana@uni.example")
    assert contact() == "ana@uni.example"
    monkeypatch.delenv("SLR_MAILTO")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert contact() is None
    (tmp_path / "slr").mkdir()
    (tmp_path / "slr" / "config.toml").write_text('mailto = "bo@lab.example"\n')
    assert contact() == "bo@lab.example"
    assert user_agent("bo@lab.example") == f"slr/{__version__} (mailto:bo@lab.example)"


@responses.activate
def test_user_agent_is_sent():
    responses.add(responses.GET, URL, json={})
    make_client(FakeTime()).get_json(URL)
    assert responses.calls[0].request.headers["User-Agent"] == (
        f"slr/{__version__} (mailto:me@example.org)"
    )


def test_base_url_override():
    assert base_url("openalex", "https://api.openalex.org", {}) == "https://api.openalex.org"
    env = {"SLR_OPENALEX_URL": "http://127.0.0.1:8080/"}
    assert base_url("openalex", "https://api.openalex.org", env) == "http://127.0.0.1:8080"


@responses.activate
def test_429_without_retry_after_backs_off_exponentially():
    ft = FakeTime()
    for _ in range(3):
        responses.add(responses.GET, URL, status=429)
    responses.add(responses.GET, URL, json={"ok": 1})
    client = make_client(ft, backoff=1.0)
    assert client.get_json(URL) == {"ok": 1}
    # equal jitter with rng=0.5: cap/2 + 0.5*cap/2 for caps 1, 2, 4
    assert ft.sleeps == [0.75, 1.5, 3.0]
    assert len(responses.calls) == 4


@responses.activate
def test_429_with_retry_after_seconds_is_honoured():
    ft = FakeTime()
    responses.add(responses.GET, URL, status=429, headers={"Retry-After": "7"})
    responses.add(responses.GET, URL, json={"ok": 2})
    assert make_client(ft).get_json(URL) == {"ok": 2}
    assert ft.sleeps == [7.0]


@responses.activate
def test_retry_after_http_date_is_honoured():
    ft = FakeTime()
    when = datetime.fromtimestamp(ft.wall() + 12, UTC)
    responses.add(
        responses.GET, URL, status=503, headers={"Retry-After": format_datetime(when, True)}
    )
    responses.add(responses.GET, URL, json={"ok": 3})
    assert make_client(ft).get_json(URL) == {"ok": 3}
    assert ft.sleeps == [pytest.approx(12.0, abs=1.0)]


@responses.activate
def test_retry_after_with_a_rate_limiter_defers_the_next_slot():
    ft = FakeTime()
    responses.add(responses.GET, URL, status=429, headers={"Retry-After": "5"})
    responses.add(responses.GET, URL, json={})
    make_client(ft).send(Request(URL), source="x", rate=10)
    assert sum(ft.sleeps) == pytest.approx(5.0)


@responses.activate
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried(status):
    ft = FakeTime()
    responses.add(responses.GET, URL, status=status)
    responses.add(responses.GET, URL, json={"ok": status})
    assert make_client(ft).get_json(URL) == {"ok": status}
    assert len(ft.sleeps) == 1


@responses.activate
@pytest.mark.parametrize(
    "exc",
    [
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ConnectionError("Connection reset by peer"),
        requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
    ],
)
def test_timeouts_resets_and_truncated_transfers_are_retried(exc):
    ft = FakeTime()
    responses.add(responses.GET, URL, body=exc)
    responses.add(responses.GET, URL, json={"ok": True})
    assert make_client(ft).get_json(URL) == {"ok": True}
    assert len(responses.calls) == 2


@responses.activate
def test_truncated_json_body_is_retried():
    ft = FakeTime()
    responses.add(
        responses.GET, URL, body='{"results": [{"id": 1}, {"i', content_type="application/json"
    )
    responses.add(responses.GET, URL, json={"results": []})
    assert make_client(ft).get_json(URL) == {"results": []}
    assert len(responses.calls) == 2


@responses.activate
def test_non_retryable_status_is_returned_not_retried():
    responses.add(responses.GET, URL, status=400, json={"error": "bad filter"})
    response = make_client(FakeTime()).send(Request(URL), source="x")
    assert response.status == 400 and len(responses.calls) == 1


@responses.activate
def test_exhausted_retries_raise_one_line_without_the_key():
    ft = FakeTime()
    responses.add(responses.GET, URL, status=503)
    client = make_client(ft, retries=2)
    client.add_secret(KEY)
    with pytest.raises(SourceError) as err:
        client.send(Request(URL, {"api_key": KEY, "q": "x"}, {"X-ELS-APIKey": KEY}), source="src")
    message = str(err.value)
    assert "HTTP 503 after 3 attempts" in message and "\n" not in message
    assert KEY not in message and "api_key=REDACTED" in message
    assert len(responses.calls) == 3


@responses.activate
def test_very_long_retry_after_fails_at_once():
    ft = FakeTime()
    responses.add(responses.GET, URL, status=429, headers={"Retry-After": "86400"})
    with pytest.raises(SourceError, match="wait 86400 s"):
        make_client(ft).get_json(URL)
    assert ft.sleeps == []


def test_rate_limiter_spaces_requests():
    ft = FakeTime()
    lim = RateLimiter(4.0, ft.clock, ft.sleep)
    for _ in range(5):
        lim.wait()
    assert ft.sleeps == [0.25, 0.25, 0.25, 0.25]
    ft.now += 10  # idle time is not banked into a burst
    lim.wait()
    lim.wait()
    assert ft.sleeps[-1] == 0.25 and len(ft.sleeps) == 5


@responses.activate
def test_client_paces_per_source():
    ft = FakeTime()
    responses.add(responses.GET, URL, json={})
    client = make_client(ft)
    for _ in range(3):
        client.send(Request(URL), source="a", rate=2.0)
    client.send(Request(URL), source="b", rate=2.0)  # another source has its own limiter
    # paced 5% under the documented rate so jitter never trips the server's limit
    assert ft.sleeps == [pytest.approx(1 / 1.9)] * 2


@responses.activate
def test_archive_keeps_body_verbatim_and_redacts_keys(tmp_path):
    body = b'{"meta": {"count": 1}, "results": [{"id": "W1", "title": "caf\\u00e9"}]}'
    responses.add(
        responses.GET,
        URL,
        body=body,
        content_type="application/json",
        headers={"X-RateLimit-Remaining": "99", "Set-Cookie": "session=abc"},
    )
    client = make_client(FakeTime())
    client.add_secret(KEY)
    archive = Archive(tmp_path / "raw" / "openalex" / "run1")
    request = Request(URL, {"filter": "x", "api_key": KEY}, {"x-api-key": KEY})
    client.send(request, source="openalex", archive=archive, name="b00-p00000", extra={"branch": 0})
    assert (archive.folder / "b00-p00000.json").read_bytes() == body
    meta_text = (archive.folder / "b00-p00000.meta.json").read_text()
    meta = json.loads(meta_text)
    assert KEY not in meta_text
    assert meta["params"]["api_key"] == "REDACTED"
    assert meta["request_headers"]["x-api-key"] == "REDACTED"
    assert "api_key=REDACTED" in meta["url"]
    assert meta["status"] == 200 and meta["headers"]["X-RateLimit-Remaining"] == "99"
    assert "Set-Cookie" not in meta["headers"] and meta["branch"] == 0 and meta["time"]
    response, loaded = archive.load("b00-p00000")
    assert response.content == body and response.json()["results"][0]["title"] == "café"
    assert archive.names() == ["b00-p00000"]


@responses.activate
def test_unresolvable_host_fails_fast():
    responses.add(
        responses.GET,
        URL,
        body=requests.exceptions.ConnectionError("NameResolutionError: Failed to resolve"),
    )
    ft = FakeTime()
    with pytest.raises(SourceError, match="cannot resolve"):
        make_client(ft).get_json(URL)
    assert len(responses.calls) == 1 and ft.sleeps == []


@responses.activate
def test_get_json_raises_on_error_status():
    responses.add(responses.GET, URL, status=404, body="Resource not found.")
    with pytest.raises(SourceError, match="HTTP 404"):
        make_client(FakeTime()).get_json(URL)


@responses.activate
def test_a_key_echoed_by_the_server_is_not_archived(tmp_path):
    responses.add(responses.GET, URL, json={"error": f"invalid key {KEY}"}, status=401)
    client = make_client(FakeTime())
    client.add_secret(KEY)
    archive = Archive(tmp_path / "run")
    response = client.send(Request(URL, {"api_key": KEY}), source="x", archive=archive, name="p")
    assert response.status == 401 and KEY in response.text  # in memory the body is intact
    stored = (tmp_path / "run" / "p.json").read_text()
    assert KEY not in stored and "REDACTED" in stored
    assert json.loads((tmp_path / "run" / "p.meta.json").read_text())["redacted_body"] is True
