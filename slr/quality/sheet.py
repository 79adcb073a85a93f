"""The quality sheet: a CSV/XLSX template (a row per included study, a column per question)
and its import.

Columns: `work_id`, `label`, `authors`, `year`, `title` (for the coder's eyes), then one
column per question headed `<id>: <text>` (a bare `<id>` works too). A cell holds an answer
name or its key (yes/y, partly/p, no/n, or the protocol's [quality.answers]), any case;
an empty cell is left unanswered. An optional `<id> note` column carries a note per answer.
Any error (`file:row:column: ...`) and nothing is written.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slr.coding.sheet import read_table
from slr.errors import ExportError, ImportError_, SlrError
from slr.matrix.model import write_output
from slr.quality import log
from slr.review import Review

if TYPE_CHECKING:
    from slr.works import Work

INFO = ("work_id", "label", "authors", "year", "title")


def sheet_rows(
    review: Review, coder: str, works: list[Work], labels: dict[str, str]
) -> list[list[str]]:
    """The template as text, pre-filled with the coder's standing answers."""
    quality = log.checklist(review)
    current = log.read(review, coder)
    rows = [[*INFO, *(f"{q.id}: {q.text}" for q in quality.questions)]]
    for w in works:
        rec = w.canonical
        info = [w.work_id, labels.get(w.work_id, ""), "; ".join(rec.authors)]
        info += [str(rec.year or ""), rec.title or ""]
        answers = [
            current[(w.work_id, q.id)].answer if (w.work_id, q.id) in current else ""
            for q in quality.questions
        ]
        rows.append([*info, *answers])
    return rows


def write_sheet(
    review: Review, path: Path, coder: str, works: list[Work], labels: dict[str, str]
) -> int:
    """Write the template (.csv or .xlsx); returns the number of studies."""
    rows = sheet_rows(review, coder, works, labels)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ExportError(f"{path}: a quality sheet is .csv or .xlsx; rename the file")
    if path.is_file() and not _holds(path, rows):
        raise ExportError(
            f"{path}: already exists and may hold answers not imported yet; import it with "
            f"`slr quality --import {path}`, or delete it or name another file"
        )
    if suffix == ".csv":
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        write_output(path, buf.getvalue().encode("utf-8"))
    else:
        write_output(path, _xlsx(rows))
    return len(rows) - 1


def _holds(path: Path, rows: list[list[str]]) -> bool:
    """Whether an existing sheet holds exactly these cells (nothing typed since)."""

    def trim(table: list[list[str]]) -> list[list[str]]:
        out = [[c for c in r] for r in table]
        for r in out:
            while r and not r[-1]:
                r.pop()
        return [r for r in out if r]

    try:
        return trim(read_table(path)) == trim(rows)
    except SlrError:
        return False


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws: Any = wb.active
    ws.title = "Quality"
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "C2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def import_sheet(review: Review, path: Path, coder: str, works: list[Work]) -> tuple[int, int]:
    """Validate the whole sheet, then append the changed answers; (studies, answers written)."""
    quality = log.checklist(review)
    table = read_table(path)
    errors: list[str] = []

    def fail(row: int, column: int, message: str) -> None:
        errors.append(f"{path}:{row}:{column}: {message}")

    if not table or not any(c.strip() for c in table[0]):
        raise ImportError_(f"{path}:1:1: empty sheet; write a template with `slr quality --sheet`")
    ids = [q.id for q in quality.questions]
    columns: dict[int, str] = {}
    notes: dict[str, int] = {}
    id_col = None
    for j, raw in enumerate(table[0]):
        name = raw.strip()
        if not name or name.lower() in INFO[1:]:
            continue
        if name.lower() == "work_id":
            id_col = j
            continue
        qid = name.split(":", 1)[0].strip()
        if qid.endswith(" note") and qid[:-5].strip() in ids:
            notes[qid[:-5].strip()] = j
        elif qid not in ids:
            fail(1, j + 1, f"unknown question {qid!r}; questions: {', '.join(ids)}")
        elif qid in columns.values():
            fail(1, j + 1, f"question {qid} has two columns; keep one")
        else:
            columns[j] = qid
    if id_col is None:
        fail(1, 1, "no work_id column to name the studies; add it (see `slr quality --sheet`)")
    if errors:
        _raise(errors)
    assert id_col is not None
    known = {w.work_id for w in works}
    current = log.read(review, coder)
    seen: dict[str, int] = {}
    fresh: list[log.Answer] = []
    allowed = log.answer_help(quality)
    for number, row in enumerate(table[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        wid = row[id_col].strip() if id_col < len(row) else ""
        if wid not in known:
            what = f"unknown study id {wid!r}" if wid else "no study id"
            fail(
                number,
                id_col + 1,
                f"{what}: not an included study; take the ids from `slr quality --sheet`",
            )
            continue
        if wid in seen:
            fail(number, id_col + 1, f"study {wid} already on row {seen[wid]}")
            continue
        seen[wid] = number
        for j, qid in columns.items():
            text = row[j].strip() if j < len(row) else ""
            if not text:
                continue
            answer = log.parse_answer(quality, text)
            if answer is None:
                fail(
                    number,
                    j + 1,
                    f"{text!r} is not an answer to {qid}; use {allowed}, or leave it empty",
                )
                continue
            nj = notes.get(qid)
            note = row[nj].strip() if nj is not None and nj < len(row) else ""
            old = current.get((wid, qid))
            if old is not None and old.answer == answer and (not note or note == old.note):
                continue  # re-importing the same sheet writes nothing
            fresh.append(
                log.Answer(
                    coder,
                    wid,
                    qid,
                    answer,
                    note or (old.note if old else ""),
                    extra={"via": f"sheet {path.name}"},
                )
            )
    if errors:
        _raise(errors)
    log.record(review, fresh)
    return len(seen), len(fresh)


def _raise(errors: list[str]) -> None:
    more = len(errors) - 1
    tail = f" (and {more} more error{'s' if more > 1 else ''}; nothing was imported)"
    raise ImportError_(errors[0] + (tail if more else "; nothing was imported"))
