"""`slr prisma --interim` while screening goes on, and criteria the protocol no longer has."""

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from test_prisma import FT, TA, build

from slr.cli import main
from slr.corpus import add_records
from slr.decisions import Decision, record_decision
from slr.prisma.counts import PrismaError, compute, summary
from slr.prisma.render import to_csv, to_svg, to_tikz
from slr.records import Record
from slr.works import Work, load_works, save_works


def unfinished(tmp_path):
    """The built review plus 2 unscreened database works, 1 unscreened citation work,
    1 work sent to full text and not yet assessed, and 1 still 'maybe' at full text."""
    review = build(tmp_path)
    late = [Record("scopus", f"late{i}", title=f"Late {i}", year=2020) for i in range(4)]
    cited = Record("openalex", "c9", title="Cited late", extra={"round": 1})
    add_records(review, [*late, cited])
    new = [Work(r.id, (r.id,), (r.source,), r) for r in [*late, cited]]
    save_works(review, [*load_works(review), *new])
    for wid in (late[2].id, late[3].id):
        record_decision(review, Decision("ana", TA, wid, "include"))
    record_decision(review, Decision("ana", FT, late[3].id, "maybe"))
    return review


def test_without_the_flag_the_error_names_it(tmp_path):
    review = unfinished(tmp_path)
    with pytest.raises(PrismaError, match=r"3 works not screened yet.*slr prisma --interim"):
        compute(review)
    result = CliRunner().invoke(main, ["prisma", "-p", str(review.protocol.path)])
    assert result.exit_code == 1 and "--interim" in result.output


def test_interim_counts_the_works_awaiting_each_stage_and_balances(tmp_path):
    c = compute(unfinished(tmp_path), interim=True)
    assert c.interim
    assert c.awaiting_screening == 2 and c.other_awaiting_screening == 1
    assert c.records_screened == 12  # 10 decided before + the 2 late ones sent on
    assert (c.databases.sought, c.databases.assessed, c.databases.awaiting) == (8, 5, 2)
    assert c.new_studies == 4  # nothing awaiting is counted as included
    text = summary(c)
    assert text.splitlines()[0].startswith("interim")
    assert "INTERIM - screening is not finished: 3 works await title-abstract screening" in text
    assert "Awaiting screening (n = 2)" in text and "Awaiting assessment (n = 2)" in text
    data = c.to_dict()
    assert data["interim"] is True and data["dbr_awaiting_assessment"] == 2


def test_interim_diagram_is_marked_in_every_drawing(tmp_path):
    review = unfinished(tmp_path)
    c = compute(review, interim=True)
    root = ET.fromstring(to_svg(c).encode("utf-8"))
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "INTERIM" in texts and "Awaiting screening (n = 2)" in texts
    assert "INTERIM" in to_tikz(c)
    with pytest.raises(PrismaError, match="cannot mark a diagram as interim"):
        to_csv(c)
    proto = str(review.protocol.path)
    result = CliRunner().invoke(main, ["prisma", "-p", proto, "--interim", "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.output)["awaiting_screening"] == 2


def test_a_finished_review_draws_the_same_diagram_with_or_without_the_flag(tmp_path):
    review = build(tmp_path)
    final = compute(review)
    assert "INTERIM" not in to_svg(final) and "interim" not in final.to_dict()
    assert compute(review, interim=True).databases == final.databases


def test_a_criterion_the_protocol_no_longer_has_is_shown_as_such(tmp_path):
    review = build(tmp_path)
    wid = load_works(review)[10].work_id  # included at full text by ana in build()
    record_decision(review, Decision("ana", FT, wid, "exclude", ("EC9",)))
    c = compute(review)
    assert c.databases.excluded["EC9 (no longer in the protocol)"] == 1
    assert "EC9 (no longer in the protocol) (n = 1)" in summary(c)
