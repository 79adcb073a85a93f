"""`slr screen`, `slr conflicts`, `slr resolve`, `slr agreement`: screening and its agreement."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import click

from slr.cli.options import load, protocol_option, quiet_option
from slr.cli.progress import drawing
from slr.decisions import STAGES
from slr.protocol import require
from slr.review import Review
from slr.screen.agreement import format_agreement, stage_agreement
from slr.screen.rules import AutoScreen, auto_rules, auto_screen
from slr.screen.session import describe, open_resolution, open_session, ordering, with_notes
from slr.screen.state import ScreeningError, resolve_reviewer, stage_states
from slr.tui.keys import load_keymap
from slr.tui.screen import screen

stage_option = click.option(
    "--stage",
    type=click.Choice(STAGES),
    default=STAGES[0],
    show_default=True,
    help="Screening stage.",
)
plain_option = click.option(
    "--plain", is_flag=True, help="Line prompts instead of the full-screen view (for scripts)."
)


def pick_reviewer(review: Review, name: str | None) -> str:
    """--reviewer, else $SLR_REVIEWER, else the protocol's only reviewer; one of those listed."""
    name = name or os.environ.get("SLR_REVIEWER")
    if not name:
        listed = review.protocol.reviewers
        if len(listed) == 1:
            name = listed[0]
        else:
            hint = f" (the protocol lists {', '.join(listed)})" if listed else ""
            raise ScreeningError(f"who is screening? pass --reviewer NAME{hint}")
    return resolve_reviewer(review, name)


@click.command("screen")
@protocol_option
@click.option("--auto", "auto", is_flag=True, help="Apply the protocol's machine rules only.")
@stage_option
@click.option("--reviewer", help="Your name; each reviewer has their own decision log.")
@click.option(
    "--order",
    type=click.Choice(["protocol", "random", "ranked"]),
    default="protocol",
    show_default=True,
    help="Order of the works.",
)
@click.option("--seed", type=int, help="Seed of --order random (default: one per reviewer).")
@click.option(
    "--force",
    is_flag=True,
    help="Start full screening although calibration.min_kappa is not reached (logged).",
)
@plain_option
@quiet_option
def screen_cmd(
    protocol_path: str | None,
    auto: bool,
    stage: str,
    reviewer: str | None,
    order: str,
    seed: int | None,
    force: bool,
    plain: bool,
    quiet: bool,
) -> None:
    """Screen the works one at a time; every decision is saved at once.

    Keys: i include, 1-9 exclude with EC1-EC9, m maybe, s skip, n note, u undo, b back,
    ? help, q quit (r not retrieved at full text). Change them in ~/.config/slr/keys.toml
    (or the file named by $SLR_KEYS). Restarting resumes at the first undecided work.
    After `slr assign` a reviewer is served their share only, the calibration sample
    (`slr calibrate`) first; no other reviewer's decision is ever shown.

    \b
    Example:
      slr screen --auto
      slr screen --reviewer alice
      slr screen --stage full-text --reviewer alice --order random --seed 7
    """
    if auto:  # the rules run for everyone at title-abstract: these would be silently dropped
        ignored = [
            opt
            for opt, given in (
                ("--reviewer", reviewer is not None),
                ("--stage full-text", stage != STAGES[0]),
                ("--order", order != "protocol"),
                ("--seed", seed is not None),
                ("--force", force),
            )
            if given
        ]
        if ignored:
            raise click.UsageError(
                f"--auto applies the protocol's machine rules at title-abstract for everyone; "
                f"leave out {', '.join(ignored)} (or run `slr screen` with them without --auto)"
            )
    review = load(protocol_path)
    if auto:
        with drawing(quiet) as progress:
            summary = auto_screen(review, progress)
        click.echo(format_auto(summary))
        return
    require(review.protocol, "screen")
    name = pick_reviewer(review, reviewer)
    keymap = load_keymap()
    session = open_session(review, name, stage, ordering(order, review, stage, name, seed), force)
    if session.extra.get("calibration_forced"):
        forced = session.extra["calibration_forced"]
        kappa = "not yet known" if forced["kappa"] is None else f"{forced['kappa']:.3f}"
        click.echo(
            f"forced: screening below calibration.min_kappa {forced['min_kappa']:g} "
            f"(kappa {kappa}); logged in calibration.jsonl and on each decision",
            err=True,
        )
    if stage == STAGES[0] and auto_rules(review.protocol) and not _auto_done(review):
        click.echo("tip: `slr screen --auto` first applies the protocol's machine rules", err=True)
    screen(session, keymap, plain=plain)


def _auto_done(review: Review) -> bool:
    from slr.decisions import AUTO_REVIEWER

    return review.store.decisions_file(AUTO_REVIEWER).exists()


def format_auto(summary: AutoScreen) -> str:
    """One paragraph about what `slr screen --auto` did."""
    per = ", ".join(f"{k} {v}" for k, v in summary.per_criterion.items())
    failed = sum(summary.per_criterion.values())
    if failed > summary.excluded:
        per += f"; these add up to {failed}: a work can fail several criteria"
    elif per:
        per += "; a work can fail several criteria, none here failed more than one"
    lines = [
        f"rules: {', '.join(summary.rules) or 'none in the protocol'}",
        f"works: {summary.works}"
        + (
            f" (and {summary.notices} notices, which follow the article they concern)"
            if summary.notices
            else ""
        ),
        f"excluded automatically: {_works(summary.excluded)}"
        + (f" (failing {per})" if per else "")
        + f"; {summary.new} new decisions, {summary.withdrawn} withdrawn",
        f"left for human screening with missing metadata: {summary.undecidable}",
    ]
    overridden = summary.overridden
    if overridden:
        lines.append(
            f"warning: {len(overridden)} human decision(s) to keep a work are now overridden by "
            "the rules (did the protocol change?); they stay in the logs:"
        )
        lines += [
            f"  {o.work_id}: {o.reviewer} said {o.decision}, fails {', '.join(o.criteria)}"
            for o in overridden
        ]
    return "\n".join(lines)


def _works(n: int) -> str:
    return f"{n} distinct work" + ("" if n == 1 else "s")


@click.command("conflicts")
@protocol_option
@stage_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def conflicts_cmd(protocol_path: str | None, stage: str, as_json: bool) -> None:
    """List the works the reviewers disagree on (not yet resolved).

    \b
    Example:
      slr conflicts --stage title-abstract
    """
    review = load(protocol_path)
    state = stage_states(review)[stage]
    titles = {w.work_id: w.canonical.title or "(no title)" for w in state.pool}
    rows: list[dict[str, Any]] = [
        {
            "work_id": wid,
            "title": titles[wid],
            "decisions": {name: describe(d) for name, d in sorted(given.items())},
            "notes": state.notes.get(wid, {}),
        }
        for wid, given in state.conflicts.items()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"no conflicts at {stage}")
        return
    for row in rows:
        click.echo(f"{row['work_id']}  {row['title'][:70]}")
        for line in with_notes(state.conflicts[row["work_id"]], row["notes"]):
            click.echo(f"    {line}")
    click.echo(f"{len(rows)} conflict(s) at {stage}; walk them with `slr resolve --stage {stage}`")


@click.command("resolve")
@protocol_option
@stage_option
@click.option(
    "--method",
    type=click.Choice(["consensus", "third-reviewer"]),
    default="consensus",
    show_default=True,
    help="How the final decision was reached.",
)
@click.option("--reviewer", help="Who records the final decisions (the third reviewer).")
@plain_option
def resolve_cmd(
    protocol_path: str | None, stage: str, method: str, reviewer: str | None, plain: bool
) -> None:
    """Walk the conflicts and record the final decision on each.

    The reviewers' decisions are shown with each work; the same keys as `slr screen` apply.

    \b
    Example:
      slr resolve --stage title-abstract --method third-reviewer --reviewer carol
    """
    review = load(protocol_path)
    resolver = reviewer or os.environ.get("SLR_REVIEWER") or method
    session = open_resolution(review, stage, resolver, method)
    screen(session, load_keymap(), plain=plain)


@click.command("agreement")
@protocol_option
@click.option("--stage", type=click.Choice(STAGES), help="One stage (default: both).")
@click.option("--coding", is_flag=True, help="Agreement of the coders instead (slr.coding).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def agreement_cmd(
    protocol_path: str | None, stage: str | None, coding: bool, as_json: bool
) -> None:
    """Cohen's kappa and percent agreement per stage (Fleiss' kappa for 3+ reviewers).

    Only the reviewers' own decisions count (not resolutions); maybe counts as include.

    \b
    Example:
      slr agreement --stage title-abstract
      slr agreement --coding
    """
    review = load(protocol_path)
    if coding:
        from slr.coding.log import coding_agreement, format_coding_agreement

        result = coding_agreement(review)
        if as_json:
            click.echo(json.dumps(_jsonable(result), indent=2, ensure_ascii=False, default=str))
        else:
            click.echo(format_coding_agreement(result))
        return
    results = [stage_agreement(review, s) for s in ([stage] if stage else STAGES)]
    if as_json:
        click.echo(
            json.dumps(_jsonable([r.to_dict() for r in results]), indent=2, ensure_ascii=False)
        )
    else:
        click.echo("\n".join(format_agreement(r) for r in results))


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _names(value: str | None) -> list[str] | None:
    return [n.strip() for n in value.split(",") if n.strip()] if value else None


@click.command("assign")
@protocol_option
@click.option("--reviewers", help="Comma-separated names from the protocol's review.reviewers.")
@click.option(
    "--overlap",
    type=float,
    help="Fraction of the works every reviewer screens (single screening; default 0.2).",
)
@click.option("--dual", is_flag=True, help="Every work to two reviewers (dual screening).")
@click.option("--seed", type=int, help="Seed of the shuffle (default: one per review).")
def assign_cmd(
    protocol_path: str | None,
    reviewers: str | None,
    overlap: float | None,
    dual: bool,
    seed: int | None,
) -> None:
    """Split the title-abstract queue among the reviewers (saved in assignment.jsonl).

    Each work goes to two reviewers (--dual), or to one reviewer, with an overlap sample
    that all of them screen. Run it again after new works arrived: only those are
    assigned, with the same settings; existing shares never change.

    \b
    Example:
      slr assign --reviewers alice,bob,carol --overlap 0.2 --seed 7
      slr assign --reviewers alice,bob --dual
      slr assign
    """
    from slr.screen.assign import assign, format_assign

    review = load(protocol_path)
    mode = "dual" if dual else ("overlap" if overlap is not None else None)
    result = assign(review, _names(reviewers), mode, overlap, seed)
    click.echo(format_assign(result))


@click.command("calibrate")
@protocol_option
@click.option("--sample", "size", type=int, help="Draw a calibration sample of this many works.")
@click.option("--seed", type=int, help="Seed of the draw (default: one per review).")
@click.option("--reviewers", help="Who screens the sample (default: the protocol's reviewers).")
@click.option("--report", is_flag=True, help="Report the latest sample (what no option does).")
def calibrate_cmd(
    protocol_path: str | None,
    size: int | None,
    seed: int | None,
    reviewers: str | None,
    report: bool,
) -> None:
    """Calibrate the screeners on one random sample: kappa and the disagreements.

    `--sample N` draws the sample every listed reviewer is served first by `slr screen`.
    Without it, reports the latest sample: each reviewer's progress and, once all have
    screened it, Cohen's kappa (Fleiss' for 3+) and the works they disagree on. With the
    protocol's [calibration] min_kappa, full screening waits until the kappa reaches it.

    \b
    Example:
      slr calibrate --sample 50 --seed 1
      slr calibrate
    """
    from slr.screen.calibrate import calibration, draw_sample, format_calibration

    review = load(protocol_path)
    if size is not None and report:
        raise ScreeningError("--sample draws a sample and --report reports one: give one of them")
    if size is None and (seed is not None or reviewers):
        raise ScreeningError("--seed and --reviewers go with --sample N")
    if size is not None:
        sample = draw_sample(review, size, seed, _names(reviewers))
        click.echo(
            f"calibration round {sample.round}: {len(sample.work_ids)} works (seed "
            f"{sample.seed}) for {', '.join(sample.reviewers)}; each is served them first by "
            "`slr screen --reviewer NAME`; commit calibration.jsonl"
        )
        return
    click.echo(format_calibration(calibration(review)))


COMMANDS = [screen_cmd, conflicts_cmd, resolve_cmd, agreement_cmd, assign_cmd, calibrate_cmd]
