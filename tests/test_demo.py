"""`make demo` end to end: the reference review rebuilt offline from corpus/mlops."""

from pathlib import Path

from click.testing import CliRunner

from slr.cli.demo import demo
from slr.demo import run, same_state
from slr.prisma.counts import compute
from slr.protocol import corpus_dir, load
from slr.review import Review
from slr.store import Store

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "protocols" / "mlops.toml"
TABLE1_TOTALS = "Total,9,10,8,3,3,1,1,4,4,7"


def test_demo_rebuilds_the_committed_review_byte_for_byte(tmp_path):
    first = run(PROTOCOL, tmp_path / "a")
    second = run(PROTOCOL, tmp_path / "b")
    assert sorted(first) == sorted(second)
    for name, path in first.items():
        assert path.read_bytes() == second[name].read_bytes(), name
    proto = load(PROTOCOL)
    scratch = tmp_path / "a" / "corpus" / proto.id
    assert same_state(scratch, corpus_dir(proto)) == []
    table = first["table1.csv"].read_text(encoding="utf-8").splitlines()
    assert table[-1] == TABLE1_TOTALS
    assert table[1].startswith("Paleyes et al. (2022),✓,✓,✓,✓,✗")
    counts = compute(Review(proto, Store(scratch)))
    assert counts.new_studies == 11
    assert counts.identified - counts.duplicates == len(
        (scratch / "works.jsonl").read_text().splitlines()
    )
    report = first["report.md"].read_text(encoding="utf-8")
    assert "Scopus | export file | 2026-11-26" in report and "prisma.svg" in report
    assert first["included.bib"].read_text(encoding="utf-8").count("@") == 11


def test_demo_command_prints_table1_and_prisma_counts(tmp_path):
    result = CliRunner().invoke(demo, ["--out", str(tmp_path), "-p", str(PROTOCOL)])
    assert result.exit_code == 0, result.output
    assert "| **Total** | 9 | 10 | 8 | 3 | 3 | 1 | 1 | 4 | 4 | 7 |" in result.output
    assert "Studies included in review (n = 11)" in result.output
    assert "rebuilt state vs committed corpus/mlops: identical" in result.output
