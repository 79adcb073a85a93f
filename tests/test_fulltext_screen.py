"""Screening and coding from the full text, and the counts of retrieval (issue 17, items 4-6).

The screen's retrieval line, `/` search with pages, `o` with a stub viewer, `r` as a
retrieval event (never a decision, never a conflict), suggestions quoting sentence and page
with the `"` evidence key, and PRISMA, status and Methods counted from fulltext.jsonl.
"""

from __future__ import annotations

import stat
import sys
import time

from click.testing import CliRunner
from conftest import new_review
from test_coding_support import make_review as make_coding_review
from test_coding_support import work as coding_work
from test_screening import make_review, rec

from slr.cli import main
from slr.coding.log import latest, read_codings, suggest_for
from slr.corpus import add_records
from slr.decisions import Decision, read_log, record_decision
from slr.fulltext import (
    Retrieval,
    join_pages,
    load_retrievals,
    log_retrieval,
    pdf_path,
    text_path,
)
from slr.prisma.counts import compute
from slr.records import Record
from slr.report.methods import methods
from slr.screen.session import open_session
from slr.screen.state import conflicts, screening_counts
from slr.status import format_status, status
from slr.tui.keys import load_keymap
from slr.tui.screen import handle
from slr.tui.view import View, work_lines
from slr.works import Work, save_works

TA, FT = "title-abstract", "full-text"
W1, W2, W3 = "openalex:W1", "openalex:W2", "openalex:W3"


def at_full_text(tmp_path, n=3, reviewers=("alice",)):
    """A review whose n works all passed title-abstract (alice, and bob when listed)."""
    review, proto = make_review(tmp_path, [rec(i + 1) for i in range(n)], reviewers)
    for name in reviewers:
        for i in range(n):
            record_decision(review, Decision(name, TA, f"openalex:W{i + 1}", "include"))
    return review, proto


def got(wid, **kw):
    return Retrieval(wid, "retrieved", kw.pop("method", "fetched"), "2024-05-01T00:00:00Z", **kw)


def format_help(proto):
    return plain(proto, "?\nq\n").output


def plain(proto, keys, env=None):
    return CliRunner(env={"SLR_KEYS": "/nonexistent/keys.toml", **(env or {})}).invoke(
        main, ["screen", "-p", proto, "--reviewer", "alice", "--stage", FT], input=keys
    )


# ---------------------------------------------------------------- the screen


def test_screen_shows_retrieval_status_with_method_host_version_and_pages(tmp_path):
    review, _ = at_full_text(tmp_path)
    log_retrieval(
        review,
        got(W1, via="unpaywall", host="europepmc.org", version="accepted", pages=12),
        Retrieval(W2, "exhausted", "fetched", "2024-05-01T00:00:00Z"),
    )
    session = open_session(review, "alice", FT)
    lines = [text for text, _ in work_lines(session, session.current)]
    assert (
        "full text: retrieved (fetched via unpaywall, host europepmc.org, accepted version)"
        " · 12 pages" in lines
    )
    # W2 has no open copy but stays in the queue (the reviewer may have it); W3 was never tried
    assert [w.work_id for w in session.works] == [W1, W2, W3] and session.total == 3
    session.decide("include")
    assert "full text: no open-access copy found (attach the PDF you have, or press r)" in [
        text for text, _ in work_lines(session, session.current)
    ]
    session.decide("include")
    assert [text for text, _ in work_lines(session, session.current)].count(
        "full text: not yet tried"
    ) == 1


def test_slash_searches_the_text_and_shows_sentences_with_pages(tmp_path):
    review, proto = at_full_text(tmp_path, n=1)
    path = text_path(review, W1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        join_pages(
            [
                "Introduction. We study drift\nmonitoring in production. Nothing else.",
                "Results. Monitoring alerts fired twice! The end.",
            ]
        ),
        encoding="utf-8",
    )
    result = plain(proto, "/ MONITORING\n.\n.\n/ quantum\nq\n")
    assert result.exit_code == 0, result.output
    out = result.output
    first = "'MONITORING' hit 1 of 2, p. 1: We study drift monitoring in production."
    second = "'MONITORING' hit 2 of 2, p. 2: Monitoring alerts fired twice!"
    assert out.count(first) == 2 and out.count(second) == 1  # `.` wraps round to the first
    assert out.index(first) < out.index(second)
    assert "'quantum': not found in the full text" in out
    assert "/ search text" in format_help(proto)


def test_slash_without_extracted_text_says_so(tmp_path):
    _, proto = at_full_text(tmp_path, n=1)
    result = plain(proto, "/ anything\nq\n")
    assert "no extracted text for this work" in result.output


def _stub_viewer(tmp_path):
    record = tmp_path / "viewer-args.txt"
    script = tmp_path / "stub-viewer"
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"open({str(record)!r} + '.tmp', 'w').write(sys.argv[1])\n"
        f"import os; os.replace({str(record)!r} + '.tmp', {str(record)!r})\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, record


def _wait_for(path, limit=10.0):
    """Wait (bounded) for the viewer's record file: the public sign that it ran."""
    deadline = time.monotonic() + limit
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return path.exists()


def test_o_opens_the_pdf_in_the_viewer_detached(tmp_path, monkeypatch):
    review, _ = at_full_text(tmp_path, n=1)
    script, record = _stub_viewer(tmp_path)
    monkeypatch.setenv("SLR_PDF_VIEWER", str(script))
    session = open_session(review, "alice", FT)
    view = View()
    keymap = load_keymap(tmp_path / "no-keys.toml")
    handle(session, keymap, "o", view, lambda prompt: None)
    assert (
        view.message == "no PDF stored for this work; get it with `slr fulltext fetch` or `attach`"
    )
    pdf = pdf_path(review, W1)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    handle(session, keymap, "o", view, lambda prompt: None)
    assert view.message == f"opened {pdf.name} in stub-viewer"
    assert _wait_for(record)
    assert record.read_text() == str(pdf)


def test_o_with_no_viewer_gives_one_line(tmp_path, monkeypatch):
    review, proto = at_full_text(tmp_path, n=1)
    pdf = pdf_path(review, W1)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    result = plain(proto, "o\nq\n", env={"SLR_PDF_VIEWER": str(tmp_path / "no-such-viewer")})
    assert result.exit_code == 0, result.output
    assert f"SLR_PDF_VIEWER '{tmp_path / 'no-such-viewer'}' not found" in result.output


def test_r_writes_a_retrieval_event_not_a_decision_and_is_no_conflict(tmp_path):
    review, proto = at_full_text(tmp_path, n=2, reviewers=("alice", "bob"))
    result = plain(proto, "r\nq\n")
    assert result.exit_code == 0, result.output
    assert "not retrieved 1" in result.output  # the header counts it
    assert [d for d in read_log(review, "alice") if d.stage == FT] == []
    events = load_retrievals(review)
    assert [(e.work_id, e.event, e.method) for e in events] == [(W1, "not-retrieved", "marked")]
    bob = open_session(review, "bob", FT)
    assert [w.work_id for w in bob.works] == [W2]  # not retrieved: out of bob's queue too
    bob.decide("include")
    assert conflicts(review, FT) == {}
    counts = screening_counts(review, recall=False)[FT]
    assert counts["not_retrieved"] == 1 and counts["conflicts"] == 0


def test_old_not_retrieved_decisions_are_a_status_and_no_conflict(tmp_path):
    review, _ = at_full_text(tmp_path, n=1, reviewers=("alice", "bob"))
    record_decision(review, Decision("alice", FT, W1, "not-retrieved"))  # a log of old
    record_decision(review, Decision("bob", FT, W1, "exclude", ("EC2",)))
    assert conflicts(review, FT) == {}
    assert open_session(review, "alice", FT).current is None  # left alice's queue


# ---------------------------------------------------------------- coding


CONCEPTS = [{"id": "C1", "label": "Monitoring", "keywords": ["drift monitoring"]}]


def test_suggestions_quote_the_sentence_and_page_and_the_quote_key_saves_them(tmp_path):
    works = [coding_work(1, title="A study", abstract="Plain text.")]
    review = make_coding_review(tmp_path, CONCEPTS, works)
    path = text_path(review, works[0].work_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        join_pages(["Intro only.", "Methods. We added drift\nmonitoring to every model. Done."]),
        encoding="utf-8",
    )
    hint = suggest_for(review, works[0])["C1"]
    assert (hint.where, hint.snippet, hint.page) == (
        "full text",
        "We added drift monitoring to every model.",
        "2",
    )
    result = CliRunner().invoke(
        main, ["code", "-p", str(review.protocol.path), "--coder", "r1"], input='? \n" 1\ns\n'
    )
    assert result.exit_code == 0, result.output
    assert '" quote the suggestion' in result.output
    assert 'p. 2: "We added drift monitoring to every model."' in result.output
    saved = latest(read_codings(review, "r1"))[(works[0].work_id, "C1")]
    assert (saved.evidence, saved.page) == ("We added drift monitoring to every model.", "2")


# ---------------------------------------------------------------- counts


def three_reports(tmp_path, logged=True):
    """3 reports reach full text: 2 retrieved (Unpaywall, by hand) and included, 1 not."""
    review = new_review(tmp_path)
    recs = [
        Record("scopus", f"s{i}", title=f"Study {i}", year=2020, type="article") for i in (1, 2, 3)
    ]
    add_records(review, recs)
    save_works(review, [Work(r.id, (r.id,), (r.source,), r) for r in recs])
    ids = [r.id for r in recs]
    for wid in ids:
        record_decision(review, Decision("ana", TA, wid, "include"))
    if not logged:
        return review
    log_retrieval(
        review,
        got(ids[0], via="unpaywall"),
        got(ids[1], method="attached"),
        Retrieval(ids[2], "not-retrieved", "marked", "2024-05-02T00:00:00Z"),
    )
    for wid in ids[:2]:
        record_decision(review, Decision("ana", FT, wid, "include"))
    return review


def test_prisma_sought_and_not_retrieved_come_from_fulltext_log(tmp_path):
    c = compute(three_reports(tmp_path))  # final: nothing awaits a decision
    assert (c.databases.sought, c.databases.not_retrieved, c.databases.assessed) == (3, 1, 2)
    assert c.databases.included == 2


def test_status_shows_retrieved_not_retrieved_and_not_tried(tmp_path):
    review, _ = at_full_text(tmp_path)
    log_retrieval(review, got(W1), Retrieval(W2, "exhausted", "fetched", "2024-05-01T00:00:00Z"))
    text = format_status(status(review))
    assert (
        "  full texts: 1 retrieved, 0 not retrieved, 1 with no open-access copy (attach it, or r), "
        "1 not yet tried" in text
    )
    log_retrieval(review, Retrieval(W2, "not-retrieved", "marked", "2024-05-02T00:00:00Z"))
    assert "  full texts: 1 retrieved, 1 not retrieved, 1 not yet tried" in format_status(
        status(review)
    )


def test_methods_name_the_full_text_sources(tmp_path):
    review = three_reports(tmp_path)
    text = "\n".join(methods(review, compute(review)))
    assert (
        "Full texts were retrieved for 2 of 3 reports: 1 attached by hand, 1 via Unpaywall; "
        "1 could not be retrieved." in text
    )


def test_methods_say_not_recorded_without_a_retrieval_log(tmp_path):
    review = three_reports(tmp_path, logged=False)
    text = "\n".join(methods(review, compute(review, interim=True)))
    assert "How the full texts of the 3 reports were retrieved: not recorded." in text


def test_viewer_is_never_waited_on(tmp_path, monkeypatch):
    """A viewer that keeps running does not hold the screen: `o` returns while it runs."""
    review, _ = at_full_text(tmp_path, n=1)
    gate = tmp_path / "gate"
    started = tmp_path / "started"
    script = tmp_path / "slow-viewer"
    script.write_text(
        f"#!{sys.executable}\nimport os, time\nopen({str(started)!r}, 'w').close()\n"
        f"while not os.path.exists({str(gate)!r}):\n    time.sleep(0.02)\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("SLR_PDF_VIEWER", str(script))
    pdf = pdf_path(review, W1)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    session = open_session(review, "alice", FT)
    view = View()
    try:
        handle(session, load_keymap(tmp_path / "none.toml"), "o", view, lambda p: None)
        assert view.message.startswith("opened ")  # returned with the viewer still running
        assert _wait_for(started)
    finally:
        gate.touch()
