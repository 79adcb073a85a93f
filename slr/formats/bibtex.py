"""BibTeX, read with pybtex's scanner and written with stable citation keys.

Reading tolerates what real exports do: text before the first entry (Scopus' header), BOMs,
field names with spaces (Web of Science's `Early Access Date`), a comma inside the key
(Scopus), entries without a key (EndNote), duplicate keys, `@string` macros and month
names, and `crossref` inheritance. The file is cut into entries at lines starting with
`@type{`, so a broken entry (an unbalanced brace, a truncated file) is reported with its
line and skipped without swallowing the entries after it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from pybtex.database.input.bibtex import LowLevelParser, UndefinedMacro, month_names
from pybtex.scanner import PrematureEOF, PybtexSyntaxError
from pybtex.utils import CaseInsensitiveDict

from slr.formats import Format
from slr.formats.common import (
    Document,
    Entry,
    doc_type,
    join_list,
    letters,
    scopus_eid,
    split_list,
)
from slr.formats.ids import id_fields
from slr.formats.latex import decode, escape, strip_braces
from slr.records import Record

_ENTRY_START = re.compile(r"^[ \t]*@[ \t]*([A-Za-z][\w-]*)[ \t]*[{(]", re.MULTILINE)
# `Early Access Date = {...}` -> `Early-Access-Date = {...}`: names cannot hold (no-break) spaces
_SPACED_FIELD = re.compile(
    r"^([ \t]?)([A-Za-z][\w-]*(?:[ \t\u00a0]+[\w-]+)+)([ \t]*=[ \t]*[{\"])", re.MULTILINE
)
_HEADER = re.compile(r"[ \t]*@[ \t]*([A-Za-z][\w-]*)[ \t]*([{(])[ \t]*([^\n]*)")
_GOOD_KEY = re.compile(r"[^\s,{}]+[ \t]*,[ \t]*(?:$|[A-Za-z][\w-]*[ \t]*=)")
_KEYLESS = re.compile(r"[A-Za-z][\w-]*[ \t]*=|,|$")  # `@article{` or `@article{,`
_EXPORT_DATE = re.compile(r"EXPORT DATE:\s*(\d{1,2} \w+ \d{4})", re.IGNORECASE)

_ENTRY_TYPES = {
    "article": "article",
    "inproceedings": "conference-paper",
    "conference": "conference-paper",
    "incollection": "book-chapter",
    "inbook": "book-chapter",
    "book": "book",
    "mvbook": "book",
    "booklet": "book",
    "proceedings": "book",
    "unpublished": "preprint",
    "misc": None,
    "generic": None,  # Mendeley
    "book_section": "book-chapter",
    "magazine_article": "article",
}
_PARENT_TYPES = {"proceedings", "mvproceedings", "book", "mvbook", "collection", "mvcollection"}
# our type -> (entry type, value of the `type` field when the entry type does not say it)
_EXPORT_TYPES = {
    "article": ("article", None),
    "review": ("article", "review"),
    "conference-paper": ("inproceedings", None),
    "book-chapter": ("incollection", None),
    "book": ("book", None),
    "preprint": ("misc", "preprint"),
    "other": ("misc", "other"),
    None: ("misc", None),
}
_VERBATIM = {"author", "url", "doi", "slr-id"}  # already escaped, or read verbatim
_CORPORATE = re.compile(
    r"\b(?:and|organi[sz]ation|group|consortium|committee|association|institute|university"
    r"|collaboration|society|council|agency|foundation|team|network|office|ministry)\b",
    re.IGNORECASE,
)


class _Broken(Exception):
    """An entry pybtex could not read."""

    def __init__(self, error: PybtexSyntaxError) -> None:
        super().__init__(error.args[0] if error.args else str(error))
        self.error = error


# ------------------------------------------------------------------ reading


def sniff(doc: Document) -> int:
    """High when a line starts a `@type{` entry."""
    if not _ENTRY_START.search(doc.head):
        return 0
    return 95 if doc.ext == "bib" else 80


def parse(doc: Document) -> Iterator[Entry]:
    """Entries of a BibTeX file, crossrefs resolved."""
    text = doc.text
    starts = [m.start() for m in _ENTRY_START.finditer(text)]
    if starts:
        m = _EXPORT_DATE.search(text[: starts[0]])
        if m:
            doc.meta["export_date"] = m.group(1)
    if _SPACED_FIELD.search(text):
        text = _SPACED_FIELD.sub(
            lambda m: m.group(1) + "-".join(m.group(2).split()) + m.group(3), text
        )
        starts = [m.start() for m in _ENTRY_START.finditer(text)]
    macros = CaseInsensitiveDict(month_names)
    parsed: list[tuple[int, str, str | None, dict[str, str]] | Entry] = []
    line = 1
    prev = 0
    for i, start in enumerate(starts):
        line += text.count("\n", prev, start)
        prev = start
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        item = _parse_chunk(text[start:end], line, macros, doc)
        if item is not None:
            parsed.append(item)
    yield from _entries(parsed, doc)


def _parse_chunk(
    chunk: str, line: int, macros: Any, doc: Document
) -> tuple[int, str, str | None, dict[str, str]] | Entry | None:
    header = _HEADER.match(chunk)
    if header is None:  # pragma: no cover - _ENTRY_START guarantees a header
        return None
    kind = header.group(1).lower()
    if kind == "comment":
        return None
    keyless = False
    if kind not in ("string", "preamble"):
        rest = header.group(3)
        if not _GOOD_KEY.match(rest):
            if _KEYLESS.match(rest):
                keyless = True  # EndNote: `@article{` then the fields
            elif "=" not in rest and "," in rest:
                # Scopus: `@ARTICLE{Kenny20103,17,` (pages leaked into the key)
                key = rest.rstrip().rstrip(",").replace(",", "-").replace(" ", "")
                chunk = chunk[: header.start(3)] + key + "," + chunk[header.end(3) :]

    def handle_error(error: Exception) -> None:
        if isinstance(error, UndefinedMacro):
            doc.warn(
                line + parser.lineno - 1,
                f"undefined @string macro {error.args[0]!r}; that field is left empty",
            )
            return
        raise _Broken(error)  # type: ignore[arg-type]

    parser = LowLevelParser(
        chunk, keyless_entries=keyless, macros=macros, handle_error=handle_error
    )
    try:
        command, body = next(iter(parser))
    except _Broken as exc:
        return _broken(exc, chunk, line)
    except StopIteration:  # pragma: no cover
        return None
    if kind in ("string", "preamble"):
        return None
    rest = chunk[parser.pos :]
    if "@" in rest and "=" in rest:  # something entry-like that the splitter did not cut off
        doc.warn(line + parser.lineno - 1, "text after this entry is not an entry; ignored")
    key, pairs = body
    fields: dict[str, str] = {}
    for name, parts in pairs:
        fields.setdefault(name.lower(), "".join(parts))
    return (line, command.lower(), key, fields)


def _broken(exc: _Broken, chunk: str, line: int) -> Entry:
    if isinstance(exc.error, PrematureEOF):
        if chunk.count("{") > chunk.count("}"):
            what = "unbalanced braces: a '{' is never closed"
        else:
            what = "the entry is not closed before the end of the file (truncated?)"
        return Entry(line, problem=f"{what}; entry skipped")
    at = line + exc.error.lineno - 1
    return Entry(at, problem=f"{exc.args[0]} (entry starting at line {line}); entry skipped")


def _entries(
    parsed: list[tuple[int, str, str | None, dict[str, str]] | Entry], doc: Document
) -> Iterator[Entry]:
    by_key = {
        item[2].lower(): item[3]
        for item in parsed
        if not isinstance(item, Entry) and item[2] is not None
    }
    parents: Counter[str] = Counter()
    for item in parsed:
        if not isinstance(item, Entry) and "crossref" in item[3]:
            target = item[3]["crossref"].strip().lower()
            parent = by_key.get(target)
            if parent is None:
                doc.warn(item[0], f"crossref {target!r} not found in this file")
                continue
            parents[target] += 1
            child = item[3]
            for name, value in parent.items():
                child.setdefault(name, value)
            if "booktitle" not in child and "title" in parent:
                child["booktitle"] = parent["title"]
    for item in parsed:
        if isinstance(item, Entry):
            yield item
            continue
        line, kind, key, fields = item
        if key is not None and parents[key.lower()] and kind in _PARENT_TYPES:
            doc.warn(line, f"@{kind}{{{key}}} only collects crossref'd entries; not a record")
            continue
        yield Entry(line, _record_fields(kind, key, fields))


def _record_fields(kind: str, key: str | None, f: dict[str, str]) -> dict[str, Any]:
    get = f.get
    url = strip_braces(get("url", "")) or None
    doi = strip_braces(get("doi", "")) or None
    out: dict[str, Any] = {
        "title": decode(f["title"]) if "title" in f else None,
        "authors": [decode(a) for a in _split_names(get("author", ""))],
        "year": get("year") or get("date"),
        "venue": decode(
            get("journal") or get("journaltitle") or get("booktitle") or get("series") or ""
        ),
        "doi": doi,
        "abstract": decode(f["abstract"]) if "abstract" in f else None,
        "keywords": [
            decode(k)
            for name in ("author_keywords", "keywords", "keywords-plus")
            if name in f
            for k in split_list(f[name])
        ],
        "url": url.split()[0] if url else None,
        "volume": decode(get("volume", "")),
        "issue": decode(get("number") or get("issue") or ""),
        "pages": decode(get("pages", "")),
        "publisher": decode(get("publisher") or get("institution") or get("school") or ""),
        "language": decode(get("language") or get("langid") or ""),
    }
    type_field = get("type") or get("document_type")
    out["type"] = (
        doc_type(strip_braces(type_field)) if type_field else _ENTRY_TYPES.get(kind, "other")
    )
    if not out["year"] and get("early-access-date"):
        out["year"] = get("early-access-date")  # WoS early access: no year yet
    extra = {
        name: strip_braces(f[name]) for name in ("issn", "isbn", "pmid") if f.get(name, "").strip()
    }
    if extra:
        out["extra"] = extra
    # Ids: our own export's, then the database's, then the citation key.
    slr_id = strip_braces(get("slr-id", ""))
    if ":" in slr_id:
        out["source"], sid = slr_id.split(":", 1)
        out.update(id_fields(out["source"], sid))
        return out
    unique = strip_braces(get("unique-id", "")) or (key or "")
    if unique[:4].upper() in ("WOS:", "ISI:"):
        out["source"], out["source_id"] = "webofscience", "WOS:" + unique[4:]
        return out
    eid = strip_braces(get("eid", "")) if get("eid", "").startswith("2-s2.0-") else None
    eid = eid or scopus_eid(url)
    if eid or strip_braces(get("source", "")).lower() == "scopus":
        out["source"] = "scopus"
        out.update({"source_id": eid} if eid else id_fields(None, key))
        return out
    if key and key.isdigit() and doi and doi.startswith("10.1109/"):
        out["source"], out["source_id"] = "ieee", key  # IEEE keys are article numbers
    elif key and key.lower().startswith("10.1145/"):
        out["source"], out["source_id"] = "acm", key  # ACM keys are DOIs
    else:
        out.update(id_fields(None, key))  # a citation key names the entry in this file only
    return out


_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def _split_names(value: str) -> list[str]:
    """Names of an `author` field: split on ` and ` outside braces; `others` dropped."""
    value = " ".join(value.split())
    if not value:
        return []
    if "{" not in value:
        names = _AND.split(value)
    else:
        names, depth, startpos = [], 0, 0
        i = 0
        while i < len(value):
            c = value[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif depth == 0 and value[i : i + 5].lower() == " and ":  # not value.lower(): İ grows
                names.append(value[startpos:i])
                i += 5
                startpos = i
                continue
            i += 1
        names.append(value[startpos:])
    return [n.strip() for n in names if n.strip() and n.strip().lower() != "others"]


# ------------------------------------------------------------------ writing


def citation_keys(records: Sequence[Record]) -> list[str]:
    """`surnameYEARword` keys (`kreuzberger2023machine`), unique; ties get a, b, c...

    A tie is broken by the records' ids, so a record keeps its key whatever else is exported
    alongside the same colliding records.
    """
    bases = [_key_base(r) for r in records]
    groups: dict[str, list[int]] = {}
    for i, base in enumerate(bases):
        groups.setdefault(base, []).append(i)
    keys = list(bases)
    taken = set(bases)
    for base, members in groups.items():
        if len(members) == 1:
            continue
        n = 0
        for i in sorted(members, key=lambda i: records[i].id):
            while base + _suffix(n) in taken:
                n += 1
            keys[i] = base + _suffix(n)
            taken.add(keys[i])
    return keys


def _suffix(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(97 + rem) + letters
    return letters


_STOPWORDS = {"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "at", "by", "from"}


def _key_base(r: Record) -> str:
    surname = ""
    if r.authors:
        name = r.authors[0]
        surname = name.split(",")[0] if "," in name else (name.split() or [""])[-1]
    word = next(
        (
            w
            for w in (letters(w) for w in (r.title or "").split())
            if w and not w.isdigit() and w not in _STOPWORDS
        ),
        "",
    )
    return (letters(surname) or "anon") + str(r.year or "") + word


def dump(records: Sequence[Record]) -> str:
    """BibTeX that JabRef, Zotero and biber read; `slr-id` carries the record id."""
    out = []
    for key, r in zip(citation_keys(records), records, strict=True):
        entry_type, type_field = _EXPORT_TYPES.get(r.type, ("misc", r.type))
        venue_field = (
            "booktitle"
            if entry_type in ("inproceedings", "incollection")
            else "series"
            if entry_type == "book"
            else "journal"
        )
        fields: list[tuple[str, str | None]] = [
            ("title", r.title),
            ("author", " and ".join(_name(a) for a in r.authors) or None),  # escaped
            ("year", str(r.year) if r.year else None),
            (venue_field, r.venue),
            ("volume", r.volume),
            ("number", r.issue),
            ("pages", r.pages),
            ("publisher", r.publisher),
            ("doi", r.doi),
            ("url", r.url.replace("{", "%7B").replace("}", "%7D") if r.url else None),
            ("abstract", r.abstract),
            ("keywords", join_list(r.keywords) if r.keywords else None),
            ("language", r.language),
            ("type", type_field),
            ("slr-id", r.id),
        ]
        lines = [f"@{entry_type}{{{key},"]
        for name, value in fields:
            if value:
                text = value if name in _VERBATIM else escape(value)
                lines.append(f"  {name} = {{{text}}},")
        lines[-1] = lines[-1].rstrip(",")
        out.append("\n".join(lines) + "\n}\n")
    return "\n".join(out)


def _name(name: str) -> str:
    """One author for an `author` field: escaped; braced when BibTeX would misparse it."""
    text = escape(name)
    if "," not in name and " " in name and _CORPORATE.search(name):
        return "{" + text + "}"
    if re.search(r"\band\b", name, re.IGNORECASE):
        return "{" + text + "}"
    return text


FORMATS = [Format("bibtex", "BibTeX", None, sniff, parse, dump=dump)]
