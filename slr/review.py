"""A review = its protocol plus its corpus folder; what every stage function receives."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from slr import protocol as protocol_mod
from slr.protocol import Protocol
from slr.store import Store


@dataclass(frozen=True)
class Review:
    protocol: Protocol
    store: Store

    @property
    def id(self) -> str:
        return self.protocol.id


def open_review(
    protocol_path: str | Path | None = None, corpus: str | Path | None = None
) -> Review:
    """Load the protocol (default: the only file in ./protocols) and its corpus folder."""
    proto = protocol_mod.load(protocol_mod.find(protocol_path))
    root = Path(corpus) if corpus else protocol_mod.corpus_dir(proto)
    return Review(proto, Store(root))
