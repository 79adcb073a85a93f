"""Interactive coding (`slr code`): one study at a time, a key per concept, evidence prompts.

In a terminal every key acts at once (digits 1-9, 0, then letters toggle concepts). Without
a TTY the same commands are read as lines, so sessions can be scripted: numbers toggle
concepts (`1 3 10`), an empty line or `s` saves and moves on. Concepts whose keywords
occur in the study are pre-marked as suggestions `(✓)` until the coder saves or toggles
them. A study's codings are appended and fsynced when the coder saves it (`s`/Enter) or
leaves it (`b`, `q`, end of input) after changing something, so a killed session loses at
most the study on screen; a restart resumes at the first study with an uncoded concept.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

import click

from slr.coding import log as coding
from slr.errors import SlrError
from slr.matrix.model import study_labels
from slr.protocol import Concept
from slr.review import Review
from slr.tui.keys import Keymap, default_section, load_section
from slr.tui.term import Terminal, interactive

if TYPE_CHECKING:
    from slr.works import Work

# the coding view's actions (their keys: slr.tui.keys, table [code]); concept keys are drawn
# from the keys no action has, so the two never clash
SAVE, EVIDENCE, NOTE, BACK, SKIP, QUIT, HELP = (
    "save",
    "evidence",
    "note",
    "back",
    "skip",
    "quit",
    "help",
)
QUOTE = "quote"  # the suggested sentence (and its page) becomes the concept's evidence
SEGMENT = "segment"  # one more coded segment (quote, page) for a concept: code density
ENTER = "\r"  # Enter (an empty line without a TTY) saves, whatever key `save` has
DEFAULT_KEYS = default_section("code")


def help_text(keymap: Keymap = DEFAULT_KEYS) -> str:
    """The keys line, naming the keys the coder has configured."""

    def k(action: str) -> str:
        return keymap.key_for(action) or "?"

    return (
        f"keys: concept key toggles · {k(EVIDENCE)} evidence (quote, page) · "
        f"{k(SEGMENT)} add a segment · {k(QUOTE)} quote the suggestion · {k(NOTE)} note · "
        f"Enter/{k(SAVE)} save & next · {k(BACK)} back · {k(SKIP)} skip · {k(QUIT)} quit · "
        f"{k(HELP)} help"
    )


HELP_TEXT = help_text()


def concept_keys(n: int, keymap: Keymap = DEFAULT_KEYS) -> list[str]:
    """One key per concept: 1-9, 0, then letters that are no command."""
    pool = "1234567890" + "".join(
        c for c in "abcdefghijklmnopqrstuvwxyz" if keymap.action(c) is None
    )
    if n > len(pool):
        return [str(i + 1) for i in range(n)]  # too many for single keys: type numbers
    return list(pool[:n])


@dataclass
class StudyState:
    """The pending coding of the study on screen."""

    present: dict[str, bool]
    suggested: set[str]  # pre-marked from keywords and not touched since
    evidence: dict[str, tuple[str, str]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    segments: list[coding.Segment] = field(default_factory=list)  # added on screen, unsaved
    touched: bool = False

    def toggle(self, cid: str) -> None:
        self.present[cid] = not self.present[cid]
        self.suggested.discard(cid)
        self.touched = True


def initial_state(
    concepts: tuple[Concept, ...],
    work_id: str,
    current: coding.Codings,
    hints: dict[str, coding.Suggestion],
) -> StudyState:
    """Standing codings where they exist, else keyword suggestions pre-marked."""
    present: dict[str, bool] = {}
    suggested: set[str] = set()
    evidence: dict[str, tuple[str, str]] = {}
    notes: dict[str, str] = {}
    for c in concepts:
        old = current.get((work_id, c.id))
        if old is not None:
            present[c.id] = old.present
            if old.evidence or old.page:
                evidence[c.id] = (old.evidence, old.page)
            if old.note:
                notes[c.id] = old.note
        else:
            present[c.id] = c.id in hints
            if c.id in hints:
                suggested.add(c.id)
    return StudyState(present, suggested, evidence, notes)


def pending_codings(
    coder: str, work_id: str, state: StudyState, current: coding.Codings
) -> list[coding.Coding]:
    """The lines to append on save: concepts never coded, or changed in value, evidence or note."""
    out = []
    for cid, value in state.present.items():
        quote, page = state.evidence.get(cid, ("", ""))
        note = state.notes.get(cid, "")
        old = current.get((work_id, cid))
        if (
            old is not None
            and old.present == value
            and (old.evidence, old.page) == (quote, page)
            and old.note == note
        ):
            continue
        out.append(
            coding.Coding(
                coder,
                work_id,
                cid,
                value,
                evidence=quote,
                page=page,
                note=note,
                suggested=cid in state.suggested,
            )
        )
    return out


def render_study(
    work: Work,
    label: str,
    position: tuple[int, int],
    concepts: tuple[Concept, ...],
    keys: list[str],
    state: StudyState,
    hints: dict[str, coding.Suggestion],
    coder: str,
    size: tuple[int, int] = (80, 24),
    colour: bool = False,
    keys_line: str = HELP_TEXT,
) -> str:
    """The screen for one study: header, metadata, abstract (fitted), concepts with marks."""
    width, height = max(40, size[0]), max(12, size[1])
    rec = work.canonical
    meta = " · ".join(
        x
        for x in (
            ", ".join(rec.authors[:6]) + (" et al." if len(rec.authors) > 6 else ""),
            str(rec.year or "n.d."),
            rec.venue or "",
            f"doi:{rec.doi}" if rec.doi else "",
        )
        if x
    )
    head = [
        f"Study {position[0]} of {position[1]} · {label} · coder {coder}",
        *textwrap.wrap(rec.title or "(no title)", width),
        *textwrap.wrap(meta, width),
    ]
    lines = render_concepts(concepts, keys, state, hints, width, colour)
    keys_help = textwrap.wrap(keys_line, width)
    room = height - len(head) - len(lines) - len(keys_help) - 3
    abstract = textwrap.wrap(rec.abstract or "(no abstract)", width)
    if len(abstract) > max(room, 1):
        abstract = abstract[: max(room, 1) - 1] + ["…"]
    return "\n".join([*head, "", *abstract, "", *lines, "", *keys_help])


def render_concepts(
    concepts: tuple[Concept, ...],
    keys: list[str],
    state: StudyState,
    hints: dict[str, coding.Suggestion],
    width: int = 80,
    colour: bool = False,
) -> list[str]:
    """A line per concept: key, mark ([✓] coded, (✓) suggested, [ ] absent), label, evidence."""
    lines = []
    for c, key in zip(concepts, keys, strict=True):
        if c.id in state.suggested:
            mark = "(✓)"
        else:
            mark = "[✓]" if state.present[c.id] else "[ ]"
        extra = []
        if c.id in state.suggested and c.id in hints:
            h = hints[c.id]
            extra.append(f"suggested: '{h.keyword}' in {h.where}")
        if c.id in state.evidence:
            quote, page = state.evidence[c.id]
            extra.append(f'"{quote}"' + (f" p. {page}" if page else ""))
        if c.id in state.notes:
            extra.append(f"note: {state.notes[c.id]}")
        line = f"{key:>2} {mark} {c.label}" + ("  — " + "; ".join(extra) if extra else "")
        line = line if len(line) <= width else line[: width - 1] + "…"
        if colour and c.id in state.suggested:
            line = click.style(line, fg="yellow")
        lines.append(line)
        hint = hints.get(c.id)
        if c.id in state.suggested and hint and hint.where == "full text":
            quoted = f'p. {hint.page}: "{hint.snippet}"'
            lines += textwrap.wrap(
                quoted, width, initial_indent="      ", subsequent_indent="      "
            )
    return lines


# --------------------------------------------------------------------------- input


class _Io:
    """Where commands come from and where screens go."""

    line_mode = True

    def key(self) -> str | None:
        raise NotImplementedError

    def text(self, prompt: str) -> str | None:
        raise NotImplementedError

    def show(self, screen: str) -> None:
        raise NotImplementedError

    def say(self, message: str) -> None:
        click.echo(message)


class LineIo(_Io):
    """Commands as whitespace-separated tokens of lines (no TTY: scripts, pipes, tests)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.term = Terminal(stream)
        self.tokens: list[str] = []

    def _line(self, prompt: str) -> str | None:
        return self.term.read_line(prompt, eof_newline=True)

    def key(self) -> str | None:
        if not self.tokens:
            line = self._line("> ")
            if line is None:
                return None
            self.tokens = line.split() or [ENTER]  # an empty line is Enter: save and next
        return self.tokens.pop(0)

    def text(self, prompt: str) -> str | None:
        return self._line(prompt)

    def show(self, screen: str) -> None:
        click.echo(screen)


class TtyIo(_Io):
    """Single keypresses in a real terminal; the screen is redrawn after each."""

    line_mode = False

    def __init__(self) -> None:
        self.term = Terminal()

    def key(self) -> str | None:
        ch = self.term.read_key()  # None on Ctrl-D: leaves like quit, changes kept
        return ENTER if ch == "\n" else ch

    def text(self, prompt: str) -> str | None:
        return self.term.edit_line(prompt)

    def show(self, screen: str) -> None:
        click.clear()
        click.echo(screen)


# --------------------------------------------------------------------------- session


def first_uncoded(works: list[Work], concepts: tuple[Concept, ...], current: coding.Codings) -> int:
    """Index of the first study with a concept this coder has not coded; len(works) if none."""
    for i, w in enumerate(works):
        if any((w.work_id, c.id) not in current for c in concepts):
            return i
    return len(works)


def run(
    review: Review,
    works: list[Work],
    coder: str,
    io: _Io | None = None,
    keymap: Keymap | None = None,
) -> int:
    """Code the works one at a time; returns how many studies were saved.

    `keymap`: the command keys (default: the keys file's [code] table, else the defaults).
    """
    io = io or (TtyIo() if interactive() else LineIo())
    keymap = keymap or load_section("code")
    concepts = review.protocol.concepts
    if not concepts:
        raise SlrError(f"{review.protocol.path}: no [[concepts]] to code; add them to the protocol")
    if not works:
        io.say("No included studies to code yet: screen the full texts first (slr screen).")
        return 0
    keys = (
        [str(i + 1) for i in range(len(concepts))]
        if io.line_mode
        else concept_keys(len(concepts), keymap)
    )
    labels = study_labels(works, coding.read_labels(review))
    current = coding.latest(coding.read_codings(review, coder))
    i = first_uncoded(works, concepts, current)
    if i == len(works):
        io.say(f"All {len(works)} studies are coded by {coder}; showing the first to revise.")
        i = 0
    saved = 0
    while 0 <= i < len(works):
        work = works[i]
        hints = coding.suggest_for(review, work)
        state = initial_state(concepts, work.work_id, current, hints)
        position = (i + 1, len(works))
        try:
            action = _study(
                io,
                work,
                labels[work.work_id],
                position,
                concepts,
                keys,
                state,
                hints,
                coder,
                keymap,
            )
        except KeyboardInterrupt:  # Ctrl-C leaves like `q`: what the coder changed is kept
            if state.touched:
                coding.record_codings(review, pending_codings(coder, work.work_id, state, current))
                coding.record_segments(review, state.segments)
            raise
        # `s` confirms the screen as shown (suggestions included); leaving any other way
        # keeps only what the coder changed, so quitting never codes an untouched study
        if action == SAVE or (action != SKIP and state.touched):
            pending = pending_codings(coder, work.work_id, state, current)
            for c in coding.record_codings(review, pending):
                current[(c.work_id, c.concept)] = c
            coding.record_segments(review, state.segments)
            saved += 1 if pending or state.segments else 0
        if action in (QUIT, None):
            break
        i = max(i - 1, 0) if action == BACK else i + 1
    io.say(f"{saved} stud{'y' if saved == 1 else 'ies'} saved by {coder}.")
    return saved


def _study(
    io: _Io,
    work: Work,
    label: str,
    position: tuple[int, int],
    concepts: tuple[Concept, ...],
    keys: list[str],
    state: StudyState,
    hints: dict[str, coding.Suggestion],
    coder: str,
    keymap: Keymap = DEFAULT_KEYS,
) -> str | None:
    """Handle keys for one study until it is left; returns SAVE, BACK, SKIP, QUIT or None."""
    by_key = dict(zip(keys, (c.id for c in concepts), strict=True))
    keys_line = help_text(keymap)
    shown = {a: keymap.key_for(a) for a in (EVIDENCE, NOTE, HELP)}

    def draw(full: bool = True) -> None:
        columns, lines = shutil.get_terminal_size((80, 24))
        if io.line_mode and not full:
            # a scrolling log, not a screen: after a change show only the concepts again
            io.show("\n".join(render_concepts(concepts, keys, state, hints, columns)))
            return
        size = (columns, 10**6 if io.line_mode else lines)
        colour = not io.line_mode
        io.show(
            render_study(
                work, label, position, concepts, keys, state, hints, coder, size, colour, keys_line
            )
        )

    draw()
    for key in _keys(io):
        if key is None:
            return None
        if key in by_key:
            state.toggle(by_key[key])
            draw(full=False)
            continue
        act = SAVE if key == ENTER else keymap.action(key)
        if act in (SAVE, BACK, SKIP, QUIT):
            return act
        elif act == QUOTE:
            if not io.line_mode:
                io.say("quote the suggestion of which concept? press its key")
            which = io.key()
            if which is None:
                return None
            hint = hints.get(by_key.get(which, ""))
            if hint is None:
                io.say(f"no suggestion to quote for {which!r}; {shown[EVIDENCE]} types a quote")
                continue
            state.evidence[hint.concept] = (hint.snippet, hint.page)
            state.touched = True
        elif act in (EVIDENCE, NOTE, SEGMENT):
            if not io.line_mode:
                io.say("which concept? press its key")
            which = io.key()
            if which is None:
                return None
            if which not in by_key:
                io.say(
                    f"no concept {which!r}; press {shown[EVIDENCE]} or {shown[NOTE]}, then a concept key"
                )
                continue
            cid = by_key[which]
            if act == EVIDENCE:
                quote = io.text(f"{cid} evidence quote: ")
                if quote is None:
                    return None
                page = io.text(f"{cid} page: ")
                state.evidence[cid] = (quote.strip(), (page or "").strip())
            elif act == SEGMENT:
                quote = io.text(f"{cid} segment quote: ")
                page = None if quote is None else io.text(f"{cid} page: ")
                if quote is None or page is None:
                    return None
                if quote.strip():  # a segment marks its concept present
                    state.segments.append(
                        coding.Segment(coder, work.work_id, cid, quote.strip(), page.strip())
                    )
                    state.present[cid] = True
                    state.suggested.discard(cid)
            else:
                note = io.text(f"{cid} note: ")
                if note is None:
                    return None
                state.notes[cid] = note.strip()
            state.touched = True
        elif act == HELP:
            io.say(keys_line)
            continue
        else:
            io.say(f"unknown key {key!r}; {shown[HELP]} shows the keys")
            continue
        draw(full=False)
    return None


def _keys(io: _Io) -> Iterator[str | None]:
    while True:
        key = io.key()
        yield key
        if key is None:
            return
