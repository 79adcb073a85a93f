"""A PDF's text, page by page, in reading order: what keyword search and quotes read.

pdfminer.six (MIT) does the layout analysis: characters become lines, lines become text
boxes, and boxes are ordered so that a two-column page reads down the left column before
the right one. `all_texts` also analyses text drawn inside form objects (some LaTeX PDFs
put whole pages there). Each text box becomes one paragraph line: its lines are joined,
a word hyphenated across a line end is joined again ("litera-" + "ture"), ligatures are
spelled out (ﬁ -> fi) and glyphs without a Unicode mapping ("(cid:13)") are dropped, so
that a search for "scientific literature" finds what the page shows.

A page-less result is no failure: a scanned PDF (images, no characters) is reported as
NO_TEXT_LAYER. A file that is not a PDF, is encrypted with a password or is damaged
raises PdfError, one line naming the file, so a run over many files can go on.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTFigure, LTImage, LTTextBox, LTTextLine
from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect

from slr.errors import SlrError
from slr.fulltext import join_pages, pdf_path, text_path
from slr.records import normalise_doi
from slr.review import Review
from slr.store import write_atomic

OK = "ok"
NO_TEXT_LAYER = "no text layer (scanned?)"
NO_TEXT = "no text on any page"
MAGIC = b"%PDF-"
LAPARAMS = LAParams(all_texts=True)
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
)
_CID = re.compile(r"\(cid:\d+\)")
_DOI_IN_TEXT = re.compile(r"10\.\d{4,9}/[^\s\"<>]+")
_HYPHEN_END = re.compile(r"(?<=\w)-$")


class PdfError(SlrError):
    """A file that cannot be read as a PDF (not one, encrypted, damaged)."""


@dataclass(frozen=True)
class Extracted:
    """The text of each page (possibly empty) and what came of it (OK, NO_TEXT_LAYER, NO_TEXT)."""

    pages: list[str]
    status: str


def is_pdf(data: bytes) -> bool:
    """The PDF header within the first KiB (readers allow a little junk before it)."""
    return MAGIC in data[:1024]


def extract_pdf(path: Path) -> Extracted:
    """The text of every page of the PDF at `path`; PdfError if it cannot be read."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise PdfError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not is_pdf(head):
        raise PdfError(f"{path}: not a PDF (no %PDF- header); attach the PDF file itself")
    pages: list[str] = []
    images = False
    try:
        with _quiet_pdfminer():
            for layout in extract_pages(path, laparams=LAPARAMS):
                paragraphs, has_image = _read_page(layout)
                pages.append("\n\n".join(paragraphs))
                images = images or has_image
    except PDFPasswordIncorrect:
        raise PdfError(
            f"{path}: encrypted (it needs a password to open); save an unencrypted copy "
            "from your PDF viewer and use that"
        ) from None
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise PdfError(f"{path}: damaged PDF ({why}); download it again") from None
    if not pages:
        raise PdfError(f"{path}: damaged PDF (no pages); download it again")
    if any(p.strip() for p in pages):
        return Extracted(pages, OK)
    return Extracted(pages, NO_TEXT_LAYER if images else NO_TEXT)


@contextlib.contextmanager
def _quiet_pdfminer() -> Iterator[None]:
    """pdfminer logs a warning per odd object; the one-line outcome per file is ours to give."""
    logger = logging.getLogger("pdfminer")
    level = logger.level
    logger.setLevel(logging.ERROR + 10)
    try:
        yield
    finally:
        logger.setLevel(level)


def _read_page(container: Any) -> tuple[list[str], bool]:
    """The paragraphs of a page (or a figure in it) in layout order, and whether it has images."""
    paragraphs: list[str] = []
    images = False
    for obj in container:
        if isinstance(obj, LTTextBox | LTTextLine):
            text = paragraph(obj.get_text())
            if text:
                paragraphs.append(text)
        elif isinstance(obj, LTImage):
            images = True
        elif isinstance(obj, LTFigure):
            inner, has_image = _read_page(obj)
            paragraphs += inner
            images = images or has_image
    return paragraphs, images


def paragraph(text: str) -> str:
    """The lines of one text box as one line: hyphenated words joined, ligatures spelled out."""
    text = _CID.sub("", text.translate(_LIGATURES))
    out = ""
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        if not out:
            out = line
        elif _HYPHEN_END.search(out) and line[0].islower():
            # "litera-" + "ture" is one word; "DNA-" + "positivity" keeps its hyphen
            out = (out[:-1] if out[-2].islower() else out) + line
        else:
            out = f"{out} {line}"
    return out


def pdf_metadata(path: Path) -> tuple[str, list[str]]:
    """The PDF's own title and the DOIs its document info and XMP metadata name ("", [] when
    it has none or they cannot be read)."""
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    texts: list[str] = []
    title = ""
    try:
        with _quiet_pdfminer(), open(path, "rb") as fh:
            doc = PDFDocument(PDFParser(fh))
            for info in doc.info:
                for key, value in info.items():
                    value = resolve1(value)
                    if isinstance(value, bytes):
                        value = decode_text(value)
                    if isinstance(value, str):
                        texts.append(value)
                        if key == "Title" and not title:
                            title = value.strip()
            meta = resolve1(doc.catalog.get("Metadata"))
            if meta is not None and hasattr(meta, "get_data"):
                texts.append(meta.get_data().decode("utf-8", "replace"))
    except Exception:  # metadata is a hint only; a damaged file shows when it is extracted
        return title, []
    return title, dois_in("\n".join(texts))


@dataclass(frozen=True)
class TextResult:
    """What extraction gave for a stored PDF: page count and status (the Retrieval fields),
    or the one-line error for an unreadable file."""

    work_id: str
    pages: int | None
    text: str  # OK, NO_TEXT_LAYER, NO_TEXT, or the error

    @property
    def ok(self) -> bool:
        return self.text == OK


def store_text(review: Review, work_id: str, extracted: Extracted) -> None:
    """Write the page-marked text beside the PDF; a PDF without text leaves no text file
    (not even the one of a PDF it replaced)."""
    path = text_path(review, work_id)
    if extracted.status == OK:
        write_atomic(path, join_pages(extracted.pages))
    else:
        path.unlink(missing_ok=True)


def extract(review: Review, work_id: str) -> TextResult:
    """(Re)extract the text of a work's stored PDF to its text file; never raises PdfError."""
    pdf = pdf_path(review, work_id)
    if not pdf.exists():
        return TextResult(work_id, None, f"{pdf}: no PDF stored; fetch or attach one first")
    try:
        extracted = extract_pdf(pdf)
    except PdfError as exc:
        return TextResult(work_id, None, str(exc))
    store_text(review, work_id, extracted)
    return TextResult(work_id, len(extracted.pages), extracted.status)


def dois_in(text: str) -> list[str]:
    """Every DOI in a text, normalised, in order of first appearance."""
    out: list[str] = []
    for m in _DOI_IN_TEXT.finditer(text):
        raw = m.group(0)
        if raw.endswith(")") and "(" not in raw:
            raw = raw.rstrip(")")
        doi = normalise_doi(raw)
        if doi and doi not in out:
            out.append(doi)
    return out
