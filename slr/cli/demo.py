"""`make demo` (`python -m slr.demo`): rebuild the reference review offline (slr.demo),
then print Table 1, the PRISMA counts and whether the rebuilt state matches the committed one."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from slr import protocol as protocol_mod
from slr.demo import run, same_state
from slr.errors import SlrError
from slr.review import Review
from slr.store import Store


@click.command()
@click.option("--out", type=click.Path(file_okay=False), default="out/demo", show_default=True)
@click.option(
    "-p", "--protocol", "protocol_path", default="protocols/mlops.toml", show_default=True
)
def demo(out: str, protocol_path: str) -> None:
    """Run the reference review offline and write its outputs to OUT."""
    from slr.matrix.model import render, review_matrix
    from slr.prisma.counts import compute, summary

    out_dir = Path(out)
    try:
        paths = run(protocol_path, out_dir)
        proto = protocol_mod.load(protocol_path)
        review = Review(proto, Store(out_dir / "corpus" / proto.id))
        click.echo(f"== {proto.title} (protocol {proto.short_hash})")
        click.echo("\n== Table 1: concept matrix of challenges faced in MLOps")
        click.echo(str(render(review_matrix(review), "markdown")).rstrip())
        click.echo("\n== PRISMA 2020 counts")
        click.echo(summary(compute(review)))
        differ = same_state(review.store.root, protocol_mod.corpus_dir(proto))
        state = "identical" if not differ else "DIFFERENT in " + ", ".join(differ)
        click.echo(f"\n== rebuilt state vs committed corpus/{proto.id}: {state}")
        click.echo(f"== outputs in {out_dir}/: " + ", ".join(sorted(paths)))
        if differ:
            sys.exit(1)
    except SlrError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
