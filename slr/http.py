"""The one HTTP layer of slr: every request to a search API goes through a `Client`.

It owns the single `requests.Session` and gives every source, the same way:

- an honest User-Agent `slr/<version> (mailto:<contact>)`; the contact comes from
  `SLR_MAILTO` or `mailto = "..."` in `~/.config/slr/config.toml`;
- connect/read timeouts;
- retries with exponential backoff and jitter on 429, 500, 502, 503, 504, timeouts,
  connection resets and truncated bodies, honouring `Retry-After` (seconds or HTTP date);
- a client-side rate limiter per source, 5% under its documented requests per second;
- an optional `Archive`: every response saved verbatim with a `.meta.json` beside it (URL
  and parameters with keys redacted, status, headers, time), under
  `corpus/<review-id>/raw/<source>/<run>/`;
- `SLR_<SOURCE>_URL` to point a source at a mirror or a local test server (`base_url`).

API keys never leave this module in clear: register them with `Client.add_secret` (a
`Source` does it for its key variables) and they are redacted from archived URLs,
parameters, headers and every error message.

Reuse outside a search run (snowballing, enrichment), e.g.:

    from slr.http import Client, Archive, Request
    client = Client()                                # or slr.http.default_client()
    work = client.get_json("https://api.openalex.org/works/W2741809807", source="openalex",
                           rate=10, archive=Archive(store.raw / "openalex" / "snowball-1"),
                           name="W2741809807")
    resp = client.send(Request(url, params={...}), source="crossref", rate=3)

Tests inject `clock`, `sleep`, `wall` and `rng` so retries and pacing take no wall time.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import random
import re
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.etree import ElementTree

import requests
from requests.structures import CaseInsensitiveDict

from slr import __version__
from slr.clock import now_iso
from slr.errors import SourceError

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
# Pace 5% under each documented limit so network jitter never pushes a request over it.
PACE = 0.95
# Parameter and header names that carry credentials, whatever their value.
SECRET_PARAMS = frozenset({"api_key", "apikey", "insttoken", "access_token"})
SECRET_HEADERS = frozenset(
    {"x-api-key", "x-els-apikey", "x-els-insttoken", "authorization", "crossref-plus-api-token"}
)
REDACTED = "REDACTED"
DROP_HEADERS = frozenset({"set-cookie"})


# ---------------------------------------------------------------- identity and configuration


def config_path() -> Path:
    """`$XDG_CONFIG_HOME/slr/config.toml` (default `~/.config/slr/config.toml`)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "slr" / "config.toml"


def contact(env: Mapping[str, str] | None = None) -> str | None:
    """The e-mail address to identify with: `SLR_MAILTO`, else `mailto` in the user config."""
    env = os.environ if env is None else env
    if env.get("SLR_MAILTO"):
        return env["SLR_MAILTO"].strip()
    path = config_path()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    value = data.get("mailto") or data.get("slr", {}).get("mailto")
    return str(value).strip() if value else None


def user_agent(mailto: str | None) -> str:
    """`slr/<version> (mailto:<contact>)`, the polite format Crossref asks for."""
    return f"slr/{__version__} (mailto:{mailto})" if mailto else f"slr/{__version__}"


def base_url(source: str, default: str, env: Mapping[str, str] | None = None) -> str:
    """A source's base URL; `SLR_<SOURCE>_URL` overrides it (mirrors, local test servers)."""
    env = os.environ if env is None else env
    value = env.get(f"SLR_{source.upper()}_URL")
    return (value or default).rstrip("/")


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class Request:
    """One HTTP request as a value: printable, comparable and testable without the network.

    `expect` ("json" or "xml") makes the client check the body parses, so a truncated
    body is retried instead of reaching a parser.
    """

    url: str
    params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str = "GET"
    json: Any = None
    expect: str | None = "json"


@dataclass(frozen=True)
class Response:
    """A received (or archived) response: status, headers and the verbatim body bytes."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    time: str = ""
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON (a SourceError when it is not JSON)."""
        try:
            return json.loads(self.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise SourceError(
                f"{_host(self.url)}: HTTP {self.status} body is not JSON: {self.text[:120]!r}"
            ) from None

    def xml(self) -> ElementTree.Element:
        """The body parsed as XML (a SourceError when it is not XML)."""
        try:
            return ElementTree.fromstring(self.content)
        except ElementTree.ParseError as exc:
            raise SourceError(
                f"{_host(self.url)}: HTTP {self.status} body is not XML: {exc}"
            ) from None


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


# ---------------------------------------------------------------- rate limiter


class RateLimiter:
    """Spaces requests of one source at least 1/rate seconds apart (thread-safe).

    Slots are reserved under the lock and slept outside it, so parallel callers queue up
    instead of bursting; `defer` pushes the next slot back after a 429.
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until the next slot; returns the seconds waited."""
        with self._lock:
            now = self.clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        delay = slot - now
        if delay > 0:
            self.sleep(delay)
        return max(delay, 0.0)

    def release(self) -> None:
        """A response arrived: the next request waits a full interval from now.

        Spacing from the end as well as the start keeps the gap the *server* sees at
        1/rate even when one request was held up on the way (a slow connect, a busy
        server), at the price of the latency per page.
        """
        with self._lock:
            self._next = max(self._next, self.clock() + self.interval)

    def defer(self, seconds: float) -> None:
        """No request before `seconds` from now (the server asked us to wait)."""
        with self._lock:
            self._next = max(self._next, self.clock() + seconds)


# ---------------------------------------------------------------- redaction and archive


class Redactor:
    """Knows the secrets in play and removes them from URLs, mappings and text."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def add(self, value: str | None) -> None:
        if value and len(value) >= 4:  # tiny values would redact ordinary text
            self.secrets.add(value)

    def text(self, value: str) -> str:
        """Any secret inside free text replaced by REDACTED."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            value = value.replace(secret, REDACTED)
        return value

    def params(self, params: Mapping[str, Any], names: frozenset[str] = SECRET_PARAMS) -> dict:
        """A copy with credential-named or secret-valued entries redacted."""
        out: dict[str, Any] = {}
        for key, value in params.items():
            if key.lower() in names:
                out[key] = REDACTED
            elif isinstance(value, str):
                out[key] = self.text(value)
            else:
                out[key] = value
        return out

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return self.params(headers, SECRET_HEADERS)

    def url(self, url: str) -> str:
        """The URL with credential query parameters (and any secret value) redacted."""
        parts = urlsplit(url)
        if parts.query:
            pairs = [
                (k, REDACTED if k.lower() in SECRET_PARAMS else v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
            ]
            url = urlunsplit(parts._replace(query=urlencode(pairs)))
        return self.text(url)


class Archive:
    """A folder of verbatim responses: `<name>.<ext>` holds the body bytes as received,
    `<name>.meta.json` the redacted request, status, headers and time.

    The one exception to "verbatim": a registered secret echoed by the server (some error
    bodies repeat the key) is replaced by REDACTED and the meta says `redacted_body`.

    The meta file is written last (atomically), so its presence marks a complete page.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def save(
        self,
        name: str,
        request: Request,
        response: Response,
        redactor: Redactor,
        extra: Mapping[str, Any] | None = None,
    ) -> Path:
        """Write one response; returns the path of the body file."""
        from slr.store import write_atomic  # late: slr.store is not needed by plain fetches

        ext = _extension(request, response)
        body = self.folder / f"{name}.{ext}"
        content = response.content
        # Verbatim, except that a server echoing a key back never gets it onto disk.
        for secret in redactor.secrets:
            content = content.replace(secret.encode("utf-8"), REDACTED.encode())
        write_atomic(body, content)
        meta = {
            "url": redactor.url(response.url),
            "method": request.method,
            "params": redactor.params(dict(request.params)),
            "request_headers": redactor.headers(dict(request.headers)),
            "json": json.loads(redactor.text(json.dumps(request.json)))
            if request.json is not None
            else None,
            "status": response.status,
            "headers": {
                k: redactor.text(v)
                for k, v in response.headers.items()
                if k.lower() not in DROP_HEADERS
            },
            "time": response.time,
            "elapsed": round(response.elapsed, 3),
            "body": body.name,
            "sha256": hashlib.sha256(content).hexdigest(),
            "redacted_body": content != response.content,
            **(dict(extra) if extra else {}),
        }
        write_atomic(
            self.folder / f"{name}.meta.json",
            json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        )
        return body

    def names(self) -> list[str]:
        """The names of the complete pages, sorted."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name[: -len(".meta.json")] for p in self.folder.glob("*.meta.json"))

    def load(self, name: str) -> tuple[Response, dict[str, Any]]:
        """An archived response and its meta data, as `save` wrote them."""
        meta = json.loads((self.folder / f"{name}.meta.json").read_text("utf-8"))
        content = (self.folder / meta["body"]).read_bytes()
        headers = CaseInsensitiveDict(meta.get("headers", {}))
        response = Response(meta["url"], meta["status"], headers, content, meta.get("time", ""))
        return response, meta


def _extension(request: Request, response: Response) -> str:
    ctype = response.headers.get("Content-Type", "").lower()
    if "json" in ctype:
        return "json"
    if "xml" in ctype:
        return "xml"
    return request.expect or "txt"


# ---------------------------------------------------------------- client


class Client:
    """The shared HTTP client: one session, retries, pacing, redaction, archiving."""

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        mailto: str | None = None,
        timeout: tuple[float, float] = (10.0, 60.0),
        retries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_retry_after: float = 600.0,
        pace: float = PACE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.session = session or requests.Session()
        self.mailto = mailto if mailto is not None else contact()
        self.session.headers["User-Agent"] = user_agent(self.mailto)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.pace = pace
        self.clock, self.sleep, self.wall, self.rng = clock, sleep, wall, rng
        self.redactor = Redactor()
        self._limiters: dict[str, RateLimiter] = {}
        self._lock = threading.Lock()
        self.attempts = 0  # total HTTP attempts, for benchmarks and tests

    # -- configuration
    def add_secret(self, value: str | None) -> None:
        """Register a credential so it is redacted everywhere."""
        self.redactor.add(value)

    def limiter(self, source: str, rate: float) -> RateLimiter:
        """The one rate limiter of a source (created at the first call), `pace` x `rate`."""
        with self._lock:
            lim = self._limiters.get(source)
            if lim is None or lim.rate != rate * self.pace:
                lim = RateLimiter(rate * self.pace, self.clock, self.sleep)
                self._limiters[source] = lim
            return lim

    # -- requests
    def send(
        self,
        request: Request,
        *,
        source: str,
        rate: float | None = None,
        archive: Archive | None = None,
        name: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Response:
        """Send with pacing and retries; archive the final response when `archive` is given.

        Returns any final response, including 4xx (the source interprets error bodies);
        raises SourceError when retries are exhausted or the network is unreachable.
        """
        limiter = self.limiter(source, rate) if rate else None
        last = "no attempt"
        for attempt in range(self.retries + 1):
            if limiter:
                limiter.wait()
            self.attempts += 1
            delay: float | None = None
            try:
                try:
                    response = self._once(request)
                finally:
                    if limiter:
                        limiter.release()
            except (requests.Timeout, requests.ConnectionError) as exc:
                if _unresolvable(exc):  # no network or a wrong host: retrying will not help
                    raise SourceError(
                        self._message(
                            source,
                            request,
                            "cannot resolve the host (offline? a wrong "
                            f"SLR_{source.upper()}_URL?); --offline replays what is archived",
                        )
                    ) from None
                last = f"{type(exc).__name__}: {self.redactor.text(str(exc))[:200]}"
                response = None
            except requests.exceptions.ChunkedEncodingError:
                last = "truncated body"
                response = None
            except requests.RequestException as exc:
                raise SourceError(self._message(source, request, type(exc).__name__)) from None
            if response is not None:
                if response.status in RETRY_STATUS:
                    last = f"HTTP {response.status}"
                    delay = self._retry_after(response)
                    if delay is not None and delay > self.max_retry_after:
                        raise SourceError(
                            self._message(
                                source,
                                request,
                                f"HTTP {response.status}, server asks to wait "
                                f"{delay:.0f} s (quota exhausted?); run again later",
                            )
                        )
                elif request.expect and response.ok and not _parses(response, request.expect):
                    last = "truncated or malformed body"
                else:
                    if archive is not None:
                        archive.save(
                            name or f"{attempt:05d}", request, response, self.redactor, extra
                        )
                    return response
            if attempt == self.retries:
                break
            if delay is None:
                delay = self._backoff(attempt)
            if limiter:
                limiter.defer(delay)
            else:
                self.sleep(delay)
        raise SourceError(
            self._message(source, request, f"{last} after {self.retries + 1} attempts")
        )

    def get_json(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        source: str = "http",
        headers: Mapping[str, str] | None = None,
        rate: float | None = None,
        archive: Archive | None = None,
        name: str | None = None,
    ) -> Any:
        """GET a JSON document (retried, paced, archived); non-2xx is a SourceError."""
        request = Request(url, dict(params or {}), dict(headers or {}))
        response = self.send(request, source=source, rate=rate, archive=archive, name=name)
        if not response.ok:
            raise SourceError(self._message(source, request, f"HTTP {response.status}"))
        return response.json()

    def _once(self, request: Request) -> Response:
        started = self.clock()
        stamp = now_iso("milliseconds")
        raw = self.session.request(
            request.method,
            request.url,
            params=dict(request.params) or None,
            headers=dict(request.headers) or None,
            json=request.json,
            timeout=self.timeout,
        )
        content = raw.content  # reads the body: a truncated transfer raises here
        return Response(
            raw.url,
            raw.status_code,
            CaseInsensitiveDict(raw.headers),
            content,
            stamp,
            self.clock() - started,
        )

    def _retry_after(self, response: Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        value = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", value):
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - self.wall())

    def _backoff(self, attempt: int) -> float:
        # "Equal jitter": half fixed, half random, so retries of parallel clients spread out.
        cap = min(self.max_backoff, self.backoff * 2**attempt)
        return cap / 2 + self.rng() * cap / 2

    def _message(self, source: str, request: Request, what: str) -> str:
        return f"{source}: {what} ({self.redactor.url(_full_url(request))})"


def _full_url(request: Request) -> str:
    if not request.params:
        return request.url
    return f"{request.url}?{urlencode({k: v for k, v in request.params.items()}, doseq=True)}"


def _unresolvable(exc: Exception) -> bool:
    text = str(exc)
    return any(
        sign in text
        for sign in (
            "NameResolutionError",
            "Failed to resolve",
            "Name or service not known",
            "nodename nor servname",
            "Temporary failure in name resolution",
        )
    )


def _parses(response: Response, expect: str) -> bool:
    try:
        if expect == "json":
            json.loads(response.content.decode("utf-8"))
        elif expect == "xml":
            ElementTree.fromstring(response.content)
    except (UnicodeDecodeError, ValueError, ElementTree.ParseError):
        return False
    return True


_DEFAULT: Client | None = None


def default_client() -> Client:
    """A process-wide client, so every stage shares one session and one limiter per source."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Client()
    return _DEFAULT
