"""Rounds: start one from the included studies, resume an interrupted one from its
checkpoint (`round.json`) or abandon it, replay all of them offline, or repeat until
saturation. A round's cap on citing works per seed is fixed when it starts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slr.corpus import add_records, now_iso
from slr.decisions import STAGES, read_log, reviewers
from slr.http import Archive, Client
from slr.progress import Progress
from slr.records import Record
from slr.registry import Registry
from slr.review import Review
from slr.screen.rules import AutoScreen, auto_screen
from slr.screen.state import included_works, stage_states
from slr.snowball import crossref, openalex, semanticscholar
from slr.snowball.base import (
    DIRECTIONS,
    MAX_PER_SEED,
    ROUND_FILE,
    Fetcher,
    SnowballError,
    State,
    Task,
    records_by_id,
)
from slr.snowball.report import RoundReport, log_round, round_of, round_report
from slr.sources import SOURCES
from slr.sources.base import Source
from slr.store import write_atomic
from slr.works import Work, load_works, record_index, save_works

FETCHERS: Registry[Task] = Registry(
    "snowball source",
    SnowballError,
    table={
        "openalex": openalex.task,
        "semanticscholar": semanticscholar.task,
        "crossref": crossref.task,
    },
)
VIAS = FETCHERS.names()


@dataclass
class Saturation:
    """Where `until_saturation` stopped: saturated, or paused for screening."""

    status: str  # "saturated" | "paused"
    rounds: list[RoundReport]
    pending: dict[str, int]
    last_round: int | None = None


# ---------------------------------------------------------------- rounds on disk


def rounds(review: Review) -> list[tuple[Path, dict[str, Any]]]:
    """(folder, round state) of every round, in round order."""
    raw = review.store.raw
    found = []
    for path in raw.glob(f"*/snowball-*/{ROUND_FILE}") if raw.is_dir() else []:
        found.append((path.parent, json.loads(path.read_text("utf-8"))))
    return sorted(found, key=lambda item: int(item[1]["round"]))


def overridden_notes(screened: AutoScreen) -> list[str]:
    """Human inclusions the machine rules now override (a merged record changed a work's
    year, type or language): said where it happened, as `slr screen --auto` would."""
    return [
        f"{o.work_id}: {o.reviewer} said {o.decision}, now excluded by the rules "
        f"({', '.join(o.criteria)}): the new record changed its metadata; check it"
        for o in screened.overridden
    ]


def _save(folder: Path, state: dict[str, Any]) -> None:
    write_atomic(folder / ROUND_FILE, json.dumps(state, ensure_ascii=False, indent=1) + "\n")


def _task_key(direction: str, work_id: str) -> str:
    return f"{direction}|{work_id}"


def snowballed(review: Review, works: list[Work] | None = None) -> set[tuple[str, str, str]]:
    """(via, direction, current work id) of every seed already snowballed."""
    index = record_index(works if works is not None else load_works(review))
    out = set()
    for _, state in rounds(review):
        for task in state["tasks"].values():
            wid = index.get(task["seed"], task["seed"])
            out.add((state["via"], task["direction"], wid))
    return out


def _seed_info(work: Work, records: Mapping[str, Record]) -> dict[str, Any]:
    """What a source needs to find a seed: its ids at OpenAlex / Semantic Scholar and DOI."""
    info: dict[str, Any] = {"work_id": work.work_id, "title": work.canonical.title}
    doi = work.canonical.doi
    for rid in work.record_ids:
        rec = records.get(rid)
        if rec is None:
            continue
        doi = doi or rec.doi
        if rec.source in ("openalex", "semanticscholar") and rec.source not in info:
            info[rec.source] = rec.source_id
    info["doi"] = doi
    return info


def _directions(direction: str, via: str) -> tuple[list[str], list[str]]:
    """The directions a round runs, and notes for the ones a source cannot do."""
    if direction not in (*DIRECTIONS, "both"):
        raise SnowballError(f"unknown direction {direction!r}; use backward, forward or both")
    FETCHERS.get(via)  # the one error for an unknown name
    wanted = list(DIRECTIONS) if direction == "both" else [direction]
    if via == "crossref" and "forward" in wanted:
        if direction == "forward":
            raise SnowballError(
                "crossref has no list of citing works (only a count); "
                "use --via openalex or --via semanticscholar for forward snowballing"
            )
        return ["backward"], ["forward skipped: Crossref has no list of citing works"]
    return wanted, []


def _source(
    review: Review, via: str, client: Client | None, env: Mapping[str, str] | None
) -> Source:
    spec = next((s for s in review.protocol.search.sources if s.name == via), None)
    return SOURCES.get(via)(client or Client(), spec.options if spec else {}, env)


# ---------------------------------------------------------------- a round


def run_round(
    review: Review,
    *,
    direction: str = "both",
    via: str = "openalex",
    stage: str = "full-text",
    progress: Progress | None = None,
    client: Client | None = None,
    env: Mapping[str, str] | None = None,
    max_per_seed: int | None = None,
) -> RoundReport | None:
    """Run (or resume) one round; None when every included study is already snowballed.

    `max_per_seed` caps the citing works fetched per seed (forward): None means the
    default (MAX_PER_SEED) for a new round and the round's own cap when resuming; 0 means
    no cap.
    """
    if stage not in STAGES:
        raise SnowballError(f"unknown stage {stage!r}; use --from {' or --from '.join(STAGES)}")
    if max_per_seed is not None and max_per_seed < 0:
        raise SnowballError(
            f"--max-per-seed {max_per_seed}: use a number of citing works, or 0 for no cap"
        )
    wanted, notes = _directions(direction, via)
    src = _source(review, via, client, env)
    review.store.ensure()
    unfinished = [(p, s) for p, s in rounds(review) if s["status"] != "complete"]
    folder: Path | None
    if unfinished:
        folder, state = unfinished[0]
        if state["via"] != via or state["directions"] != wanted:
            raise SnowballError(
                f"{folder / ROUND_FILE}: round {state['round']} ({state['via']}, "
                f"{'+'.join(state['directions'])}) was interrupted; finish it first with "
                f"`slr snowball --via {state['via']} --direction "
                f"{state['directions'][0] if len(state['directions']) == 1 else 'both'}` "
                "or drop it with `slr snowball --abandon`"
            )
        had = state.get("max_per_seed")
        if max_per_seed is not None and "forward" in wanted and (max_per_seed or None) != had:
            raise SnowballError(
                f"{folder / ROUND_FILE}: round {state['round']} was started with "
                f"--max-per-seed {had or 0}; resume it with that cap (or without the option) "
                "or drop it with `slr snowball --abandon`"
            )
    else:
        cap = MAX_PER_SEED if max_per_seed is None else max_per_seed
        folder, state = _new_round(review, wanted, via, stage, notes, cap or None)
    if folder is None:
        return None
    missing = src.missing_keys() if state["status"] == "running" else ()
    if missing:
        raise SnowballError(f"{via}: set {' and '.join(missing)} to snowball through {via}")
    _save(folder, state)
    return _complete(review, src, folder, state, offline=False, progress=progress)


def _new_round(
    review: Review, wanted: list[str], via: str, stage: str, notes: list[str], cap: int | None
) -> tuple[Path | None, dict[str, Any]]:
    works = load_works(review)
    included = included_works(review, stage) if works else []
    if not included:
        other = STAGES[0] if stage == STAGES[1] else STAGES[1]
        raise SnowballError(
            f"{review.store.works_file}: no study is included at {stage} yet; screen first "
            f"(slr screen --stage {stage}) or start from --from {other}"
        )
    done = snowballed(review, works)
    records = records_by_id(review)
    seeds, tasks = [], {}
    for work in included:
        todo = [d for d in wanted if (via, d, work.work_id) not in done]
        if not todo:
            continue
        seeds.append(_seed_info(work, records))
        for d in todo:
            tasks[_task_key(d, work.work_id)] = {
                "direction": d,
                "seed": work.work_id,
                "state": {},
                "done": False,
                "found": 0,
                "resolved": 0,
                "unresolved": 0,
                "total": None,
                "citing": None,
                "capped": False,
                "note": "",
            }
    if not tasks:
        return None, {}
    number = max((int(s["round"]) for _, s in rounds(review)), default=0) + 1
    run_id = f"snowball-{number:02d}"
    folder = review.store.raw / via / run_id
    state = {
        "round": number,
        "run_id": run_id,
        "via": via,
        "directions": wanted,
        "stage": stage,
        "status": "running",
        "started": now_iso(),
        "finished": None,
        "protocol_hash": review.protocol.hash,
        "max_per_seed": cap if "forward" in wanted else None,
        "seeds": seeds,
        "tasks": tasks,
        "unresolved": [],
        "notes": notes,
    }
    return folder, state


def _tag(record: Record, state: dict[str, Any], task: dict[str, Any]) -> Record:
    extra = {
        **record.extra,
        "method": "citation",
        "round": state["round"],
        "direction": task["direction"],
        "seed": task["seed"],
        "via": state["via"],
    }
    return record.evolve(extra=extra)


def _fetch(
    review: Review,
    src: Source,
    folder: Path,
    state: dict[str, Any],
    offline: bool,
    progress: Progress | None,
    replay: bool = False,
) -> None:
    """Run every unfinished task (all of them on replay), checkpointing after each step.

    Each page is reported as a line of news, `progress(line, found, None)`: a capped seed of
    30,000 citing works must not look like a hang."""
    fetcher = Fetcher(src, Archive(folder), offline, review.store.root)
    seeds = {s["work_id"]: s for s in state["seeds"]}
    known = review.store.record_ids()
    tasks = [t for t in state["tasks"].values() if replay or not t["done"]]
    run = FETCHERS.get(state["via"])
    cap = state.get("max_per_seed")  # None: no cap (and every round started before caps)
    head = f"snowball round {state['round']} ({state['via']})"
    for k, task in enumerate(tasks, 1):
        start: State = {} if replay else task["state"]
        limit = cap if task["direction"] == "forward" else None
        what = f"{head} {k}/{len(tasks)}: {task['direction']} {task['seed']}"
        for step in run(fetcher, seeds[task["seed"]], task["direction"], start, limit):
            records = [_tag(x.record, state, task) for x in step.found if x.record is not None]
            add_records(review, records, known)
            if replay:
                continue
            lost = [x for x in step.found if x.record is None]
            task["found"] += len(step.found)
            task["resolved"] += len(records)
            task["unresolved"] += len(lost)
            task["total"] = step.total if step.total is not None else task["total"]
            task["citing"] = step.citing if step.citing is not None else task.get("citing")
            task["capped"] = step.capped or task.get("capped", False)
            task["note"] = step.note or task["note"]
            state["unresolved"] += [
                {
                    "seed": task["seed"],
                    "direction": task["direction"],
                    "reference": x.label,
                    "doi": x.doi or "",
                    "reason": x.reason,
                }
                for x in lost
            ]
            task["state"] = step.state or {}
            task["done"] = step.state is None
            _save(folder, state)
            if progress is not None:
                progress(f"{what}: {task['found']} fetched{_of(task, limit)}", task["found"], None)


def _of(task: dict[str, Any], cap: int | None) -> str:
    """` of N` for the progress line: what the task will fetch, where it is known."""
    exists = task.get("citing") if task.get("citing") is not None else task["total"]
    if exists is None:
        return f" (cap {cap})" if cap else ""
    if cap is not None and exists > cap:
        return f" of {cap} (cap; {exists} citing)"
    return f" of {exists}"


def _complete(
    review: Review,
    src: Source,
    folder: Path,
    state: dict[str, Any],
    offline: bool,
    progress: Progress | None,
) -> RoundReport:
    if state["status"] == "running":
        _fetch(review, src, folder, state, offline, progress)
        state["status"] = "fetched"
        state["finished"] = now_iso()
        _save(folder, state)
    grey = dedupe(review)
    screened = auto_screen(review, progress)
    report = round_report(review, folder, state)
    if grey:
        report.notes.append(f"{grey} possible duplicate pair(s) to decide: slr dedupe --review")
    report.notes += overridden_notes(screened)
    log_round(review, src, state, report)
    state["status"] = report.status = "complete"
    _save(folder, state)
    return report


def dedupe(review: Review) -> int:
    """Link new records to the review's works (the dedupe library's incremental mode);
    returns how many possible-duplicate pairs wait for `slr dedupe --review`."""
    from slr.dedupe.incremental import update

    return len(update(review).result.grey)


# ---------------------------------------------------------------- replay and saturation


def replay(
    review: Review, *, progress: Progress | None = None, client: Client | None = None
) -> list[RoundReport]:
    """Rebuild every round's records from the raw archive, with no network (`--offline`)."""
    found = rounds(review)
    if not found:
        raise SnowballError(
            f"{review.store.raw}: no snowballing round archived (raw/<via>/snowball-NN/); "
            "run `slr snowball` without --offline first"
        )
    notes: dict[int, str] = {}
    for folder, state in found:
        src = _source(review, state["via"], client, {})
        try:
            _fetch(review, src, folder, state, offline=True, progress=None, replay=True)
        except SnowballError as exc:
            if state["status"] != "running":
                raise
            # an interrupted round replays as far as it was archived
            notes[int(state["round"])] = f"replayed up to the interruption ({exc})"
    dedupe(review)
    overridden = overridden_notes(auto_screen(review, progress))
    reports = []
    for folder, state in rounds(review):
        report = round_report(review, folder, state)
        if int(state["round"]) in notes:
            report.notes.append(notes[int(state["round"])])
        reports.append(report)
    if reports:
        reports[-1].notes += overridden
    return reports


def pending(review: Review, stage: str = "full-text") -> dict[str, int]:
    """Works brought in by snowballing that still need a decision, per stage up to `stage`."""
    records = records_by_id(review)
    works = load_works(review)
    states = stage_states(review, works)
    new = {w.work_id for w in works if round_of(w, records) is not None}
    out = {}
    for name in STAGES[: STAGES.index(stage) + 1]:
        st = states[name]
        out[name] = sum(1 for w in st.pool if w.work_id in new and w.work_id not in st.final)
    return out


def until_saturation(
    review: Review,
    *,
    direction: str = "both",
    via: str = "openalex",
    stage: str = "full-text",
    progress: Progress | None = None,
    client: Client | None = None,
    env: Mapping[str, str] | None = None,
    wait: Callable[[dict[str, int]], bool] | None = None,
    max_per_seed: int | None = None,
) -> Saturation:
    """Repeat rounds until one adds no new included study, pausing whenever works await
    screening: `wait(pending)` returns True once they are screened (False stops here)."""
    reports: list[RoundReport] = []
    while True:
        todo = pending(review, stage)
        while any(todo.values()):
            if wait is None or not wait(todo):
                return Saturation("paused", reports, todo, _last_round(review))
            todo = pending(review, stage)
        report = run_round(
            review,
            direction=direction,
            via=via,
            stage=stage,
            progress=progress,
            client=client,
            env=env,
            max_per_seed=max_per_seed,
        )
        if report is None:
            return Saturation("saturated", reports, todo, _last_round(review))
        reports.append(report)


def _last_round(review: Review) -> int | None:
    found = rounds(review)
    return int(found[-1][1]["round"]) if found else None


# ---------------------------------------------------------------- abandoning a round


def abandon(review: Review) -> list[str]:
    """Drop the interrupted round as if it had never started; one line per thing dropped.

    Its records, its works (and grey pairs) if it was de-duplicated, its search-log rows
    if it was logged, its unresolved list and, last, its raw folder (so that a kill half
    way leaves a round that `abandon` can still find). Completed rounds are not touched;
    decisions anyone made on its candidates stay in the logs, attached to nothing.
    Returns [] when no round is interrupted (nothing is written then).
    """
    found = rounds(review)
    unfinished = [(p, s) for p, s in found if s["status"] != "complete"]
    if not unfinished:
        return []
    lines: list[str] = []
    for folder, state in unfinished:
        lines += _abandon_one(review, folder, state)
    done = [str(s["round"]) for _, s in found if s["status"] == "complete"]
    lines.append(
        f"kept: completed round(s) {', '.join(done)} untouched"
        if done
        else "kept: there is no completed round"
    )
    return lines


def _abandon_one(review: Review, folder: Path, state: dict[str, Any]) -> list[str]:
    number, via = int(state["round"]), state["via"]
    tasks = list(state["tasks"].values())
    finished = sum(1 for t in tasks if t["done"])
    lines = [
        f"abandoned round {number} via {via} ({'+'.join(state['directions'])}, started "
        f"{state['started']}): {finished} of {len(tasks)} seed task(s) had finished"
    ]

    def ours(row: dict[str, Any]) -> bool:
        extra = row.get("extra") or {}
        return (
            isinstance(extra, dict)
            and extra.get("method") == "citation"
            and extra.get("round") == number
            and extra.get("via") == via
        )

    # works first and records last: a kill in between leaves what a second run still finds
    dropped = _drop_lines(review.store.records_file, ours, write=False)
    gone_works = _drop_from_works(review, {str(r.get("id")) for r in dropped})
    lines.append(
        f"works: dropped {len(gone_works)} candidate work(s) from works.jsonl"
        if gone_works
        else "works: none to drop (the round had not been de-duplicated)"
    )
    decided = _decisions_on(review, gone_works)
    if decided:
        lines.append(
            f"decisions: {decided} screening decision(s) on those works stay in the "
            "decision logs and no longer count"
        )
    rows = _drop_lines(
        review.store.searchlog_file,
        lambda e: (
            e.get("kind") == "citation"
            and e.get("run_id") == state["run_id"]
            and e.get("source") == via
        ),
    )
    lines.append(
        f"search log: dropped {len(rows)} row(s) of round {number}"
        if rows
        else "search log: nothing to drop (the round had not been logged)"
    )
    _drop_lines(review.store.records_file, ours)
    lines.insert(
        1,
        f"records: dropped {len(dropped)} record(s) the round had added to records.jsonl"
        if dropped
        else "records: none to drop",
    )
    unresolved = review.store.unresolved_file(number)
    if unresolved.exists():
        unresolved.unlink()
        lines.append(f"unresolved list: deleted {unresolved.relative_to(review.store.root)}")
    responses = len(Archive(folder).names())
    rel = folder.relative_to(review.store.root)
    trash = folder.with_name(f".abandoned-{folder.name}")  # out of `rounds()` at once
    if trash.exists():
        shutil.rmtree(trash)
    folder.rename(trash)
    shutil.rmtree(trash)
    if folder.parent.is_dir() and not any(folder.parent.iterdir()):
        folder.parent.rmdir()
    lines.append(f"raw responses: deleted {responses} archived response(s) and {rel}/")
    return lines


def _drop_lines(
    path: Path, drop: Callable[[dict[str, Any]], bool], write: bool = True
) -> list[dict[str, Any]]:
    """Rewrite a JSONL file without the lines `drop` selects (every other line, a torn one
    included, stays byte for byte); returns the dropped objects. No match (or
    write=False): no write."""
    if not path.exists():
        return []
    data = path.read_bytes()
    kept: list[bytes] = []
    dropped: list[dict[str, Any]] = []
    for line in data.splitlines(keepends=True):
        try:
            obj = json.loads(line)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and drop(obj):
            dropped.append(obj)
        else:
            kept.append(line)
    if dropped and write:
        write_atomic(path, b"".join(kept))
    return dropped


def _drop_from_works(review: Review, ids: set[str]) -> set[str]:
    """Take the dropped records out of works.jsonl: a work left empty goes, a work that
    only lost a member gets its canonical record merged again. Returns the gone work ids."""
    from slr.dedupe.merge import canonical

    if not ids or not review.store.works_file.exists():
        return set()
    works = load_works(review)
    if not any(rid in ids for w in works for rid in w.record_ids):
        return set()
    records = records_by_id(review)
    out: list[Work] = []
    for w in works:
        rest = [rid for rid in w.record_ids if rid not in ids]
        if len(rest) == len(w.record_ids):
            out.append(w)
        elif rest:
            recs = [records[rid] for rid in rest]
            rules = {rid: w.rules.get(rid, "") for rid in rest}
            if len(rest) == 1:
                rules = {rest[0]: "unique"}
            sources = tuple(dict.fromkeys(r.source for r in recs))
            canon = canonical(recs) if len(recs) > 1 else recs[0]
            out.append(Work(rest[0], tuple(rest), sources, canon, rules))
    save_works(review, out)
    _drop_grey(review, ids)
    kept = {w.work_id for w in out}
    return {w.work_id for w in works if w.work_id not in kept}


def _drop_grey(review: Review, ids: set[str]) -> None:
    """Forget the possible-duplicate pairs that name a dropped record."""
    from slr.dedupe.incremental import read_state

    state = read_state(review)
    pending = state.get("pending") or []
    left = [p for p in pending if p[0] not in ids and p[1] not in ids]
    if len(left) != len(pending):
        state["pending"] = left
        write_atomic(review.store.dedupe_state_file, json.dumps(state, indent=1) + "\n")


def _decisions_on(review: Review, work_ids: set[str]) -> int:
    """How many logged decisions name one of these (now gone) works."""
    if not work_ids:
        return 0
    return sum(
        1 for who in reviewers(review) for d in read_log(review, who) if d.work_id in work_ids
    )
