"""`slr init`: a new review folder that works at once.

Writes `protocols/<id>.toml` with every section present and commented (the ones a new
review does not fill yet as commented examples, `EXAMPLES`), a `.gitignore` (PDFs, caches),
a `.gitattributes` so clones of the review merge without conflicts, and a short README
naming the next commands. The protocol is validated exactly as `slr check` reads it before
anything is written, and an existing protocol is never replaced unless the caller says so.
Every answer can come from a flag; the parsers here give one-line errors naming the flag.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from slr import protocol as protocol_mod
from slr import query as q
from slr.clock import now_iso
from slr.databases import FETCHED, MANUAL, known_source_names
from slr.errors import ProtocolError, SlrError
from slr.records import TYPES
from slr.store import GITATTRIBUTES, write_atomic

DEFAULT_SOURCES = ("openalex",)  # free, no API key needed
_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Answers:
    """What the new protocol says; `query` empty means a placeholder made from the title."""

    id: str
    title: str
    query: str = ""
    sources: tuple[str, ...] = DEFAULT_SOURCES
    years: tuple[int, int] | None = None
    questions: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    known_relevant: tuple[str, ...] = ()


# --------------------------------------------------------------------------- answers


def default_id(folder: Path) -> str:
    """The review id a folder name suggests: `Übersicht MLOps` -> `ubersicht-mlops`."""
    name = unicodedata.normalize("NFKD", folder.resolve().name).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.decode("ascii").lower()).strip("-_")
    return slug or "review"


def default_title(folder: Path) -> str:
    """The title a folder name suggests: `mlops-review` -> `mlops review`."""
    return re.sub(r"[-_]+", " ", folder.resolve().name).strip() or "A systematic review"


def placeholder_query(title: str) -> str:
    """The query written when none is given: the title as one phrase, to be replaced."""
    words = " ".join(re.sub(r'["\\]', " ", title).split())
    return f'"{words}"' if words else '"systematic review"'


def parse_id(text: str) -> str:
    value = text.strip()
    if not _ID.fullmatch(value):
        raise ProtocolError(
            f"--id: invalid review id {value!r}; use lower-case letters, digits, '-' or '_' "
            "(it names the corpus folder), e.g. --id mlops"
        )
    return value


def parse_title(text: str) -> str:
    value = " ".join(text.split())
    if not value:
        raise ProtocolError('--title: empty; give the review\'s title, e.g. --title "MLOps"')
    return value


def parse_query(text: str) -> str:
    """The query as given, once slr.query parses it; the error names --query and the fix."""
    value = text.strip()
    if not value:
        raise ProtocolError("--query: empty; give the search string, e.g. --query 'mlops OR aiops'")
    try:
        q.parse(value)
    except SlrError as exc:
        raise ProtocolError(f"--query: {exc}") from None
    return value


def parse_years(text: str) -> tuple[int, int] | None:
    """`2015-2024` (also `2015:2024`, `2015..2024`); empty: no year limits."""
    value = text.strip()
    if not value:
        return None
    m = re.fullmatch(r"(\d{4})\s*(?:-|:|\.\.|–)\s*(\d{4})", value)
    if not m:
        raise ProtocolError(
            f"--years: {value!r} is not a year range; write FIRST-LAST, e.g. --years 2015-2024"
        )
    first, last = int(m.group(1)), int(m.group(2))
    if not (1800 <= first <= 2100 and 1800 <= last <= 2100):
        raise ProtocolError(f"--years: {value} is out of range 1800-2100; e.g. --years 2015-2024")
    if first > last:
        raise ProtocolError(
            f"--years: {value}: the first year is after the last; write --years {last}-{first}"
        )
    return (first, last)


def split_list(values: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Items of a comma-separated value or of a repeated option, in order, once each."""
    given = [values] if isinstance(values, str) else list(values)
    items = [part.strip() for value in given for part in value.split(",")]
    return tuple(dict.fromkeys(item for item in items if item))


def split_lines(values: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Items given one per value (titles hold commas), spaces tidied, once each."""
    given = [values] if isinstance(values, str) else list(values)
    return tuple(dict.fromkeys(" ".join(v.split()) for v in given if v.strip()))


def collect_line(sources: tuple[str, ...]) -> str:
    """The `next:` line that collects records: `slr search` only helps a source with an API;
    a review of export-only databases starts with `slr import`."""
    if any(name in FETCHED for name in sources):
        return "  slr search           # or: slr import FILE --source NAME"
    return (
        f"  slr import FILE --source {sources[0]}   # {', '.join(sources)}: no API; export "
        "the results there, then import the file"
    )


def parse_sources(values: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    names = split_list(values)
    if not names:
        return DEFAULT_SOURCES
    for name in names:
        if name not in known_source_names():
            raise ProtocolError(
                f"--sources: unknown source {name!r}; known: {', '.join(FETCHED)} "
                f"(searched through their APIs), and {', '.join(MANUAL)} (you import their exports)"
            )
    return names


def parse_names(values: str | tuple[str, ...] | list[str], flag: str) -> tuple[str, ...]:
    """Reviewer names: each names a log file, so letters, digits, '.', '-', '_' only."""
    names = split_list(values)
    for name in names:
        if not _NAME.fullmatch(name):
            raise ProtocolError(
                f"{flag}: invalid name {name!r}; use letters, digits, '.', '-' or '_', "
                f"e.g. {flag} alice,bob"
            )
    folded = [n.casefold() for n in names]
    for i, name in enumerate(folded):
        if folded.index(name) != i:
            raise ProtocolError(
                f"{flag}: {names[i]!r} is listed twice (names are compared "
                "case-insensitively); remove one"
            )
    return names


def parse_languages(values: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    langs = split_list(values)
    for lang in langs:
        if not re.fullmatch(r"[a-z]{2}", lang):
            raise ProtocolError(
                f"--languages: {lang!r} is not an ISO 639-1 code; write e.g. --languages en,de"
            )
    return langs


def parse_types(values: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    kinds = split_list(values)
    for kind in kinds:
        if kind not in TYPES:
            raise ProtocolError(
                f"--types: unknown document type {kind!r}; use one of {', '.join(TYPES)}"
            )
    return kinds


# --------------------------------------------------------------------------- the files


def toml_string(text: str) -> str:
    """A TOML string: literal ('...') when it can be, so a query reads as typed."""
    if "'" not in text and not re.search(r"[\x00-\x1f\x7f]", text):
        return f"'{text}'"
    return _basic(text)


def _basic(text: str) -> str:
    """A TOML basic string ("..."): quotes, backslashes and control characters escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _array(items: tuple[str, ...] | list[str], indent: str = "") -> str:
    if not items:
        return "[]"
    if sum(len(i) for i in items) < 60:
        return "[" + ", ".join(_basic(i) for i in items) + "]"
    return "[\n" + "".join(f"{indent}  {_basic(i)},\n" for i in items) + f"{indent}]"


# Sections a new review does not fill yet, as valid TOML: the template writes them commented
# out, so uncommenting one gives a protocol `slr check` accepts (tests/test_init.py checks it).
EXAMPLES = {
    "source": """\
[search.source.openalex]
query = 'mlops OR "machine learning operations"'
options = { max_records = 5000 }
""",
    "concepts": """\
[[concepts]]
id = "C1"
label = "Data quality"
group = "Technical"
theme = "Data management"
keywords = ["data quality", "missing data"]

[[concepts]]
id = "C2"
label = "Lack of skills"
group = "Organisational"
keywords = ["skills", "expertise", "talent"]
""",
    "extraction": """\
[[extraction]]
id = "design"
label = "Study design"
type = "category"
values = ["experiment", "case study", "survey", "interview study", "other"]
required = true

[[extraction]]
id = "sample_size"
label = "Number of participants"
type = "integer"
help = "As reported; leave empty when the study has none"

[[extraction]]
id = "country"
label = "Country"
type = "text"
""",
    "quality": """\
[quality]
min_score = 1.5
criterion = "QA"

[[quality.questions]]
id = "QA1"
text = "Are the aims of the research clearly stated?"

[[quality.questions]]
id = "QA2"
text = "Is the research design appropriate to address the aims?"

[[quality.questions]]
id = "QA3"
text = "Are the findings clearly stated and supported by the data?"

[quality.answers]
yes = 1
partly = 0.5
no = 0
""",
    "calibration": """\
[calibration]
min_kappa = 0.6
""",
}


def _commented(text: str) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in text.splitlines())


def protocol_text(a: Answers) -> str:
    """The protocol file for these answers: every section present, each one commented."""
    query = a.query or placeholder_query(a.title)
    query_note = (
        "# A placeholder made from the title (no query was given): write your search string here\n"
        "# and see how each source receives it with `slr query`.\n"
        if not a.query
        else "# See how each source receives it with `slr query`.\n"
    )
    years = f"years = [{a.years[0]}, {a.years[1]}]" if a.years else "# years = [2015, 2025]"
    languages = f"languages = {_array(a.languages)}" if a.languages else '# languages = ["en"]'
    types = (
        f"types = {_array(a.types)}"
        if a.types
        else '# types = ["article", "review", "conference-paper"]'
    )
    questions = (
        f"questions = {_array(a.questions)}"
        if a.questions
        else '# questions = ["RQ1: What are the challenges of ...?"]\nquestions = []'
    )
    reviewers = (
        f"reviewers = {_array(a.reviewers)}"
        if a.reviewers
        else '# reviewers = ["alice", "bob"]\nreviewers = []'
    )
    known = (
        "known_relevant = [\n" + "".join(f"  {_basic(k)},\n" for k in a.known_relevant) + "]"
        if a.known_relevant
        else "known_relevant = [\n"
        '  # "10.1145/3533378",\n'
        '  # "Machine learning operations (MLOps): overview, definition, and architecture",\n'
        "]"
    )
    criteria = _criteria(a)
    stamp = now_iso()[:10]
    return f"""\
# The protocol of a systematic literature review: the single source of truth that every
# `slr` command reads. Written by `slr init` on {stamp}; edit it freely (comments and layout
# do not change its content hash). After each edit run `slr check`. The format is described
# in slr's README, section "The protocol file". Sections this review does not use yet are
# commented out: remove the leading "# " to use one.

[review]
# Names the corpus folder (corpus/{a.id}/): change it before the first search or import.
id = {_basic(a.id)}
title = {_basic(a.title)}
# The research questions the review answers (listed in the report).
{questions}
# Who screens, codes and assesses: `--reviewer` and `--coder` must then be one of these
# names (compared case-insensitively). Empty: any name is accepted.
{reviewers}

[search]
# One boolean query for every source: AND, OR, NOT (upper case), parentheses,
# "quoted phrases", a trailing wildcard challeng*, and title:, abstract:, keywords:
# prefixes (default: title, abstract and keywords).
{query_note}query = {toml_string(query)}
{_sources_note()}
sources = {_array(a.sources)}
# Limits, applied by each source where its API can and by slr's own filter otherwise:
# first and last publication year (both included), ISO 639-1 languages, document types
# ({", ".join(TYPES)}).
{years}
{languages}
{types}
# Studies the team already knows the search must find (earlier reviews, experts, a hand
# search): a DOI (any spelling, doi.org links too) or a title, one string each. Testing
# the search against them validates it (PRISMA-S): `slr search --validate` says for each
# whether the query matches it and the last search retrieved it. Ranked screening
# (`slr screen --order ranked`) counts a work whose DOI is listed as relevant at once.
{known}

# A source that needs its own spelling of the query, or options (max_records caps how many
# records are fetched from it):
{_commented(EXAMPLES["source"].replace("openalex", a.sources[0], 1))}
# ---------------------------------------------------------------------------- criteria
# Screening decides each work against these. An exclusion names the criterion it fails
# (keys 1-9 exclude with the first nine). `require` makes a criterion machine-checkable:
# `slr screen --auto` excludes the records that fail it (types, languages, years);
# records missing that metadata go to a person. Replace these with the review's own.
{criteria}
# ---------------------------------------------------------------------------- concepts
# The columns of the concept matrix (Table 1), in order; coded present or absent for each
# included study with `slr code`. `group` is the aggregate dimension, `theme` sits between
# dimension and concept (Table 2), `keywords` give coding suggestions. One [[concepts]] table per concept, e.g.:
{_commented(EXAMPLES["concepts"])}
# -------------------------------------------------------------------------- extraction
# The data extraction form, filled with `slr extract`: one [[extraction]] per field;
# type is one of number, integer, category (with values, and multiple = true for several),
# text, boolean, date; `required` and `help` are optional.
{_commented(EXAMPLES["extraction"])}
# ----------------------------------------------------------------------------- quality
# The quality checklist of `slr quality`. [quality.answers] replaces the default scores
# (yes = 1, partly = 0.5, no = 0) as a whole; a study scoring below min_score is excluded
# at full text under the criterion id given (default QA).
{_commented(EXAMPLES["quality"])}
# ------------------------------------------------------------------------- calibration
# Team screening: full screening waits until the reviewers' calibration sample
# (`slr calibrate`) reaches this kappa; needs two or more names in review.reviewers.
{_commented(EXAMPLES["calibration"])}"""


def _sources_note() -> str:
    text = (
        f"Searched through their APIs (`slr search`): {', '.join(FETCHED)}. Without an API "
        f"(export the results, then `slr import FILE --source NAME`): {', '.join(MANUAL)}."
    )
    return textwrap.fill(text, width=92, initial_indent="# ", subsequent_indent="# ")


def _criteria(a: Answers) -> str:
    inclusion = [("The study addresses the review's research questions", "")]
    if a.types:
        inclusion.append(
            (
                f"Publication type: {', '.join(a.types)}",
                f"require = {{ types = {_array(a.types)} }}",
            )
        )
    exclusion = [("Not about the topic of the review", "")]
    if a.languages:
        exclusion.append(
            (
                f"Not published in {', '.join(a.languages)} (ISO 639-1)",
                f"require = {{ languages = {_array(a.languages)} }}",
            )
        )
    exclusion.append(("The full text is not accessible", ""))
    out = []
    for kind, prefix, items in (("inclusion", "IC", inclusion), ("exclusion", "EC", exclusion)):
        for n, (text, rule) in enumerate(items, start=1):
            out.append(f'[[criteria.{kind}]]\nid = "{prefix}{n}"\ntext = {_basic(text)}\n')
            if rule:
                out[-1] += rule + "\n"
    return "\n".join(out)


def gitattributes_text() -> str:
    """The review's .gitattributes: the store's merge rules, for every corpus folder."""
    rules = [line for line in GITATTRIBUTES.splitlines() if line and not line.startswith("#")]
    return (
        "# Written by `slr init`: how git merges this review when each person works in their\n"
        "# own clone and they `git pull` each other's commits.\n"
        "# The logs under corpus/ only ever grow (records, search log, decisions, codings,\n"
        "# quality answers, extracted data, notes): merge=union keeps the lines of both sides,\n"
        "# so two reviewers' work never conflicts and nothing either typed is lost.\n"
        "# The de-duplicated works and studies and the two state files are derived from the\n"
        "# logs: they are union-merged too, and the next slr command sees that the works no\n"
        "# longer match the fingerprint `slr dedupe` stored, rebuilds them from the logs and\n"
        "# says so in a one-line warning; commit the rebuilt files.\n"
        "# The protocol is not union-merged: two edits of it are a conflict for people to settle.\n"
        "# (slr writes the same rules into corpus/<id>/.gitattributes on first use.)\n"
        + "".join(f"corpus/**/{rule}\n" for rule in rules)
    )


GITIGNORE_LINES = (
    "# Written by `slr init`.",
    "# Full texts are the publishers' or authors' copyright: PDFs stay on disk, out of git",
    "# (force one you may share: git add -f FILE.pdf). Where each came from is committed.",
    "*.pdf",
    "# Outputs (slr report, slr prisma -o, figures): rebuilt from the state at any time.",
    "out/",
    "# Python and tool caches, and the temporary file of an atomic write a crash left behind.",
    ".venv/",
    "__pycache__/",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    ".*.tmp",
    ".DS_Store",
)


def readme_text(a: Answers, protocol_file: str) -> str:
    return f"""\
# {a.title}

A systematic literature review run with `slr`. The protocol, `{protocol_file}`, drives
every stage; the review's state (searches, records, decisions, codings) is kept as plain
files in `corpus/{a.id}/`, committed to git. `slr` finds the protocol from this folder or
any folder below it.

## Next commands

```sh
slr check                        # validate the protocol; the query as each source gets it
slr search                       # search the protocol's databases (API keys: see slr's README)
slr import FILE --source NAME    # or import a database's export (Google Scholar, Web of Science, ...)
slr dedupe                       # link duplicate records into works
slr screen --reviewer NAME       # screen titles and abstracts
slr status                       # where the review stands, and the next command
```

Full-text PDFs are kept out of git (`.gitignore`); the logs merge without conflicts when
each reviewer works in their own clone (`.gitattributes`).
"""


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class Created:
    """What `create` did: the files written, appended to and left alone, in that order."""

    folder: Path
    protocol: Path
    written: tuple[Path, ...]
    appended: tuple[Path, ...]
    kept: tuple[Path, ...]


def refuse_existing(folder: Path, force: bool = False) -> None:
    """A folder that is a review already (its protocols/ holds a .toml) is refused unless
    `force`: checked before any question is asked, and again before writing."""
    if folder.exists() and not folder.is_dir():
        raise SlrError(f"{folder}: not a folder; give the folder for the new review")
    protocols = folder / "protocols"
    there = sorted(protocols.glob("*.toml")) if protocols.is_dir() else []
    if there and not force:
        raise SlrError(
            f"{protocols}: holds a protocol already ({', '.join(p.name for p in there)}); "
            "this folder is a review: edit that file, or pass --force to write a new protocol "
            "beside it (one of the same name is replaced)"
        )


def create(folder: Path, answers: Answers, force: bool = False) -> Created:
    """Write the review into `folder` (created if needed); the protocol is validated first.

    A folder that holds a protocol already is refused unless `force`; a .gitignore or
    .gitattributes there gets only the lines it lacks, a README.md is left as it is.
    """
    refuse_existing(folder, force)
    path = folder / "protocols" / f"{answers.id}.toml"
    text = protocol_text(answers)
    proto = protocol_mod.loads(text, path)  # what `slr check` reads: never write a bad file
    _compiles(proto)
    written: list[Path] = []
    appended: list[Path] = []
    kept: list[Path] = []
    for name, lines in (
        (".gitignore", list(GITIGNORE_LINES)),
        (".gitattributes", gitattributes_text().splitlines()),
    ):
        target = folder / name
        if not target.exists():
            write_atomic(target, "\n".join(lines) + "\n")
            written.append(target)
            continue
        try:
            old = target.read_text("utf-8")
        except UnicodeDecodeError:
            raise SlrError(
                f"{target}: not UTF-8 text, so slr cannot add its lines; save it as UTF-8 "
                "(or remove it) and run slr init again"
            ) from None
        have = {line.strip() for line in old.splitlines()}
        rules = [line for line in lines if line.strip() and not line.startswith("#")]
        if all(rule in have for rule in rules):
            kept.append(target)
            continue
        missing = [line for line in lines if line.startswith("#") or line not in have]
        joined = old + ("" if old.endswith("\n") or not old else "\n")
        write_atomic(target, joined + "\n" + "\n".join(missing) + "\n")
        appended.append(target)
    readme = folder / "README.md"
    if readme.exists():
        kept.append(readme)
    else:
        write_atomic(readme, readme_text(answers, path.relative_to(folder).as_posix()))
        written.append(readme)
    write_atomic(path, text)  # last: an interrupted init leaves no half-made review
    written.insert(0, path)
    return Created(folder, path, tuple(written), tuple(appended), tuple(kept))


def _compiles(proto: protocol_mod.Protocol) -> None:
    """The query can be sent to every source, as `slr check` requires."""
    from slr.sources import compile_each  # late: loads every source module

    for name, _text, error in compile_each(proto):
        if error is not None:
            raise ProtocolError(f"--query: cannot be sent to {name}: {error}; change the query")
