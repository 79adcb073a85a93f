"""`slr init`: a review folder that `slr check` accepts as created, from flags, from answers
on a terminal, or from defaults in a script; never over an existing protocol."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from slr import protocol
from slr.cli import main
from slr.init import EXAMPLES, Answers, default_id, parse_years, protocol_text
from slr.tui import term

FIXTURE = Path(__file__).parent / "fixtures" / "exports" / "scopus_ris" / "asreview_scopus.ris"
FLAGS = [
    "--title",
    "Challenges of MLOps adoption",
    "--id",
    "mlops-adoption",
    "--question",
    "RQ1: What challenges do organisations face, and why?",
    "--query",
    'mlops OR "machine learning operations"',
    "--sources",
    "openalex,crossref",
    "--sources",
    "google-scholar",
    "--years",
    "2018-2023",
    "--languages",
    "en",
    "--types",
    "article,conference-paper",
    "--reviewers",
    "alice,bob",
    "--known-relevant",
    "10.1109/ACCESS.2023.3262138",
    "--known-relevant",
    "Machine Learning Operations (MLOps): Overview, Definition, and Architecture",
]


def invoke(args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch, **kwargs):
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, args, **kwargs)


def one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_init_with_flags_then_check_passes(tmp_path, monkeypatch):
    result = invoke(["init", "review", *FLAGS], tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    root = tmp_path / "review"
    assert {p.name for p in root.iterdir()} == {
        "protocols",
        ".gitignore",
        ".gitattributes",
        "README.md",
    }
    proto = protocol.load(root / "protocols" / "mlops-adoption.toml")
    assert proto.title == "Challenges of MLOps adoption"
    assert proto.questions == ("RQ1: What challenges do organisations face, and why?",)
    assert proto.search.query_text == 'mlops OR "machine learning operations"'
    assert [s.name for s in proto.search.sources] == ["openalex", "crossref", "google-scholar"]
    assert proto.search.years == (2018, 2023)
    assert proto.search.languages == ("en",) and proto.reviewers == ("alice", "bob")
    assert proto.known_relevant == (
        "10.1109/ACCESS.2023.3262138",
        "Machine Learning Operations (MLOps): Overview, Definition, and Architecture",
    )
    rules = {c.id: c.require for c in proto.criteria if c.require}
    assert rules["IC2"].types == ("article", "conference-paper")
    assert rules["EC2"].languages == ("en",)
    assert "next:" in result.output and "cd review" in result.output

    check = invoke(["check"], root, monkeypatch)  # found without -p
    assert check.exit_code == 0, check.output
    assert check.output.rstrip().endswith("OK")
    assert "openalex" in check.output and "google-scholar: manual" in check.output


def test_every_section_is_present_and_commented(tmp_path, monkeypatch):
    invoke(["init", "--yes"], tmp_path, monkeypatch)
    text = next((tmp_path / "protocols").glob("*.toml")).read_text("utf-8")
    for active in ("[review]", "reviewers = []", "[search]", "known_relevant = [", "questions"):
        assert active in text
    for active in ("[[criteria.inclusion]]", "[[criteria.exclusion]]"):
        assert f"\n{active}" in text
    for example in (
        "# [search.source.",
        "# [[concepts]]",
        "# [[extraction]]",
        "# [quality]",
        "# [[quality.questions]]",
        "# [calibration]\n# min_kappa = 0.6",
        "# years = [",
        "# languages = [",
        "# types = [",
    ):
        assert example in text
    assert text.count("\n# ---") == 5  # one rule per section after the search


def test_the_commented_examples_are_valid_once_uncommented():
    """Removing the leading `# ` from an example gives a protocol slr accepts."""
    base = protocol_text(Answers(id="x", title="X", query="a OR b", reviewers=("ann", "bo")))
    for name, example in EXAMPLES.items():
        lines = [line for line in example.splitlines() if line]
        assert all(f"# {line}" in base for line in lines), name  # written commented out
        proto = protocol.loads(base + "\n" + example)
        if name == "calibration":
            assert proto.min_kappa == 0.6
        if name == "concepts":
            assert [c.group for c in proto.concepts] == ["Technical", "Organisational"]
        if name == "quality":
            assert proto.quality is not None and proto.quality.min_score == 1.5


def test_scripted_init_without_a_terminal_takes_the_defaults(tmp_path, monkeypatch):
    """No flags, stdin not a terminal: nothing is asked, every question takes its default."""
    folder = tmp_path / "My MLOps_review"
    result = invoke(["init", str(folder)], tmp_path, monkeypatch, input="ignored\n")
    assert result.exit_code == 0, result.output
    assert "Title" not in result.output  # no question was asked
    proto = protocol.load(folder / "protocols" / "my-mlops_review.toml")
    assert proto.id == "my-mlops_review" and proto.title == "My MLOps review"
    assert proto.search.query_text == '"My MLOps review"'  # the placeholder, and said so
    assert "placeholder" in result.output
    assert [s.name for s in proto.search.sources] == ["openalex"]
    assert proto.search.years is None and proto.reviewers == () and proto.known_relevant == ()
    assert invoke(["check"], folder / "protocols", monkeypatch).exit_code == 0


def test_prompts_on_a_terminal_ask_what_no_flag_answers(tmp_path, monkeypatch):
    monkeypatch.setattr(term, "interactive", lambda stdout=True: True)
    answers = [
        "Data quality in MLOps",  # title
        "",  # id: the default, from the folder
        "RQ1: Which data issues are reported?",
        "mlops and data",  # a query mistake: asked again
        'mlops AND "data quality"',
        "openalex,nosuchdb",  # asked again, with the known sources
        "scopus, openalex",
        "2023-2018",  # asked again
        "2018-2023",
        "Ana,ana",  # twice, case-insensitively: asked again
        "ana,ben",
    ]
    folder = tmp_path / "dq"
    result = invoke(
        ["init", str(folder), "--known-relevant", "10.1/x"],
        tmp_path,
        monkeypatch,
        input="\n".join(answers) + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Title [dq]: " in result.output and "Review id [dq]: " in result.output
    assert "--years: 2023-2018: the first year is after the last" in result.output
    assert "unknown source 'nosuchdb'; known: openalex" in result.output
    assert "'and'" in result.output  # the query error names the word to fix
    proto = protocol.load(folder / "protocols" / "dq.toml")
    assert proto.title == "Data quality in MLOps"
    assert proto.questions == ("RQ1: Which data issues are reported?",)
    assert proto.search.query_text == 'mlops AND "data quality"'
    assert [s.name for s in proto.search.sources] == ["scopus", "openalex"]
    assert proto.search.years == (2018, 2023) and proto.reviewers == ("ana", "ben")
    assert proto.known_relevant == ("10.1/x",)  # the flag's answer: not asked
    assert invoke(["check"], folder, monkeypatch).exit_code == 0


def test_end_of_input_at_a_question_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(term, "interactive", lambda stdout=True: True)
    result = invoke(["init", "r"], tmp_path, monkeypatch, input="A title\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert not (tmp_path / "r" / "protocols").exists()


def test_init_in_a_real_terminal(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "slr", "init", str(tmp_path / "tty-review"), "--sources", "crossref"],
        env={**os.environ, "TERM": "xterm"},
        encoding="utf-8",
        timeout=30,
    )
    child.expect(r"Title \[tty review\]: ")
    child.sendline("Living review of MLOps")
    child.expect(r"Review id \[tty-review\]: ")
    child.sendline("living")
    child.expect("Research question: ")
    child.sendline("")
    child.expect(r'Search query \["Living review of MLOps"\]: ')
    child.sendline("mlops")
    child.expect(r"Years, FIRST-LAST \(Enter: any\): ")  # sources came from the flag
    child.sendline("2020")
    child.expect("--years: '2020' is not a year range; write FIRST-LAST")
    child.sendline("2020-2025")
    child.expect("Reviewers")
    child.sendline("")
    child.expect("created review 'living'")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    proto = protocol.load(tmp_path / "tty-review" / "protocols" / "living.toml")
    assert (proto.title, proto.search.query_text) == ("Living review of MLOps", "mlops")
    assert proto.search.years == (2020, 2025) and proto.questions == ()
    assert [s.name for s in proto.search.sources] == ["crossref"]


def test_an_existing_protocol_is_never_replaced_without_force(tmp_path, monkeypatch):
    assert invoke(["init", "--query", "a OR b"], tmp_path, monkeypatch).exit_code == 0
    path = next((tmp_path / "protocols").glob("*.toml"))
    before = path.read_bytes()
    line = one_line_error(invoke(["init", "--query", "c"], tmp_path, monkeypatch))
    assert "holds a protocol already" in line and "--force" in line
    assert path.read_bytes() == before
    # asked before any question: a terminal user does not answer in vain
    monkeypatch.setattr(term, "interactive", lambda stdout=True: True)
    line = one_line_error(invoke(["init"], tmp_path, monkeypatch, input="x\n"))
    assert "holds a protocol already" in line
    forced = invoke(["init", "--query", "c", "--force"], tmp_path, monkeypatch, input="\n" * 9)
    assert forced.exit_code == 0, forced.output
    assert protocol.load(path).search.query_text == "c"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--years", "2018"], "--years: '2018' is not a year range; write FIRST-LAST, e.g."),
        (["--years", "2023-2018"], "--years: 2023-2018: the first year is after the last"),
        (["--years", "1500-2020"], "--years: 1500-2020 is out of range 1800-2100"),
        (["--sources", "scopus,gogle-scholar"], "--sources: unknown source 'gogle-scholar'"),
        (["--query", "mlops or aiops"], "--query: "),
        (["--query", "NOT mlops"], "--query: "),
        (["--id", "My Review"], "--id: invalid review id 'My Review'"),
        (["--types", "paper"], "--types: unknown document type 'paper'; use one of article"),
        (["--languages", "english"], "--languages: 'english' is not an ISO 639-1 code"),
        (["--reviewers", "a b"], "--reviewers: invalid name 'a b'"),
    ],
)
def test_bad_flags_are_one_line_errors_naming_the_flag(tmp_path, monkeypatch, args, expected):
    line = one_line_error(invoke(["init", *args], tmp_path, monkeypatch))
    assert line.startswith(f"Error: {expected}")
    assert not (tmp_path / "protocols").exists()


def test_bad_sources_list_the_known_ones(tmp_path, monkeypatch):
    line = one_line_error(invoke(["init", "--sources", "pubmd"], tmp_path, monkeypatch))
    from slr.databases import known_source_names

    assert all(name in line for name in known_source_names())


def test_default_ids_from_folder_names():
    assert default_id(Path("/tmp/Übersicht MLOps")) == "ubersicht-mlops"
    assert default_id(Path("/tmp/2024 Review!")) == "2024-review"
    assert default_id(Path("/tmp/日本")) == "review"  # nothing left: a plain default


def test_years_spellings():
    assert parse_years("2015-2024") == parse_years("2015:2024") == parse_years("2015..2024")
    assert parse_years(" ") is None


def test_a_folder_of_its_own_keeps_the_users_files(tmp_path, monkeypatch):
    """An existing README stays; .gitignore and .gitattributes only gain the lines they lack."""
    (tmp_path / "README.md").write_text("my notes\n")
    (tmp_path / ".gitignore").write_text("*.pdf\nsecret.txt")
    result = invoke(["init", "--query", "x"], tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "README.md").read_text() == "my notes\n"
    ignore = (tmp_path / ".gitignore").read_text().splitlines()
    assert ignore[:2] == ["*.pdf", "secret.txt"] and ignore.count("*.pdf") == 1
    assert ".venv/" in ignore and "out/" in ignore
    assert "kept     README.md" in result.output and "added to .gitignore" in result.output
    shutil.rmtree(tmp_path / "protocols")
    again = invoke(["init", "--query", "x"], tmp_path, monkeypatch)
    assert (tmp_path / ".gitignore").read_text().splitlines() == ignore  # nothing twice
    assert "kept     .gitignore" in again.output


def test_git_merges_the_logs_by_union_and_ignores_pdfs(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert invoke(["init", "--id", "r", "--query", "x"], tmp_path, monkeypatch).exit_code == 0
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)

    def attr(path: str) -> str:
        out = subprocess.run(
            ["git", "check-attr", "merge", "--", path],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return out.rsplit(": ", 1)[1].strip()

    for log in ("corpus/r/decisions/ana.jsonl", "corpus/r/records.jsonl", "corpus/r/x.torn"):
        assert attr(log) == "union", log
    assert attr("corpus/r/dedupe-state.json") == "union"  # derived: rebuilt after a merge
    assert attr("protocols/r.toml") == "unspecified"  # a protocol conflict is for people
    assert attr("notes.jsonl") == "unspecified"  # only the review's own logs
    ignored = subprocess.run(
        ["git", "check-ignore", "corpus/r/fulltext/w1.pdf", "paper.pdf", ".venv/x"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert ignored == ["corpus/r/fulltext/w1.pdf", "paper.pdf", ".venv/x"]


def test_the_new_review_runs_a_small_pipeline_from_a_subfolder(tmp_path, monkeypatch):
    args = ["init", "review", "--id", "demo", "--query", "review", "--sources", "scopus"]
    assert invoke(args, tmp_path, monkeypatch).exit_code == 0
    root = tmp_path / "review"
    notes = root / "notes" / "drafts"
    notes.mkdir(parents=True)
    imported = invoke(["import", str(FIXTURE), "--date", "2024-05-01"], notes, monkeypatch)
    assert imported.exit_code == 0, imported.output
    assert "6 imported" in imported.output
    assert invoke(["dedupe", "-q"], root / "protocols", monkeypatch).exit_code == 0
    screen = ["screen", "--reviewer", "ana", "--plain"]  # the template's criteria drive it
    assert invoke(screen, notes, monkeypatch, input="1\nq\n").exit_code == 0
    status = invoke(["status"], notes, monkeypatch)
    assert status.exit_code == 0, status.output
    assert f"corpus  {root / 'corpus' / 'demo'}" in status.output
    assert "records identified: 6" in status.output
    assert "works after de-duplication: 6" in status.output
    assert "6 works, 5 to screen, 0 included, 1 excluded (EC1 1)" in status.output
    assert not (notes / "corpus").exists()  # the state went to the review's folder
    records = (root / "corpus" / "demo").glob("*.jsonl")
    assert {p.name for p in records} >= {"records.jsonl", "searchlog.jsonl", "works.jsonl"}


def test_the_template_is_plain_toml_for_any_answers():
    """Quotes, backslashes and control characters in answers survive the trip."""
    answers = Answers(
        id="q",
        title='A "quoted" title \\ with \t tab',
        query='title:"it\'s" OR x',
        questions=("RQ1: 'single' and \"double\"?",),
        known_relevant=("Title, with a comma",),
    )
    data = tomllib.loads(protocol_text(answers))
    assert data["review"]["title"] == answers.title
    assert data["search"]["query"] == answers.query
    assert data["review"]["questions"] == list(answers.questions)
    assert data["search"]["known_relevant"] == ["Title, with a comma"]


def test_a_second_protocol_or_a_nested_review_is_said(tmp_path, monkeypatch):
    assert invoke(["init", "--id", "first", "--query", "x"], tmp_path, monkeypatch).exit_code == 0
    nested = invoke(["init", "notes", "--id", "inner", "--query", "z"], tmp_path, monkeypatch)
    assert nested.exit_code == 0, nested.output
    outer = tmp_path / "protocols" / "first.toml"
    assert f"note: {outer} is the protocol of a review this folder sits in" in nested.output
    assert protocol.find(None, cwd=tmp_path / "notes" / "a") == (
        tmp_path / "notes" / "protocols" / "inner.toml"
    )
    second = invoke(["init", "--id", "second", "--query", "y", "--force"], tmp_path, monkeypatch)
    assert second.exit_code == 0, second.output
    assert "note: protocols/ also holds first.toml: give each command -p protocols/second.toml" in (
        second.output
    )


def test_a_gitignore_that_is_not_utf8_is_a_one_line_error(tmp_path):
    from click.testing import CliRunner

    from slr.cli import main

    (tmp_path / "r").mkdir()
    (tmp_path / "r" / ".gitignore").write_bytes(b"\xff\xfe*\x00.\x00p\x00d\x00f\x00\n\x00")
    result = CliRunner().invoke(main, ["init", str(tmp_path / "r"), "--yes", "--query", "a OR b"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert ".gitignore: not UTF-8 text" in result.output
    assert not (tmp_path / "r" / "protocols").exists()  # nothing half-made
