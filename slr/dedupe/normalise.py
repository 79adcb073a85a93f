"""Comparison keys for de-duplication: titles, authors, venues, pages, kinds of record.

Every function here is pure and cheap: a million records are normalised in seconds, so the
common ASCII case takes a fast path and the Unicode/markup path runs only when needed.
"""

from __future__ import annotations

import re
import string

from slr.records import fold, normalise_doi, normalise_title, normalise_type

# ---------------------------------------------------------------- titles

_ASCII_PUNCT = str.maketrans({c: " " for c in string.punctuation})
_NEEDS_SLOW_PATH = re.compile(r"[<&\\\[{]")
# Database annotations appended to titles: "[Erratum appears in ...]" (often cut short),
# "[Review] [33 refs]", "[Spanish]", "(Structured abstract)".
_ANNOTATION = re.compile(
    r"\s*\.?\s*\[(?:erratum|corrected|published erratum|retraction|retracted|comment|review|"
    r"summary for patients|see comments|article in|english abstract|\d+ refs)[^\]]*(?:\]|$)"
    r"|\s*\((?:structured|provisional) abstract\)\s*$|\s*\(multiple letters\)",
    re.IGNORECASE,
)
_TRAILING_BRACKET = re.compile(r"\s*\[[^\[\]]{0,40}\]\s*\.?\s*$")
_GREEK = {
    "α": " alpha ",
    "β": " beta ",
    "γ": " gamma ",
    "δ": " delta ",
    "ε": " epsilon ",
    "κ": " kappa ",
    "λ": " lambda ",
    "μ": " mu ",
    "ω": " omega ",
    "τ": " tau ",
}
_GREEK_RE = re.compile("|".join(_GREEK))
# British vs American spellings that databases disagree on, rewritten in one regex pass.
_SPELLING_MAP = {
    "paed": "ped",
    "oesophag": "esophag",
    "oedem": "edem",
    "foet": "fet",
    "gynaecolog": "gynecolog",
    "diarrhoea": "diarrhea",
    "centre": "center",
    "tumour": "tumor",
    "behaviour": "behavior",
    "colour": "color",
    "labour": "labor",
    "favour": "favor",
    "humour": "humor",
    "neighbour": "neighbor",
}
_SPELLING = re.compile(
    r"\b(?:orthopaed|paed|oesophag|oedem|foet|gynaecolog|diarrhoea|centre|tumour|behaviour|"
    r"colour|labour|favour|humour|neighbour)"
    r"|\b(?:h|an|leuk|isch|septic|glyc|lipid|bacter|tox|ur)(ae)m"
    r"|\w\w(is)(?:e|ed|es|ing|ation|ations)\b"
)


def _respell(m: re.Match[str]) -> str:
    text = m.group(0)
    if m.group(1):  # haem -> hem
        return text.replace("aem", "em")
    if m.group(2):  # randomised -> randomized
        return text[:2] + "iz" + text[4:]
    if text == "orthopaed":
        return "orthoped"
    return _SPELLING_MAP[text]


def strip_annotations(title: str) -> str:
    """The title without database annotations and trailing language tags."""
    text = _ANNOTATION.sub("", title)
    while True:  # "[Review] [16 refs] [Romanian]": several trailing tags
        shorter = _TRAILING_BRACKET.sub("", text)
        if shorter == text or not shorter.strip():
            break
        text = shorter
    text = text.strip()
    if text.startswith("[") and "]" in text:  # a translated title: "[Title in English]."
        text = text[1:].replace("]", " ", 1)
    return text


_BYTES_PUNCT = bytes.maketrans(string.punctuation.encode("ascii"), b" " * len(string.punctuation))
_RESPELLED: dict[str, str] = {}  # word -> respelled word; titles repeat their words a lot


def clear_cache() -> None:
    """Forget respelled words (benchmarks start each run cold)."""
    _RESPELLED.clear()


def _respell_words(tokens: list[str]) -> str:
    cache = _RESPELLED
    if len(cache) > 2_000_000:
        cache.clear()
    out = []
    for w in tokens:
        r = cache.get(w)
        if r is None:
            r = cache[w] = _SPELLING.sub(_respell, w)
        out.append(r)
    return " ".join(out)


def title_words(title: str | None) -> str:
    """Lower-case words of a title, markup, accents, annotations and spelling variants removed."""
    if not title:
        return ""
    text = title
    if "[" in text or text.endswith(")") or "(multiple" in text:
        text = strip_annotations(text) or text
    if text.isascii() and not _NEEDS_SLOW_PATH.search(text):
        tokens = text.encode("ascii").translate(_BYTES_PUNCT).decode("ascii").lower().split()
    else:
        if not text.isascii():
            text = _GREEK_RE.sub(lambda m: _GREEK[m.group(0)], text)
        tokens = normalise_title(text).split()
    return _respell_words(tokens)


def compact(words: str) -> str:
    """A title key without spaces, so `pre-diabetic` and `prediabetic` meet."""
    return words.replace(" ", "")


# Titles that name a kind of item, not a study; `|`-separated because some have spaces.
_GENERIC = frozenset(
    (
        "introduction|editorial|editorials|preface|foreword|reply|in reply|response|"
        "authors reply|author reply|the authors reply|reply to the letter|letter to the editor|"
        "letters to the editor|letter|letters|comment|commentary|correspondence|erratum|errata|"
        "corrigendum|correction|corrections|retraction|addendum|notice of retraction|"
        "expression of concern|editors note|editor s note|publisher s note|note|news|abstracts|"
        "abstract|poster abstracts|book review|book reviews|review|reviews|discussion|"
        "conclusion|conclusions|summary|index|author index|subject index|contents|"
        "table of contents|front matter|back matter|cover|title page|acknowledgements|"
        "acknowledgments|acknowledgement|reviewers|obituary|in memoriam|untitled|"
        "guest editorial|welcome|keynote|panel|overview|invited talk|session"
    ).split("|")
)


def is_generic(words: str) -> bool:
    """True for titles that name a kind of item, not a study ("Editorial", "Reply")."""
    return words in _GENERIC or len(words) < 12


# Items that are about another item: never the same work as that item.
_NOTICE = re.compile(
    r"^(?:erratum|errata|corrigend[au]m?|corrections? to\b|author correction|"
    r"publisher correction|retraction|notice of retraction|retraction note|expression of concern|"
    r"addendum|withdrawal)|\b(?:erratum|corrigendum|corrigenda)\b|\bvol \d+ pg \w+(?: \d{4})?$"
)
_COMMENT = re.compile(
    r"^(?:comments? on|commentary on|reply to|response to|in response to|re |in reply|"
    r"authors? reply|the authors reply|letter to the editor|letter regarding|"
    r"editorial comment|invited commentary)\b|\b(?:reply|authors? reply|response)$"
)


_KIND_WORDS = frozenset(
    "erratum errata corrigendum corrigenda correction corrections retraction concern addendum "
    "withdrawal vol comment comments commentary reply response re letter".split()
)


# An erratum indexed under its article's title and citation, as Embase writes it:
# "Title (New England Journal of Medicine (2009) 360 (542-544))" -> "... 2009 360 542 544".
_CITATION_TAIL = re.compile(r"\b(?:19|20)\d\d (?!(?:19|20)\d\d\b)\d{1,4} \d+(?: \d+)?$")


def item_kind(words: str) -> str:
    """`notice` (erratum, retraction), `comment` (reply, letter about), or `item`."""
    if _KIND_WORDS.isdisjoint(words.split()):
        if words[-1:].isdigit() and _CITATION_TAIL.search(words):
            return "notice"
        return "item"
    if _NOTICE.search(words) or _CITATION_TAIL.search(words):
        return "notice"
    if _COMMENT.search(words):
        return "comment"
    return "item"


_NOTICE_HEAD = re.compile(
    r"^(?:(?:author |publisher )?(?:erratum|errata|corrigend[au]m?|corrections?)|retraction(?: note)?|"
    r"notice of retraction|expression of concern|addendum|withdrawal)(?: (?:to|of|for|on))? "
)
_NOTICE_TAIL = re.compile(r" vol \d+ pg \w+(?: \d{4})?$| " + _CITATION_TAIL.pattern[2:])


def notice_core(words: str) -> str:
    """The compact title of the article a notice is about (`Erratum: X (vol 1, pg 2, 2003)` -> X)."""
    return compact(_NOTICE_TAIL.sub("", _NOTICE_HEAD.sub("", words)))


_ROMAN = {
    "ii": "2",
    "iii": "3",
    "iv": "4",
    "vi": "6",
    "vii": "7",
    "viii": "8",
    "ix": "9",
    "xi": "11",
    "xii": "12",
}
_SERIES_WORDS = {"part", "pt", "phase", "stage", "type", "volume", "vol", "section", "chapter"}
_SMALL_ROMAN = {"i": "1", "v": "5", "x": "10"}
_NUMBER_WORDS = frozenset(_ROMAN) | _SERIES_WORDS


def numbers(words: str) -> frozenset[str]:
    """Numbers in a title (series parts, years, counts, `HPV16`), roman numerals as digits.

    Two titles that differ only in such a number ("Part I" / "Part II", "... in 2010" /
    "... in 2011") name different works. Digits are read from the title without spaces, so
    `CO 2` / `CO2` and `10 000` / `10000` agree.
    """
    tokens = words.split()
    if words.replace(" ", "").isalpha() and _NUMBER_WORDS.isdisjoint(tokens):
        return frozenset()
    out = []
    prev = ""
    plain = []
    for w in tokens:
        if w in _ROMAN:
            out.append(_ROMAN[w])
            plain.append(" ")
        elif w in _SMALL_ROMAN and prev in _SERIES_WORDS:
            out.append(_SMALL_ROMAN[w])
            plain.append(" ")
        else:
            plain.append(w)
        prev = w
    out += [d.lstrip("0") or "0" for d in _DIGITS.findall("".join(plain))]
    return frozenset(out)


_DIGITS = re.compile(r"\d+")


# ---------------------------------------------------------------- authors

_INITIALS_TOKEN = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")
_NON_LETTER = re.compile(r"[^a-z]+")


def author_key(name: str) -> tuple[str, str]:
    """(surname, initials) of one author name in any common layout.

    `Zhai, Q. J.`, `Yutsis, Maya`, `Zuna RE`, `Gan L. M.`, `Heather Piwowar` and
    `Piwowar, H.` all give a surname without spaces or hyphens and lower-case initials.
    """
    name = name.strip()
    if not name:
        return "", ""
    if "," in name:
        surname, _, given = name.partition(",")
        given_parts = given.replace(".", " ").replace("-", " ").split()
        surname = surname.strip()
        if surname.isalpha() and surname.isascii():  # the common case, fast
            initials = "".join(p[0] for p in given_parts if p[0].isalpha())
            return surname.lower(), fold(initials)
    else:
        tokens = name.replace(".", ". ").split()
        cut = len(tokens)
        while cut > 1 and _INITIALS_TOKEN.match(tokens[cut - 1]):
            cut -= 1
        if cut < len(tokens):  # "Zuna RE", "Gan L. M."
            surname = " ".join(tokens[:cut])
            given_parts = list("".join(t.replace(".", "").replace("-", "") for t in tokens[cut:]))
        elif len(tokens) > 1:  # "Heather A. Piwowar"
            surname = tokens[-1]
            given_parts = " ".join(tokens[:-1]).replace(".", " ").replace("-", " ").split()
        else:
            surname, given_parts = tokens[0], []
    initials = "".join(p[0] for p in given_parts if p and p[0].isalpha())
    return _NON_LETTER.sub("", fold(surname)), fold(initials)


def name_letters(name: str) -> str:
    """A whole name as lower-case letters only (`Lopez, Rubio M.` -> `lopezrubiom`)."""
    return _NON_LETTER.sub("", fold(name))


# ---------------------------------------------------------------- venues

_VENUE_STOP = {"the", "of", "and", "in", "for", "on", "de", "la", "und", "der", "a", "an"}
_VENUE_CUT = re.compile(r"\.\s*(?:conference|meeting|congress|symposium)\b.*$", re.IGNORECASE)


def venue_tokens(venue: str | None) -> tuple[str, ...]:
    """Content words of a venue name; `Circulation. Conference: ...` keeps `circulation`."""
    if not venue:
        return ()
    text = _VENUE_CUT.sub("", venue)
    text = fold(text).translate(_ASCII_PUNCT)
    return tuple(w for w in text.split() if w not in _VENUE_STOP)


def venue_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool | None:
    """Same venue, allowing ISO-4 style abbreviations (`Curr Opin Lipidol`); None if unknown."""
    if not a or not b:
        return None
    if a == b:
        return True
    return _abbreviates(a, b) or _abbreviates(b, a) or _initialism(a, b) or _initialism(b, a)


def _abbreviates(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """Every word of `short` starts a word of `long`, in order."""
    if len(short) > len(long):
        return False
    pos = 0
    for word in short:
        while pos < len(long) and not long[pos].startswith(word):
            pos += 1
        if pos == len(long):
            return False
        pos += 1
    return True


def _initialism(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """`jama` against `journal american medical association`."""
    return len(short) == 1 and len(long) >= 3 and short[0] == "".join(w[0] for w in long)


# ---------------------------------------------------------------- numbers and kinds

_FIRST_NUMBER = re.compile(r"\d+")


def first_number(value: str | None) -> str:
    """The first run of digits without leading zeros (`38 (Suppl 1)` -> `38`, `e001469` -> `1469`)."""
    if not value:
        return ""
    m = _FIRST_NUMBER.search(str(value))
    return (m.group(0).lstrip("0") or "0") if m else ""


def page_numbers(pages: str | None) -> str:
    """`first-last` page numbers (`221-8` -> `221-228`, `S78-S89` -> `78-89`); `` if none.

    A first part without digits (`Suppl-29`, as some exports garble `S417-S429`) leaves the
    first page empty: `-29`.
    """
    if not pages:
        return ""
    text = str(pages).strip()
    if _LOCATOR.match(text):  # an article number such as e12724 (BMJ, PLoS): not a page
        return "@" + (text[1:].lstrip("0") or "0")
    head, sep, tail = text.partition("-")
    first_m = _FIRST_NUMBER.search(head)
    last_m = _FIRST_NUMBER.search(tail) if sep else None
    first = (first_m.group(0).lstrip("0") or "0") if first_m else ""
    last = (last_m.group(0).lstrip("0") or "0") if last_m else ""
    if first and last and len(last) < len(first):
        last = first[: len(first) - len(last)] + last  # abbreviated last page
    if not first and not last:
        return ""
    return f"{first}-{last}" if last else first


_LOCATOR = re.compile(r"^[A-RT-Za-rt-z]\d{3,}$")


def pages_agree(a: str, b: str) -> int:
    """+1 same first page, 0 unknown or compatible (`359` / `356-359`), -1 different.

    An article number (`@12724`) against a page range is unknown: journals print both.
    """
    if not a or not b:
        return 0
    if (a[0] == "@") != (b[0] == "@"):
        return 0
    fa, _, la = a.partition("-")
    fb, _, lb = b.partition("-")
    if fa and fa == fb:
        return 1
    for x in (fa, la):
        for y in (fb, lb):
            if x and y and (x.endswith(y) or y.endswith(x)):
                return 0  # a last page, or a garbled page that keeps the last digits
    return -1


_PREPRINT_VENUE = re.compile(
    r"arxiv|biorxiv|medrxiv|chemrxiv|psyarxiv|socarxiv|ssrn|research square|preprints|"
    r"osf preprints|techrxiv|eartharxiv|authorea|zenodo",
    re.IGNORECASE,
)
PREPRINT_DOI_PREFIXES = (
    "10.48550/",  # arXiv
    "10.1101/20",  # bioRxiv / medRxiv (dated suffix; 10.1101 also holds CSHL journals)
    "10.2139/ssrn",
    "10.21203/rs.",  # Research Square
    "10.20944/preprints",
    "10.31219/osf",
    "10.31234/osf",  # PsyArXiv
    "10.31235/osf",  # SocArXiv
    "10.26434/chemrxiv",
    "10.36227/techrxiv",
    "10.22541/au.",  # Authorea
)
_PREPRINT_DOI = re.compile(r"^10\.1101/\d{4}\.\d\d\.\d\d")
_CONFERENCE_VENUE = re.compile(
    r"\b(?:conference|proceedings|proc\.?|symposium|workshop|congress|meeting)\b", re.IGNORECASE
)


def is_preprint_doi(doi: str) -> bool:
    """A DOI minted by a preprint server."""
    if not doi.startswith(PREPRINT_DOI_PREFIXES):
        return False
    return not doi.startswith("10.1101/") or bool(_PREPRINT_DOI.match(doi))


def record_class(type_: str | None, venue: str | None, doi: str | None) -> str:
    """`preprint`, `conference`, `journal`, `book` or `` (unknown) for a record."""
    kind = normalise_type(type_) if type_ else None
    if kind == "preprint" or (doi and is_preprint_doi(doi)):
        return "preprint"
    if venue and _PREPRINT_VENUE.search(venue) and kind in (None, "other", "article"):
        return "preprint"
    if kind == "conference-paper":
        return "conference"
    if kind in ("book", "book-chapter"):
        return "book"
    if kind in ("article", "review"):
        if venue and _CONFERENCE_VENUE.search(venue) and "journal" not in venue.lower():
            return "conference"
        return "journal"
    if venue and _CONFERENCE_VENUE.search(venue):
        return "conference"
    return ""


def doi_key(doi: str | None) -> str:
    """A normalised DOI or ``."""
    if not doi:
        return ""
    plain = doi.strip().lower()
    if plain.startswith("10.") and _PLAIN_DOI.match(plain):
        return plain.rstrip(".,;")  # already clean: skip the general normaliser
    return normalise_doi(doi) or ""


_PLAIN_DOI = re.compile(r"^10\.\d{4,9}/[^\s%\\{}]+$")
