"""The coding view and the pair review take their keys from the keys file, like the screen view."""

from __future__ import annotations

import pytest
import test_dedupe_review as dr
from click.testing import CliRunner
from test_coding_support import make_review, work

from slr.cli import main
from slr.coding.log import latest, read_codings
from slr.dedupe.grey import answers_path, load_answers
from slr.tui.code import HELP_TEXT, concept_keys, help_text
from slr.tui.keys import KeysError, load_keymap, load_section

CONCEPTS = [
    {"id": "C1", "label": "Model issues", "keywords": ["monitoring"]},
    {"id": "C2", "label": "Data issues", "keywords": ["data quality"]},
]


def _keys(tmp_path, text: str):
    path = tmp_path / "keys.toml"
    path.write_text(text, "utf-8")
    return path


def test_coding_view_uses_the_configured_keys(tmp_path):
    keys = _keys(tmp_path, '[code]\nsave = "w"\nhelp = "h"\n')
    works = [work(1, ("Author1, A.",), 2020, title="A survey", abstract="Plain text.")]
    review = make_review(tmp_path, CONCEPTS, works)
    result = CliRunner(env={"SLR_KEYS": str(keys)}).invoke(
        main,
        ["code", "-p", str(review.protocol.path), "--coder", "r1"],
        input="s\nh\n2 w\n",
    )
    assert result.exit_code == 0, result.output
    configured = help_text(load_section("code", keys))
    assert "Enter/w save & next" in configured and "h help" in configured
    assert configured in result.output and HELP_TEXT not in result.output
    assert "unknown key 's'; h shows the keys" in result.output
    assert "1 study saved by r1" in result.output
    got = latest(read_codings(review, "r1"))
    assert got[("manual:1", "C2")].present is True


def test_concept_keys_avoid_the_configured_command_keys(tmp_path):
    keys = load_section("code", _keys(tmp_path, '[code]\nquit = "a"\n'))
    assert concept_keys(12)[10:] == ["a", "c"]  # the defaults: q quits
    assert concept_keys(12, keys)[10:] == ["c", "d"]
    assert "q" in concept_keys(30, keys)


def test_pair_review_uses_the_configured_keys(tmp_path, monkeypatch):
    review = dr._grey_review(tmp_path)
    monkeypatch.chdir(tmp_path)
    keys = _keys(tmp_path, '[pairs]\nsame-work = "j"\nundo = "z"\nquit = "x"\n')
    runner = CliRunner(env={"SLR_KEYS": str(keys)})
    assert runner.invoke(main, ["dedupe", "-q"]).exit_code == 0
    result = runner.invoke(main, ["dedupe", "--review", "-q"], input="y\nj\nz\nn\n")
    assert result.exit_code == 0, result.output
    assert "[j] yes [s] same study [n]o, unrelated [z] undo [x] quit" in result.output
    assert "press j, s, n, z or x" in result.output  # y is no answer now
    assert "undone: scopus:1 / scopus:2" in result.output
    assert load_answers(answers_path(review)) == {("scopus:1", "scopus:2"): "n"}
    # end of input quits whatever key quit has
    result = runner.invoke(main, ["dedupe", "--review", "-q"], input="")
    assert result.exit_code == 0, result.output


def test_keys_file_tables_are_checked(tmp_path):
    path = _keys(tmp_path, 'include = "y"\n[code]\nsave = "w"\n[pairs]\nquit = "x"\n')
    assert load_keymap(path).action("y") == "include"  # the tables are no screening action
    assert load_section("pairs", path).action("x") == "quit"
    with pytest.raises(KeysError, match=r"code.save: digits are concept keys"):
        load_section("code", _keys(tmp_path, '[code]\nsave = "1"\n'))
    with pytest.raises(KeysError, match=r"key 'y' is given to both same-work and quit"):
        load_section("pairs", _keys(tmp_path, '[pairs]\nquit = "y"\n'))
    with pytest.raises(KeysError, match=r"pairs.yes: unknown action; known: same-work"):
        load_section("pairs", _keys(tmp_path, '[pairs]\nyes = "j"\n'))
    with pytest.raises(KeysError, match=r"code: give a table"):
        load_section("code", _keys(tmp_path, 'code = "x"\n'))
