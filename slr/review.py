"""A review = its protocol plus its corpus folder; what every stage function receives.

Besides the in-process read cache (`Review.cached`), a review of some size keeps a small
cache of facts about its files on this machine (`LocalCache`: file hashes, the last
`slr dedupe`'s inputs, the last `slr status`), outside the corpus folder, so never in git:
`$SLR_CACHE_DIR`, else `$XDG_CACHE_HOME/slr`, else `~/.cache/slr`. Every entry is checked
against the files' contents (sha256) before it is used, so a stale entry is only a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from slr import protocol as protocol_mod
from slr.protocol import Protocol
from slr.store import Store, read_entries, write_atomic

T = TypeVar("T")
Signature = tuple[int, int, int, int] | None


def signature(path: Path) -> Signature:
    """What changes whenever a file's bytes do: an append grows it, an atomic replace is a
    new inode, an edit moves its times (None: no such file)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


# Below this size (bytes of a file, or of a review's files) recomputing is cheaper than
# keeping anything in the local cache: small reviews (the demo, the tests) never write one.
LOCAL_CACHE_MIN_BYTES = 4 << 20
# A file changed this recently may change again within one tick of its time stamp without
# its signature moving ("racy git"): its hash is not kept by signature.
RACY_NS = 3_000_000_000  # FAT/exFAT and some network mounts tick in 2 s


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes ("" if it does not exist)."""
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except FileNotFoundError:
        return ""


def cache_dir() -> Path:
    """Where this machine keeps slr's local caches (see the module docstring)."""
    env = os.environ.get("SLR_CACHE_DIR")
    if env:
        return Path(env).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative value is ignored (never the repo)
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "slr"


class LocalCache:
    """Facts about one corpus folder on this machine, in one JSON file outside the folder.

    Losing it costs only time; a file that cannot be read or written is ignored.
    """

    def __init__(self, root: Path) -> None:
        name = hashlib.sha256(str(Path(root).resolve()).encode("utf-8")).hexdigest()[:32]
        self.path = cache_dir() / f"{name}.json"
        self._data: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            try:
                data = json.loads(self.path.read_text("utf-8"))
            except (OSError, ValueError):
                data = {}
            self._data = data if isinstance(data, dict) else {}
        return self._data

    def get(self, key: str) -> Any:
        return self._load().get(key)

    def put(self, key: str, value: Any) -> None:
        data = self._load()
        data[key] = value
        with contextlib.suppress(Exception):  # a read-only home or a full disk: no cache
            write_atomic(self.path, json.dumps(data, separators=(",", ":")))


if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Review:
    """The protocol and the corpus folder, with a cache of what was read from that folder.

    A state file is parsed once for as long as it is unchanged on disk (`cached`), so the
    stages of one command (PRISMA, matrix, report, status) share one read of each file.
    """

    protocol: Protocol
    store: Store
    _cache: dict[tuple[Path, str], tuple[Signature, Any]] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )
    _derived: dict[str, tuple[tuple[Signature, ...], Any]] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )

    @property
    def id(self) -> str:
        return self.protocol.id

    def cached(self, path: Path, key: str, load: Callable[[], T]) -> T:
        """`load()` (which reads `path`), or its result of an earlier call if the file is unchanged."""
        sig = signature(path)
        hit = self._cache.get((path, key))
        if hit is not None and hit[0] == sig:
            return hit[1]  # type: ignore[no-any-return]
        value = load()
        self._cache[(path, key)] = (sig, value)
        return value

    def derived(self, key: str, paths: Sequence[Path], load: Callable[[], T]) -> T:
        """`load()` (a value computed from the files `paths`, e.g. the stage states from the
        works and every decision log), or its result of an earlier call if none changed."""
        sig = tuple(signature(p) for p in paths)
        hit = self._derived.get(key)
        if hit is not None and hit[0] == sig:
            return hit[1]  # type: ignore[no-any-return]
        value = load()
        self._derived[key] = (sig, value)
        return value

    def entries(self, path: Path, convert: Callable[[dict[str, Any]], T], what: str) -> list[T]:
        """`read_entries(path, convert, what)` read once while the file is unchanged (a fresh
        list each call: the caller may change it)."""
        return list(self.cached(path, what, lambda: tuple(read_entries(path, convert, what))))

    def local(self) -> LocalCache:
        """This review's cache on this machine (see the module docstring)."""
        key = (self.store.root, "local cache")
        if key not in self._cache:
            self._cache[key] = (None, LocalCache(self.store.root))
        return self._cache[key][1]  # type: ignore[no-any-return]

    def sha256(self, path: Path, keep_from: int = LOCAL_CACHE_MIN_BYTES) -> str:
        """sha256 of a file ("" if absent), hashed once per change: the hash of a file of at
        least `keep_from` bytes is kept in the local cache under its signature, so an
        unchanged file is not read again."""
        return self.cached(path, "sha256", lambda: self._sha256(path, keep_from))

    def _sha256(self, path: Path, keep_from: int) -> str:
        sig = signature(path)
        if sig is None or sig[1] < keep_from:
            return file_sha256(path)
        where = str(path.resolve())
        memo = self.local().get("sha256") or {}
        hit = memo.get(where)
        if isinstance(hit, list) and tuple(hit[:4]) == sig:
            return str(hit[4])
        start = time.time_ns()
        sha = file_sha256(path)
        if max(sig[2], sig[3]) < start - RACY_NS and signature(path) == sig:
            memo = {k: v for k, v in memo.items() if os.path.exists(k)}  # files gone: forget
            memo[where] = [*sig, sha]
            self.local().put("sha256", memo)
        return sha

    # ---------------------------------------------------------------- DataFrames (slr.frames)
    # pandas is imported here, on first use, so that `import slr` and the CLI stay fast.

    def records_frame(self) -> pd.DataFrame:
        """One row per stored record; see `slr.frames.records_frame`."""
        from slr.frames import records_frame

        return records_frame(self)

    def works_frame(self) -> pd.DataFrame:
        """One row per de-duplicated work; see `slr.frames.works_frame`."""
        from slr.frames import works_frame

        return works_frame(self)

    def decisions_frame(self) -> pd.DataFrame:
        """One row per decision line of every log, notes left out; see `slr.frames`."""
        from slr.frames import decisions_frame

        return decisions_frame(self)


def open_review(
    protocol_path: str | Path | None = None, corpus: str | Path | None = None
) -> Review:
    """Load the protocol (default: the only file in ./protocols) and its corpus folder."""
    proto = protocol_mod.load(protocol_mod.find(protocol_path))
    root = Path(corpus) if corpus else protocol_mod.corpus_dir(proto)
    return Review(proto, Store(root))
