"""The CLI contract: help and examples for every command, one-line errors, status, README."""

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from slr import __version__
from slr.cli import main

ROOT = Path(__file__).resolve().parents[1]
MLOPS = str(ROOT / "protocols" / "mlops.toml")


def _commands():
    ctx = click.Context(main)
    return [(name, main.get_command(ctx, name)) for name in main.list_commands(ctx)]


@pytest.mark.parametrize("name, command", _commands())
def test_every_command_has_help_and_an_example(name, command):
    assert command.help, f"slr {name} has no help text"
    assert "Example" in command.help, f"slr {name} --help shows no example"
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0 and f"slr {name}" in result.output


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_query_prints_tree_and_canonical_form():
    result = CliRunner().invoke(main, ["query", "-p", MLOPS])
    assert result.exit_code == 0
    assert result.output.splitlines()[:2] == ["OR", "  TERM 'MLOps'  [title, abstract, keywords]"]
    assert 'canonical: MLOps OR "machine learning in production"' in result.output


def test_query_error_points_at_column():
    result = CliRunner().invoke(main, ["query", "a AND (b OR c"])
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == "Error: missing ')' (to close the '(' of column 7) at column 14 (found end of query)"
    )


def test_status_json_on_empty_corpus(tmp_path):
    proto = tmp_path / "protocols" / "t.toml"
    proto.parent.mkdir()
    proto.write_text(Path(MLOPS).read_text().replace('id = "mlops"', 'id = "t"'))
    result = CliRunner().invoke(main, ["status", "--json", "-p", str(proto)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["review"] == "t" and data["records"] == 0
    assert data["corpus"] == str(tmp_path / "corpus" / "t")


def test_library_errors_never_escape_as_tracebacks():
    @click.command()
    def explode():
        """Raise a library error.

        Example: slr explode
        """
        from slr.errors import StoreError

        raise StoreError("x.jsonl:3: broken; fix it")

    main.add_command(explode)
    try:
        result = CliRunner().invoke(main, ["explode"])
    finally:
        main.commands.pop("explode")
    assert result.exit_code == 1
    assert result.output == "Error: x.jsonl:3: broken; fix it\n"


def test_readme_names_the_two_setup_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^make demo\b", readme, re.M) and re.search(r"^make test\b", readme, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("install:", "test:", "demo:", "search:", "clean:"):
        assert re.search(rf"^{target}", makefile, re.M), target
