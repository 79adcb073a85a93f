"""Data extraction (issue 18 item 1): the form's types, the session, the sheet, SIGKILL, reconcile."""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner
from test_coding_support import ROOT, make_review, work

from slr.cli import main
from slr.decisions import Decision, record_decision
from slr.errors import ProtocolError
from slr.extraction import form, reconcile
from slr.extraction import log as xlog
from slr.extraction.sheet import SheetErrors, import_sheet
from slr.protocol import Field, loads
from slr.screen import agreement

HEAD = """\
[review]
id = "t"
title = "Extraction test"
reviewers = ["r1", "r2"]
[search]
query = "mlops"
sources = ["openalex"]
"""
FORM = """\
[[extraction]]
id = "n"
label = "Sample size"
type = "integer"
required = true
help = "participants"

[[extraction]]
id = "effect"
label = "Effect size"
type = "number"

[[extraction]]
id = "method"
label = "Method"
type = "category"
values = ["survey", "case study", "experiment"]

[[extraction]]
id = "domains"
label = "Domains"
type = "category"
values = ["health", "finance", "retail"]
multiple = true

[[extraction]]
id = "open"
label = "Open data"
type = "boolean"

[[extraction]]
id = "notes"
label = "Notes"
type = "text"

[[extraction]]
id = "collected"
label = "Data collected"
type = "date"
"""


def _review(tmp_path, n: int = 3):
    works = [work(i + 1, abstract=f"Abstract of study {i + 1}.") for i in range(n)]
    review = make_review(tmp_path, [], works, protocol=HEAD + FORM)
    for stage in ("title-abstract", "full-text"):  # the second reviewer agrees: included
        for w in works:
            record_decision(review, Decision("r2", stage, w.work_id, "include"))
    return review


def _fields():
    return {f.id: f for f in loads(HEAD + FORM).extraction}


# --------------------------------------------------------------------------- protocol


def test_protocol_declares_the_form():
    fields = _fields()
    assert list(fields) == ["n", "effect", "method", "domains", "open", "notes", "collected"]
    assert fields["n"] == Field("n", "Sample size", "integer", required=True, help="participants")
    assert fields["domains"].multiple and fields["domains"].values == (
        "health",
        "finance",
        "retail",
    )


@pytest.mark.parametrize(
    ("table", "line", "message"),
    [
        ('id = "x"\nlabel = "X"\ntype = "float"', 11, "extraction[0].type: unknown type 'float'"),
        ('id = "x"\nlabel = "X"\ntype = "category"', 8, "a category needs its values"),
        (
            'id = "x"\nlabel = "X"\ntype = "text"\nvalues = ["a"]',
            12,
            "only a category takes values",
        ),
        ('id = "x"\nlabel = "X"\ntype = "text"\nrequired = "yes"', 12, "must be true or false"),
        ('id = "x"\nlabel = "X"', 8, "missing required key 'type'"),
        ('id = "1x"\nlabel = "X"\ntype = "text"', 9, "invalid id '1x'"),
    ],
)
def test_protocol_form_errors_name_file_line_and_key(table, line, message):
    with pytest.raises(ProtocolError) as exc:
        loads(HEAD + "[[extraction]]\n" + table + "\n")
    assert str(exc.value).startswith(f"<protocol>:{line}: ")
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_protocol_duplicate_field_id():
    text = HEAD + '[[extraction]]\nid = "a"\nlabel = "A"\ntype = "text"\n' * 2
    with pytest.raises(ProtocolError, match=r"<protocol>:13: extraction\[1\].id: duplicate id 'a'"):
        loads(text)


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("fid", "text", "value"),
    [
        ("n", "120", 120),
        ("n", "-3", -3),
        ("effect", "0.42", 0.42),
        ("effect", "1e-3", 0.001),
        ("effect", "12", 12.0),
        ("method", "Case Study", "case study"),
        ("domains", "retail; health", ["health", "retail"]),
        ("domains", "finance", ["finance"]),
        ("open", "yes", True),
        ("open", "N", False),
        ("notes", "  anything | at all ", "anything | at all"),
        ("collected", "2021", "2021"),
        ("collected", "2021-02", "2021-02"),
        ("collected", "2020-02-29", "2020-02-29"),
        ("effect", "", None),
    ],
)
def test_valid_values(fid, text, value):
    assert form.parse_value(_fields()[fid], text) == value


@pytest.mark.parametrize(
    ("fid", "text"),
    [
        ("n", "12.5"),
        ("n", "1,200"),
        ("n", "twelve"),
        ("effect", "1,5"),
        ("effect", "nan"),
        ("effect", "inf"),
        ("method", "interview"),
        ("method", "survey; experiment"),  # not multiple: one value
        ("domains", "health; energy"),
        ("open", "maybe"),
        ("collected", "2021-02-30"),
        ("collected", "21/02/2021"),
    ],
)
def test_bad_values_are_rejected_with_the_field_named(fid, text):
    with pytest.raises(form.FormError) as exc:
        form.parse_value(_fields()[fid], text)
    assert str(exc.value).startswith(f"{fid}: ") and form.expects(_fields()[fid]) in str(exc.value)


# --------------------------------------------------------------------------- session


def _run(review, text: str, *args: str):
    return CliRunner().invoke(main, ["extract", "-p", str(review.protocol.path), *args], input=text)


def test_session_type_checks_saves_evidence_and_resumes(tmp_path):
    review = _review(tmp_path, 2)
    # study 1: a bad n (re-asked), then n with evidence and page; an empty required n is
    # re-asked too; effect not reported; the rest; study 2: quit at once
    script = "\n".join(
        ["", "many", "42 | We recruited 42 engineers | 3", "- ", "survey",
         "health;finance", "y", "", "2019", ":q"]
    ) + "\n"  # fmt: skip
    result = _run(review, script, "--coder", "R1")  # a reviewer name in any case
    assert result.exit_code == 0, result.output
    assert "n: required; enter a whole number" in result.output
    assert "n: 'many' is not a whole number" in result.output
    assert "Abstract of study 1." in result.output
    assert "7 values saved by r1." in result.output
    got = xlog.latest(xlog.read_values(review, "r1"))
    n = got[("manual:1", "n")]
    assert (n.value, n.evidence, n.page) == (42, "We recruited 42 engineers", "3")
    assert got[("manual:1", "effect")].value is None
    assert got[("manual:1", "domains")].value == ["health", "finance"]
    assert got[("manual:1", "notes")].value is None
    assert ("manual:2", "n") not in got
    again = _run(review, ":q\n", "--coder", "r1")
    assert "Study 2 of 2" in again.output and "Study 1 of 2" not in again.output


def test_unknown_coder_is_refused(tmp_path):
    review = _review(tmp_path, 1)
    result = _run(review, "", "--coder", "mallory")
    assert result.exit_code == 1
    assert "unknown coder 'mallory': the protocol lists r1, r2" in result.output


def test_session_shows_the_full_text_page(tmp_path):
    from slr.fulltext import join_pages, text_path

    review = _review(tmp_path, 1)
    path = text_path(review, "manual:1")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(join_pages(["First page words.", "Second page: N = 42."]), "utf-8")
    result = _run(review, ":p 2\n:q\n", "--coder", "r1")
    assert "Full text, page 1 of 2" in result.output and "First page words." in result.output
    assert "Second page: N = 42." in result.output


def test_sigkill_loses_no_saved_value_and_resumes_at_the_next_study(tmp_path):
    review = _review(tmp_path, 3)
    cmd = [sys.executable, "-m", "slr", "extract", "-p", str(review.protocol.path)]
    cmd += ["--coder", "r1", "--plain"]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    guard = threading.Timer(600, proc.kill)  # only against a hang, never a timing assumption
    guard.start()
    try:
        assert proc.stdin is not None and proc.stdout is not None
        # study 1 complete (7 fields), then study 2's first value only
        proc.stdin.write(b"10\n1.5\nsurvey\nhealth\nno\nnote\n2020\n11\n")
        proc.stdin.flush()
        marker = b"saved n = 11"
        while (line := proc.stdout.readline()) and marker not in line:
            pass
        assert marker in line
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        guard.cancel()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    got = xlog.latest(xlog.read_values(review, "r1"))
    assert len([k for k in got if k[0] == "manual:1"]) == 7
    assert got[("manual:2", "n")].value == 11
    # the next run starts at study 2 (its first open field), n offered as already entered
    result = _run(review, ":q\n", "--coder", "r1")
    assert "Study 2 of 3" in result.output and "Study 1 of 3" not in result.output
    assert "n [11]> " in result.output


# --------------------------------------------------------------------------- sheet


def _read_csv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_sheet_round_trip(tmp_path, suffix):
    review = _review(tmp_path, 2)
    sheet = tmp_path / f"x{suffix}"
    result = _run(review, "", "--sheet", str(sheet), "--coder", "r1")
    assert result.exit_code == 0, result.output
    from slr.coding.sheet import read_table

    rows = read_table(sheet)
    assert rows[0][:7] == ["work_id", "authors", "year", "title", "n", "n_evidence", "n_page"]
    rows[1][4:7] = ["12", "twelve people", "2"]
    rows[1][rows[0].index("domains")] = "finance;health"
    rows[1][rows[0].index("effect")] = "-"
    rows[2][4] = "30"
    rows[2][rows[0].index("open")] = "true"
    out = tmp_path / "filled.csv"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = _run(review, "", "--import", str(out), "--coder", "r1")
    assert result.exit_code == 0, result.output
    assert "2 studies, 5 values written" in result.output
    got = xlog.latest(xlog.read_values(review, "r1"))
    assert (got[("manual:1", "n")].value, got[("manual:1", "n")].evidence) == (12, "twelve people")
    assert got[("manual:1", "domains")].value == ["health", "finance"]
    assert got[("manual:1", "effect")].value is None
    assert got[("manual:2", "open")].value is True
    # the sheet written now carries the values; importing it again writes nothing
    again = tmp_path / f"again{suffix}"
    _run(review, "", "--sheet", str(again), "--coder", "r1")
    assert read_table(again)[1][4:7] == ["12", "twelve people", "2"]
    before = (review.store.extraction_dir / "r1.jsonl").read_bytes()
    result = _run(review, "", "--import", str(again), "--coder", "r1")
    assert "0 values written" in result.output
    assert (review.store.extraction_dir / "r1.jsonl").read_bytes() == before


def test_sheet_errors_are_all_listed_and_nothing_is_written(tmp_path):
    review = _review(tmp_path, 2)
    sheet = tmp_path / "x.csv"
    _run(review, "", "--sheet", str(sheet), "--coder", "r1")
    rows = _read_csv(sheet)
    head = rows[0]
    rows[1][head.index("n")] = "12"  # fine on its own
    rows[1][head.index("method")] = "interview"
    rows[2][head.index("collected")] = "2021-13"
    rows[2][head.index("open_page")] = "iv"
    rows[2][head.index("open")] = "yes"
    rows.append(["manual:99"] + [""] * (len(head) - 1))
    with open(sheet, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = _run(review, "", "--import", str(sheet), "--coder", "r1")
    assert result.exit_code == 1
    col = {name: i + 1 for i, name in enumerate(head)}
    lines = result.output.splitlines()
    assert lines[0] == (
        f"Error: {sheet}:2:{col['method']}: method: 'interview' is not one of survey | "
        "case study | experiment; fix the cell"
    )
    assert lines[1].startswith(f"Error: {sheet}:3:{col['open_page']}: open_page: 'iv'")
    assert lines[2].startswith(f"Error: {sheet}:3:{col['collected']}: collected: '2021-13'")
    assert lines[3].startswith(f"Error: {sheet}:4:1: unknown study id 'manual:99'")
    assert lines[4] == "Error: 4 problem(s); nothing was imported"
    assert not (review.store.extraction_dir / "r1.jsonl").exists()


def test_sheet_header_errors(tmp_path):
    review = _review(tmp_path, 1)
    sheet = tmp_path / "x.csv"
    sheet.write_text("id,n,n_evidense\nmanual:1,3,\n", "utf-8")
    with pytest.raises(SheetErrors) as exc:
        import_sheet(review, sheet, "r1")
    assert exc.value.lines == [
        f"{sheet}:1:1: unknown column 'id': not a field of the protocol; fix or remove it",
        f"{sheet}:1:3: unknown column 'n_evidense': not a field of the protocol; fix or remove it",
        f"{sheet}:1:1: no work_id column; write a template with `slr extract --sheet`",
    ]


# --------------------------------------------------------------------------- agreement


def _values(coder, fid, values):
    return {(f"w{i}", fid): xlog.Value(coder, f"w{i}", fid, v) for i, v in enumerate(values)}


def test_kappa_on_a_boolean_field_matches_methods_md():
    # methods.md section 4: a = 20 both yes, b = 10 A only, c = 20 B only, d = 150 both no
    a = [True] * 20 + [True] * 10 + [False] * 20 + [False] * 150
    b = [True] * 20 + [False] * 10 + [True] * 20 + [False] * 150
    f = _fields()["open"]
    got = reconcile.compare((f,), _values("r1", "open", a), _values("r2", "open", b), ("r1", "r2"))
    row = got.fields[0]
    assert row.n == 200 and row.agreed == 170 and row.exact == pytest.approx(0.85)
    assert row.kappa == pytest.approx(0.482759, abs=1e-6)
    assert len(got.disagreements) == 30


def test_kappa_on_a_category_field_hand_computed():
    # 3x3 table [[13,0,0],[0,20,7],[0,4,56]] (methods.md cross-check, irrCAC) -> 0.7964094
    cats = ["survey", "case study", "experiment"]
    table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    a, b = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [cats[i]] * count
            b += [cats[j]] * count
    f = _fields()["method"]
    got = reconcile.compare(
        (f,), _values("r1", "method", a), _values("r2", "method", b), ("r1", "r2")
    )
    assert got.fields[0].kappa == pytest.approx(0.7964094, abs=1e-7)
    assert got.fields[0].exact == pytest.approx(89 / 100)


def test_icc_2_1_hand_computed_and_shrout_fleiss():
    # two raters, targets (1,2), (3,3), (5,4): MSR 4.5, MSC 0, MSE 0.5 ->
    # ICC(2,1) = (4.5 - 0.5) / (4.5 + 0.5 + 2 (0 - 0.5) / 3) = 12/14
    assert reconcile.icc_2_1([[1, 2], [3, 3], [5, 4]]) == pytest.approx(12 / 14)
    # Shrout & Fleiss (1979) Table 2, 6 targets x 4 judges: ICC(2,1) = 0.29
    sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    assert reconcile.icc_2_1(sf) == pytest.approx(0.2898, abs=1e-4)
    assert math.isnan(reconcile.icc_2_1([[1, 1], [1, 1]]))
    assert math.isnan(reconcile.icc_2_1([[1, 2]]))


def test_numbers_exact_agreement_and_icc_from_logs():
    f = _fields()["n"]
    a = _values("r1", "n", [1, 3, 5, None])
    b = _values("r2", "n", [2, 3, 4, None])
    got = reconcile.compare((f,), a, b, ("r1", "r2")).fields[0]
    assert (got.n, got.agreed, got.n_icc) == (4, 2, 3)  # both "not reported" agree
    assert got.icc == pytest.approx(12 / 14)
    assert math.isnan(got.kappa)
    assert agreement.cohen_kappa([[1]]) != agreement.cohen_kappa([[1]])  # NaN, as kappa is


def _enter(review, coder: str, values: dict[str, list]):
    lines = [
        xlog.Value(coder, f"manual:{i + 1}", fid, v)
        for fid, vals in values.items()
        for i, v in enumerate(vals)
    ]
    xlog.record_values(review, lines)


def test_reconcile_settles_disagreements_into_consensus_and_export_prefers_it(tmp_path):
    review = _review(tmp_path, 3)
    _enter(review, "r1", {"n": [10, 20, 30], "method": ["survey", "survey", "experiment"]})
    _enter(review, "r2", {"n": [10, 25, 30], "method": ["survey", "case study", "experiment"]})
    # first disagreement (study 2, n): a bad typed value is re-asked, then =22;
    # the second (study 2, method): take coder 2's value
    result = _run(review, "=lots\n=22\n2\n", "--reconcile")
    assert result.exit_code == 0, result.output
    # n: (10,10), (20,25), (30,30): MSR 204.17, MSC = MSE = 4.1667 -> ICC(2,1) = 200/208.33
    assert "n                    integer       3   66.7%       -   0.960" in result.output
    assert "2 disagreements not yet reconciled" in result.output
    assert "n: 'lots' is not a whole number" in result.output
    assert "2 disagreements reconciled into the consensus log." in result.output
    consensus = xlog.latest(xlog.read_values(review, xlog.CONSENSUS))
    assert consensus[("manual:2", "n")].value == 22
    assert consensus[("manual:2", "method")].value == "case study"
    again = _run(review, "", "--reconcile")
    assert "0 disagreements not yet reconciled" in again.output

    tidy = _run(review, "", "--export", "csv")
    rows = list(csv.reader(tidy.output.splitlines()))
    assert rows[0] == ["study", "field", "value", "coder", "evidence", "page"]
    assert ["manual:2", "n", "22", "consensus", "", ""] in rows
    assert not any(r[:2] == ["manual:2", "n"] and r[3] != "consensus" for r in rows)
    assert ["manual:1", "n", "10", "r1", "", ""] in rows and [
        "manual:1",
        "n",
        "10",
        "r2",
        "",
        "",
    ] in rows
    out = tmp_path / "wide.xlsx"
    wide = _run(review, "", "--export", "xlsx", "--wide", "-o", str(out))
    assert wide.exit_code == 0, wide.output
    from slr.coding.sheet import read_table

    table = read_table(out)
    n_col, m_col = table[0].index("n"), table[0].index("method")
    assert [r[n_col] for r in table[1:]] == ["10", "22", "30"]
    assert [r[m_col] for r in table[1:]] == ["survey", "case study", "experiment"]


def test_wide_export_leaves_unreconciled_disagreements_empty(tmp_path):
    review = _review(tmp_path, 2)
    _enter(review, "r1", {"notes": ["Uses Kafka", "x"]})
    _enter(review, "r2", {"notes": ["uses  kafka", "y"]})
    result = _run(review, "", "--export", "csv", "--wide")
    rows = list(csv.reader(result.stdout.splitlines()))
    col = rows[0].index("notes")
    assert [r[col] for r in rows[1:]] == ["Uses Kafka", ""]  # case and spacing agree
    assert "Warning: 1 cells left empty" in result.stderr


def test_log_lines_are_plain_json(tmp_path):
    review = _review(tmp_path, 1)
    _enter(review, "r1", {"domains": [["health"]]})
    line = json.loads((review.store.extraction_dir / "r1.jsonl").read_text("utf-8"))
    assert line["field"] == "domains" and line["value"] == ["health"]
    assert line["protocol_hash"] == review.protocol.hash


def test_a_bad_log_line_is_named_and_a_torn_last_line_skipped(tmp_path):
    from slr.errors import StoreError
    from slr.review import open_review
    from slr.store import TornLineWarning

    review = _review(tmp_path, 1)
    _enter(review, "r1", {"n": [5]})
    path = review.store.extraction_dir / "r1.jsonl"
    good = path.read_text("utf-8")
    path.write_text(good + '{"coder": "r1", "work_id": "manual:1"', "utf-8")  # cut by a crash
    with pytest.warns(TornLineWarning):
        assert [v.value for v in xlog.read_values(open_review(review.protocol.path), "r1")] == [5]
    path.write_text(good + '{"coder": 3, "work_id": "manual:1", "field": "n", "value": 1}\n')
    with pytest.raises(StoreError, match=rf"{path}:2: not a valid extracted value"):
        xlog.read_values(open_review(review.protocol.path), "r1")
