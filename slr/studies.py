"""Studies: a study is one or more reports (PRISMA 2020); a work is one report.

De-duplication merges records of one document into a work. Documents that are different
reports of one study (an erratum and its article, a reply and the letter it answers, a
conference abstract and the full article, a preprint and its journal version, a trial
registry entry and the trial's publications) stay separate works and are *linked* here.

`studies.jsonl` is derived (written whole by `slr dedupe`, like `works.jsonl`): one line
per work that belongs to the study of another work, naming that study by the work id of
its main report, the relation, the rule that linked them and its evidence. A work with no
line is a study of its own. Stages read it through `study_index`/`study_members`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from slr.review import Review
from slr.store import field_of, write_jsonl_atomic

# How a report relates to the main report of its study.
RELATIONS = (
    "erratum",  # a correction, corrigendum or erratum notice about the article
    "retraction",  # a retraction notice or expression of concern
    "comment",  # a reply, comment or letter about the article
    "conference-abstract",  # a meeting abstract of the later full article
    "preprint",  # an earlier version (preprint, accepted manuscript) of the published one
    "registry",  # the study is a registered trial; this is a publication citing its number
    "same-study",  # a reviewer said so (`slr dedupe --review`, answer `s`)
)
# Notices follow their article: they are not screened on their own and show under it.
NOTICES = frozenset({"erratum", "retraction", "comment"})


@dataclass(frozen=True)
class StudyLink:
    """`work_id` is a report of the study whose main report is `study_id`."""

    work_id: str
    study_id: str
    relation: str
    rule: str
    evidence: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudyLink:
        return cls(
            work_id=field_of(data, "work_id", str),
            study_id=field_of(data, "study_id", str),
            relation=field_of(data, "relation", str, choices=RELATIONS),
            rule=field_of(data, "rule", str, ""),
            evidence=field_of(data, "evidence", str, ""),
        )


def studies_file(review: Review) -> Path:
    return review.store.studies_file


def load_links(review: Review) -> list[StudyLink]:
    """The study links of the last `slr dedupe` (none before it ran)."""
    return review.entries(studies_file(review), StudyLink.from_dict, "study link")


def save_links(review: Review, links: Iterable[StudyLink]) -> None:
    """Replace studies.jsonl atomically, sorted so that the same links give the same bytes."""
    review.store.ensure()
    ordered = sorted(links, key=lambda link: (link.study_id, link.work_id))
    write_jsonl_atomic(studies_file(review), (link.to_dict() for link in ordered))


def study_index(work_ids: Iterable[str], links: Iterable[StudyLink]) -> dict[str, str]:
    """work id -> study id for every work (its own id when it is linked to none).

    A link to a work that is not among `work_ids` (gone after a re-run) is ignored; chains
    (a reply to an erratum) resolve to the study at the end of the chain.
    """
    ids = list(work_ids)
    known = set(ids)
    parent = {
        link.work_id: link.study_id
        for link in links
        if link.work_id in known and link.study_id in known and link.work_id != link.study_id
    }
    index: dict[str, str] = {}
    for work_id in ids:
        path = [work_id]
        while path[-1] in parent and parent[path[-1]] not in path:
            path.append(parent[path[-1]])
        end = path[-1]
        if end in parent:  # a cycle (hand-made links): its smallest id is the study
            end = min(path[path.index(parent[end]) :])
        index[work_id] = end
    return index


def study_members(index: dict[str, str]) -> dict[str, list[str]]:
    """study id -> its reports' work ids (the main report first), from `study_index`."""
    members: dict[str, list[str]] = {}
    for work_id, study in index.items():
        members.setdefault(study, [])
        if work_id == study:
            members[study].insert(0, work_id)
        else:
            members[study].append(work_id)
    return members


def notices(work_ids: Iterable[str], links: Iterable[StudyLink]) -> dict[str, tuple[str, str]]:
    """notice work id -> (the report it follows, its relation), for linked errata, retractions
    and comments: they are not screened on their own but shown under that report.

    A notice follows the nearest report up its chain that is not itself a notice (a reply to
    an erratum follows the article); a link that `study_index` ignores makes no notice.
    """
    ids, links = list(work_ids), list(links)
    index = study_index(ids, links)
    known = set(ids)
    parent: dict[str, StudyLink] = {
        link.work_id: link
        for link in links
        if link.work_id in known and link.study_id in known and link.work_id != link.study_id
    }

    def is_notice(work_id: str) -> bool:
        return index[work_id] != work_id and parent[work_id].relation in NOTICES

    out: dict[str, tuple[str, str]] = {}
    for work_id in ids:
        if not is_notice(work_id):
            continue
        target, seen = parent[work_id].study_id, {work_id}
        while is_notice(target) and target not in seen:
            seen.add(target)
            target = parent[target].study_id
        out[work_id] = (index[work_id] if is_notice(target) else target, parent[work_id].relation)
    return out
