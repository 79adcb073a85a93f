"""`slr search`: fetch the protocol's sources (resumable, replayable) and show the search log."""

from __future__ import annotations

import click

from slr.cli.options import load, protocol_option, quiet_option
from slr.cli.progress import drawing
from slr.corpus import search_log
from slr.search import format_log, format_table, search


@click.command("search")
@protocol_option
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="NAME",
    help="Only this source of the protocol (repeatable).",
)
@click.option("--refresh", is_flag=True, help="Fetch again as a new dated run (keeps old runs).")
@click.option(
    "--offline",
    is_flag=True,
    help="No network: rebuild records (with --count, --validate: replay) from the raw archive.",
)
@click.option("--enrich", is_flag=True, help="Complete records without abstract from OpenAlex.")
@click.option("--log", "show_log", is_flag=True, help="Print the PRISMA-S search log and exit.")
@click.option(
    "--count",
    "count",
    is_flag=True,
    help="Ask each source only for its hit count (no records); logged as kind count.",
)
@click.option(
    "--validate",
    "check_known",
    is_flag=True,
    help="Check the query against the protocol's search.known_relevant papers.",
)
@click.option(
    "--unmatched",
    is_flag=True,
    help="List imported records that the protocol's query does not match.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "csv", "markdown"]),
    default="text",
    show_default=True,
    help="Format of --log, --count, --validate and --unmatched.",
)
@quiet_option
def search_cmd(
    protocol_path: str | None,
    sources: tuple[str, ...],
    refresh: bool,
    offline: bool,
    enrich: bool,
    show_log: bool,
    count: bool,
    check_known: bool,
    unmatched: bool,
    fmt: str,
    quiet: bool,
) -> None:
    """Search the protocol's databases and store every record they return.

    Sources run in parallel, pages of one source in sequence. An interrupted search
    resumes at the next page; a completed one is not fetched again unless --refresh.
    Keys come from environment variables (OPENALEX_API_KEY, ELSEVIER_API_KEY,
    ELSEVIER_INSTTOKEN, IEEE_API_KEY, SEMANTIC_SCHOLAR_API_KEY, NCBI_API_KEY); set
    SLR_MAILTO to identify yourself. Exits non-zero when a source failed or was skipped.

    --count asks each source only for its hit count, to tune the query (--offline replays
    the last count archived). --validate tests the query on the protocol's known relevant
    papers (search.known_relevant: DOIs or titles) per source, and whether the search
    retrieved them; metadata comes from the records or a DOI lookup (OpenAlex, Crossref),
    archived for --offline. --unmatched lists imported records the query does not match.

    \b
    Example:
      slr search -p protocols/mlops.toml
      slr search --source openalex --source crossref --enrich
      slr search --offline
      slr search --log --format markdown > searchlog.md
      slr search --count
      slr search --validate --format csv > validation.csv
      slr search --unmatched
    """
    modes = [
        n
        for n, on in (
            ("--log", show_log),
            ("--count", count),
            ("--validate", check_known),
            ("--unmatched", unmatched),
        )
        if on
    ]
    if len(modes) > 1:
        raise click.UsageError(f"{' and '.join(modes)}: give one of them at a time")
    if modes:  # an option the mode would ignore is refused, never silently dropped
        uses = {
            "--log": (),
            "--count": ("--source", "--offline"),
            "--validate": ("--offline",),
            "--unmatched": (),
        }[modes[0]]
        given = [
            n
            for n, on in (
                ("--source", bool(sources)),
                ("--refresh", refresh),
                ("--offline", offline),
                ("--enrich", enrich),
            )
            if on and n not in uses
        ]
        if given:
            takes = f"takes only {', '.join(uses)} and" if uses else "takes only"
            raise click.UsageError(f"{modes[0]} {takes} --format; leave out {', '.join(given)}")
    review = load(protocol_path)
    if show_log:
        click.echo(format_log(search_log(review), fmt))
        return
    if count:
        from slr.hits import count_hits, format_counts

        with drawing(quiet) as progress:
            counts = count_hits(review, list(sources) or None, offline=offline, progress=progress)
        click.echo(format_counts(counts, fmt))
        if any(c.status.startswith(("failed", "skipped")) for c in counts):
            raise SystemExit(1)
        return
    if check_known:
        from slr.validate import format_validation, validate

        with drawing(quiet) as progress:
            result = validate(review, offline=offline, progress=progress)
        click.echo(format_validation(result, fmt))
        return
    if unmatched:
        from slr.corpus import load_records
        from slr.validate import count_imports, format_unmatched, imported_unmatched

        log = search_log(review)
        found = imported_unmatched(review.protocol, load_records(review), log)
        click.echo(format_unmatched(found, fmt, count_imports(log)))
        return
    names = list(sources) or [s.name for s in review.protocol.search.sources]
    with drawing(quiet, together=names) as progress:
        report = search(
            review,
            list(sources) or None,
            refresh=refresh,
            offline=offline,
            enrich=enrich,
            progress=progress,
        )
    click.echo(format_table(report))
    if report.exit_code:
        raise SystemExit(report.exit_code)


COMMANDS = [search_cmd]
