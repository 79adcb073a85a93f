"""Two clones of one review, each with its own reviewer, merge in git without a conflict.

Each clone imports a different export, de-duplicates and screens as its own reviewer, then
commits; one merges the other. The logs merge through the review's `.gitattributes`
(`merge=union`); the derived works.jsonl is rebuilt by the next command, with a note, so
that the counts cover both sides (and the duplicate across them is linked).
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.decisions import Decision, record_decision
from slr.review import open_review
from slr.works import load_works

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "corpus" / "mlops" / "inputs"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,  # the user's settings play no part
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
    }
    return subprocess.run(
        ["git", *args], cwd=where, env=env, capture_output=True, text=True, check=False
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def slr(clone: Path, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "-p", str(clone / "protocols" / "t.toml")])
    assert result.exit_code == 0, result.output
    return result.output


def work_as(clone: Path, reviewer: str, export: str, source: str) -> int:
    """Import one export, de-duplicate, screen every work as `reviewer`, commit; the works."""
    slr(clone, "import", str(INPUTS / export), "--source", source, "--date", "2026-11-26")
    slr(clone, "dedupe", "-q")
    review = open_review(str(clone / "protocols" / "t.toml"))
    works = load_works(review)
    for work in works:
        record_decision(review, Decision(reviewer, "title-abstract", work.work_id, "include"))
    ok(git(clone, "add", "-A"))
    ok(git(clone, "commit", "-q", "-m", f"{reviewer}: {export}"))
    return len(works)


@pytest.fixture
def clones(tmp_path):
    """An origin holding only the protocol, and two clones of it."""
    ok(git(tmp_path, "init", "-q", "--bare", "-b", "main", "origin.git"))
    setup = tmp_path / "setup"
    ok(git(tmp_path, "clone", "-q", "origin.git", "setup"))
    (setup / "protocols").mkdir()
    text = (ROOT / "protocols" / "mlops.toml").read_text("utf-8")
    text = text.replace('id = "mlops"', 'id = "t"')
    text = text.replace('reviewers = ["reviewer1"]', 'reviewers = ["alice", "bob"]')
    (setup / "protocols" / "t.toml").write_text(text, "utf-8")
    ok(git(setup, "add", "-A"))
    ok(git(setup, "commit", "-q", "-m", "protocol"))
    ok(git(setup, "push", "-q", "origin", "main"))
    for name in ("a", "b"):
        ok(git(tmp_path, "clone", "-q", "origin.git", name))
    return tmp_path / "a", tmp_path / "b"


def test_two_clones_with_their_own_reviewers_merge_without_conflict(clones):
    a, b = clones
    works_a = work_as(a, "alice", "scopus.csv", "scopus")
    works_b = work_as(b, "bob", "google-scholar.json", "google-scholar")
    ok(git(a, "push", "-q", "origin", "main"))
    merged = git(b, "pull", "--no-rebase", "--no-edit", "origin", "main")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "CONFLICT" not in merged.stdout + merged.stderr
    assert git(b, "diff", "--name-only", "--diff-filter=U").stdout == ""
    corpus = b / "corpus" / "t"
    for path in corpus.rglob("*"):
        if path.is_file():
            assert b"<<<<<<<" not in path.read_bytes(), path

    # the next command sees works.jsonl is stale, rebuilds it with a note, counts both sides
    result = CliRunner().invoke(main, ["status", "--json", "-p", str(b / "protocols" / "t.toml")])
    assert result.exit_code == 0, result.output
    notes = [x for x in result.output.splitlines() if x.startswith("Warning: ")]
    assert len(notes) == 1 and "works.jsonl" in notes[0] and "rebuilt" in notes[0]
    data = json.loads(result.output[result.output.index("{") :])
    assert data["records"] == 33 + 4
    assert data["searches"] == 2
    assert data["dedupe"]["records_in_works"] == 33 + 4
    # one paper was found by both exports: linked across the clones now
    assert data["works"] == works_a + works_b - 1

    # and once rebuilt, nothing more to do: no note, no file rewritten
    before = {p: p.read_bytes() for p in corpus.rglob("*") if p.is_file()}
    again = slr(b, "dedupe", "-q")
    assert "Warning" not in again
    assert {p: p.read_bytes() for p in corpus.rglob("*") if p.is_file()} == before
    decided = {
        json.loads(line)["reviewer"]
        for name in ("alice", "bob")
        for line in (corpus / "decisions" / f"{name}.jsonl").read_text("utf-8").splitlines()
    }
    assert decided == {"alice", "bob"}
    ok(git(b, "add", "-A"))
    ok(git(b, "commit", "-q", "-m", "works rebuilt after the merge"))
    ok(git(b, "push", "-q", "origin", "main"))
    # the first clone takes the merge back: a fast-forward, its works now count both sides
    ok(git(a, "pull", "--no-rebase", "--no-edit", "origin", "main"))
    assert slr(a, "status").count("Warning") == 0


def test_a_state_file_two_merged_versions_made_invalid_is_rebuilt_with_a_note(tmp_path):
    (tmp_path / "protocols").mkdir()
    shutil.copy(ROOT / "protocols" / "mlops.toml", tmp_path / "protocols" / "mlops.toml")
    corpus = tmp_path / "corpus" / "mlops"
    shutil.copytree(ROOT / "corpus" / "mlops", corpus)
    state = corpus / "dedupe-state.json"
    lines = state.read_text("utf-8").splitlines(keepends=True)
    # what merge=union makes of two runs' versions: both sides' differing lines, one object
    lines.insert(-2, ' "works_sha256": "0000"\n')
    state.write_text("".join(lines), "utf-8")
    result = CliRunner().invoke(
        main, ["dedupe", "-q", "-p", str(tmp_path / "protocols" / "mlops.toml")]
    )
    assert result.exit_code == 0, result.output
    notes = [x for x in result.output.splitlines() if x.startswith("Warning: ")]
    assert len(notes) == 1 and "dedupe-state.json is damaged" in notes[0], result.output
    assert state.read_bytes() == (ROOT / "corpus" / "mlops" / "dedupe-state.json").read_bytes()
