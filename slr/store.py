"""The corpus store: a review's state as plain files under `corpus/<review-id>/`.

Layout (each stage owns its files; all are text that diffs well in git):

    slr-state.json        format version
    raw/                  verbatim downloads and imported files, never modified
    records.jsonl         normalised records of every source, import and snowball round
    searchlog.jsonl       one line per search run or import (PRISMA-S)
    works.jsonl           de-duplicated works (rewritten atomically by `slr dedupe`)
    dedupe-state.json     settings, unanswered grey pairs and a fingerprint of works.jsonl
    .gitattributes        `merge=union` for all of these, so clones of a review merge cleanly
    .gitignore            `fulltext/*.pdf`: full-text PDFs stay out of git (copyright)
    decisions/<who>.jsonl screening decisions, one log per reviewer, append-only
    coding/<who>.jsonl    concept codings, one log per coder, append-only
    extraction/<who>.jsonl extracted data values, one log per coder (+ consensus), append-only
    quality/<who>.jsonl   quality-assessment answers, one log per coder, append-only
    quality-consensus.jsonl  answers settled where two quality coders differ
    assignment.jsonl      `slr assign`: a line per run (seed, reviewers, mode), then its shares, append-only
    calibration.jsonl     `slr calibrate`: calibration samples and forced starts, append-only

Appends are flushed and fsynced at once. A torn last line (a crash mid-write) is reported
and skipped by readers; the next append moves it to `<file>.torn` before writing, so the
fragment is neither lost nor glued to the next line. Replacements are atomic and skipped
when the bytes are unchanged.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from slr.errors import StoreError

FORMAT_VERSION = 1
_UMASK = os.umask(0)
os.umask(_UMASK)
STATE_FILE = "slr-state.json"
DEDUPE_STATE_FILE = "dedupe-state.json"
# How git merges a review that several people work on in their own clones (`git merge`,
# `git pull`): the logs only ever grow, so a merge keeps the lines of both sides in any
# order; derived files are merged the same way and the next slr command rebuilds them
# when a merge left them stale (a fingerprint of works.jsonl sits in dedupe-state.json).
GITATTRIBUTES = """\
# Written by slr: merging two clones of this review never conflicts (README: teams).
# Logs (records, search log, decisions, codings, answers) only grow: keep both sides' lines.
*.jsonl merge=union
*.torn merge=union
# Derived from the logs: the next slr command rebuilds them when a merge left them stale.
dedupe-state.json merge=union
slr-state.json merge=union
"""
# Full-text PDFs are the publishers' or authors' copyright: kept on disk, out of git.
GITIGNORE = """\
# Written by slr: full-text PDFs stay out of git (copyright); fulltext.jsonl is committed.
fulltext/*.pdf
"""
T = TypeVar("T")


class TornLineWarning(UserWarning):
    """The last line of a JSONL file was cut short by a crash."""


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=False, separators=(",", ":"))


def _repair_tail(path: Path) -> None:
    """Move an unterminated last line aside so the next append starts on a fresh line."""
    with open(path, "rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        # find the start of the last line
        block = min(size, 1 << 20)
        fh.seek(size - block)
        tail = fh.read(block)
        cut = tail.rfind(b"\n") + 1
        start = size - block + cut
        fragment = tail[cut:]
        try:
            json.loads(fragment.decode("utf-8"))
            fh.seek(0, os.SEEK_END)
            fh.write(b"\n")  # a complete object that only lacked its newline: keep it
            return
        except (UnicodeDecodeError, json.JSONDecodeError):
            pass
        with open(str(path) + ".torn", "ab") as torn:
            torn.write(fragment + b"\n")
            torn.flush()
            os.fsync(torn.fileno())
        fh.truncate(start)
        fh.flush()
        os.fsync(fh.fileno())


def has_torn_tail(path: Path) -> bool:
    """True when the last line was cut short by a crash: what readers skip with a warning."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            block = min(size, 1 << 20)
            fh.seek(size - block)
            tail = fh.read(block)
    except OSError:
        return False
    fragment = tail[tail.rfind(b"\n") + 1 :]
    if not fragment.strip():
        return False
    try:
        json.loads(fragment.decode("utf-8"))
        return False  # a complete object that only lacks its newline: read as it is
    except (UnicodeDecodeError, json.JSONDecodeError):
        return True


def append_jsonl(path: Path, *objs: Any) -> None:
    """Append objects as JSON lines and fsync before returning: on disk the moment it is made."""
    data = "".join(_dumps(o) + "\n" for o in objs).encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            _repair_tail(path)
        with open(path, "ab") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Read a JSONL file; a torn last line warns and is skipped, a bad middle line is an error."""
    for _, obj in read_numbered(path):
        yield obj


_REQUIRED: Any = object()


def field_of(
    data: dict[str, Any],
    name: str,
    kind: type,
    default: Any = _REQUIRED,
    choices: tuple[str, ...] = (),
) -> Any:
    """data[name] checked for a hand-edited file: the error names the field and what it takes.

    A bool is not accepted as a number; `kind=list` means a list of strings (returned as a
    tuple); `choices` limits a string to a vocabulary.
    """
    if name not in data:
        if default is _REQUIRED:
            raise KeyError(name)
        return default
    value = data[name]
    if kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TypeError(f"field {name!r} must be a list of strings, got {value!r}")
        return tuple(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        words = {str: "a string", bool: "true or false", dict: "an object"}.get(kind, kind.__name__)
        raise TypeError(f"field {name!r} must be {words}, got {value!r}")
    if choices and value not in choices:
        raise ValueError(f"field {name!r} must be one of {', '.join(choices)}, got {value!r}")
    return value


def read_entries(path: Path, convert: Callable[[dict[str, Any]], T], what: str) -> list[T]:
    """Read and convert every line; a line missing a field is a StoreError naming file:line."""
    out = []
    for number, data in read_numbered(path):
        try:
            out.append(convert(data))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            why = f"no {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
            raise StoreError(
                f"{path}:{number}: not a valid {what} ({why}); "
                "fix or remove that line (the file is plain text)"
            ) from None
    return out


def read_numbered(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of each line of a JSONL file, as `read_jsonl` reads them."""
    if not path.exists():
        return
    with open(path, "rb") as fh:
        lines = fh.read().split(b"\n")
    last = len(lines) - 1
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if number - 1 == last:  # no newline after it: the write was interrupted
                warnings.warn(
                    f"{path}:{number}: incomplete last line (interrupted write) skipped; "
                    f"it is kept in {path.name}.torn on the next write",
                    TornLineWarning,
                    stacklevel=2,
                )
                return
            raise StoreError(
                f"{path}:{number}: not valid JSON ({exc.__class__.__name__}); "
                "fix or remove that line (the file is plain text)"
            ) from None
        if not isinstance(obj, dict):  # every slr log holds one object per line
            raise StoreError(
                f"{path}:{number}: not a JSON object; fix or remove that line (the file is plain text)"
            )
        yield number, obj


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace a file atomically: temporary file in the same folder, fsync, rename.

    A file that already holds these bytes is left alone (not even its time changes), so a
    command with nothing new to do leaves the repository clean.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if _holds(path, payload):
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; files in a repo follow the umask
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise


def _holds(path: Path, payload: bytes) -> bool:
    """The file exists and its bytes are exactly `payload`."""
    try:
        if path.stat().st_size != len(payload):
            return False
        with open(path, "rb") as fh:
            return fh.read() == payload
    except OSError:
        return False


def _cannot_write(path: Path, exc: OSError) -> StoreError:
    """A write the machine refused (no such folder, permissions, disk full), named as such."""
    return StoreError(
        f"{path}: cannot write ({exc.strerror or exc}); check that its folder exists and is "
        "writable and that the disk has room"
    )


def write_jsonl_atomic(path: Path, objs: Any) -> None:
    """Replace a whole JSONL file atomically."""
    write_atomic(path, "".join(_dumps(o) + "\n" for o in objs))


class Store:
    """The folder of one review; creates and checks its format version."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # paths --------------------------------------------------------------
    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def records_file(self) -> Path:
        return self.root / "records.jsonl"

    @property
    def searchlog_file(self) -> Path:
        return self.root / "searchlog.jsonl"

    @property
    def works_file(self) -> Path:
        return self.root / "works.jsonl"

    @property
    def studies_file(self) -> Path:
        return self.root / "studies.jsonl"

    @property
    def dedupe_state_file(self) -> Path:
        """Derived (rebuilt by `slr dedupe`), with a fingerprint of what it was built from."""
        return self.root / DEDUPE_STATE_FILE

    @property
    def answers_file(self) -> Path:
        """The grey-zone answers of `slr dedupe --review` (human state)."""
        return self.root / "dedupe-answers.jsonl"

    @property
    def labels_file(self) -> Path:
        """Published row labels of the concept matrix (human state)."""
        return self.root / "labels.jsonl"

    @property
    def decisions_dir(self) -> Path:
        return self.root / "decisions"

    @property
    def coding_dir(self) -> Path:
        return self.root / "coding"

    @property
    def extraction_dir(self) -> Path:
        """`extraction/<coder>.jsonl`: extracted data, one log per coder (and `consensus`)."""
        return self.root / "extraction"

    @property
    def fulltext_dir(self) -> Path:
        return self.root / "fulltext"

    @property
    def fulltext_file(self) -> Path:
        return self.root / "fulltext.jsonl"

    @property
    def quality_dir(self) -> Path:
        """Quality-assessment answers, one append-only log per coder (human state)."""
        return self.root / "quality"

    @property
    def quality_consensus_file(self) -> Path:
        """Answers settled by `slr quality --reconcile` where two coders differ (human state)."""
        return self.root / "quality-consensus.jsonl"

    @property
    def documents_dir(self) -> Path:
        """The text of added documents (interviews, reports): not search records."""
        return self.root / "documents"

    @property
    def documents_file(self) -> Path:
        """One line per added document (slr.documents)."""
        return self.root / "documents.jsonl"

    @property
    def snowball_dir(self) -> Path:
        return self.root / "snowball"

    @property
    def assignment_file(self) -> Path:
        """`slr assign`: a line per run (seed, reviewers, mode) and per work (its reviewers)."""
        return self.root / "assignment.jsonl"

    @property
    def calibration_file(self) -> Path:
        """`slr calibrate`: a line per calibration sample and per forced start of screening."""
        return self.root / "calibration.jsonl"

    def decisions_file(self, reviewer: str) -> Path:
        return self.decisions_dir / f"{_safe_name(reviewer)}.jsonl"

    def coding_file(self, coder: str) -> Path:
        return self.coding_dir / f"{_safe_name(coder)}.jsonl"

    def quality_file(self, coder: str) -> Path:
        return self.quality_dir / f"{_safe_name(coder)}.jsonl"

    def unresolved_file(self, number: int) -> Path:
        """The references snowball round `number` could not resolve, as CSV."""
        return self.snowball_dir / f"round-{number:02d}-unresolved.csv"

    def human_state(self) -> tuple[Path, ...]:
        """What people wrote (decisions, coding, labels, grey-zone answers): never derived."""
        return (self.decisions_dir, self.coding_dir, self.labels_file, self.answers_file)

    # state ----------------------------------------------------------------
    def ensure(self) -> Store:
        """Create the folder on first use and refuse state written by a newer slr."""
        state = self.root / STATE_FILE
        if state.exists():
            try:
                version = json.loads(state.read_text("utf-8"))["format"]
                if not isinstance(version, int):  # "1" would fail the comparison below
                    raise TypeError(version)
            except (ValueError, KeyError, TypeError):
                raise StoreError(
                    f"{state}: unreadable state file; restore it from git "
                    f'or write {{"format": {FORMAT_VERSION}}}'
                ) from None
            if version > FORMAT_VERSION:
                raise StoreError(
                    f"{state}: format {version} is newer than this slr understands "
                    f"({FORMAT_VERSION}); upgrade slr"
                )
        else:
            write_atomic(state, json.dumps({"format": FORMAT_VERSION}) + "\n")
        attributes = self.root / ".gitattributes"
        if not attributes.exists():  # never over a file the team wrote themselves
            write_atomic(attributes, GITATTRIBUTES)
        ignore = self.root / ".gitignore"
        if not ignore.exists():  # the same: a team's own .gitignore is left alone
            write_atomic(ignore, GITIGNORE)
        return self

    def iter_records(self) -> Iterator[dict[str, Any]]:
        return read_jsonl(self.records_file)

    def record_ids(self) -> set[str]:
        return {r["id"] for r in self.iter_records()}


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name.strip())
    if not cleaned or cleaned.startswith("."):
        raise StoreError(f"invalid name {name!r}: use letters, digits, '-', '_' or '.'")
    return cleaned
