"""Durability: a screening process killed with SIGKILL loses no decision and resumes at the next work.

The corpus is a real recorded OpenAlex response (49 works, tests/fixtures/openalex), imported
into a review with `slr.corpus.add_records`, one work per record.
"""

import json
import os
import re
import signal
import sys
from pathlib import Path

import pexpect
from click.testing import CliRunner
from conftest import new_review

from slr.cli import main
from slr.corpus import add_records
from slr.decisions import AUTO_REVIEWER, read_log
from slr.records import Record, normalise_doi, normalise_language, normalise_type
from slr.screen.rules import auto_screen
from slr.screen.session import open_session
from slr.works import Work, save_works

FIXTURE = Path(__file__).parent / "fixtures" / "openalex" / "peneira_works_search_page1.json"

PROTOCOL = """
[review]
id = "durable"
title = "Durability"
reviewers = ["alice"]

[search]
query = 'health OR "public health"'
sources = ["openalex"]

[[criteria.inclusion]]
id = "IC1"
text = "Research articles, reviews and conference papers"
require = { types = ["article", "review", "conference-paper"] }

[[criteria.exclusion]]
id = "EC1"
text = "Not in English"
require = { languages = ["en"] }

[[criteria.exclusion]]
id = "EC2"
text = "Off topic"
"""


def openalex_records(path):
    """A minimal reading of OpenAlex works (the search engineer's parser is not needed here)."""
    for item in json.loads(path.read_text("utf-8"))["results"]:
        index = item.get("abstract_inverted_index") or {}
        words = sorted((p, w) for w, ps in index.items() for p in ps)
        source = (item.get("primary_location") or {}).get("source") or {}
        yield Record(
            source="openalex",
            source_id=item["id"].rsplit("/", 1)[-1],
            title=item.get("title"),
            abstract=" ".join(w for _, w in words) or None,
            authors=tuple(a["author"]["display_name"] for a in item.get("authorships", [])),
            year=item.get("publication_year"),
            venue=source.get("display_name"),
            doi=normalise_doi(item.get("doi")),
            type=normalise_type(item.get("type")),
            language=normalise_language(item.get("language")),
            oa_url=(item.get("best_oa_location") or {}).get("pdf_url"),
        )


def imported_review(tmp_path):
    review = new_review(tmp_path, PROTOCOL, "durable.toml")
    records = list(openalex_records(FIXTURE))
    assert add_records(review, records) == 49
    save_works(review, [Work(r.id, (r.id,), ("openalex",), r) for r in records])
    return review


def test_sigkill_after_n_decisions_keeps_all_n_and_resumes_at_n_plus_one(tmp_path):
    review = imported_review(tmp_path)
    summary = auto_screen(review)
    assert summary.excluded > 0  # the fixture has book chapters, preprints...
    queue = [w.work_id for w in open_session(review, "alice", "title-abstract").works]
    total = len(queue)
    keys = ["i", "1", "m", "2", "i", "i", "2", "m", "1"]
    n = len(keys)
    slr = str(Path(sys.executable).parent / "slr")
    env = dict(os.environ, SLR_KEYS=str(tmp_path / "none.toml"))
    child = pexpect.spawn(
        slr,
        ["screen", "--plain", "-p", str(review.protocol.path), "--reviewer", "alice"],
        env=env,
        encoding="utf-8",
        timeout=20,
    )
    try:
        for i, key in enumerate(keys):
            child.expect(re.escape(f"[{i + 1}/{total}] "))
            child.sendline(key)
        child.expect(re.escape(f"[{n + 1}/{total}] "))  # drawn only after decision n is on disk
        child.kill(signal.SIGKILL)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.signalstatus == signal.SIGKILL

    log = read_log(review, "alice")
    expected = {"i": ("include", ()), "m": ("maybe", ()), "1": ("exclude", ("EC1",))}
    expected["2"] = ("exclude", ("EC2",))
    assert [(d.work_id, d.decision, d.criteria) for d in log] == [
        (queue[i], *expected[k]) for i, k in enumerate(keys)
    ]
    result = CliRunner(env={"SLR_KEYS": str(tmp_path / "none.toml")}).invoke(
        main, ["screen", "-p", str(review.protocol.path), "--reviewer", "alice"], input="q\n"
    )
    assert result.exit_code == 0, result.output
    assert f"resuming: {n} of {total} already decided" in result.output
    assert f"[{n + 1}/{total}]" in result.output
    assert f"id {queue[n]}" in result.output
    assert read_log(review, AUTO_REVIEWER)  # the automatic exclusions are kept too
