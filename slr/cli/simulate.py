"""`slr simulate`: replay a fully labelled dataset with the ranking and measure the work saved."""

from __future__ import annotations

from pathlib import Path

import click

from slr.store import write_atomic


@click.command()
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--label-column", help="The 0/1 column (default: label_included, included, label).")
@click.option("--seed", default=0, show_default=True, help="Seed of the two priors and the model.")
@click.option("--output", type=click.Path(dir_okay=False), help="Write the order as rank,id,label.")
@click.option(
    "--target", default=0.95, show_default=True, help="Recall target of the stopping rule."
)
def simulate(
    data: str, label_column: str | None, seed: int, output: str | None, target: float
) -> None:
    """Simulate prioritised screening on a labelled dataset and print WSS@95 and recall.

    Starts from one relevant and one irrelevant record drawn with the seed; N excludes them.

    \b
    Example:
      slr simulate wilson.csv --seed 1 --output order.csv
      slr simulate refs.csv --label-column included_final
    """
    from slr.screen import simulate as sim

    dataset = sim.read_dataset(data, label_column)
    result = sim.simulate(dataset.texts, dataset.labels, seed, target)
    m = result.metrics
    click.echo(f"records N = {m.n} (priors excluded), relevant R = {m.relevant}, seed {seed}")
    click.echo(f"WSS@95 (Cohen: (N - n95)/N - 0.05)  {m.wss95:.3f}")
    click.echo(f"recall at 10% screened              {m.recall10:.3f}")
    click.echo(f"recall at 25% screened              {m.recall25:.3f}")
    click.echo(f"ATD (mean position of relevant / N) {m.atd:.3f}")
    click.echo(f"last relevant at                    {m.last_relevant} of {m.n}")
    if m.stop_at:
        click.echo(
            f"stopping rule (hypergeometric, recall >= {target:.0%} at 95%): stops after "
            f"{m.stop_at} of {m.n} with actual recall {m.stop_recall:.3f}"
        )
    else:
        click.echo("stopping rule (hypergeometric): would not stop before the end")
    if output:
        write_atomic(Path(output), sim.order_csv(dataset, result))
        click.echo(f"wrote {output}")


COMMANDS = [simulate]
