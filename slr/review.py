"""A review = its protocol plus its corpus folder; what every stage function receives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from slr import protocol as protocol_mod
from slr.protocol import Protocol
from slr.store import Store

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Review:
    protocol: Protocol
    store: Store

    @property
    def id(self) -> str:
        return self.protocol.id

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
