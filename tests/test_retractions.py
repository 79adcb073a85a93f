"""Retraction flags (issue 19, part 4): read from Crossref, OpenAlex and PubMed records, carried
by works, and shown in the screen, counted in status and listed (included ones in red) in the
report. One library function (slr.retractions.flags) answers for every consumer.

The review below: an article with a linked retraction notice (W1, W2), an included study that
OpenAlex flags `is_retracted` (W3), an article whose DOI a Crossref retraction notice names in
`update-to` (W4, notice W5, not linked by dedupe) and an unrelated included study (W6).
"""

import json
from pathlib import Path

from test_screening import rec, write_protocol

from slr.corpus import add_records
from slr.decisions import Decision, record_decision
from slr.dedupe.merge import canonical
from slr.records import Record
from slr.report import build_markdown, to_html
from slr.retractions import flags, retracting, review_flags
from slr.review import open_review
from slr.screen.session import open_session
from slr.sources.crossref import Crossref, retracted_dois, retraction_evidence
from slr.sources.openalex import OpenAlex
from slr.status import format_status, status
from slr.studies import StudyLink, save_links
from slr.tui.keys import load_keymap
from slr.tui.view import Highlighter, View, render
from slr.works import Work, save_works

FIXTURES = Path(__file__).parent / "fixtures"
TA, FT = "title-abstract", "full-text"
W = [f"openalex:W{n}" for n in range(7)]  # W[1] .. W[6]


def source(cls):
    return cls.__new__(cls)  # to_record reads only the item


# ---------------------------------------------------------------- recorded responses


def test_a_recorded_crossref_correction_in_updated_by_is_no_retraction():
    """10.1371/journal.pone.0033693 (habanero's recording) has an `updated-by` correction."""
    body = FIXTURES / "api" / "crossref" / "habanero_work_10.1371_journal.pone.0033693.body.json"
    item = json.loads(body.read_bytes())["message"]
    assert [u["type"] for u in item["updated-by"]] == ["correction"]  # what the test is about
    record = source(Crossref).to_record(item)
    assert record.retraction == () and record.retracts == ()
    work = Work(record.id, (record.id,), ("crossref",), record)
    assert flags([work], [record]) == {}


def test_a_recorded_openalex_page_of_works_not_retracted_flags_none():
    """peneira's recorded search page: 49 works, each with `"is_retracted": false`."""
    page = json.loads((FIXTURES / "openalex" / "peneira_works_search_page1.json").read_bytes())
    items = page["results"]
    assert len(items) == 49 and {item["is_retracted"] for item in items} == {False}
    records = [source(OpenAlex).to_record(item) for item in items]
    assert [r for r in records if r.retraction] == []
    works = [Work(r.id, (r.id,), ("openalex",), r) for r in records]
    assert flags(works, records) == {}


# ---------------------------------------------------------------- the parsing rules
# No recorded Crossref or OpenAlex response of a retracted work or of a retraction notice was
# found (see the report of branch i19-retract): the rules are tested on the fields the
# Crossref REST API documents (api_format.md, "Update": DOI, type, label, updated; the type
# names are Crossref's update types), never passed off as recorded responses.


def test_crossref_updated_by_flags_the_article_once_per_notice_with_who_reported_it():
    item = {
        "DOI": "10.1234/article",
        "updated-by": [
            {"DOI": "10.1234/notice", "type": "retraction", "source": "retraction-watch"},
            {"DOI": "10.1234/NOTICE", "type": "retraction", "source": "publisher"},
            {"DOI": "10.1234/fix", "type": "correction", "source": "publisher"},
        ],
        "relation": {"is-retracted-by": [{"id-type": "doi", "id": "10.1234/notice"}]},
    }
    assert retraction_evidence(item) == (
        "crossref updated-by: retraction 10.1234/notice (retraction-watch, publisher)",
        "crossref relation is-retracted-by: 10.1234/notice",
    )
    assert retracted_dois(item) == ()


def test_crossref_update_to_names_what_a_notice_retracts_and_not_what_it_corrects():
    item = {
        "DOI": "10.1234/notice",
        "update-to": [
            {"DOI": "https://doi.org/10.1234/Article", "type": "retraction"},
            {"DOI": "10.1234/other", "type": "correction"},
            {"DOI": "10.1234/third", "type": "Partial retraction"},
        ],
    }
    assert retracted_dois(item) == ("10.1234/article", "10.1234/third")
    assert retraction_evidence(item) == ()


def test_which_update_types_retract():
    for kind in ("retraction", "partial_retraction", "Removal", "withdrawal", "Partial retraction"):
        assert retracting(kind), kind
    for kind in ("correction", "erratum", "expression_of_concern", "new_version", None, 3):
        assert not retracting(kind), kind


# ---------------------------------------------------------------- works and the library


def test_a_work_is_flagged_by_any_record_by_a_notice_naming_its_doi_or_by_a_linked_notice():
    article = rec(1, doi="10.5555/one")
    mirror = rec(2, source="crossref", source_id="10.5555/one", doi="10.5555/one")
    flagged = rec(3, source="pubmed", source_id="33", retraction=("openalex is_retracted",))
    notice = rec(4, source="crossref", source_id="10.5555/n", doi="10.5555/n")
    notice = notice.evolve(retracts=("10.5555/one",))
    linked = rec(5, title="Retraction: Study 3")
    works = [
        Work(article.id, (article.id, mirror.id), ("openalex", "crossref"), article),
        Work(flagged.id, (flagged.id,), ("pubmed",), flagged),
        Work(notice.id, (notice.id,), ("crossref",), notice),
        Work(linked.id, (linked.id,), ("openalex",), linked),
    ]
    records = [article, mirror, flagged, notice, linked]
    got = flags(works, records, {linked.id: (flagged.id, "retraction")})
    assert set(got) == {article.id, flagged.id}  # a notice is not itself retracted
    assert got[article.id].evidence == (
        "crossref update-to: 10.5555/n is a retraction notice naming 10.5555/one",
    )
    assert got[flagged.id].evidence == (
        "openalex is_retracted",
        "linked retraction notice openalex:W5: Retraction: Study 3",
    )
    assert got[flagged.id].recorded == ("openalex is_retracted",)
    assert got[flagged.id].notices == (linked.id,)
    # an erratum flags nothing; without the notice the first work is not flagged
    others = [w for w in works if w.work_id != notice.id]
    kept = [r for r in records if r is not notice]
    assert set(flags(others, kept, {linked.id: (flagged.id, "erratum")})) == {flagged.id}
    # a notice record is evidence even before `slr dedupe` put it in a work
    assert set(flags(others, records)) == {article.id, flagged.id}


def test_the_merged_work_carries_every_records_evidence():
    a = rec(1, doi="10.5555/x")
    b = rec(2, source="crossref", source_id="10.5555/x", doi="10.5555/x")
    b = b.evolve(retraction=("crossref updated-by: retraction 10.5555/n",), retracts=("10.5/y",))
    merged = canonical([a, b])
    assert merged.id == a.id
    assert merged.retraction == ("crossref updated-by: retraction 10.5555/n",)
    assert merged.retracts == ("10.5/y",)
    back = Record.from_dict(json.loads(json.dumps(merged.to_dict())))
    assert back.retraction == merged.retraction and back.retracts == merged.retracts


# ---------------------------------------------------------------- screen, status, report


def build(tmp_path):
    review = open_review(write_protocol(tmp_path))
    records = [
        rec(1, title="Drift monitoring for MLOps pipelines"),
        rec(2, title="Retraction notice: Drift monitoring for MLOps pipelines", type="retraction"),
        rec(3, title="Feature stores in MLOps", retraction=("openalex is_retracted",)),
        rec(4, title="Model registries in MLOps", doi="10.5555/four"),
        rec(5, title="Retraction: Model registries in MLOps", doi="10.5555/n5"),
        rec(6, title="Data versioning in MLOps"),
    ]
    records[4] = records[4].evolve(source="crossref", retracts=("10.5555/four",))
    add_records(review, records)
    save_works(review, [Work(r.id, (r.id,), (r.source,), r) for r in records])
    save_links(review, [StudyLink(W[2], W[1], "retraction", "notice-names-article", "Retraction")])
    return review, records


def decide(review, stage, work_id, decision, *criteria):
    record_decision(review, Decision("alice", stage, work_id, decision, tuple(criteria)))


def screen(review):
    """W3 and W6 included; W1 excluded at full text; W4 and the notice W5 excluded at first."""
    for wid in (W[1], W[3], W[6]):
        decide(review, TA, wid, "include")
    decide(review, TA, W[4], "exclude", "EC4")
    decide(review, TA, "crossref:W5", "exclude", "EC4")
    decide(review, FT, W[1], "exclude", "EC2")
    decide(review, FT, W[3], "include")
    decide(review, FT, W[6], "include")


def test_one_answer_for_the_stored_review(tmp_path):
    review, records = build(tmp_path)
    got = review_flags(review)
    assert list(got) == [W[1], W[3], W[4]]
    assert got[W[1]].evidence == (
        "linked retraction notice openalex:W2: Retraction notice: Drift monitoring for MLOps "
        "pipelines",
    )
    assert got[W[1]].recorded == ()


def test_status_counts_flagged_works_and_warns_of_an_included_one(tmp_path):
    review, _ = build(tmp_path)
    text = format_status(status(review))
    assert "3 works flagged as retracted (0 included)" in text
    assert "warning: included work" not in text
    screen(review)
    result = status(review)
    assert result.retracted == {"works": 3, "included": {W[3]: ["openalex is_retracted"]}}
    text = format_status(result)
    assert "3 works flagged as retracted (1 included)" in text
    assert (
        "warning: included work openalex:W3 is retracted (openalex is_retracted): "
        "check it before relying on it"
    ) in text
    assert result.to_dict()["retracted"]["works"] == 3


def test_report_lists_the_retracted_works_and_names_an_included_one_in_red(tmp_path):
    review, _ = build(tmp_path)
    screen(review)
    text = build_markdown(review)
    section = text.split("### Retracted works\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(section) == 3
    assert section[0].startswith("- Author 1 (2020). Drift monitoring for MLOps pipelines.")
    assert section[0].endswith(
        "Screening: excluded at full-text. Evidence: linked retraction notice openalex:W2: "
        "Retraction notice: Drift monitoring for MLOps pipelines."
    )
    red = '<span style="color:#c00">**RETRACTED:** Author 3 (2020). Feature stores in MLOps.'
    assert section[1].startswith("- " + red)
    assert section[1].endswith("Screening: included. Evidence: openalex is_retracted.")
    assert (
        "Screening: excluded at title-abstract. Evidence: crossref update-to: 10.5555/n5"
        in (section[2])
    )
    included = text.split("### Included studies\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line[:3] for line in included] == ["1. ", "2. "]
    assert included[0] == f"1. {red}</span>"  # the study included first: W3
    assert "RETRACTED" not in included[1]
    html = to_html(text, "t")
    assert '<span style="color:#c00"><strong>RETRACTED:</strong> Author 3 (2020).' in html


def test_report_says_when_no_work_is_flagged(tmp_path):
    review = open_review(write_protocol(tmp_path))
    records = [rec(1)]
    add_records(review, records)
    save_works(review, [Work(r.id, (r.id,), (r.source,), r) for r in records])
    decide(review, TA, records[0].id, "exclude", "EC4")
    text = build_markdown(review)
    assert "### Retracted works\n\nNo work is flagged as retracted.\n" in text


def rows_text(review, tmp_path, stage):
    session = open_session(review, "alice", stage)
    keys, hl = load_keymap(tmp_path / "no-keys.toml"), Highlighter(review.protocol)
    return session, render(session, keys, hl, View(), 100, 30)


def test_the_screen_shows_a_records_own_retraction_in_the_alert_style(tmp_path):
    review, _ = build(tmp_path)
    decide(review, TA, W[1], "include")
    session, rows = rows_text(review, tmp_path, TA)
    assert session.current.work_id == W[3]
    lines = ["".join(t for t, _ in row) for row in rows]
    assert lines[0].startswith(" RETRACTED · title-abstract · alice · 2/5")
    alert = [i for i, row in enumerate(rows) if any(s == "alert" for _, s in row)]
    assert [lines[i] for i in alert] == ["!! RETRACTED - openalex is_retracted"]
    assert lines[alert[0] - 1].startswith("Feature stores in MLOps")  # right under the title
    session.decide("include")
    assert session.current.work_id == W[4]
    keys, hl = load_keymap(tmp_path / "no-keys.toml"), Highlighter(review.protocol)
    screen_rows = render(session, keys, hl, View(), 100, 30)
    text = ["".join(t for t, _ in row) for row in screen_rows]
    assert text[0].startswith(" RETRACTED · ")
    assert "!! RETRACTED - crossref update-to: 10.5555/n5 is a retraction notice naming" in (
        "\n".join(text)
    )
    session.decide("include")
    session.decide("include")  # the notice W5 is not linked, so it is screened like a work
    assert session.current.work_id == W[6]
    plain = ["".join(t for t, _ in row) for row in render(session, keys, hl, View(), 100, 30)]
    assert "RETRACTED" not in "\n".join(plain)


def test_full_text_shows_the_flag_too(tmp_path):
    review, _ = build(tmp_path)
    screen(review)
    session = open_session(review, "alice", FT)
    keys, hl = load_keymap(tmp_path / "no-keys.toml"), Highlighter(review.protocol)
    session.index = next(i for i, w in enumerate(session.works) if w.work_id == W[3])
    lines = ["".join(t for t, _ in r) for r in render(session, keys, hl, View(), 100, 30)]
    assert lines[0].startswith(" RETRACTED · full-text")
    assert "!! RETRACTED - openalex is_retracted" in lines


def test_the_browser_header_flags_a_records_own_retraction_too(tmp_path):
    """The browser screen uses the terminal's header (it once had a copy that missed it)."""
    from slr.serve.pages import header as page_header

    review, _ = build(tmp_path)
    decide(review, TA, W[1], "include")
    session = open_session(review, "alice", TA)
    assert session.current.work_id == W[3]
    assert page_header(session, "").startswith("RETRACTED · title-abstract · alice · 2/5")
