"""Protocol loading and validation: every error kind is one line with file, line, key and fix."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from slr import protocol
from slr.cli import main
from slr.errors import ProtocolError

ROOT = Path(__file__).resolve().parents[1]
MLOPS = ROOT / "protocols" / "mlops.toml"

MINIMAL = """\
[review]
id = "t"
title = "T"

[search]
query = "a OR b"
sources = ["openalex"]
years = [2018, 2023]

[[criteria.inclusion]]
id = "IC1"
text = "x"
require = { types = ["article"] }

[[criteria.exclusion]]
id = "EC1"
text = "y"
"""


def test_reference_protocol_encodes_the_paper():
    p = protocol.load(MLOPS)
    assert p.id == "mlops"
    assert p.search.query_text == (
        'MLOps OR "machine learning in production" OR "machine learning operations"'
    )
    assert p.search.years == (2018, 2023)
    assert [c.id for c in p.inclusion] == ["IC1", "IC2", "IC3", "IC4"]
    assert [c.id for c in p.exclusion] == ["EC1", "EC2", "EC3", "EC4"]
    assert p.criterion("IC1").require.types == ("article", "review", "conference-paper")
    assert p.criterion("EC1").require.languages == ("en",)
    assert [c.label for c in p.concepts] == [
        "Model Issues (Scalability, accuracy, Versioning, Monitoring)",
        "Data Issue (Availability, quality, privacy)",
        "Integration and Infrastructure",
        "Regulatory Compliance",
        "Standardization",
        "Tools Support for MLOps",
        "Testing",
        "Lack of Talent",
        "Collaboration & communication",
        "Lack of Knowledge",
    ]
    assert [s.name for s in p.search.sources] == ["scopus", "sciencedirect", "google-scholar"]


def test_hash_ignores_comments_and_layout_but_not_content():
    a = protocol.loads(MINIMAL)
    b = protocol.loads("# a comment\n" + MINIMAL.replace('id = "t"', 'id   =   "t"'))
    c = protocol.loads(MINIMAL.replace('text = "x"', 'text = "z"'))
    assert a.hash == b.hash != c.hash
    assert len(a.hash) == 64


def test_source_override_has_its_own_query():
    text = MINIMAL + '\n[search.source.openalex]\nquery = "c AND d"\noptions = { per_page = 50 }\n'
    spec = protocol.loads(text).search.sources[0]
    assert spec.query_text == "c AND d" and spec.options == {"per_page": 50}


ERRORS = [
    # (replace old -> new, expected fragments in the message, expected line)
    (('title = "T"', 'title = "T"\ncolour = "red"'), ["review.colour", "unknown key"], 4),
    (('title = "T"\n', ""), ["missing required key 'title'"], 1),
    (('id = "EC1"', 'id = "IC1"'), ["criteria.exclusion[0].id", "duplicate id 'IC1'"], 16),
    (("years = [2018, 2023]", "years = [2023, 2018]"), ["search.years", "bad year range"], 8),
    (("years = [2018, 2023]", "years = [2018]"), ["search.years", "[first_year, last_year]"], 8),
    (('sources = ["openalex"]', 'sources = ["scopuss"]'), ["unknown source 'scopuss'"], 7),
    (('query = "a OR b"', 'query = "a OR (b"'), ["search.query", "column 6"], 6),
    (('types = ["article"]', 'types = ["journal"]'), ["unknown document type 'journal'"], 13),
    (('query = "a OR b"', "query = 3"), ["search.query", "must be a string"], 6),
    (("[review]", "[reviewx]"), ["unknown key", "reviewx"], 1),
    (('sources = ["openalex"]', "sources = []"), ["search.sources", "no sources"], 7),
]


@pytest.mark.parametrize("change, fragments, line", ERRORS)
def test_each_error_kind_is_one_line_naming_file_line_and_key(tmp_path, change, fragments, line):
    path = tmp_path / "bad.toml"
    path.write_text(MINIMAL.replace(*change))
    with pytest.raises(ProtocolError) as err:
        protocol.load(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: ")
    for fragment in fragments:
        assert fragment in message


def test_toml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(MINIMAL.replace('title = "T"', "title = T T"))
    with pytest.raises(ProtocolError, match=rf"^{path}:3: not valid TOML"):
        protocol.load(path)


def test_cli_check_prints_summary_and_hash():
    result = CliRunner().invoke(main, ["check", "-p", str(MLOPS)])
    assert result.exit_code == 0, result.output
    assert protocol.load(MLOPS).hash in result.output
    assert "IC1" in result.output and "OK" in result.output


def test_cli_error_is_one_line_with_nonzero_exit(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(MINIMAL.replace("[2018, 2023]", "[2030, 2020]"))
    result = CliRunner().invoke(main, ["check", "-p", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "bad year range" in lines[0]


def test_missing_protocol_and_default_lookup(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1 and "no protocol found" in result.output
    (tmp_path / "protocols").mkdir()
    (tmp_path / "protocols" / "a.toml").write_text(MINIMAL)
    assert CliRunner().invoke(main, ["check"]).exit_code == 0
    (tmp_path / "protocols" / "b.toml").write_text(MINIMAL)
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 1 and "several protocols" in result.output
    result = CliRunner().invoke(main, ["check", "-p", "nope.toml"])
    assert result.exit_code == 1 and "no such protocol file" in result.output


toml_values = st.recursive(
    st.one_of(st.integers(), st.text(max_size=8), st.booleans()),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200) | st.builds(lambda s: MINIMAL + s, st.text(max_size=60)))
def test_random_toml_never_gives_a_traceback(tmp_path, text):
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "-p", str(path)])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 1:
        assert result.output.startswith("Error: ")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(
        st.sampled_from(["review", "search", "criteria", "concepts"]), toml_values, max_size=4
    ),
    st.text(max_size=30),
)
@example(data={"criteria": {"\n": 0}}, query_text="")  # a quoted key holding a newline
def test_random_structures_and_queries_give_protocol_errors_only(data, query_text):
    import tomllib  # noqa: F401  (structures are passed through loads via a TOML dump)

    table = {
        "review": {"id": "t", "title": "T"},
        "search": {"query": query_text, "sources": ["dblp"]},
    }
    table.update(data)
    try:
        protocol.loads(_dump(table))
    except ProtocolError as exc:
        assert "\n" not in str(exc)


def _dump(value, prefix=""):
    """A tiny TOML writer for the fuzz test (inline tables only)."""

    def lit(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            return '"' + v.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(lit(x) for x in v) + "]"
        return "{" + ", ".join(f"{lit(k)} = {lit(x)}" for k, x in v.items()) + "}"

    return "\n".join(f"{lit(k)} = {lit(v)}" for k, v in value.items()) + "\n"
