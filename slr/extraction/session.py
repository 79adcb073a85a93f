"""`slr extract`: one included study at a time, its text beside the form, each value saved at once.

Line mode (works in a terminal, a pipe or a test): each field is asked on its own line as
`value | evidence quote | page`; Enter keeps the value already entered (or, for an
optional field, records "not reported"), `-` records "not reported", `:p N` shows page
N of the full text, `:s` skips to the next study, `:q` quits. A value that does not fit
its field is re-asked with the field named. Every value is appended and fsynced the
moment it is entered, so a killed session loses nothing typed and a new one starts at
the first study with a field still open.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from slr.extraction import form
from slr.extraction import log as xlog
from slr.fulltext import pages_of, text_path
from slr.review import Review

if TYPE_CHECKING:
    from slr.protocol import Field
    from slr.works import Work

TEXT_CHARS = 1500  # how much of a page or abstract is shown beside the form
HELP = (
    "Enter `value | evidence quote | page` (evidence optional); Enter keeps the value shown, "
    "`-` = not reported, `:p N` shows page N, `:s` skips the study, `:q` quits."
)


class LineIo:
    """Prompts on standard output, answers read line by line (None at end of input).

    The one place the session meets the terminal: a curses view would be another Io with
    the same `ask` and `say` (kept out of this library module, as click is)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdin

    def ask(self, prompt: str) -> str | None:
        print(prompt, end="", flush=True)
        line = self.stream.readline()
        if not line:
            print(flush=True)
            return None
        return line.rstrip("\r\n")

    def say(self, text: str) -> None:
        print(text, flush=True)


def study_text(review: Review, work: Work) -> list[tuple[int, str]]:
    """The study's extracted full text as (page, text), else its abstract as page 0."""
    path = text_path(review, work.work_id)
    try:
        pages = pages_of(path.read_text("utf-8", errors="replace"))
    except OSError:
        pages = []
    if pages:
        return pages
    abstract = work.canonical.abstract
    return [(0, abstract)] if abstract else []


def _show_page(io: LineIo, pages: list[tuple[int, str]], number: int | None) -> None:
    if not pages:
        io.say("  (no abstract or full text stored for this study)")
        return
    if pages[0][0] == 0:
        io.say("Abstract:\n" + _clip(pages[0][1]))
        return
    found = pages[0] if number is None else next((p for p in pages if p[0] == number), None)
    if found is None:
        io.say(f"  no page {number}: the full text has pages {pages[0][0]}-{pages[-1][0]}")
        return
    io.say(f"Full text, page {found[0]} of {pages[-1][0]} (`:p N` for page N):\n" + _clip(found[1]))


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS].rstrip() + " […]"


def field_line(f: Field) -> str:
    """How a field is introduced: label, type, required, help and what it takes."""
    need = ", required" if f.required else ""
    help_text = f" — {f.help}" if f.help else ""
    return f"{f.id}: {f.label} ({f.type}{need}){help_text}; {form.expects(f)}"


def run(review: Review, works: list[Work], coder: str, io: LineIo | None = None) -> int:
    """Walk the studies from the first with an open field; returns how many values were saved."""
    io = io or LineIo()
    fields = xlog.fields_of(review)
    if not works:
        io.say("No included studies to extract from yet: screen the full texts first (slr screen).")
        return 0
    current = xlog.latest(xlog.read_values(review, coder))
    i = xlog.first_open(works, fields, current)
    if i == len(works):
        io.say(f"All {len(works)} studies are extracted by {coder}; showing the first to revise.")
        i = 0
    saved = 0
    io.say(HELP)
    while i < len(works):
        work = works[i]
        rec = work.canonical
        who = rec.authors[0].split(",")[0] if rec.authors else "Anon."
        io.say(f"\nStudy {i + 1} of {len(works)} · {who} ({rec.year or 'n.d.'}) · coder {coder}")
        io.say(f"{rec.title or '(no title)'}  [{work.work_id}]")
        pages = study_text(review, work)
        _show_page(io, pages, None)
        outcome = _fill(review, io, work, fields, current, coder, pages)
        saved += outcome[0]
        if outcome[1] == "quit":
            break
        i += 1
    io.say(f"{saved} value{'s' if saved != 1 else ''} saved by {coder}.")
    return saved


def _fill(
    review: Review,
    io: LineIo,
    work: Work,
    fields: tuple[Field, ...],
    current: xlog.Values,
    coder: str,
    pages: list[tuple[int, str]],
) -> tuple[int, str]:
    """Ask every field of one study; returns (values saved, "done" | "skip" | "quit")."""
    saved = 0
    for f in fields:
        io.say(field_line(f))
        old = current.get((work.work_id, f.id))
        shown = (
            f" [{form.format_value(old.value) if old.value is not None else '-'}]" if old else ""
        )
        while True:
            answer = io.ask(f"{f.id}{shown}> ")
            if answer is None or answer.strip() == ":q":
                return saved, "quit"
            command = answer.strip()
            if command == ":s":
                return saved, "skip"
            if command.startswith(":p"):
                number = command[2:].strip()
                _show_page(io, pages, int(number) if number.isdigit() else None)
                continue
            try:
                entry = parse_entry(f, answer, old)
            except form.FormError as exc:
                io.say(f"  {exc}")
                continue
            if entry is None:
                break  # Enter on a value already entered: kept as it is
            value, evidence, page = entry
            line = xlog.Value(coder, work.work_id, f.id, value, evidence, page)
            xlog.record_values(review, [line])
            current[(work.work_id, f.id)] = line
            saved += 1
            io.say(f"  saved {f.id} = {form.format_value(value) or 'not reported'}")
            break
    return saved, "done"


def parse_entry(f: Field, answer: str, old: xlog.Value | None) -> tuple[object, str, str] | None:
    """(value, evidence, page) of one answer line; None to keep `old`; FormError if it does not fit."""
    parts = [p.strip() for p in answer.split("|")]
    text, evidence = parts[0], parts[1] if len(parts) > 1 else ""
    page = "|".join(parts[2:]).strip() if len(parts) > 2 else ""
    if len(parts) > 3:
        raise form.FormError(f"{f.id}: too many '|'; write `value | quote | page`")
    if page and not page.isdigit():
        raise form.FormError(f"{f.id}: page {page!r} is not a page number; write e.g. 4")
    if not text and not evidence and not page:
        if old is not None:
            return None
        if f.required:
            raise form.FormError(f"{f.id}: required; enter {form.expects(f)}")
        return (None, "", "")
    if text == "-":
        if f.required:
            raise form.FormError(f"{f.id}: required; enter {form.expects(f)}")
        return (None, evidence, page)
    value = form.parse_value(f, text)
    if value is None and f.required:
        raise form.FormError(f"{f.id}: required; enter {form.expects(f)}")
    return (value, evidence, page)
