"""Exporting the records of a stage as BibTeX, RIS or CSV.

Stages: `identified` (every record), `deduplicated` (the canonical record of each work),
`screened` (works included, or kept as maybe, at title/abstract screening) and `included`
(works included at full-text screening). Every export carries each record's id, so
importing an export gives back the same records.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from slr import formats
from slr.corpus import load_records
from slr.errors import ExportError
from slr.records import Record
from slr.review import Review
from slr.store import write_atomic
from slr.works import Work, load_works

STAGES = ("identified", "deduplicated", "screened", "included")
EXTENSIONS = {"bib": "bibtex", "ris": "ris", "csv": "csv"}
# stage -> (screening stage, final decisions that count)
_SCREENED = {
    "screened": ("title-abstract", ("include", "maybe")),
    "included": ("full-text", ("include",)),
}


def export_records(records_or_works: Iterable[Record | Work], format: str) -> str:
    """Records (or works' canonical records) as the text of an export format."""
    exporters = formats.exporters()
    if format not in exporters:
        raise ExportError(
            f"unknown export format {format!r}; use one of: " + ", ".join(sorted(exporters))
        )
    records = [w.canonical if isinstance(w, Work) else w for w in records_or_works]
    dump = exporters[format].dump
    assert dump is not None
    return dump(records)


def stage_records(review: Review, stage: str) -> list[Record]:
    """The records of a stage, in corpus order."""
    if stage == "identified":
        records = load_records(review)
        if not records:
            raise ExportError("no records yet; run `slr search` or `slr import` first")
        return records
    if stage not in STAGES:
        raise ExportError(f"unknown stage {stage!r}; use one of: " + ", ".join(STAGES))
    works = load_works(review)
    if not works:
        raise ExportError(f"stage {stage}: no works yet; run `slr dedupe` first")
    if stage == "deduplicated":
        return [w.canonical for w in works]
    from slr.screen.state import final_decisions

    screening_stage, wanted = _SCREENED[stage]
    decided = final_decisions(review, screening_stage)
    chosen = [
        w.canonical for w in works if w.work_id in decided and decided[w.work_id].decision in wanted
    ]
    if not decided:
        raise ExportError(
            f"stage {stage}: no final {screening_stage} decisions yet; screen first "
            "(or export --stage identified or deduplicated)"
        )
    return chosen


def format_for(path: str | None, format: str | None) -> str:
    """The export format: as given, else from the output file's extension."""
    if format:
        return format
    suffix = Path(path).suffix.lower().lstrip(".") if path else ""
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise ExportError(
        "which format? pass --format bibtex, ris or csv (or -o a .bib, .ris or .csv file)"
    )


def export_stage(
    review: Review, stage: str, format: str, output: str | Path | None = None
) -> tuple[str, int]:
    """Export a stage; writes `output` atomically when given. Returns (text, record count)."""
    records = stage_records(review, stage)
    text = export_records(records, format)
    if output is not None:
        write_atomic(Path(output), text)
    return text, len(records)
