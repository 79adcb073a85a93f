"""`slr` finds the review's protocol from any folder below it, as git finds its root."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, new_review

from slr import protocol
from slr.cli import main
from slr.errors import ProtocolError
from slr.review import open_review

MINIMAL = """\
[review]
id = "{id}"
title = "T"

[search]
query = "mlops"
sources = ["openalex"]
"""


def write(folder: Path, rid: str) -> Path:
    path = folder / "protocols" / f"{rid}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(MINIMAL.format(id=rid), encoding="utf-8")
    return path


def test_found_from_a_nested_subfolder(tmp_path):
    path = write(tmp_path, "a")
    deep = tmp_path / "corpus" / "a" / "decisions" / "x"
    deep.mkdir(parents=True)
    assert protocol.find(None, cwd=deep) == path
    assert protocol.find(None, cwd=tmp_path / "protocols") == path  # inside protocols/ too


def test_the_nearest_review_wins_and_an_empty_protocols_folder_is_passed_over(tmp_path):
    outer = write(tmp_path, "outer")
    inner = write(tmp_path / "sub" / "inner-review", "inner")
    (tmp_path / "sub" / "protocols").mkdir()  # no .toml: not a review
    assert protocol.find(None, cwd=inner.parent.parent / "notes") == inner
    assert protocol.find(None, cwd=tmp_path / "sub") == outer


def test_several_protocols_name_the_folder_found_from_below(tmp_path):
    write(tmp_path, "a")
    write(tmp_path, "b")
    sub = tmp_path / "notes"
    sub.mkdir()
    with pytest.raises(ProtocolError) as err:
        protocol.find(None, cwd=sub)
    assert str(err.value) == (
        f"{tmp_path / 'protocols'}: several protocols (a.toml, b.toml); choose one with "
        "-p/--protocol"
    )


def test_outside_any_review_the_error_says_where_it_looked(tmp_path, monkeypatch):
    if any((p / "protocols").is_dir() for p in tmp_path.parents):
        pytest.skip("a folder above the test's tmp_path holds protocols/")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [
        f"Error: {sub}: no protocol found in protocols/ here or in any folder above it "
        "(up to /); pass -p/--protocol PATH, or start a review with `slr init`"
    ]


def test_an_explicit_path_is_taken_as_given(tmp_path):
    write(tmp_path, "a")
    assert protocol.find("elsewhere.toml", cwd=tmp_path) == Path("elsewhere.toml")


def test_commands_from_a_subfolder_use_the_reviews_corpus(tmp_path, monkeypatch):
    """corpus_dir, and a default output path, are the review's, not the working folder's."""
    shutil.copytree(ROOT / "corpus" / "mlops", tmp_path / "corpus" / "mlops")
    review = new_review(tmp_path)  # the reference review, complete
    sub = tmp_path / "corpus" / "mlops" / "decisions"
    monkeypatch.chdir(sub)
    found = open_review()
    assert found.store.root == review.store.root == tmp_path / "corpus" / "mlops"
    assert protocol.review_root(found.protocol) == tmp_path
    result = CliRunner().invoke(main, ["report"])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'out' / 'report.md'}" in result.output
    assert (tmp_path / "out" / "prisma.svg").is_file()
    assert not (sub / "out").exists()
