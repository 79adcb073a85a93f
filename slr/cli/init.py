"""`slr init`: start a review folder; asks what no flag answers when run on a terminal."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from slr import init as init_mod
from slr import protocol as protocol_mod
from slr.errors import SlrError
from slr.tui import term

T = TypeVar("T")


def _ask(label: str, default: str, parse: Callable[[str], T]) -> T:
    """One question on the terminal until `parse` accepts the answer (Enter: the default)."""
    while True:
        prompt = f"{label} [{default}]" if default else label
        answer = term.edit_line(prompt)
        if answer is None:  # Ctrl-D or Ctrl-C: nothing has been written
            raise click.Abort()
        try:
            return parse(answer.strip() or default)
        except SlrError as exc:
            click.echo(f"  {exc}", err=True)


def _enclosing_review(folder: Path) -> Path | None:
    """A protocol that `slr` found from here before this review was made, if any."""
    try:
        return protocol_mod.find(None, cwd=folder.parent) if folder.parent != folder else None
    except SlrError:
        return None


def _in_git(folder: Path) -> bool:
    return any((p / ".git").exists() for p in (folder, *folder.parents))


@click.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--title", help="The review's title (default: from the folder's name).")
@click.option(
    "--id",
    "review_id",
    help="Review id: names protocols/<id>.toml and corpus/<id>/ (default: from the folder).",
)
@click.option("--question", "questions", multiple=True, help="A research question (repeatable).")
@click.option("--query", help="The boolean search query (default: the title as a phrase, to edit).")
@click.option(
    "--sources",
    multiple=True,
    help="Databases, comma-separated or repeated (default: openalex).",
)
@click.option("--years", help="First and last publication year, e.g. 2015-2024 (default: any).")
@click.option("--languages", multiple=True, help="ISO 639-1 codes, e.g. en,de (default: any).")
@click.option(
    "--types", multiple=True, help="Document types, e.g. article,conference-paper (default: any)."
)
@click.option(
    "--reviewers", multiple=True, help="Reviewer names, e.g. alice,bob (default: any name)."
)
@click.option(
    "--known-relevant",
    "known",
    multiple=True,
    help="A DOI or title the search must find (repeatable).",
)
@click.option(
    "-y",
    "--yes",
    "defaults",
    is_flag=True,
    help="Ask nothing: a default for every question no flag answers (as without a terminal).",
)
@click.option(
    "--force", is_flag=True, help="Write the protocol even where protocols/ holds one already."
)
def init(
    directory: str,
    title: str | None,
    review_id: str | None,
    questions: tuple[str, ...],
    query: str | None,
    sources: tuple[str, ...],
    years: str | None,
    languages: tuple[str, ...],
    types: tuple[str, ...],
    reviewers: tuple[str, ...],
    known: tuple[str, ...],
    defaults: bool,
    force: bool,
) -> None:
    """Start a review: a commented protocol, .gitignore, .gitattributes and a README.

    The review goes in DIRECTORY (default: here). On a terminal it asks for what no flag gives (title, id, research question, query,
    sources, years, reviewers); without one (a script, a pipe) or with --yes each takes its
    default. An existing protocol is never replaced without --force. `slr` then finds the
    protocol from this folder or any folder below it.

    \b
    Example:
      slr init mlops-review --title "Challenges of MLOps adoption" \\
        --query 'mlops OR "machine learning operations"' --sources openalex,scopus \\
        --years 2018-2023 --reviewers alice,bob
      slr init             # on a terminal: answer a few questions
    """
    folder = Path(directory)
    init_mod.refuse_existing(folder, force)  # before any question is asked
    ask = not defaults and term.interactive()

    def answer(given: str | None, label: str, default: str, parse: Callable[[str], T]) -> T:
        if given is not None:
            return parse(given)
        return _ask(label, default, parse) if ask else parse(default)

    title_ = answer(title, "Title", init_mod.default_title(folder), init_mod.parse_title)
    id_ = answer(review_id, "Review id", init_mod.default_id(folder), init_mod.parse_id)
    if questions:
        questions_ = init_mod.split_lines(questions)
    else:
        questions_ = answer(None, "Research question", "", init_mod.split_lines)
    placeholder = init_mod.placeholder_query(title_)
    query_ = answer(
        query,
        "Search query",
        placeholder,
        lambda text: "" if text == placeholder else init_mod.parse_query(text),
    )
    sources_ = answer(
        ",".join(sources) if sources else None,
        "Sources",
        ",".join(init_mod.DEFAULT_SOURCES),
        init_mod.parse_sources,
    )
    years_ = answer(years, "Years, FIRST-LAST (Enter: any)", "", init_mod.parse_years)
    reviewers_ = answer(
        ",".join(reviewers) if reviewers else None,
        "Reviewers, comma-separated (Enter: any name)",
        "",
        lambda text: init_mod.parse_names(text, "--reviewers"),
    )
    answers = init_mod.Answers(
        id=id_,
        title=title_,
        query=query_,
        sources=sources_,
        years=years_,
        questions=questions_,
        reviewers=reviewers_,
        languages=init_mod.parse_languages(languages),
        types=init_mod.parse_types(types),
        known_relevant=init_mod.split_lines(known),
    )
    done = init_mod.create(folder, answers, force)
    _report(done, answers)


def _report(done: init_mod.Created, answers: init_mod.Answers) -> None:
    def rel(path: Path) -> str:
        return os.path.relpath(path, done.folder)

    click.echo(f"created review {answers.id!r} in {done.folder.resolve()}")
    for path in done.written:
        click.echo(f"  wrote    {rel(path)}")
    for path in done.appended:
        click.echo(f"  added to {rel(path)} (the lines it lacked)")
    for path in done.kept:
        click.echo(f"  kept     {rel(path)} (yours, left as it is)")
    if not answers.query:
        click.echo(
            f"query: none given; {rel(done.protocol)} holds a placeholder made from the "
            "title: write your search string there before `slr search`"
        )
    others = sorted(p.name for p in done.protocol.parent.glob("*.toml") if p != done.protocol)
    if others:
        click.echo(
            f"note: protocols/ also holds {', '.join(others)}: give each command "
            f"-p {rel(done.protocol)}"
        )
    outer = _enclosing_review(done.folder.resolve())
    if outer is not None:
        click.echo(
            f"note: {outer} is the protocol of a review this folder sits in; below "
            f"{done.folder}, slr now uses {rel(done.protocol)}"
        )
    click.echo("next:")
    if done.folder.resolve() != Path.cwd().resolve():
        click.echo(f"  cd {done.folder}")
    if not _in_git(done.folder.resolve()):
        click.echo("  git init && git add -A && git commit -m 'Review protocol'")
    click.echo(f"  slr check            # then edit {rel(done.protocol)} and check again")
    click.echo(init_mod.collect_line(answers.sources))


COMMANDS = [init]
