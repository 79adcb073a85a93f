"""The fast paths of issue 16 keep their answers true: a `slr dedupe` with nothing new is
recognised without the engine and writes nothing, a kept status is the one computed, and
enrichment writes records through the one records writer (a kill leaves them intact)."""

import json
import shutil
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner
from test_search import ENV, WORKS, client, make_review, work

import slr.corpus
import slr.dedupe.engine
import slr.dedupe.incremental
import slr.dedupe.memo
import slr.review
import slr.search
import slr.status
from slr.cli import main
from slr.corpus import add_records, load_records
from slr.records import Record

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def demo(tmp_path, monkeypatch):
    """A copy of the demo review, with the local cache on (in tmp) whatever its size."""
    shutil.copytree(ROOT / "protocols", tmp_path / "protocols")
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    monkeypatch.setenv("SLR_CACHE_DIR", str(tmp_path / "cache"))
    for module in (slr.review, slr.dedupe.memo, slr.status):
        monkeypatch.setattr(module, "LOCAL_CACHE_MIN_BYTES", 0)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*args):
    result = CliRunner().invoke(main, [*args, "-p", "protocols/mlops.toml"])
    assert result.exit_code == 0, result.output
    return result.output


def _snapshot(folder: Path):
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _no_engine(*args, **kwargs):
    raise AssertionError("the de-duplication engine ran")


def test_dedupe_with_nothing_new_is_recognised_and_writes_nothing(demo, monkeypatch):
    first = _run("dedupe")
    assert "nothing new" not in first
    corpus = demo / "corpus" / "mlops"
    before = _snapshot(corpus)
    monkeypatch.setattr(slr.dedupe.incremental, "run", _no_engine)
    monkeypatch.setattr(slr.dedupe.engine, "run", _no_engine)
    again = _run("dedupe")
    assert "nothing new since the last run" in again
    # the same counts as the run that computed them
    assert again.splitlines()[1:] == first.splitlines()[1:]
    assert again.split(";")[0] == first.split(";")[0]
    assert _snapshot(corpus) == before
    # a new record is new: the engine is asked again
    review = slr.review.open_review("protocols/mlops.toml")
    add_records(review, [Record("manual", "1", "A new study of MLOps", None, year=2021)])
    result = CliRunner().invoke(main, ["dedupe", "-p", "protocols/mlops.toml"])
    assert isinstance(result.exception, AssertionError)


def test_a_changed_answer_or_setting_is_not_nothing_new(demo, monkeypatch):
    _run("dedupe")
    monkeypatch.setattr(slr.dedupe.incremental, "run", _no_engine)
    result = CliRunner().invoke(main, ["dedupe", "--no-versions", "-p", "protocols/mlops.toml"])
    assert isinstance(result.exception, AssertionError)


def test_a_kept_status_is_the_one_computed_and_follows_every_change(demo, monkeypatch):
    fresh = _run("status", "--json")  # computed, then kept
    text = _run("status")
    computed = slr.status.status_of
    calls = []
    monkeypatch.setattr(slr.status, "status_of", lambda state: calls.append(1) or computed(state))
    assert _run("status", "--json") == fresh and _run("status") == text
    assert calls == []  # from the local cache
    log = demo / "corpus" / "mlops" / "decisions" / "reviewer1.jsonl"
    first = json.loads(log.read_text("utf-8").splitlines()[0])
    with log.open("a", encoding="utf-8") as fh:  # the reviewer changes a decision
        undo = {**first, "decision": "exclude" if first["decision"] != "exclude" else "include"}
        fh.write(json.dumps(undo) + "\n")
    changed = _run("status", "--json")
    assert calls == [1]
    monkeypatch.setattr(slr.status, "LOCAL_CACHE_MIN_BYTES", 1 << 60)  # no cache at all
    assert _run("status", "--json") == changed


@responses.activate
def test_enrichment_writes_through_the_records_writer_and_a_kill_leaves_records_intact(
    tmp_path, monkeypatch
):
    review = make_review(tmp_path, sources='["crossref"]')
    recs = [
        Record("crossref", f"10.1234/w{i}", f"Pipeline study {i}", None, doi=f"10.1234/w{i}")
        for i in (1, 2)
    ]
    add_records(review, recs)
    records = review.store.records_file
    before = records.read_bytes()

    def serve(kill: bool):
        def second(request):
            if kill:
                raise KeyboardInterrupt  # the user's Ctrl-C, or a kill, mid-way
            return 200, {}, json.dumps(work(2, "Pipeline study 2", "mlops pipelines"))

        responses.add(responses.GET, f"{WORKS}/doi:10.1234/w1", json=work(1, "x", "mlops"))
        responses.add_callback(responses.GET, f"{WORKS}/doi:10.1234/w2", callback=second)

    writes = []
    real = slr.corpus.update_records
    monkeypatch.setattr(slr.search, "update_records", lambda r, c: writes.append(c) or real(r, c))
    serve(kill=True)
    with pytest.raises(KeyboardInterrupt):
        slr.search.enrich_records(review, client(), env=ENV)
    assert records.read_bytes() == before
    responses.reset()
    serve(kill=False)
    assert slr.search.enrich_records(review, client(), env=ENV) == 2
    assert [sorted(c) for c in writes] == [[0, 1]]  # one write, through the writer
    assert [r.abstract for r in load_records(review)] == ["mlops", "mlops pipelines"]
