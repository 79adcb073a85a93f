"""The shared pieces of the importers: LaTeX, names, lists, pages, types, detection."""

import pytest

from slr.formats import FORMATS, Document, detect
from slr.formats.common import (
    doc_type,
    invert_initials,
    join_list,
    pages,
    split_authors,
    split_list,
)
from slr.formats.latex import decode, escape


@pytest.mark.parametrize(
    "latex, text",
    [
        ('M{\\"u}ller', "Müller"),
        ("{\\v{C}}ech and {\\v c}", "Čech and č"),
        ("Garc{\\'\\i}a", "García"),
        ('\\AA{}ngstr{\\"o}m', "Ångström"),
        ("{\\ss} {\\o} {\\L}\\'{o}d\\'{z}", "ß ø Łódź"),
        ("(11\\=20) plane", "(112̄0) plane"),
        ("GaN{\\slash}AlN", "GaN/AlN"),
        ("\\emph{Very} {\\em big} \\textit{deal}", "Very big deal"),
        ("In\\textsubscript{x}Ga$_{1-x}$N", "InxGa1-xN"),
        ("$\\mu$m and $\\beta$-cells", "μm and β-cells"),
        ("pages 1--2---3", "pages 1–2—3"),
        ("``quoted''", "“quoted”"),
        ("a~b", "a b"),
        ("US$5 only", "US$5 only"),
        ("\\{literal\\} \\textbackslash{} \\textasciitilde{}", "{literal} \\ ~"),
        ("plain text, no markup", "plain text, no markup"),
    ],
)
def test_latex_decoding(latex, text):
    assert decode(latex) == text


@pytest.mark.parametrize("text", ["a--b", "{x}", "50% & $", "~^_#", "it''s ``q''", "\\alpha", "ü"])
def test_latex_escape_is_inverted_by_decode(text):
    assert decode(escape(text)) == text


def test_split_authors():
    assert split_authors("Lim SM, Shiau CWC, Lau Y.") == ["Lim SM", "Shiau CWC", "Lau Y."]
    assert split_authors("Kreuzberger, Dominik") == ["Kreuzberger, Dominik"]
    assert split_authors("Doe, J; Roe, R") == ["Doe, J", "Roe, R"]
    assert split_authors("Araz R. AlievNigar T. Ismayilova", glued=True) == [
        "Araz R. Aliev",
        "Nigar T. Ismayilova",
    ]
    assert split_authors("Ann McDonald", glued=True) == ["Ann McDonald"]


@pytest.mark.parametrize(
    "cell, conjunction, names",
    [
        # the de-duplication reader's cases (BibTeX `and`, EndNote's glued names)
        ("Smith, J. and Jones, K.", True, ["Smith, J.", "Jones, K."]),
        ("Li, W.; Dou, Z.", True, ["Li, W.", "Dou, Z."]),
        ("Adeli K.Lewis G. F.", False, ["Adeli K.", "Lewis G. F."]),
        ("Bruen R.Curley S.O'Reilly M. E.", False, ["Bruen R.", "Curley S.", "O'Reilly M. E."]),
        ("Joseph C,  and Gattineni J,", True, ["Joseph C", "Gattineni J"]),
        # the importers' cases
        ("Smith J, Jones K", False, ["Smith J", "Jones K"]),
        ("Joppi R, Bertele V, Garattini S.", True, ["Joppi R", "Bertele V", "Garattini S."]),
        ("Perez Cachon, Ana Lucia", True, ["Perez Cachon, Ana Lucia"]),
        ("Wright Jr., T C", True, ["Wright Jr., T C"]),
        # a corporate author keeps its `and` unless the cell is BibTeX-style
        ("Ministry of Health and Welfare", False, ["Ministry of Health and Welfare"]),
        ("Ministry of Health and Welfare", True, ["Ministry of Health", "Welfare"]),
        (None, True, []),
    ],
)
def test_one_split_authors_for_importers_and_dedupe(cell, conjunction, names):
    assert split_authors(cell, conjunction=conjunction) == names


@pytest.mark.parametrize(
    "name, stored",
    [
        ("Phillips J.C.", "Phillips, J.C."),
        ("Lim SM", "Lim, SM"),
        ("van de Schoot R.", "van de Schoot, R."),
        ("Müller A.-K.", "Müller, A.-K."),
        ("P. Kogge", "P. Kogge"),
        ("Wang Li", "Wang Li"),
        ("World Health Organization", "World Health Organization"),
        ("Kim, S", "Kim, S"),
    ],
)
def test_trailing_initials_are_inverted(name, stored):
    assert invert_initials(name) == stored


def test_lists_split_and_join():
    assert split_list("a (x, y), b") == ["a (x, y)", "b"]
    assert split_list("a; b, c;") == ["a", "b, c"]
    assert split_list(join_list(["Insurance, Psychiatric"])) == ["Insurance, Psychiatric"]


def test_pages():
    assert pages("79 – 88") == "79-88"
    assert pages("12", "15") == "12-15"
    assert pages("22-22") == "22"
    assert pages("e123", None) == "e123"
    assert pages("", "5") is None


def test_document_types():
    assert doc_type("Article; Book Chapter") == "book-chapter"
    assert doc_type("Article; Proceedings Paper") == "conference-paper"
    assert doc_type("Review; Early Access") == "review"
    assert doc_type("Article; Early Access") == "article"
    assert doc_type(None) is None


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("x.txt", "@article{k, title={T}}\n", "bibtex"),
        ("x.txt", "\n1.\nTY  - JOUR\nTI  - T\nER  - \n", "ris"),
        ("x.txt", "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI T\nER\nEF\n", "wos"),
        ("x.txt", "PT\tAU\tTI\tSO\tUT\nJ\tA\tT\tS\tWOS:1\n", "wos-tab"),
        ("x.nbib", "PMID- 123\nTI  - T\n", "pubmed"),
        ("x.csv", "Authors,Title,Year,Source title,Link,EID\n", "scopus-csv"),
        ("x.csv", "Cites,Authors,Title,Year,Source,Publisher,ArticleURL,GSRank\n", "pop-csv"),
        ("x.csv", "Item Title,Authors,Content Type\n", "springer-csv"),
        ("x.csv", '"Document Title",Authors,"PDF Link"\n', "ieee-csv"),
        ("x.tsv", "Title\tYear\n", "tsv"),
        ("x.csv", "Title;Year\n", "csv"),
        ("x.enw", "%0 Journal Article\n%T A title\n%A Doe, J\n", "endnote-tagged"),
        (
            "x.xml",
            "<?xml version='1.0'?><xml><records><record></record></records></xml>",
            "endnote-xml",
        ),
        ("x.json", '[{"title": "T", "cites": 3}]', "pop-json"),
    ],
)
def test_detection_by_content(name, text, expected):
    assert detect(Document(name, text=text)).name == expected


def test_registry_lists_every_format_once():
    assert set(FORMATS.names()) == {
        "bibtex",
        "ris",
        "wos",
        "wos-tab",
        "scopus-csv",
        "ieee-csv",
        "springer-csv",
        "pubmed",
        "pop-csv",
        "pop-json",
        "endnote-xml",
        "endnote-tagged",
        "cochrane",
        "cochrane-csv",
        "csv",
        "tsv",
        "xlsx",
    }
