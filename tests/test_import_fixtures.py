"""Every real export file in ../shared/fixtures/exports: counts and fields read by eye.

Permissively licensed files are copied in tests/fixtures/exports (see PROVENANCE.md); the
GPL ones are read from ../shared and skipped when it is absent.
"""

from pathlib import Path

import pytest

from slr.importer import read_records

HERE = Path(__file__).resolve().parent / "fixtures" / "exports"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "exports"

# path, format, entries, source, {record index: {field: value}}; a field ending in "^" is
# compared as a prefix.
# fmt: off
CASES = [
    ('acm_bibtex/bbt_acm_dl_2019_style.bib', 'bibtex', 1, 'acm',
     {0: {'source_id': '10.1145/3290605.3300233', 'pages': '1-13', 'type': 'conference-paper', 'year': 2019, 'authors': 13}}),
    ('acm_bibtex/bbt_acm_dl_legacy_style.bib', 'bibtex', 1, 'import',
     {0: {'source_id': 'Mostafa:2009:TPA:1596655.1596682', 'pages': '162-171', 'publisher': 'ACM', 'doi': '10.1145/1596655.1596682'}}),
    ('dimensions_ris/synthesisr_citesource_issue_24.ris', 'ris', 17, None,
     {0: {'source_id': 'pub.1143865007', 'title^': 'Effects of artificial light on bird', 'url': 'https://app.dimensions.ai/details/publication/pub.1143865007'}}),
    ('ebsco_bibtex/buhos_ebsco_year_with_date.bib', 'bibtex', 1, 'import',
     {0: {'year': 2023, 'authors[0]': 'Paéz-Herrera, Jacqueline', 'pages': '500-510'}}),
    ('ebsco_ris/buhos_ebscohost.ris', 'ris', 2, 'ebsco',
     {0: {'source_id': '136788050', 'authors[0]': 'Parra‐Cardona, Rubén', 'year': 2019, 'keywords[0]': 'Adaptation, Psychological -- Mexico', 'pages': '334-352'}}),
    ('ebsco_ris/synthesisr_ASP_ris_example.ris', 'ris', 4, 'ebsco',
     {0: {'title^': '“Living on the edge”', 'authors[3]': 'Mougeot, François'}}),
    ('embase_csv/asreview_embase.csv', 'csv', 6, 'embase',
     {0: {'title^': 'Duplication cysts: Diagnosis', 'authors': ('Liu, R.', 'Adler, D.G.'), 'year': 2014, 'keywords[1]': 'bronchogenic duplication cyst (diagnosis, surgery)'}}),
    ('embase_ris/asreview_embase.ris', 'ris', 6, 'embase',
     {0: {'doi': '10.4103/2303-9027.138783', 'pages': '152-160', 'language': 'en', 'authors': ('Liu, R.', 'Adler, D.G.')}}),
    ('endnote_bibtex/bbt_endnote_export.bib', 'bibtex', 1, 'import',
     {0: {'title': 'Alzheimer mechanisms and therapeutic strategies', 'venue': 'Cell', 'volume': '148', 'issue': '6', 'pages': '1204-22'}}),
    ('endnote_ris/asreview_pubmed_endnote.txt', 'ris', 6, 'pubmed',
     {0: {'source_id': '21553931', 'doi': '10.2165/11586800-000000000-00000', 'venue': 'Clin Pharmacokinet'}}),
    ('endnote_tagged/colrev_ais_elibrary.enw', 'endnote-tagged', 6, 'import',
     {0: {'title^': 'How Trust Leads to Commitment', 'authors[1]': 'Straub, Detmar W.', 'pages': '1309-1348', 'volume': '45', 'issue': '3'}, 1: {'title': 'MISQ Volume 45, Issue 3 Table of Contents', 'pages': 'i-ii'}}),
    ('endnote_xml/jabref_EndnoteXmlImporterTestArticle2.xml', 'endnote-xml', 2, 'webofscience',
     {0: {'source_id': 'WOS:000200148800007', 'authors': ('Chapman, A. G.',), 'year': 1937, 'title': 'An ecological basis for reforestation of submariginal lands in the Central Hardwood Region', 'pages': '93-105', 'type': 'article'}, 1: {'type': 'book', 'pages': '162-168'}}),
    ('google_scholar_bibtex/synthesisr_litsearchr_gscholar.bib', 'bibtex', 1, 'import',
     {0: {'source_id': 'grames2019automated', 'publisher': 'Wiley Online Library', 'volume': '10', 'pages': '1645-1654'}}),
    ('google_scholar_pop_json/colrev_google_scholar_publish_or_perish.json', 'pop-json', 7, 'google-scholar',
     {0: {'source_id': 'GS:10955542985646283611', 'authors': ('W Guo', 'D Straub', 'P Zhang', 'Z Cai'), 'year': 2021, 'volume': None, 'venue': 'MIS Quarterly'}}),
    ('ieee_bibtex/buhos_ieee_iso_8859_1.bib', 'bibtex', 1, 'ieee',
     {0: {'source_id': '6345809', 'authors[1]': 'P. Mäder', 'authors[0]': 'J. Cleland-Huang', 'volume': None, 'pages': '231-240'}}),
    ('ieee_csv/litstudy_ieee.csv', 'ieee-csv', 10, 'ieee',
     {0: {'source_id': '6634083', 'authors': ('P. Kogge', 'J. Shalf'), 'year': 2013, 'title': 'Exascale Computing Trends: Adjusting to the "New Normal"\' for Computer Architecture', 'type': 'article', 'pages': '16-26'}}),
    ('ieee_ris/litstudy_ieee_example.ris', 'ris', 25, 'import',
     {0: {'authors': ('G. Kalbe',), 'venue': 'Computing in Science & Engineering', 'pages': '42-47', 'year': 2019}, 1: {'type': 'conference-paper', 'authors[1]': 'L. Hluchy'}}),
    ('mendeley_bibtex/bbt_mendeley_export.bib', 'bibtex', 512, 'import',
     {0: {'source_id': 'Black2020', 'doi': '10.1037/ppm0000281'}}),
    ('ovid_ris/synthesisr_Ovid_ris_example.ris', 'ris', 4, 'import',
     {0: {'source_id': '20203152553', 'doi': '10.4236/ojf.2020.101008', 'year': 2020, 'authors[0]': 'Holmstrom, E.'}}),
    ('proquest_ris/asreview_proquest.ris', 'ris', 6, 'ptsdpubs',
     {0: {'source_id': '2214991469', 'doi': '10.1002/jts.22387', 'venue': 'Journal of Traumatic Stress'}}),
    ('pubmed_csv/colrev_pubmed-chatbot.csv', 'csv', 6, 'pubmed',
     {0: {'source_id': '35227408', 'doi': '10.1016/j.beth.2021.09.007', 'year': 2022, 'authors': ('Lim, SM', 'Shiau, CWC', 'Cheng, LJ', 'Lau, Y.')}}),
    ('pubmed_medline/biopython_pubmed_result1.txt', 'pubmed', 1, 'pubmed',
     {0: {'source_id': '12230038', 'title': 'The Bio* toolkits--a brief overview.', 'authors': ('Mangalam, Harry',), 'pages': '296-302'}}),
    ('pubmed_medline/biopython_pubmed_result2.txt', 'pubmed', 4, 'pubmed',
     {0: {'source_id': '16403221', 'doi': '10.1186/1471-2105-7-10'}}),
    ('pubmed_medline/buhos_pubmed-30080086.nbib', 'pubmed', 1, 'pubmed',
     {0: {'title': 'Survivors of suicide attempts (SOSA) support group: Preliminary findings from an open-label trial.', 'doi': '10.1037/ser0000195', 'issue': '3'}}),
    ('pubmed_medline/buhos_pubmed-depression-set.nbib', 'pubmed', 3, 'pubmed',
     {0: {'source_id': '38064908', 'authors': ('Shen, Ruihuan', 'Zou, Tong')}}),
    ('pubmed_medline/pybibx_mcda_pubmed.txt', 'pubmed', 10, 'pubmed',
     {0: {'source_id': '36206242', 'authors[1]': 'Strzałka, Dominik', 'pages': 'e0268950'}}),
    ('pubmed_medline/synthesisr_PubMed_example.txt', 'pubmed', 3, 'pubmed',
     {0: {'source_id': '28441597', 'doi': '10.1016/j.scitotenv.2017.04.075'}}),
    ('pubmed_medline/synthesisr_res_synth_methods.txt', 'pubmed', 2, 'pubmed',
     {0: {'source_id': '32336025', 'volume': None, 'pages': None}}),
    ('rayyan_ris/asreview_ris_issue_992_rayyan.ris', 'ris', 19, 'import',
     {0: {'source_id': 'rayyan-264552525', 'keywords[1]': 'Joint Commission', 'keywords[12]': 'Patient Education', 'pages': '1-5'}}),
    ('sage_bibtex/buhos_sage_year_suffix.bib', 'bibtex', 3, 'import',
     {0: {'year': 2021, 'pages': '10-13', 'title^': 'Exploiting students’ part-time work'}}),
    ('sciencedirect_ris/jabref_sciencedirect.ris', 'ris', 1, 'import',
     {0: {'doi': '10.1016/j.actamat.2016.09.028', 'abstract': None, 'issue': None, 'url': 'https://www.sciencedirect.com/science/article/pii/S1359645416307273', 'title^': 'Phase separation and ω transformation', 'year': 2016}}),
    ('scopus_bibtex/buhos_scopus_2022_nonascii_keys.bib', 'bibtex', 21, 'scopus',
     {0: {'source_id': '2-s2.0-85121099434', 'authors[0]': 'Lüddeckens, J.'}}),
    ('scopus_bibtex/buhos_scopus_2026_new_url.bib', 'bibtex', 1, 'scopus',
     {0: {'source_id': '2-s2.0-85161616599', 'pages': None, 'language': 'en'}}),
    ('scopus_bibtex/buhos_scopus_comma_in_key.bib', 'bibtex', 1, 'scopus',
     {0: {'source_id': '2-s2.0-79952480144', 'pages': '3, 17', 'keywords[4]': 'Insurance, Psychiatric'}}),
    ('scopus_bibtex/pybibx_scopus_m.bib', 'bibtex', 24, 'scopus',
     {0: {'source_id': '2-s2.0-85083087417', 'doi': '10.1080/17509653.2019.1633964'}}),
    ('scopus_bibtex/synthesisr_Scopus_bib_example.bib', 'bibtex', 3, 'scopus',
     {0: {'doi': '10.1080/20964129.2020.1722034', 'source_id': '2-s2.0-85079532227'}}),
    ('scopus_csv/litstudy_scopus.csv', 'scopus-csv', 58, 'scopus',
     {0: {'source_id': '2-s2.0-27344436659', 'title': 'Scalable molecular dynamics with NAMD', 'authors[8]': 'Kalé, L.', 'type': 'review', 'pages': '1781-1802'}, 2: {'source_id': '2-s2.0-85123480963', 'language': 'en', 'type': 'article', 'pages': '1135'}}),
    ('scopus_ris/asreview_ris_issue_1099_scopus.ris', 'ris', 7, None,
     {0: {'source': 'scopus', 'source_id': '2-s2.0-85054091539', 'pages': '271-278'}, 1: {'type': 'conference-paper', 'year': 2020}}),
    ('scopus_ris/asreview_scopus.ris', 'ris', 6, 'scopus',
     {0: {'source_id': '2-s2.0-85074596690', 'type': 'review'}}),
    ('scopus_ris/synthesisr_Scopus_ris_example.ris', 'ris', 3, 'scopus',
     {0: {'source_id': '2-s2.0-85079532227'}}),
    ('springer_csv/litstudy_springer.csv', 'springer-csv', 18, 'springer',
     {0: {'authors': ('Araz R. Aliev', 'Nigar T. Ismayilova'), 'type': 'book-chapter', 'source_id': '10.1007/978-3-030-92127-9_33', 'year': 2022}, 1: {'type': 'book', 'authors[1]': 'Prof. Dr. Janusz Kacprzyk'}}),
    ('wos_bibtex/buhos_wos_2021.bib', 'bibtex', 1, 'webofscience',
     {0: {'source_id': 'WOS:000283553100003', 'pages': '915-930', 'authors[5]': 'Leith, Judy'}}),
    ('wos_bibtex/buhos_wos_early_access_tag.bib', 'bibtex', 1, 'webofscience',
     {0: {'source_id': 'WOS:000507046700001', 'year': 2019, 'type': 'article', 'title': 'Teaching as Emancipatory Practice: Professional Partnerships Enacting Culturally Relevant Work'}}),
    ('wos_bibtex/buhos_wos_incollection_book_author.bib', 'bibtex', 2, 'webofscience',
     {0: {'type': 'book-chapter', 'venue': 'URBAN MYTHS ABOUT LEARNING AND EDUCATION'}, 1: {'type': 'conference-paper'}}),
    ('wos_bibtex/buhos_wos_unicode_chars.bib', 'bibtex', 1, 'webofscience',
     {0: {'source_id': 'WOS:001174865100002', 'year': 2024}}),
    ('wos_bibtex/pybibx_wos_m.bib', 'bibtex', 29, 'webofscience',
     {0: {'source_id': 'WOS:000278542800018', 'doi': '10.1016/j.amc.2010.04.009'}}),
    ('wos_plaintext/metaknowledge_OnePaperNoCites.isi', 'wos', 1, 'webofscience',
     {0: {'source_id': 'WOS:000317623000007', 'references': ()}}),
    ('wos_plaintext/metaknowledge_TwoPaper.isi', 'wos', 2, 'webofscience',
     {0: {'source_id': 'WOS:000086967200001', 'authors': ('Kim, S',)}}),
    ('wos_plaintext/metaknowledge_testFile.isi', 'wos', 34, 'webofscience',
     {0: {'source_id': 'WOS:A1979GV55600001', 'type': 'review'}}),
    ('wos_plaintext/rispy_example_wos.txt', 'wos', 2, 'webofscience',
     {0: {'source_id': 'WOS:000221807500019', 'authors[3]': 'Loach, PA', 'title': 'Interactions stabilizing the structure of the core light-harvesting complex (LHl) of photosynthetic bacteria and its subunit (B820)', 'keywords[0]': 'CHEMICALLY SYNTHESIZED POLYPEPTIDES', 'references[0]': '10.1073/pnas.83.22.8589'}}),
    ('wos_plaintext/synthesisr_WoS_ciw_example.ciw', 'wos', 5, 'webofscience',
     {0: {'source_id': 'WOS:000514379300001', 'doi': '10.1080/20964129.2020.1722034'}}),
    ('wos_plaintext/synthesisr_WoS_txt_example.txt', 'wos', 4, 'webofscience',
     {0: {'source_id': 'WOS:000514379300001'}}),
    ('wos_ris/asreview_web_of_science.ris', 'ris', 10, None,
     {0: {'source': 'webofscience', 'source_id': 'WOS:000444108200009', 'pages': '387-397'}}),
    ('wos_ris/buhos_wos.ris', 'ris', 2, 'webofscience',
     {0: {'authors[0]': 'Sánchez-García, ID', 'keywords[5]': 'INFORMATION SECURITY'}}),
    ('wos_tabdelimited/scientopy_wos_savedrecs_4071.txt', 'wos-tab', 71, 'webofscience',
     {0: {'source_id': 'WOS:001242600300012', 'authors[0]': 'Sheeja Prakash, Karthika', 'doi': '10.1002/adsr.202300058', 'year': 2023, 'pages': '2300058'}}),
    ('zotero_bibtex/bbt_zotero_betterbibtex_library.bib', 'bibtex', 506, 'import',
     {1: {'source_id': 'akamatsu1989', 'title': 'Caractérisation Des Dispositifs Opto-Électroniques Par Microscopy à Balayage', 'authors': ('Akamatsu, B', 'Henoc, P', 'Martins, R B')}}),
    ('zotero_ris/asreview_baseline_zotero.ris', 'ris', 100, 'import',
     {0: {'doi': '10.1038/s42256-020-00287-7', 'authors[0]': 'van de Schoot, Rens'}}),
    ('zotero_ris/asreview_ovid_zotero.ris', 'ris', 6, 'import',
     {0: {'doi': '10.1002/cpp.2398', 'year': 2019}}),
    ('zotero_ris/asreview_pubmed_zotero.ris', 'ris', 6, 'import',
     {0: {'doi': '10.5114/pg.2018.81081', 'language': 'en', 'pages': '121-128'}}),
]
# fmt: on


def _path(rel: str) -> Path:
    local = HERE / rel
    if local.exists():
        return local
    shared = SHARED / rel
    if not shared.exists():
        pytest.skip(f"../shared is absent: {rel} (a GPL fixture, read there only)")
    return shared


def _value(record, name: str):
    if "[" in name:
        field, index = name[:-1].split("[")
        return getattr(record, field)[int(index)]
    value = getattr(record, name)
    return value


@pytest.mark.parametrize("rel, fmt, count, source, checks", CASES, ids=[c[0] for c in CASES])
def test_real_export(rel, fmt, count, source, checks):
    result = read_records(_path(rel))
    assert result.format == fmt
    assert len(result.records) == count and result.read == count
    assert result.problems == []
    if source is not None:
        assert {r.source for r in result.records} == {source}
    ids = [r.id for r in result.records]
    assert len(set(ids)) == len(ids), "ids unique within the file"
    for index, fields in checks.items():
        record = result.records[index]
        for name, expected in fields.items():
            if name.endswith("^"):
                assert (record.title or "").startswith(expected), (name, record.title)
            elif name == "authors" and isinstance(expected, int):
                assert len(record.authors) == expected
            else:
                assert _value(record, name) == expected, (name, _value(record, name))


def test_every_shared_export_has_a_case():
    if not SHARED.exists():
        pytest.skip("../shared is absent")
    listed = {c[0] for c in CASES}
    found = {str(p.relative_to(SHARED)) for p in SHARED.glob("*/*") if p.is_file()}
    assert found == listed


def test_latin1_file_warns_and_decodes():
    result = read_records(_path("ieee_bibtex/buhos_ieee_iso_8859_1.bib"))
    assert result.encoding in ("windows-1252", "latin-1")
    assert len(result.warnings) == 1 and "not valid UTF-8; read as Latin-1" in result.warnings[0]
    assert result.warnings[0].startswith(
        str(_path("ieee_bibtex/buhos_ieee_iso_8859_1.bib")) + ":2:"
    )


def test_scopus_export_date_is_kept():
    result = read_records(_path("scopus_bibtex/buhos_scopus_2026_new_url.bib"))
    assert result.meta["export_date"] == "15 April 2026"


def test_duplicate_bibtex_keys_stay_unique_and_are_reported():
    result = read_records(_path("mendeley_bibtex/bbt_mendeley_export.bib"))
    milazzo = [r for r in result.records if r.source_id.startswith("Milazzo2017")]
    assert [r.source_id for r in milazzo] == ["Milazzo2017", "Milazzo2017-2", "Milazzo2017-3"]
    assert any(
        ":500: same id import:Milazzo2017 as the entry at line 406" in w for w in result.warnings
    )


def test_raw_locator_points_at_the_entry_line():
    path = _path("wos_plaintext/rispy_example_wos.txt")
    result = read_records(path)
    lines = path.read_text("utf-8").split("\n")
    for record in result.records:
        line = int(record.raw.rsplit("#", 1)[1])
        assert lines[line - 1].startswith("PT ")
    assert result.records[0].raw.startswith(
        f"raw/import/{result.sha256[:12]}-rispy_example_wos.txt#"
    )
