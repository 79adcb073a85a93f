"""A review = its protocol plus its corpus folder; what every stage function receives."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from slr import protocol as protocol_mod
from slr.protocol import Protocol
from slr.store import Store, read_entries

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

    def entries(self, path: Path, convert: Callable[[dict[str, Any]], T], what: str) -> list[T]:
        """`read_entries(path, convert, what)` read once while the file is unchanged (a fresh
        list each call: the caller may change it)."""
        return list(self.cached(path, what, lambda: tuple(read_entries(path, convert, what))))

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
