"""`make demo`: the reference review run offline, end to end as far as the pipeline goes.

Every step is the library function a user would call through the CLI; outputs go to the
git-ignored folder given by --out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from slr import query as q
from slr.errors import SlrError
from slr.review import open_review
from slr.status import format_status, status
from slr.store import write_atomic


@click.command()
@click.option("--out", type=click.Path(file_okay=False), default="out/demo", show_default=True)
@click.option(
    "-p", "--protocol", "protocol_path", default="protocols/mlops.toml", show_default=True
)
def demo(out: str, protocol_path: str) -> None:
    """Run the reference review offline and write its outputs to OUT."""
    out_dir = Path(out)
    try:
        review = open_review(protocol_path)
        proto = review.protocol
        click.echo(f"== protocol {proto.path} (hash {proto.short_hash})")
        click.echo(q.tree(proto.search.query))
        summary = format_status(status(review))
        write_atomic(out_dir / "status.txt", summary + "\n")
        click.echo("== status")
        click.echo(summary)
        click.echo(f"== outputs in {out_dir}/")
    except SlrError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    demo()
