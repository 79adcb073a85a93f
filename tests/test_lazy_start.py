"""`slr` starts fast: commands load lazily and heavy libraries only when a command needs them."""

import importlib
import inspect
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import slr.cli
from slr.cli import COMMAND_TABLE, main

HEAVY = ("pandas", "numpy", "sklearn", "matplotlib", "openpyxl", "rapidfuzz", "requests")


def _imported_after(code: str) -> set[str]:
    """Modules that `code`, run in a fresh interpreter, leaves imported."""
    probe = f"{code}\nimport sys\nprint(' '.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_importing_the_cli_imports_no_heavy_library_and_no_command_module():
    loaded = _imported_after("import slr.cli")
    assert "slr.cli" in loaded  # the probe ran
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY)
    assert not {m for m in loaded if m.startswith("slr.cli.")}


def test_help_lists_every_command_without_importing_one():
    loaded = _imported_after(
        "from click.testing import CliRunner\nfrom slr.cli import main\n"
        "out = CliRunner().invoke(main, ['--help']).output\n"
        "assert 'status' in out and 'snowball' in out, out"
    )
    assert not {m for m in loaded if m.startswith("slr.cli.")}


def test_the_table_names_every_command_with_its_own_help():
    """COMMAND_TABLE must follow the command modules: same names, same first paragraph."""
    found: dict[str, tuple[str, click.Command]] = {}
    for info in pkgutil.iter_modules(slr.cli.__path__):
        module = importlib.import_module(f"slr.cli.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            found[command.name] = (info.name, command)
    assert set(found) == set(COMMAND_TABLE)
    for name, (module, command) in found.items():
        first = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert COMMAND_TABLE[name] == (module, first), name
        assert not command.short_help and not command.hidden and not command.deprecated


def test_help_output_is_the_one_the_commands_would_give():
    eager = click.Group("slr", help=main.help, params=main.params)
    for name in COMMAND_TABLE:
        eager.add_command(main.get_command(click.Context(main), name))
    for width in (60, 80):
        lazy = CliRunner().invoke(main, ["--help"], terminal_width=width).output
        full = CliRunner().invoke(eager, ["--help"], terminal_width=width).output
        assert lazy.split("Commands:")[1] == full.split("Commands:")[1]


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (["status"], set()),
        (["status", "--json"], {"scipy", "numpy"}),  # its recall statements need scipy
        (["matrix", "--format", "csv"], set()),
    ],
)
def test_status_and_the_csv_matrix_import_no_heavy_library(tmp_path, args, allowed):
    """`slr status` (its snowball caps note) and `slr matrix --format csv` stay light."""
    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "protocols", tmp_path / "protocols")
    shutil.copytree(root / "corpus", tmp_path / "corpus")
    argv = [*args, "-p", str(tmp_path / "protocols" / "mlops.toml")]
    loaded = _imported_after(
        "from click.testing import CliRunner\nfrom slr.cli import main\n"
        f"result = CliRunner().invoke(main, {argv!r})\n"
        "assert result.exit_code == 0 and result.output, result.output"
    )
    assert "slr.status" in loaded or "slr.matrix" in loaded  # the command ran
    assert not {m.split(".")[0] for m in loaded} & ({*HEAVY, "scipy"} - allowed)
