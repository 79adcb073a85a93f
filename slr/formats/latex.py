"""LaTeX in BibTeX values to Unicode and back, fast enough for 20,000-entry files.

Decoding covers what real exports contain: accents (`{\\"u}`, `\\'{e}`, `{\\v c}`), named
letters and symbols (`\\ss`, `\\o`, `\\textendash`, Greek in math), escaped specials
(`\\&`, `\\%`, `\\_`), formatting commands (their argument is kept), `--`/`---` dashes, TeX
quotes, ties and case-protecting braces. `escape` is its inverse for the characters BibTeX
treats specially, so `decode(escape(s)) == s` for clean text.
"""

from __future__ import annotations

import re
import unicodedata

_ACCENTS = {
    "`": "\u0300",
    "'": "\u0301",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    "u": "\u0306",
    ".": "\u0307",
    '"': "\u0308",
    "r": "\u030a",
    "H": "\u030b",
    "v": "\u030c",
    "d": "\u0323",
    "c": "\u0327",
    "k": "\u0328",
    "b": "\u0331",
    "t": "\u0361",
}
_ARG = r"(?:\s*\{\s*(\\[ij](?![A-Za-z])|[A-Za-z0-9]?)\s*\}|{sep}(\\[ij](?![A-Za-z])|[A-Za-z0-9]))"
# Symbol accents may touch their letter (\'e); letter accents need a space or braces (\v c).
_SYMBOL_ACCENT = re.compile(r"\\([`'^\"~=.])" + _ARG.replace("{sep}", r"\s*"))
_LETTER_ACCENT = re.compile(r"\\([uvHcdbkrt])" + _ARG.replace("{sep}", r"\s+"))

_SYMBOLS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "textendash": "–",
    "textemdash": "—",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "textquotesingle": "'",
    "textquotedbl": '"',
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "textregistered": "®",
    "texttrademark": "™",
    "textcopyright": "©",
    "copyright": "©",
    "textdegree": "°",
    "degree": "°",
    "textunderscore": "_",
    "slash": "/",
    "textslash": "/",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textbullet": "•",
    "textperiodcentered": "·",
    "textsection": "§",
    "S": "§",
    "P": "¶",
    "dag": "†",
    "ddag": "‡",
    "euro": "€",
    "texteuro": "€",
    "pounds": "£",
    "textsterling": "£",
    "yen": "¥",
    "guillemotleft": "«",
    "guillemotright": "»",
    "guillemetleft": "«",
    "guillemetright": "»",
    "textexclamdown": "¡",
    "textquestiondown": "¿",
    "times": "×",
    "div": "÷",
    "pm": "±",
    "mp": "∓",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "equiv": "≡",
    "infty": "∞",
    "cdot": "·",
    "circ": "∘",
    "rightarrow": "→",
    "to": "→",
    "leftarrow": "←",
    "leftrightarrow": "↔",
    "Rightarrow": "⇒",
    "partial": "∂",
    "nabla": "∇",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "sqrt": "√",
    "in": "∈",
    "subset": "⊂",
    "cup": "∪",
    "cap": "∩",
    "ell": "ℓ",
    "hbar": "ℏ",
    "prime": "′",
    "textmu": "µ",
    "textpm": "±",
    "textonehalf": "½",
}
for _i, _name in enumerate(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
    "varsigma sigma tau upsilon phi chi psi omega".split()
):
    _SYMBOLS[_name] = chr(0x3B1 + _i)
    if _name not in ("omicron", "varsigma"):
        _SYMBOLS[_name.capitalize()] = chr(0x391 + _i)
_SYMBOLS.update({"varepsilon": "ε", "vartheta": "ϑ", "varphi": "φ", "varrho": "ϱ", "varpi": "ϖ"})

_ESCAPED = {
    "&": "&",
    "%": "%",
    "_": "_",
    "#": "#",
    " ": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    "!": "",
    "/": "",
    "-": "",
    "@": "",
    "\n": " ",
}

# Private-use stand-ins for characters that later steps would otherwise remove or rewrite.
_LBRACE, _RBRACE, _DOLLAR, _BSLASH, _TILDE, _CARET = (
    "\ue000",
    "\ue001",
    "\ue002",
    "\ue003",
    "\ue004",
    "\ue005",
)
_PROTECT = re.compile(
    r"\\text(?:backslash|asciitilde|asciicircum|braceleft|braceright)(?:\{\}|\s*)"
    r"|\\[~^]\{\}|\\[{}$]|\\\\"
)
_PROTECTED = {
    "\\{": _LBRACE,
    "\\}": _RBRACE,
    "\\$": _DOLLAR,
    "\\~{}": _TILDE,
    "\\^{}": _CARET,
    "\\\\": " ",
}
_COMMAND = re.compile(r"\\([A-Za-z]+)(?:\{\}|\s*)|\\(.)", re.DOTALL)
_RESTORE = str.maketrans(
    {_LBRACE: "{", _RBRACE: "}", _DOLLAR: "$", _BSLASH: "\\", _TILDE: "~", _CARET: "^"}
)
_BRACES = str.maketrans("", "", "{}")
_MATH = re.compile(r"\$([^$]*)\$")
_MARKUP = ("\\", "{", "}", "$", "~", "--", "``", "''")


_TEXT_PROTECTED = {
    "backslash": _BSLASH,
    "asciitilde": _TILDE,
    "asciicircum": _CARET,
    "braceleft": _LBRACE,
    "braceright": _RBRACE,
}


def _protect(m: re.Match[str]) -> str:
    text = m.group(0)
    if text.startswith("\\text"):
        return _TEXT_PROTECTED[text[5:].split("{")[0].rstrip()]
    return _PROTECTED[text]


def _accent(m: re.Match[str]) -> str:
    mark = _ACCENTS[m.group(1)]
    letter = m.group(2) if m.group(2) is not None else m.group(3)
    if not letter:  # \"{} : the accent on its own
        return {"~": _TILDE, "^": _CARET}.get(m.group(1), m.group(1))
    if letter in ("\\i", "\\j"):
        letter = letter[1]
    return unicodedata.normalize("NFC", letter + mark)


def _command(m: re.Match[str]) -> str:
    name = m.group(1)
    if name is None:
        return _ESCAPED.get(m.group(2), m.group(2))
    # Unknown commands (\textit, \emph, \url, \em, ...) vanish; their {argument} stays.
    return _SYMBOLS.get(name, "")


def decode(value: str) -> str:
    """A BibTeX field value as plain Unicode text, whitespace collapsed."""
    if not any(mark in value for mark in _MARKUP):
        return " ".join(value.split())
    text = value
    if "\\" in text:
        text = _PROTECT.sub(_protect, text)
        text = _SYMBOL_ACCENT.sub(_accent, text)
        text = _LETTER_ACCENT.sub(_accent, text)
        text = _COMMAND.sub(_command, text)
    if "$" in text and text.count("$") % 2 == 0:  # math: drop delimiters, sub/superscript marks
        text = _MATH.sub(lambda m: m.group(1).replace("_", "").replace("^", ""), text)
    if "-" in text:
        text = text.replace("---", "—").replace("--", "–")
    if "`" in text or "'" in text:
        text = text.replace("``", "“").replace("''", "”")
    text = text.replace("~", " ").translate(_BRACES).translate(_RESTORE)
    return " ".join(text.split())


def strip_braces(value: str) -> str:
    """Verbatim fields (DOI, URL, pages): braces and the common escapes removed only."""
    text = value.translate(_BRACES) if ("{" in value or "}" in value) else value
    if "\\" in text:
        text = re.sub(r"\\([_&%#$~])", r"\1", text)
    return " ".join(text.split())


_ESCAPE = str.maketrans(
    {
        "\\": "\\textbackslash{}",
        "{": "\\textbraceleft{}",  # BibTeX counts braces even after a backslash
        "}": "\\textbraceright{}",
        "$": "\\$",
        "&": "\\&",
        "%": "\\%",
        "#": "\\#",
        "_": "\\_",
        "~": "\\textasciitilde{}",
        "^": "\\textasciicircum{}",
    }
)
_LIGATURE = re.compile(r"([-`'])(?=\1)")


def escape(value: str) -> str:
    """Text safe inside a braced BibTeX value: specials escaped, ligatures broken, Unicode kept."""
    text = value.translate(_ESCAPE)
    if "--" in text or "``" in text or "''" in text:
        text = _LIGATURE.sub(r"\1{}", text)
    return text
