"""slr.fulltext: the retrieval log and page-marked texts every full-text stage shares."""

from pathlib import Path

import pytest

from slr.errors import SlrError
from slr.fulltext import (
    Retrieval,
    join_pages,
    latest_pdf,
    load_retrievals,
    log_retrieval,
    pages_of,
    pdf_path,
    retrieval_status,
    text_path,
)
from slr.review import open_review

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def review(tmp_path):
    proto = tmp_path / "protocols" / "mlops.toml"
    proto.parent.mkdir(parents=True)
    proto.write_text((ROOT / "protocols" / "mlops.toml").read_text())
    return open_review(proto)


def ev(work, event, method="fetched", **kw):
    return Retrieval(work, event, method, "2026-12-02T00:00:00Z", **kw)


def test_a_stored_pdf_wins_and_failed_attempts_alone_leave_a_work_to_try():
    events = [
        ev("a", "failed", reason="HTML landing page"),
        ev("b", "failed", reason="403"),
        ev("b", "exhausted"),
        ev("c", "not-retrieved", "marked"),
        ev("c", "retrieved", "attached", sha256="x"),
        ev("d", "retrieved", sha256="y"),
        ev("d", "not-retrieved", "marked"),
    ]
    assert retrieval_status(events) == {"b": "no-open-access", "c": "retrieved", "d": "retrieved"}
    assert latest_pdf(events)["c"].sha256 == "x"


def test_log_round_trip_and_paths(review):
    e = ev("scopus:2-s2.0-1", "retrieved", via="unpaywall", url="https://x/y.pdf", pages=3)
    log_retrieval(review, e)
    assert load_retrievals(review) == [e]
    assert pdf_path(review, "scopus:2-s2.0-1").name == "scopus_2-s2.0-1.pdf"
    assert text_path(review, "scopus:2-s2.0-1").parent.name == "fulltext"


def test_a_hand_edited_bad_event_is_a_one_line_error(review):
    review.store.ensure()
    (review.store.root / "fulltext.jsonl").write_text(
        '{"work_id": "a", "event": "lost", "method": "fetched", "date": "x"}\n'
    )
    with pytest.raises(SlrError, match=r"fulltext.jsonl:1"):
        load_retrievals(review)


def test_pages_round_trip():
    text = join_pages(["First page\ntwo columns", "Second page", ""])
    assert [n for n, _ in pages_of(text)] == [1, 2, 3]
    assert pages_of(text)[1][1].startswith("Second page")
    assert pages_of("no marks at all") == [(1, "no marks at all")]
