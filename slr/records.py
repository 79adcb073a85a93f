"""The one normalised, immutable record every source and import format produces."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from slr.query import Node as QueryNode
from slr.query import Verdict, evaluate

TYPES = ("article", "conference-paper", "review", "book-chapter", "book", "preprint", "other")


@dataclass(frozen=True)
class Record:
    """One bibliographic record as one source delivered it.

    `id` is `<source>:<source_id>` and stable; `raw` points at the verbatim bytes it came
    from (a path relative to the review folder, optionally `#<locator>`).
    """

    source: str
    source_id: str
    title: str | None = None
    abstract: str | None = None
    authors: tuple[str, ...] = ()
    year: int | None = None
    venue: str | None = None
    doi: str | None = None
    type: str | None = None
    language: str | None = None
    keywords: tuple[str, ...] = ()
    url: str | None = None
    references: tuple[str, ...] = ()
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    publisher: str | None = None
    oa_url: str | None = None
    # retraction evidence this record carries about itself ("crossref updated-by: retraction
    # 10.x/notice (publisher)", "openalex is_retracted"), and the DOIs it retracts when it is a
    # retraction notice (Crossref `update-to`); read together by slr.retractions
    retraction: tuple[str, ...] = ()
    retracts: tuple[str, ...] = ()
    raw: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=True, hash=False)
    key: str | None = None  # the stored id, kept when `slr import --amend` relabels the source

    @property
    def id(self) -> str:
        return self.key or f"{self.source}:{self.source_id}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; empty values are left out so JSONL lines stay short."""
        data: dict[str, Any] = {"id": self.id}
        for key, value in asdict(self).items():
            if value not in (None, (), [], {}, ""):
                data[key] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        """Inverse of `to_dict`; unknown keys are ignored so older readers survive."""
        kwargs: dict[str, Any] = {}
        for name in _FIELD_NAMES:
            if name in data:
                kwargs[name] = _checked(name, data[name])
        for name in ("source", "source_id"):
            if not kwargs.get(name):
                raise KeyError(name)
        return cls(**kwargs)

    def evolve(self, **changes: Any) -> Record:
        """A copy with some fields changed (records are values)."""
        return replace(self, **changes)

    def matches(self, query: QueryNode) -> Verdict:
        """The local query evaluator applied to this record's title, abstract and keywords."""
        return evaluate(query, self.title, self.abstract, self.keywords)


def _checked(name: str, value: Any) -> Any:
    """One field of a stored record, checked: a hand-edited file is told which field is wrong
    rather than failing later deep inside a stage. Unambiguous values are taken as meant:
    a number where text belongs (a volume 12 from some API), a year written as "2020"."""
    if name in _LIST_FIELDS:
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise TypeError(f"field {name!r} must be a list of strings, got {value!r}")
        return tuple(value)
    if value is None:
        return {} if name == "extra" else None
    kind = _FIELD_TYPES[name]
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if name == "year" and isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise TypeError(f"field {name!r} must be {_FIELD_WORDS[name]}, got {value!r}")


_FIELD_NAMES = tuple(f.name for f in fields(Record))  # from_dict runs per record: look up once
_LIST_FIELDS = frozenset({"authors", "keywords", "references", "retraction", "retracts"})
_FIELD_TYPES: dict[str, type] = {name: str for name in _FIELD_NAMES} | {"year": int, "extra": dict}
_FIELD_WORDS = {name: "a string or null" for name in _FIELD_NAMES} | {
    "year": "a whole number or null",
    "extra": "an object",
}


# ---------------------------------------------------------------- normalisers

_DOI_PREFIX = re.compile(
    r"^\s*(?:doi\s*:?\s*|https?://(?:dx\.)?doi\.org/|(?:dx\.)?doi\.org/)+", re.IGNORECASE
)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")


def normalise_doi(value: str | None) -> str | None:
    """`10.xxxx/...` in lower case without URL or `doi:` prefix; None when it is no DOI.

    Handles URL-encoding (`%2F`), LaTeX-escaped underscores (`\\_`), surrounding
    punctuation and whitespace inside the value as real exports deliver them.
    """
    if not value:
        return None
    text = value.strip()
    if "%2" in text or "%3" in text:
        from urllib.parse import unquote

        text = unquote(text)
    text = text.replace("\\_", "_").replace("\\&", "&").replace("{", "").replace("}", "")
    text = _DOI_PREFIX.sub("", text)
    text = re.sub(r"\s+", "", text).rstrip(".,;")
    text = text.lower()
    return text if _DOI_SHAPE.match(text) else None


_TAGS = re.compile(r"<[^>]+>")
_LATEX_ACCENT = re.compile(r"\\(?:[vcHukrdbt](?=\s*\{|\s+\w)\s*|[^a-zA-Z\s])")
_LATEX_CMD = re.compile(r"\\[a-zA-Z]+\s*")
_BRACKETED_TRANSLATION = re.compile(r"^\s*\[(.+)\]\s*$|\s*\[[A-Z][a-z]+(?: [a-z]+)?\]\s*$")
_NON_WORD = re.compile(r"[^\w]+")


def clean_text(value: str | None) -> str | None:
    """Collapse whitespace, unescape HTML entities, drop tags; None stays None."""
    if value is None:
        return None
    text = _TAGS.sub("", html.unescape(value))
    text = " ".join(text.split())
    return text or None


def fold(text: str) -> str:
    """Case-folded without accents (`Müller` -> `muller`), for keys, sorting and comparing.

    The one fold of the package: dedupe keys, citation keys and the matrix's sort all use it.
    """
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def normalise_title(value: str | None) -> str:
    """A comparison key for titles: Unicode-folded, lower case, no punctuation or markup.

    Removes HTML and LaTeX remnants, a whole-title bracket (`[Title in English]`) and a
    trailing language tag such as `[Chinese]`, and accents.
    """
    if not value:
        return ""
    text = _TAGS.sub(" ", html.unescape(value))
    m = _BRACKETED_TRANSLATION.search(text)
    if m:
        text = m.group(1) if m.group(1) else text[: m.start()]
    text = _LATEX_ACCENT.sub("", text)
    text = _LATEX_CMD.sub(" ", text).replace("{", "").replace("}", "")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


_TYPE_WORDS = {
    "article": "article",
    "journal-article": "article",
    "journal article": "article",
    "journalarticle": "article",
    "journal articles": "article",
    "jour": "article",
    "ar": "article",
    "journals": "article",
    "early access articles": "article",
    "conference-paper": "conference-paper",
    "conference paper": "conference-paper",
    "conference": "conference-paper",
    "conferences": "conference-paper",
    "proceedings-article": "conference-paper",
    "inproceedings": "conference-paper",
    "conference and workshop papers": "conference-paper",
    "conf": "conference-paper",
    "cpaper": "conference-paper",
    "cp": "conference-paper",
    "proceedings paper": "conference-paper",
    "congress": "conference-paper",
    "review": "review",
    "re": "review",
    "review article": "review",
    "book-chapter": "book-chapter",
    "book chapter": "book-chapter",
    "chapter": "book-chapter",
    "incollection": "book-chapter",
    "chap": "book-chapter",
    "ch": "book-chapter",
    "book": "book",
    "bk": "book",
    "books": "book",
    "preprint": "preprint",
    "posted-content": "preprint",
    "unpub": "preprint",
    "informal publications": "preprint",
}


def normalise_type(value: str | None) -> str | None:
    """Map a source's document type onto the small slr vocabulary (None when unknown)."""
    if not value:
        return None
    key = " ".join(value.strip().lower().replace("_", " ").split())
    if key in _TYPE_WORDS:
        return _TYPE_WORDS[key]
    first = key.split(";")[0].strip()
    return _TYPE_WORDS.get(first, "other")


_LANGUAGES = {
    "english": "en",
    "eng": "en",
    "german": "de",
    "ger": "de",
    "deu": "de",
    "french": "fr",
    "fre": "fr",
    "fra": "fr",
    "spanish": "es",
    "spa": "es",
    "portuguese": "pt",
    "por": "pt",
    "chinese": "zh",
    "chi": "zh",
    "zho": "zh",
    "japanese": "ja",
    "jpn": "ja",
    "russian": "ru",
    "rus": "ru",
    "italian": "it",
    "ita": "it",
    "dutch": "nl",
    "dut": "nl",
    "nld": "nl",
    "korean": "ko",
    "kor": "ko",
    "polish": "pl",
    "pol": "pl",
    "turkish": "tr",
    "tur": "tr",
    "arabic": "ar",
    "ara": "ar",
    "persian": "fa",
    "per": "fa",
    "czech": "cs",
    "cze": "cs",
    "swedish": "sv",
    "swe": "sv",
}


def normalise_language(value: str | None) -> str | None:
    """ISO 639-1 code from a code or an English language name; None when unknown."""
    if not value:
        return None
    key = value.strip().lower().split(";")[0].split(",")[0].strip()
    if len(key) == 2 and key.isalpha():
        return key
    return _LANGUAGES.get(key)


def parse_year(value: Any) -> int | None:
    """The first plausible 4-digit year in a value (`2021`, `2021-03-01`, `Mar 2021`)."""
    if value is None:
        return None
    m = re.search(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)", str(value))
    return int(m.group(1)) if m else None
