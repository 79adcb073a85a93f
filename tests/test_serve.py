"""`slr serve` through Starlette's test client: the pages, the writes, the access rules."""

from __future__ import annotations

import json
import socket
import threading

import pytest
import requests
from click.testing import CliRunner
from conftest import new_review
from serve_support import PROTOCOL, free_port, served_review, shown, start_server
from starlette.testclient import TestClient

from slr.cli import main
from slr.decisions import Decision, read_log, read_notes, record_decision
from slr.fulltext import pdf_path
from slr.screen.session import open_session
from slr.serve.app import Server, Settings
from slr.serve.auth import Access, digest

TA = "/screen/title-abstract"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """Invitations go to a cache of the test's own, never the user's."""
    monkeypatch.setenv("SLR_CACHE_DIR", str(tmp_path / "cache"))


def client(review, **settings) -> TestClient:
    server = Server(review, Settings(allowed_hosts=("testserver",), **settings))
    return TestClient(server.app, follow_redirects=False)


def login(c: TestClient, name: str = "alice") -> None:
    assert c.post("/login", data={"name": name}).status_code == 303


def decide(
    c: TestClient, page: str, action: str, path: str = TA, headers: dict | None = None, **more: str
):
    """POST the form of `page` with `action`; returns the 303 response."""
    r = c.post(path, data={**shown(page), "action": action, **more}, headers=headers)
    assert r.status_code == 303, r.text
    return r


def log_of(review, name="alice"):
    return [(d.work_id, d.decision, d.criteria) for d in read_log(review, name)]


def test_screening_writes_each_decision_once_and_moves_on(tmp_path):
    review = served_review(tmp_path)
    c = client(review)
    login(c)
    page = c.get(TA).text
    assert shown(page)["work"] == "scopus:r1"
    assert "EC1" in page and "Not about MLOps" in page  # the criteria, with their keys
    assert "<mark>MLOps</mark>" in page  # the query's terms highlighted, as in the terminal
    r = decide(c, page, "include")
    assert r.headers["location"].startswith(TA)  # Post/Redirect/Get
    nxt = c.get(r.headers["location"]).text
    assert shown(nxt)["work"] == "scopus:r2"
    assert c.get(TA).text.count("scopus:r2") >= 1  # a reload shows the same next work
    assert shown(c.get(TA).text)["work"] == "scopus:r2"
    # the old page posted again (a second tab, Back, a double click): nothing written
    again = c.get(decide(c, page, "exclude:1").headers["location"]).text
    assert "nothing written" in again
    decide(c, nxt, "exclude:2")
    assert log_of(review) == [("scopus:r1", "include", ()), ("scopus:r2", "exclude", ("EC2",))]


def test_change_needs_the_decision_seen_and_undo_the_latest_seen(tmp_path):
    review = served_review(tmp_path)
    c = client(review)
    login(c)
    decide(c, c.get(TA).text, "include")
    decide(c, c.get(TA).text, "maybe")  # r2
    on_r3 = c.get(TA).text
    decide(c, on_r3, "back")
    back = c.get(TA).text
    assert shown(back)["work"] == "scopus:r2" and "your decision: maybe" in back
    decide(c, back, "exclude:1")  # an explicit change: the page showed the decision
    decide(c, back, "include")  # the same page again: its decision is no longer standing
    assert log_of(review)[-1] == ("scopus:r2", "exclude", ("EC1",))
    assert len(log_of(review)) == 3
    # a page that saw an older latest decision undoes nothing; one undo per page seen
    decide(c, on_r3, "undo")
    assert len(read_log(review, "alice")) == 3
    fresh = c.get(TA).text
    decide(c, fresh, "undo")
    decide(c, fresh, "undo")
    assert [d.decision for d in read_log(review, "alice")][-1] == "undo"
    assert sum(d.decision == "undo" for d in read_log(review, "alice")) == 1


def test_skip_note_and_the_end_of_the_queue(tmp_path):
    review = served_review(tmp_path, n=2)
    c = client(review)
    login(c)
    first = c.get(TA).text
    decide(c, first, "note", text="check the methods section")
    assert [n.text for n in read_notes(review, "alice")] == ["check the methods section"]
    assert "your note (saved): check the methods section" in c.get(TA).text
    decide(c, first, "skip")
    second = c.get(TA).text
    assert shown(second)["work"] == "scopus:r2"
    decide(c, second, "include")
    decide(c, c.get(TA).text, "include")  # the skipped one comes back
    assert "Every work at title-abstract has a decision" in c.get(TA).text
    assert read_log(review, "alice")[-1].work_id == "scopus:r1"


def test_markup_in_a_title_or_abstract_is_shown_as_text(tmp_path):
    review = served_review(tmp_path, abstract='MLOps <script>alert("x")</script> <b>bold</b>')
    c = client(review)
    login(c)
    page = c.get(TA).text
    assert "<script>alert" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "script-src 'self'" in c.get(TA).headers["content-security-policy"]


def test_full_text_shows_the_attached_pdf_inline(tmp_path):
    review = served_review(tmp_path, n=3)
    for name in ("alice", "bob"):
        record_decision(review, Decision(name, "title-abstract", "scopus:r2", "include"))
    pdf = pdf_path(review, "scopus:r2")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(b"%PDF-1.4\n% a stand-in PDF\n%%EOF\n")
    c = client(review)
    login(c)
    page = c.get("/screen/full-text").text
    assert shown(page)["work"] == "scopus:r2"
    assert '<iframe id="pdf" src="/pdf/scopus%3Ar2"' in page
    got = c.get("/pdf/scopus%3Ar2")
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("inline")
    assert got.content == pdf.read_bytes()
    assert c.get("/pdf/" + "a" * 5000).status_code == 404  # was a 500: file name too long
    assert c.get("/pdf/..%2F..%2Fprotocols%2Fserved.toml").status_code == 404
    # a full-text exclusion needs its criterion; `r` marks it not retrieved
    decide(c, page, "not-retrieved", path="/screen/full-text")
    assert "not retrieved" in c.get("/screen/full-text").text


def test_conflicts_resolution_and_status(tmp_path):
    review = served_review(tmp_path, n=3)
    record_decision(review, Decision("alice", "title-abstract", "scopus:r1", "include"))
    record_decision(review, Decision("bob", "title-abstract", "scopus:r1", "exclude", ("EC1",)))
    c = client(review)
    login(c, "bob")
    status = c.get("/status").text
    assert "bob" in status and "alice" in status and "decided" in status
    assert 'id="prisma"' in status or "no diagram yet" in status
    conflicts = c.get("/conflicts/title-abstract").text
    assert "alice: include" in conflicts and "bob: exclude (EC1)" in conflicts
    page = c.get("/resolve/title-abstract?method=consensus").text
    assert shown(page)["work"] == "scopus:r1" and "alice: include" in page
    decide(c, page, "include", path="/resolve/title-abstract", method="consensus")
    resolved = read_log(review, "resolved")
    assert [(d.work_id, d.decision, d.extra["resolver"]) for d in resolved] == [
        ("scopus:r1", "include", "bob")
    ]


def test_a_reviewer_sees_only_their_own_decisions(tmp_path):
    review = served_review(tmp_path, n=3)
    alice = client(review)
    login(alice)
    decide(alice, alice.get(TA).text, "exclude:2")
    bob = client(review)
    login(bob, "bob")
    page = bob.get(TA).text
    assert shown(page)["work"] == "scopus:r1"  # bob's queue starts where bob is
    assert "EC2" not in page.split('id="act"')[0]  # alice's decision is not on bob's card
    assert "your decision" not in page and "alice" not in page


def test_access_rules_off_loopback(tmp_path):
    review = served_review(tmp_path, n=3)
    c = client(review, host="0.0.0.0")
    for path in (TA, "/status", "/login", "/conflicts/title-abstract", "/pdf/x"):
        r = c.get(path)
        assert (r.status_code, r.text) == (403, "Forbidden"), path
    assert c.get("/join/not-a-token").status_code == 403
    access = Access(review.store.root)
    token = access.invite("alice")
    invitation = c.get(f"/join/{token}")
    assert invitation.status_code == 200 and "alice" in invitation.text
    assert access.invited(token) == "alice"  # looking at the link does not spend it
    joined = c.post("/join", data={"token": token})
    assert joined.status_code == 303
    cookie = joined.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert c.get(TA).status_code == 200
    again = client(review, host="0.0.0.0")
    assert again.post("/join", data={"token": token}).status_code == 403  # spent
    assert "token" not in access.path.read_text() or token not in access.path.read_text()
    # a write without the CSRF token is refused and writes nothing
    form = shown(c.get(TA).text)
    r = c.post(TA, data={"work": form["work"], "seen": "", "action": "include"})
    assert (r.status_code, r.text) == (403, "Forbidden")
    r = c.post(TA, data={**form, "csrf": "0" * 40, "action": "include"})
    assert r.status_code == 403
    r = c.post(TA, data={**form, "action": "include"}, headers={"origin": "http://evil.test"})
    assert r.status_code == 403
    assert read_log(review, "alice") == []
    # revoked: the session ends at once, on a server that keeps running
    access.revoke("alice")
    r = c.get(TA)
    assert (r.status_code, r.text) == (403, "Forbidden")


def test_tokens_are_stored_as_hashes_outside_the_corpus(tmp_path):
    review = served_review(tmp_path, n=1)
    access = Access(review.store.root)
    token = access.invite("bob")
    stored = access.path.read_text()
    assert token not in stored and access.invited(token) == "bob"
    assert tmp_path / "cache" in access.path.parents
    assert review.store.root not in access.path.parents
    assert oct(access.path.stat().st_mode & 0o777) == "0o600"
    access.revoke("bob")
    assert access.invited(token) is None


def test_secure_cookie_over_https_and_bounds(tmp_path):
    review = served_review(tmp_path, n=3)
    c = client(review, https=True, rate=0.01, burst=3)
    r = c.post("/login", data={"name": "alice"})
    assert "secure" in r.headers["set-cookie"].lower()
    big = c.post(TA, content=b"x" * 70_000, headers={"content-type": "text/plain"})
    assert big.status_code == 413
    codes = [c.get("/status").status_code for _ in range(6)]
    assert 429 in codes  # the rate limit: a burst of 3, then (almost) nothing
    wrong_host = client(review).get("/health", headers={"host": "evil.test"})
    assert wrong_host.status_code == 400  # DNS rebinding: only the loopback names on loopback


def test_browser_and_terminal_at_once(tmp_path):
    """bob in a terminal session (another thread) and alice in the browser, deciding at
    once; then alice's own terminal decides a work the browser shows."""
    review = served_review(tmp_path, n=40)
    c = client(review, rate=0)
    login(c)
    started = threading.Event()

    def terminal() -> None:
        session = open_session(review, "bob", "title-abstract")
        started.set()
        while session.current is not None:
            session.decide("exclude", ("EC1",))

    bob = threading.Thread(target=terminal)
    bob.start()
    assert started.wait(10)
    seen = []
    for _ in range(40):
        page = c.get(TA).text
        seen.append(shown(page)["work"])
        decide(c, page, "include")
    bob.join(30)
    assert not bob.is_alive()
    assert len(set(seen)) == 40
    assert [w for w, *_ in log_of(review)] == seen
    assert len(log_of(review, "bob")) == 40
    # the same reviewer in a terminal: the page notices before it answers
    review2 = served_review(tmp_path / "two", n=3)
    c2 = client(review2)
    login(c2)
    page = c2.get(TA).text
    open_session(review2, "alice", "title-abstract").decide("maybe")  # r1, in the terminal
    assert shown(c2.get(TA).text)["work"] == "scopus:r2"
    assert "nothing written" in c2.get(decide(c2, page, "include").headers["location"]).text
    assert log_of(review2) == [("scopus:r1", "maybe", ())]


def test_invite_and_revoke_from_the_command_line(tmp_path):
    review = served_review(tmp_path, n=1)
    proto = str(tmp_path / "protocols" / "served.toml")
    out = CliRunner().invoke(main, ["serve", "-p", proto, "--invite", "Alice", "--port", "9000"])
    assert out.exit_code == 0, out.output
    link = out.output.split()[1]
    assert link.startswith("http://127.0.0.1:9000/join/")
    assert Access(review.store.root).invited(link.rsplit("/", 1)[1]) == "alice"
    out = CliRunner().invoke(main, ["serve", "-p", proto, "--revoke", "alice"])
    assert "1 unused link(s)" in out.output
    out = CliRunner().invoke(main, ["serve", "-p", proto, "--invite", "mallory"])
    assert out.exit_code == 1 and "Error: unknown reviewer 'mallory'" in out.output


def test_own_writes_keep_the_session_and_other_writers_reopen_it(tmp_path):
    review = served_review(tmp_path, n=6)
    server = Server(review, Settings(allowed_hosts=("testserver",)))
    c = TestClient(server.app, follow_redirects=False)
    login(c)
    for _ in range(3):
        decide(c, c.get(TA).text, "include")
    desk = server.desks.screen("alice", "title-abstract", "protocol", None)
    assert desk.opened == 1  # three appends of its own: recognised, no re-reading
    record_decision(review, Decision("alice", "title-abstract", "scopus:r4", "maybe"))
    assert shown(c.get(TA).text)["work"] == "scopus:r5"  # another writer: re-opened first
    assert desk.opened == 2
    c.post("/logout", data={"csrf": shown(c.get(TA).text)["csrf"]})
    assert c.get(TA).headers["location"] == "/login"


def test_status_draws_the_interim_prisma_diagram(tmp_path):
    from test_prisma_interim import unfinished

    review = unfinished(tmp_path)
    c = client(review)
    login(c, "reviewer1")  # the reference protocol's reviewer
    status = c.get("/status").text
    assert "(interim: screening goes on)" in status and 'id="prisma"' in status
    svg = c.get("/status/prisma.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "PRISMA 2020 flow diagram" in svg.text and "INTERIM" in svg.text.upper()
    assert "<script" not in svg.text


def test_a_session_begun_without_a_token_is_no_pass_off_loopback(tmp_path):
    review = served_review(tmp_path, n=2)
    local = client(review)
    login(local)
    assert local.get(TA).status_code == 200
    again = client(review)
    again.cookies.update(local.cookies)
    assert again.get(TA).status_code == 200  # the copied cookie is a pass on loopback
    remote = client(review, host="0.0.0.0")
    remote.cookies.update(local.cookies)  # the same cookie, served to the network
    assert remote.get(TA).status_code == 403


def test_the_header_recall_is_worked_out_off_the_request_path(tmp_path):
    from slr.screen.stopping import labels_in_order, recall_bound
    from slr.serve.pages import Recall, header, recall_statement, worker

    review = served_review(tmp_path, n=30)
    session = open_session(review, "alice", "title-abstract")
    for n in range(12):
        session.decide("include" if n % 4 == 0 else "exclude", () if n % 4 == 0 else ("EC1",))
    recall = Recall(every=0)
    assert recall.text(session) == ""  # asked for; the page does not wait for it
    worker().submit(int).result(timeout=120)  # one worker, first in first out: it is done
    text = recall.text(session)
    labels = labels_in_order(list(session.decided_map().values()))
    assert text == recall_statement(labels, session.total)
    assert text == f"recall ≥ {recall_bound(labels, session.total):.0%} (95%)"
    assert header(session, text).endswith(" · " + text)
    assert header(session, text).startswith("title-abstract · alice · 13/30 · done 12")


# ---------------------------------------------------------------- found in a second review


def message_of(c: TestClient, response) -> str:
    """The message the page after a 303 shows."""
    page = c.get(response.headers["location"]).text
    return page.split('id="message" role="status">', 1)[1].split("</p>", 1)[0]


def test_digits_that_are_not_ascii_get_a_message_not_a_500(tmp_path):
    review = served_review(tmp_path, n=3)
    c = TestClient(
        Server(review, Settings(allowed_hosts=("testserver",))).app,
        follow_redirects=False,
        raise_server_exceptions=False,
    )
    login(c)
    page = c.get(TA).text
    # "²".isdigit() is True, int("²") raises: a key of a crafted form, or a pasted seed
    r = c.post(TA, data={**shown(page), "action": "exclude:²"})
    assert r.status_code == 303
    assert "no exclusion criterion" in message_of(c, r)
    assert c.get(TA + "?order=random&seed=²").status_code == 200
    r = c.post(TA, data={**shown(page), "action": "skip", "order": "random", "seed": "٣"})
    assert r.status_code == 303 and "seed" not in r.headers["location"]
    assert log_of(review) == []


def test_a_note_over_the_limit_is_refused_never_cut(tmp_path):
    review = served_review(tmp_path, n=2)
    c = client(review)
    login(c)
    page = c.get(TA).text
    r = decide(c, page, "note", text="x" * 4001)
    assert "note not saved: it has 4001 characters, at most 4000" in message_of(c, r)
    assert read_notes(review, "alice") == []
    r = decide(c, page, "note", text="y" * 4000)
    assert [n.text for n in read_notes(review, "alice")] == ["y" * 4000]


def test_with_three_reviewers_a_conflict_opens_to_each_once_their_own_decision_is_in(tmp_path):
    review = served_review(tmp_path, n=3, reviewers=("alice", "bob", "carol"))
    record_decision(review, Decision("bob", "title-abstract", "scopus:r1", "include"))
    record_decision(review, Decision("carol", "title-abstract", "scopus:r1", "exclude", ("EC1",)))
    c = client(review)
    login(c)  # alice has yet to screen scopus:r1
    conflicts = c.get("/conflicts/title-abstract").text
    assert "bob: include" not in conflicts and "carol: exclude" not in conflicts
    assert "scopus:r1" not in conflicts and 'id="hidden">1 more conflict(s)' in conflicts
    page = c.get("/resolve/title-abstract?method=consensus")
    assert page.status_code == 409 and "bob" not in page.text and "still in your own" in page.text
    csrf = shown(c.get(TA).text)["csrf"]
    form = {"csrf": csrf, "work": "scopus:r1", "seen": "", "action": "include"}
    assert (
        c.post("/resolve/title-abstract", data={**form, "method": "consensus"}).status_code == 409
    )
    assert read_log(review, "resolved") == []
    decide(c, c.get(TA).text, "maybe")  # alice's own decision on scopus:r1
    conflicts = c.get("/conflicts/title-abstract").text
    assert "bob: include" in conflicts and "carol: exclude (EC1)" in conflicts
    assert 'id="hidden"' not in conflicts
    page = c.get("/resolve/title-abstract?method=consensus")
    assert page.status_code == 200 and shown(page.text)["work"] == "scopus:r1"


def test_a_taken_port_or_a_bad_certificate_is_a_one_line_error(tmp_path):
    served_review(tmp_path, n=1)
    proto = str(tmp_path / "protocols" / "served.toml")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        out = CliRunner().invoke(main, ["serve", "-p", proto, "--port", port])
    assert out.exit_code == 1, out.output
    assert out.output.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert "pick another --port" in out.output and "serving" not in out.output
    assert len(out.output.strip().splitlines()) == 1
    pem = tmp_path / "not-a-cert.pem"
    pem.write_text("not a certificate\n")
    args = ["serve", "-p", proto, "--port", "0", "--certfile", str(pem), "--keyfile", str(pem)]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 1 and out.output.startswith(f"Error: --certfile {pem}")
    assert len(out.output.strip().splitlines()) == 1


def test_error_pages_do_not_tell_where_the_review_lives(tmp_path):
    review = new_review(tmp_path, PROTOCOL, name="served.toml")  # no works yet
    c = client(review)
    login(c)
    for path in (TA, "/screen/full-text", "/resolve/title-abstract"):
        page = c.get(path).text
        assert "corpus/served/works.jsonl: no works to screen" in page
        assert str(tmp_path) not in page
    assert str(tmp_path) not in c.get("/status").text
    assert str(tmp_path) not in c.get("/status/prisma.svg").text


def test_a_name_no_log_can_have_is_refused_at_login(tmp_path):
    # without a reviewer list a local reviewer types a name: "" or "../x" made a session
    # whose every page was a 500
    review = new_review(tmp_path, PROTOCOL.replace('reviewers = ["alice", "bob"]\n', ""))
    c = TestClient(
        Server(review, Settings(allowed_hosts=("testserver",))).app,
        follow_redirects=False,
        raise_server_exceptions=False,
    )
    for name in ("", "  ", "../../evil"):
        r = c.post("/login", data={"name": name})
        assert r.status_code == 400 and "invalid name" in r.text, name
        assert not r.cookies
        assert c.get(TA).headers["location"] == "/login"
    assert c.post("/login", data={"name": "dana"}).status_code == 303
    assert c.get(TA).status_code == 200


def test_tokens_only_says_nobody_can_get_in_and_never_prints_a_token(tmp_path):
    review = served_review(tmp_path, n=2)
    protocol = tmp_path / "protocols" / "served.toml"
    port = free_port()
    env = {"SLR_CACHE_DIR": str(tmp_path / "cache")}
    server = start_server(protocol, port, env, "--require-token")
    try:
        base = f"http://127.0.0.1:{port}"
        token = Access(review.store.root).invite("alice")
        http = requests.Session()
        assert http.get(f"{base}/join/{token}").status_code == 200
        r = http.post(f"{base}/join", data={"token": token}, allow_redirects=False)
        assert r.status_code == 303
        assert http.get(base + TA).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    said = (tmp_path / "protocols" / f"serve-{port}.log").read_text()
    assert "nobody can get in yet: no invitations" in said
    assert token not in said and "/join/" not in said  # no access log of URLs


def test_two_reviews_served_from_one_computer_keep_their_own_sessions(tmp_path):
    # a browser sends 127.0.0.1's cookies to every port: one cookie name signed out the other
    first = client(served_review(tmp_path / "one", n=2))
    second = client(served_review(tmp_path / "two", n=2))
    login(first, "alice")
    second.cookies.update(first.cookies)  # one browser: one cookie jar for the host
    login(second, "bob")
    first.cookies.update(second.cookies)
    assert first.get(TA).status_code == 200 and ">A served review · alice<" in first.get(TA).text
    assert ">A served review · bob<" in second.get(TA).text


def test_a_note_typed_then_a_decision_clicked_keeps_the_note(tmp_path):
    # the note field is in the decision form: its text came along with `include`, unsaved
    review = served_review(tmp_path, n=3)
    c = client(review)
    login(c)
    r = decide(c, c.get(TA).text, "include", text="borderline: check the methods")
    assert "note saved" in message_of(c, r)
    assert [(n.work_id, n.text) for n in read_notes(review, "alice")] == [
        ("scopus:r1", "borderline: check the methods")
    ]
    assert log_of(review) == [("scopus:r1", "include", ())]
    assert shown(c.get(TA).text)["work"] == "scopus:r2"
    decide(c, c.get(TA).text, "skip", text="come back to this")  # skip moves on, note kept
    assert [n.work_id for n in read_notes(review, "alice")] == ["scopus:r1", "scopus:r2"]
    assert shown(c.get(TA).text)["work"] == "scopus:r3"


def test_loopback_answers_to_the_address_it_was_bound_to_and_no_other_name(tmp_path):
    review = served_review(tmp_path, n=1)
    for host, asked, status in (
        ("127.0.0.2", "127.0.0.2:8765", 200),  # --host 127.0.0.2 was refused as a bad Host
        ("127.0.0.2", "localhost:8765", 200),
        ("::1", "[::1]:8765", 200),
        ("127.0.0.2", "evil.example:8765", 400),  # DNS rebinding: another name for us
    ):
        c = TestClient(Server(review, Settings(host=host)).app, follow_redirects=False)
        assert c.get("/login", headers={"host": asked}).status_code == status, (host, asked)


def test_every_route_is_rate_limited_not_only_the_pages_behind_a_login(tmp_path):
    review = served_review(tmp_path, n=1)
    for path in ("/health", "/login", "/static/serve.css", "/join/no-such-token", TA):
        c = client(review, rate=0.01, burst=2)
        codes = [c.get(path).status_code for _ in range(3)]
        assert codes[-1] == 429 and 429 not in codes[:2], (path, codes)


def test_behind_a_reverse_proxy_only_invitations_let_anyone_in(tmp_path):
    # `slr serve` on 127.0.0.1 behind a TLS proxy: every request comes from this computer,
    # and the name-picking /login let anyone on the network screen as anyone
    review = served_review(tmp_path, n=2)
    c = TestClient(Server(review, Settings()).app, follow_redirects=False)
    proxy = {"host": "127.0.0.1:8765", "x-forwarded-for": "10.1.2.3"}
    assert c.get("/login", headers=proxy).status_code == 403
    assert c.post("/login", data={"name": "alice"}, headers=proxy).status_code == 403
    local = TestClient(Server(review, Settings()).app, follow_redirects=False)
    assert (
        local.post("/login", data={"name": "bob"}, headers={"host": "localhost"}).status_code == 303
    )
    local.headers.update(proxy)  # a session begun on this computer is no pass through the proxy
    assert local.get(TA).status_code == 403
    # an invitation works through the proxy, under its public name (Host kept or rewritten)
    public = {"x-forwarded-for": "10.1.2.3", "x-forwarded-host": "lab-pc.example"}
    origin = {"origin": "https://lab-pc.example"}
    for host in ("lab-pc.example", "127.0.0.1:8765"):
        token = Access(review.store.root).invite("alice")
        c = TestClient(Server(review, Settings()).app, follow_redirects=False)
        c.headers.update({**public, "host": host})
        assert c.get(f"/join/{token}").status_code == 200
        joined = c.post("/join", data={"token": token}, headers=origin)
        assert joined.status_code == 303 and "secure" not in joined.headers["set-cookie"].lower()
        page = c.get(TA).text
        decide(c, page, "skip", headers=origin)
    token = Access(review.store.root).invite("alice")  # TLS at the proxy: a Secure cookie
    tls = {**public, "x-forwarded-proto": "https"}
    joined = c.post("/join", data={"token": token}, headers={**origin, **tls})
    assert "; secure" in joined.headers["set-cookie"].lower()
    direct = TestClient(Server(review, Settings()).app, follow_redirects=False)
    assert direct.get("/login", headers={"host": "evil.example"}).status_code == 400  # rebinding


def test_a_session_ends_thirty_days_after_it_began(tmp_path):
    review = served_review(tmp_path, n=1)
    access = Access(review.store.root)
    old, new = access.start("alice"), access.start("bob")
    data = json.loads(access.path.read_text())
    data["sessions"][digest(old)]["created"] = "2000-01-01T00:00:00Z"
    access.path.write_text(json.dumps(data))
    assert access.reviewer_of(old) is None and access.reviewer_of(new) == "bob"
    c = client(review)
    c.cookies.set(Server(review).cookie, old)
    assert c.get(TA).headers["location"] == "/login"
    access.start("carol")  # the next write forgets it
    assert digest(old) not in json.loads(access.path.read_text())["sessions"]
