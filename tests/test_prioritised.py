"""Issue 20: model options reproducible from what a decision stores, the query-term prior,
the screen header while there is no ranking yet, and simulate's progress and --quiet.

Background work is awaited with public events (threading.Event, the ranker's wait()),
never with sleeps.
"""

import csv
import threading

import pytest
from click.testing import CliRunner

from slr.cli import main
from slr.records import Record
from slr.review import open_review
from slr.screen import ranking
from slr.screen import session as screen_session
from slr.screen.ranking import Ranker, WorkRanker, prior_text, protocol_prior, settings_with
from slr.screen.session import open_session
from slr.screen.simulate import simulate
from slr.tui.view import header
from slr.works import Work, save_works

WAIT = 600  # seconds: only a guard against a hang, never a timing assumption

MLOPS = [
    "MLOps challenges in production machine learning",
    "machine learning operations pipelines and monitoring",
    "deploying machine learning models: an MLOps case study",
    "continuous delivery for machine learning systems",
]
SOIL = [
    "soil earthworms in temperate forests",
    "forest soil fauna survey",
    "earthworm abundance and soil temperature",
    "beetles of the forest floor",
    "nitrogen in forest soils",
]


def works_of(titles):
    return [
        Work(f"s:{i}", (f"s:{i}",), ("s",), Record("s", str(i), title=t, abstract=f"text {i}"))
        for i, t in enumerate(titles)
    ]


class D:
    """A decision as the ranker reads it."""

    def __init__(self, decision):
        self.decision = decision


OPTIONS = [
    {},
    {"title_view": True},
    {"title_view": True, "view_weights": "by-training"},
    {"uncertain_first": 3},
    {"prior_text": prior_text('"machine learning" AND MLOps', ["monitoring"])},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_each_option_is_rebuilt_from_what_the_decision_stores(options):
    titles = [MLOPS[0], SOIL[0], MLOPS[1], SOIL[1], MLOPS[2], SOIL[2], MLOPS[3], SOIL[3]]
    works = works_of(titles)
    decided = {"s:0": D("include"), "s:1": D("exclude"), "s:3": D("exclude")}
    live = WorkRanker(seed=7, settings=settings_with(**options))
    order = [w.work_id for w in live(works, decided)]
    stored = live.decision_extra()["ranking"]  # what the next decision's log line holds
    assert stored["training"] == {"relevant": 1, "irrelevant": 2}
    for key, value in options.items():
        assert stored["settings"][key] == value
    # rebuilt from the stored model, settings and seed, and the decisions before it
    texts = [ranking.work_text(w.canonical.title, w.canonical.abstract) for w in works]
    again = Ranker(texts, stored["seed"], stored["settings"], [w.canonical.title for w in works])
    pool = [i for i, w in enumerate(works) if w.work_id not in decided]
    rebuilt = again.order([0, 1, 3], [1, 0, 0], pool)
    assert order[3:] == [works[i].work_id for i in rebuilt]
    # and a different seed or option would not necessarily agree, but the same ones always do
    assert rebuilt == Ranker(texts, 7, stored["settings"], titles).order([0, 1, 3], [1, 0, 0], pool)


@pytest.mark.parametrize("options", OPTIONS)
def test_a_simulation_is_reproducible_under_each_option(options):
    texts = (MLOPS + SOIL) * 3
    labels = [1] * 4 + [0] * 5
    labels = labels * 3
    a = simulate(texts, labels, 2, settings=settings_with(**options), titles=texts)
    b = simulate(texts, labels, 2, settings=settings_with(**options), titles=texts)
    assert a.order == b.order and a.settings == b.settings
    assert a.settings is not None and all(a.settings[k] == v for k, v in options.items())


def test_uncertainty_first_changes_what_comes_first_then_relevance_rules():
    texts = [MLOPS[0], SOIL[0], MLOPS[1], SOIL[1], MLOPS[2], SOIL[2], MLOPS[3], SOIL[3]]
    plain = Ranker(texts, 0).scores([0, 1], [1, 0], [2, 3, 4, 5, 6, 7])
    uncertain = Ranker(texts, 0, settings_with(uncertain_first=3))
    near = uncertain.scores([0, 1], [1, 0], [2, 3, 4, 5, 6, 7])
    assert (near <= 0).all() and not (near == plain).all()  # -|margin|: nearest the boundary
    # once the training set holds 2 priors + 3 decisions, it ranks by relevance again
    late = uncertain.order([0, 1, 2, 3, 4], [1, 0, 1, 0, 1], [5, 6, 7])
    assert late[0] == 6


def test_query_term_prior_ranks_the_matching_works_first_before_any_decision():
    texts = SOIL[:2] + [MLOPS[0]] + SOIL[2:] + [MLOPS[1]] + ["bees and honey"]
    prior = prior_text('(MLOps OR "machine learning") AND NOT earthworm*', ["monitoring"])
    assert prior == "MLOps machine learning monitoring"  # the NOT part is no evidence for
    ranker = Ranker(texts, 0, settings_with(prior_text=prior))
    order = ranker.order([], [], list(range(len(texts))))
    assert set(order[:2]) == {2, 6}  # the two MLOps works, before every other one
    # without a prior nothing is known: the given order stays
    assert Ranker(texts, 0).order([], [], [3, 1, 0]) == [3, 1, 0]


def test_query_term_prior_of_a_protocol_and_a_bad_query(tmp_path):
    from slr.errors import QueryError

    review = make_review(tmp_path, 3)
    assert protocol_prior(review.protocol) == "MLOps machine learning operations monitoring"
    with pytest.raises(QueryError, match="--query: cannot parse query"):
        prior_text("MLOps or devops", where="--query")


PROTOCOL = """
[review]
id = "t"
title = "Test review"
reviewers = ["alice"]

[search]
query = 'MLOps OR "machine learning operations"'
sources = ["openalex"]

[[criteria.exclusion]]
id = "EC1"
text = "No relevance to the research question"

[[concepts]]
id = "C1"
label = "Monitoring"
keywords = ["monitoring"]
"""


def make_review(tmp_path, n):
    path = tmp_path / "protocols" / "t.toml"
    path.parent.mkdir(parents=True)
    path.write_text(PROTOCOL, encoding="utf-8")
    review = open_review(path)
    topics = ("MLOps challenges deploying machine learning models", "Soil fauna and earthworms")
    records = [
        Record("openalex", f"W{i}", title=f"{topics[i % 2 == 0]} {i}", type="article")
        for i in range(1, n + 1)
    ]
    save_works(review, [Work(r.id, (r.id,), (r.source,), r) for r in records])
    return review


def test_the_header_says_why_there_is_no_ranking_yet(tmp_path, monkeypatch):
    """waiting for one include and one exclude -> building features (n/N) -> first model -> ranked."""
    monkeypatch.setattr("slr.screen.ranking.BACKGROUND_FROM", 1)  # a large review: background
    monkeypatch.setattr(WorkRanker, "RERANK_EVERY", 0.0)

    def no_process(*args, **kwargs):
        raise OSError("no processes here")  # the model is built in a thread of this process

    monkeypatch.setattr("slr.screen.ranking.RemoteRanker.__init__", no_process)
    reported, release = threading.Event(), threading.Event()
    real = ranking.Ranker

    def held(texts, seed, settings, titles, progress):
        progress("building features", 3, len(texts))
        reported.set()
        assert release.wait(WAIT)
        return real(texts, seed, settings, titles, progress)

    monkeypatch.setattr("slr.screen.ranking.Ranker", held)
    review = make_review(tmp_path, 12)
    order = screen_session.ordering("ranked", review, "title-abstract", "alice")
    ranker = order.ranker
    try:
        session = open_session(review, "alice", "title-abstract", order=order)
        assert header(session).endswith("ranking: waiting for one include and one exclude")
        session.decide("include")  # W1, MLOps
        assert header(session).endswith("ranking: waiting for one include and one exclude")
        session.decide("exclude", ["EC1"])  # W2, soil
        assert reported.wait(WAIT)
        assert header(session).endswith("ranking: building features (3/12)")
        release.set()
        assert ranker.wait(WAIT) and not ranker.error
        assert header(session).endswith("ranking: first model")  # made, not yet in use
        session.rerank()  # the screen adopts it at the next decision
        assert "ranking" not in header(session)
        assert ranker.decision_extra()["ranking"]["training"] == {"relevant": 1, "irrelevant": 1}
    finally:
        release.set()
        ranker.close()


def test_a_small_review_says_it_waits_then_ranks_at_once(tmp_path):
    review = make_review(tmp_path, 6)
    order = screen_session.ordering("ranked", review, "title-abstract", "alice")
    session = open_session(review, "alice", "title-abstract", order=order)
    assert header(session).endswith("ranking: waiting for one include and one exclude")
    session.decide("exclude", ["EC1"])  # W1 is an MLOps work, but excluded here
    assert "waiting for one include and one exclude" in header(session)
    session.decide("include")
    assert "ranking" not in header(session)


def _data(tmp_path):
    path = tmp_path / "data.csv"
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "title", "abstract", "included"])
        for n in range(60):
            relevant = n % 6 == 0
            title = "Challenges of MLOps adoption" if relevant else f"Soil fauna survey {n}"
            out.writerow([f"r{n}", title, "", int(relevant)])
    return path


def test_simulate_shows_progress_on_stderr_and_quiet_silences_it(tmp_path):
    path = _data(tmp_path)
    run = CliRunner().invoke(main, ["simulate", str(path), "--seed", "1"])
    assert run.exit_code == 0, run.output
    lines = run.stderr.splitlines()
    # every 5% of the records (3 of 58, counted without the 2 priors, as the results count
    # them) and at the end, how far it has come
    assert lines[0].startswith("simulating: 3 of 58 records screened after the 2 priors, ")
    assert lines[-1].startswith(
        "simulating: 58 of 58 records screened after the 2 priors, 9 of 9 relevant found"
    )
    assert "records N = 58 (priors excluded), relevant R = 9" in run.stdout
    assert len(lines) == 20
    assert "where each stopping rule stops" in run.stdout
    assert "safe: ranked until 10% screened and 50 irrelevant in a row" in run.stdout
    quiet = CliRunner().invoke(main, ["simulate", str(path), "--seed", "1", "--quiet"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert quiet.stdout == run.stdout  # the same results, without the progress


def test_simulate_takes_a_query_and_keywords(tmp_path):
    path = _data(tmp_path)
    run = CliRunner().invoke(
        main, ["simulate", str(path), "-q", "--query", "MLOps AND adoption", "--keywords", "x"]
    )
    assert run.exit_code == 0, run.output
    bad = CliRunner().invoke(main, ["simulate", str(path), "-q", "--query", "MLOps or devops"])
    assert bad.exit_code == 1 and bad.output.startswith("Error: --query: cannot parse query")


def test_where_each_stopping_rule_stops_on_a_hand_checked_order():
    from slr.screen.stopping import simulated_stops

    labels = [1] * 5 + [0] * 95  # N = 100, all 5 relevant first
    safe, tail, fifty, hundred, switch = simulated_stops(labels, seed=4)
    # 10% screened and 50 irrelevant in a row at 55; then the 45 left (none relevant) are
    # sampled: K_tar = floor(5 / 0.95) + 1 - 5 = 1, p = (45 - n) / 45 < 0.05 from n = 43
    assert (switch.screened, switch.recall) == (55, 1.0)
    assert (safe.screened, safe.recall) == (98, 1.0) and safe.work_saved == pytest.approx(0.02)
    assert (fifty.screened, fifty.work_saved) == (55, pytest.approx(0.45))
    assert hundred.screened is None and hundred.work_saved == 0.0  # never 100 in a row
    assert tail.screened is not None and tail.recall == 1.0
    assert safe.rule.startswith("safe: ranked until 10% screened")


def test_the_fast_suffix_p_is_the_minimum_over_every_suffix():
    import math
    import random
    from fractions import Fraction

    from scipy.stats import hypergeom

    from slr.screen.stopping import suffix_p

    def every(labels, total, target):  # methods 3.2, term by term
        r, n, best = sum(labels), len(labels), 1.0
        for m in range(1, n + 1):
            k = sum(labels[n - m :])
            k_tar = math.floor(Fraction(r) / Fraction(str(target)) + 1 - (r - k))
            urn = total - (n - m)
            p = 0.0 if k_tar > urn else float(hypergeom.cdf(k, urn, k_tar, m))
            best = min(best, p)
        return best

    rng = random.Random(5)
    for _ in range(40):
        n = rng.randint(1, 120)
        labels = [int(rng.random() < 0.6 * math.exp(-i / 15)) for i in range(n)]
        if not sum(labels):
            continue
        total = n + rng.randint(0, 200)
        assert suffix_p(labels, total) == pytest.approx(every(labels, total, 0.95), abs=1e-12)


def test_recall_at_x_screens_ceil_x_n_records_as_methods_md_says():
    """methods.md §6 (ASReview's _slice_metric): recall@x = cumsum[ceil(x*N) - 1] / R."""
    from slr.screen.simulate import metrics

    labels = [1, 0, 1] + [0] * 22  # N = 25: ceil(0.1 * 25) = 3 records screened, both found
    assert metrics(labels).recall10 == 1.0


def test_a_setting_the_ranking_would_not_apply_is_refused():
    from slr.screen.ranking import settings_with

    with pytest.raises(ValueError, match="view_weights"):
        settings_with(view_weights="by_training")
    assert settings_with(view_weights="by-training")["view_weights"] == "by-training"


def test_min_df_drops_terms_in_fewer_rows():
    from slr.screen.ranking import Ranker, settings_with

    texts = ["alpha beta", "alpha gamma", "alpha delta", "beta epsilon"]
    one = Ranker(texts, 0, settings_with(ngram_range=[1, 1], max_df=1.0))
    two = Ranker(texts, 0, settings_with(ngram_range=[1, 1], max_df=1.0, min_df=2))
    assert one.views[0].shape[1] == 5 and two.views[0].shape[1] == 2  # alpha, beta


def test_a_recall_target_outside_0_1_is_a_usage_error(tmp_path):
    path = _data(tmp_path)
    for target in ("0", "1.5"):
        run = CliRunner().invoke(main, ["simulate", str(path), "--target", target, "-q"])
        assert run.exit_code == 2, run.output  # click's usage error, not a ZeroDivisionError
        assert "--target" in run.output and "Traceback" not in run.output


def test_a_titles_only_model_ranks_while_the_features_are_built(monkeypatch):
    """A large review: the first ranking comes from titles and keywords, says so in the
    header, is stored as such with the decisions it serves and rebuilt from them; the full
    model takes over once its features are built."""
    import multiprocessing

    monkeypatch.setattr("slr.screen.ranking.QUICK_FROM", 1)
    monkeypatch.setattr(WorkRanker, "RERANK_EVERY", 0.0)

    first_model = threading.Event()  # the real process lowers its priority then

    def served(seed, settings=None):  # the ranking "process" as a thread of this one
        ours, theirs = multiprocessing.Pipe()
        args = (theirs, seed, settings, first_model.set)
        threading.Thread(target=ranking.serve_requests, args=args, daemon=True).start()
        return ranking.RemoteRanker(seed, settings, conn=ours)

    monkeypatch.setattr("slr.screen.ranking._start_remote", served)
    release = threading.Event()
    real = ranking.Ranker

    def held(texts, seed=0, settings=None, titles=None, progress=None):
        while progress is not None and not release.wait(0.05):  # the full features: held
            progress("building features", 3, len(texts))  # each report lets the quick one answer
        return real(texts, seed, settings, titles, progress)

    monkeypatch.setattr("slr.screen.ranking.Ranker", held)
    titles = [MLOPS[0], SOIL[0], MLOPS[1], SOIL[1], MLOPS[2], SOIL[2], MLOPS[3], SOIL[3]]
    works = works_of(titles)  # each with an abstract, "text N", which the quick model skips
    decided = {"s:0": D("include"), "s:1": D("exclude"), "s:3": D("exclude")}
    counts = {"include": 1, "exclude": 2}
    pool = [i for i, w in enumerate(works) if w.work_id not in decided]
    live = WorkRanker(seed=7, background=True)

    def ranked_until(done):
        for _ in range(int(WAIT / 0.05)):  # a guard only: each turn waits on the ranker
            live.wait(0.05)
            order = [w.work_id for w in live(works, decided)]
            if done():
                return order
        raise AssertionError("no ranking came")

    try:
        live(works, decided)
        order = ranked_until(lambda: live.ready)
        assert first_model.is_set() and not release.is_set()  # before the full features
        assert live.state(counts) == "ranking: titles only, building features (3/8)"
        stored = live.decision_extra()["ranking"]
        assert stored["settings"]["text"] == ranking.QUICK_TEXT
        texts = ranking.texts_of(works, stored["settings"]["text"])
        assert "text" not in " ".join(texts)  # titles (and keywords) only
        again = real(texts, stored["seed"], stored["settings"]).order([0, 1, 3], [1, 0, 0], pool)
        assert order[3:] == [works[i].work_id for i in again]
        release.set()
        assert live.wait(WAIT)  # the job asks until the full model answers, then ends
        assert live.state(counts) == "ranking: titles only, full model from the next decision"
        order = [w.work_id for w in live(works, decided)]  # the next decision adopts it
        assert live.state(counts) == ""
        stored = live.decision_extra()["ranking"]
        assert stored["settings"]["text"] == ranking.FULL_TEXT
        texts = ranking.texts_of(works, stored["settings"]["text"])
        again = real(texts, stored["seed"], stored["settings"]).order([0, 1, 3], [1, 0, 0], pool)
        assert order[3:] == [works[i].work_id for i in again]
    finally:
        release.set()
        live.close()


def test_a_lagging_background_model_stores_which_decisions_trained_it():
    """In a large review the model in use may be a few decisions behind the log: each
    decision stores the time of the newest decision its model was trained on."""

    class Timed(D):
        def __init__(self, decision, time):
            super().__init__(decision)
            self.time = time

    works = works_of([MLOPS[0], SOIL[0], MLOPS[1], SOIL[1], MLOPS[2], SOIL[2]])
    decided = {
        "s:0": Timed("include", "2026-12-01T10:00:05Z"),
        "s:1": Timed("exclude", "2026-12-01T10:00:09Z"),
    }
    live = WorkRanker(seed=0, background=True)
    try:
        live(works, decided)
        assert live.wait(WAIT)
        live(works, decided)
        assert live.decision_extra()["ranking"]["trained_until"] == "2026-12-01T10:00:09Z"
        decided["s:3"] = Timed("exclude", "2026-12-01T10:00:20Z")
        decided["s:2"] = Timed("skip", "2026-12-01T10:00:30Z")  # not a label: not training
        live(works, decided)  # hands out the order it has, starts the next ranking
        stored = live.decision_extra()["ranking"]
        assert stored["trained_until"] == "2026-12-01T10:00:09Z"  # the model in use: behind
        assert stored["training"] == {"relevant": 1, "irrelevant": 1}
        assert live.wait(WAIT)
        live(works, decided)
        stored = live.decision_extra()["ranking"]
        assert stored["trained_until"] == "2026-12-01T10:00:20Z"
        assert stored["training"] == {"relevant": 1, "irrelevant": 2}
    finally:
        live.close()


def test_after_a_run_of_irrelevant_decisions_no_work_is_presumed_irrelevant():
    """explore_after: the random pool works presumed irrelevant push every region nobody
    has screened yet down; after that many irrelevant decisions in a row they are left out."""
    texts = [MLOPS[i % 4] + f" {i}" for i in range(20)] + [
        SOIL[i % 5] + f" {i}" for i in range(180)
    ]
    pool = list(range(5, 200))
    explore = Ranker(texts, 4, settings_with(explore_after=3))
    plain = Ranker(texts, 4, settings_with(presumed_irrelevant=0))
    stuck = ([0, 20, 21, 22], [1, 0, 0, 0])  # three irrelevant in a row: explore
    assert (explore.scores(*stuck, pool) == plain.scores(*stuck, pool)).all()
    going = ([20, 21, 0, 22], [0, 0, 1, 0])  # the same decisions, a relevant one second to last
    assert not (explore.scores(*going, pool) == plain.scores(*going, pool)).all()
    never = Ranker(texts, 4, settings_with(explore_after=0))
    assert not (never.scores(*stuck, pool) == plain.scores(*stuck, pool)).all()


def test_the_screen_trains_on_decisions_in_the_order_they_were_made():
    """The works come in protocol order, the training set in decision order (by time), so
    a run of irrelevant decisions is seen as the reviewer made it, and rebuilt from the log."""

    class Timed(D):
        def __init__(self, decision, time):
            super().__init__(decision)
            self.time = time

    titles = [MLOPS[i % 4] + f" {i}" for i in range(20)] + [
        SOIL[i % 5] + f" {i}" for i in range(180)
    ]
    works = works_of(titles)
    titles[199] = MLOPS[0]  # the last work in protocol order is an MLOps one
    works = works_of(titles)
    decided = {  # made in this order: include s:199, then excludes s:21, s:22, s:20
        "s:20": Timed("exclude", "2026-12-01T10:00:09Z"),
        "s:21": Timed("exclude", "2026-12-01T10:00:03Z"),
        "s:22": Timed("exclude", "2026-12-01T10:00:04Z"),
        "s:199": Timed("include", "2026-12-01T10:00:01Z"),
    }
    live = WorkRanker(seed=2, settings=settings_with(explore_after=3))
    order = [w.work_id for w in live(works, decided)]
    stored = live.decision_extra()["ranking"]
    texts = ranking.texts_of(works, stored["settings"]["text"])
    pool = [i for i, w in enumerate(works) if w.work_id not in decided]
    rebuilt = Ranker(texts, stored["seed"], stored["settings"]).order(
        [199, 21, 22, 20], [1, 0, 0, 0], pool
    )
    assert order[4:] == [works[i].work_id for i in rebuilt]
    # in protocol order (s:199 last) there is no run of three irrelevant: another ranking
    other = Ranker(texts, stored["seed"], stored["settings"]).order(
        [20, 21, 22, 199], [0, 0, 0, 1], pool
    )
    assert rebuilt != other
