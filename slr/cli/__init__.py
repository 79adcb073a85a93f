"""The `slr` command line: a thin layer over the library.

Library errors (SlrError) become one `Error: ...` line here and nowhere else; a reader that
closes the pipe (`slr ... | head`) ends the command quietly. Commands live
in `slr/cli/<stage>.py`, each exporting `COMMANDS`; they are discovered, not listed.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pkgutil
import sys
import warnings
from typing import Any

import click

from slr import __version__
from slr.errors import SlrError


class SlrGroup(click.Group):
    """Turns library errors into one line and a non-zero exit, in exactly one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                warnings.showwarning = _show_warning
                result = super().invoke(ctx)
                sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
                return result
        except BrokenPipeError:
            _quiet_pipe(ctx)
        except SlrError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)
        except OSError as exc:  # the machine refused (permissions, disk full): the user's to fix
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(
                f"Error: {where}{exc.strerror or exc}; check the path and its permissions", err=True
            )
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo(
                "Interrupted: everything decided so far is saved; run again to resume.", err=True
            )
            ctx.exit(130)


def _quiet_pipe(ctx: click.Context) -> None:
    """The reader went away (`slr ... | head`): stop quietly, as a Unix tool killed by SIGPIPE.

    Output still buffered goes to /dev/null so the flush at exit raises nothing; the exit
    code is 141 (128 + SIGPIPE), what a shell reports for `yes | head`.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    ctx.exit(141)


def _show_warning(
    message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None
) -> None:
    click.echo(f"Warning: {message}", err=True)


@click.group(cls=SlrGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="slr")
def main() -> None:
    """slr: run a systematic literature review from a protocol file and a git repo.

    \b
    Example:
      slr check -p protocols/mlops.toml
      slr status
    """


def _register() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)


_register()
