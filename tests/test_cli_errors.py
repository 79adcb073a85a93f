"""User mistakes end in one `Error: ...` line and exit 1, never a traceback; no decision is lost.

Most tests run on a copy of the reference review (rebuilt once from corpus/mlops/ by the demo),
damaged the way a hand edit, a bad merge or a wrong path would damage it.
"""

import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.coding import log as coding
from slr.demo import rebuild
from slr.review import open_review
from slr.screen.state import included_works
from slr.tui import code as code_tui

ROOT = Path(__file__).resolve().parents[1]
MLOPS = ROOT / "protocols" / "mlops.toml"
SCOPUS_CSV = ROOT / "corpus" / "mlops" / "inputs" / "scopus.csv"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The reference review with its decisions and coding, rebuilt once per module."""
    out = tmp_path_factory.mktemp("reference")
    rebuild(MLOPS, out)
    return out / "corpus" / "mlops"


@pytest.fixture
def project(tmp_path, reference):
    """A project folder of its own: protocols/mlops.toml and a copy of the reference corpus."""
    (tmp_path / "protocols").mkdir()
    shutil.copy(MLOPS, tmp_path / "protocols" / "mlops.toml")
    shutil.copytree(reference, tmp_path / "corpus" / "mlops")
    return tmp_path


def run(project, *args):
    return CliRunner().invoke(main, [*args, "-p", str(project / "protocols" / "mlops.toml")])


def one_error(result, *parts):
    """Exit 1, one `Error: ` line on the output, no traceback; returns that line."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    lines = [x for x in result.output.splitlines() if not x.startswith("Warning: ")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


def insert_line(path, text, at=2):
    """Insert a line in the middle of a file; returns its line number."""
    lines = path.read_text("utf-8").splitlines(keepends=True)
    at = min(at, len(lines) - 1)  # never last: a bad last line is a torn write, not damage
    lines.insert(at, text + "\n")
    path.write_text("".join(lines), "utf-8")
    return at + 1


# ---------------------------------------------------------------- damaged state files

_D = {"reviewer": "reviewer1", "stage": "title-abstract", "work_id": "w", "decision": "include"}
_C = {"coder": "reviewer1", "work_id": "w", "concept": "C1", "present": True}
DAMAGED = [
    ("records.jsonl", "{}", "status", "not a valid record"),
    ("records.jsonl", '{"id": "scopus:x"}', "prisma", "not a valid record"),
    ("decisions/reviewer1.jsonl", '{"reviewer": "x"}', "conflicts", "not a valid decision"),
    ("decisions/auto.jsonl", "{}", "prisma", "not a valid decision (no 'reviewer')"),
    ("coding/reviewer1.jsonl", '{"coder": "reviewer1"}', "matrix", "not a valid coding"),
    ("labels.jsonl", '{"label": "x"}', "matrix", "not a valid label (no 'work_id')"),
    ("records.jsonl", "[1, 2]", "status", "not a JSON object"),
    ("decisions/reviewer1.jsonl", '"include"', "agreement", "not a JSON object"),
    # well-formed lines whose values a hand edit got wrong: the field and what it takes
    (
        "decisions/reviewer1.jsonl",
        json.dumps(_D | {"decision": "Include"}),
        "conflicts",
        "field 'decision' must be one of include, exclude, maybe",
    ),
    (
        "decisions/reviewer1.jsonl",
        json.dumps(_D | {"criteria": "EC1"}),
        "prisma",
        "field 'criteria' must be a list of strings, got 'EC1'",
    ),
    (
        "decisions/reviewer1.jsonl",
        json.dumps(_D | {"stage": "abstract"}),
        "status",
        "field 'stage' must be one of title-abstract, full-text",
    ),
    (
        "coding/reviewer1.jsonl",
        json.dumps(_C | {"present": "false"}),
        "matrix",
        "field 'present' must be true or false, got 'false'",
    ),
    (
        "records.jsonl",
        json.dumps({"source": "scopus", "source_id": "x", "authors": "Smith, J."}),
        "status",
        "field 'authors' must be a list of strings",
    ),
]


@pytest.mark.parametrize("name, line, command, message", DAMAGED)
def test_a_damaged_line_is_named_by_file_and_line(project, name, line, command, message):
    number = insert_line(project / "corpus" / "mlops" / name, line)
    error = one_error(run(project, command), message, "fix or remove that line")
    assert f"{name}:{number}:" in error


DAMAGED_WORKS = [
    ('{"work_id": "w"}', "status"),
    ("{}", "matrix"),
    (json.dumps({"work_id": "w", "record_ids": "scopus:1", "canonical": {}}), "status"),
]


@pytest.mark.parametrize("line, command", DAMAGED_WORKS)
def test_a_damaged_works_file_is_rebuilt_with_a_note(project, line, command):
    # works.jsonl is derived (dedupe-state.json holds its fingerprint): rebuilt, not an error
    works = project / "corpus" / "mlops" / "works.jsonl"
    good = works.read_bytes()
    insert_line(works, line)
    result = run(project, command)
    assert result.exit_code == 0, result.output
    notes = [x for x in result.output.splitlines() if x.startswith("Warning: ")]
    assert len(notes) == 1 and "works.jsonl: changed since the last `slr dedupe`" in notes[0]
    assert "Traceback" not in result.output
    assert works.read_bytes() == good


def test_a_damaged_dedupe_answer_is_named_by_file_and_line(project):
    (project / "corpus" / "mlops" / "dedupe-answers.jsonl").write_text('{"a": "x"}\n')
    one_error(run(project, "dedupe", "-q"), "dedupe-answers.jsonl:1:", "no 'b'")


# ---------------------------------------------------------------- outputs and their paths


@pytest.mark.parametrize(
    "args",
    [
        ("prisma", "-o", "{bad}/p.svg"),
        ("export", "--format", "csv", "-o", "{bad}/e.csv"),
        ("matrix", "-o", "{bad}/t.csv"),
        ("code", "--coder", "reviewer1", "--sheet", "{bad}/s.csv"),
        ("report", "-o", "{bad}/r.md"),
    ],
)
def test_an_output_under_a_file_is_one_error_line(project, args):
    (project / "afile").write_text("not a folder")
    bad = str(project / "afile" / "sub")
    one_error(run(project, *(a.format(bad=bad) for a in args)), "cannot write", "afile/sub")


def test_an_output_in_a_missing_folder_is_created(project):
    result = run(
        project, "export", "--format", "csv", "-o", str(project / "new" / "deep" / "e.csv")
    )
    assert result.exit_code == 0, result.output
    assert (project / "new" / "deep" / "e.csv").read_text("utf-8").startswith("id,")


def test_an_os_error_anywhere_is_one_error_line(project, monkeypatch):
    def refuse(review):
        raise PermissionError(13, "Permission denied", "corpus/mlops/works.jsonl")

    monkeypatch.setattr("slr.cli.core.status", refuse)
    one_error(run(project, "status"), "corpus/mlops/works.jsonl: Permission denied")


# ---------------------------------------------------------------- option values


def test_import_refuses_a_date_that_does_not_exist(project):
    result = run(project, "import", str(SCOPUS_CSV), "--date", "2024-13-01")
    one_error(result, "--date '2024-13-01': use YYYY-MM-DD")
    log = (project / "corpus" / "mlops" / "searchlog.jsonl").read_text("utf-8")
    assert "2024-13-01" not in log


def test_report_takes_the_coder_it_tells_the_user_to_choose(project):
    coding_dir = project / "corpus" / "mlops" / "coding"
    text = (coding_dir / "reviewer1.jsonl").read_text("utf-8")
    (coding_dir / "bob.jsonl").write_text(text.replace('"coder":"reviewer1"', '"coder":"bob"'))
    out = str(project / "out" / "r.md")
    one_error(run(project, "report", "-o", out), "several coders", "--coder")
    result = run(project, "report", "-o", out, "--coder", "bob")
    assert result.exit_code == 0, result.output
    assert "Paleyes et al. (2022)" in (project / "out" / "r.md").read_text("utf-8")


# ---------------------------------------------------------------- decisions never lost


def test_code_sheet_never_overwrites_a_filled_in_sheet(project):
    sheet = project / "sheet.csv"
    assert run(project, "code", "--coder", "reviewer1", "--sheet", str(sheet)).exit_code == 0
    again = run(project, "code", "--coder", "reviewer1", "--sheet", str(sheet))
    assert again.exit_code == 0, again.output  # an untouched template may be written again
    lines = sheet.read_text("utf-8").splitlines()
    lines[1] = lines[1].rstrip(",") + ",✓" + "," * 9  # reviewer1 codes C1 of the first study
    filled = "\n".join(lines) + "\n"
    sheet.write_text(filled, "utf-8")
    result = run(project, "code", "--coder", "reviewer1", "--sheet", str(sheet))
    one_error(result, "already exists and may hold coding not imported yet", "--import")
    assert sheet.read_text("utf-8") == filled


def test_ctrl_c_while_coding_keeps_the_concepts_toggled_on_screen(project):
    review = open_review(project / "protocols" / "mlops.toml")
    works = included_works(review)

    class Interrupted(io.StringIO):
        def readline(self, *args):  # type: ignore[override]
            line = super().readline()
            if not line:
                raise KeyboardInterrupt
            return line

    with pytest.raises(KeyboardInterrupt):
        code_tui.run(review, works, "bob", code_tui.LineIo(Interrupted("1 3\n")))
    saved = coding.latest(coding.read_codings(review, "bob"))
    first = works[0].work_id
    assert saved[(first, "C1")].present and saved[(first, "C3")].present
    assert not saved[(first, "C2")].present


# ---------------------------------------------------------------- search archive


def _search_project(tmp_path):
    (tmp_path / "protocols").mkdir()
    text = MLOPS.read_text("utf-8").replace(
        'sources = ["scopus", "sciencedirect", "google-scholar"]', 'sources = ["crossref"]'
    )
    (tmp_path / "protocols" / "mlops.toml").write_text(text, "utf-8")
    run_dir = tmp_path / "corpus" / "mlops" / "raw" / "crossref" / "2026-01-01T000000Z"
    run_dir.mkdir(parents=True)
    return run_dir


def test_search_offline_names_a_damaged_run_checkpoint(tmp_path):
    run_dir = _search_project(tmp_path)
    (run_dir / "run.json").write_text("{garbage", "utf-8")
    result = run(tmp_path, "search", "--offline", "-q")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert f"{run_dir / 'run.json'}: unreadable run checkpoint" in result.output


def test_search_offline_does_not_call_a_failed_run_ok(tmp_path):
    run_dir = _search_project(tmp_path)
    checkpoint = {
        "run_id": run_dir.name,
        "status": "failed",
        "plan": {"branches": [], "filters": {}, "local": []},
        "branches": {},
    }
    (run_dir / "run.json").write_text(json.dumps(checkpoint), "utf-8")
    result = run(tmp_path, "search", "--offline", "-q")
    assert result.exit_code == 1, result.output
    row = next(x for x in result.output.splitlines() if x.startswith("crossref "))
    assert f"failed: run {run_dir.name} was archived failed" in row


def test_a_state_file_with_a_text_version_is_one_error_line(project):
    (project / "corpus" / "mlops" / "slr-state.json").write_text('{"format": "1"}\n')
    one_error(run(project, "import", str(SCOPUS_CSV)), "slr-state.json: unreadable state file")


def test_dedupe_standalone_takes_a_format_and_rejects_an_empty_explain(tmp_path):
    from click.testing import CliRunner

    from slr.cli import main

    ris = tmp_path / "refs.txt"  # RIS content under an extension that says nothing
    ris.write_text(
        "TY  - JOUR\nTI  - Challenges in deploying machine learning\nPY  - 2022\n"
        "DO  - 10.1145/3533378\nER  - \n\n"
        "TY  - JOUR\nTI  - Challenges in Deploying Machine Learning\nPY  - 2022\n"
        "DO  - https://doi.org/10.1145/3533378\nER  - \n",
        encoding="utf-8",
    )
    out = tmp_path / "clusters.csv"
    result = CliRunner().invoke(
        main, ["dedupe", "--input", str(ris), "--output", str(out), "--format", "ris"]
    )
    assert result.exit_code == 0, result.output
    rows = out.read_text().splitlines()
    assert rows[0] == "id,cluster_id,rule,study" and len(rows) == 3
    assert rows[1].split(",")[1] == rows[2].split(",")[1]
    result = CliRunner().invoke(main, ["dedupe", "--explain", " "])
    assert result.exit_code == 1 and result.output.startswith("Error: --explain needs")
