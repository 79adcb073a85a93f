"""The one boolean query language of slr: parser -> immutable AST -> printer, and a local evaluator.

Syntax: AND, OR, NOT / AND NOT (upper case), parentheses, "quoted phrases", a trailing
wildcard `term*`, field prefixes `title:`, `abstract:`, `keywords:` on a term, phrase or
group; adjacent terms without an operator are joined by AND. Precedence: NOT > AND > OR.

Mistakes that would silently change the search are errors, not words: `and`/`or`/`not` in
any case but upper (`IBD or colitis` would otherwise search the word "or"; quote it to
search it), an unknown field prefix (`titel:`), and a query that starts with NOT or has
only NOT parts (it would match nearly the whole database).

Every source compiles the AST into its own dialect (see `slr.sources`) with a `Visitor`.
The evaluator decides a record locally: `MATCH`, `NO_MATCH` or `UNDECIDABLE` (three-valued
logic; a leaf is undecidable when it was not found and a field it searches is missing).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from slr.errors import QueryError

FIELDS = ("title", "abstract", "keywords")
OPERATORS = ("AND", "OR", "NOT")


@dataclass(frozen=True)
class Term:
    """A single word; `wildcard` means a token prefix (`challeng*`)."""

    text: str
    field: str | None = None
    wildcard: bool = False


@dataclass(frozen=True)
class Phrase:
    """Consecutive words, in order ("machine learning operations")."""

    text: str
    field: str | None = None


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Term | Phrase | And | Or | Not


def and_(*nodes: Node) -> Node:
    """AND of nodes, flattened so that equal queries have equal trees."""
    flat: list[Node] = []
    for n in nodes:
        flat.extend(n.children if isinstance(n, And) else (n,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def or_(*nodes: Node) -> Node:
    """OR of nodes, flattened."""
    flat: list[Node] = []
    for n in nodes:
        flat.extend(n.children if isinstance(n, Or) else (n,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


# ---------------------------------------------------------------- tokenizer / parser

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<lparen>\()
      | (?P<rparen>\))
      | (?P<field>(?:title|abstract|keywords):)
      | (?P<phrase>"[^"]*")
      | (?P<quote>")
      | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    col: int  # 1-based column for error messages


# A word that looks like a field prefix (`titel:`, `TI:x`) but is not one of FIELDS.
_UNKNOWN_FIELD = re.compile(r"^([A-Za-z][A-Za-z_-]*):")


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        assert m is not None  # the word alternative matches anything else
        kind = m.lastgroup or ""
        if kind == "quote":
            raise QueryError(f'unclosed quote at column {pos + 1}: add the closing "', pos + 1)
        if kind != "ws":
            word = m.group()
            if kind == "word" and word in OPERATORS:
                kind = word
            elif kind == "word":
                _check_word(word, pos + 1)
            toks.append(_Tok(kind, word, pos + 1))
        pos = m.end()
    return toks


def _check_word(word: str, col: int) -> None:
    """Refuse unquoted words that are almost surely a typo of syntax, never a search word."""
    if word.upper() in OPERATORS:
        raise QueryError(
            f"'{word}' at column {col}: operators are upper case; write {word.upper()} "
            f'to combine terms, or "{word}" in quotes to search for the word',
            col,
        )
    m = _UNKNOWN_FIELD.match(word)
    if m:
        raise QueryError(
            f"unknown field '{m.group(1)}:' at column {col}; use "
            + ", ".join(f"{f}:" for f in FIELDS)
            + ", or quote the word",
            col,
        )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def error(self, what: str, tok: _Tok | None) -> QueryError:
        col = tok.col if tok else len(self.text) + 1
        found = f"'{tok.text}'" if tok else "end of query"
        return QueryError(f"{what} at column {col} (found {found})", col)

    def parse(self) -> Node:
        if not self.toks:
            raise QueryError("empty query at column 1: write at least one term", 1)
        if self.toks[0].kind == "NOT":
            raise QueryError(
                "the query starts with NOT at column 1: it would match nearly everything; "
                "put what to find first, e.g. a AND NOT b",
                1,
            )
        node = self.parse_or()
        tok = self.peek()
        if tok is not None:
            raise self.error("unexpected ')'" if tok.kind == "rparen" else "unexpected token", tok)
        if _only_negative(node):
            raise QueryError(
                "the query has only NOT parts: it would match nearly everything; "
                "add what to find, e.g. a AND NOT b",
                1,
            )
        return node

    def parse_or(self) -> Node:
        nodes = [self.parse_and()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            nodes.append(self.parse_and())
        return or_(*nodes)

    def parse_and(self) -> Node:
        nodes = [self.parse_unary()]
        while (tok := self.peek()) is not None and tok.kind not in ("OR", "rparen"):
            if tok.kind == "AND":
                self.take()
            nodes.append(self.parse_unary())
        return and_(*nodes)

    def parse_unary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "NOT":
            self.take()
            return Not(self.parse_unary())
        return self.parse_primary(None)

    def parse_primary(self, field: str | None) -> Node:
        tok = self.peek()
        if tok is None:
            raise self.error("expected a term, phrase or '('", None)
        if tok.kind == "field":
            if field is not None:
                raise self.error("nested field prefix", tok)
            self.take()
            return self.parse_primary(tok.text[:-1].lower())
        if tok.kind == "lparen":
            self.take()
            inner = self.parse_or()
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise self.error(f"missing ')' (to close the '(' of column {tok.col})", close)
            self.take()
            return _with_field(inner, field) if field else inner
        if tok.kind == "phrase":
            self.take()
            words = " ".join(tok.text[1:-1].split())
            if not words:
                raise self.error("empty phrase", tok)
            return Phrase(words, field)
        if tok.kind == "word":
            self.take()
            text = tok.text
            wildcard = text.endswith("*")
            stem = text.rstrip("*") if wildcard else text
            if not stem or "*" in stem:
                raise self.error("a wildcard '*' may only end a word", tok)
            return Term(stem, field, wildcard)
        raise self.error(f"expected a term, phrase or '(' before {tok.kind}", tok)


def _only_negative(node: Node) -> bool:
    """True for `NOT a` and `(NOT a) AND (NOT b)`: nothing the query asks to find."""
    if isinstance(node, Not):
        return True
    return isinstance(node, And) and all(_only_negative(c) for c in node.children)


def _with_field(node: Node, field: str) -> Node:
    """Push a group's field prefix down to its leaves (the AST keeps fields on leaves)."""
    if isinstance(node, Term | Phrase):
        if node.field is not None and node.field != field:
            raise QueryError(f"field '{node.field}:' inside '{field}:(...)': remove one of them")
        return type(node)(**{**node.__dict__, "field": field})
    if isinstance(node, Not):
        return Not(_with_field(node.child, field))
    kids = tuple(_with_field(c, field) for c in node.children)
    return and_(*kids) if isinstance(node, And) else or_(*kids)


def parse(text: str) -> Node:
    """Parse a query string into its AST; a QueryError names the column of the problem."""
    return _Parser(text).parse()


# ---------------------------------------------------------------- visitor and printer

T = TypeVar("T")


class Visitor(Generic[T]):
    """Dispatch on node type: subclass and define visit_term, visit_phrase, visit_and, ..."""

    def visit(self, node: Node) -> T:
        return getattr(self, "visit_" + type(node).__name__.lower())(node)

    def visit_term(self, node: Term) -> T:
        raise NotImplementedError

    def visit_phrase(self, node: Phrase) -> T:
        raise NotImplementedError

    def visit_and(self, node: And) -> T:
        raise NotImplementedError

    def visit_or(self, node: Or) -> T:
        raise NotImplementedError

    def visit_not(self, node: Not) -> T:
        raise NotImplementedError


class Printer(Visitor[str]):
    """Print the AST back in slr syntax; parse(to_string(q)) == q."""

    def _leaf(self, node: Term | Phrase, body: str) -> str:
        return f"{node.field}:{body}" if node.field else body

    def visit_term(self, node: Term) -> str:
        return self._leaf(node, node.text + ("*" if node.wildcard else ""))

    def visit_phrase(self, node: Phrase) -> str:
        return self._leaf(node, f'"{node.text}"')

    def visit_and(self, node: And) -> str:
        parts = []
        for i, child in enumerate(node.children):
            s = self.visit(child)
            # a leading NOT is refused by the parser: `(NOT a) AND b` is the same tree
            parts.append(f"({s})" if isinstance(child, Or) or (i == 0 and _is_not(child)) else s)
        return " AND ".join(parts)

    def visit_or(self, node: Or) -> str:
        parts = [self.visit(c) for c in node.children]
        if _is_not(node.children[0]):
            parts[0] = f"({parts[0]})"
        return " OR ".join(parts)

    def visit_not(self, node: Not) -> str:
        s = self.visit(node.child)
        return f"NOT ({s})" if isinstance(node.child, And | Or) else f"NOT {s}"


def _is_not(node: Node) -> bool:
    return isinstance(node, Not)


def to_string(node: Node) -> str:
    """The canonical slr spelling of a query."""
    return Printer().visit(node)


def tree(node: Node, indent: str = "") -> str:
    """An indented tree view of the AST, for `slr query`."""
    if isinstance(node, Term | Phrase):
        where = f"  [{node.field}]" if node.field else "  [title, abstract, keywords]"
        kind = "PHRASE" if isinstance(node, Phrase) else ("PREFIX" if node.wildcard else "TERM")
        return f"{indent}{kind} {node.text!r}{where}"
    if isinstance(node, Not):
        return f"{indent}NOT\n" + tree(node.child, indent + "  ")
    name = "AND" if isinstance(node, And) else "OR"
    return f"{indent}{name}\n" + "\n".join(tree(c, indent + "  ") for c in node.children)


def leaves(node: Node) -> Iterable[Term | Phrase]:
    """Every term and phrase of the query, left to right (for highlighting)."""
    if isinstance(node, Term | Phrase):
        yield node
    elif isinstance(node, Not):
        yield from leaves(node.child)
    else:
        for c in node.children:
            yield from leaves(c)


# ---------------------------------------------------------------- local evaluator


class Verdict(Enum):
    MATCH = "match"
    NO_MATCH = "no_match"
    UNDECIDABLE = "undecidable"


_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """NFKC, casefold, `-` `/` `_` as spaces, then words: the text model of the evaluator."""
    text = unicodedata.normalize("NFKC", text).casefold()
    # three replaces run in C; a translate table is looked up character by character
    return _WORD.findall(text.replace("-", " ").replace("/", " ").replace("_", " "))


def word_matches(word: str, token: str, prefix: bool = False) -> bool:
    """A query word matches a token exactly, as a prefix, or as its simple English plural.

    Plurals are folded (challenge ~ challenges, study ~ studies) because Scopus, OpenAlex and
    ScienceDirect fold them too; a strict local re-check would otherwise drop their hits.
    """
    if prefix:
        return token.startswith(word)
    if token == word or token in (word + "s", word + "es"):
        return True
    return word.endswith("y") and token == word[:-1] + "ies"


def _contains(words: list[str], toks: list[str], last_prefix: bool) -> bool:
    """Consecutive tokens; only the last word of a phrase folds plurals or acts as a prefix.

    Searched with list and set operations (C loops), not token by token: every imported
    record is evaluated for `slr status`, and every fetched one by the search's post-filter.
    """
    n = len(words)
    last = words[-1]
    if n == 1:
        if last_prefix:
            return any(t.startswith(last) for t in toks)
        forms = {last, last + "s", last + "es"}
        if last.endswith("y"):
            forms.add(last[:-1] + "ies")
        return not forms.isdisjoint(toks)
    head, first, stop = words[:-1], words[0], len(toks) - n + 1
    start = 0
    while start < stop:
        try:
            i = toks.index(first, start, stop)
        except ValueError:
            return False
        if toks[i : i + n - 1] == head and word_matches(last, toks[i + n - 1], last_prefix):
            return True
        start = i + 1
    return False


class Evaluator(Visitor[bool | None]):
    """Three-valued evaluation (True, False, None = unknown) over a record's text fields.

    A missing title or abstract (None) is unknown; missing keywords count as none, since
    most sources carry no keywords and they would otherwise make nearly every record
    undecidable.
    """

    def __init__(self, fields: dict[str, str | None]) -> None:
        self.tokens = {f: tokens(v) if v is not None else None for f, v in fields.items()}

    def _leaf(self, field: str | None, words: list[str], prefix: bool) -> bool | None:
        unknown = False
        for f in (field,) if field else FIELDS:
            toks = self.tokens.get(f)
            if toks is None:
                unknown = unknown or f != "keywords"
                continue
            if words and _contains(words, toks, prefix):
                return True
        return None if unknown else False

    def visit_term(self, node: Term) -> bool | None:
        return self._leaf(node.field, tokens(node.text), node.wildcard)

    def visit_phrase(self, node: Phrase) -> bool | None:
        return self._leaf(node.field, tokens(node.text), False)

    def visit_and(self, node: And) -> bool | None:
        values = [self.visit(c) for c in node.children]
        if False in values:
            return False
        return None if None in values else True

    def visit_or(self, node: Or) -> bool | None:
        values = [self.visit(c) for c in node.children]
        if True in values:
            return True
        return None if None in values else False

    def visit_not(self, node: Not) -> bool | None:
        value = self.visit(node.child)
        return None if value is None else not value


def evaluate(
    node: Node, title: str | None, abstract: str | None, keywords: Iterable[str] | None = ()
) -> Verdict:
    """Decide locally whether a record matches the query."""
    kw = "; ".join(keywords) if keywords else None
    value = Evaluator({"title": title, "abstract": abstract, "keywords": kw}).visit(node)
    return {True: Verdict.MATCH, False: Verdict.NO_MATCH, None: Verdict.UNDECIDABLE}[value]
