"""Issue 15: series items stay apart; reports of one study are linked, not merged."""

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import new_review

from slr.cli import main
from slr.corpus import add_records
from slr.dedupe.engine import run
from slr.dedupe.grey import answers_path, load_answers
from slr.dedupe.incremental import update
from slr.records import Record
from slr.studies import load_links, study_index
from slr.works import load_works

ROOT = Path(__file__).resolve().parents[1]


def _groups(records):
    result = run(records)
    ids = result.table.ids
    return sorted(sorted(ids[i] for i in members) for members in result.clusters), result


def _links(result):
    ids = result.table.ids
    return {
        (ids[r.a], ids[r.b], r.relation)
        for r in (rel for _, (_, rel) in result.study_pairs().items())
    }


def column(sid, issue, source="scopus", **kw):
    base = {
        "title": "Editor's Comments",
        "authors": ("Rai, Arun",),
        "year": 2017,
        "venue": "MIS Quarterly",
        "volume": "41",
        "issue": issue,
    }
    base.update(kw)
    return Record(source, sid, **base)


def test_a_recurring_column_stays_apart_across_issues_but_merges_within_one_issue():
    records = [column(str(k), str(k)) for k in (1, 2, 3, 4)]
    records.append(column("A", "2", source="wos", venue="MIS Q", authors=("Rai, A.",)))
    groups, result = _groups(records)
    assert groups == [["scopus:1"], ["scopus:2", "wos:A"], ["scopus:3"], ["scopus:4"]]
    # a record that gives no issue may join one of them, never two (no chain across issues)
    bare = column("B", None, source="crossref")
    groups, _ = _groups([*records, bare])
    assert len(groups) in (4, 5) and all(len(g) <= 3 for g in groups)
    together = [g for g in groups if "crossref:B" in g][0]
    assert len({x for x in together if x.startswith("scopus:")}) <= 1


def test_two_items_on_other_first_pages_of_one_issue_stay_apart_unless_the_abstract_is_the_same():
    a = column("1", "3", pages="5-7", title="Next-generation information systems research")
    b = column("2", "3", pages="9-11", title="Next-generation information systems research")
    groups, result = _groups([a, b])
    assert len(groups) == 2
    text = "We describe how the journal will review design science papers from now on. " * 3
    groups, _ = _groups([a.evolve(abstract=text), b.evolve(abstract=text)])
    assert len(groups) == 1  # the same abstract is independent evidence


def test_parts_of_one_proceedings_series_in_other_volumes_stay_apart():
    title = "Computational Science and Its Applications - ICCSA 2010"
    parts = [
        Record(
            "scopus",
            str(vol),
            title=title,
            authors=("Taniar, D.", "Gervasi, O."),
            year=2010,
            venue="Lecture Notes in Computer Science",
            volume=str(vol),
            type="conference-paper",
        )
        for vol in (6016, 6017, 6018, 6019)
    ]
    groups, result = _groups(parts)
    assert len(groups) == 4
    # never linked, whatever the thresholds: at most a question for a person
    assert all(p.verdict.rule.startswith("volume-differs") for p in result.grey)


def test_explain_never_says_volume_differs_of_a_merge(tmp_path, monkeypatch):
    review = new_review(tmp_path)
    records = [column(str(k), str(k)) for k in (1, 2)]
    # one DOI, two volumes: the DOI is independent evidence, so they merge
    records.append(column("A", "2", source="wos", doi="10.25300/MISQ/2017/41:2.3", volume="42"))
    records.append(
        column("B", "2", source="crossref", doi="10.25300/MISQ/2017/41:2.3", volume="43")
    )
    add_records(review, records)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["dedupe", "-q"]).exit_code == 0
    out = runner.invoke(main, ["dedupe", "--explain", "wos:A"]).output
    assert "2 record(s) from wos, crossref" in out
    assert "volume other, outweighed by the same DOI" in out and "volume differs" not in out
    out = runner.invoke(main, ["dedupe", "--explain", "scopus:1"]).output
    assert "1 record(s) from scopus" in out and "(issue-differs, title" in out


# ------------------------------------------------------------------ study links


ARTICLE = Record(
    "scopus",
    "art",
    title="Eculizumab for atypical hemolytic-uremic syndrome in children and adults",
    authors=("Legendre, C. M.", "Licht, C."),
    year=2013,
    venue="New England Journal of Medicine",
    volume="368",
    issue="23",
    pages="2169-2181",
    doi="10.1056/NEJMoa1208981",
)


def test_an_erratum_that_names_its_article_is_linked_to_it_not_merged():
    erratum = Record(
        "wos",
        "err",
        title="Correction to: " + ARTICLE.title,
        authors=("Legendre, C. M.",),
        year=2013,
        venue="N Engl J Med",
        volume="369",
        pages="1379",
    )
    retraction = Record("pubmed", "ret", title="Notice of retraction: " + ARTICLE.title, year=2014)
    groups, result = _groups([ARTICLE, erratum, retraction])
    assert len(groups) == 3
    assert _links(result) == {
        ("wos:err", "scopus:art", "erratum"),
        ("pubmed:ret", "scopus:art", "retraction"),
    }
    # a notice naming its article by DOI only
    quoted = Record(
        "crossref",
        "c",
        title="Erratum",
        abstract="In the article doi:10.1056/NEJMoa1208981 the dose in Table 2 was wrong.",
        year=2014,
    )
    _, result = _groups([ARTICLE, quoted])
    assert _links(result) == {("crossref:c", "scopus:art", "erratum")}


def test_a_reply_to_a_letter_is_linked_to_the_letter():
    letter = Record(
        "scopus",
        "l",
        title="Atypical hemolytic uremic syndrome associated with group A streptococcus",
        authors=("Yildiz, B.", "Kural, N."),
        year=2004,
        venue="Pediatric Nephrology",
        volume="19",
        issue="8",
        pages="943-944",
    )
    reply = Record(
        "scopus",
        "r",
        title=letter.title + " - Reply",
        authors=("Shepherd, A. B.", "Palmer, A. L."),
        year=2004,
        venue="Pediatric Nephrology",
        volume="19",
        issue="8",
        pages="945",
    )
    groups, result = _groups([letter, reply])
    assert len(groups) == 2
    assert _links(result) == {("scopus:r", "scopus:l", "comment")}


def test_a_conference_abstract_and_the_later_article_are_one_study():
    abstract = Record(
        "embase",
        "a",
        title="Mutations in complement C3 predispose to atypical haemolytic uraemic syndrome",
        authors=("Fremeaux-Bacchi, V.", "Miller, E. C."),
        year=2007,
        venue="Molecular Immunology. Conference: XXIst International Complement Workshop",
        volume="44",
        issue="16",
        pages="3923",
        type="conference-paper",
    )
    article = Record(
        "scopus",
        "b",
        title="Mutations in complement C3 predispose to atypical hemolytic uremic syndrome",
        authors=("Fremeaux-Bacchi, V.", "Miller, E. C."),
        year=2008,
        venue="Blood",
        volume="112",
        issue="13",
        pages="4948-4952",
        type="article",
    )
    groups, result = _groups([abstract, article])
    assert len(groups) == 2
    assert _links(result) == {("embase:a", "scopus:b", "conference-abstract")}


def test_a_preprint_and_its_journal_version_are_two_reports_of_one_study():
    title = "Machine Learning Operations (MLOps): Overview, Definition, and Architecture"
    pre = Record(
        "arxiv",
        "2205.02302",
        title=title,
        authors=("Dominik Kreuzberger",),
        year=2022,
        venue="arXiv",
        type="preprint",
        doi="10.48550/arXiv.2205.02302",
    )
    pub = Record(
        "scopus",
        "9",
        title=title,
        authors=("Kreuzberger, D.",),
        year=2023,
        venue="IEEE Access",
        volume="11",
        type="article",
        doi="10.1109/ACCESS.2023.3262138",
    )
    groups, result = _groups([pre, pub])
    assert len(groups) == 2
    assert _links(result) == {("arxiv:2205.02302", "scopus:9", "preprint")}


def test_a_registry_entry_and_two_trial_reports_citing_its_number_are_one_study():
    entry = Record(
        "ctgov",
        "NCT01194973",
        title="Eculizumab in adult patients with atypical hemolytic uremic syndrome",
        venue="ClinicalTrials.gov",
        year=2010,
        url="https://clinicaltrials.gov/study/NCT01194973",
    )
    report1 = Record(
        "scopus",
        "r1",
        title="Terminal complement inhibitor eculizumab in adult aHUS: a single-arm trial",
        authors=("Fakhouri, F.",),
        abstract="Methods: open-label trial (ClinicalTrials.gov NCT01194973) in 41 adults ...",
        year=2016,
        venue="Kidney International",
    )
    report2 = Record(
        "scopus",
        "r2",
        title="Long-term eculizumab in adults with aHUS: two-year follow-up",
        authors=("Menne, J.",),
        keywords=("NCT 01194973", "complement"),
        year=2018,
        venue="BMC Nephrology",
    )
    other = Record(
        "scopus",
        "o",
        title="Another trial",
        abstract="Registered as NCT09999999.",
        year=2018,
    )
    groups, result = _groups([entry, report1, report2, other])
    assert len(groups) == 4
    assert _links(result) == {
        ("scopus:r1", "ctgov:NCT01194973", "registry"),
        ("scopus:r2", "ctgov:NCT01194973", "registry"),
    }


# ------------------------------------------------------------------ a review: files, review, explain


def _review_with_a_grey_pair(tmp_path):
    review = new_review(tmp_path)
    kw = {"authors": ("Melief, C J M", "van der Burg, S H"), "year": 2010}
    add_records(
        review,
        [
            Record(
                "scopus",
                "1",
                title="Immunotherapy of established lesions caused by HPV",
                venue="Cancer Prevention Research",
                volume="3",
                **kw,
            ),
            Record(
                "scopus",
                "2",
                title="Immunotherapy of established lesions caused by HPV",
                venue="Clinical Cancer Research",
                volume="16",
                **kw,
            ),
            ARTICLE,
            Record(
                "wos",
                "err",
                title="Erratum: " + ARTICLE.title,
                year=2013,
                venue="N Engl J Med",
            ),
        ],
    )
    return review


def test_review_answer_s_links_two_works_into_one_study_and_is_reapplied(tmp_path, monkeypatch):
    review = _review_with_a_grey_pair(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["dedupe", "-q"])
    assert result.exit_code == 0 and "1 pair(s) in the grey zone" in result.output
    result = runner.invoke(main, ["dedupe", "--review", "-q"], input="s\n")
    assert result.exit_code == 0, result.output
    assert "1 same study" in result.output
    assert load_answers(answers_path(review)) == {("scopus:1", "scopus:2"): "s"}
    works = load_works(review)
    assert len(works) == 4  # two reports stay two works
    links = {(x.work_id, x.study_id, x.relation) for x in load_links(review)}
    assert ("scopus:2", "scopus:1", "same-study") in links
    assert ("wos:err", "scopus:art", "erratum") in links
    # the next run (full, from scratch) applies the stored answer again
    (review.store.root / "studies.jsonl").unlink()
    outcome = update(review, full=True)
    index = study_index((w.work_id for w in outcome.works), load_links(review))
    assert index["scopus:2"] == index["scopus:1"] and index["wos:err"] == "scopus:art"
    assert not outcome.questions
    lines = (review.store.root / "studies.jsonl").read_text().splitlines()
    assert [json.loads(x)["relation"] for x in lines] == ["same-study", "erratum"]


def test_explain_shows_the_study_and_its_links_with_rule_and_evidence(tmp_path, monkeypatch):
    _review_with_a_grey_pair(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["dedupe", "-q"]).exit_code == 0
    out = runner.invoke(main, ["dedupe", "--explain", "wos:err"]).output
    assert "study scopus:art: 2 reports" in out
    assert "main report scopus:art" in out
    assert "erratum wos:err of scopus:art" in out
    assert "rule notice-names-its-item; evidence: wos:err -> scopus:art: title names it" in out
    out = runner.invoke(main, ["dedupe", "--explain", "scopus:1"]).output
    assert "study: this work is a study of its own" in out
