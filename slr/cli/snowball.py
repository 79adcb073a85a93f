"""`slr snowball`: backward and forward citation rounds from the included studies."""

from __future__ import annotations

import sys

import click

from slr import snowball as sb
from slr.cli.options import load, protocol_option, quiet_option
from slr.cli.progress import drawing
from slr.decisions import STAGES


def _wait(todo: dict[str, int]) -> bool:
    """Between rounds: say what to screen; on a terminal, wait until the user has done it."""
    click.echo(sb.format_pending(todo))
    if not sys.stdin.isatty():
        click.echo("then run `slr snowball --until-saturation` again to continue")
        return False
    return click.confirm("Screened them (in another terminal)? Continue snowballing", default=True)


class Cap(click.ParamType):
    """--max-per-seed: a number of citing works, or 0 / "all" for no cap."""

    name = "N|all"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text in ("all", "none"):
            return 0
        if text.isdigit():
            return int(text)
        self.fail(f"{value!r}: use a number of citing works, or 0 / all for no cap", param, ctx)


@click.command("snowball")
@protocol_option
@click.option(
    "--direction",
    type=click.Choice(["backward", "forward", "both"]),
    default="both",
    show_default=True,
    help="References of the seeds (backward), works citing them (forward), or both.",
)
@click.option(
    "--via",
    type=click.Choice(sb.VIAS),
    default="openalex",
    show_default=True,
    help="Citation source (crossref: deposited reference lists, backward only).",
)
@click.option(
    "--from",
    "stage",
    type=click.Choice(STAGES),
    default="full-text",
    show_default=True,
    help="Start set: the studies included at this screening stage.",
)
@click.option(
    "--until-saturation",
    is_flag=True,
    help="Repeat rounds until one adds no new included study, pausing for screening.",
)
@click.option(
    "--max-per-seed",
    type=Cap(),
    default=None,
    help=f"Forward: fetch at most N citing works per seed [default: {sb.MAX_PER_SEED}; "
    "0 or all: no cap]. OpenAlex keeps the most-cited, Semantic Scholar its own order "
    "(it cannot sort). Fixed when a round starts; each capped seed is logged with how "
    "many citing works exist and how many were fetched.",
)
@click.option(
    "--offline", is_flag=True, help="Rebuild all rounds from the raw archive, no network."
)
@click.option(
    "--abandon",
    is_flag=True,
    help="Drop an interrupted round (its records, works, log rows and raw responses) "
    "instead of resuming it; completed rounds stay.",
)
@quiet_option
def snowball_cmd(
    protocol_path: str | None,
    direction: str,
    via: str,
    stage: str,
    until_saturation: bool,
    max_per_seed: int | None,
    offline: bool,
    abandon: bool,
    quiet: bool,
) -> None:
    """Snowball from the included studies: one numbered round per run (Wohlin 2014).

    Candidates are stored with their round, direction and seed study, de-duplicated
    against the whole review (screened works keep their decisions), auto-screened with
    the protocol's machine rules and queued for `slr screen`. References that cannot be
    resolved are counted and listed. Each round adds "citation" rows to the search log.
    An interrupted round resumes on the next run, or is dropped with --abandon;
    --offline replays every round. Forward rounds fetch at most --max-per-seed citing
    works per seed (1000 by default: most seeds have fewer, while a landmark paper with
    30,000 citing works would cost about 150 requests and bring mostly off-topic
    candidates; capped, it costs the seed and 5 pages).
    OpenAlex needs OPENALEX_API_KEY; SEMANTIC_SCHOLAR_API_KEY is used when set.

    \b
    Example:
      slr snowball --direction backward --via openalex
      slr snowball --via semanticscholar --from title-abstract
      slr snowball --until-saturation
      slr snowball --offline
      slr snowball --direction forward --max-per-seed 500
      slr snowball --abandon
    """
    review = load(protocol_path)
    if abandon:
        if offline or until_saturation:
            raise sb.SnowballError(
                "--abandon drops the interrupted round and does nothing else; "
                "run it without --offline and --until-saturation"
            )
        lines = sb.abandon(review)
        if not lines:
            click.echo("no snowballing round is interrupted; nothing to abandon")
            return
        click.echo("\n".join(lines))
        click.echo("next: slr snowball (starts a fresh round)")
        return
    if offline:
        with drawing(quiet) as progress:
            reports = sb.replay(review, progress=progress)
        for report in reports:
            click.echo(sb.format_round(report))
        return
    if until_saturation:
        with drawing(quiet) as progress:
            result = sb.until_saturation(
                review,
                direction=direction,
                via=via,
                stage=stage,
                progress=progress,
                wait=_wait,
                max_per_seed=max_per_seed,
            )
        for report in result.rounds:
            click.echo(sb.format_round(report))
        if result.status == "saturated":
            last = result.last_round
            click.echo(
                f"saturation: round {last} added no new included study; snowballing is done"
                if last
                else "saturation: no included study left to snowball"
            )
        return
    with drawing(quiet) as progress:
        one = sb.run_round(
            review,
            direction=direction,
            via=via,
            stage=stage,
            progress=progress,
            max_per_seed=max_per_seed,
        )
    if one is None:
        click.echo(
            f"every study included at {stage} is already snowballed {direction} via {via}; "
            "nothing to do"
        )
        return
    click.echo(sb.format_round(one))
    if one.to_screen:
        click.echo(sb.format_pending({"title-abstract": one.to_screen}))


COMMANDS = [snowball_cmd]
