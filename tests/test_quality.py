"""Quality assessment (issue 18 item 2): protocol, scores and cut-off, PRISMA QA exclusions,
the sheet round trip, the table formats, line-mode assessment and the report section."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from test_coding_support import make_review, protocol_text, work
from test_prisma import FT, build

from slr.cli import main
from slr.errors import ImportError_, ProtocolError
from slr.prisma.counts import boxes, compute
from slr.protocol import loads
from slr.quality import log, scores, sheet
from slr.report import build_markdown
from slr.review import open_review
from slr.tui import quality as session

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = """
[quality]
{extra}
[[quality.questions]]
id = "QA1"
text = "Are the aims clearly stated?"

[[quality.questions]]
id = "QA2"
text = "Is the method described?"

[[quality.questions]]
id = "QA3"
text = "Are the findings supported by data?"
"""


def _quality(extra: str = "", answers: str = "") -> str:
    return QUESTIONS.format(extra=extra) + answers


def _review(tmp_path, extra="min_score = 2", answers=""):
    text = protocol_text([{"id": "C1", "label": "Model"}]) + _quality(extra, answers)
    works = [work(1, ("Paleyes, A.", "Urma, R."), 2022, abstract="We survey MLOps."), work(2)]
    works.append(work(3, ("Tamburri, D.",), 2020))
    return make_review(tmp_path, [], works, protocol=text)


def _answer(review, coder, wid, *answers):
    log.record(
        review,
        [log.Answer(coder, wid, f"QA{i}", a) for i, a in enumerate(answers, start=1) if a],
    )


def _snapshot(review):
    return {p.name: p.read_bytes() for p in review.store.root.rglob("*.jsonl")}


# --------------------------------------------------------------------------- protocol


def test_protocol_defaults_and_overridden_answers():
    base = protocol_text([])
    q = loads(base + _quality()).quality
    assert q is not None and q.scores == {"yes": 1.0, "partly": 0.5, "no": 0.0}
    assert q.max_score == 3 and q.min_score is None and q.criterion == "QA"
    answers = "\n[quality.answers]\nyes = 2\npartly = 1\nno = 0\nunclear = 0\n"
    q = loads(base + _quality('min_score = 4\ncriterion = "Q-CUT"', answers)).quality
    assert q is not None and q.scores == {"yes": 2, "partly": 1, "no": 0, "unclear": 0}
    assert (q.max_score, q.min_score, q.criterion) == (6, 4, "Q-CUT")
    assert log.answer_keys(q) == {"y": "yes", "p": "partly", "n": "no", "u": "unclear"}
    assert loads(base).quality is None


@pytest.mark.parametrize(
    ("extra", "answers", "where", "message"),
    [
        ("min_score = 4", "", "quality.min_score", "above the best possible score 3"),
        ('min_score = "2"', "", "quality.min_score", "must be a number"),
        ("min_score = -1", "", "quality.min_score", "must be 0 or more"),
        ("", "\n[quality.answers]\nyes = true\n", "quality.answers.yes", "must be a number"),
        ("", "\n[quality.answers]\nYes = 1\n", "quality.answers.Yes", "invalid answer"),
        ('criterion = "EC1"', "", "quality.criterion", "'EC1' is already a criterion id"),
        ("weight = 1", "", "quality.weight", "unknown key"),
    ],
)
def test_protocol_errors_are_one_line_with_the_key(tmp_path, extra, answers, where, message):
    base = (ROOT / "protocols" / "mlops.toml").read_text()
    text = base + _quality(extra, answers)
    with pytest.raises(ProtocolError) as exc:
        loads(text, tmp_path / "p.toml")
    error = str(exc.value)
    assert "\n" not in error and f": {where}: " in error and message in error
    line = int(error.split(":")[1])  # the line holding the key (or its table)
    assert (
        where.split(".")[-1].lower() in text.splitlines()[line - 1].lower()
        or "[quality" in (text.splitlines()[line - 1])
    )


def test_protocol_default_qa_id_clashing_with_a_criterion_is_an_error():
    text = protocol_text([]) + '[[criteria.exclusion]]\nid = "QA"\ntext = "x"\n' + _quality()
    with pytest.raises(ProtocolError, match="quality.criterion: 'QA' is already a criterion id"):
        loads(text)
    dup = _quality().replace('id = "QA2"', 'id = "QA1"')
    with pytest.raises(ProtocolError, match=r"quality.questions\[1\].id: duplicate id"):
        loads(protocol_text([]) + dup)
    with pytest.raises(ProtocolError, match="quality: no questions"):
        loads(protocol_text([]) + "[quality]\nmin_score = 1\n")


# --------------------------------------------------------------------------- scores


def test_scores_sum_the_answers_and_the_cut_off_excludes_below_it(tmp_path):
    review = _review(tmp_path)
    _answer(review, "r1", "manual:1", "yes", "partly", "no")  # 1.5 < 2: excluded
    _answer(review, "r1", "manual:2", "yes", "yes", "no")  # 2: kept (not below)
    _answer(review, "r1", "manual:3", "yes")  # started, not finished: never excluded
    got = {s.work_id: (s.score, s.status, s.below) for s in scores.assess(review)}
    assert got == {
        "manual:1": (1.5, "assessed", True),
        "manual:2": (2.0, "assessed", False),
        "manual:3": (None, "in progress", False),
    }
    assert scores.excluded(review) == {"manual:1": 1.5}


def test_overridden_answer_scores_change_the_sum_and_the_cut_off(tmp_path):
    answers = "\n[quality.answers]\nyes = 2\npartly = 1\nno = 0\nunclear = 0\n"
    review = _review(tmp_path, "min_score = 3", answers)
    _answer(review, "r1", "manual:1", "yes", "unclear", "partly")  # 2 + 0 + 1 = 3: kept
    _answer(review, "r1", "manual:2", "partly", "unclear", "partly")  # 2 < 3: out
    got = {s.work_id: (s.score, s.max_score, s.below) for s in scores.assess(review)}
    assert got["manual:1"] == (3.0, 6.0, False) and got["manual:2"] == (2.0, 6.0, True)
    assert got["manual:3"] == (None, 6.0, False)


def test_two_coders_agree_or_are_settled_by_reconcile(tmp_path):
    review = _review(tmp_path)
    _answer(review, "r1", "manual:1", "yes", "partly", "no")
    _answer(review, "r2", "manual:1", "yes", "no", "no")
    s = scores.assess(review)[0]
    assert (s.status, s.score, s.below, s.coders) == ("unresolved", None, False, ("r1", "r2"))
    assert scores.excluded(review) == {}  # an unresolved study is not excluded
    works = [work(1), work(2), work(3)]
    settled, still = session.reconcile(review, "r1", works, {}, io.StringIO("n disagreed\n"))
    assert (settled, still) == (1, 0)
    s = scores.assess(review)[0]
    assert (s.status, s.score, s.answers["QA2"]) == ("assessed", 1.0, "no")
    assert scores.excluded(review) == {"manual:1": 1.0}


def test_an_answer_the_protocol_does_not_have_is_an_error(tmp_path):
    review = _review(tmp_path)
    _answer(review, "r1", "manual:1", "unclear", "yes", "yes")
    with pytest.raises(Exception, match="'unclear' to QA1 .* not in \\[quality.answers\\]"):
        scores.assess(review)


# --------------------------------------------------------------------------- PRISMA


def _with_quality(review, extra="min_score = 2"):
    path = review.protocol.path
    path.write_text(path.read_text("utf-8") + _quality(extra), "utf-8")
    return open_review(path)


def test_studies_below_the_cut_off_are_full_text_exclusions_in_prisma(tmp_path):
    review = build(tmp_path)
    before = compute(review)
    review = _with_quality(review)
    from slr.screen.state import stage_states

    ft = stage_states(review)[FT]
    included = [w for w, d in ft.final.items() if d.decision == "include"]
    a_study, kept, b_study = included[0], included[1], included[-1]  # b: citation searching
    _answer(review, "ana", a_study, "no", "partly", "yes")  # 1.5: out
    _answer(review, "ana", kept, "yes", "yes", "no")  # 2: kept
    _answer(review, "ana", b_study, "no", "no", "no")  # 0: out
    after = compute(review)  # compute() checks every PRISMA identity
    label = "QA: below the quality cut-off"
    assert after.databases.assessed == before.databases.assessed
    assert after.databases.excluded[label] == 1
    assert after.databases.included == before.databases.included - 1
    assert after.other.excluded[label] == 1 and after.other.included == before.other.included - 1
    assert after.new_studies == before.new_studies - 2
    assert after.new_reports == before.new_reports - 2
    for col in (after.databases, after.other):
        assert col.included == col.assessed - sum(col.excluded.values())
    assert f"{label} (n = 1)" in boxes(after)["reports_excluded"]


def test_without_a_cut_off_or_answers_prisma_is_unchanged(tmp_path):
    review = build(tmp_path)
    before = compute(review).to_dict()
    review = _with_quality(review, extra="")
    from slr.coding.log import included

    _answer(review, "ana", included(review)[0].work_id, "no", "no", "no")  # no min_score
    assert compute(review).to_dict() == before
    review = _with_quality(build(tmp_path / "b"))  # a cut-off, but nothing assessed yet
    assert compute(review).to_dict() == compute(build(tmp_path / "c")).to_dict()


# --------------------------------------------------------------------------- sheet


def test_sheet_round_trip_csv(tmp_path):
    review = _review(tmp_path)
    p = str(review.protocol.path)
    path = tmp_path / "q.csv"
    runner = CliRunner()
    out = runner.invoke(main, ["quality", "-p", p, "--coder", "r1", "--sheet", str(path)])
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    assert rows[0][:5] == ["work_id", "label", "authors", "year", "title"]
    assert rows[0][5:] == [
        "QA1: Are the aims clearly stated?",
        "QA2: Is the method described?",
        "QA3: Are the findings supported by data?",
    ]
    assert [r[0] for r in rows[1:]] == ["manual:1", "manual:2", "manual:3"]
    rows[1][5:] = ["Y", "partly", "n"]
    rows[2][5:] = ["yes", "", ""]  # empty cells stay unanswered
    rows[0].append("QA2 note")
    rows[1].append("one data set")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    out = runner.invoke(main, ["quality", "-p", p, "--coder", "r1", "--import", str(path)])
    assert out.exit_code == 0, out.output
    assert "3 studies, 4 answers" in out.output
    got = {k: (a.answer, a.note) for k, a in log.read(review, "r1").items()}
    assert got == {
        ("manual:1", "QA1"): ("yes", ""),
        ("manual:1", "QA2"): ("partly", "one data set"),
        ("manual:1", "QA3"): ("no", ""),
        ("manual:2", "QA1"): ("yes", ""),
    }
    out = runner.invoke(main, ["quality", "-p", p, "--coder", "r1", "--import", str(path)])
    assert "0 answers" in out.output  # the same sheet again writes nothing
    # the next template is pre-filled
    again = tmp_path / "q2.csv"
    runner.invoke(main, ["quality", "-p", p, "--coder", "r1", "--sheet", str(again)])
    assert list(csv.reader(io.StringIO(again.read_text("utf-8"))))[1][5:] == ["yes", "partly", "no"]


def test_sheet_round_trip_xlsx(tmp_path):
    review = _review(tmp_path)
    p = str(review.protocol.path)
    path = tmp_path / "q.xlsx"
    runner = CliRunner()
    assert (
        runner.invoke(main, ["quality", "-p", p, "--coder", "r1", "--sheet", str(path)]).exit_code
        == 0
    )
    wb = load_workbook(path)
    ws = wb.active
    assert ws["F1"].value == "QA1: Are the aims clearly stated?" and ws["A4"].value == "manual:3"
    ws["F4"], ws["G4"], ws["H4"] = "n", "N", "p"
    wb.save(path)
    out = runner.invoke(main, ["quality", "-p", p, "--coder", "r1", "--import", str(path)])
    assert out.exit_code == 0, out.output
    assert scores.assess(review)[2].score == 0.5 and scores.excluded(review) == {"manual:3": 0.5}


@pytest.mark.parametrize(
    ("edit", "where", "message"),
    [
        (lambda r: r[2].__setitem__(6, "maybe"), ":3:7:", "'maybe' is not an answer to QA2"),
        (lambda r: r[3].__setitem__(0, "manual:99"), ":4:1:", "unknown study id 'manual:99'"),
        (lambda r: r[0].__setitem__(7, "QA9: x"), ":1:8:", "unknown question 'QA9'"),
        (lambda r: r.append(list(r[1])), ":5:1:", "study manual:1 already on row 2"),
    ],
)
def test_sheet_errors_name_row_and_column_and_write_nothing(tmp_path, edit, where, message):
    review = _review(tmp_path)
    _answer(review, "r1", "manual:3", "yes")
    path = tmp_path / "q.csv"
    sheet.write_sheet(review, path, "r1", [work(1), work(2), work(3)], {})
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    rows[1][5:] = ["y", "y", "y"]  # valid answers on another row: not written either
    edit(rows)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    before = _snapshot(review)
    with pytest.raises(ImportError_) as exc:
        sheet.import_sheet(review, path, "r1", [work(1), work(2), work(3)])
    assert where in str(exc.value) and message in str(exc.value)
    assert "nothing was imported" in str(exc.value)
    assert _snapshot(review) == before
    out = CliRunner().invoke(
        main, ["quality", "-p", str(review.protocol.path), "--coder", "r1", "--import", str(path)]
    )
    assert out.exit_code == 1 and out.output.startswith("Error: ") and "Traceback" not in out.output


def test_a_filled_in_sheet_is_not_overwritten(tmp_path):
    review = _review(tmp_path)
    path = tmp_path / "q.csv"
    sheet.write_sheet(review, path, "r1", [work(1)], {})
    sheet.write_sheet(review, path, "r1", [work(1)], {})  # unchanged: fine
    path.write_text(path.read_text("utf-8").replace("\n", ",y\n", 2)[:-1] + "\n", "utf-8")
    with pytest.raises(Exception, match="may hold answers not imported yet"):
        sheet.write_sheet(review, path, "r1", [work(1)], {})


# --------------------------------------------------------------------------- line mode


def test_line_mode_saves_each_answer_and_resumes_at_the_next_question(tmp_path):
    review = _review(tmp_path)
    p = str(review.protocol.path)
    runner = CliRunner()
    out = runner.invoke(
        main, ["quality", "-p", p, "--coder", "r1"], input="y\nmaybe\np two sets\nq\n"
    )
    assert out.exit_code == 0, out.output
    assert "We survey MLOps." in out.output and "'maybe' is not an answer" in out.output
    assert "y = yes (1) · p = partly (0.5) · n = no (0)" in out.output
    got = {k: (a.answer, a.note) for k, a in log.read(review, "r1").items()}
    assert got == {("manual:1", "QA1"): ("yes", ""), ("manual:1", "QA2"): ("partly", "two sets")}
    out = runner.invoke(main, ["quality", "-p", p, "--coder", "r1"], input="n\n")  # then EOF
    first = out.output.split("[2/3]", 1)[0]  # study 1 resumes at its unanswered QA3
    assert "QA3: Are the findings" in first and "QA1:" not in first and "QA2:" not in first
    assert log.read(review, "r1")[("manual:1", "QA3")].answer == "no"
    assert review.store.quality_file("r1") == review.store.root / "quality" / "r1.jsonl"


def test_line_mode_shows_the_extracted_full_text(tmp_path, capsys):
    from slr.fulltext import text_path

    review = _review(tmp_path)
    path = text_path(review, "manual:2")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("The method section says 42 interviews.", "utf-8")
    _answer(review, "r1", "manual:1", "yes", "yes", "yes")
    session.run(review, "r1", [work(1), work(2), work(3)], {}, io.StringIO("q\n"))
    text = capsys.readouterr().out
    assert "[2/3]" in text and "42 interviews" in text and "Full text (1 pages" in text


# --------------------------------------------------------------------------- table and report


def _assessed(tmp_path):
    review = _review(tmp_path)
    _answer(review, "r1", "manual:1", "yes", "partly", "no")
    _answer(review, "r1", "manual:2", "yes", "yes", "no")
    return review


def test_table_formats(tmp_path):
    review = _assessed(tmp_path)
    runner = CliRunner()
    p = str(review.protocol.path)
    out = runner.invoke(main, ["quality", "-p", p, "--table", "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.output)))
    assert rows == [
        ["Study", "QA1", "QA2", "QA3", "Score (max 3)", "Quality"],
        ["Paleyes & Urma (2022)", "1", "0.5", "0", "1.5", "excluded (QA)"],
        ["Smith (2020)", "1", "1", "0", "2", "kept"],
        ["Tamburri (2020)", "", "", "", "", "not assessed"],
    ]
    md = runner.invoke(main, ["quality", "-p", p, "--table", "--format", "markdown"]).output
    assert "| Paleyes & Urma (2022) | 1 | 0.5 | 0 | 1.5 | excluded (QA) |" in md
    assert "| Tamburri (2020) |  |  |  |  | not assessed |" in md
    assert "Studies scoring below 2 are excluded (QA)" in md
    target = tmp_path / "q.tex"
    out = runner.invoke(
        main, ["quality", "-p", p, "--table", "--format", "latex", "-o", str(target)]
    )
    tex = target.read_text("utf-8")
    assert r"\begin{tabular}{lccccl}" in tex
    assert r"Paleyes \& Urma (2022) & 1 & 0.5 & 0 & 1.5 & excluded (QA) \\" in tex
    assert r"\caption{Quality assessment" in tex


def test_table_without_a_checklist_is_a_protocol_error(tmp_path):
    review = make_review(tmp_path, [{"id": "C1", "label": "M"}], [work(1)])
    out = CliRunner().invoke(main, ["quality", "-p", str(review.protocol.path), "--table"])
    assert (
        out.exit_code == 1 and "quality: no quality checklist; add a [quality] table" in out.output
    )


def test_report_has_a_quality_section_and_leaves_excluded_studies_out(tmp_path):
    review = _with_quality(build(tmp_path))
    from slr.coding.log import included

    first, second = (w.work_id for w in included(review)[:2])
    _answer(review, "ana", first, "no", "partly", "no")  # 0.5: out
    _answer(review, "ana", second, "yes", "yes", "yes")
    text = build_markdown(review)
    section = text.split("### Quality assessment", 1)[1].split("\n### ", 1)[0]
    assert "- QA1: Are the aims clearly stated?" in section
    assert "| excluded (QA) |" in section and "| kept |" in section and "not assessed" in section
    assert (
        "Cut-off: a score below 2 of 3 excludes a study (QA: below the quality cut-off)" in section
    )
    assert "1 study was excluded:" in section and ": score 0.5" in section
    included_list = text.split("### Included studies", 1)[1].split("\n### ", 1)[0]
    # build() includes Study 9, 10, 11 and Cited 2; Study 9 scored 0.5 and is left out
    assert "Study 9." not in included_list and "Study 10." in included_list
    assert "Cited 2." in included_list and "per source: OpenAlex 1, Scopus 2." in included_list
    assert "QA: below the quality cut-off (n = 1)" in text


def test_a_study_below_the_cut_off_is_not_coded_and_leaves_the_matrix(tmp_path):
    review = _with_quality(build(tmp_path))
    from slr.coding.log import included, included_at_full_text  # included: what is coded

    first, second = (w.work_id for w in included(review)[:2])
    _answer(review, "ana", first, "no", "partly", "no")  # 0.5: below the cut-off
    _answer(review, "ana", second, "yes", "yes", "yes")
    assert first in [w.work_id for w in included_at_full_text(review)]
    assert first not in [w.work_id for w in included(review)]
    assert second in [w.work_id for w in included(review)]
