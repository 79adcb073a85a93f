"""A review's state is read once per command: every stage of `slr report` / `slr status`
shares one parse of each state file (records, works, search log, decision and coding logs)."""

import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

import slr.review
import slr.store
from slr.cli import main
from slr.corpus import add_records, load_records
from slr.review import open_review

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def demo(tmp_path):
    shutil.copytree(ROOT / "protocols", tmp_path / "protocols")
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    return tmp_path


def _reads(monkeypatch, demo, args):
    """file (relative to the corpus) -> times it was parsed or hashed while running `slr args`."""
    reads: Counter[str] = Counter()
    corpus = demo / "corpus" / "mlops"
    real_read, real_hash = slr.store.read_numbered, slr.review.file_sha256

    def counting_read(path):
        reads[str(Path(path).relative_to(corpus))] += 1
        return real_read(path)

    def counting_hash(path):
        reads[str(Path(path).relative_to(corpus)) + " (sha256)"] += 1
        return real_hash(path)

    monkeypatch.setattr(slr.store, "read_numbered", counting_read)
    monkeypatch.setattr(slr.review, "file_sha256", counting_hash)
    monkeypatch.chdir(demo)
    result = CliRunner().invoke(main, [*args, "-p", "protocols/mlops.toml"])
    assert result.exit_code == 0, result.output
    return reads


@pytest.mark.parametrize("args", [["report", "-o", "report.md"], ["status"], ["status", "--json"]])
def test_each_state_file_is_read_once(monkeypatch, demo, args):
    reads = _reads(monkeypatch, demo, args)
    for name in ("records.jsonl", "works.jsonl", "searchlog.jsonl", "works.jsonl (sha256)"):
        assert reads[name] == 1, (name, reads)
    logs = [name for name in reads if name.startswith(("decisions/", "coding/"))]
    assert logs and all(reads[name] == 1 for name in logs), reads
    assert max(reads.values()) == 1, reads


def test_a_file_changed_on_disk_is_read_again(demo):
    review = open_review(demo / "protocols" / "mlops.toml")
    before = load_records(review)
    extra = before[0].evolve(source="manual", key="manual:1")
    assert add_records(review, [extra]) == 1
    after = load_records(review)
    assert len(after) == len(before) + 1 and after[-1].id == extra.id
    after.pop()  # a caller's list is its own: the review's cache is untouched
    assert len(load_records(review)) == len(before) + 1


def test_status_is_a_frozen_value_with_the_json_it_always_had(demo):
    import dataclasses

    from slr.status import status

    result = status(open_review(demo / "protocols" / "mlops.toml"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.works = 0  # type: ignore[misc]
    data = result.to_dict()
    assert list(data) == [
        "review", "protocol_hash", "corpus", "records", "records_per_source",
        "records_from_databases", "records_from_citation_searching", "records_not_in_works",
        "searches", "works", "dedupe", "screening", "coding", "auto_screened", "torn",
        "snowball_caps_hit", "imported_unmatched", "next", "retracted",
    ]  # fmt: skip
    assert all(list(c)[-1] == "recall" for c in data["screening"].values())
