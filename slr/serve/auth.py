"""Who may use `slr serve`: one-time invitations, sessions, CSRF tokens and a rate limit.

An invitation is a random token (`secrets.token_urlsafe`) printed once as a link; only its
sha256 is kept, with the sessions it was exchanged for (also as sha256 of the cookie), in
one file of this machine's slr cache (`slr.review.cache_dir()`), never in the corpus folder
and so never in git. The file is read again whenever it changes, so `slr serve --invite`
and `--revoke` take effect on a running server at once. A CSRF token is an HMAC of the
session id, so it needs no storage and no other site can know it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slr.corpus import now_iso
from slr.review import cache_dir, signature
from slr.store import write_atomic

TOKEN_BYTES = 32  # 256 bits: not guessable, so no lock-out is needed
SESSION_DAYS = 30  # a session (and its cookie) ends this long after it began


def digest(secret: str) -> str:
    """What is stored of a token or session id: its sha256, never the secret itself."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def access_file(root: Path) -> Path:
    """This review's invitations and sessions on this machine (outside the corpus)."""
    name = hashlib.sha256(str(Path(root).resolve()).encode("utf-8")).hexdigest()[:32]
    return cache_dir() / "serve" / f"{name}.json"


class Access:
    """The invitations and sessions of one review, as hashes, in `access_file(root)`."""

    def __init__(self, root: Path) -> None:
        self.path = access_file(root)
        self._seen: tuple[Any, dict[str, Any]] = (object(), {})
        self._lock = threading.Lock()

    # reading and writing -----------------------------------------------------------
    def _data(self) -> dict[str, Any]:
        """The file's content, parsed again only when it changed on disk."""
        sig = signature(self.path)
        with self._lock:
            if self._seen[0] != sig:
                self._seen = (sig, self._load())
            return self._seen[1]

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            data = {}
        data = data if isinstance(data, dict) else {}
        data.setdefault("invites", {})
        data.setdefault("sessions", {})
        return data

    @contextlib.contextmanager
    def _edit(self) -> Iterator[dict[str, Any]]:
        """Read, change and write the file under an exclusive lock (the server and the
        command that invites may write at once)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.path.with_suffix(".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._load()
            gone = [k for k, v in data["sessions"].items() if expired(v.get("created"))]
            for key in gone:  # ended sessions are forgotten at the next write
                del data["sessions"][key]
            yield data
            write_atomic(self.path, json.dumps(data, indent=1, sort_keys=True))
            os.chmod(self.path, 0o600)

    # invitations -------------------------------------------------------------------
    def invite(self, reviewer: str) -> str:
        """A new one-time token for `reviewer` (it replaces one not yet used)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self._edit() as data:
            data["invites"][digest(token)] = {"reviewer": reviewer, "created": now_iso()}
        return token

    def revoke(self, reviewer: str) -> tuple[int, int]:
        """Withdraw every unused invitation and end every session of `reviewer`:
        (invitations, sessions) withdrawn."""
        with self._edit() as data:
            counts = []
            for kind in ("invites", "sessions"):
                mine = [k for k, v in data[kind].items() if v.get("reviewer") == reviewer]
                for key in mine:
                    del data[kind][key]
                counts.append(len(mine))
        return counts[0], counts[1]

    def invited(self, token: str) -> str | None:
        """The reviewer an unused token invites, else None (unknown, used or revoked)."""
        entry = self._data()["invites"].get(digest(token))
        return str(entry["reviewer"]) if entry else None

    def exchange(self, token: str) -> tuple[str, str] | None:
        """Spend a token: (reviewer, new session id), or None when it is not (or no longer)
        valid. A token is spent once, under the file lock, so two clicks get one session."""
        with self._edit() as data:
            entry = data["invites"].pop(digest(token), None)
            if entry is None:
                return None
            sid = secrets.token_urlsafe(TOKEN_BYTES)
            data["sessions"][digest(sid)] = {"reviewer": entry["reviewer"], "created": now_iso()}
        return str(entry["reviewer"]), sid

    # sessions ----------------------------------------------------------------------
    def start(self, reviewer: str) -> str:
        """A session without a token (loopback, a local reviewer picking their name)."""
        sid = secrets.token_urlsafe(TOKEN_BYTES)
        with self._edit() as data:
            entry = {"reviewer": reviewer, "created": now_iso(), "local": True}
            data["sessions"][digest(sid)] = entry
        return sid

    def reviewer_of(self, sid: str | None, local: bool = True) -> str | None:
        """The reviewer of a session cookie, else None (unknown or revoked; or begun without
        a token, on loopback, when `local` is False)."""
        if not sid or len(sid) > 200:
            return None
        entry = self._data()["sessions"].get(digest(sid))
        if not entry or (entry.get("local") and not local) or expired(entry.get("created")):
            return None
        return str(entry["reviewer"])

    def end(self, sid: str) -> None:
        """Log out: the session id is forgotten."""
        with self._edit() as data:
            data["sessions"].pop(digest(sid), None)

    def listing(self) -> dict[str, dict[str, int]]:
        """reviewer -> {"invites": n, "sessions": n}: what `slr serve --list` shows."""
        out: dict[str, dict[str, int]] = {}
        for kind in ("invites", "sessions"):
            for entry in self._data()[kind].values():
                row = out.setdefault(str(entry.get("reviewer")), {"invites": 0, "sessions": 0})
                row[kind] += 1
        return out


def expired(created: Any) -> bool:
    """A session begun more than SESSION_DAYS ago (or at a time that does not read): a
    cookie copied off a machine stops working in the end, revoked or not."""
    try:
        began = datetime.fromisoformat(str(created).replace("Z", "+00:00"))
    except ValueError:
        return True
    if began.tzinfo is None:
        return True
    return datetime.now(UTC) - began > timedelta(days=SESSION_DAYS)


def csrf_token(sid: str) -> str:
    """The CSRF token of a session: an HMAC of its (secret, HttpOnly) id."""
    return hmac.new(sid.encode("utf-8"), b"slr-serve csrf", hashlib.sha256).hexdigest()[:40]


def csrf_ok(sid: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(sid), str(given))


class RateLimit:
    """A token bucket per key (a session, or an address before login): `rate` requests a
    second on average, bursts of `burst`. rate <= 0 turns it off."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, max(burst, 1)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        if self.rate <= 0:
            return True
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > 10_000:  # forget full buckets: they behave as new ones
                full = [k for k, (t, _) in self._buckets.items() if t >= self.burst - 1]
                for k in full:
                    del self._buckets[k]
            return True
