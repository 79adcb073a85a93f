"""The pages of `slr serve`: Jinja2 templates, autoescaped, and the work card they show.

The card holds what the terminal view shows (slr.tui.view: the header, the metadata lines,
the highlighting of query terms and concepts, the criteria and keys), as HTML. Every text
from the corpus goes through the autoescape or `markupsafe.escape`: a title or abstract
with markup in it is shown as text, never run.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
import weakref
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from slr.decisions import STAGES
from slr.fulltext import pdf_path
from slr.screen.session import Session, finished_line
from slr.serve.desk import last_stamp, stamp
from slr.tui.keys import FULL_TEXT_ONLY, LABELS, Keymap
from slr.tui.view import Highlighter, criteria_items, header, work_lines

# the browser's actions: what the screen's keys do there (search and next hit are the
# PDF viewer's own Ctrl-F; `o` opens the PDF in a tab of its own)
WEB_ACTIONS = ("include", "maybe", "not-retrieved", "open", "skip", "note", "undo", "back", "help")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("slr.serve", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def highlighted(text: str, hl: Highlighter) -> Markup:
    """`text` escaped, with the highlighted stretches in <mark>."""
    out, pos = [], 0
    for s, e in hl.spans(text):
        out += [escape(text[pos:s]), Markup("<mark>"), escape(text[s:e]), Markup("</mark>")]
        pos = e
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def safe_url(url: str | None) -> str | None:
    """An http(s) link as it is, anything else (javascript:, data:) not at all."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


def web_keys(session: Session, keymap: Keymap) -> dict[str, str]:
    """key -> action for the page's script: the terminal's keys this page offers."""
    out = {}
    for key, act in keymap.keys.items():
        if act.startswith("exclude:"):
            if int(act.split(":")[1]) <= len(session.criteria):
                out[key] = act
        elif act in WEB_ACTIONS and (act not in FULL_TEXT_ONLY or session.stage == STAGES[1]):
            out[key] = act
    return out


def key_list(session: Session, keymap: Keymap) -> list[tuple[str, str, str]]:
    """(key, action, label) of each action, in the terminal's order."""
    out = []
    for act in WEB_ACTIONS:
        if act in FULL_TEXT_ONLY and session.stage != STAGES[1]:
            continue
        key = keymap.key_for(act)
        if key is not None:
            out.append((key, act, LABELS.get(act, act)))
    return out


# ---------------------------------------------------------------- the header


def recall_statement(labels: list[int], total: int) -> str:
    """`recall ≥ 80% (95%)`, as the terminal shows it (run in the worker process)."""
    from slr.screen.stopping import recall_bound

    if not labels:
        return ""
    bound = recall_bound(labels, total) if 1 in labels else 0.0
    return f"recall ≥ {bound:.0%} (95%)" + (" · may stop" if bound >= 0.95 else "")


class Recall:
    """The header's recall statement per session, worked out in one process of its own.

    Its statistics take 0.2-0.7 s of CPU on a few thousand decisions; in the server's
    process they would hold every reviewer's requests up (the GIL). So: after 25 new
    decisions, at most once every `every` seconds per session; the last one shows meanwhile.
    """

    def __init__(self, every: float = 30.0) -> None:
        self.every = every
        self._state: weakref.WeakKeyDictionary[Session, dict[str, Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def text(self, session: Session) -> str:
        from slr.screen.stopping import labels_in_order

        with self._lock:
            state = self._state.setdefault(
                session, {"done": None, "text": "", "job": None, "at": 0.0}
            )
        job: Future[str] | None = state["job"]
        if job is not None and job.done():
            state["text"] = job.result() if job.exception() is None else ""
            state["job"] = job = None
        done, now = session.done, time.monotonic()
        stale = state["done"] is None or abs(done - state["done"]) >= 25
        if stale and job is None and now - state["at"] >= self.every * (state["done"] is not None):
            labels = labels_in_order(list(session.decided_map().values()))
            state.update(done=done, at=now)
            if labels:
                try:
                    state["job"] = worker().submit(recall_statement, labels, session.total)
                except (RuntimeError, OSError):  # the worker is gone (a broken pool): no line
                    state["job"] = None
        return str(state["text"])


@lru_cache(maxsize=1)
def worker() -> ProcessPoolExecutor:
    """The one process that works out recall statements (started on first use)."""
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=follow_parent,
        initargs=(os.getpid(),),
    )


def follow_parent(parent: int) -> None:
    """In the worker: end when the server is gone, however it ended (even SIGKILL)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def card(
    session: Session, keymap: Keymap, hl: Highlighter, recall: Recall | None = None
) -> dict[str, Any]:
    """What the screening page shows of the session's current work."""
    work = session.current
    crit = [
        (item.split(" ", 2) + ["", ""])[:3] for item in criteria_items(session, keymap)
    ]  # key, id, text
    base: dict[str, Any] = {
        "header": header(session, recall.text(session) if recall else ""),
        "stage": session.stage,
        "criteria": crit,
        "inclusion": [(c.id, c.text) for c in session.review.protocol.inclusion],
        "actions": key_list(session, keymap),
        "keymap": json.dumps(web_keys(session, keymap)),
        "last": last_stamp(session),
        "work": None,
        "finished": finished_line(session),
    }
    if work is None:
        return base
    rec = work.canonical
    title = " ".join((rec.title or "(no title)").split())
    abstract = " ".join((rec.abstract or "").split())
    links = [("DOI", safe_url(f"https://doi.org/{rec.doi}") if rec.doi else None)]
    links += [("URL", safe_url(rec.url)), ("open access", safe_url(rec.oa_url))]
    has_pdf = session.stage == STAGES[1] and pdf_path(session.review, work.work_id).exists()
    seen = stamp(session, work.work_id)
    base.update(
        work=work.work_id,
        title=highlighted(title, hl),
        lines=work_lines(session, work),
        links=[(label, url) for label, url in links if url],
        abstract=highlighted(abstract, hl) if abstract else None,
        seen=seen,
        decided=bool(seen),
        pdf=has_pdf,
    )
    return base
