"""One reader for the tagged formats (RIS, MEDLINE, WoS plain text, EndNote tagged)."""

from __future__ import annotations

from slr.formats import endnote_tagged, pubmed, ris, wos
from slr.formats.common import Document
from slr.formats.tagged import records


def _read(layout, text):
    return list(records(Document("x", text=text), layout))


def test_each_format_is_a_layout_of_the_one_reader():
    ris_text = (
        "TY  - JOUR\nKW  - a\nb\nTI  - One\n  two\nER  - \nTY  - JOUR\nTI  - Lost\nTY  - JOUR\n"
    )
    assert _read(ris.LAYOUT, ris_text) == [
        (1, {"TY": ["JOUR"], "KW": ["a", "b"], "TI": ["One\ntwo"]}),
        (7, "no 'ER  - ' line before the next 'TY  - '; record skipped"),
        (9, "the file ends inside this record (no 'ER  - '; truncated?); record skipped"),
    ]
    wos_text = "FN Clarivate\nPT J\nAU Smith, J\n   Jones, K\nTI A title\nER\nEF\n"
    assert _read(wos.PLAIN, wos_text) == [
        (2, {"PT": ["J"], "AU": ["Smith, J", "Jones, K"], "TI": ["A title"]})
    ]
    medline = "PMID- 1\nTI  - A long\n      title\n\nPMID- 2\nTI  - B\n"
    assert _read(pubmed.LAYOUT, medline) == [
        (1, {"PMID": ["1"], "TI": ["A long title"]}),
        (5, {"PMID": ["2"], "TI": ["B"]}),
    ]
    enw = "%0 Journal Article\n%T A\nlong title\n\n\n%T B\n"
    assert _read(endnote_tagged.LAYOUT, enw) == [
        (1, {"%0": ["Journal Article"], "%T": ["A long title"]}),
        (6, {"%T": ["B"]}),
    ]
