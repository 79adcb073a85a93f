"""slr: a reproducible systematic literature review pipeline.

The public library API, for scripts and notebooks (the CLI is built on the same functions):

    import slr
    review = slr.open_review("protocols/mlops.toml")
    review.works_frame()                       # pandas, one row per work
    slr.concept_matrix(review).to_frame()      # one row per study, one column per concept

Every name is imported on first use (module `__getattr__`), so `import slr` and `slr --help`
load neither the stages nor pandas, numpy or scikit-learn. Names that would clash with a
subpackage (`slr.status`, `slr.matrix`, `slr.prisma`, `slr.dedupe`) carry a longer name here:
`review_status`, `concept_matrix`, `prisma_counts`, `update_works`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> (module, attribute)
_API: dict[str, tuple[str, str]] = {
    # nouns
    "open_review": ("slr.review", "open_review"),
    "Review": ("slr.review", "Review"),
    "Protocol": ("slr.protocol", "Protocol"),
    "Record": ("slr.records", "Record"),
    "Work": ("slr.works", "Work"),
    "Decision": ("slr.decisions", "Decision"),
    "Note": ("slr.decisions", "Note"),
    "StudyLink": ("slr.studies", "StudyLink"),
    "SlrError": ("slr.errors", "SlrError"),
    # state
    "load_records": ("slr.corpus", "load_records"),
    "load_works": ("slr.works", "load_works"),
    "read_log": ("slr.decisions", "read_log"),
    # stages
    "read_records": ("slr.importer", "read_records"),
    "import_files": ("slr.importer", "import_files"),
    "update_works": ("slr.dedupe.incremental", "update"),
    "record_decision": ("slr.decisions", "record_decision"),
    "record_note": ("slr.decisions", "record_note"),
    "auto_screen": ("slr.screen.rules", "auto_screen"),
    "stage_states": ("slr.screen.state", "stage_states"),
    "stage_agreement": ("slr.screen.agreement", "stage_agreement"),
    "simulate": ("slr.screen.simulate", "simulate"),
    # outputs
    "prisma_counts": ("slr.prisma.counts", "compute"),
    "concept_matrix": ("slr.matrix.model", "review_matrix"),
    "Matrix": ("slr.matrix.model", "Matrix"),
    "review_status": ("slr.status", "status"),
}

__all__ = [
    "Decision",
    "Matrix",
    "Note",
    "Protocol",
    "Record",
    "Review",
    "SlrError",
    "StudyLink",
    "Work",
    "auto_screen",
    "concept_matrix",
    "import_files",
    "load_records",
    "load_works",
    "open_review",
    "prisma_counts",
    "read_log",
    "read_records",
    "record_decision",
    "record_note",
    "review_status",
    "simulate",
    "stage_agreement",
    "stage_states",
    "update_works",
]  # the keys of _API (a literal, for linters and type checkers)


def __getattr__(name: str) -> Any:
    """Import a public name on first use and keep it (PEP 562)."""
    try:
        module, attribute = _API[name]
    except KeyError:
        raise AttributeError(f"module 'slr' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))


if TYPE_CHECKING:
    from slr.corpus import load_records
    from slr.decisions import Decision, Note, read_log, record_decision, record_note
    from slr.dedupe.incremental import update as update_works
    from slr.errors import SlrError
    from slr.importer import import_files, read_records
    from slr.matrix.model import Matrix
    from slr.matrix.model import review_matrix as concept_matrix
    from slr.prisma.counts import compute as prisma_counts
    from slr.protocol import Protocol
    from slr.records import Record
    from slr.review import Review, open_review
    from slr.screen.agreement import stage_agreement
    from slr.screen.rules import auto_screen
    from slr.screen.simulate import simulate
    from slr.screen.state import stage_states
    from slr.status import status as review_status
    from slr.studies import StudyLink
    from slr.works import Work, load_works
