"""The review protocol (TOML): the single source of truth that drives every stage.

Validation errors are one line: `file:line: key.path: what is wrong; what to do`.
The content hash is taken over the parsed content (comments and layout do not change it)
and is stamped on every output and decision.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slr import query as q
from slr.databases import known_source_names
from slr.errors import ProtocolError, QueryError
from slr.records import TYPES, normalise_doi, normalise_title

# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Rule:
    """A machine-checkable requirement over record metadata; failing it triggers the criterion."""

    types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    years: tuple[int, int] | None = None


@dataclass(frozen=True)
class Criterion:
    id: str
    text: str
    kind: str  # "inclusion" | "exclusion"
    require: Rule | None = None


@dataclass(frozen=True)
class Concept:
    id: str
    label: str
    group: str | None = None  # the aggregate dimension
    keywords: tuple[str, ...] = ()
    theme: str | None = None  # between dimension and concept (first-order code)


FIELD_TYPES = ("number", "integer", "category", "text", "boolean", "date")


@dataclass(frozen=True)
class Field:
    """One `[[extraction]]` field of the data extraction form."""

    id: str
    label: str
    type: str  # one of FIELD_TYPES
    values: tuple[str, ...] = ()  # a category's allowed values
    multiple: bool = False  # a category that takes several values
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class SourceSpec:
    """One source to search, with its own query when the protocol overrides it."""

    name: str
    query_text: str
    query: q.Node
    options: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Search:
    query_text: str
    query: q.Node
    sources: tuple[SourceSpec, ...]
    years: tuple[int, int] | None
    languages: tuple[str, ...]
    types: tuple[str, ...]


@dataclass(frozen=True)
class QualityQuestion:
    id: str
    text: str


# Kitchenham's answer scores; `[quality.answers]` replaces them as a whole
DEFAULT_ANSWERS: tuple[tuple[str, float], ...] = (("yes", 1.0), ("partly", 0.5), ("no", 0.0))


@dataclass(frozen=True)
class Quality:
    """The quality checklist: questions, answer scores and an optional cut-off criterion."""

    questions: tuple[QualityQuestion, ...]
    answers: tuple[tuple[str, float], ...] = DEFAULT_ANSWERS  # answer -> score, in order
    min_score: float | None = None
    criterion: str = "QA"

    @property
    def scores(self) -> dict[str, float]:
        return dict(self.answers)

    @property
    def max_score(self) -> float:
        """The best total a study can get: every question with the top answer."""
        return len(self.questions) * max(s for _, s in self.answers)


@dataclass(frozen=True)
class Protocol:
    path: Path
    id: str
    title: str
    questions: tuple[str, ...]
    reviewers: tuple[str, ...]
    search: Search
    inclusion: tuple[Criterion, ...]
    exclusion: tuple[Criterion, ...]
    concepts: tuple[Concept, ...]
    known_relevant: tuple[str, ...]
    hash: str
    extraction: tuple[Field, ...] = ()
    quality: Quality | None = None
    min_kappa: float | None = None  # [calibration]: full screening waits for this kappa

    @property
    def short_hash(self) -> str:
        return self.hash[:12]

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return self.inclusion + self.exclusion

    def criterion(self, cid: str) -> Criterion:
        for c in self.criteria:
            if c.id == cid:
                return c
        raise ProtocolError(
            f"{self.path}: no criterion {cid!r}; known: " + ", ".join(c.id for c in self.criteria)
        )


# --------------------------------------------------------------------------- schema

_SCHEMA: dict[str, Any] = {
    "review": {"id": str, "title": str, "questions": list, "reviewers": list},
    "search": {
        "query": str,
        "sources": list,
        "years": list,
        "languages": list,
        "types": list,
        "source": dict,
        "known_relevant": list,
    },
    "criteria": {"inclusion": list, "exclusion": list},
    "concepts": list,
    "extraction": list,
    "quality": dict,
    "calibration": {"min_kappa": float},
}
_REQUIRED = [("review", "id"), ("review", "title"), ("search", "query"), ("search", "sources")]
_CRITERION_KEYS = {"id", "text", "require"}
_RULE_KEYS = {"types", "languages", "years"}
_CONCEPT_KEYS = {"id", "label", "group", "theme", "keywords"}
_SOURCE_KEYS = {"query", "options"}
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


class _Checker:
    """Collects context (file text) so each error can name its line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, keypath: str, message: str) -> ProtocolError:
        line = self.line_of(keypath)
        where = f"{self.path}:{line}" if line else f"{self.path}"
        text = f"{where}: {keypath}: {message}"
        # a quoted TOML key or a query may hold a newline: the error stays one line
        return ProtocolError(text.replace("\r", "\\r").replace("\n", "\\n"))

    def line_of(self, keypath: str) -> int | None:
        """Best-effort line of a key path such as `criteria.exclusion[1].id`."""
        want = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", keypath)]
        header: list[Any] = []
        counts: dict[str, int] = {}
        best: tuple[int, int] | None = None  # (matched length, line)
        for number, raw in enumerate(self.lines, start=1):
            line = raw.split("#", 1)[0].strip() if not raw.strip().startswith("[") else raw.strip()
            m = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", line)
            if m:
                name = m.group(1)
                counts[name] = counts.get(name, -1) + 1
                header = [*name.split("."), counts[name]]
                current = header
            elif m := re.match(r"^\[\s*([^\]]+?)\s*\]", line):
                header = m.group(1).split(".")
                current = header
            elif m := re.match(r"^([A-Za-z0-9_.\-\"]+)\s*=", line):
                current = header + [k.strip('"') for k in m.group(1).split(".")]
            else:
                continue
            n = 0
            while n < min(len(current), len(want)) and current[n] == want[n]:
                n += 1
            if n and (best is None or n > best[0]):
                best = (n, number)
                if n == len(want):
                    break
        return best[1] if best else None

    def keys(self, table: dict[str, Any], allowed: set[str], keypath: str) -> None:
        for key in table:
            if key not in allowed:
                sub = f"{keypath}.{key}" if keypath else key
                raise self.fail(sub, "unknown key; allowed here: " + ", ".join(sorted(allowed)))

    def typed(self, value: Any, kind: type, keypath: str) -> Any:
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            name = {str: "a string", list: "a list", dict: "a table", int: "an integer"}[kind]
            raise self.fail(keypath, f"must be {name}, got {type(value).__name__}")
        return value

    def strings(self, value: Any, keypath: str) -> tuple[str, ...]:
        items = self.typed(value, list, keypath)
        for i, item in enumerate(items):
            self.typed(item, str, f"{keypath}[{i}]")
        return tuple(items)

    def query(self, text: str, keypath: str) -> q.Node:
        try:
            return q.parse(text)
        except QueryError as exc:
            fix = "" if ";" in str(exc) else "; fix the query string"  # most name their fix
            raise self.fail(keypath, f"cannot parse query: {exc}{fix}") from None

    def years(self, value: Any, keypath: str) -> tuple[int, int]:
        items = self.typed(value, list, keypath)
        if len(items) != 2 or not all(
            isinstance(y, int) and not isinstance(y, bool) for y in items
        ):
            raise self.fail(keypath, "must be [first_year, last_year], e.g. [2018, 2023]")
        first, last = items
        if not (1800 <= first <= 2100 and 1800 <= last <= 2100):
            raise self.fail(keypath, f"years {first}-{last} out of range 1800-2100")
        if first > last:
            raise self.fail(
                keypath, f"bad year range {first}-{last}: the first year is after the last"
            )
        return (first, last)

    def types(self, value: Any, keypath: str) -> tuple[str, ...]:
        items = self.strings(value, keypath)
        for i, t in enumerate(items):
            if t not in TYPES:
                raise self.fail(
                    f"{keypath}[{i}]",
                    f"unknown document type {t!r}; use one of " + ", ".join(TYPES),
                )
        return items

    def languages(self, value: Any, keypath: str) -> tuple[str, ...]:
        items = self.strings(value, keypath)
        for i, lang in enumerate(items):
            if not re.fullmatch(r"[a-z]{2}", lang):
                raise self.fail(
                    f"{keypath}[{i}]", f'{lang!r} is not an ISO 639-1 code; write e.g. "en"'
                )
        return items


def _rule(ck: _Checker, value: Any, keypath: str) -> Rule:
    table = ck.typed(value, dict, keypath)
    ck.keys(table, _RULE_KEYS, keypath)
    if not table:
        raise ck.fail(keypath, "empty rule; give types, languages or years, or remove it")
    return Rule(
        types=ck.types(table["types"], f"{keypath}.types") if "types" in table else (),
        languages=ck.languages(table["languages"], f"{keypath}.languages")
        if "languages" in table
        else (),
        years=ck.years(table["years"], f"{keypath}.years") if "years" in table else None,
    )


def _criteria(ck: _Checker, items: Any, kind: str, seen: set[str]) -> tuple[Criterion, ...]:
    keypath = f"criteria.{kind}"
    out = []
    for kp, table, cid in _id_tables(ck, items, keypath, _CRITERION_KEYS, seen, "criterion", "IC1"):
        rule = _rule(ck, table["require"], f"{kp}.require") if "require" in table else None
        out.append(Criterion(cid, ck.typed(table["text"], str, f"{kp}.text"), kind, rule))
    return tuple(out)


def _id_tables(
    ck: _Checker, items: Any, keypath: str, allowed: set[str], seen: set[str], what: str, eg: str
) -> list[tuple[str, dict[str, Any], str]]:
    """(key path, table, id) of a list of tables that each need a unique `id` and a `text`."""
    out = []
    for i, item in enumerate(ck.typed(items, list, keypath)):
        kp = f"{keypath}[{i}]"
        table = ck.typed(item, dict, kp)
        ck.keys(table, allowed, kp)
        for key in ("id", "text"):
            if key not in table:
                raise ck.fail(kp, f"missing required key '{key}'")
        tid = ck.typed(table["id"], str, f"{kp}.id")
        if not _ID.match(tid):
            raise ck.fail(f"{kp}.id", f"invalid id {tid!r}; use letters and digits like {eg}")
        if tid in seen:
            raise ck.fail(f"{kp}.id", f"duplicate id {tid!r}; every {what} needs its own id")
        seen.add(tid)
        out.append((kp, table, tid))
    return out


def _concepts(ck: _Checker, items: Any) -> tuple[Concept, ...]:
    out = []
    seen: set[str] = set()
    for i, item in enumerate(ck.typed(items, list, "concepts")):
        kp = f"concepts[{i}]"
        table = ck.typed(item, dict, kp)
        ck.keys(table, _CONCEPT_KEYS, kp)
        for key in ("id", "label"):
            if key not in table:
                raise ck.fail(kp, f"missing required key '{key}'")
        cid = ck.typed(table["id"], str, f"{kp}.id")
        if not _ID.match(cid):
            raise ck.fail(f"{kp}.id", f"invalid id {cid!r}; use letters and digits like C1")
        if cid in seen:
            raise ck.fail(f"{kp}.id", f"duplicate id {cid!r}; every concept needs its own id")
        seen.add(cid)
        group = ck.typed(table["group"], str, f"{kp}.group") if "group" in table else None
        keywords = ck.strings(table["keywords"], f"{kp}.keywords") if "keywords" in table else ()
        theme = ck.typed(table["theme"], str, f"{kp}.theme") if "theme" in table else None
        label = ck.typed(table["label"], str, f"{kp}.label")
        out.append(Concept(cid, label, group, keywords, theme))
    return tuple(out)


_FIELD_KEYS = {"id", "label", "type", "values", "multiple", "required", "help"}


def _extraction(ck: _Checker, items: Any) -> tuple[Field, ...]:
    out = []
    seen: set[str] = set()
    for i, item in enumerate(ck.typed(items, list, "extraction")):
        kp = f"extraction[{i}]"
        table = ck.typed(item, dict, kp)
        ck.keys(table, _FIELD_KEYS, kp)
        for key in ("id", "label", "type"):
            if key not in table:
                raise ck.fail(kp, f"missing required key '{key}'")
        fid = ck.typed(table["id"], str, f"{kp}.id")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", fid):
            raise ck.fail(
                f"{kp}.id", f"invalid id {fid!r}; use letters, digits and '_' like sample_size"
            )
        if fid in seen:
            raise ck.fail(f"{kp}.id", f"duplicate id {fid!r}; every field needs its own id")
        seen.add(fid)
        kind = ck.typed(table["type"], str, f"{kp}.type")
        if kind not in FIELD_TYPES:
            raise ck.fail(
                f"{kp}.type", f"unknown type {kind!r}; use one of " + ", ".join(FIELD_TYPES)
            )
        values = ck.strings(table["values"], f"{kp}.values") if "values" in table else ()
        if kind == "category" and not values:
            raise ck.fail(kp, 'a category needs its values; add values = ["a", "b"]')
        if kind != "category" and ("values" in table or "multiple" in table):
            key = "values" if "values" in table else "multiple"
            raise ck.fail(
                f"{kp}.{key}", f'only a category takes {key}; remove it or use type = "category"'
            )
        for j, v in enumerate(values):
            if not v.strip() or ";" in v or values.index(v) != j:
                raise ck.fail(
                    f"{kp}.values[{j}]",
                    f"bad value {v!r}: values are non-empty, distinct and hold no ';'; fix it",
                )
        flags = {}
        for key in ("multiple", "required"):
            flag = table.get(key, False)
            if not isinstance(flag, bool):
                raise ck.fail(f"{kp}.{key}", f"must be true or false, got {flag!r}")
            flags[key] = flag
        out.append(
            Field(
                fid,
                ck.typed(table["label"], str, f"{kp}.label"),
                kind,
                values,
                flags["multiple"],
                flags["required"],
                ck.typed(table.get("help", ""), str, f"{kp}.help"),
            )
        )
    return tuple(out)


_QUALITY_KEYS = {"questions", "answers", "min_score", "criterion"}
_ANSWER = re.compile(r"^[a-z][a-z0-9_-]*$")


def _number(ck: _Checker, value: Any, keypath: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ck.fail(keypath, f"must be a number, got {value!r}")
    if value < 0:
        raise ck.fail(keypath, f"must be 0 or more, got {value!r}")
    return float(value)


def _quality(ck: _Checker, value: Any, criteria: set[str]) -> Quality:
    """[quality]: questions (id, text), answer scores, an optional cut-off with its criterion id."""
    table = ck.typed(value, dict, "quality")
    ck.keys(table, _QUALITY_KEYS, "quality")
    if not table.get("questions"):
        raise ck.fail(
            "quality",
            'no questions; add a [[quality.questions]] table for each, e.g. id = "QA1", '
            'text = "Are the aims clearly stated?"',
        )
    questions = [
        QualityQuestion(qid, ck.typed(entry["text"], str, f"{kp}.text"))
        for kp, entry, qid in _id_tables(
            ck, table["questions"], "quality.questions", {"id", "text"}, set(), "question", "QA1"
        )
    ]
    answers = DEFAULT_ANSWERS
    if "answers" in table:
        given = ck.typed(table["answers"], dict, "quality.answers")
        if not given:
            raise ck.fail("quality.answers", "empty; give each answer a score, e.g. yes = 1")
        for name in given:
            if not _ANSWER.match(name):
                raise ck.fail(
                    f"quality.answers.{name}",
                    f"invalid answer {name!r}; use a lower-case word like unclear",
                )
        answers = tuple((k, _number(ck, v, f"quality.answers.{k}")) for k, v in given.items())
    quality = Quality(tuple(questions), answers)
    criterion = ck.typed(table.get("criterion", "QA"), str, "quality.criterion")
    if not _ID.match(criterion):
        raise ck.fail(
            "quality.criterion", f"invalid id {criterion!r}; use letters and digits like QA"
        )
    if criterion in criteria:
        raise ck.fail(
            "quality.criterion",
            f"{criterion!r} is already a criterion id; give the quality cut-off its own id "
            'with criterion = "..." in [quality]',
        )
    cut = None
    if "min_score" in table:
        cut = _number(ck, table["min_score"], "quality.min_score")
        if cut > quality.max_score:
            raise ck.fail(
                "quality.min_score",
                f"{table['min_score']} is above the best possible score "
                f"{quality.max_score:g}; lower it",
            )
    return Quality(quality.questions, answers, cut, criterion)


def _search(ck: _Checker, table: dict[str, Any]) -> Search:
    text = ck.typed(table["query"], str, "search.query")
    node = ck.query(text, "search.query")
    names = ck.strings(table["sources"], "search.sources")
    if not names:
        raise ck.fail("search.sources", 'no sources; list at least one, e.g. ["openalex"]')
    known = known_source_names()
    for i, name in enumerate(names):
        if name not in known:
            raise ck.fail(
                f"search.sources[{i}]", f"unknown source {name!r}; known: " + ", ".join(known)
            )
        if names.index(name) != i:
            raise ck.fail(f"search.sources[{i}]", f"source {name!r} listed twice; remove one")
    overrides = ck.typed(table.get("source", {}), dict, "search.source")
    for name in overrides:
        if name not in names:
            raise ck.fail(
                f"search.source.{name}",
                f"override for {name!r}, which is not in search.sources; add it there or remove this table",
            )
    specs = []
    for name in names:
        over = ck.typed(overrides.get(name, {}), dict, f"search.source.{name}")
        ck.keys(over, _SOURCE_KEYS, f"search.source.{name}")
        qtext = ck.typed(over.get("query", text), str, f"search.source.{name}.query")
        qnode = ck.query(qtext, f"search.source.{name}.query") if "query" in over else node
        options = ck.typed(over.get("options", {}), dict, f"search.source.{name}.options")
        specs.append(SourceSpec(name, qtext, qnode, options))
    return Search(
        query_text=text,
        query=node,
        sources=tuple(specs),
        years=ck.years(table["years"], "search.years") if "years" in table else None,
        languages=ck.languages(table["languages"], "search.languages")
        if "languages" in table
        else (),
        types=ck.types(table["types"], "search.types") if "types" in table else (),
    )


def content_hash(data: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of the parsed protocol."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def loads(text: str, path: Path = Path("<protocol>")) -> Protocol:
    """Parse and validate protocol text; raises ProtocolError with a one-line message."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        where = f"{path}:{m.group(1)}" if m else str(path)
        raise ProtocolError(f"{where}: not valid TOML ({exc}); fix the syntax") from None
    ck = _Checker(path, text)
    ck.keys(data, set(_SCHEMA), "")
    for table, key in _REQUIRED:
        if table not in data:
            raise ck.fail(table, f"missing required table [{table}]")
        ck.typed(data[table], dict, table)
        if key not in data[table]:
            raise ck.fail(f"{table}", f"missing required key '{key}' in [{table}]")
    for table, spec in _SCHEMA.items():
        if isinstance(spec, dict) and table in data:
            ck.keys(ck.typed(data[table], dict, table), set(spec), table)
    review = data["review"]
    rid = ck.typed(review["id"], str, "review.id")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", rid):
        raise ck.fail(
            "review.id", f"invalid id {rid!r}; use lower-case letters, digits, '-' or '_'"
        )
    seen: set[str] = set()
    criteria = data.get("criteria", {})
    search_table = data["search"]
    return Protocol(
        path=path,
        id=rid,
        title=ck.typed(review["title"], str, "review.title"),
        questions=ck.strings(review.get("questions", []), "review.questions"),
        reviewers=ck.strings(review.get("reviewers", []), "review.reviewers"),
        search=_search(ck, search_table),
        inclusion=_criteria(ck, criteria.get("inclusion", []), "inclusion", seen),
        exclusion=_criteria(ck, criteria.get("exclusion", []), "exclusion", seen),
        concepts=_concepts(ck, data.get("concepts", [])),
        known_relevant=_known_relevant(ck, search_table.get("known_relevant", [])),
        hash=content_hash(data),
        extraction=_extraction(ck, data.get("extraction", [])),
        quality=_quality(ck, data["quality"], seen) if "quality" in data else None,
        min_kappa=_min_kappa(ck, data.get("calibration", {}), review.get("reviewers", [])),
    )


def _known_relevant(ck: _Checker, value: Any) -> tuple[str, ...]:
    """DOIs or titles; an empty one would be reported as a paper nobody can find."""
    items = ck.strings(value, "search.known_relevant")
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if not item.strip():
            raise ck.fail(
                f"search.known_relevant[{i}]",
                "empty; give a DOI or a title, or remove the empty string",
            )
        key = normalise_doi(item) or " ".join(normalise_title(item).split())
        if key in seen:  # one paper twice would count twice in the recall of --validate
            raise ck.fail(
                f"search.known_relevant[{i}]",
                f"{item!r} is the paper of entry [{seen[key]}] ({items[seen[key]]!r}); "
                "list each paper once",
            )
        seen[key] = i
    return items


def _min_kappa(ck: _Checker, table: dict[str, Any], reviewers: list[Any]) -> float | None:
    """[calibration] min_kappa: the kappa `slr calibrate` must reach before full screening."""
    if "min_kappa" not in table:
        return None
    value = table["min_kappa"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ck.fail(
            "calibration.min_kappa",
            f"must be a number above 0 and at most 1 (e.g. 0.6), got {value!r}",
        )
    if len(reviewers) < 2:
        raise ck.fail(
            "calibration.min_kappa",
            "calibration needs two or more reviewers; list them in review.reviewers "
            "or remove [calibration]",
        )
    return float(value)


def load(path: str | Path) -> Protocol:
    """Read and validate a protocol file."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ProtocolError(
            f"{path}: no such protocol file; check the path given to -p/--protocol"
        ) from None
    except UnicodeDecodeError:
        raise ProtocolError(f"{path}: not UTF-8 text; save the protocol as UTF-8") from None
    except OSError as exc:
        raise ProtocolError(f"{path}: cannot read ({exc.strerror})") from None
    return loads(text, path)


def find(path: str | Path | None, cwd: Path | None = None) -> Path:
    """The protocol to use: the given path, else the only `protocols/*.toml` of the review
    holding cwd.

    As git finds its repository, the review is the nearest folder, cwd or one above it, whose
    `protocols/` holds a `.toml` file; the walk stops at the filesystem root. So `slr` works
    from any subfolder of a review (`corpus/<id>/decisions/`, a notes folder).
    """
    if path is not None:
        return Path(path)
    start = cwd or Path.cwd()
    for folder in (start, *start.parents):
        protocols = folder / "protocols"
        found = sorted(protocols.glob("*.toml")) if protocols.is_dir() else []
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(p.name for p in found)
            raise ProtocolError(
                f"{protocols}: several protocols ({names}); choose one with -p/--protocol"
            )
    raise ProtocolError(
        f"{start}: no protocol found in protocols/ here or in any folder above it (up to "
        f"{start.anchor or '/'}); pass -p/--protocol PATH, or start a review with `slr init`"
    )


def review_root(protocol: Protocol) -> Path:
    """The review's folder: the one holding `protocols/` (else the protocol's own folder)."""
    base = protocol.path.resolve().parent
    return base.parent if base.name == "protocols" else base


def corpus_dir(protocol: Protocol) -> Path:
    """`corpus/<review-id>/` in the review's folder (next to `protocols/`)."""
    return review_root(protocol) / "corpus" / protocol.id


# --------------------------------------------------------------------------- readiness

# stage -> (key path, what is missing and what to add)
_NEEDS = {
    "screen": (
        "criteria.exclusion",
        "no exclusion criteria{why}; add a [[criteria.exclusion]] table for each reason to "
        'exclude, with an id and a text (e.g. id = "EC1", text = "Not about the topic")',
    ),
    "code": (
        "concepts",
        "no concepts{why}; add a [[concepts]] table for each concept to code, with an id and "
        'a label (e.g. id = "C1", label = "Data quality")',
    ),
}


def missing(protocol: Protocol, stage: str, why: str = "") -> ProtocolError | None:
    """The one-line error when the protocol lacks what a stage needs, else None.

    Screening needs exclusion criteria (every exclusion names one) and coding needs
    concepts. `why` says what makes it needed now (", and the review has 12 works").
    """
    have = protocol.exclusion if stage == "screen" else protocol.concepts
    if have:
        return None
    keypath, message = _NEEDS[stage]
    return error_at(protocol, keypath, message.format(why=why))


def error_at(protocol: Protocol, keypath: str, message: str) -> ProtocolError:
    """A one-line `file:line: key.path: message` error about a loaded protocol."""
    try:
        text = protocol.path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        text = ""  # no line then; the file and key path still say where
    return _Checker(protocol.path, text).fail(keypath, message)


def require(protocol: Protocol, stage: str, why: str = "") -> None:
    """Refuse to start a stage (`screen`, `code`) the protocol cannot drive."""
    error = missing(protocol, stage, why)
    if error is not None:
        raise error
