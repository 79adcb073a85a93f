"""Snowballing (Wohlin 2014): backward and forward citation rounds from the included studies.

A round is one run of `slr snowball`. Its start set is the studies included at a stage that
were not yet snowballed in that direction through that source; backward follows their
references, forward the works citing them, through OpenAlex (`referenced_works` resolved in
batches of `openalex:` ids; `filter=cites:`), Semantic Scholar (`/references`, `/citations`,
offset paging) or Crossref (deposited reference lists; backward only). A reference without
an identifier is matched by DOI or title where the source can look it up; whatever stays
unresolved is counted and listed, never dropped silently.

Every response goes through the shared HTTP layer and is archived verbatim under
`raw/<via>/snowball-NN/`; `round.json` there is the checkpoint, rewritten atomically after
each step once the step's records are stored. A request already archived is read back, not
sent again: a killed round resumes where it stopped and `offline=True` replays every round.
`abandon` drops an interrupted round instead (records, works, log rows, raw folder).

Forward rounds fetch at most `max_per_seed` citing works per seed (MAX_PER_SEED = 1000 by
default, fixed when the round starts; 0 = no cap): OpenAlex pages most-cited first,
Semantic Scholar in its own order. Each capped seed is logged with how many citing works
exist and how many were fetched.

Candidates keep their `<source>:<id>` record ids (one found again later is not added twice)
and are tagged in `extra` with method "citation", round, direction, seed (work id) and via.
After fetching, the round is de-duplicated against the whole review (slr.dedupe incremental;
decisions follow their works), the automatic criteria are applied (slr.screen.rules.auto_screen)
and one search-log row per direction is written (kind "citation").

The citation sources are the registry `FETCHERS` (an `slr.registry.Registry`: `get`,
`names`). Modules: `base` (values, the cache-first fetcher, title matching), one per citation source
(`openalex`, `semanticscholar`, `crossref`), `run` (rounds, resume, replay, saturation) and
`report` (counts, unresolved list, search log, end table).
"""

from slr.snowball.base import (
    DIRECTIONS,
    MAX_PER_SEED,
    ROUND_FILE,
    Found,
    SnowballError,
    Step,
    same_title,
    slug,
)
from slr.snowball.report import (
    DirectionCounts,
    RoundReport,
    caps_hit,
    format_pending,
    format_round,
    round_of,
    unresolved_csv,
)
from slr.snowball.run import (
    FETCHERS,
    VIAS,
    Saturation,
    abandon,
    dedupe,
    pending,
    replay,
    rounds,
    run_round,
    snowballed,
    until_saturation,
)

__all__ = [
    "DIRECTIONS",
    "FETCHERS",
    "MAX_PER_SEED",
    "ROUND_FILE",
    "VIAS",
    "DirectionCounts",
    "Found",
    "RoundReport",
    "Saturation",
    "SnowballError",
    "Step",
    "abandon",
    "caps_hit",
    "dedupe",
    "format_pending",
    "format_round",
    "pending",
    "replay",
    "round_of",
    "rounds",
    "run_round",
    "same_title",
    "slug",
    "snowballed",
    "unresolved_csv",
    "until_saturation",
]
