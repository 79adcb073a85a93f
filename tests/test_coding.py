"""Coding logs, label overrides, keyword suggestions and coding agreement."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from test_coding_support import make_review, work

from slr.cli import main
from slr.coding.log import (
    Coding,
    agreement_from_logs,
    coders,
    coding_agreement,
    default_coder,
    format_coding_agreement,
    fulltext_path,
    latest,
    read_codings,
    read_labels,
    record_codings,
    set_labels,
    suggest,
    suggest_for,
)
from slr.errors import SlrError
from slr.protocol import Concept

CONCEPTS = [
    {"id": "C1", "label": "Model issues", "keywords": ["monitoring", "model drift"]},
    {"id": "C2", "label": "Testing", "keywords": ["test"]},
    {"id": "C3", "label": "Talent", "keywords": ["skill gap"]},
]


def test_log_keeps_history_and_latest_counts(tmp_path):
    review = make_review(tmp_path, CONCEPTS, [work(1)])
    record_codings(review, [Coding("ann", "manual:1", "C1", True, evidence="we monitor", page="4")])
    record_codings(review, [Coding("ann", "manual:1", "C1", False, note="on second reading")])
    log = read_codings(review, "ann")
    assert [c.present for c in log] == [True, False]
    assert latest(log)[("manual:1", "C1")].note == "on second reading"
    lines = [json.loads(x) for x in review.store.coding_file("ann").read_text("utf-8").splitlines()]
    assert set(lines[0]) == {
        "time",
        "coder",
        "work_id",
        "concept",
        "present",
        "evidence",
        "page",
        "note",
        "protocol_hash",
        "suggested",
    }
    assert lines[0]["protocol_hash"] == review.protocol.hash and lines[0]["page"] == "4"
    assert lines[0]["time"].endswith("Z")


def test_extra_keys_survive_a_round_trip():
    c = Coding("ann", "w", "C1", True, extra={"via": "sheet x.csv"})
    assert Coding.from_dict(c.to_dict()) == Coding(**{**c.__dict__, "time": c.to_dict()["time"]})


def test_a_bad_line_names_the_file(tmp_path):
    review = make_review(tmp_path, CONCEPTS, [work(1)])
    path = review.store.coding_file("ann")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"coder": "ann", "work_id": "manual:1"}\n', "utf-8")
    with pytest.raises(SlrError, match=r"ann\.jsonl:1: not a valid coding \(no 'concept'\)"):
        read_codings(review, "ann")


def test_coders_and_default_coder(tmp_path):
    review = make_review(tmp_path, CONCEPTS, [work(1)])
    assert coders(review) == [] and default_coder(review) == "r1"  # the protocol's reviewer
    record_codings(review, [Coding("bob", "manual:1", "C1", True)])
    assert default_coder(review) == "bob"
    record_codings(review, [Coding("ann", "manual:1", "C1", True)])
    assert coders(review) == ["ann", "bob"]
    with pytest.raises(SlrError, match="several coders"):
        default_coder(review)


def test_labels_file_is_append_only_and_latest_wins(tmp_path):
    review = make_review(tmp_path, CONCEPTS, [work(1), work(2)])
    set_labels(review, {"manual:1": "One (2020)", "manual:2": "Two (2020)"})
    set_labels(review, {"manual:1": "Uno (2020)", "manual:2": ""})
    assert read_labels(review) == {"manual:1": "Uno (2020)"}
    assert len((review.store.root / "labels.jsonl").read_text("utf-8").splitlines()) == 4


# ---------------------------------------------------------------- suggestions


def test_suggestions_from_title_abstract_keywords_and_full_text(tmp_path):
    concepts = tuple(Concept(c["id"], c["label"], None, tuple(c["keywords"])) for c in CONCEPTS)
    hits = suggest(
        concepts,
        title="Monitoring ML in production",
        abstract="We studied model  drift and testing practices.",
        keywords=(),
        fulltext="A skill-gap was reported by all teams.",
    )
    assert hits["C1"].where == "title" and hits["C1"].keyword == "monitoring"
    assert hits["C2"].where == "abstract" and hits["C2"].keyword == "test"  # prefix: testing
    assert hits["C3"].where == "full text" and "skill-gap" in hits["C3"].snippet
    assert suggest(concepts, "Attestation of contests", None) == {}  # word starts only


def test_suggest_for_reads_the_kept_full_text(tmp_path):
    w = work(1, abstract="Nothing relevant.")
    review = make_review(tmp_path, CONCEPTS, [w])
    assert suggest_for(review, w) == {}
    path = fulltext_path(review, w.work_id)
    assert path.name == "manual_1.txt"
    path.parent.mkdir(parents=True)
    path.write_text("Section 4: monitoring in production.", "utf-8")
    assert set(suggest_for(review, w)) == {"C1"}


# ---------------------------------------------------------------- agreement


def _logs(spec: dict[str, list[bool]], concept: str = "C1") -> dict:
    return {
        coder: latest([Coding(coder, f"w{i}", concept, v) for i, v in enumerate(values)])
        for coder, values in spec.items()
    }


def test_cohen_kappa_per_concept_matches_the_worked_example():
    # methods.md section 4: a = 20, b = 10, c = 20, d = 150 -> kappa 0.482759, AC1 0.789104
    a = [True] * 20 + [True] * 10 + [False] * 20 + [False] * 150
    b = [True] * 20 + [False] * 10 + [True] * 20 + [False] * 150
    concepts = [Concept("C1", "Model issues")]
    result = agreement_from_logs(_logs({"ann": a, "bob": b}), concepts)
    row = result["concepts"][0]
    assert result["method"] == "cohen" and row["n"] == 200
    assert row["percent_agreement"] == pytest.approx(0.85)
    assert row["kappa"] == pytest.approx(0.482759, abs=1e-6)
    assert row["ac1"] == pytest.approx(0.789104, abs=1e-6)
    assert row["band"] == "moderate"
    assert len(result["disagreements"]) == 30
    assert result["disagreements"][0] == {
        "work_id": "w20",
        "concept": "C1",
        "values": {"ann": True, "bob": False},
    }


def test_kappa_degenerate_cases():
    concepts = [Concept("C1", "x")]
    same = agreement_from_logs(_logs({"ann": [False] * 5, "bob": [False] * 5}), concepts)
    assert math.isnan(same["concepts"][0]["kappa"]) and same["disagreements"] == []
    assert "undefined" in format_coding_agreement(same)
    # one coder marks everything present, the other half: kappa 0 (agreement is chance)
    one_sided = agreement_from_logs(
        _logs({"ann": [True] * 4, "bob": [True, True, False, False]}), concepts
    )
    assert one_sided["concepts"][0]["kappa"] == pytest.approx(0.0)


def test_only_studies_both_coded_are_compared():
    concepts = [Concept("C1", "x")]
    logs = _logs({"ann": [True, False, True], "bob": [True, False]})
    row = agreement_from_logs(logs, concepts)["concepts"][0]
    assert row["n"] == 2 and row["percent_agreement"] == 1.0


def test_fleiss_for_three_coders():
    # methods.md section 4: [3,0],[0,3],[2,1],[0,3],[1,2],[0,3] -> kappa 0.5
    items = [(3, 0), (0, 3), (2, 1), (0, 3), (1, 2), (0, 3)]
    spec: dict[str, list[bool]] = {"a": [], "b": [], "c": []}
    for yes, _ in items:
        for k, coder in enumerate("abc"):
            spec[coder].append(k < yes)
    result = agreement_from_logs(_logs(spec), [Concept("C1", "x")])
    assert result["method"] == "fleiss"
    assert result["concepts"][0]["kappa"] == pytest.approx(0.5)


def test_one_coder_is_noted_not_compared():
    result = agreement_from_logs(_logs({"ann": [True]}), [Concept("C1", "x")])
    assert "fewer than two coders" in result["note"]


def test_agreement_command_reports_kappa_and_disagreements(tmp_path):
    review = make_review(tmp_path, CONCEPTS, [work(1), work(2), work(3)])
    for coder, marks in (("ann", "110 100 011"), ("bob", "110 110 001")):
        record_codings(
            review,
            [
                Coding(coder, f"manual:{i + 1}", f"C{j + 1}", m == "1")
                for i, study in enumerate(marks.split())
                for j, m in enumerate(study)
            ],
        )
    result = coding_agreement(review)
    assert [r["n"] for r in result["concepts"]] == [3, 3, 3]
    assert [(d["work_id"], d["concept"]) for d in result["disagreements"]] == [
        ("manual:2", "C2"),
        ("manual:3", "C2"),
    ]
    assert result["concepts"][0]["kappa"] == pytest.approx(1.0)
    runner = CliRunner()
    out = runner.invoke(main, ["agreement", "--coding", "-p", str(review.protocol.path)])
    assert out.exit_code == 0, out.output
    assert "Cohen's kappa" in out.output
    assert "manual:2  C2: ann absent, bob present" in out.output
    out = runner.invoke(main, ["agreement", "--coding", "--json", "-p", str(review.protocol.path)])
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    assert data["concepts"][0]["kappa"] == 1.0 and len(data["disagreements"]) == 2
