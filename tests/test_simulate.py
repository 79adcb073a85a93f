"""Simulation metrics against hand-computed orders, reproducibility and the CLI contract."""

import csv
import io

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.screen.simulate import metrics, read_dataset, simulate


def test_metrics_hand_computed_example():
    # methods.md section 6: N = 20, R = 4, the 4th relevant at rank 7
    m = metrics([1, 0, 1, 1, 0, 0, 1] + [0] * 13)
    assert m.wss95 == pytest.approx(0.60)
    assert (m.recall10, m.recall25) == (0.25, 0.75)
    assert m.last_relevant == 7
    assert m.atd == pytest.approx((1 + 3 + 4 + 7) / 4 / 20)


def test_metrics_wss_example_from_asreview_insights():
    # N = 2000, R = 100, 95 found within the first 1100
    order = [1] * 94 + [0] * 1005 + [1] * 6 + [0] * 895  # the 95th relevant at rank 1100
    assert metrics(order).wss95 == pytest.approx(0.40)


def _dataset(tmp_path):
    rows = []
    for n in range(60):
        relevant = n % 6 == 0
        title = (
            "Challenges of MLOps adoption in organisations"
            if relevant
            else f"Soil fauna survey number {n} in forests"
        )
        rows.append({"id": f"r{n}", "title": title, "abstract": "", "included": int(relevant)})
    path = tmp_path / "data.csv"
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "title", "abstract", "included"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_ranking_finds_the_relevant_first_and_is_reproducible(tmp_path):
    data = read_dataset(_dataset(tmp_path))
    a = simulate(data.texts, data.labels, seed=3)
    b = simulate(data.texts, data.labels, seed=3)
    assert a.order == b.order
    assert sorted(a.order) == list(range(60))
    # 10 relevant: after the two priors, the 9 remaining relevant are screened first
    assert a.labels[2:11] == [1] * 9
    assert a.metrics.last_relevant == 9
    assert a.metrics.recall10 == 6 / 9  # methods.md: ceil(0.1 * 58) = 6 screened, all relevant


def test_cli_prints_metrics_and_writes_order(tmp_path):
    path = _dataset(tmp_path)
    out = tmp_path / "order.csv"
    result = CliRunner().invoke(main, ["simulate", str(path), "--seed", "1", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "WSS@95" in result.output and "recall at 10% screened" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["rank", "id", "label"]
    assert sorted(r["id"] for r in rows) == sorted(f"r{n}" for n in range(60))
    assert [int(r["rank"]) for r in rows] == list(range(1, 61))


def test_bad_label_column_is_one_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("title,included\nA,1\nB,yes\n")
    result = CliRunner().invoke(main, ["simulate", str(path)])
    assert result.exit_code == 1 and result.output.startswith("Error: ")
    assert "bad.csv:3: column 'included' must be 0 or 1" in result.output
    result = CliRunner().invoke(main, ["simulate", str(path), "--label-column", "nope"])
    assert result.exit_code == 1 and "name it with --label-column" in result.output
