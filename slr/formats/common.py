"""What every format shares: decoding bytes, the parsed-entry shape, field clean-up, ids."""

from __future__ import annotations

import codecs
import datetime
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from slr.errors import ImportError_
from slr.records import (
    clean_text,
    fold,
    normalise_doi,
    normalise_language,
    normalise_title,
    normalise_type,
    parse_year,
)

# ------------------------------------------------------------------ documents and entries


@dataclass
class Document:
    """One file being read: its bytes, its decoded text, and notes gathered while parsing."""

    name: str  # the path as the user gave it; every message starts with it
    data: bytes = b""
    text: str = ""  # decoded, with "\n" line ends ("" for binary formats)
    encoding: str = ""
    binary: bool = False
    warnings: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. export_date found in a header

    @property
    def ext(self) -> str:
        return PurePath(self.name).suffix.lower().lstrip(".")

    @property
    def head(self) -> str:
        """The first 64 KiB of text, for sniffing."""
        return self.text[:65536]

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append(
            f"{self.name}:{line}: {message}" if line else f"{self.name}: {message}"
        )


@dataclass
class Entry:
    """One entry of a file: Record fields (plus optional `source_id`/`source` hints) or why not."""

    line: int  # where it starts (a line, or a row/record number for XLSX/XML/JSON)
    fields: dict[str, Any] | None = None
    problem: str | None = None  # set when the entry is broken and skipped


# ------------------------------------------------------------------ bytes to text


def decode(data: bytes, name: str) -> tuple[str, str, str | None]:
    """(text, encoding, warning): UTF-8 with or without BOM, UTF-16, GB18030 (Chinese), else
    Latin-1 with a warning."""
    if not data or data.isspace():  # isspace stops at the first other byte; strip would copy
        raise ImportError_(f"{name}: empty file; nothing to import (export the records again)")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", name), "utf-16", None
    utf16 = _bomless_utf16(data[:4096])
    if utf16:
        return _strict(data, utf16, name), utf16, None
    if data.startswith(b"%PDF"):
        raise ImportError_(f"{name}: a PDF file, not a reference export; export RIS or BibTeX")
    if _looks_binary(data[:8192]):
        raise ImportError_(
            f"{name}: a binary file, not a text reference export; export RIS, BibTeX or CSV"
        )
    enc = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return data.decode(enc), enc, None  # utf-8-sig drops the BOM without copying the bytes
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
    body = data[3:] if enc == "utf-8-sig" else data
    if _looks_gb18030(body):
        return body.decode("gb18030"), "gb18030", None
    try:
        text, enc = body.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        text, enc = body.decode("latin-1"), "latin-1"
    label = "Latin-1" if enc == "latin-1" else "Latin-1 (Windows-1252)"
    return (
        text,
        enc,
        f"{name}:{line}: not valid UTF-8; read as {label}: check accented characters, "
        "or save the file as UTF-8",
    )


_HIGH_RUNS = re.compile(rb"[\x80-\xff]+")


def _looks_gb18030(data: bytes) -> bool:
    """Chinese text in GB18030/GBK (CNKI, Wanfang exports) rather than Latin-1.

    GB2312 characters are two bytes, both 0xA1-0xFE, so its non-ASCII bytes come in even
    runs of such bytes; Latin-1 accents mostly stand alone between ASCII letters.
    """
    runs = _HIGH_RUNS.findall(data[:65536])
    total = sum(len(r) for r in runs)
    paired = sum(len(r) for r in runs if len(r) % 2 == 0 and min(r) >= 0xA1)
    if total < 8 or paired < 0.9 * total:
        return False
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise ImportError_(
            f"{name}: looks like {encoding.upper()} but byte {exc.start} is invalid; "
            "save the file as UTF-8"
        ) from None


def _bomless_utf16(sample: bytes) -> str | None:
    """UTF-16 without a BOM shows as a NUL in every other byte of ASCII text."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 12, 13))


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    return controls > 0.05 * len(sample)


def normalise_newlines(text: str) -> str:
    """`\\n` line ends: CRLF and old-Mac CR become LF, stray CRs go; stray BOMs too."""
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            text = text.replace("\r", "\n") if "\n" not in text else text.replace("\r", "")
    return text


# ------------------------------------------------------------------ field clean-up

_PLACEHOLDERS = {
    "[no abstract available]",
    "no abstract available",
    "abstract",
    "abstract not available",
    "[abstract not available]",
    "no abstract",
    "[no title available]",
    "n/a",
}


def clean(value: Any) -> str | None:
    """Whitespace collapsed, HTML entities and tags gone; empty and placeholder text -> None."""
    if not value:
        return None
    text = value if isinstance(value, str) else str(value)
    if "&" in text or "<" in text:
        text = clean_text(text) or ""
    else:  # the common case, without clean_text's entity and tag passes
        text = " ".join(text.split())
    if not text or (len(text) < 40 and text.casefold() in _PLACEHOLDERS):
        return None
    return text


def _term(value: Any) -> str | None:
    """A keyword: like `clean`, without the placeholder check meant for titles and abstracts."""
    text = value if isinstance(value, str) else str(value)
    if "&" in text or "<" in text:
        return clean_text(text)
    return " ".join(text.split()) or None


_INITIALS = re.compile(r"^(?:[A-Z](?:[a-z]?\.)?-?){1,4}$")  # J.C., SM, Ch.


def invert_initials(name: str) -> str:
    """`Phillips J.C.` (Scopus, PubMed, Embase) -> `Phillips, J.C.`; other names unchanged.

    Only a trailing run of initials is moved, so `P. Kogge` or `World Health Organization`
    stay as they are; BibTeX would otherwise read `J.C.` as the surname.
    """
    if "," in name or " " not in name:
        return name
    head, _, last = name.rpartition(" ")
    if _INITIALS.match(last) and any(c.isupper() for c in last) and not _INITIALS.match(head):
        return f"{head}, {last}"
    return name


def _squeeze(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if "  " in text or "\n" in text or "\t" in text or text[:1] == " " or text[-1:] == " ":
        return " ".join(text.split())
    return text


def plain(value: Any) -> str | None:
    """Whitespace-collapsed text without HTML handling (ids, volumes, URLs)."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def split_list(value: str | None) -> list[str]:
    """Items of a `;`-separated list (`,` when there is no `;`), stripped, empties dropped.

    Commas inside parentheses do not split (Embase: `cyst (diagnosis, surgery), ...`).
    """
    if not value:
        return []
    sep = ";" if ";" in value else ","
    if sep == "," and "(" in value:
        parts, depth, start = [], 0, 0
        for i, c in enumerate(value):
            if c == "(":
                depth += 1
            elif c == ")":
                depth = max(depth - 1, 0)
            elif c == sep and depth == 0:
                parts.append(value[start:i])
                start = i + 1
        parts.append(value[start:])
    else:
        parts = value.split(sep)
    return [p for p in (" ".join(x.split()) for x in parts) if p]


def join_list(items: tuple[str, ...] | list[str]) -> str:
    """Inverse of `split_list`: `; `-joined, with a trailing `;` when one item holds a comma."""
    text = "; ".join(items)
    if len(items) == 1 and "," in items[0]:
        text += ";"
    return text


_NAME_GLUE = re.compile(r"(?<=[a-zß-ÿ])(?=[A-ZÀ-Þ][a-zß-ÿ]*\.?\s)")
_INITIAL_GLUE = re.compile(r"(?<=[A-Z]\.)(?=[A-Z][A-Z]?[a-z'-])")
_NAME_INITIALS = re.compile(r"(?:[A-Z]{1,3}|(?:[A-Z]\.-?)+)")


def _comma_list(parts: list[str]) -> bool:
    """`,` separates names when each has a space and there are three or more, or each
    ends in initials (`Smith J, Jones K`); `Perez Cachon, Ana Lucia` is one inverted name."""
    words = [p.split() for p in parts]
    if not all(len(w) > 1 for w in words):
        return False
    return len(parts) > 2 or all(_NAME_INITIALS.fullmatch(w[-1]) for w in words)


def split_authors(value: str | None, glued: bool = False, conjunction: bool = False) -> list[str]:
    """Author names from one cell or field, the one rule for importers and de-duplication.

    In order: `A and B` (BibTeX, only with `conjunction`), `A; B`, names glued after an
    initial (EndNote's `Adeli K.Lewis G. F.`), `,`-separated `Surname I.` forms
    (`Smith J, Jones K`, `Lim SM, Shiau CWC, Lau Y.`). A single inverted name (`Smith,
    John`, `Perez Cachon, Ana Lucia`) stays one name. `glued`
    also splits names an export ran together after a lower-case letter
    (`Araz R. AlievNigar T. Ismayilova`, SpringerLink).

    Two rules are options because they would be wrong for some cells: `conjunction`
    would cut corporate authors (`Ministry of Health and Welfare`) in a spreadsheet's
    author cell, and `glued` would cut `McDonald` out of `Ann McDonald K.`-like cells
    outside SpringerLink's export.
    """
    if not value:
        return []
    text = " ".join(value.split())
    if conjunction and " and " in text:
        names = text.split(" and ")
    elif ";" in text:
        names = text.split(";")
    elif _INITIAL_GLUE.search(text):
        names = _INITIAL_GLUE.split(text)
    elif "," in text and _comma_list(text.split(",")):
        names = text.split(",")
    else:
        names = [text]
    if glued:
        names = [part for n in names for part in _NAME_GLUE.split(n)]
    return [n for n in (x.strip(" ,") for x in names) if n]


_DASHES = re.compile(r"\s*(?:--|[‐-―−])\s*|\s+-\s+")


def pages(start: Any, end: Any = None) -> str | None:
    """`start-end` with one ASCII hyphen; `start` alone when there is no end."""
    s = plain(start)
    if s:
        s = _DASHES.sub("-", s)
    e = plain(end)
    if s and e and "-" not in s:
        s = f"{s}-{_DASHES.sub('-', e)}"
    if s and s.count("-") == 1:
        a, b = s.split("-")
        if a == b:  # `22-22`, as some exports write a one-page article
            return a or None
    return s or None


_SPECIFIC_TYPES = ("book-chapter", "conference-paper", "review")


def doc_type(value: str | None) -> str | None:
    """`normalise_type`, but `Article; Book Chapter` (Web of Science) is the chapter and
    `Article; Proceedings Paper` the conference paper: the more specific part wins."""
    if not value:
        return None
    if ";" not in value:
        return normalise_type(value)
    kinds = [normalise_type(part) for part in value.split(";") if part.strip()]
    for specific in _SPECIFIC_TYPES:
        if specific in kinds:
            return specific
    return kinds[0] if kinds else None


def int_or_none(value: Any) -> int | None:
    """An int from a count cell ('12', '12.0'), else None."""
    try:
        return int(float(str(value).strip()))
    except (TypeError, ValueError):
        return None


def finish(f: dict[str, Any]) -> dict[str, Any]:
    """Normalise a parser's raw fields into Record keyword arguments (ids are left alone)."""
    out: dict[str, Any] = {}
    for key in ("source", "source_id"):
        if f.get(key):
            out[key] = str(f[key]).strip()
    out["title"] = clean(f.get("title"))
    out["abstract"] = clean(f.get("abstract"))
    out["authors"] = tuple(
        invert_initials(a) for a in (_squeeze(x) for x in f.get("authors") or ()) if a
    )
    year = f.get("year")
    out["year"] = year if isinstance(year, int) else parse_year(year)
    out["venue"] = clean(f.get("venue"))
    out["doi"] = normalise_doi(f.get("doi")) or doi_in(f.get("url"))
    out["type"] = f.get("type")
    out["language"] = normalise_language(f.get("language"))
    keywords = f.get("keywords")
    out["keywords"] = tuple(dict.fromkeys(k for k in map(_term, keywords) if k)) if keywords else ()
    out["url"] = plain(f.get("url"))
    out["volume"] = plain(f.get("volume"))
    out["issue"] = plain(f.get("issue"))
    out["pages"] = pages(f.get("pages"))
    out["publisher"] = clean(f.get("publisher"))
    out["oa_url"] = plain(f.get("oa_url"))
    out["references"] = tuple(f.get("references") or ())
    out["retraction"] = tuple(f.get("retraction") or ())  # evidence (slr.retractions)
    extra = {k: v for k, v in (f.get("extra") or {}).items() if v not in (None, "", [], ())}
    if extra:
        out["extra"] = extra
    return out


# ------------------------------------------------------------------ ids and sources


def fallback_id(fields: dict[str, Any]) -> str:
    """A short hash of the DOI, else of title + year + first author's surname: stable across
    re-imports of the same data."""
    doi = fields.get("doi")
    if doi:
        basis = f"doi:{doi}"
    else:
        authors = fields.get("authors") or ()
        surname = ""
        if authors:
            first_author = authors[0]
            surname = (
                first_author.split(",")[0] if "," in first_author else first_author.split()[-1]
            )
        basis = "|".join(
            (normalise_title(fields.get("title")), str(fields.get("year") or ""), letters(surname))
        )
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def letters(text: str) -> str:
    """The folded text's ASCII letters and digits only (for keys)."""
    return "".join(c for c in fold(text) if c.isascii() and c.isalnum())


# How databases name themselves in exports (RIS DB, BibTeX source, ...) -> slr source names.
_DATABASES = {
    "scopus": "scopus",
    "web of science": "webofscience",
    "web of science core collection": "webofscience",
    "wos": "webofscience",
    "isi": "webofscience",
    "pubmed": "pubmed",
    "medline": "pubmed",
    "embase": "embase",
    "ebscohost": "ebsco",
    "nlm": "pubmed",  # EndNote's RIS of PubMed records: `DP  - NLM`
    "ieee": "ieee",
    "ieee xplore": "ieee",
    "sciencedirect": "sciencedirect",
    "google scholar": "google-scholar",
    "springer": "springer",
    "springerlink": "springer",
    "psycinfo": "psycinfo",
    "apa psycinfo": "psycinfo",
    "acm": "acm",
    "acm digital library": "acm",
    "dblp": "dblp",
    "arxiv": "arxiv",
    "openalex": "openalex",
    "crossref": "crossref",
    "semantic scholar": "semanticscholar",
}


_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def source_for(name: str | None, loose: bool = False) -> str | None:
    """The slr source name for a database as an export names it; None when unknown.

    `loose` also accepts any lower-case slug as written by `slr export` (custom --source
    names such as `cinahl`).
    """
    if not name:
        return None
    from slr.databases import known_source_names

    text = name.strip()
    key = " ".join(text.lower().split())
    if key in _DATABASES:
        return _DATABASES[key]
    if key in known_source_names() or key == "import":
        return key
    return text if loose and _SLUG.match(text) else None


_EID = re.compile(r"eid=(2-s2\.0-\d+)|scopus\.com/pages/publications/(\d+)")


def scopus_eid(text: str | None) -> str | None:
    """The Scopus EID (`2-s2.0-...`) in a Scopus record URL, if any."""
    if not text or "scopus" not in text:
        return None
    m = _EID.search(text)
    if not m:
        return None
    return m.group(1) or f"2-s2.0-{m.group(2)}"


_DOI_IN_TEXT = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>&?#]+)")  # `&`, `?`, `#` end it in URLs


def doi_in(text: str | None) -> str | None:
    """The first DOI found inside free text (a URL, a citation, a note)."""
    if not text:
        return None
    m = _DOI_IN_TEXT.search(text)
    return normalise_doi(m.group(1)) if m else None


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_date(value: str | None) -> str | None:
    """A YYYY-MM-DD date or None; anything else is an ImportError_."""
    if value is None:
        return None
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        datetime.date.fromisoformat(value)  # the shape alone lets 2024-13-01 through
    except ValueError:
        raise ImportError_(f"--date {value!r}: use YYYY-MM-DD, e.g. 2024-03-01") from None
    return value
