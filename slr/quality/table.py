"""The per-study quality score table as CSV, LaTeX or Markdown.

A row per included study: its label, the score of each question's answer, the total, and
what the cut-off made of it. The caption (LaTeX) or the note under the table (Markdown)
states the answer scores and the cut-off, so the table reads on its own.
"""

from __future__ import annotations

import csv
import io

from slr.errors import ExportError
from slr.matrix import latex, markdown
from slr.protocol import Quality
from slr.quality.scores import ASSESSED, StudyScore

FORMATS = ("csv", "latex", "markdown")


def decision(quality: Quality, s: StudyScore) -> str:
    """`excluded (QA)`, `kept`, or why there is no score yet (`not assessed`, ...)."""
    if s.status != ASSESSED:
        return s.status
    if quality.min_score is None:
        return "assessed"
    return f"excluded ({quality.criterion})" if s.below else "kept"


def rows(quality: Quality, scores: list[StudyScore], labels: dict[str, str]) -> list[list[str]]:
    """Header and one row per study, as text."""
    head = ["Study", *(q.id for q in quality.questions), f"Score (max {quality.max_score:g})"]
    out = [[*head, "Quality"]]
    values = quality.scores
    for s in scores:
        cells = ["" if a is None else f"{values[a]:g}" for a in s.answers.values()]
        total = "" if s.score is None else f"{s.score:g}"
        out.append([labels.get(s.work_id, s.work_id), *cells, total, decision(quality, s)])
    return out


def note(quality: Quality) -> str:
    """What the numbers mean: the answer scores and the cut-off."""
    answers = ", ".join(f"{n} = {v:g}" for n, v in quality.answers)
    text = (
        f"Answers scored {answers}; the score is their sum over {len(quality.questions)} questions."
    )
    if quality.min_score is None:
        return text + " No cut-off: no study is excluded on quality."
    return (
        text + f" Studies scoring below {quality.min_score:g} are excluded "
        f"({quality.criterion}); studies not yet assessed are not excluded."
    )


def render(quality: Quality, scores: list[StudyScore], labels: dict[str, str], fmt: str) -> str:
    """The table in one of FORMATS."""
    table = rows(quality, scores, labels)
    if fmt == "csv":
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(table)
        return buf.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(markdown.escape(c) for c in r) + " |" for r in table]
        lines.insert(1, "|" + "---|" * len(table[0]))
        return "\n".join(lines) + "\n\n" + note(quality) + "\n"
    if fmt == "latex":
        spec = "l" + "c" * (len(table[0]) - 2) + "l"
        body = [" & ".join(latex.escape(c) for c in r) + r" \\" for r in table]
        return "\n".join(
            [
                r"\begin{table}[htbp]",
                r"\centering",
                r"\caption{Quality assessment of the included studies. "
                + latex.escape(note(quality))
                + "}",
                r"\label{tab:quality}",
                rf"\begin{{tabular}}{{{spec}}}",
                r"\hline",
                body[0],
                r"\hline",
                *body[1:],
                r"\hline",
                r"\end{tabular}",
                r"\end{table}",
                "",
            ]
        )
    raise ExportError(f"unknown table format {fmt!r}; use one of {', '.join(FORMATS)}")
