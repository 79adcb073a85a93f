"""The report and the search log say only what the logs hold (issue 14 item 8)."""

from pathlib import Path

from conftest import new_review
from test_prisma import FT, TA, build

from slr.coding.log import Coding, record_codings
from slr.corpus import add_records, log_search, search_log
from slr.decisions import Decision, record_decision
from slr.prisma.counts import compute
from slr.records import Record
from slr.report import build_markdown, methods, reference, write_report
from slr.screen.ranking import MODEL, model_info
from slr.search import format_log
from slr.works import Work, load_works, save_works

ROOT = Path(__file__).resolve().parents[1]


def _section(text: str, head: str) -> str:
    return text.split(head, 1)[1].split("\n#", 1)[0]


def coded(tmp_path):
    """build()'s review with its included studies coded by one coder (so the matrix exists)."""
    from slr.screen.state import included_works

    review = build(tmp_path)
    record_codings(review, [Coding("ana", w.work_id, "C1", True) for w in included_works(review)])
    return review


def logged(tmp_path):
    """coded() with an import without query or date, a failed and a skipped search."""
    review = coded(tmp_path)
    base = {"filters": {}, "caps": [], "notes": ""}
    log_search(
        review,
        {
            **base,
            "kind": "import",
            "source": "scopus",
            "query": None,
            "date": None,
            "started": "2031-05-06T10:00:00Z",
            "kept": 12,
            "status": "ok",
        },
    )
    log_search(
        review,
        {
            **base,
            "kind": "search",
            "source": "sciencedirect",
            "query": "TITLE-ABS-KEY(x)",
            "date": "2031-05-07",
            "started": "2031-05-07T09:00:00Z",
            "kept": 3,
            "status": "ok",
        },
    )
    for source, status in (("openalex", "failed: HTTP 503"), ("ieee", "skipped: set KEY")):
        log_search(
            review,
            {
                **base,
                "kind": "search",
                "source": source,
                "query": "x",
                "date": "2031-05-08",
                "started": "2031-05-08T09:00:00Z",
                "kept": 0,
                "status": status,
            },
        )
    return review


def test_a_query_or_date_not_given_reads_not_recorded(tmp_path):
    review = logged(tmp_path)
    report = build_markdown(review)
    log = _section(report, "### Search log (PRISMA-S)")
    scopus = next(line for line in log.splitlines() if line.startswith("| Scopus"))
    assert scopus.startswith("| Scopus | export file | not recorded | not recorded |")
    assert "2031-05-06" not in report  # the import day is not a search date
    assert "None" not in report
    method = _section(report, "## Methods")
    assert "Scopus (exported file, search date not recorded)" in method
    assert "(not recorded for Scopus)" in method
    text = format_log(search_log(review))
    assert "query          not recorded" in text and "date           not recorded" in text
    assert "not recorded,scopus" in format_log(search_log(review), "csv")


def test_a_failed_or_skipped_search_is_listed_as_failed_not_as_searched(tmp_path):
    method = _section(build_markdown(logged(tmp_path)), "## Methods")
    searched = method.split("We searched ", 1)[1].split(".", 1)[0]
    assert "OpenAlex" not in searched and "IEEE" not in searched
    assert "ScienceDirect (API on 2031-05-07)" in searched
    failed = method.split("failed and are not counted as databases searched: ", 1)[1]
    assert "OpenAlex (2031-05-08: failed: HTTP 503)" in failed
    assert "IEEE Xplore (2031-05-08: skipped: set KEY)" in failed
    log = _section(build_markdown(logged(tmp_path / "b")), "### Search log (PRISMA-S)")
    assert "| failed: HTTP 503 |" in log and "| failed (skipped: set KEY) |" in log


def test_no_double_period_after_a_title_ending_in_a_period():
    rec = Record(
        "scopus",
        "1",
        title="What is MLOps?",
        authors=("Ana",),
        year=2020,
        venue="Proc. ICSE.",
    )
    line = reference(Work(rec.id, (rec.id,), ("scopus",), rec))
    assert line == "Ana (2020). What is MLOps? Proc. ICSE."
    rec = Record("scopus", "2", title="A study.", authors=("Bo",), year=2021)
    assert ".." not in reference(Work(rec.id, (rec.id,), ("scopus",), rec))


def test_studies_excluded_at_full_text_are_listed_with_their_criteria(tmp_path):
    report = build_markdown(coded(tmp_path))
    table = _section(report, "### Studies excluded at full text").strip().splitlines()
    assert table[0] == "| study | criteria (the first is the reason counted in PRISMA) |"
    rows = [r for r in table[2:] if r.startswith("|")]
    assert len(rows) == 3  # two from databases, one from citation searching
    assert any(
        "Study 7." in r
        and "EC3: Studies that do not allow access to their content; EC4: Papers" in r
        for r in rows
    )
    assert sum("EC2: Studies that talk about" in r for r in rows) == 2


def test_report_html_is_one_file_with_the_diagram_inline(tmp_path):
    review = coded(tmp_path)
    write_report(review, tmp_path / "out" / "report.html")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'src="prisma.svg"' not in html and "<img" not in html
    figures = html.count('<figure class="plot">')  # slr.plot figures, inline too
    assert html.count("<svg") == 1 + figures and "Records screened" in html
    assert "<?xml" not in html


# ---------------------------------------------------------------- PRISMA 2020 items 8 and 9


def team(tmp_path):
    """Six works screened by alice (in ranked order) and bob, two disagreements resolved,
    the four included studies coded by both."""
    text = (ROOT / "protocols" / "mlops.toml").read_text()
    review = new_review(
        tmp_path, text.replace('reviewers = ["reviewer1"]', 'reviewers = ["alice", "bob"]')
    )
    recs = [Record("scopus", f"s{i}", title=f"Paper {i}", year=2020) for i in range(6)]
    add_records(review, recs)
    save_works(review, [Work(r.id, (r.id,), ("scopus",), r) for r in recs])
    ids = [r.id for r in recs]
    ranked = {"ranking": model_info(1, 1, 0, True)}

    def d(who, stage, wid, decision, *criteria, **extra):
        record_decision(review, Decision(who, stage, wid, decision, tuple(criteria), extra=extra))

    for i, wid in enumerate(ids):
        alice = "exclude" if i == 5 else "include"
        d("alice", TA, wid, alice, *(("EC4",) if alice == "exclude" else ()), **ranked)
        bob = "exclude" if i in (4, 5) else "include"
        if i == 3:
            bob = "exclude"
        d("bob", TA, wid, bob, *(("EC4",) if bob == "exclude" else ()))
    d("resolved", TA, ids[3], "include", method="consensus", resolver="alice")
    d("resolved", TA, ids[4], "exclude", "EC4", method="third-reviewer", resolver="carol")
    for wid in ids[:4]:
        for who in ("alice", "bob"):
            d(who, FT, wid, "include")
    codings = []
    for n, wid in enumerate(ids[:4]):
        for concept in ("C1", "C2"):
            codings.append(Coding("alice", wid, concept, present=n % 2 == 0))
            codings.append(Coding("bob", wid, concept, present=n % 2 == 0 or n == 1))
    record_codings(review, codings)
    return review


def test_methods_say_who_screened_how_disagreements_were_resolved_and_the_agreement(tmp_path):
    review = team(tmp_path)
    text = " ".join(methods(review, compute(review), coder="alice"))
    assert "On title and abstract, alice and bob screened independently" in text
    assert "in their own log: 6 works by two of them." in text
    assert "Cohen's kappa" in text
    assert "The reviewers disagreed on 2 works; 1 was resolved by consensus (alice)" in text
    assert "1 was resolved by a third reviewer (carol)" in text
    assert "On full text, alice and bob screened independently" in text
    assert "each in their own log: 4 works by two of them." in text


def test_methods_state_the_ranking_model_stopping_rule_and_recall(tmp_path):
    review = team(tmp_path)
    text = " ".join(methods(review, compute(review)))
    assert "On title and abstract, 6 of the 12 decisions were taken in prioritised order" in text
    assert f"6 of them were ranked by the model `{MODEL}`" in text and "C=0.05" in text
    assert "All 6 works were screened; recall >= " in text
    assert "hypergeometric test of Callaghan & Müller-Hansen (2020)" in text
    plain = " ".join(methods(build(tmp_path / "b"), compute(build(tmp_path / "c"))))
    assert "Prioritised screening was not used" in plain


def test_methods_say_who_coded_and_the_coding_agreement(tmp_path):
    review = team(tmp_path)
    text = " ".join(methods(review, compute(review), coder="alice"))
    assert "coded against the protocol's 10 concepts by alice and bob" in text
    assert "over the 8 judgements coded by more than one: Cohen's kappa 0.50, 75% agreement" in text
    assert "2 disagreements" in text and "The concept matrix shows alice's coding" in text
    assert "No judgement was a keyword suggestion of slr accepted unchanged" in text
    single = " ".join(methods(build(tmp_path / "b"), compute(build(tmp_path / "c"))))
    assert "No included study has been coded" in single
    assert load_works(review)  # the review is intact after writing the methods
