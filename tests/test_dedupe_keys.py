"""De-duplication keys: titles, authors, venues, pages and kinds of record as databases spell them."""

import pytest

from slr.dedupe import normalise as nz


@pytest.mark.parametrize(
    "a, b",
    [
        ("Efficacy of batroxobin. [Chinese]", "Efficacy of batroxobin"),
        (
            "[Current aspects of HUS in children]. [Review] [16 refs] [Romanian]",
            "Current aspects of HUS in children",
        ),
        (
            "Gain of function in factor B.[Erratum appears in Proc Natl Acad Sci U S A. 2007 Jun",
            "Gain of function in factor B",
        ),
        (
            "Cost of HPV testing in Colombia (Structured abstract)",
            "Cost of HPV testing in Colombia",
        ),
        ("Exenatide inhibits K<inf>Ca</inf>3.1 channels", "Exenatide inhibits KCa3.1 channels"),
        (
            "Haemoglobin in paediatric tumours: a randomised trial",
            "Hemoglobin in pediatric tumors: a randomized trial",
        ),
        ("TGF-β signalling", "TGF-beta signalling"),
        ("Atypical Hemolytic–Uremic Syndrome", "Atypical hemolytic-uremic syndrome"),
        ("Pre-diabetic mice", "Prediabetic mice"),
    ],
)
def test_title_keys_meet_across_database_spellings(a, b):
    assert nz.compact(nz.title_words(a)) == nz.compact(nz.title_words(b))


def test_different_titles_keep_different_keys():
    assert nz.title_words("Type 1 diabetes") != nz.title_words("Type 2 diabetes")
    assert nz.title_words("") == "" and nz.title_words(None) == ""


@pytest.mark.parametrize(
    "name, key",
    [
        ("Zhai, Q. J.", ("zhai", "qj")),
        ("Yutsis, Maya", ("yutsis", "m")),
        ("Zuna RE", ("zuna", "re")),
        ("Gan L. M.", ("gan", "lm")),
        ("Heather Piwowar", ("piwowar", "h")),
        ("Le Quintrec, M.", ("lequintrec", "m")),
        ("Nürnberger, Jens", ("nurnberger", "j")),
        ("Stahl, Bernd-Carsten", ("stahl", "bc")),
    ],
)
def test_author_key_reads_common_layouts(name, key):
    assert nz.author_key(name) == key


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("Curr Opin Lipidol", "Current Opinion in Lipidology", True),
        ("J Am Coll Cardiol", "Journal of the American College of Cardiology", True),
        ("Circulation. Conference: Resuscitation Science Symposium", "Circulation", True),
        ("ECOSYSTEM HEALTH AND SUSTAINABILITY", "Ecosystem Health and Sustainability", True),
        ("Donm Hamu Vono", "Donmu Hamubiathon Vonova", True),
        ("Atherosclerosis", "Circulation", False),
    ],
)
def test_venue_match_allows_abbreviations(a, b, same):
    assert nz.venue_match(nz.venue_tokens(a), nz.venue_tokens(b)) is same
    assert nz.venue_match((), nz.venue_tokens(b)) is None


def test_pages_compare_first_pages_and_tolerate_garbled_or_article_numbers():
    p = nz.page_numbers
    assert p("221-8") == "221-228" and p("S78-S89") == "78-89" and p("e12724") == "@12724"
    assert nz.pages_agree(p("221-8"), p("221-228")) == 1
    assert nz.pages_agree(p("359"), p("356-359")) == 0  # only the last page given
    assert nz.pages_agree(p("Suppl-29"), p("S417-S429")) == 0  # garbled export
    assert nz.pages_agree(p("1-6"), p("e12724")) == 0  # print pages vs article number
    assert nz.pages_agree(p("703-712"), p("1107")) == -1


def test_numbers_kinds_and_generic_titles():
    words = nz.title_words
    assert nz.numbers(words("Management of X. Part II")) == {"2"}
    assert nz.numbers(words("HPV 16/18 among 10 000 women")) == nz.numbers(
        words("HPV16/18 among 10000 women")
    )
    assert nz.item_kind(words("Erratum: Severe deficiency of X")) == "notice"
    assert nz.item_kind(words("Severe deficiency of X (vol 142, pg 310, 2003)")) == "notice"
    assert nz.item_kind(words("Atypical HUS and streptococcus - Reply")) == "comment"
    assert nz.item_kind(words("Correction of scoliosis in adults")) == "item"
    assert nz.is_generic(words("Editorial")) and nz.is_generic(words("Introduction."))
    assert not nz.is_generic(words("Machine learning operations: a survey"))


def test_record_class_detects_preprints_by_type_doi_and_server():
    assert nz.record_class("posted-content", None, None) == "preprint"
    assert nz.record_class(None, "arXiv", None) == "preprint"
    assert nz.record_class("article", None, "10.48550/arxiv.2205.02302") == "preprint"
    assert nz.record_class("article", "bioRxiv", "10.1101/2020.03.01.123456") == "preprint"
    assert nz.record_class("article", "Genome Research", "10.1101/gr.123") == "journal"
    assert nz.record_class("inproceedings", None, None) == "conference"
