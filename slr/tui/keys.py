"""The keys of the interactive loops: defaults, and the user's keys file that overrides them.

Apart from the views because the keys are the reviewer's own (one file, independent of any
protocol or session), loaded and checked on their own before a loop starts. The file's top
level holds the screening keys; its tables `[code]` (the coding view) and `[pairs]` (the
dedupe pair review) hold the keys of the other two loops, read by `load_section`.
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
# the other loops' keys, by table of the keys file; action -> default key
SECTIONS = {
    "code": {
        "save": "s",
        "evidence": "e",
        "segment": "+",
        "quote": '"',
        "note": "n",
        "back": "b",
        "skip": "k",
        "quit": "q",
        "help": "?",
    },
    "pairs": {
        "same-work": "y",
        "same-study": "s",
        "unrelated": "n",
        "undo": "u",
        "quit": "q",
    },
}
NO_DIGITS = ("code",)  # digits are the coding view's concept keys
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
        for name, value in _read(path).items():
            if name in SECTIONS:
                continue  # another loop's keys: load_section checks them
            if name == "exclude":
                if not (isinstance(value, list) and 1 <= len(value) <= 9):
                    raise KeysError(f'{path}: exclude: give a list of 1-9 keys, e.g. ["1", "2"]')
                exclude = [_one_key(path, name, v) for v in value]
            elif name in DEFAULT_KEYS:
                names[name] = _one_key(path, name, value)
            else:
                raise KeysError(
                    f"{path}: {name}: unknown action; known: exclude, "
                    + ", ".join(ACTIONS)
                    + " and the tables "
                    + ", ".join(f"[{t}]" for t in SECTIONS)
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


def default_section(section: str) -> Keymap:
    """A loop's keys with no keys file."""
    return Keymap({key: act for act, key in SECTIONS[section].items()})


def load_section(section: str, path: Path | None = None) -> Keymap:
    """The keys of one loop (`code` or `pairs`): defaults, overridden by the file's table.

    Format: `[code]` then `save = "w"`, `quit = "x"`, ...; each action its own key.
    """
    names = dict(SECTIONS[section])
    path = path or keys_file()
    table = _read(path).get(section, {}) if path.exists() else {}
    if not isinstance(table, dict):
        raise KeysError(f"{path}: {section}: give a table [{section}] of action = key lines")
    for name, value in table.items():
        if name not in names:
            raise KeysError(
                f"{path}: {section}.{name}: unknown action; known: " + ", ".join(SECTIONS[section])
            )
        key = _one_key(path, f"{section}.{name}", value)
        if section in NO_DIGITS and key.isdigit():
            raise KeysError(
                f"{path}: {section}.{name}: digits are concept keys; give a letter or sign"
            )
        names[name] = key
    keys: dict[str, str] = {}
    for act, key in names.items():
        if key in keys:
            raise KeysError(
                f"{path}: [{section}] key {key!r} is given to both {keys[key]} and {act}; "
                "give each its own key"
            )
        keys[key] = act
    return Keymap(keys)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KeysError(f"{path}: not valid TOML ({exc}); fix or delete the file") from None


def _one_key(path: Path, name: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) != 1 or value.isspace():
        raise KeysError(f"{path}: {name}: {value!r} is not one printable character")
    return value
