"""slr.studies: reports grouped into studies (the contract dedupe writes and stages read)."""

from pathlib import Path

import pytest

from slr.errors import SlrError
from slr.studies import StudyLink, load_links, save_links, study_index, study_members

ROOT = Path(__file__).resolve().parents[1]


def test_links_group_reports_and_chains_resolve_to_the_main_report():
    links = [
        StudyLink("w2", "w1", "erratum", "notice-names-article", "Erratum: X"),
        StudyLink("w3", "w2", "comment", "reply-to", "Reply to: erratum"),
        StudyLink("w9", "gone", "preprint", "versions"),  # a work no longer there: ignored
    ]
    index = study_index(["w1", "w2", "w3", "w4", "w9"], links)
    assert index == {"w1": "w1", "w2": "w1", "w3": "w1", "w4": "w4", "w9": "w9"}
    assert study_members(index) == {"w1": ["w1", "w2", "w3"], "w4": ["w4"], "w9": ["w9"]}


def test_a_cycle_of_links_ends():
    links = [StudyLink("a", "b", "same-study", "answer"), StudyLink("b", "a", "same-study", "x")]
    index = study_index(["a", "b"], links)
    assert len(set(index.values())) == 1


def test_saved_links_read_back_in_a_stable_order(review):
    links = [
        StudyLink("w3", "w1", "retraction", "r"),
        StudyLink("w2", "w1", "erratum", "e", "Correction to: X"),
    ]
    save_links(review, links)
    first = (review.store.root / "studies.jsonl").read_bytes()
    save_links(review, list(reversed(links)))
    assert (review.store.root / "studies.jsonl").read_bytes() == first
    assert load_links(review) == sorted(links, key=lambda x: x.work_id)


def test_a_hand_edited_unknown_relation_is_a_one_line_error(review):
    review.store.ensure()
    (review.store.root / "studies.jsonl").write_text(
        '{"work_id": "w2", "study_id": "w1", "relation": "cousin", "rule": "x"}\n'
    )
    with pytest.raises(SlrError, match=r"studies.jsonl:1"):
        load_links(review)
