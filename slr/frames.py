"""pandas DataFrames of a review's state, for notebooks (`Review.records_frame()` and friends).

Imported only when a frame is asked for, so that `import slr` and the CLI never load pandas.
Frames are read-only views: they read the state files and write nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from slr.matrix.model import Matrix
    from slr.review import Review

RECORD_COLUMNS = (
    "id",
    "source",
    "source_id",
    "title",
    "abstract",
    "authors",
    "year",
    "venue",
    "doi",
    "type",
    "language",
    "keywords",
    "url",
    "volume",
    "issue",
    "pages",
    "publisher",
    "oa_url",
    "raw",
)
WORK_COLUMNS = ("work_id", "records", "record_ids", "sources") + tuple(
    c for c in RECORD_COLUMNS if c not in ("id", "source", "source_id", "raw")
)
DECISION_COLUMNS = ("time", "reviewer", "stage", "work_id", "decision", "criteria", "note")


def _record_row(record: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"id": record.id}
    for name in RECORD_COLUMNS[1:]:
        value = getattr(record, name)
        row[name] = list(value) if isinstance(value, tuple) else value
    return row


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    if "year" in frame.columns:
        frame["year"] = frame["year"].astype("Int64")  # a missing year stays <NA>, not 1.0e+03
    return frame


def records_frame(review: Review) -> pd.DataFrame:
    """One row per stored record (as corrected by `slr import --amend/--remove`), in added order."""
    from slr.corpus import load_records

    return _frame([_record_row(r) for r in load_records(review)], RECORD_COLUMNS)


def works_frame(review: Review) -> pd.DataFrame:
    """One row per de-duplicated work: its record ids, sources and merged canonical metadata."""
    from slr.works import load_works

    rows = []
    for work in load_works(review):
        row = _record_row(work.canonical)
        for name in ("id", "source", "source_id", "raw"):
            del row[name]
        rows.append(
            {
                "work_id": work.work_id,
                "records": len(work.record_ids),
                "record_ids": list(work.record_ids),
                "sources": list(work.sources),
            }
            | row
        )
    return _frame(rows, WORK_COLUMNS)


def decisions_frame(review: Review) -> pd.DataFrame:
    """One row per decision line of every log (the "auto" and resolution logs included).

    Reviewers in name order, each log in file order; `undo` lines are rows like any other
    (the log is history, not the standing decisions). Note lines are not decisions and are
    left out; a decision line's own `note` field is the `note` column. `work_id` is as logged.
    """
    from slr.decisions import log_names, read_log

    rows = [
        {
            "time": d.time,
            "reviewer": d.reviewer,
            "stage": d.stage,
            "work_id": d.work_id,
            "decision": d.decision,
            "criteria": list(d.criteria),
            "note": d.note,
        }
        for name in log_names(review)
        for d in read_log(review, name)
    ]
    return _frame(rows, DECISION_COLUMNS)


def matrix_frame(matrix: Matrix) -> pd.DataFrame:
    """One row per study (index: its label), one column per concept id; <NA> where uncoded."""
    data = {
        col.id: pd.array([row.cells[i] for row in matrix.rows], dtype="boolean")
        for i, col in enumerate(matrix.columns)
    }
    index = pd.Index([row.label for row in matrix.rows], name="study")
    return pd.DataFrame(data, index=index, columns=[c.id for c in matrix.columns])
