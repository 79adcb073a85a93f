"""`slr fulltext fetch`: find and download the open-access PDF of each work that needs one.

The works that need a full text are those finally included or marked maybe at
title/abstract that have no stored PDF yet. For each, the location sources are asked in
order (`--via`, else `locate.DEFAULT_ORDER`), lazily: a later source is asked only when
every location of the earlier ones failed. A download is accepted only when it is a PDF
(the `%PDF-` magic and pypdf can read it); a landing page, a login page, an HTTP error or
a truncated file is logged as `failed` with its reason and the next location is tried.
When every location failed, `exhausted` is logged (not when a lookup itself failed: the
work is simply tried again next run).

Durability: metadata responses are archived under `raw/fulltext/<source>/` and read back
instead of asked again; a PDF is written atomically (temporary file, fsync, rename)
before its `retrieved` event is appended, so a kill leaves neither half a file nor an
event, and the next run resumes with the works still missing. A second run downloads
nothing already stored. Works are fetched a few at a time (each source keeps its own rate
limit in slr.http, each PDF host one of its own), so a slow server does not hold up the rest.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from slr.clock import now_iso
from slr.errors import SlrError, SourceError
from slr.fulltext import (
    Retrieval,
    load_retrievals,
    log_retrieval,
    pdf_path,
    retrieval_status,
)
from slr.fulltext.extract import extract
from slr.fulltext.locate import (
    DEFAULT_ORDER,
    Location,
    Locator,
    Lookup,
    Target,
    registry,
    target,
)
from slr.http import Archive, Client, Request, Response, contact, default_client
from slr.records import Record
from slr.review import Review
from slr.store import write_atomic

DOWNLOAD_RATE = 1.0  # requests per second to any one PDF host
WORKERS = 4  # works fetched at once
ACCEPT = "application/pdf, */*;q=0.5"
Progress = Callable[[int, int], None]  # (works done, works to do)


class FetchError(SlrError):
    """A fetch run cannot start (an unknown or unusable --via)."""


@dataclass
class Outcome:
    """What a run did to one work."""

    work_id: str
    retrieved: Retrieval | None = None
    failed: list[Retrieval] = field(default_factory=list)
    exhausted: bool = False
    lines: list[str] = field(default_factory=list)  # the dry run's plan


@dataclass
class Report:
    """A fetch run: one outcome per work that needed a full text, and notes on the sources."""

    outcomes: list[Outcome]
    notes: list[str]
    dry_run: bool = False


def needing(review: Review) -> list[Target]:
    """The works included or maybe at title/abstract without a stored PDF, in works order."""
    from slr.screen.state import final_decisions
    from slr.works import load_works

    finals = final_decisions(review, "title-abstract")
    status = retrieval_status(load_retrievals(review))
    works = [
        w
        for w in load_works(review)
        if w.work_id in finals
        and finals[w.work_id].decision in ("include", "maybe")
        and status.get(w.work_id) != "retrieved"
    ]
    wanted = {rid for w in works for rid in w.record_ids}
    records: dict[str, list[Record]] = {}
    for data in review.store.iter_records():
        if data.get("id") in wanted:
            records.setdefault(data["id"], []).append(Record.from_dict(data))
    return [target(w, [r for rid in w.record_ids for r in records.get(rid, [])]) for w in works]


def check_pdf(data: bytes, content_type: str = "") -> tuple[str | None, int | None]:
    """(why this is not an acceptable PDF or None, its page count when readable)."""
    if b"%PDF-" not in data[:1024]:
        return _not_pdf(data, content_type), None
    if b"%%EOF" not in data[-2048:]:
        return "truncated PDF (no %%EOF at the end)", None
    import pypdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:  # a PDF all the same; extraction reports what it can do
            return None, None
        return None, len(reader.pages)
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        return f"damaged or truncated PDF ({type(exc).__name__}: {str(exc)[:80]})", None


def _not_pdf(data: bytes, content_type: str) -> str:
    head = data[:4096].decode("utf-8", errors="replace").lower()
    kind = content_type.split(";")[0].strip() or "no content type"
    if "<html" in head or "<!doctype html" in head:
        if re.search(r"type=[\"']?password|sign in|log ?in", head):
            return f"HTML login page, not a PDF ({kind})"
        return f"HTML landing page, not a PDF ({kind})"
    if not data:
        return "empty response"
    return f"not a PDF ({kind}, {len(data)} bytes)"


class _Run:
    """One fetch run's shared state: client, locators, archive and the log lock."""

    def __init__(
        self,
        review: Review,
        locators: list[Locator],
        client: Client,
        dry_run: bool,
        stop: threading.Event,
    ) -> None:
        self.review = review
        self.locators = locators
        self.client = client
        self.dry_run = dry_run
        self.stop = stop
        self.lock = threading.Lock()

    def archive(self, source: str) -> Archive:
        return Archive(self.review.store.raw / "fulltext" / source)

    def log(self, *events: Retrieval) -> None:
        with self.lock:
            log_retrieval(self.review, *events)

    def shown(self, request: Request) -> str:
        query = f"?{urlencode(dict(request.params))}" if request.params else ""
        return self.client.redactor.url(request.url + query)

    def cached(self, source: str, lookup: Lookup) -> Response | None:
        """The archived answer to a lookup (only a definite one: found or not found)."""
        archive = self.archive(source)
        if not (archive.folder / f"{lookup.name}.meta.json").exists():
            return None
        response, _ = archive.load(lookup.name)
        return response if response.status in (200, 404) else None

    def ask(self, locator: Locator, lookup: Lookup) -> Response:
        return self.client.send(
            lookup.request,
            source=locator.name,
            rate=locator.rate,
            archive=self.archive(locator.name),
            name=lookup.name,
        )

    # -- one work
    def plan(self, t: Target) -> Outcome:
        """The dry run: what would be tried for one work, from the archive where possible."""
        out = Outcome(t.work_id)
        for loc in self.locators:
            lookup = loc.lookup(t)
            response = self.cached(loc.name, lookup) if lookup else None
            if lookup and response is None:
                out.lines.append(f"{loc.name}: would ask {self.shown(lookup.request)}")
                continue
            found = loc.locations(t, response)
            if not found and not lookup:
                out.lines.append(f"{loc.name}: nothing to look up ({loc.missing(t)})")
            elif not found:
                out.lines.append(f"{loc.name}: no PDF location (archived answer)")
            for location in found:
                note = f" [{location.note}]" if location.note else ""
                out.lines.append(f"{loc.name}: would try {location.url}{note}")
        return out

    def fetch(self, t: Target) -> Outcome:
        out = Outcome(t.work_id)
        tried: set[str] = set()
        complete = True
        for loc in self.locators:
            if self.stop.is_set():
                return out
            lookup = loc.lookup(t)
            response = None
            if lookup:
                response = self.cached(loc.name, lookup)
                if response is None:
                    try:
                        response = self.ask(loc, lookup)
                    except SourceError as exc:
                        complete = False
                        self._fail(
                            out, loc.name, self.shown(lookup.request), f"lookup failed: {exc}"
                        )
                        continue
                if response.status not in (200, 404):
                    complete = False
                    self._fail(
                        out,
                        loc.name,
                        self.shown(lookup.request),
                        f"lookup failed: HTTP {response.status}",
                    )
                    continue
            try:
                found = loc.locations(t, response)
            except SourceError as exc:
                self._fail(out, loc.name, self.shown(lookup.request) if lookup else None, str(exc))
                continue
            for location in found:
                if location.url in tried or self.stop.is_set():
                    continue
                tried.add(location.url)
                if self._download(t, location, out):
                    return out
        if complete and not self.stop.is_set():
            out.exhausted = True
            self.log(Retrieval(t.work_id, "exhausted", "fetched", now_iso("milliseconds")))
        return out

    def _fail(self, out: Outcome, via: str, url: str | None, reason: str) -> None:
        host = urlsplit(url).netloc or None if url else None
        event = Retrieval(
            out.work_id,
            "failed",
            "fetched",
            now_iso("milliseconds"),
            via=via,
            url=url,
            host=host,
            reason=reason,
        )
        out.failed.append(event)
        self.log(event)

    def _download(self, t: Target, location: Location, out: Outcome) -> bool:
        host = urlsplit(location.url).netloc
        request = Request(location.url, headers={"Accept": ACCEPT}, expect=None)
        try:
            response = self.client.send(request, source=f"pdf {host}", rate=DOWNLOAD_RATE)
        except SourceError as exc:
            self._fail(out, location.via, location.url, str(exc))
            return False
        if not response.ok:
            self._fail(out, location.via, location.url, f"HTTP {response.status}")
            return False
        why, pages = check_pdf(response.content, response.headers.get("Content-Type", ""))
        if why:
            self._fail(out, location.via, response.url or location.url, why)
            return False
        write_atomic(pdf_path(self.review, t.work_id), response.content)  # before the event
        text = extract(self.review, t.work_id)  # the text file too, before the event
        event = Retrieval(
            t.work_id,
            "retrieved",
            "fetched",
            now_iso("milliseconds"),
            via=location.via,
            url=response.url or location.url,
            host=urlsplit(response.url or location.url).netloc,
            sha256=hashlib.sha256(response.content).hexdigest(),
            oa_status=location.oa_status,
            version=location.version,
            licence=location.licence,
            pages=text.pages if text.pages is not None else pages,
            text=text.text,
        )
        self.log(event)
        out.retrieved = event
        return True


def locators_for(via: Sequence[str], env: Mapping[str, str]) -> tuple[list[Locator], list[str]]:
    """The locators of a run in order, and a note for each default source that cannot be used.

    A source the user named with --via that cannot be used is an error; one of the default
    order is skipped with a note.
    """
    known = registry()
    names = list(via) or [n for n in DEFAULT_ORDER if n in known]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise FetchError(
            f"--via {unknown[0]}: unknown location source; use one of: {', '.join(DEFAULT_ORDER)}"
        )
    mailto = contact(env)
    out, notes = [], []
    for name in dict.fromkeys(names):
        loc = known[name](env, mailto)
        why = loc.unavailable()
        if why and via:
            raise FetchError(why)
        if why:
            notes.append(f"skipped {why}")
            continue
        out.append(loc)
    return out, notes


def fetch(
    review: Review,
    via: Sequence[str] = (),
    *,
    dry_run: bool = False,
    client: Client | None = None,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    workers: int = WORKERS,
) -> Report:
    """Fetch (or, dry, plan) the full texts of the works that need one."""
    env = os.environ if env is None else env
    locators, notes = locators_for(via, env)
    client = client or default_client()
    for loc in locators:
        for var in loc.secrets:
            client.add_secret(env.get(var))
    targets = needing(review)
    stop = threading.Event()
    run = _Run(review, locators, client, dry_run, stop)
    if dry_run:
        outcomes = []
        for i, t in enumerate(targets, 1):
            outcomes.append(run.plan(t))
            if progress:
                progress(i, len(targets))
        return Report(outcomes, notes, dry_run=True)
    review.store.ensure()  # also writes the .gitignore that keeps the PDFs out of git
    results: dict[str, Outcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(run.fetch, t) for t in targets]
        try:
            for done, future in enumerate(as_completed(futures), 1):
                outcome = future.result()
                results[outcome.work_id] = outcome
                if progress:
                    progress(done, len(targets))
        except BaseException:
            stop.set()  # the running downloads finish their current file; none starts
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return Report([results[t.work_id] for t in targets], notes)


def summary(report: Report) -> list[str]:
    """The lines the CLI prints after a run."""
    if report.dry_run:
        lines = [*report.notes]
        for o in report.outcomes:
            lines.append(o.work_id)
            lines += [f"  {line}" for line in o.lines]
        lines.append(
            f"{len(report.outcomes)} works need a full text; nothing was fetched (dry run)"
        )
        return lines
    got = [o for o in report.outcomes if o.retrieved]
    gone = [o for o in report.outcomes if o.exhausted]
    later = len(report.outcomes) - len(got) - len(gone)
    lines = [*report.notes]
    for o in gone:
        reasons = "; ".join(f"{e.via}: {e.reason}" for e in o.failed) or "no location found"
        lines.append(f"{o.work_id}: not retrieved ({reasons})")
    lines.append(
        f"{len(report.outcomes)} works needed a full text: {len(got)} retrieved, "
        f"{len(gone)} with no PDF at any location"
        + (f", {later} to try again (a lookup failed or the run was stopped)" if later else "")
    )
    return lines
