"""`slr check`: query mistakes, every source compiled, what screening and coding need,
criteria that decisions use but the protocol lost (issue 14, items 11 and 12)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from slr import databases, protocol, sources
from slr.cli import main
from slr.decisions import Decision, record_decision
from slr.review import open_review

ROOT = Path(__file__).resolve().parents[1]
MLOPS = ROOT / "protocols" / "mlops.toml"

PROTOCOL = """\
[review]
id = "t"
title = "T"

[search]
query = 'mlops OR "machine learning operations"'
sources = ["openalex", "scopus"]

[[criteria.exclusion]]
id = "EC1"
text = "Not about MLOps"

[[concepts]]
id = "C1"
label = "Tools"
"""


def write(tmp_path: Path, text: str) -> Path:
    """A protocol in `protocols/`, so that its corpus is `corpus/t/` under tmp_path."""
    folder = tmp_path / "protocols"
    folder.mkdir(exist_ok=True)
    path = folder / "t.toml"
    path.write_text(text, encoding="utf-8")
    return path


def check(path: Path):
    return CliRunner().invoke(main, ["check", "-p", str(path)])


def errors_of(result) -> list[str]:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert result.stdout == "" and all(line.startswith("Error: ") for line in lines)
    assert not any("Traceback" in line or "_Compiler" in line for line in lines)
    return lines


def test_the_reference_protocol_passes_and_shows_the_query_of_each_source():
    result = check(MLOPS)
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("OK")
    assert "  scopus: TITLE-ABS-KEY(MLOps OR" in result.stdout
    assert "  google-scholar: manual: import a Publish or Perish export" in result.stdout


@pytest.mark.parametrize(
    "query, fragment",
    [
        ("IBD or colitis", "'or' at column 5: operators are upper case; write OR"),
        ("IBD AND crohn and colitis", "'and' at column 15"),
        ("titel:mlops", "unknown field 'titel:' at column 1"),
        ("NOT kubernetes", "the query starts with NOT at column 1"),
    ],
)
def test_query_mistakes_are_one_line_errors_naming_file_line_and_key(tmp_path, query, fragment):
    path = write(tmp_path, PROTOCOL.replace('mlops OR "machine learning operations"', query))
    (line,) = errors_of(check(path))
    assert line.startswith(f"Error: {path}:6: search.query: cannot parse query: ")
    assert fragment in line


def test_every_source_is_compiled_and_each_failure_is_its_own_line(tmp_path):
    # OpenAlex and Scopus cannot send a NOT that follows OR (today: exit 0, "OK")
    path = write(tmp_path, PROTOCOL.replace('"machine learning operations"', "NOT kubernetes"))
    lines = errors_of(check(path))
    assert len(lines) == 2
    for line, name in zip(lines, ["openalex", "scopus"], strict=True):
        assert line.startswith(f"Error: {path}:6: search.query: cannot be sent to {name}: ")
        assert "NOT must follow another term" in line


def test_a_source_query_of_its_own_is_named_by_its_key_and_line(tmp_path):
    text = PROTOCOL + '\n[search.source.scopus]\nquery = "a OR NOT b"\n'
    (line,) = errors_of(check(write(tmp_path, text)))
    assert line.startswith(f"Error: {tmp_path / 'protocols' / 't.toml'}:18: ")
    assert "search.source.scopus.query: cannot be sent to scopus: " in line


def test_many_plain_terms_and_one_wildcard_compile_for_openalex(tmp_path):
    query = 'mlops OR aiops OR "machine learning operations" OR dataop* OR "ml ops"'
    path = write(tmp_path, PROTOCOL.replace('mlops OR "machine learning operations"', query))
    result = check(path)
    assert result.exit_code == 0, result.output
    assert (
        '  openalex: title_and_abstract.search:(mlops OR aiops OR "machine learning operations" '
        'OR dataop OR "ml ops")'
    ) in result.stdout


# ---------------------------------------------------------------- what screening and coding need

NO_EXCLUSION = PROTOCOL.replace(
    '[[criteria.exclusion]]\nid = "EC1"\ntext = "Not about MLOps"\n', ""
)
NO_CONCEPTS = PROTOCOL.replace('[[concepts]]\nid = "C1"\nlabel = "Tools"\n', "")


def test_a_fresh_protocol_is_told_what_is_missing_and_what_to_add(tmp_path):
    path = write(
        tmp_path, NO_EXCLUSION.replace(NO_EXCLUSION[NO_EXCLUSION.index("[[concepts]]") :], "")
    )
    result = check(path)
    assert result.exit_code == 0, result.output  # nothing to screen or code yet
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 2
    assert warnings[0].startswith(f"Warning: {path}: criteria.exclusion: no exclusion criteria; ")
    assert "add a [[criteria.exclusion]] table" in warnings[0] and 'id = "EC1"' in warnings[0]
    assert warnings[1].startswith(f"Warning: {path}: concepts: no concepts; ")
    assert "add a [[concepts]] table" in warnings[1] and 'label = "' in warnings[1]
    assert not (tmp_path / "corpus").exists()  # check writes nothing


def test_no_exclusion_criteria_is_an_error_once_there_are_records_to_screen(tmp_path):
    path = write(tmp_path, NO_EXCLUSION)
    corpus = tmp_path / "corpus" / "t"
    corpus.mkdir(parents=True)
    lines = [json.dumps({"id": f"openalex:W{i}", "source": "openalex"}) for i in range(3)]
    (corpus / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (line,) = errors_of(check(path))
    assert line.startswith(f"Error: {path}: criteria.exclusion: no exclusion criteria, ")
    assert "the review has 3 records to screen; add a [[criteria.exclusion]] table" in line


def test_no_concepts_is_an_error_once_studies_are_included(tmp_path):
    path = write(tmp_path, NO_CONCEPTS)
    review = open_review(path)
    record_decision(review, Decision("alice", "full-text", "w1", "include"))
    (line,) = errors_of(check(path))
    assert line.startswith(f"Error: {path}: concepts: no concepts, and 1 studies are included")
    assert "add a [[concepts]] table" in line


def test_missing_names_the_line_of_the_criteria_when_there_are_some():
    proto = protocol.load(MLOPS)
    bare = protocol.Protocol(**{**proto.__dict__, "concepts": ()})
    error = protocol.missing(bare, "code")
    assert error is not None and str(error).startswith(f"{MLOPS}:58: concepts: no concepts;")
    assert protocol.missing(proto, "screen") is None and protocol.missing(proto, "code") is None


# ---------------------------------------------------------------- criteria no longer in the protocol


def test_a_criterion_decisions_use_but_the_protocol_lost_is_a_warning_with_its_count(tmp_path):
    path = write(tmp_path, PROTOCOL)
    review = open_review(path)
    for reviewer, work in (("alice", "w1"), ("alice", "w2"), ("bob", "w1")):
        record_decision(review, Decision(reviewer, "title-abstract", work, "exclude", ("EC7",)))
    record_decision(review, Decision("bob", "title-abstract", "w3", "exclude", ("EC1", "EC9")))
    # a decision changed since no longer uses its criterion
    record_decision(review, Decision("bob", "title-abstract", "w4", "exclude", ("EC8",)))
    record_decision(review, Decision("bob", "title-abstract", "w4", "include"))
    result = check(path)
    assert result.exit_code == 0, result.output
    warnings = result.stderr.strip().splitlines()
    assert warnings == [
        f"Warning: {path}: criterion EC7 is used by 3 decisions but is no longer in the "
        "protocol; add it back under [[criteria.exclusion]] (or inclusion) so the report can "
        "name it",
        f"Warning: {path}: criterion EC9 is used by 1 decision but is no longer in the "
        "protocol; add it back under [[criteria.exclusion]] (or inclusion) so the report can "
        "name it",
    ]


# ---------------------------------------------------------------- manual sources


@pytest.mark.parametrize(
    "name, route",
    [
        ("webofscience", "Web of Science, Export > Plain text file or Tab delimited file"),
        ("embase", "Embase (embase.com), Export the results as RIS"),
        ("psycinfo", "APA PsycInfo (on EBSCOhost or Ovid), Export the results as RIS"),
        ("google-scholar", "search Google Scholar in Publish or Perish"),
    ],
)
def test_each_manual_source_names_its_own_export_route(tmp_path, name, route):
    hint = databases.manual_hint(name)
    assert route in hint and hint.endswith(f"slr import FILE --source {name}")
    path = write(tmp_path, PROTOCOL.replace('["openalex", "scopus"]', f'["openalex", "{name}"]'))
    assert dict((n, t) for n, t, _ in sources.compile_each(protocol.load(path)))[name] == hint
    assert f"  {name}: {hint}" in check(path).stdout


def test_no_two_manual_sources_share_a_hint():
    hints = [databases.manual_hint(name) for name in databases.MANUAL]
    assert len(set(hints)) == len(databases.MANUAL)


def test_screen_and_code_refuse_to_start_without_what_they_need(tmp_path):
    text = PROTOCOL.replace('[[criteria.exclusion]]\nid = "EC1"\ntext = "Not about MLOps"\n', "")
    path = write(tmp_path, text.replace('[[concepts]]\nid = "C1"\nlabel = "Tools"\n', ""))
    for args, table in (
        (["screen", "--reviewer", "ann", "--plain"], "[[criteria.exclusion]]"),
        (["code", "--coder", "ann", "--plain"], "[[concepts]]"),
    ):
        result = CliRunner().invoke(main, [*args, "-p", str(path)], input="q\n")
        [line] = errors_of(result)
        assert line.startswith(f"Error: {path}") and table in line
    assert not (tmp_path / "corpus" / "t" / "decisions").exists()
