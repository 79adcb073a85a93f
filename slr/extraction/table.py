"""Exports of the extracted data: tidy (a row per value) or wide (a row per study), CSV or XLSX.

Tidy columns: study, field, value, coder, evidence, page. Where the `consensus` log holds
a value for a study's field, that row alone is written (coder `consensus`); otherwise one
row per coder who entered it. Wide: `work_id`, `authors`, `year`, `title`, then per field
`<id>`, `<id>_evidence`, `<id>_page`: the consensus value, else the coders' value when
they all gave the same one (or only one coder entered it); a disagreement not reconciled
yet is left empty and counted, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slr.extraction import form
from slr.extraction import log as xlog
from slr.extraction.sheet import header
from slr.review import Review

if TYPE_CHECKING:
    from slr.works import Work

TIDY_COLUMNS = ("study", "field", "value", "coder", "evidence", "page")
NOT_REPORTED = "not reported"


@dataclass(frozen=True)
class Export:
    rows: list[list[Any]]
    unresolved: int  # wide only: cells left empty because coders disagree


def _text(value: Any) -> str:
    return NOT_REPORTED if value is None else form.format_value(value)


def export_rows(
    review: Review, works: list[Work], coders: list[str] | None = None, wide: bool = False
) -> Export:
    """The table to write; `coders` defaults to every coder with a log."""
    fields = xlog.fields_of(review)
    names = coders if coders is not None else xlog.coders(review)
    logs = {n: xlog.latest(xlog.read_values(review, n)) for n in names}
    consensus = xlog.latest(xlog.read_values(review, xlog.CONSENSUS))
    unresolved = 0
    if not wide:
        rows: list[list[Any]] = [list(TIDY_COLUMNS)]
        for w in works:
            for f in fields:
                key = (w.work_id, f.id)
                chosen = [consensus[key]] if key in consensus else [
                    logs[n][key] for n in names if key in logs[n]
                ]  # fmt: skip
                for v in chosen:
                    rows.append([w.work_id, f.id, _text(v.value), v.coder, v.evidence, v.page])
        return Export(rows, 0)
    rows = [header(fields)]
    for w in works:
        rec = w.canonical
        row: list[Any] = [w.work_id, "; ".join(rec.authors), str(rec.year or ""), rec.title or ""]
        for f in fields:
            key = (w.work_id, f.id)
            if key in consensus:
                v = consensus[key]
                row += [_text(v.value), v.evidence, v.page]
                continue
            given = [logs[n][key] for n in names if key in logs[n]]
            if not given:
                row += ["", "", ""]
            elif len({form.comparable(f, v.value) for v in given}) == 1:
                row += [_text(given[0].value), given[0].evidence, given[0].page]
            else:
                unresolved += 1
                row += ["", "", ""]
        rows.append(row)
    return Export(rows, unresolved)
