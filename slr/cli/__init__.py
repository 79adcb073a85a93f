"""The `slr` command line: a thin layer over the library.

Library errors (SlrError) become one `Error: ...` line here and nowhere else; a reader that
closes the pipe (`slr ... | head`) ends the command quietly. Commands live
in `slr/cli/<stage>.py`, each exporting `COMMANDS`. `COMMAND_TABLE` names each command's
module and the first paragraph of its help, so `slr --help` lists every command without
importing any, and a command's module (with its heavy imports) loads only when that command
runs or shows its help; tests/test_lazy_start.py checks the table against the modules.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import warnings
from typing import Any

import click

from slr import __version__
from slr.errors import SlrError

# command name -> (module under slr.cli, first paragraph of its help: what `slr --help` shows)
COMMAND_TABLE: dict[str, tuple[str, str]] = {
    "agreement": (
        "screen",
        "Cohen's kappa and percent agreement per stage (Fleiss' kappa for 3+ reviewers).",
    ),
    "assign": (
        "screen",
        "Split the title-abstract queue among the reviewers (saved in assignment.jsonl).",
    ),
    "calibrate": (
        "screen",
        "Calibrate the screeners on one random sample: kappa and the disagreements.",
    ),
    "check": (
        "core",
        "Validate the protocol, compile its query for every source, and print a summary.",
    ),
    "code": (
        "code",
        "Code the included studies: each protocol concept present or absent, with evidence.",
    ),
    "conflicts": ("screen", "List the works the reviewers disagree on (not yet resolved)."),
    "dedupe": (
        "dedupe",
        "Link duplicate records of every source into works; no record is ever deleted.",
    ),
    "diff": (
        "diff",
        "Show what is new since a run or a date: records, works, works that changed.",
    ),
    "documents": (
        "documents",
        "Documents that are not search records: interview transcripts, reports, grey literature.",
    ),
    "export": ("io", "Export the records of a stage as BibTeX, RIS or CSV."),
    "extract": (
        "extract",
        "Extract data from the included studies into the protocol's [[extraction]] form.",
    ),
    "fulltext": (
        "fulltext",
        "Full texts: fetch open-access PDFs, attach your own, extract their text.",
    ),
    "import": (
        "io",
        "Import exported reference files (BibTeX, RIS, Scopus/WoS/IEEE/... exports).",
    ),
    "init": (
        "init",
        "Start a review: a commented protocol, .gitignore, .gitattributes and a README.",
    ),
    "matrix": (
        "code",
        "The concept matrix of the included studies (the review's Table 1), with totals.",
    ),
    "plot": (
        "plot",
        "Draw the review's figures: Sankey diagram, studies per year, venues, sources, concepts.",
    ),
    "prisma": ("prisma", "Draw the PRISMA 2020 flow diagram from the review's own state."),
    "quality": (
        "quality",
        "Assess the quality of the included studies against the protocol's [quality] checklist.",
    ),
    "query": (
        "core",
        "Print the parsed query tree (the protocol's, or TEXT) and its canonical spelling.",
    ),
    "report": (
        "prisma",
        "Write the review report: methods, search log, PRISMA diagram, matrix, included studies.",
    ),
    "resolve": ("screen", "Walk the conflicts and record the final decision on each."),
    "screen": ("screen", "Screen the works one at a time; every decision is saved at once."),
    "serve": (
        "serve",
        "Serve the screening in a browser, on the same decision logs as `slr screen`.",
    ),
    "search": ("search", "Search the protocol's databases and store every record they return."),
    "simulate": (
        "simulate",
        "Simulate prioritised screening on a labelled dataset and print WSS@95 and recall.",
    ),
    "snowball": (
        "snowball",
        "Snowball from the included studies: one numbered round per run (Wohlin 2014).",
    ),
    "status": ("core", "Counts per stage of the review."),
}


def command_module(name: str) -> str:
    """The dotted module that defines command `name`."""
    return f"{__name__}.{COMMAND_TABLE[name][0]}"


class SlrGroup(click.Group):
    """Turns library errors into one line and a non-zero exit, in exactly one place.

    Commands load lazily: listed from COMMAND_TABLE, imported when one is asked for.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMAND_TABLE) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_TABLE:
            module = importlib.import_module(command_module(cmd_name))
            for command in getattr(module, "COMMANDS", ()):
                self.commands.setdefault(command.name or "", command)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `slr --help`, from the table: no command module is imported."""
        listed = [
            (name, self.commands.get(name) or click.Command(name, help=COMMAND_TABLE[name][1]))
            for name in self.list_commands(ctx)
        ]
        if not listed:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in listed)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in listed])

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
                "Interrupted: everything written so far is kept (decisions, downloads, "
                "records); run the command again to resume.",
                err=True,
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
