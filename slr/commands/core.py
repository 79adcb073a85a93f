"""`slr check`, `slr query`, `slr status`: look at the protocol and the state."""

from __future__ import annotations

import json

import click

from slr import protocol as protocol_mod
from slr import query as q
from slr.commands import load, protocol_option
from slr.status import format_status, status


@click.command()
@protocol_option
def check(protocol_path: str | None) -> None:
    """Validate the protocol and print a summary with its content hash.

    \b
    Example:
      slr check -p protocols/mlops.toml
    """
    proto = protocol_mod.load(protocol_mod.find(protocol_path))
    s = proto.search
    years = f"{s.years[0]}-{s.years[1]}" if s.years else "any"
    lines = [
        f"protocol  {proto.path}",
        f"review    {proto.id}: {proto.title}",
        f"hash      {proto.hash}",
        f"query     {q.to_string(s.query)}",
        f"sources   {', '.join(spec.name for spec in s.sources)}",
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
    click.echo("OK")


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
    try:
        from slr.sources import compile_all  # type: ignore[attr-defined]
    except ImportError:
        return
    for name, compiled in compile_all(proto):
        click.echo(f"{name}: {compiled}")


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
    click.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else format_status(data))


COMMANDS = [check, query, status_cmd]
