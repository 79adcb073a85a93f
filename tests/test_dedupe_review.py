"""`slr dedupe` on a review: works.jsonl, incremental runs, decisions carried over, grey answers."""

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import new_review

from slr.cli import main
from slr.corpus import add_records
from slr.decisions import Decision, current, read_log, record_decision
from slr.dedupe.grey import answers_path, load_answers, record_answer
from slr.dedupe.incremental import update
from slr.records import Record
from slr.studies import load_links
from slr.works import load_works, record_index, resolve_work_id

ROOT = Path(__file__).resolve().parents[1]
TITLE = "Soil fauna diversity at different stages of reed restoration in a lakeshore wetland"


def _scopus():
    return [
        Record(
            "scopus",
            "1",
            title=TITLE,
            authors=("Li, W.", "Dou, Z."),
            year=2020,
            venue="Ecosystem Health and Sustainability",
            volume="6",
            issue="1",
            doi="10.1080/20964129.2020.1722034",
            abstract="Short abstract.",
        ),
        Record(
            "scopus",
            "2",
            title="Impacts of land conversion on net primary productivity",
            authors=("Cao, F.",),
            year=2020,
            venue="Ecosystem Health and Sustainability",
            volume="6",
            doi="10.1080/20964129.2020.1749010",
        ),
        Record(
            "scopus",
            "3",
            title="Impacts of land conversion on grassland productivity",
            authors=("Cao, F.",),
            year=2020,
            venue="Ecosystem Health and Sustainability",
        ),
    ]


def _wos():
    return [
        Record(
            "wos",
            "A",
            title=TITLE.upper(),
            authors=("Li, Wei", "Dou, Zhiguo"),
            year=2020,
            venue="ECOSYSTEM HEALTH AND SUSTAINABILITY",
            volume="6",
            issue="1",
            doi="10.1080/20964129.2020.1722034",
            type="article",
            abstract="A much longer abstract delivered by Web of Science, kept in the work.",
        ),
    ]


def test_works_link_sources_keep_every_record_and_merge_the_richest_fields(tmp_path):
    review = new_review(tmp_path)
    add_records(review, _scopus() + _wos())
    outcome = update(review)
    works = load_works(review)
    assert [w.work_id for w in works] == ["scopus:1", "scopus:2", "scopus:3"]
    soil = works[0]
    assert soil.record_ids == ("scopus:1", "wos:A") and soil.sources == ("scopus", "wos")
    assert soil.rules["wos:A"].startswith("doi")
    canon = soil.canonical
    assert canon.id == "scopus:1" and canon.title == TITLE  # not the all-caps one
    assert canon.abstract.startswith("A much longer") and canon.authors[0] == "Li, Wei"
    assert canon.extra["provenance"]["abstract"] == "wos:A"
    assert sum(len(w.record_ids) for w in works) == 4 == len(outcome.records)


def test_incremental_run_matches_new_records_and_carries_decisions_over(tmp_path):
    review = new_review(tmp_path)
    add_records(review, _scopus())
    assert update(review).mode == "full"
    record_decision(review, Decision("ana", "title-abstract", "scopus:1", "include"))
    record_decision(review, Decision("ana", "title-abstract", "scopus:3", "exclude", ("EC2",)))
    # a later search brings a duplicate of scopus:1 and a record bridging nothing
    add_records(review, _wos())
    outcome = update(review)
    assert outcome.mode == "incremental" and outcome.new_records == 1
    index = record_index(load_works(review))
    assert index["wos:A"] == "scopus:1"  # joined the existing work, whose id is unchanged
    standing = current(read_log(review, "ana"), "title-abstract")
    carried = {resolve_work_id(w, index): d.decision for w, d in standing.items()}
    assert carried[index["wos:A"]] == "include"
    # the incremental result is what a full run computes
    full = update(review, full=True, save=False)
    assert [w.record_ids for w in full.works] == [w.record_ids for w in outcome.works]


def test_a_new_record_can_merge_two_works_and_old_ids_resolve_to_the_merged_work(tmp_path):
    review = new_review(tmp_path)
    title = "Eculizumab for atypical hemolytic uremic syndrome in adults"
    first = Record(
        "pubmed",
        "1",
        title=title,
        authors=("Legendre, C.",),
        year=2013,
        venue="N Engl J Med",
        volume="368",
        pages="2169-2181",
    )
    # another database lists the authors differently: only a grey pair, two works
    second = Record(
        "embase",
        "2",
        title=title + ".",
        authors=("Licht, C.", "Greenbaum, L."),
        year=2013,
        doi="10.1056/NEJMoa1208981",
    )
    add_records(review, [first, second])
    assert len(update(review).works) == 2
    record_decision(review, Decision("ana", "title-abstract", "embase:2", "include"))
    bridge = Record(
        "scopus",
        "3",
        title=title,
        authors=("Legendre, C.", "Licht, C."),
        year=2013,
        venue="New England Journal of Medicine",
        volume="368",
        pages="2169-81",
        doi="10.1056/NEJMoa1208981",
    )
    add_records(review, [bridge])
    outcome = update(review)
    assert outcome.mode == "incremental"
    works = load_works(review)
    assert [w.record_ids for w in works] == [("pubmed:1", "embase:2", "scopus:3")]
    index = record_index(works)
    assert resolve_work_id("embase:2", index) == "pubmed:1"
    standing = current(read_log(review, "ana"), "title-abstract")
    assert {resolve_work_id(w, index) for w in standing} == {"pubmed:1"}


def test_grey_answers_are_stored_and_reapplied_on_every_run(tmp_path):
    review = new_review(tmp_path)
    a = Record(
        "scopus",
        "1",
        title="Immunotherapy of established lesions caused by HPV",
        authors=("Melief, C J M",),
        year=2010,
        venue="Cancer Prevention Research",
        volume="3",
    )
    b = Record(
        "scopus",
        "2",
        title="Immunotherapy of established lesions caused by HPV",
        authors=("Melief, C J M",),
        year=2010,
        venue="Clinical Cancer Research",
        volume="16",
    )
    add_records(review, [a, b])
    outcome = update(review)
    assert len(outcome.works) == 2 and len(outcome.questions) == 1
    path = answers_path(review)
    record_answer(path, "scopus:2", "scopus:1", "y")
    assert len(update(review).works) == 1
    assert len(update(review, full=True).works) == 1  # a full run applies it too
    record_answer(path, "scopus:1", "scopus:2", "undo")
    record_answer(path, "scopus:1", "scopus:2", "n")
    outcome = update(review)
    assert outcome.mode == "full"  # an `n` inside an existing work forces a full run
    assert len(outcome.works) == 2 and outcome.questions == []
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [x["answer"] for x in lines] == ["y", "undo", "n"]  # append-only history
    assert load_answers(path) == {("scopus:1", "scopus:2"): "n"}


def _grey_review(tmp_path):
    review = new_review(tmp_path)
    add_records(
        review,
        [
            Record(
                "scopus",
                "1",
                title="Immunotherapy of established lesions caused by HPV",
                authors=("Melief, C J M",),
                year=2010,
                venue="Cancer Prevention Research",
                volume="3",
            ),
            Record(
                "scopus",
                "2",
                title="Immunotherapy of established lesions caused by HPV",
                authors=("Melief, C J M",),
                year=2010,
                venue="Clinical Cancer Research",
                volume="16",
            ),
        ],
    )
    return review


def test_cli_review_loop_answers_undoes_and_reapplies(tmp_path, monkeypatch):
    review = _grey_review(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["dedupe", "-q"])
    assert result.exit_code == 0, result.output
    assert "1 pair(s) in the grey zone" in result.output and "2 records -> 2 works" in result.output
    # y, then undo it, then n; the side-by-side view marks differing fields with *
    result = runner.invoke(main, ["dedupe", "--review", "-q"], input="x\ny\nu\nn\n")
    assert result.exit_code == 0, result.output
    assert "* venue" in result.output and "press y, s, n, u or q" in result.output
    assert "undone: scopus:1 / scopus:2" in result.output
    assert "answers saved: 1 same work, 0 same study, 1 unrelated, 1 undone" in result.output
    assert load_answers(answers_path(review)) == {("scopus:1", "scopus:2"): "n"}
    assert len(load_works(review)) == 2
    # a later session can undo the stored answer and change it
    result = runner.invoke(main, ["dedupe", "--review", "-q"], input="u\ny\nq\n")
    assert result.exit_code == 0, result.output
    assert "no grey-zone pairs to decide" in result.output
    assert len(load_works(review)) == 1
    # quitting at once records nothing
    before = answers_path(review).read_text()
    result = runner.invoke(main, ["dedupe", "--review", "-q"], input="q\n")
    assert result.exit_code == 0 and answers_path(review).read_text() == before


def test_cli_explain_shows_rules_evidence_and_kept_apart_records(tmp_path, monkeypatch):
    review = new_review(tmp_path)
    erratum = Record(
        "wos",
        "E",
        title="Erratum: " + TITLE,
        authors=("Li, W.",),
        year=2020,
        venue="Ecosystem Health and Sustainability",
        volume="6",
    )
    add_records(review, _scopus() + _wos() + [erratum])
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["dedupe", "-q"]).exit_code == 0
    result = runner.invoke(main, ["dedupe", "--explain", "wos:A"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "work scopus:1: 2 record(s) from scopus, wos" in out
    assert "doi (100.0) with scopus:1" in out and "doi same" in out
    assert "kept apart: scopus:1 / wos:E (item-vs-notice)" in out
    bad = runner.invoke(main, ["dedupe", "--explain", "nope:1"])
    assert bad.exit_code == 1 and bad.output.startswith("Error: 'nope:1': no such record")


def test_cli_errors_are_one_line(tmp_path, monkeypatch):
    new_review(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["dedupe"])
    assert result.exit_code == 1 and "no records yet" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = runner.invoke(main, ["dedupe", "--grey-threshold", "97", "--auto-threshold", "90"])
    assert result.exit_code == 1 and "grey zone" in result.output
    result = runner.invoke(main, ["dedupe", "--output", "x.csv"])
    assert result.exit_code == 1 and "--output needs --input" in result.output


def test_unambiguous_values_in_a_hand_edited_record_are_taken_as_meant():
    data = {"source": "scopus", "source_id": "1", "year": " 2020", "volume": 12, "extra": None}
    rec = Record.from_dict(data)
    assert (rec.year, rec.volume, rec.extra) == (2020, "12", {})
    with pytest.raises(KeyError):  # a record without its source id cannot be named
        Record.from_dict({"source": "scopus", "source_id": None})


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("authors", "Li, W.; Dou, Z.", "a list of strings"),
        ("year", "2020?", "a whole number"),
        ("volume", {"n": 6}, "a string or null"),
        ("title", ["Soil", "fauna"], "a string or null"),
        ("keywords", [1, 2], "a list of strings"),
    ],
)
def test_a_hand_edited_record_of_the_wrong_type_is_a_one_line_error(
    tmp_path, monkeypatch, field, value, words
):
    review = new_review(tmp_path)
    add_records(review, _scopus())
    path = review.store.records_file
    lines = path.read_text("utf-8").splitlines()
    edited = json.loads(lines[1])
    edited[field] = value
    lines[1] = json.dumps(edited)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["dedupe"])
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert f"records.jsonl:2: not a valid record (field '{field}' must be {words}" in result.output


def test_status_counts_duplicates_and_pending_grey_pairs(tmp_path, monkeypatch):
    review = _grey_review(tmp_path)
    twin = Record(
        "pubmed",
        "9",
        title=TITLE,
        authors=("Li, W.",),
        year=2020,
        doi="10.1080/20964129.2020.1722034",
    )
    add_records(review, _wos() + [twin])
    update(review)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["status", "--json"])
    data = json.loads(result.output)
    assert data["dedupe"]["duplicates_linked"] == 1
    assert data["dedupe"]["grey_pairs_pending"] == 1
    assert data["dedupe"]["works_found_by_several_sources"] == 1


def test_terminal_review_takes_single_keys(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    review = _grey_review(tmp_path)
    slr = Path(sys.executable).with_name("slr")
    child = pexpect.spawn(
        str(slr), ["dedupe", "--review", "-q"], cwd=str(tmp_path), encoding="utf-8", timeout=60
    )
    child.expect(r"Same work\? \[y\]es")
    child.send("y")  # one key, no Enter
    child.expect("No more pairs")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert load_answers(answers_path(review)) == {("scopus:1", "scopus:2"): "y"}
    assert len(load_works(review)) == 1


def _weak_links_review(tmp_path):
    """An erratum naming its article only fuzzily; a meeting abstract five years before."""
    review = new_review(tmp_path)
    article = "Terminal complement inhibitor eculizumab in atypical hemolytic-uremic syndrome"
    add_records(
        review,
        [
            Record(
                "scopus",
                "art",
                title=article,
                authors=("Legendre, C. M.",),
                year=2013,
                venue="N Engl J Med",
                volume="368",
                pages="2169-2181",
            ),
            Record(
                "wos",
                "err",
                title="Erratum: Terminal complement inhibitor eculizumab for atypical HUS",
                year=2013,
                venue="N Engl J Med",
                volume="369",
                pages="1379",
            ),
            Record(
                "embase",
                "abs",
                title="Complement factor H autoantibodies in children with kidney failure",
                authors=("Dragon-Durey, M. A.",),
                year=2008,
                venue="Pediatric Nephrology. Conference: IPNA Congress",
                pages="1612",
                type="conference-paper",
            ),
            Record(
                "scopus",
                "full",
                title="Complement factor H autoantibodies in children with kidney failure",
                authors=("Dragon-Durey, M. A.",),
                year=2013,
                venue="Journal of the American Society of Nephrology",
                volume="24",
                pages="1100-1110",
            ),
        ],
    )
    return review


def test_review_offers_proposed_study_links_and_reapplies_the_answers(tmp_path, monkeypatch):
    review = _weak_links_review(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["dedupe", "-q"])
    assert result.exit_code == 0, result.output
    assert "2 proposed study link(s) were not made" in result.output
    assert load_links(review) == []  # weak evidence: nothing linked without a person
    result = runner.invoke(main, ["dedupe", "--review", "-q"], input="s\nn\n")
    assert result.exit_code == 0, result.output
    assert "study link? wos:err would be a report (erratum) of the study of scopus:art" in (
        result.output
    )
    assert "the title it names is 90% alike" in result.output
    assert "[s] same study, erratum" in result.output
    assert "1 same study, 1 unrelated" in result.output
    lines = [json.loads(x) for x in answers_path(review).read_text().splitlines()]
    assert (lines[0]["answer"], lines[0]["relation"], lines[0]["study"]) == (
        "s",
        "erratum",
        "scopus:art",
    )
    expected = [("wos:err", "scopus:art", "erratum", "reviewer")]
    assert [(x.work_id, x.study_id, x.relation, x.rule) for x in load_links(review)] == expected
    assert len(load_works(review)) == 4  # study links are never merges
    outcome = update(review, full=True)  # a full run from scratch applies both answers again
    assert [(x.work_id, x.study_id, x.relation, x.rule) for x in outcome.links] == expected
    assert not outcome.questions
    state = json.loads((review.store.root / "dedupe-state.json").read_text())
    assert state.get("pending_links", []) == []


def test_an_n_to_an_automatic_study_link_removes_it(tmp_path):
    review = new_review(tmp_path)
    title = "Terminal complement inhibitor eculizumab in atypical hemolytic-uremic syndrome"
    add_records(
        review,
        [
            Record("scopus", "art", title=title, year=2013, venue="N Engl J Med", pages="1-9"),
            Record("wos", "err", title="Erratum: " + title, year=2013, venue="N Engl J Med"),
        ],
    )
    assert [x.relation for x in update(review).links] == ["erratum"]
    record_answer(answers_path(review), "wos:err", "scopus:art", "n")
    assert update(review).links == []


def test_status_counts_works_studies_and_links_by_relation(tmp_path, monkeypatch):
    review = _weak_links_review(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["dedupe", "-q"]).exit_code == 0
    result = runner.invoke(main, ["status"])
    assert "  4 works -> 4 studies, 2 proposed study links to review" in result.output
    record_answer(
        answers_path(review), "wos:err", "scopus:art", "s", "", 0, "erratum", "scopus:art"
    )
    record_answer(answers_path(review), "embase:abs", "scopus:full", "s")
    assert runner.invoke(main, ["dedupe", "-q"]).exit_code == 0
    data = json.loads(runner.invoke(main, ["status", "--json"]).output)["dedupe"]
    assert data["studies"] == 2 and data["study_links_pending"] == 0
    assert data["study_links"] == {"erratum": 1, "same-study": 1}
    result = runner.invoke(main, ["status"])
    assert "  4 works -> 2 studies (linked: erratum 1, same-study 1)" in result.output
