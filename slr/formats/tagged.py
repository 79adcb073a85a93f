"""The one reader of tagged text formats: RIS, PubMed MEDLINE, Web of Science plain text and
EndNote tagged all write a record as `TAG value` lines, where an untagged line continues the
last tag's value.

A `Layout` says what differs: how a line's tag is spelled, which untagged lines continue a
value and how (joined, or a new value of a repeated tag), and what opens and closes a record
(an opening tag, a closing tag, or a blank line). `records` gives each record as tag ->
values, in file order, or why it was skipped; each format maps the tags to Record fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from slr.formats.common import Document, Entry

Tags = dict[str, list[str]]  # tag -> its values, in the order the lines give them


@dataclass(frozen=True)
class Layout:
    """How one tagged format writes its records."""

    tag: Callable[[str], tuple[str, str] | None]  # a line's (tag, value); None: untagged
    continues: Callable[[str], bool]  # an untagged line that continues the last tag's value
    join: str | None  # what joins a continuation to the value; None: it is a new value
    start: str | None  # the tag that opens a record; None: any tag outside a record does
    end: str | None = None  # the tag that closes one; None: the next record or the end does
    blank_ends: bool = False  # a blank line closes a record (EndNote)
    new_values: frozenset[str] = frozenset()  # tags whose continuations are new values (RIS KW)
    start_label: str = ""  # the opening and closing lines as a message names them
    end_label: str = ""


def records(doc: Document, layout: Layout) -> Iterator[tuple[int, Tags | str]]:
    """(first line, tags) per record, or (first line, why it is skipped): a record left
    open by a missing closing tag is reported, never guessed at."""
    rec: Tags | None = None
    start = 0
    last = ""
    for number, line in enumerate(doc.text.split("\n"), start=1):
        tagged = layout.tag(line)
        if tagged is None:
            if layout.blank_ends and not line.strip():
                if rec:
                    yield start, rec
                rec, last = None, ""
            elif rec is not None and last and layout.continues(line):
                if layout.join is None or last in layout.new_values:
                    rec[last].append(line.strip())
                else:
                    rec[last][-1] += layout.join + line.strip()
            continue
        tag, value = tagged
        if tag == layout.end:
            if rec is not None:
                yield start, rec
            rec, last = None, ""
            continue
        if tag == layout.start or (layout.start is None and rec is None):
            if rec is not None:
                yield start, _unclosed(layout) if layout.end else rec
            rec, start = {}, number
        if rec is not None:
            rec.setdefault(tag, []).append(value)
            last = tag
    if rec:
        yield start, _truncated(layout) if layout.end else rec


def entries(doc: Document, layout: Layout, fields: Callable[[Tags], dict]) -> Iterator[Entry]:
    """Entries of a tagged file, each record's tags mapped to Record fields by `fields`."""
    for line, rec in records(doc, layout):
        yield Entry(line, problem=rec) if isinstance(rec, str) else Entry(line, fields(rec))


def _unclosed(layout: Layout) -> str:
    return f"no {layout.end_label} line before the next {layout.start_label}; record skipped"


def _truncated(layout: Layout) -> str:
    return f"the file ends inside this record (no {layout.end_label}; truncated?); record skipped"


def first(rec: Tags, *tags: str) -> str | None:
    """The first value of the first of `tags` the record has."""
    for tag in tags:
        if rec.get(tag):
            return rec[tag][0]
    return None
