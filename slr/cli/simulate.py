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
    "--target",
    default=0.95,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Recall target of the stopping rules (between 0 and 1).",
)
@click.option(
    "--query",
    "query_text",
    help="The review's search query (slr query syntax): its terms rank matching records up.",
)
@click.option(
    "--keywords",
    multiple=True,
    help="Concept keywords, as the protocol's [[concepts]] give them (repeatable).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
def simulate(
    data: str,
    label_column: str | None,
    seed: int,
    output: str | None,
    target: float,
    query_text: str | None,
    keywords: tuple[str, ...],
    quiet: bool,
) -> None:
    """Simulate prioritised screening on a labelled dataset and print WSS@95 and recall.

    Then where each stopping rule would have stopped, with the recall reached and the work
    saved. Starts from one relevant and one irrelevant record drawn with the seed; N excludes them.
    --query and --keywords give the model what a protocol gives `slr screen --order ranked`
    (a prior from the query terms); without them the records' texts alone are used.

    \b
    Example:
      slr simulate wilson.csv --seed 1 --output order.csv
      slr simulate refs.csv --label-column included_final --query '"machine learning" AND ops'
    """
    from slr.cli.progress import drawing
    from slr.screen import simulate as sim
    from slr.screen.ranking import prior_text

    dataset = sim.read_dataset(data, label_column)
    settings = None
    if query_text or keywords:
        settings = {"prior_text": prior_text(query_text, keywords, "--query")}
    with drawing(quiet) as progress:
        result = sim.simulate(
            dataset.texts, dataset.labels, seed, target, settings, dataset.titles, progress
        )
    m = result.metrics
    click.echo(f"records N = {m.n} (priors excluded), relevant R = {m.relevant}, seed {seed}")
    click.echo(f"WSS@95 (Cohen: (N - n95)/N - 0.05)  {m.wss95:.3f}")
    click.echo(f"recall at 10% screened              {m.recall10:.3f}")
    click.echo(f"recall at 25% screened              {m.recall25:.3f}")
    click.echo(f"ATD (mean position of relevant / N) {m.atd:.3f}")
    click.echo(f"last relevant at                    {m.last_relevant} of {m.n}")
    click.echo("where each stopping rule stops (screened of N, recall reached, work saved):")
    for stop in m.stops:
        where = (
            f"{stop.screened} of {m.n}, recall {stop.recall:.3f}, work saved {stop.work_saved:.1%}"
            if stop.screened
            else "not before every record is screened"
        )
        click.echo(f"  {stop.rule}: {where}")
    if output:
        write_atomic(Path(output), sim.order_csv(dataset, result))
        click.echo(f"wrote {output}")


COMMANDS = [simulate]
