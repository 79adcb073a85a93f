"""The screening sessions behind the browser: one `Session` per reviewer log, stage and
order, each used under the lock of its log, so two tabs of one reviewer take turns.

A request says which work it decides and the decision it saw on it (a stamp, or none):
a decision on a work whose standing decision is not the one seen is refused, so a second
tab, a double click or a page brought back by the Back button never writes a second
decision; a change is a decision made while the page showed the one it replaces.

The files a session was opened from are watched (their signatures): when another process
(a terminal session of the same reviewer, `slr fulltext attach`, a search) changes one,
the session is opened again before the next page, so the page is true of the disk. The
server's own appends are recognised (exactly one new line) and cost no re-opening.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from slr.decisions import STAGES, log_names
from slr.errors import SlrError
from slr.review import Review, Signature, signature
from slr.screen.session import Session, describe, open_resolution, open_session, ordering
from slr.screen.state import RESOLVED_REVIEWER

ORDERS = ("protocol", "random", "ranked")
METHODS = ("consensus", "third-reviewer")
DECIDING = ("include", "maybe", "exclude", "not-retrieved")
ACTIONS = (*DECIDING, "skip", "note", "undo", "back")
NOTE_LIMIT = 4000  # characters of one note


@dataclass(frozen=True)
class Act:
    """One POST of the screening page: what the reviewer did, on which work, having seen
    which decision on it (`seen`, "" for none) and which latest decision (`last`, for undo)."""

    action: str
    work: str = ""
    seen: str = ""
    last: str = ""
    criterion: int = 0  # 1-9 with `exclude`
    text: str = ""  # a note


def stamp(session: Session, work_id: str) -> str:
    """Names the reviewer's standing decision on a work ("" for none): any new decision,
    change or undo on it gives another stamp."""
    stack = session.stacks.get(work_id)
    if not stack:
        return ""
    d = stack[-1]
    raw = json.dumps([len(stack), d.time, d.decision, list(d.criteria)])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def last_stamp(session: Session) -> str:
    """Names the decision `undo` would withdraw now ("" when there is none)."""
    for wid in reversed(session.history):
        if session.stacks.get(wid):
            return f"{wid}:{stamp(session, wid)}"
    return ""


class Desk:
    """A session kept in memory and re-opened when the files it was opened from change.

    `written` are the files this desk appends to (its own log; at full text also the
    retrieval log); `watch` lists every file whose change means re-opening.
    """

    def __init__(
        self,
        opener: Callable[[], Session],
        watch: Callable[[], Sequence[Path]],
        written: Sequence[Path],
        lock: threading.Lock,
    ) -> None:
        self.opener, self.watch, self.written, self.lock = opener, watch, list(written), lock
        self.session: Session | None = None
        self.paths: list[Path] = []
        self.sigs: list[Signature] = []
        self.opened = 0  # how often the session was (re)opened: 1 while nothing else wrote

    def sync(self) -> Session:
        """The session, opened again first if a watched file changed. Call under `lock`."""
        if self.session is not None and [signature(p) for p in self.paths] == self.sigs:
            return self.session
        paths = list(self.watch())
        sigs = [signature(p) for p in paths]  # before reading: a change while opening shows
        old, self.session = self.session, self.opener()
        self.paths, self.sigs = paths, sigs
        self.opened += 1
        if old is not None:
            _carry_over(old, self.session)
        return self.session

    def _own_write(self) -> None:
        """After an action: adopt the new signatures when each change is one appended line
        of a file this desk writes; anything else (another writer between) re-opens."""
        for i, path in enumerate(self.paths):
            before, after = self.sigs[i], signature(path)
            if after == before:
                continue
            if path in self.written and _one_line_added(path, before, after):
                self.sigs[i] = after
            else:
                return  # leave the stale signature: the next sync re-opens

    def apply(self, act: Act) -> str:
        """Carry out one POST; the message to show with the next page ("" for none)."""
        with self.lock:
            session = self.sync()
            try:
                return self._apply(session, act)
            except SlrError as exc:
                return str(exc)
            finally:
                self._own_write()

    def _apply(self, s: Session, act: Act) -> str:
        if act.action not in ACTIONS:
            return f"unknown action {act.action!r}"
        if act.action == "note" or not act.text.strip():
            return self._act(s, act)
        # a note typed in the field, then a decision clicked: the note is the reviewer's
        # words, saved first, whatever becomes of the decision
        here = s.index
        saved = self._note(s, act)
        if act.work in s.position:
            s.index = here
        return "; ".join(m for m in (saved, self._act(s, act)) if m)

    def _note(self, s: Session, act: Act) -> str:
        if act.work not in s.position:
            return "note not saved: that work is not in this queue (any more)"
        if len(act.text) > NOTE_LIMIT:  # never cut silently: the reviewer is told
            return (
                f"note not saved: it has {len(act.text)} characters, at most {NOTE_LIMIT} "
                "fit; shorten it, or split it into several notes"
            )
        s.index = s.position[act.work]
        return "note saved" if s.note(act.text) else "an empty note is not saved"

    def _act(self, s: Session, act: Act) -> str:
        if act.action == "undo":
            if act.last != last_stamp(s):
                return "nothing undone: your latest decision changed since this page was shown"
            undone = s.undo()
            return (
                f"undone: {describe(undone)} on {undone.work_id}" if undone else "nothing to undo"
            )
        if act.action == "back":
            if act.work in s.position:
                s.index = s.position[act.work]
            s.back()
            return ""
        if act.work not in s.position:
            return "that work is not in this queue (any more); here is the next one"
        if act.action == "skip":
            if s.current is not None and s.current.work_id == act.work:
                s.skip()
            return ""
        if act.action == "note":
            return self._note(s, act)
        now = stamp(s, act.work)
        if now != act.seen:
            mine = s.decision_on(act.work)
            told = describe(mine) if mine else "no decision"
            return (
                f"nothing written: {act.work} now has your decision {told}, not the one this "
                "page showed (another tab, or a page from Back?); b goes back to it to change it"
            )
        s.index = s.position[act.work]
        if act.action == "not-retrieved":
            s.mark_not_retrieved()
            return f"{act.work}: not retrieved (fulltext.jsonl); attaching its PDF brings it back"
        if act.action == "exclude":
            if not 1 <= act.criterion <= len(s.criteria):
                return f"no exclusion criterion {act.criterion}: the protocol has {len(s.criteria)}"
            s.decide("exclude", (s.criteria[act.criterion - 1],))
        else:
            s.decide(act.action)
        return f"changed: {act.work} is now {describe(s.decision_on(act.work))}" if now else ""  # type: ignore[arg-type]

    def view(self, render: Callable[[Session], str]) -> str:
        """A page of the session as it is on disk now (rendered under the lock)."""
        with self.lock:
            return render(self.sync())


def _one_line_added(path: Path, before: Signature, after: Signature) -> bool:
    """The file grew by one line (and is the same file; or was made with that one line)."""
    if after is None or (before is not None and before[0] != after[0]):
        return False
    start = 0 if before is None else before[1]
    if after[1] <= start:
        return False
    with open(path, "rb") as fh:
        fh.seek(start)
        added = fh.read(after[1] - start)
    return added.count(b"\n") == 1 and added.endswith(b"\n")


def _carry_over(old: Session, new: Session) -> None:
    """Keep where the reviewer was (the work on screen, the skipped ones) across a re-open,
    unless the work on screen was decided elsewhere meanwhile: then the next one shows."""
    new.skipped = {w for w in old.skipped if w in new.position and not new.is_decided(w)}
    work = old.current
    if work is not None and work.work_id in new.position:
        if stamp(old, work.work_id) == stamp(new, work.work_id):
            new.index = new.position[work.work_id]


class Desks:
    """The desks of the server, made on first use, and one lock per log file.

    At most `keep` desks stay in memory (each holds its stage's works): the one used
    longest ago goes first, and is opened again from disk if asked for again.
    """

    def __init__(self, review: Review, keep: int = 24) -> None:
        self.review, self.keep = review, keep
        self._desks: OrderedDict[tuple[str, ...], Desk] = OrderedDict()
        self._locks: dict[Path, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, log: Path) -> threading.Lock:
        return self._locks.setdefault(log, threading.Lock())

    def screen(self, reviewer: str, stage: str, order: str, seed: int | None) -> Desk:
        """The desk of `slr screen --reviewer R --stage S --order O [--seed N]`."""
        key = ("screen", reviewer, stage, order, str(seed))
        review, store = self.review, self.review.store
        log = store.decisions_file(reviewer)

        def opener() -> Session:
            order_fn = ordering(order, review, stage, reviewer, seed)
            return open_session(review, reviewer, stage, order_fn)

        def watch() -> list[Path]:
            paths = [log, store.works_file]
            if stage == STAGES[1]:  # the pool follows every title-abstract log and retrieval
                paths += [store.decisions_dir, store.fulltext_file]
                paths += [store.decisions_file(n) for n in log_names(review) if n != reviewer]
            return paths

        written = [log, store.fulltext_file] if stage == STAGES[1] else [log]
        return self._get(key, lambda: Desk(opener, watch, written, self._lock(log)))

    def resolution(self, resolver: str, stage: str, method: str) -> Desk:
        """The desk of `slr resolve --stage S --method M --reviewer R`."""
        key = ("resolve", resolver, stage, method)
        review, store = self.review, self.review.store
        log = store.decisions_file(RESOLVED_REVIEWER)

        def opener() -> Session:
            return open_resolution(review, stage, resolver, method)

        def watch() -> list[Path]:
            names = [n for n in log_names(review) if n != RESOLVED_REVIEWER]
            paths = [log, store.works_file, store.decisions_dir, store.fulltext_file]
            return paths + [store.decisions_file(n) for n in names]

        return self._get(key, lambda: Desk(opener, watch, [log], self._lock(log)))

    def _get(self, key: tuple[str, ...], make: Callable[[], Desk]) -> Desk:
        with self._guard:
            desk = self._desks.get(key)
            if desk is None:
                desk = self._desks[key] = make()
                while len(self._desks) > self.keep:
                    self._desks.popitem(last=False)
            self._desks.move_to_end(key)
            return desk
