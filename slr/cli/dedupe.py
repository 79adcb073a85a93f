"""`slr dedupe`: link duplicate records into works; explain, review grey pairs, standalone mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from slr.cli.options import load, protocol_option, quiet_option
from slr.cli.progress import drawing, ticker
from slr.dedupe.compare import Settings
from slr.errors import SlrError

if TYPE_CHECKING:
    from slr.dedupe.incremental import Outcome
    from slr.review import Review


def _summary(outcome: Outcome) -> str:
    return _format(
        outcome.summary(), f"{outcome.mode} run, {outcome.new_records} new records compared"
    )


def _format(summary: dict[str, Any], how: str) -> str:
    """What `slr dedupe` prints, from `Outcome.summary()` (or the one kept by `unchanged`)."""
    n, w = summary["records"], summary["works"]
    lines = [f"{n} records -> {w} works ({n - w} duplicates linked, none deleted; {how})"]
    if summary["rules"]:
        lines.append("linked by: " + ", ".join(f"{k} {v}" for k, v in summary["rules"].items()))
    for source, (records, works) in summary["per_source"].items():
        lines.append(f"  {source:<20} {records:>7} records  {works:>7} works")
    if summary["links"]:
        lines.append(
            f"{w} works (reports) -> {summary['studies']} studies; {summary['links']} work(s) "
            "linked to another's study: "
            + ", ".join(f"{k} {v}" for k, v in summary["relations"].items())
        )
    if summary["grey"]:
        lines.append(
            f"{summary['grey']} pair(s) in the grey zone were not linked: decide them with "
            "`slr dedupe --review`"
        )
    if summary["link_questions"]:
        lines.append(
            f"{summary['link_questions']} proposed study link(s) were not made: decide them "
            "with `slr dedupe --review`"
        )
    return "\n".join(lines)


MODES = """\b
Modes (one at a time):
  run         slr dedupe [--full]                link the review's records into works
  explain     slr dedupe --explain ID            why the work holding record ID was linked
  review      slr dedupe --review                decide grey-zone pairs and proposed links
  standalone  slr dedupe --input FILE [--output clusters.csv]
                                                 any CSV or citation file, no review needed
"""


@click.command("dedupe", epilog=MODES)
@protocol_option
@quiet_option
@click.option(
    "--explain",
    "explain_id",
    metavar="ID",
    help="Mode explain: show why the work holding record ID was linked.",
)
@click.option(
    "--review",
    "review_grey",
    is_flag=True,
    help="Mode review: decide grey-zone pairs and proposed study links side by side: "
    "y (same work), s (same study), n, u(ndo), q(uit).",
)
@click.option(
    "--input",
    "input_path",
    type=click.Path(dir_okay=False),
    help="Mode standalone: a CSV or citation file to de-duplicate (no review folder needed).",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(dir_okay=False),
    help="Mode standalone: where to write id,cluster_id,rule,study [default: clusters.csv].",
)
@click.option(
    "--auto-threshold",
    type=click.FloatRange(0, 100),
    default=Settings.auto,
    show_default=True,
    help="Score from which a pair is linked without asking.",
)
@click.option(
    "--grey-threshold",
    type=click.FloatRange(0, 100),
    default=Settings.grey,
    show_default=True,
    help="Score from which a pair is asked in --review (below: kept apart).",
)
@click.option(
    "--versions/--no-versions",
    default=True,
    show_default=True,
    help="Link a preprint and its published version as two reports of one study.",
)
@click.option(
    "--format",
    "input_format",
    default="auto",
    show_default=True,
    help="Mode standalone: format of --input when it cannot be detected "
    "(any `slr import --format` name).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Modes run and review: recompute every work instead of matching only the new records.",
)
def dedupe(
    protocol_path: str | None,
    quiet: bool,
    explain_id: str | None,
    review_grey: bool,
    input_path: str | None,
    output_path: str | None,
    auto_threshold: float,
    grey_threshold: float,
    versions: bool,
    full: bool,
    input_format: str,
) -> None:
    """Link duplicate records of every source into works; no record is ever deleted.

    Exact DOIs and titles, fuzzy titles checked against authors, year, venue, volume and
    pages; errata, replies, series parts, other volumes or issues and other years stay
    apart. Each work is one report; errata, replies, meeting abstracts, preprints and
    publications citing one trial registration are linked to their study in studies.jsonl.
    Pairs in the grey zone wait for `--review`; the answers are kept and re-applied.

    \b
    Example:
      slr dedupe
      slr dedupe --review
      slr dedupe --explain scopus:2-s2.0-85079532227
      slr dedupe --input refs.csv --output clusters.csv
    """
    if grey_threshold > auto_threshold:
        raise SlrError(
            f"--grey-threshold {grey_threshold} is above --auto-threshold {auto_threshold}; "
            "the grey zone is [grey, auto)"
        )
    settings = Settings(auto=auto_threshold, grey=grey_threshold, versions=versions)
    _one_mode(explain_id, review_grey, input_path, output_path, full, input_format)
    if input_path:
        _standalone(input_path, output_path or "clusters.csv", settings, input_format, quiet)
        return
    if explain_id is not None and not explain_id.strip():
        raise SlrError("--explain needs a record or work id, e.g. scopus:2-s2.0-85079532227")
    review = load(protocol_path)
    if explain_id:
        from slr.dedupe.explain import explain  # the engine loads here, not when the CLI starts

        click.echo(explain(review, explain_id, settings))
        return
    _run(review, settings, full, review_grey, quiet)


def _one_mode(
    explain_id: str | None,
    review_grey: bool,
    input_path: str | None,
    output_path: str | None,
    full: bool,
    input_format: str,
) -> None:
    """One mode per call: options of two modes together are a one-line error."""
    if output_path and not input_path:
        raise SlrError("--output needs --input FILE (standalone mode)")
    if input_format != "auto" and not input_path:
        raise SlrError("--format is the format of --input FILE (standalone mode); add --input")
    if input_path and (review_grey or explain_id is not None):
        raise SlrError("--review and --explain work on a review, not with --input")
    if input_path and full:
        raise SlrError(
            "--full works on a review, not with --input (standalone always runs in full)"
        )
    if explain_id is not None and (review_grey or full):
        other = "--review" if review_grey else "--full"
        raise SlrError(f"--explain and {other} are two modes of slr dedupe; give one of them")


def _standalone(
    input_path: str, out: str, settings: Settings, input_format: str, quiet: bool
) -> None:
    from slr.dedupe.standalone import dedupe_file

    with drawing(quiet) as progress:
        ticks: list[Callable[[int], None]] = []

        def on_read(n: int) -> None:
            ticks.append(ticker(progress, "de-duplicating", n))

        result = dedupe_file(
            input_path, out, settings, lambda k: ticks[0](k), on_read, input_format
        )
    n, w = len(result.table), len(result.clusters)
    click.echo(f"{n} records -> {w} works ({n - w} duplicates); wrote {out}")
    if result.grey and not quiet:
        click.echo(f"{len(result.grey)} grey-zone pair(s) were left apart")


def _run(review: Review, settings: Settings, full: bool, review_grey: bool, quiet: bool) -> None:
    from slr.dedupe.memo import unchanged

    kept = None if full or review_grey else unchanged(review, settings)
    if kept is not None:  # nothing it read or wrote changed: nothing to recompute
        click.echo(_format(kept, "nothing new since the last run"))
        return
    from slr.dedupe.grey import answers_path, previous_questions
    from slr.dedupe.incremental import update  # the engine loads here
    from slr.tui.pairs import review_pairs

    n_records = sum(1 for _ in review.store.iter_records())
    if not n_records:
        raise SlrError(
            f"{review.store.records_file}: no records yet; run `slr search` or `slr import` first"
        )
    with drawing(quiet) as progress:
        outcome = update(review, settings, full, ticker(progress, "de-duplicating", n_records))
    if review_grey:
        path = answers_path(review)
        previous = previous_questions(path, {r.id: r for r in outcome.records})
        if not outcome.questions:
            click.echo("no grey-zone pairs to decide")
        if outcome.questions or previous:
            counts = review_pairs(outcome.questions, path, previous)
            click.echo(
                f"answers saved: {counts['y']} same work, {counts['s']} same study, "
                f"{counts['n']} unrelated, {counts['undo']} undone"
            )
            outcome = update(review, settings)
    click.echo(_summary(outcome))


COMMANDS = [dedupe]
