"""Which records become one work: real duplicate patterns link, every hard negative stays apart."""

from hypothesis import given, settings
from hypothesis import strategies as st

from slr.dedupe.cluster import Link, cluster
from slr.dedupe.compare import Settings, compare
from slr.dedupe.engine import run
from slr.records import Record

TITLE = "Diabetes, comorbidities and increased long-term mortality in older patients"


def rec(sid, title=TITLE, source="scopus", **kw):
    base = {
        "authors": ("Zekry, D.", "Frangos, E."),
        "year": 2012,
        "venue": "Diabetes & Metabolism",
        "volume": "38",
        "pages": "149-155",
    }
    base.update(kw)
    return Record(source, sid, title=title, **base)


def works_of(records, settings=None):
    result = run(records, settings)
    return [{result.table.ids[i] for i in members} for members in result.clusters], result


def together(records, settings=None):
    groups, _ = works_of(records, settings)
    return len(groups) == 1


# ------------------------------------------------------------------ duplicates that link


def test_same_doi_links_across_sources_despite_case_and_url_form():
    a = rec("1", doi="10.1016/j.diabet.2011.11.001")
    b = rec(
        "A", source="wos", title=TITLE.upper(), doi="https://doi.org/10.1016/J.DIABET.2011.11.001"
    )
    groups, result = works_of([a, b])
    assert groups == [{"scopus:1", "wos:A"}]
    assert result.assignments()[1][1] == "doi"


def test_title_author_year_link_with_initials_abbreviated_venue_and_language_tag():
    a = rec("1", authors=("Zekry, Dina", "Frangos, Emilia"), venue="Diabetes & metabolism")
    b = rec("2", title=TITLE + ". [French]", venue="Diabetes Metab", pages="149-55")
    assert together([a, b])


def test_typo_and_dropped_subtitle_still_link_when_the_bibliography_agrees():
    a = rec("1", title=TITLE + ": a prospective cohort study")
    b = rec("2", title=TITLE.replace("mortality", "mortaltiy"))
    assert together([a, b])


def test_reworded_author_names_link_when_titles_and_pages_agree():
    # databases swap given and family names of East Asian authors
    a = rec("1", authors=("Hua, T",))
    b = rec("2", authors=("Tong, H",))
    assert together([a, b])


def test_preprint_and_published_version_are_one_work_unless_switched_off():
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
        authors=("Kreuzberger, D.", "Kuhl, N."),
        year=2023,
        venue="IEEE Access",
        volume="11",
        type="article",
        doi="10.1109/ACCESS.2023.3262138",
    )
    groups, result = works_of([pre, pub])
    assert len(groups) == 1 and result.assignments()[1][1] == "version"
    assert not together([pre, pub], Settings(versions=False))


# ------------------------------------------------------------------ hard negatives


def test_generic_titles_stay_apart():
    for title in ("Editorial", "Introduction", "Reply", "Erratum"):
        a = rec("1", title=title, authors=(), volume="38", pages="1")
        b = rec("2", title=title, authors=(), volume="39", pages="7")
        assert not together([a, b]), title


def test_generic_titles_link_only_on_full_bibliographic_identity():
    a = rec("1", title="Editorial", pages="1-2")
    b = rec("2", title="Editorial.", pages="1-2", source="wos")
    assert together([a, b])


def test_series_parts_stay_apart():
    a = rec("1", title="Management of atypical haemolytic uraemic syndrome: Part I", pages="1-9")
    b = rec("2", title="Management of atypical haemolytic uraemic syndrome: Part II", pages=None)
    c = rec("3", title="Management of atypical haemolytic uraemic syndrome, part 2", pages="10-19")
    groups, _ = works_of([a, b, c])
    assert sorted(map(sorted, groups)) == [["scopus:1"], ["scopus:2", "scopus:3"]]


def test_same_title_in_other_years_of_a_conference_stays_apart():
    title = (
        "Introduction to the Minitrack on Crowdsourcing and Digital Workforce in the Gig Economy"
    )
    kw = {
        "authors": ("Deng, Xuefei", "Taylor, Joseph"),
        "venue": "Proceedings of the Annual Hawaii International Conference on System Sciences",
        "type": "inproceedings",
        "volume": None,
        "pages": None,
    }
    with_doi = [
        rec("1", title=title, year=2021, doi="10.24251/HICSS.2021.510", **kw),
        rec("2", title=title, year=2022, doi="10.24251/HICSS.2022.544", **kw),
    ]
    without = [rec("1", title=title, year=2021, **kw), rec("2", title=title, year=2022, **kw)]
    assert not together(with_doi)
    assert not together(without)


def test_conference_paper_and_later_journal_article_stay_apart():
    title = "Cultural Universality Versus Particularity in CMC"
    conf = rec(
        "12",
        title=title,
        year=2003,
        venue="Americas Conference on Information Systems",
        type="inproceedings",
        volume=None,
        pages=None,
        authors=("Stahl, Bernd-Carsten",),
    )
    art = rec(
        "7",
        title=title,
        year=2004,
        venue="Journal of Global Information Technology Management",
        type="article",
        volume="7",
        pages="47--65",
        authors=("Stahl, Bernd Carsten", "Elbeltagi, Ibrahim"),
    )
    assert not together([conf, art])


def test_erratum_and_reply_stay_apart_from_their_article():
    article = rec("1", pages="310-317")
    notices = [
        rec("2", title="Erratum: " + TITLE, pages="616"),
        rec("3", title=TITLE + " (vol 38, pg 149, 2012)", pages="616"),
        rec("4", title="Correction to: " + TITLE, pages="616"),
        rec("5", title=TITLE + " - Reply", authors=("Shepherd, A. B.",), pages="618"),
    ]
    for notice in notices:
        assert not together([article, notice]), notice.title


def test_annotation_about_an_erratum_does_not_make_the_article_a_notice():
    a = rec("1")
    b = rec("2", title=TITLE + ".[Erratum appears in Diabetes Metab. 2012 Jun;38(3):280]")
    assert together([a, b])


def test_one_word_substitution_is_not_linked_automatically():
    a = rec(
        "1",
        title="Open label trial of eculizumab in adult patients with aHUS",
        venue=None,
        volume=None,
        pages=None,
    )
    b = rec(
        "2",
        title="Open label trial of eculizumab in paediatric patients with aHUS",
        venue=None,
        volume=None,
        pages=None,
    )
    groups, result = works_of([a, b])
    assert len(groups) == 2


def test_supplement_doi_shared_by_different_abstracts_does_not_link_them():
    doi = "10.1007/s00125-017-4350-z"
    a = rec(
        "1",
        title="Patterns of glucose-lowering medication use in heart failure",
        authors=("Arnold S. V.",),
        pages="S299",
        doi=doi,
    )
    b = rec(
        "2",
        title="DPP4 inhibition by linagliptin prevents heart failure in ZSF1 rats",
        authors=("Heymans S.",),
        pages="S259",
        doi=doi,
    )
    assert not together([a, b])


def test_records_without_title_link_only_by_doi():
    a = rec("1", title=None)
    b = rec("2")
    assert not together([a, b])
    assert together([rec("1", title=None, doi="10.1000/x"), rec("2", doi="10.1000/x")])


def test_grey_zone_pairs_are_not_linked_but_reported():
    # identical title and authors, but another journal and volume: maybe, maybe not
    a = rec("1", venue="Cancer Prevention Research", volume="3", pages=None)
    b = rec("2", venue="Clinical Cancer Research", volume="16", pages=None)
    groups, result = works_of([a, b])
    assert len(groups) == 2
    assert [(p.a, p.b) for p in result.grey] == [(0, 1)]
    groups, result = works_of([a, b], Settings(auto=90, grey=80))
    assert len(groups) == 1  # a lower threshold links it


def test_transitive_chains_cannot_join_records_that_must_stay_apart():
    # 0-1 and 1-2 are links, but 0 and 2 are a hard negative: 2 must not join 0's work
    groups, used, refused = cluster(
        3, [Link(0, 1, "title", 99), Link(1, 2, "title", 97)], [(0, 2)], ["", "", ""]
    )
    assert groups == [[0, 1], [2]] and [(k.a, k.b) for k in refused] == [(1, 2)]
    # two works with different DOIs are not chained through a record without one
    groups, _, _ = cluster(
        3, [Link(0, 1, "title", 99), Link(1, 2, "title", 98)], [], ["10.1/a", "", "10.1/b"]
    )
    assert groups == [[0, 1], [2]]


def test_empty_and_single_inputs():
    assert run([]).clusters == []
    assert run([rec("1")]).clusters == [[0]]


def test_work_is_named_after_its_earliest_record_and_every_record_is_kept():
    records = [rec("3", source="wos"), rec("1", doi="10.1000/x"), rec("2", title="Other study")]
    result = run(records)
    assert sorted(len(m) for m in result.clusters) == [1, 2]
    assert result.clusters[0] == [0, 1]  # named after position 0, the earliest added
    assert sorted(i for m in result.clusters for i in m) == [0, 1, 2]


WORDS = ["hpv", "testing", "cervical", "screening", "trial", "part", "ii", "erratum", "of", "2010"]
record_strategy = st.builds(
    lambda sid, words, year, author, doi, page: Record(
        "s",
        str(sid),
        title=" ".join(words) or None,
        authors=(author,) if author else (),
        year=year,
        doi=f"10.1000/{doi}" if doi else None,
        pages=page,
    ),
    st.integers(0, 10**6),
    st.lists(st.sampled_from(WORDS), max_size=8),
    st.sampled_from([None, 2010, 2011, 2014]),
    st.sampled_from(["", "Li, W.", "Li, Wei", "Wang, X."]),
    st.sampled_from(["", "a", "b"]),
    st.sampled_from([None, "1-9", "10-19"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(record_strategy, min_size=1, max_size=12, unique_by=lambda r: r.source_id))
def test_clusters_partition_the_records_and_decisions_are_symmetric(records):
    result = run(records)
    members = sorted(i for m in result.clusters for i in m)
    assert members == list(range(len(records)))  # every record in exactly one work
    assert all(m == sorted(m) for m in result.clusters)  # named after the earliest record
    t = result.table
    for i in range(len(records)):
        for j in range(i + 1, len(records)):
            assert compare(t, i, j, Settings()).decision == compare(t, j, i, Settings()).decision
