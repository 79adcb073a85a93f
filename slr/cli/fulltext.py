"""`slr fulltext`: the full texts of the works that reach full-text screening.

`fulltext` is the command group; other modules add subcommands to `fulltext_group`.
"""

from __future__ import annotations

import click


@click.group("fulltext")
def fulltext_group() -> None:
    """Full texts: attach PDFs and extract their text (fulltext.jsonl logs each PDF).

    \b
    Example:
      slr fulltext import ~/Zotero/storage
      slr fulltext extract
    """


COMMANDS = [fulltext_group]
