"""Two git clones, one per reviewer, merged without conflict, followed by `slr conflicts`.

A lead imports, de-duplicates, draws a calibration sample and assigns the queue, and
pushes; alice and bob each screen in their own clone with the plain CLI, bob merges alice's
work, both start full screening with --force below min_kappa (each clone appends a line to
calibration.jsonl), and the last merge joins those appends through the review's
`.gitattributes` (`*.jsonl merge=union`) without a conflict.
"""

import json
import shutil

import pytest
from click.testing import CliRunner
from test_git_merge import INPUTS, ROOT, git, ok

from slr.cli import main
from slr.decisions import read_log
from slr.review import open_review
from slr.screen.assign import read_assignment
from slr.screen.calibrate import forced_starts, samples

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
TA = "title-abstract"


def slr(clone, *args, input=None, code=0):
    result = CliRunner().invoke(
        main, [*args, "-p", str(clone / "protocols" / "t.toml")], input=input
    )
    assert result.exit_code == code, result.output
    return result.output


def commit(clone, message):
    ok(git(clone, "add", "-A"))
    ok(git(clone, "commit", "-q", "-m", message))


def pull(clone):
    merged = git(clone, "pull", "--no-rebase", "--no-edit", "origin", "main")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "CONFLICT" not in merged.stdout + merged.stderr
    assert git(clone, "diff", "--name-only", "--diff-filter=U").stdout == ""


def test_two_reviewers_screen_their_shares_in_their_clones_and_merge(tmp_path, monkeypatch):
    monkeypatch.setenv("SLR_KEYS", str(tmp_path / "no-keys.toml"))
    monkeypatch.delenv("SLR_REVIEWER", raising=False)
    ok(git(tmp_path, "init", "-q", "--bare", "-b", "main", "origin.git"))
    ok(git(tmp_path, "clone", "-q", "origin.git", "lead"))
    lead = tmp_path / "lead"
    (lead / "protocols").mkdir()
    text = (ROOT / "protocols" / "mlops.toml").read_text("utf-8")
    text = text.replace('id = "mlops"', 'id = "t"')
    text = text.replace('reviewers = ["reviewer1"]', 'reviewers = ["alice", "bob"]')
    (lead / "protocols" / "t.toml").write_text(text + "\n[calibration]\nmin_kappa = 0.6\n")
    slr(lead, "import", str(INPUTS / "scopus.csv"), "--source", "scopus", "--date", "2026-11-26")
    slr(lead, "dedupe", "-q")
    slr(lead, "calibrate", "--sample", "6", "--seed", "1")
    slr(lead, "assign", "--reviewers", "alice,bob", "--overlap", "0.2", "--seed", "1")
    commit(lead, "calibration sample and assignment")
    ok(git(lead, "push", "-q", "origin", "main"))
    a, b = tmp_path / "a", tmp_path / "b"
    for clone in (a, b):
        ok(git(tmp_path, "clone", "-q", "origin.git", clone.name))
    corpus = "corpus/t/calibration.jsonl"
    assert git(a, "check-attr", "merge", corpus).stdout.strip() == f"{corpus}: merge: union"

    # each screens the calibration sample (all they are served below min_kappa)
    slr(a, "screen", "--reviewer", "alice", "--plain", input="i\n" * 6 + "q\n")
    commit(a, "alice: calibration")
    ok(git(a, "push", "-q", "origin", "main"))
    slr(b, "screen", "--reviewer", "bob", "--plain", input="i\ni\ni\n4\n4\n4\nq\n")
    commit(b, "bob: calibration")
    pull(b)
    report = slr(b, "calibrate")
    assert "Cohen's kappa 0.000" in report and "3 disagreement(s):" in report
    assert "min_kappa 0.6: not reached" in report
    refused = slr(b, "screen", "--reviewer", "bob", "--plain", input="q\n", code=1)
    assert "is below calibration.min_kappa 0.6" in refused

    # both start full screening anyway, each in their own clone: two appends to one file
    slr(b, "screen", "--reviewer", "bob", "--force", "--plain", input="4\n" * 60 + "q\n")
    commit(b, "bob: his share")
    ok(git(b, "push", "-q", "origin", "main"))
    slr(a, "screen", "--reviewer", "alice", "--force", "--plain", input="i\n" * 60 + "q\n")
    commit(a, "alice: her share")
    pull(a)
    for path in (a / "corpus" / "t").rglob("*"):
        if path.is_file():
            assert b"<<<<<<<" not in path.read_bytes(), path

    review = open_review(str(a / "protocols" / "t.toml"))
    forced = forced_starts(review)
    assert sorted((f["reviewer"], f["kappa"]) for f in forced) == [("alice", None), ("bob", 0.0)]
    assignment = read_assignment(review)
    sample = set(samples(review)[-1].work_ids)
    bob_excluded = {d.work_id for d in read_log(review, "bob") if d.decision == "exclude"}
    alice_decided = {d.work_id for d in read_log(review, "alice")}
    assert alice_decided == assignment.share("alice") | sample  # her share, nothing else
    expected = (sample & bob_excluded) | (assignment.overlap - sample)
    assert len(sample & bob_excluded) == 3 and assignment.overlap - sample
    listed = json.loads(slr(a, "conflicts", "--json"))
    assert {row["work_id"] for row in listed} == expected
    assert all(
        row["decisions"]["alice"] == "include" and row["decisions"]["bob"].startswith("exclude")
        for row in listed
    )
    text = slr(a, "conflicts")
    assert text.rstrip().endswith(
        f"{len(expected)} conflict(s) at {TA}; walk them with `slr resolve --stage {TA}`"
    )
