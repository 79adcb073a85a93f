"""Interactive `slr code`: scripted line sessions, a real terminal, and durability after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner
from test_coding_support import ROOT, make_review, work

from slr.cli import main
from slr.coding.log import latest, read_codings, suggest_for
from slr.tui.code import HELP_TEXT, concept_keys, initial_state, render_study

CONCEPTS = [
    {"id": "C1", "label": "Model issues", "keywords": ["monitoring"]},
    {"id": "C2", "label": "Data issues", "keywords": ["data quality"]},
    {"id": "C3", "label": "Testing", "keywords": ["testing"]},
]


def _works(n: int = 3):
    titles = ["Monitoring models in production", "A survey", "Another survey", "Four", "Five"]
    return [
        work(i + 1, (f"Author{i + 1}, A.",), 2020, title=titles[i], abstract="Plain text.")
        for i in range(n)
    ]


def _run(review, text: str, coder: str = "r1"):
    return CliRunner().invoke(
        main, ["code", "-p", str(review.protocol.path), "--coder", coder], input=text
    )


def _state(review, coder: str = "r1"):
    return {k: (v.present, v.suggested) for k, v in latest(read_codings(review, coder)).items()}


def test_screen_shows_suggestions_as_suggestions(tmp_path):
    works = _works(1)
    review = make_review(tmp_path, CONCEPTS, works)
    hints = suggest_for(review, works[0])
    state = initial_state(review.protocol.concepts, works[0].work_id, {}, hints)
    screen = render_study(
        works[0], "Author1 (2020)", (1, 3), review.protocol.concepts, ["1", "2", "3"],
        state, hints, "r1",
    )  # fmt: skip
    lines = screen.splitlines()
    assert lines[0] == "Study 1 of 3 · Author1 (2020) · coder r1"
    assert " 1 (✓) Model issues  — suggested: 'monitoring' in title" in lines
    assert " 2 [ ] Data issues" in lines
    state.toggle("C2")
    screen = render_study(
        works[0], "x", (1, 3), review.protocol.concepts, ["1", "2", "3"], state, hints, "r1"
    )
    assert " 2 [✓] Data issues" in screen.splitlines()


def test_concept_keys_avoid_command_keys():
    keys = concept_keys(30)
    assert keys[:10] == list("1234567890") and len(set(keys)) == 30
    assert not set(keys) & set("sebnkq?")
    assert concept_keys(40)[-1] == "40"  # too many for single keys: numbers


def test_scripted_session_codes_skips_quits_and_resumes(tmp_path):
    review = make_review(tmp_path, CONCEPTS, _works())
    # study 1: toggle C2, evidence for C2, note on C3, save; study 2: skip; study 3: quit
    script = "2\ne 2\nwe clean the data\n7\nn 3\nnot tested\n\nk\nq\n"
    result = _run(review, script)
    assert result.exit_code == 0, result.output
    assert "Study 1 of 3" in result.output and "Study 3 of 3" in result.output
    assert "1 study saved by r1." in result.output
    log = read_codings(review, "r1")
    assert [(c.work_id, c.concept, c.present, c.suggested) for c in log] == [
        ("manual:1", "C1", True, True),  # accepted suggestion
        ("manual:1", "C2", True, False),
        ("manual:1", "C3", False, False),
    ]
    assert (log[1].evidence, log[1].page) == ("we clean the data", "7")
    assert log[2].note == "not tested"
    # resume: the first study with an uncoded concept is study 2
    result = _run(review, "1 3\nb\n\nq\n")
    assert result.exit_code == 0, result.output
    assert result.output.index("Study 2 of 3") < result.output.index("Study 1 of 3")
    state = _state(review)
    assert state[("manual:2", "C1")] == (True, False) and state[("manual:2", "C2")] == (
        False,
        False,
    )
    # going back showed study 1 as coded (the evidence too), and saving it unchanged wrote nothing
    assert '"we clean the data" p. 7' in result.output
    assert len(read_codings(review, "r1")) == 6
    assert "1 study saved by r1." in result.output  # only study 2 wrote anything


def test_quit_or_end_of_input_never_codes_an_untouched_study(tmp_path):
    review = make_review(tmp_path, CONCEPTS, _works())
    assert _run(review, "q\n").exit_code == 0
    assert _run(review, "").exit_code == 0
    assert read_codings(review, "r1") == []
    # but typed changes are kept when the input ends mid-study
    assert _run(review, "3\n").exit_code == 0
    assert _state(review)[("manual:1", "C3")] == (True, False)


def test_changed_coding_is_a_new_line(tmp_path):
    review = make_review(tmp_path, CONCEPTS, _works(1))
    _run(review, "\n")
    assert _run(review, "1\n\n").exit_code == 0  # all coded: revise from the first
    log = read_codings(review, "r1")
    assert [(c.concept, c.present) for c in log] == [
        ("C1", True),
        ("C2", False),
        ("C3", False),
        ("C1", False),
    ]


def test_unknown_keys_and_help(tmp_path):
    review = make_review(tmp_path, CONCEPTS, _works(1))
    result = _run(review, "z 9 ?\ne 8\nq\n")
    assert "unknown key 'z'" in result.output and "unknown key '9'" in result.output
    assert HELP_TEXT in result.output.splitlines()  # `?` prints the keys
    assert "no concept '8'" in result.output


def test_no_included_studies(tmp_path):
    review = make_review(tmp_path, CONCEPTS, _works(1), include=False)
    result = _run(review, "")
    assert result.exit_code == 0 and "No included studies" in result.output


def test_real_terminal_session(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    review = make_review(tmp_path, CONCEPTS, _works(2))
    env = {**os.environ, "COLUMNS": "100", "LINES": "30", "TERM": "xterm"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "slr", "code", "-p", str(review.protocol.path), "--coder", "r1"],
        env=env,
        encoding="utf-8",
        timeout=20,
        dimensions=(30, 100),
    )
    child.expect("Study 1 of 2")
    child.expect(r"\(✓\) Model issues")
    child.send("3")  # a single key toggles at once, no Enter
    child.expect(r"3 \[✓\] Testing")
    child.send("\r")  # Enter saves and moves on
    child.expect("Study 2 of 2")
    child.send("q")
    child.expect("1 study saved by r1")
    child.expect(pexpect.EOF)
    assert _state(review, "r1") == {
        ("manual:1", "C1"): (True, True),
        ("manual:1", "C2"): (False, False),
        ("manual:1", "C3"): (True, False),
    }


def test_every_saved_study_survives_sigkill(tmp_path):
    n_works, saved = 5, 3
    review = make_review(tmp_path, CONCEPTS, _works(n_works))
    cmd = [sys.executable, "-m", "slr", "code", "-p", str(review.protocol.path)]
    cmd += ["--coder", "r1", "--plain"]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    guard = threading.Timer(600, proc.kill)  # only against a hang, never a timing assumption
    guard.start()
    try:
        assert proc.stdin is not None and proc.stdout is not None
        # code three studies (toggle C3 each time, then save), then leave the prompt waiting
        proc.stdin.write(("3\n\n" * saved).encode())
        proc.stdin.flush()
        # wait on what the coder sees: the next study is shown once the last one is saved
        marker = f"Study {saved + 1} of {n_works}".encode()
        while (line := proc.stdout.readline()) and marker not in line:
            pass
        assert marker in line
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        guard.cancel()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    state = _state(review, "r1")
    assert {w for w, _ in state} == {"manual:1", "manual:2", "manual:3"}
    assert all(state[(f"manual:{i}", "C3")] == (True, False) for i in (1, 2, 3))
    result = _run(review, "q\n", coder="r1")
    assert f"Study {saved + 1} of {n_works}" in result.output
