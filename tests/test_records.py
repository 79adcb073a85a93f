"""Record model and normalisers, on messy values taken from real exports."""

import pytest

from slr.query import parse
from slr.records import (
    Record,
    normalise_doi,
    normalise_language,
    normalise_title,
    normalise_type,
    parse_year,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("https://doi.org/10.1111/j.1600-065X.2011.01066.x", "10.1111/j.1600-065x.2011.01066.x"),
        ("{{10.1016/B978-0-12-801537-7.00006-8}}", "10.1016/b978-0-12-801537-7.00006-8"),
        ("10.1109%2f5.24143", "10.1109/5.24143"),  # from a Scopus record URL
        ("https://doi.org/10.29007/542h;", "10.29007/542h"),
        ("DOI: 10.1145/3533378", "10.1145/3533378"),
        ("doi:10.1109/ACCESS.2022.3181730", "10.1109/access.2022.3181730"),
        ("10.1007/978-3-030-58167-1\\_7", "10.1007/978-3-030-58167-1_7"),  # BibTeX escape
        ("http://dx.doi.org/10.1016/j.dsm.2022.07.004.", "10.1016/j.dsm.2022.07.004"),
        (" 10.5220/0010997300003179 ", "10.5220/0010997300003179"),
        ("", None),
        ("not a doi", None),
        ("ISBN 978-3-16-148410-0", None),
    ],
)
def test_normalise_doi(raw, expected):
    assert normalise_doi(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Caract{\\'e}risation Des Dispositifs", "caracterisation des dispositifs"),
        ("Growth of {{InGaN}}/{{GaN}} Core\\textendash{}Shell", "growth of ingan gan core shell"),
        ("<i>In vitro</i> study of&nbsp;cells", "in vitro study of cells"),
        ("A study of soil fauna [Chinese]", "a study of soil fauna"),
        ("[Soil fauna diversity in forests]", "soil fauna diversity in forests"),
        ("An [18F]-NaF PET/CT Study", "an 18f naf pet ct study"),
        ("Schröder: MONITORING ML—models!", "schroder monitoring ml models"),
        (None, ""),
    ],
)
def test_normalise_title(raw, expected):
    assert normalise_title(raw) == expected


def test_types_languages_years():
    assert normalise_type("Conference Paper") == "conference-paper"
    assert normalise_type("Article; Early Access") == "article"
    assert normalise_type("JournalArticle") == "article"
    assert normalise_type("Erratum") == "other"
    assert normalise_type(None) is None
    assert normalise_language("English") == "en"
    assert normalise_language("eng") == "en"
    assert normalise_language("Klingon") is None
    assert parse_year("2021-03-01") == 2021
    assert parse_year("Mar 2019") == 2019
    assert parse_year("n.d.") is None


def test_record_round_trips_through_dict_and_matches_queries():
    rec = Record(
        source="scopus",
        source_id="2-s2.0-1",
        title="MLOps: challenges",
        authors=("Kreuzberger, D.", "Kühl, N."),
        year=2023,
        keywords=("MLOps",),
        extra={"eid": "2-s2.0-1"},
    )
    assert rec.id == "scopus:2-s2.0-1"
    data = rec.to_dict()
    assert "abstract" not in data and data["authors"] == ["Kreuzberger, D.", "Kühl, N."]
    assert Record.from_dict(data) == rec
    assert rec.matches(parse("mlops")).value == "match"
    assert rec.matches(parse("abstract:mlops")).value == "undecidable"
    assert rec.matches(parse("title:mlops")).value == "match"
    assert rec.evolve(year=2024).year == 2024 and rec.year == 2023
