"""Tables: CSV, TSV and XLSX, generic (a column mapping by alias) or a known flavour.

Column names are compared as lower-case words (`Source title` = `source title`,
`Art. No.` = `art no`). Known exports (Scopus, IEEE, SpringerLink, Web of Science,
Publish or Perish) register a `Format` with `columns`/`row`; anything else with a title
column is read through the aliases below. An `id` column (or `source` + `source_id`, as
`slr export` writes) is kept as the record's id; `PMID`, `EID` or a WoS `UT` column also
tell the database. Cells that `slr export` neutralised for spreadsheets (`'=...`) are
restored.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slr.errors import ImportError_
from slr.formats import Format
from slr.formats.common import (
    Document,
    Entry,
    decode,
    doc_type,
    join_list,
    normalise_newlines,
    pages,
    source_for,
    split_authors,
    split_list,
)
from slr.formats.ids import id_fields
from slr.records import Record, parse_year

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # Scopus puts whole reference lists in a cell

_NON_WORD = re.compile(r"[^a-z0-9]+")

ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("title", "document title", "article title", "item title", "primary title", "ti"),
    "abstract": ("abstract", "ab", "summary", "description"),
    "authors": ("authors", "author", "author full names", "author names", "creators", "au", "af"),
    "year": (
        "year",
        "publication year",
        "py",
        "pubyear",
        "year published",
        "publication date",
        "date",
    ),
    "venue": (
        "venue",
        "journal",
        "source title",
        "journal book",
        "publication title",
        "publication name",
        "container title",
        "journal title",
        "secondary title",
        "so",
    ),
    "doi": ("doi", "item doi", "di", "digital object identifier"),
    "url": ("url", "link", "article url", "uri"),
    "keywords": ("keywords", "author keywords", "index keywords", "keyword", "de", "tags"),
    "type": ("type", "document type", "content type", "publication type", "item type", "dt"),
    "language": ("language", "language of original document", "la"),
    "volume": ("volume", "journal volume", "vl"),
    "issue": ("issue", "number", "journal issue", "is"),
    "pages": ("pages", "page range", "pg"),
    "start": ("start page", "page start", "bp", "first page"),
    "end": ("end page", "page end", "ep", "last page"),
    "publisher": ("publisher", "pu"),
    "oa_url": ("oa url", "oa_url", "pdf url", "full text url"),
    "references": ("references", "referenced works"),
    "source_id": ("source id", "id", "record id", "key", "accession number", "uid"),
    "source": ("source", "database"),
}
# Id columns that also name the database.
_DATABASE_IDS = {
    "eid": "scopus",
    "pmid": "pubmed",
    "pubmed id": "pubmed",
    "ut": "webofscience",
    "ut unique wos id": "webofscience",
    "unique wos id": "webofscience",
}
# Columns only one database's export has (Embase: its Emtree thesaurus terms).
_DATABASE_COLUMNS = (("emtree", "embase"),)
_CITATION = ("citation", "source", "reference")  # where a year may hide when no year column
_FORMULA = ("'=", "'+", "'-", "'@", "'\t", "'\r", "''")


def key(name: str) -> str:
    """A column name as compared: lower-case words separated by one space."""
    return " ".join(_NON_WORD.split(name.lower())).strip()


def header_keys(doc: Document) -> set[str]:
    """The column keys of a text table's header line (cached on the document)."""
    return set(_header(doc)[2])


# Exports may put lines before the header: IEEE Xplore the search URL and a timestamp, Embase
# `"SEARCH QUERY","..."` and a rule. The header is the first of these lines that names a
# title or DOI column or a known export's columns.
_PREAMBLE_LINES = 30


def _is_header(keys: set[str]) -> bool:
    from slr.formats import table_flavours

    if _pick(keys, "title") or _pick(keys, "doi"):
        return True
    return any(f.columns is not None and f.columns(keys) for f in table_flavours())


def header_row(rows: Sequence[Sequence[str]]) -> int:
    """The index of the header among a table's first rows: 0 unless a preamble comes first.

    A later row counts only with two or more named columns, so one stray word is no header.
    """
    for index, cells in enumerate(rows[:_PREAMBLE_LINES]):
        keys = {key(c) for c in cells if c and c.strip()}
        if (index == 0 or len(keys) > 1) and _is_header(keys):
            return index
    return 0


def _header(doc: Document) -> tuple[int, str, list[str]]:
    """(line index, delimiter, column keys) of a text table's header (cached on the document)."""
    if "_header" not in doc.meta:
        lines = doc.head.split("\n", _PREAMBLE_LINES)[:_PREAMBLE_LINES]
        rows = [next(csv.reader([line], delimiter=_delimiter(line)), []) for line in lines]
        index = header_row(rows) if lines else 0
        line = lines[index] if lines else ""
        doc.meta["_header"] = (
            index,
            _delimiter(line),
            [key(c) for c in rows[index]] if rows else [],
        )
        if index:
            doc.meta["preamble"] = [text for text in lines[:index] if text.strip(" ,;\t")]
    return doc.meta["_header"]


def _delimiter(first_line: str) -> str:
    if "\t" in first_line:
        return "\t"
    return ";" if first_line.count(";") > first_line.count(",") else ","


def parse_rows(
    doc: Document,
    row: Callable[[dict[str, str]], dict[str, Any]],
    quoted: bool = True,
) -> Iterator[Entry]:
    """Entries of a text table, each row mapped by `row` (cells keyed by column key).

    `quoted` is the export's own rule: CSV quotes cells, a Web of Science tab-delimited
    file never does (a `"` there is part of the text).
    """
    header, rows = read_text(doc, quoted)
    return map_rows(header, rows, row)


def read_text(
    doc: Document, quoted: bool = True
) -> tuple[list[str], Iterator[tuple[int, list[str], str | None]]]:
    """(column keys, rows as (line, cells, problem)) of a CSV/TSV text after any preamble."""
    skip, delimiter, _ = _header(doc)
    text = doc.text
    if skip:
        text = text.split("\n", skip)[-1]
    if quoted:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    else:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter, quoting=csv.QUOTE_NONE)
    header = [key(c) for c in next(reader, [])]
    if not any(header):
        raise ImportError_(
            f"{doc.name}:{skip + 1}: no header row; the first line must name the columns"
        )
    unterminated = quoted and text.count('"') % 2 == 1

    def rows() -> Iterator[tuple[int, list[str], str | None]]:
        line = skip + reader.line_num + 1
        pending: tuple[int, list[str]] | None = None
        for cells in reader:
            if pending is not None:
                yield pending[0], pending[1], None
            pending = (line, cells)
            line = skip + reader.line_num + 1
        if pending is not None:
            problem = None
            if unterminated:
                problem = "a quoted cell is never closed (truncated file?); row skipped"
            yield pending[0], pending[1], problem

    return header, rows()


def map_rows(
    header: Sequence[str],
    rows: Iterator[tuple[int, list[str], str | None]],
    row: Callable[[dict[str, str]], dict[str, Any]],
) -> Iterator[Entry]:
    """Entries from rows of cells: empty rows are skipped, over-long rows reported."""
    for line, cells in cell_rows(header, rows):
        yield Entry(line, problem=cells) if isinstance(cells, str) else Entry(line, row(cells))


def cell_rows(
    header: Sequence[str],
    rows: Iterator[tuple[int, list[str], str | None]],
    keep_empty: bool = False,
) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(line, non-empty cells by column key) per row, or (line, why the row is skipped).

    A row of empty cells is skipped unless `keep_empty` (a blank line always is).
    """
    width = len(header)
    # Scopus lists `Funding Text 1` in the header but adds `Funding Text 2, 3...` cells to the
    # rows that have them; those cells are dropped so the later columns line up again.
    funding = header.index("funding text 1") + 1 if "funding text 1" in header else None
    for line, cells, problem in rows:
        if problem:
            yield line, problem
            continue
        if not cells or not (keep_empty or any(c.strip() for c in cells)):
            continue
        if funding and len(cells) > width:
            cells = cells[:funding] + cells[funding + len(cells) - width :]
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            yield (
                line,
                f"{len(cells)} cells for {width} columns (a stray delimiter or quote?); row skipped",
            )
            continue
        yield (
            line,
            {
                k: (_unneutralise(c) if c[0] == "'" else c)
                for k, c in zip(header, cells, strict=False)
                if c
            },
        )


def _unneutralise(cell: str) -> str:
    return cell[1:] if cell.startswith(_FORMULA) else cell


# ------------------------------------------------------------------ the generic mapping


def _pick(keys: set[str], field: str) -> list[str]:
    return [alias for alias in ALIASES[field] if alias in keys]


def generic_mapper(keys: set[str]) -> Callable[[dict[str, str]], dict[str, Any]]:
    """A row mapper for a table whose columns are named by any of the ALIASES."""
    cols = {field: _pick(keys, field) for field in ALIASES}
    id_col = next((k for k in _DATABASE_IDS if k in keys), None)
    citation = next((k for k in _CITATION if k in keys), None)
    database = next(
        (db for prefix, db in _DATABASE_COLUMNS if any(k.startswith(prefix) for k in keys)), None
    )

    def one(cells: dict[str, str], field: str) -> str | None:
        for col in cols[field]:
            value = cells.get(col, "").strip()
            if value:
                return value
        return None

    def row(cells: dict[str, str]) -> dict[str, Any]:
        authors = one(cells, "authors")
        year = one(cells, "year") or (parse_year(cells.get(citation)) if citation else None)
        out: dict[str, Any] = {
            "title": one(cells, "title"),
            "abstract": one(cells, "abstract"),
            "authors": split_authors(authors),
            "year": year,
            "venue": one(cells, "venue"),
            "doi": one(cells, "doi"),
            "url": one(cells, "url"),
            "keywords": [k for col in cols["keywords"] for k in split_list(cells.get(col))],
            "type": doc_type(one(cells, "type")),
            "language": one(cells, "language"),
            "volume": one(cells, "volume"),
            "issue": one(cells, "issue"),
            "pages": one(cells, "pages") or pages(one(cells, "start"), one(cells, "end")),
            "publisher": one(cells, "publisher"),
            "oa_url": one(cells, "oa_url"),
            "references": tuple(split_list(one(cells, "references"))),
        }
        # A `source` cell names the database; any slug is trusted next to a source_id column
        # (as `slr export` writes them), only known database names otherwise.
        source = source_for(one(cells, "source"), loose="source id" in keys) or database
        sid = one(cells, "source_id")
        if id_col and cells.get(id_col, "").strip() not in ("", "0"):  # Abstrackr: 0 = none
            out["source_id"] = cells[id_col].strip()  # an EID, PMID or UT: database-wide
            source = source or _DATABASE_IDS[id_col]
        else:  # an `id` column numbers the rows of this file, unless slr wrote it
            out.update(id_fields(source, sid))
        if source:
            out["source"] = source
        return out

    return row


def _flavour_or_generic(
    keys: set[str], doc: Document
) -> Callable[[dict[str, str]], dict[str, Any]]:
    from slr.formats import table_flavours

    for fmt in table_flavours():
        if fmt.columns is not None and fmt.row is not None and fmt.columns(keys):
            doc.meta["flavour"] = fmt.label
            return fmt.row
    if not _pick(keys, "title") and not _pick(keys, "doi"):
        raise ImportError_(
            f"{doc.name}:1: no title or DOI column; name one 'title' (or one of: "
            + ", ".join(ALIASES["title"])
            + ")"
        )
    return generic_mapper(keys)


# ------------------------------------------------------------------ formats


def _sniff_text(delimiters: str) -> Callable[[Document], int]:
    def sniff(doc: Document) -> int:
        _, delimiter, columns = _header(doc)
        if delimiter not in delimiters:
            return 0
        keys = set(columns)
        if _pick(keys, "title") or _pick(keys, "doi"):
            return 50 if doc.ext in ("csv", "tsv", "txt", "tab") else 40
        return 0

    return sniff


def parse_text(doc: Document) -> Iterator[Entry]:
    """Entries of a CSV or TSV table (a known flavour, else by aliases)."""
    header, rows = read_text(doc)
    return map_rows(header, rows, _flavour_or_generic(set(header), doc))


def sniff_xlsx(doc: Document) -> int:
    """An Office Open XML workbook."""
    return 90 if doc.data.startswith(b"PK\x03\x04") and b"xl/" in doc.data[:65536] else 0


def parse_xlsx(doc: Document) -> Iterator[Entry]:
    """Entries of the first sheet of a workbook; the row number is the locator."""
    header, rows, close = _xlsx_rows(doc)
    yield from map_rows(header, rows, _flavour_or_generic(set(header), doc))
    close()


def _xlsx_rows(
    doc: Document,
) -> tuple[list[str], Iterator[tuple[int, list[str], str | None]], Callable[[], None]]:
    """(column keys, rows as (row number, cells, None), close) of a workbook's first sheet."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(doc.data), read_only=True, data_only=True)
    except Exception as exc:  # zip, XML or openpyxl errors: the file is not a usable workbook
        raise ImportError_(f"{doc.name}: not a readable XLSX workbook ({exc})") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    top = [[_cell(v) for v in values] for values in itertools.islice(rows, _PREAMBLE_LINES)]
    if not top:
        raise ImportError_(f"{doc.name}: the first sheet is empty")
    skip = header_row(top)
    if skip:
        doc.meta["preamble"] = [" ".join(c for c in r if c) for r in top[:skip] if any(r)]
    header = [key(c) for c in top[skip]]

    def cells() -> Iterator[tuple[int, list[str], str | None]]:
        for number, values in enumerate(top[skip + 1 :], start=skip + 2):
            yield number, values, None
        for number, raw in enumerate(rows, start=len(top) + 1):
            yield number, [_cell(v) for v in raw], None

    return header, cells(), book.close


@dataclass(frozen=True)
class Table:
    """A table as the one reader gives it to readers that map columns themselves."""

    name: str
    columns: tuple[str, ...]  # column keys (see `key`)
    rows: tuple[tuple[int, dict[str, str]], ...]  # (line or row number, non-empty cells by key)


def read_table(path: Path, keep_empty: bool = False) -> Table:
    """A CSV, TSV or XLSX file's header and rows: the one table reader behind imports,
    standalone de-duplication and the screening simulation.

    Decoding, delimiter, preamble, quoting and spreadsheet cells are read as `slr import`
    reads them. `keep_empty` keeps rows whose cells are all empty (a blank line is never a
    row), so that ids numbered by row stay the rows of the file. A broken row (an
    unclosed quote, too many cells) is an error naming file:line.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportError_(f"{path}: cannot be read ({exc.strerror}); check the path") from None
    name = str(path)
    if data.startswith(b"PK\x03\x04"):
        doc = Document(name, data=data, binary=True, encoding="xlsx")
        header, rows, close = _xlsx_rows(doc)
    else:
        text, encoding, _ = decode(data, name)  # Latin-1 read with a warning: no one to tell
        doc = Document(name, text=normalise_newlines(text), encoding=encoding)
        header, rows = read_text(doc)
        close = _nothing
    out = []
    try:
        for line, cells in cell_rows(header, rows, keep_empty):
            if isinstance(cells, str):
                raise ImportError_(
                    f"{name}:{line}: {cells.replace('; row skipped', '')}; fix the row"
                )
            out.append((line, cells))
    finally:
        close()
    return Table(name, tuple(header), tuple(out))


def read_cells(path: Path) -> list[list[str]]:
    """A sheet given to `--import` (coding, extraction, quality) as rows of cells, by position.

    The sheets' importers name errors by row and column and refuse a column given twice, so
    they take the cells as they stand, header included: a .csv/.tsv/.txt in UTF-8 (delimiter:
    the commonest of comma, semicolon and tab on the first line) or an .xlsx's first sheet.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return _xlsx_cells(path)
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportError_(f"{path}: no such file; check the path given to --import") from None
    except OSError as exc:
        raise ImportError_(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportError_(f"{path}: not UTF-8 text; save the sheet as CSV UTF-8") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _xlsx_cells(path: Path) -> list[list[str]]:
    from zipfile import BadZipFile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ImportError_(
            f"{path}: not a readable .xlsx workbook; save it again from Excel"
        ) from None
    try:
        sheet: Any = book.worksheets[0]
        return [[_mark_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _mark_cell(value: Any) -> str:
    """A sheet's cell as text; a ticked checkbox (a bool) is `true`/`false`, as typed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _cell(value)


def _nothing() -> None:
    """Nothing to close."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


CSV_COLUMNS = (
    "id",
    "source",
    "source_id",
    "title",
    "authors",
    "year",
    "venue",
    "doi",
    "type",
    "language",
    "keywords",
    "url",
    "oa_url",
    "volume",
    "issue",
    "pages",
    "publisher",
    "abstract",
    "references",
)


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula (`=`, `+`, `-`, `@` lead gets a `'`)."""
    return "'" + cell if cell.startswith(("=", "+", "-", "@", "\t", "\r", "'")) else cell


def dump(records: Sequence[Record]) -> str:
    """CSV of every record field, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        values = {
            "id": r.id,
            "source": r.source,
            "source_id": r.source_id,
            "title": r.title,
            "authors": join_list(r.authors) if r.authors else "",
            "year": r.year,
            "venue": r.venue,
            "doi": r.doi,
            "type": r.type,
            "language": r.language,
            "keywords": join_list(r.keywords) if r.keywords else "",
            "url": r.url,
            "oa_url": r.oa_url,
            "volume": r.volume,
            "issue": r.issue,
            "pages": r.pages,
            "publisher": r.publisher,
            "abstract": r.abstract,
            "references": join_list(r.references) if r.references else "",
        }
        writer.writerow(
            neutralise("" if values[c] is None else str(values[c])) for c in CSV_COLUMNS
        )
    return buffer.getvalue()


FORMATS = [
    Format("csv", "CSV", None, _sniff_text(",;"), parse_text, dump=dump),
    Format("tsv", "TSV", None, _sniff_text("\t"), parse_text),
    Format("xlsx", "XLSX", None, sniff_xlsx, parse_xlsx, binary=True),
]
