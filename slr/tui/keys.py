"""The keys of the screening view: defaults, and the user's keys file that overrides them.

Apart from the view because the keys are the reviewer's own (one file, independent of any
protocol or session), loaded and checked on their own before the view starts.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slr.errors import SlrError

ACTIONS = (
    "include",
    "maybe",
    "not-retrieved",
    "search",
    "next-hit",
    "open",
    "skip",
    "note",
    "undo",
    "back",
    "help",
    "quit",
)
FULL_TEXT_ONLY = ("not-retrieved", "search", "next-hit", "open")  # shown at full text only
DEFAULT_KEYS = {
    "include": "i",
    "maybe": "m",
    "not-retrieved": "r",
    "search": "/",
    "next-hit": ".",
    "open": "o",
    "skip": "s",
    "note": "n",
    "undo": "u",
    "back": "b",
    "help": "?",
    "quit": "q",
}
LABELS = {
    "not-retrieved": "not retrieved",
    "search": "search text",
    "next-hit": "next hit",
    "open": "open PDF",
}


class KeysError(SlrError):
    """The key configuration file is invalid."""


@dataclass(frozen=True)
class Keymap:
    """Key -> action; `exclude:N` excludes with the N-th exclusion criterion (EC<N>)."""

    keys: dict[str, str] = field(default_factory=dict)

    def action(self, key: str) -> str | None:
        return self.keys.get(key)

    def key_for(self, action: str) -> str | None:
        for key, act in self.keys.items():
            if act == action:
                return key
        return None


def keys_file() -> Path:
    """$SLR_KEYS, else $XDG_CONFIG_HOME/slr/keys.toml, else ~/.config/slr/keys.toml."""
    if os.environ.get("SLR_KEYS"):
        return Path(os.environ["SLR_KEYS"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "slr" / "keys.toml"


def load_keymap(path: Path | None = None) -> Keymap:
    """The default keys, overridden by the keys file when it exists (independent of protocols).

    Format: `include = "y"`, `quit = "x"`, ..., and `exclude = ["1", "2", ...]` for EC1, EC2...
    """
    names = dict(DEFAULT_KEYS)
    exclude = list("123456789")
    path = path or keys_file()
    if path.exists():
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise KeysError(f"{path}: not valid TOML ({exc}); fix or delete the file") from None
        for name, value in data.items():
            if name == "exclude":
                if not (isinstance(value, list) and 1 <= len(value) <= 9):
                    raise KeysError(f'{path}: exclude: give a list of 1-9 keys, e.g. ["1", "2"]')
                exclude = [_one_key(path, name, v) for v in value]
            elif name in DEFAULT_KEYS:
                names[name] = _one_key(path, name, value)
            else:
                raise KeysError(
                    f"{path}: {name}: unknown action; known: exclude, " + ", ".join(ACTIONS)
                )
    keys: dict[str, str] = {}
    pairs = [(k, a) for a, k in names.items()] + [
        (k, f"exclude:{i}") for i, k in enumerate(exclude, start=1)
    ]
    for key, act in pairs:
        if key in keys:
            raise KeysError(
                f"{path}: key {key!r} is given to both {keys[key]} and {act}; give each its own key"
            )
        keys[key] = act
    return Keymap(keys)


def _one_key(path: Path, name: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) != 1 or value.isspace():
        raise KeysError(f"{path}: {name}: {value!r} is not one printable character")
    return value
