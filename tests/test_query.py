"""The query language: parser, printer, errors, evaluator (with property-based checks)."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slr import query as q
from slr.errors import QueryError
from slr.query import And, Not, Or, Phrase, Term, Verdict


def test_reference_query_parses_into_or_of_term_and_phrases():
    node = q.parse('MLOps OR "machine learning in production" OR "machine learning operations"')
    assert node == Or(
        (
            Term("MLOps"),
            Phrase("machine learning in production"),
            Phrase("machine learning operations"),
        )
    )


def test_precedence_not_over_and_over_or():
    node = q.parse("a OR b AND NOT c")
    assert node == Or((Term("a"), And((Term("b"), Not(Term("c"))))))


def test_implicit_and_wildcard_and_field_group_pushed_to_leaves():
    node = q.parse('title:(ml OR "data ops") challeng*')
    assert node == And(
        (Or((Term("ml", "title"), Phrase("data ops", "title"))), Term("challeng", None, True))
    )


def test_and_not_and_nested_parentheses_flatten():
    assert q.parse("(a AND (b AND c)) AND NOT d") == And(
        (Term("a"), Term("b"), Term("c"), Not(Term("d")))
    )


@pytest.mark.parametrize(
    "text, column",
    [
        ("(a OR b", 8),
        ("a OR", 5),
        ('a AND "unclosed', 7),
        ("a )", 3),
        ("ch*ange", 1),
        ("", 1),
        ("a AND AND b", 7),
        ('""', 1),
    ],
)
def test_parse_errors_point_at_the_column(text, column):
    with pytest.raises(QueryError) as err:
        q.parse(text)
    assert err.value.column == column
    assert f"column {column}" in str(err.value)


def test_conflicting_nested_field_is_an_error():
    with pytest.raises(QueryError, match="remove one"):
        q.parse("title:(abstract:x OR y)")


def test_tree_view_names_kinds_and_fields():
    text = q.tree(q.parse('abstract:"a b" OR c*'))
    assert text.splitlines() == [
        "OR",
        "  PHRASE 'a b'  [abstract]",
        "  PREFIX 'c'  [title, abstract, keywords]",
    ]


def test_visitor_compiles_to_another_dialect():
    class Upper(q.Visitor[str]):
        def visit_term(self, node):
            return node.text.upper()

        def visit_phrase(self, node):
            return f"<{node.text}>"

        def visit_and(self, node):
            return "+".join(self.visit(c) for c in node.children)

        def visit_or(self, node):
            return "|".join(self.visit(c) for c in node.children)

        def visit_not(self, node):
            return "-" + self.visit(node.child)

    assert Upper().visit(q.parse('a AND ("b c" OR NOT d)')) == "A+<b c>|-D"


# ---------------------------------------------------------------- evaluator


def test_evaluator_match_no_match_and_undecidable():
    node = q.parse('MLOps OR "machine learning operations"')
    assert q.evaluate(node, "MLOps in practice", None) is Verdict.MATCH
    assert q.evaluate(node, "Deep nets", "A study of cats.") is Verdict.NO_MATCH
    # only the missing abstract could decide
    assert q.evaluate(node, "Deep nets", None) is Verdict.UNDECIDABLE


def test_evaluator_phrase_needs_consecutive_tokens_and_folds_plurals_and_hyphens():
    node = q.parse('"machine learning operations" AND challenge')
    assert q.evaluate(node, "Machine-learning operations: challenges", "") is Verdict.MATCH
    assert q.evaluate(node, "Machine operations learning challenges", "") is Verdict.NO_MATCH
    assert q.evaluate(q.parse("study"), "Case studies", "") is Verdict.MATCH


def test_evaluator_wildcard_is_a_token_prefix_and_fields_restrict():
    assert q.evaluate(q.parse("challeng*"), "Challenging times", "") is Verdict.MATCH
    assert q.evaluate(q.parse("title:cats"), "Dogs", "cats everywhere") is Verdict.NO_MATCH
    assert q.evaluate(q.parse("keywords:mlops"), "x", "y", ["MLOps"]) is Verdict.MATCH


def test_not_of_unknown_stays_unknown():
    node = q.parse("a AND NOT b")
    assert q.evaluate(node, "a", None) is Verdict.UNDECIDABLE
    assert q.evaluate(node, "a b", None) is Verdict.NO_MATCH


# ---------------------------------------------------------------- properties

WORDS = st.sampled_from(["ml", "ops", "data", "model", "cat", "dog", "ai", "x1", "été"])
FIELD = st.sampled_from([None, "title", "abstract", "keywords"])

leaf = st.one_of(
    st.builds(Term, WORDS, FIELD, st.booleans()),
    st.builds(
        lambda ws, f: Phrase(" ".join(ws), f), st.lists(WORDS, min_size=1, max_size=3), FIELD
    ),
)


def _extend(children):
    return st.one_of(
        st.lists(children, min_size=2, max_size=4).map(lambda xs: q.and_(*xs)),
        st.lists(children, min_size=2, max_size=4).map(lambda xs: q.or_(*xs)),
        children.filter(lambda n: not isinstance(n, Not)).map(Not),
    )


queries = st.recursive(leaf, _extend, max_leaves=12)
# what a user can write: a query that asks to find something (only-NOT queries are refused)
findable = queries.filter(lambda n: not q._only_negative(n))


@settings(max_examples=300, deadline=None)
@given(findable)
def test_parse_of_print_is_identity(node):
    assert q.parse(q.to_string(node)) == node


def _reference(node, fields):
    """Brute force: regexes over the raw strings, independent of the evaluator's tokeniser."""
    if isinstance(node, Term | Phrase):
        words = node.text.split()
        pats = [re.escape(w.casefold()) for w in words]
        if isinstance(node, Term) and node.wildcard:
            pats[-1] += r"\w*"
        else:
            pats[-1] += r"(?:s|es)?"
        pattern = r"(?<!\w)" + r"\W+".join(pats) + r"(?!\w)"
        unknown = False
        for f in (node.field,) if node.field else ("title", "abstract", "keywords"):
            value = fields[f]
            if value is None:
                unknown = unknown or f != "keywords"
            elif re.search(pattern, value.casefold()):
                return True
        return None if unknown else False
    if isinstance(node, Not):
        v = _reference(node.child, fields)
        return None if v is None else not v
    values = [_reference(c, fields) for c in node.children]
    if isinstance(node, And):
        return False if False in values else (None if None in values else True)
    return True if True in values else (None if None in values else False)


text_field = st.one_of(
    st.none(), st.lists(WORDS | st.sampled_from(["mls", "cats", "opsy"]), max_size=6).map(" ".join)
)


@settings(max_examples=400, deadline=None)
@given(queries, text_field, text_field, text_field)
def test_evaluator_agrees_with_brute_force(node, title, abstract, keywords):
    fields = {"title": title, "abstract": abstract, "keywords": keywords}
    expected = {True: Verdict.MATCH, False: Verdict.NO_MATCH, None: Verdict.UNDECIDABLE}[
        _reference(node, fields)
    ]
    kws = [keywords] if keywords is not None else None
    assert q.evaluate(node, title, abstract, kws) is expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_random_strings_parse_or_raise_query_error_only(text):
    try:
        node = q.parse(text)
    except QueryError:
        return
    assert q.parse(q.to_string(node)) == node


# ---------------------------------------------------------------- mistakes that are errors (issue 14)


@pytest.mark.parametrize(
    "text, word, column",
    [
        ("IBD or colitis", "or", 5),
        ("IBD and colitis", "and", 5),
        ("IBD not colitis", "not", 5),
        ("IBD Or colitis", "Or", 5),
        ("(a AND b) aNd c", "aNd", 11),
        ("title:or", "or", 7),
    ],
)
def test_operator_words_not_in_upper_case_are_errors(text, word, column):
    with pytest.raises(QueryError) as err:
        q.parse(text)
    message = str(err.value)
    assert err.value.column == column
    assert f"'{word}' at column {column}" in message
    assert word.upper() in message and f'"{word}" in quotes' in message
    assert "\n" not in message


def test_operator_words_inside_quotes_stay_a_phrase():
    assert q.parse('IBD OR "or" OR "crohn and colitis"') == Or(
        (Term("IBD"), Phrase("or"), Phrase("crohn and colitis"))
    )


@pytest.mark.parametrize("text, column", [("titel:mlops", 1), ("a AND TI:(b OR c)", 7)])
def test_unknown_field_prefix_is_an_error(text, column):
    with pytest.raises(QueryError) as err:
        q.parse(text)
    assert err.value.column == column
    assert "unknown field" in str(err.value) and "title:, abstract:, keywords:" in str(err.value)


@pytest.mark.parametrize("text", ["NOT a", "NOT a AND b", "NOT (a OR b)"])
def test_a_query_starting_with_not_is_an_error(text):
    with pytest.raises(QueryError, match="starts with NOT at column 1"):
        q.parse(text)


@pytest.mark.parametrize("text", ["(NOT a)", "(NOT a) AND (NOT b)"])
def test_a_query_of_only_not_is_an_error(text):
    with pytest.raises(QueryError, match="only NOT parts"):
        q.parse(text)


def test_a_leading_negation_prints_in_parentheses_and_parses_back():
    node = And((Not(Term("a")), Term("b")))
    assert q.to_string(node) == "(NOT a) AND b"
    assert q.parse(q.to_string(node)) == node
