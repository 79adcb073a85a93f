"""Line-mode quality assessment and reconciliation (`slr quality`, `slr quality --reconcile`).

One included study at a time, its abstract (and the first page of its extracted full text,
when there is one) on screen, then one question at a time. A line is an answer key or name,
optionally followed by a note: `p only one data set`. `q` or the end of input stops; every
answer is appended and fsynced the moment it is given, so a restart resumes at the next
unanswered question.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, TextIO

import click

from slr.protocol import Quality, QualityQuestion
from slr.quality import log
from slr.quality.scores import read_logs
from slr.review import Review
from slr.tui.term import read_line

if TYPE_CHECKING:
    from slr.works import Work

QUIT = "q"
EXCERPT = 1500  # characters of full text shown under the abstract


def study_text(review: Review, work: Work) -> str:
    """The abstract, and the start of the extracted full text when there is one."""
    from slr.fulltext import pages_of, text_path

    rec = work.canonical
    parts = [textwrap.fill(rec.abstract, 100) if rec.abstract else "(no abstract)"]
    path = text_path(review, work.work_id)
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        text = ""
    pages = pages_of(text)
    if pages:
        number, first = pages[0]
        excerpt = " ".join(first.split())[:EXCERPT]
        parts.append(f"Full text ({len(pages)} pages, {path}), page {number}:")
        parts.append(textwrap.fill(excerpt, 100))
    return "\n".join(parts)


def _read(stream: TextIO | None, prompt: str) -> str | None:
    line = read_line(prompt, stream, eof_newline=True)
    return None if line is None else line.strip()


def _ask(
    quality: Quality, question: QualityQuestion, stream: TextIO | None
) -> tuple[str, str] | None:
    """(answer, note) for one question, asked until it is a valid answer; None to stop."""
    while True:
        click.echo(f"{question.id}: {question.text}")
        line = _read(stream, f"  {log.answer_help(quality)} · q quit > ")
        if line is None or line.lower() == QUIT:
            return None
        key, _, note = line.partition(" ")
        answer = log.parse_answer(quality, key) if key else None
        if answer is None:
            click.echo(f"  {key or '(empty)'!r} is not an answer; type one of the keys above")
            continue
        return answer, note.strip()


def run(
    review: Review,
    coder: str,
    works: list[Work],
    labels: dict[str, str],
    stream: TextIO | None = None,
) -> int:
    """Assess the studies the coder has not finished; returns the answers given."""
    quality = log.checklist(review)
    current = log.read(review, coder)
    qs = quality.questions
    todo = [w for w in works if any((w.work_id, q.id) not in current for q in qs)]
    done = len(works) - len(todo)
    if not todo:
        click.echo(f"all {len(works)} studies assessed by {coder}")
        return 0
    given = 0
    for i, work in enumerate(todo, start=done + 1):
        rec = work.canonical
        click.echo(f"\n[{i}/{len(works)}] {labels.get(work.work_id, work.work_id)}")
        click.echo(rec.title or "(no title)")
        click.echo(study_text(review, work))
        for q in qs:
            if (work.work_id, q.id) in current:
                continue
            got = _ask(quality, q, stream)
            if got is None:
                click.echo(f"stopped: {given} answers saved; run again to resume")
                return given
            answer = log.Answer(coder, work.work_id, q.id, got[0], got[1])
            log.record(review, [answer])  # fsynced before the next question
            given += 1
    click.echo(f"all {len(works)} studies assessed by {coder}")
    return given


def reconcile(
    review: Review,
    who: str,
    works: list[Work],
    labels: dict[str, str],
    stream: TextIO | None = None,
) -> tuple[int, int]:
    """Walk the questions two coders answered differently and record the settled answer.

    Returns (settled now, still open).
    """
    quality = log.checklist(review)
    logs, settled = read_logs(review, quality)
    open_items = []
    for w in works:
        for q in quality.questions:
            key = (w.work_id, q.id)
            given = {n: logs[n][key] for n in logs if key in logs[n]}
            if len({a.answer for a in given.values()}) > 1 and key not in settled:
                open_items.append((w, q, given))
    if not open_items:
        click.echo("no disagreements to reconcile")
        return 0, 0
    n = 0
    for i, (w, q, given) in enumerate(open_items, start=1):
        click.echo(f"\n[{i}/{len(open_items)}] {labels.get(w.work_id, w.work_id)}")
        for name, a in sorted(given.items()):
            click.echo(f"  {name}: {a.answer}" + (f" ({a.note})" if a.note else ""))
        got = _ask(quality, q, stream)
        if got is None:
            break
        log.record(review, [log.Answer(who, w.work_id, q.id, got[0], got[1])], consensus=True)
        n += 1
    click.echo(f"{n} settled, {len(open_items) - n} still open")
    return n, len(open_items) - n
