"""Round trips: import -> export -> import gives the same records, for every export format;
checked on generated records (hypothesis) and on every real export file."""

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slr.export import export_records
from slr.formats.common import clean, invert_initials
from slr.importer import read_records
from slr.records import TYPES, Record

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "exports"
BIB_FIELDS = (
    "id",
    "title",
    "abstract",
    "authors",
    "year",
    "venue",
    "doi",
    "type",
    "language",
    "keywords",
    "url",
    "volume",
    "issue",
    "pages",
    "publisher",
)
ALL_FIELDS = BIB_FIELDS + ("oa_url", "references")  # CSV carries every field but raw/extra
FORMATS = {"bibtex": ("bib", BIB_FIELDS), "ris": ("ris", BIB_FIELDS), "csv": ("csv", ALL_FIELDS)}

# Printable text, whitespace already collapsed, HTML-free (as every importer cleans it).
# Private-use characters are left out: the LaTeX decoder uses a few as stand-ins.
_chars = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Zl", "Zp"))
text = (
    st.text(_chars, min_size=1, max_size=40)
    .map(lambda s: " ".join(s.split()))
    .filter(lambda s: bool(s) and clean(s) == s)
)
latexy = st.text(
    st.sampled_from(list("ab -'`\\{}$&%#_~^@\"=,.;:!?()[]<>äøß")), min_size=1, max_size=30
)
latexy = latexy.map(lambda s: " ".join(s.split())).filter(lambda s: bool(s) and clean(s) == s)
word = st.text(st.characters(categories=("Lu", "Ll")), min_size=1, max_size=12)
name = st.builds(lambda last, first: f"{last}, {first}", word, word) | word
item = (text | latexy).filter(lambda s: ";" not in s and any(c.isalnum() for c in s))
# a name that starts or ends with a comma is a splitting accident in every export format
# ... and `Surname J.C.` is stored as `Surname, J.C.` by every importer.
author = (name | item).filter(lambda s: s.strip(",") == s).map(invert_initials)


def _unique(values):
    return tuple(dict.fromkeys(values))


records = st.builds(
    Record,
    source=st.sampled_from(["scopus", "openalex", "import", "webofscience", "cinahl"]),
    source_id=st.text(st.sampled_from(list("abcXYZ0123456789.:/_-")), min_size=1, max_size=20),
    title=text | latexy,
    abstract=st.none() | text | latexy,
    authors=st.lists(author, max_size=4).map(_unique),
    year=st.none() | st.integers(1500, 2099),
    venue=st.none() | text,
    doi=st.none()
    | st.from_regex(r"10\.[0-9]{4,6}/[a-z0-9][a-z0-9._-]{0,15}[a-z0-9]", fullmatch=True),
    type=st.sampled_from((None, *TYPES)),
    language=st.sampled_from((None, "en", "de", "zh")),
    keywords=st.lists(item, max_size=4).map(_unique),
    url=st.none() | st.from_regex(r"https://example\.org/[a-z0-9/_-]{0,20}", fullmatch=True),
    volume=st.none() | st.from_regex(r"[0-9]{1,3}[A-Z]?", fullmatch=True),
    issue=st.none() | st.from_regex(r"[0-9]{1,2}", fullmatch=True),
    pages=st.none() | st.sampled_from(["12-34", "e1234", "5", "3, 17", "101-109"]),
    publisher=st.none() | text,
    oa_url=st.none() | st.just("https://example.org/pdf"),
    references=st.lists(st.from_regex(r"10\.1234/[a-z]{1,6}", fullmatch=True), max_size=3).map(
        _unique
    ),
)


def _roundtrip(recs, fmt):
    ext, _ = FORMATS[fmt]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export.{ext}"
        path.write_text(export_records(recs, fmt), encoding="utf-8")
        return read_records(path)


def _fields(recs, names):
    return [tuple(getattr(r, f) for f in names) for r in recs]


def _distinct(recs):
    seen, out = set(), []
    for r in recs:
        if r.id not in seen:
            seen.add(r.id)
            out.append(r)
    return out


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recs=st.lists(records, min_size=1, max_size=5).map(_distinct))
def test_generated_records_survive_a_round_trip(fmt, recs):
    back = _roundtrip(recs, fmt)
    names = FORMATS[fmt][1]
    assert back.problems == []
    assert _fields(back.records, names) == _fields(recs, names)
    again = _roundtrip(back.records, fmt)
    assert _fields(again.records, names) == _fields(back.records, names)


def _real_files():
    files = sorted(p for p in EXPORTS.glob("*/*") if p.is_file())
    if SHARED.exists():
        local = {p.relative_to(EXPORTS) for p in files}
        files += sorted(p for p in SHARED.glob("*/*") if p.relative_to(SHARED) not in local)
    return files


@pytest.mark.parametrize("path", _real_files(), ids=lambda p: p.name)
def test_real_exports_survive_a_round_trip(path):
    first = read_records(path)
    for fmt, (_, names) in FORMATS.items():
        back = _roundtrip(first.records, fmt)
        assert back.problems == [], fmt
        assert _fields(back.records, names) == _fields(first.records, names), fmt
