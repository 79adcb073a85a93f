"""`slr check`, `slr query`, `slr status`: look at the protocol and the state."""

from __future__ import annotations

import json
from collections import Counter

import click

from slr import protocol as protocol_mod
from slr import query as q
from slr.cli.options import load, protocol_option
from slr.coding.log import coders
from slr.decisions import STAGES, current, read_log, reviewers
from slr.errors import SlrError
from slr.protocol import Protocol
from slr.review import Review
from slr.screen.state import YEARS
from slr.sources import compile_each
from slr.status import format_status, status
from slr.store import Store, read_jsonl


@click.command()
@protocol_option
def check(protocol_path: str | None) -> None:
    """Validate the protocol, compile its query for every source, and print a summary.

    Errors (exit 1, one line each): the protocol or its query is invalid, a source cannot
    be sent the query, exclusion criteria are missing once there are records to screen,
    concepts are missing once studies are included or coded. Warnings: what a fresh
    protocol still lacks, and criteria that decisions use but the protocol no longer has.

    \b
    Example:
      slr check -p protocols/mlops.toml
    """
    proto = protocol_mod.load(protocol_mod.find(protocol_path))
    review = Review(proto, Store(protocol_mod.corpus_dir(proto)))  # read only: nothing created
    compiled, errors = _compile_lines(proto)
    notes: list[str] = []
    for stage, why in _readiness(review):
        problem = protocol_mod.missing(proto, stage, why)
        if problem is not None:
            (errors if why else notes).append(str(problem))
    if errors:
        for line in errors[:-1]:
            click.echo(f"Error: {line}", err=True)
        raise SlrError(errors[-1])
    notes.extend(_orphan_criteria(review))
    s = proto.search
    years = f"{s.years[0]}-{s.years[1]}" if s.years else "any"
    lines = [
        f"protocol  {proto.path}",
        f"review    {proto.id}: {proto.title}",
        f"hash      {proto.hash}",
        f"query     {q.to_string(s.query)}",
        f"sources   {', '.join(spec.name for spec in s.sources)}",
        *compiled,
        f"years     {years}",
        f"types     {', '.join(s.types) or 'any'}",
        f"languages {', '.join(s.languages) or 'any'}",
        f"criteria  {len(proto.inclusion)} inclusion ({', '.join(c.id for c in proto.inclusion)}), "
        f"{len(proto.exclusion)} exclusion ({', '.join(c.id for c in proto.exclusion)})",
        f"concepts  {len(proto.concepts)}",
    ]
    auto = [c.id for c in proto.criteria if c.require]
    if auto:
        lines.append(f"machine rules: {', '.join(auto)}")
    click.echo("\n".join(lines))
    for line in notes:
        click.echo(f"Warning: {line}", err=True)
    click.echo("OK")


def _compile_lines(proto: Protocol) -> tuple[list[str], list[str]]:
    """Per source, the query as sent (or the manual export route); and one error per failure."""
    lines: list[str] = []
    errors: list[str] = []
    for spec, (name, text, error) in zip(proto.search.sources, compile_each(proto), strict=True):
        if error is None:
            lines.append(f"  {name}: {text}")
            continue
        own = spec.query is not proto.search.query  # the source has its own query
        keypath = f"search.source.{name}.query" if own else "search.query"
        message = str(error)
        if not message.startswith(f"{name}:"):
            message = f"{name}: {message}"
        errors.append(str(protocol_mod.error_at(proto, keypath, f"cannot be sent to {message}")))
    return lines, errors


def _readiness(review: Review) -> list[tuple[str, str]]:
    """(stage, why the protocol must serve it now; "" while the review has nothing for it)."""
    store = review.store
    records = sum(1 for _ in read_jsonl(store.records_file))
    screen_why = f", and the review has {records} records to screen" if records else ""
    included: set[str] = set()
    for reviewer in reviewers(review):
        standing = current(read_log(review, reviewer), "full-text")
        included.update(w for w, d in standing.items() if d.decision == "include")
    coded = coders(review)
    if coded:
        code_why = f", and {', '.join(coded)} already coded studies"
    elif included:
        code_why = f", and {len(included)} studies are included at full text"
    else:
        code_why = ""
    return [("screen", screen_why), ("code", code_why)]


def _orphan_criteria(review: Review) -> list[str]:
    """One warning per criterion that standing decisions use but the protocol no longer has."""
    known = {c.id for c in review.protocol.criteria} | {YEARS}  # years: the search limits
    used: Counter[str] = Counter()
    for reviewer in reviewers(review):
        log = read_log(review, reviewer)
        for stage in STAGES:
            for decision in current(log, stage).values():
                used.update(c for c in decision.criteria if c not in known)
    path = review.protocol.path
    return [
        f"{path}: criterion {cid} is used by {n} decision{'s' if n != 1 else ''} but is no "
        "longer in the protocol; add it back under [[criteria.exclusion]] (or inclusion) "
        "so the report can name it"
        for cid, n in sorted(used.items())
    ]


@click.command()
@protocol_option
@click.argument("text", required=False)
def query(protocol_path: str | None, text: str | None) -> None:
    """Print the parsed query tree (the protocol's, or TEXT) and its canonical spelling.

    \b
    Example:
      slr query
      slr query 'title:(mlops OR "machine learning operations") AND challeng*'
    """
    if text is not None:
        node = q.parse(text)
        click.echo(q.tree(node))
        click.echo(f"canonical: {q.to_string(node)}")
        return
    proto = protocol_mod.load(protocol_mod.find(protocol_path))
    click.echo(q.tree(proto.search.query))
    click.echo(f"canonical: {q.to_string(proto.search.query)}")
    for name, compiled, error in compile_each(proto):
        click.echo(f"{name}: {compiled}" if error is None else f"{name}: cannot be sent: {error}")


@click.command("status")
@protocol_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status_cmd(protocol_path: str | None, as_json: bool) -> None:
    """Counts per stage of the review.

    \b
    Example:
      slr status --json
    """
    data = status(load(protocol_path))
    if as_json:
        click.echo(json.dumps(data.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(format_status(data))


COMMANDS = [check, query, status_cmd]
