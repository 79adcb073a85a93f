"""The evaluator's phrase and term search (made faster for `slr status`'s check of every
imported record) decides exactly as the plain token-by-token scan it replaced."""

from hypothesis import given, settings
from hypothesis import strategies as st

from slr import query as q

VOCAB = ["study", "studies", "studys", "data", "mlops", "ml", "ops", "model", "models", "ies"]


def scan(words: list[str], toks: list[str], prefix: bool) -> bool:
    """The reference: every start position, head words equal, the last word as the
    evaluator's `word_matches` allows (plural folding, or a prefix)."""
    n = len(words)
    for i in range(len(toks) - n + 1):
        if toks[i : i + n - 1] == words[:-1] and q.word_matches(words[-1], toks[i + n - 1], prefix):
            return True
    return False


@settings(max_examples=400, deadline=None)
@given(
    words=st.lists(st.sampled_from(VOCAB), min_size=1, max_size=3),
    toks=st.lists(st.sampled_from(VOCAB), max_size=12),
    wildcard=st.booleans(),
)
def test_phrases_and_terms_match_as_the_token_scan(words, toks, wildcard):
    title = " ".join(toks)
    if len(words) == 1:
        node: q.Node = q.Term(words[0], "title", wildcard)
        prefix = wildcard
    else:
        node, prefix = q.Phrase(" ".join(words), "title"), False
    want = q.Verdict.MATCH if scan(words, q.tokens(title), prefix) else q.Verdict.NO_MATCH
    assert q.evaluate(node, title, "", ()) is want


def test_known_cases():
    found = q.evaluate(q.parse('"machine learning operation"'), "Machine-learning operations", "")
    assert found is q.Verdict.MATCH
    assert q.evaluate(q.Term("study"), "Two studies", "") is q.Verdict.MATCH
    assert q.evaluate(q.Term("stud", wildcard=True), "x", "students") is q.Verdict.MATCH
    assert q.evaluate(q.parse('"data ops"'), "data data ops", "") is q.Verdict.MATCH
    assert q.evaluate(q.parse('"data ops"'), "ops data", "") is q.Verdict.NO_MATCH
