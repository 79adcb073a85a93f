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


def test_preprint_and_published_version_are_two_reports_of_one_study_unless_switched_off():
    # issue 15: a preprint and its journal version are two reports (works) of one study
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
    assert len(groups) == 2
    assert [(r.a, r.b, r.relation) for r in result.related] == [(0, 1, "preprint")]
    groups, result = works_of([pre, pub], Settings(versions=False))
    assert len(groups) == 2 and not result.related


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


def test_a_wrong_doi_does_not_split_one_item_whose_other_fields_all_agree():
    # the diabetes set: one Appetite abstract, also filed under a Regulatory Peptides DOI
    title = "Liraglutide and linagliptin improve glycemic control in a novel hamster model"
    kw = {
        "title": title,
        "venue": "Appetite",
        "pages": "e24",
        "authors": ("Hansen F.", "Hansen G."),
    }
    records = [
        rec("1", volume="59", issue="1", doi="10.1016/j.appet.2012.05.003", **kw),
        rec("2", volume="1", doi="10.1016/j.regpep.2012.05.039", **kw),
        rec("3", volume="1", doi="10.1016/j.regpep.2012.05.039", **kw),
    ]
    groups, result = works_of(records)
    assert groups == [{"scopus:1", "scopus:2", "scopus:3"}]
    assert "same-item-other-doi" in {rule for _, rule, _ in result.assignments()}
    # one field more that disagrees and the DOIs keep them apart again
    changes = (
        {"pages": "e25"},
        {"year": 2013},
        {"authors": ("Hansen F.", "Berg M.")},
        {"volume": "60"},  # a series' next volume (LNCS, CEUR-WS): another item
    )
    for change in changes:
        fields = {"volume": "1", "doi": "10.1016/j.regpep.2012.05.039"} | kw | change
        other = rec("2", **fields)
        assert not together([records[0], other]), change


def test_records_without_title_link_only_by_doi():
    a = rec("1", title=None)
    b = rec("2")
    assert not together([a, b])
    assert together([rec("1", title=None, doi="10.1000/x"), rec("2", doi="10.1000/x")])


def test_grey_zone_pairs_are_not_linked_but_reported():
    # one word reworded, no venue or volume to check it against: maybe, maybe not
    a = rec("1", venue="Cancer Prevention Research", volume="3", pages=None)
    b = rec("2", title=TITLE.replace("mortality", "death"), venue=None, volume=None, pages=None)
    groups, result = works_of([a, b])
    assert len(groups) == 2
    assert [(p.a, p.b) for p in result.grey] == [(0, 1)]
    groups, result = works_of([a, b], Settings(auto=85, grey=80))
    assert len(groups) == 1  # a lower threshold links it
    # issue 15: with two different volumes no threshold links it; it stays a question
    c = rec("3", venue="Clinical Cancer Research", volume="16", pages=None)
    for chosen in (None, Settings(auto=80, grey=70)):
        groups, result = works_of([a, c], chosen)
        assert len(groups) == 2 and result.grey[0].verdict.rule.startswith("volume-differs")


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


# ------------------------------------------------------------------ journal layout and notices

NEJM = "Eculizumab for atypical hemolytic-uremic syndrome"


def nejm(sid, title, pages, **kw):
    base = {"authors": ("Philipp, T.",), "year": 2009, "venue": "New England Journal of Medicine"}
    base.update(kw)
    return Record("embase", sid, title=title, volume="360", pages=pages, **base)


def test_two_databases_records_of_one_erratum_link_and_stay_apart_from_the_article():
    article = nejm("1", NEJM, "542-544", authors=("Nurnberger, J.", "Philipp, T."))
    embase = nejm("2", NEJM + " (New England Journal of Medicine (2009) 360 (542-544))", "2487")
    wos = nejm("3", NEJM + " (vol 360, pg 542, 2009)", "2487-2487", venue="New Engl J Med")
    groups, result = works_of([article, embase, wos])
    assert sorted(map(sorted, groups)) == [["embase:1"], ["embase:2", "embase:3"]]
    assert result.assignments()[2][1] == "notice+bibliographic"
    # "Erratum: X (The Journal of ... (M" cut short, against "X (vol 142, pg 310, 2003)"
    x = "Severe deficiency of ADAMTS 13 activity in a sub-group of children with atypical HUS"
    cut = rec("4", title=f"Erratum: {x} (The Journal of Pediatrics (M", pages="616-616")
    tail = rec(
        "5", title=x.replace("sub-group", "subgroup") + " (vol 142, pg 310, 2003)", pages="616"
    )
    assert together([cut, tail])


def test_errata_on_one_page_about_different_articles_stay_apart():
    a = rec("1", title="Erratum: " + TITLE, pages="616")
    b = rec("2", title="Erratum: Gain-of-function mutations in complement factor B", pages="616")
    assert not together([a, b])


def test_citation_tail_makes_a_notice_but_a_year_list_does_not():
    from slr.dedupe import normalise as nz

    assert nz.item_kind(nz.title_words(NEJM + " (N Engl J Med (2009) 360 (542-544))")) == "notice"
    assert nz.item_kind(nz.title_words("Influenza seasons 2009 2010 2011")) == "item"


LOIRAT = {
    "authors": ("Loirat, C.",),
    "year": 2011,
    "venue": "Pediatric Nephrology.Conference: 44th Annual Scientific Meeting of the ESPN",
}


def test_volume_issue_and_page_shifted_one_field_left_still_link():
    shifted = Record(
        "embase", "1", title="The treatment of atypical HUS", issue="26", pages="9", **LOIRAT
    )
    right = Record(
        "embase",
        "2",
        title="The treatment of atypical hus",
        volume="26",
        issue="9",
        pages="1746-1746",
        **LOIRAT,
    )
    groups, result = works_of([shifted, right])
    assert len(groups) == 1 and result.assignments()[1][1] == "title+shifted-fields"
    other = Record(
        "embase", "3", title="The treatment of atypical HUS", issue="3", pages="9", **LOIRAT
    )
    assert not together([other, right])  # its issue is not the other's volume: pages disagree


KOEHL = "Neurological involvement in a child with atypical hemolytic uremic syndrome"


def koehl(sid, pages, issue, authors=("Koehl, B.", "Boyer, O.", "Kossorotoff, M.")):
    return Record(
        "wos",
        sid,
        title=KOEHL,
        authors=authors,
        year=2010,
        venue="Pediatric Nephrology",
        volume="25",
        issue=issue,
        pages=pages,
    )


def test_one_page_before_the_article_in_its_volume_links_one_page_after_does_not():
    article = koehl("1", "2539-2542", "12")
    abstract = koehl("2", "1875-1875", "9")  # the meeting-abstract issue, months earlier
    groups, result = works_of([article, abstract])
    assert len(groups) == 1 and result.assignments()[1][1] == "one-page-before-article"
    erratum = koehl("3", "2647", "12")  # printed after the article under its title
    groups, result = works_of([article, erratum])
    assert len(groups) == 2 and not result.grey
    other_team = koehl("4", "1875", "9", authors=("Koehl, B.", "Niaudet, P."))
    assert not together([article, other_team])  # the second author differs: ask


def test_one_abstract_listed_twice_in_a_supplement_links_two_errata_do_not():
    title = "Maintenance of renal function under eculizumab after a third transplantation for aHUS"
    kw = {"authors": ("Davin, J. C.", "Groothoff, J. W."), "year": 2011, "volume": "15"}
    conf = Record(
        "embase",
        "1",
        title=title,
        venue="Pediatric Transplantation.Conference: 6th Congress of the IPTA",
        pages="22-22",
        **kw,
    )
    listed = Record(
        "wos", "2", title=title.upper(), venue="Pediatric Transplantation", pages="52", **kw
    )
    assert together([conf, listed])
    # one article's two errata: single pages in other issues of a journal, not a meeting
    e1 = Record("wos", "3", title=title, venue="Am J Transplant", issue="9", pages="2205", **kw)
    e2 = Record("wos", "4", title=title, venue="Am J Transplant", issue="11", pages="2647", **kw)
    assert not together([e1, e2])
    # two listings in one issue of e-page meeting abstracts (Arch Phys Med Rehabil 91(10))
    e3 = Record(
        "wos", "5", title=title, venue="Arch Phys Med Rehabil", issue="10", pages="e8-e9", **kw
    )
    e4 = Record(
        "wos", "6", title=title, venue="Arch Phys Med Rehabil", issue="10", pages="e3", **kw
    )
    assert together([e3, e4])


def test_same_journal_volume_and_page_range_link_a_translated_title():
    kw = {
        "authors": ("Andres, A.",),
        "year": 2010,
        "venue": "Nefrologia",
        "volume": "30",
        "pages": "30-38",
    }
    english = Record(
        "medline",
        "1",
        title="Indications and contraindications for living kidney donations. [Spanish]",
        issue="Suppl",
        **kw,
    )
    translated = Record(
        "embase",
        "2",
        title="[Indications and contraindications of living-donor kidney transplantation]. [Spanish]",
        issue="Suppl 2",
        **kw,
    )
    groups, result = works_of([english, translated])
    assert len(groups) == 1 and result.assignments()[1][1] == "bibliographic"
    other_issue = translated.evolve(source_id="3", issue="4")
    english2 = english.evolve(issue="2")
    assert not together([english2, other_issue])


def test_supplement_doi_with_other_title_and_abstract_is_decided_without_asking():
    doi = "10.1007/s00125-013-3012-z"
    a = rec(
        "1",
        title="Inhibition of DPP-4 activity: potential role of non-GLP-1-mediated cardioprotection",
        authors=("Connelly K. A.",),
        pages="S69",
        doi=doi,
        abstract="Dipeptidyl peptidase-4 inhibitors reduce infarct size in diabetic rats after coronary ligation.",
    )
    b = rec(
        "2",
        title="Insights into the mechanism of action of linagliptin in reducing ischaemic brain damage",
        authors=("Darsalia V.", "Connelly K. A."),
        pages="S69",
        doi=doi,
        abstract="Linagliptin was given to mice for four weeks before transient middle cerebral artery occlusion.",
    )
    groups, result = works_of([a, b])
    assert len(groups) == 2 and not result.grey
    same_abstract = b.evolve(abstract=a.abstract)
    _, result = works_of([a, same_abstract])
    assert len(result.grey) == 1  # the abstracts agree: a person decides


def test_recurring_titles_and_co_published_articles_are_not_asked_encore_abstracts_are():
    kw = {"authors": ("Bayes, M.", "Rabasseda, X."), "venue": "Methods Find Exp Clin Pharmacol"}
    col = [
        rec(
            "1", title="Gateways to clinical trials", year=2006, volume="28", pages="185-206", **kw
        ),
        rec(
            "2", title="Gateways to clinical trials", year=2007, volume="29", pages="467-509", **kw
        ),
    ]
    groups, result = works_of(col)
    assert len(groups) == 2 and not result.grey
    guideline = "Screening guidelines for the prevention and early detection of cervical cancer"
    kw = {"authors": ("Saslow, D.", "Solomon, D."), "year": 2012}
    co = [
        rec("3", title=guideline, venue="CA Cancer J Clin", volume="62", pages="147-172", **kw),
        rec("4", title=guideline, venue="Am J Clin Pathol", volume="137", pages="516-542", **kw),
    ]
    groups, result = works_of(co)
    assert len(groups) == 2 and not result.grey
    encore = [
        rec("5", title=guideline, venue="Can J Neurol Sci", volume="37", pages="S42", **kw),
        rec("6", title=guideline, venue="Stroke", volume="41", pages="e505", **kw),
    ]
    groups, result = works_of(encore)
    assert len(groups) == 2 and len(result.grey) == 1  # one abstract at two meetings? ask
