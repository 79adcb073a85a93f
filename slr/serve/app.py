"""The Starlette application of `slr serve`: routes, access rules and the limits.

Access: every page but /join, /login, /health and /static needs a session cookie (HttpOnly,
SameSite=Strict, Secure over https); every POST carries the session's CSRF token and, when
the browser sends one, an Origin of this server. On loopback (the default) a local reviewer
may pick their name without a token (`/login`), unless `require_token`; bound to any other
address, only an invitation link (slr.serve.auth) lets anyone in. Anything refused gets a
bare 403.

Writes: a POST is carried out by slr.serve.desk under the lock of the reviewer's log
(fsynced by slr.decisions before the answer), then answered with 303 to the page (Post,
Redirect, Get): a reload or the Back button never sends a decision again.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slr.decisions import STAGES, log_names
from slr.errors import SlrError
from slr.fulltext import pdf_path
from slr.review import Review, signature
from slr.screen.session import Session, with_notes
from slr.screen.state import RESOLVED_REVIEWER, resolve_reviewer
from slr.serve.auth import SESSION_DAYS, Access, RateLimit, csrf_ok, csrf_token, digest
from slr.serve.desk import METHODS, ORDERS, Act, Desks
from slr.serve.pages import Recall, card, render
from slr.tui.keys import Keymap, load_keymap
from slr.tui.view import Highlighter

COOKIE = "slr_session"  # + the review's mark: cookies ignore ports, two servers must not share
MAX_BODY = 64 * 1024  # bytes of one request: a note of 4,000 characters fits many times
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)
HEADERS = {
    "x-content-type-options": "nosniff",
    # an invitation link never leaks to a linked site; "no-referrer" would make browsers send
    # `Origin: null` with every form, which the origin check must refuse
    "referrer-policy": "same-origin",
    "x-frame-options": "SAMEORIGIN",
    "cache-control": "no-store",
}
FORWARDED = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")  # proxies add
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: only this computer can connect."""
    if host.strip("[]") in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    """How the server lets reviewers in; see the module docstring."""

    host: str = "127.0.0.1"
    reviewers: tuple[str, ...] = ()  # who may screen; () = the protocol's, else anyone
    require_token: bool = False  # always so off loopback
    https: bool = False  # cookies are Secure
    rate: float = 20.0  # requests per second per session (or address before login)
    burst: int = 60
    max_body: int = MAX_BODY
    allowed_hosts: tuple[str, ...] = ()  # Host headers accepted; () = loopback names on loopback

    @property
    def tokens_only(self) -> bool:
        return self.require_token or not is_loopback(self.host)


def forbidden() -> Response:
    return PlainTextResponse("Forbidden", status_code=403)


class Limits:
    """Pure ASGI middleware: a bound on request bodies and the security headers."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            length = dict(scope["headers"]).get(b"content-length")
            if length is None or not length.isdigit():
                await PlainTextResponse("Length Required", 411)(scope, receive, send)
                return
            if int(length) > self.max_body:
                await PlainTextResponse("Request too large", 413)(scope, receive, send)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if scope["path"].startswith("/static/"):
                    headers["cache-control"] = "max-age=300"  # the script and style sheet
                for key, value in HEADERS.items():
                    if key not in headers:
                        headers[key] = value
                if headers.get("content-type", "").startswith("text/html"):
                    headers["content-security-policy"] = CSP
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Hosts:
    """Pure ASGI middleware: the Host header must name this server (no DNS rebinding of a
    loopback server to another name). A request through a reverse proxy (it says so in its
    headers) may carry the proxy's public name: such requests need an invitation anyway."""

    def __init__(self, app: ASGIApp, allowed: Sequence[str]) -> None:
        self.app, self.allowed = app, {h.lower() for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "*" not in self.allowed:
            headers = Headers(scope=scope)
            host = headers.get("host", "").lower()
            host = host[: host.find("]") + 1] if host.startswith("[") else host.split(":")[0]
            if host not in self.allowed and not any(h in headers for h in FORWARDED):
                await PlainTextResponse("Invalid host header", 400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


Handler = Callable[[Request, str, str], Awaitable[Response]]


class Server:
    """The routes over one review; `app` is the ASGI application."""

    def __init__(
        self,
        review: Review,
        settings: Settings | None = None,
        keymap: Keymap | None = None,
        access: Access | None = None,
    ) -> None:
        self.review = review
        self.settings = settings or Settings()
        self.keymap = keymap or load_keymap()
        self.access = access or Access(review.store.root)
        self.desks = Desks(review)
        self.hl = Highlighter(review.protocol)
        self.recall = Recall()
        self.limit = RateLimit(self.settings.rate, self.settings.burst)
        # one name per review: a browser sends a host's cookies to each of its ports, so
        # two reviews served from one computer would otherwise sign each other out
        self.cookie = f"{COOKIE}_{digest(str(review.store.root.resolve()))[:8]}"
        self.flash: dict[str, str] = {}
        # (resolver, stage) -> (the signatures it was worked out from, disputed works of theirs)
        self.still_to_screen: dict[
            tuple[str, str], tuple[list[Any], int]
        ] = {}  # session -> the message for its next page
        bound = self.settings.host.strip("[]").lower()  # --host 127.0.0.2 is its own name
        bound = f"[{bound}]" if ":" in bound else bound
        hosts = self.settings.allowed_hosts or (
            ("localhost", "127.0.0.1", "[::1]", bound)
            if is_loopback(self.settings.host)
            else ("*",)
        )
        page = self.page
        routes = [
            Route("/", page(self.home)),
            Route("/health", self.health),
            Route("/join/{token}", self.join_page),
            Route("/join", self.join, methods=["POST"]),
            Route("/login", self.login_page),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", page(self.logout, write=True), methods=["POST"]),
            Route("/screen/{stage}", page(self.screen_page)),
            Route("/screen/{stage}", page(self.screen_post, write=True), methods=["POST"]),
            Route("/resolve/{stage}", page(self.resolve_page)),
            Route("/resolve/{stage}", page(self.resolve_post, write=True), methods=["POST"]),
            Route("/conflicts/{stage}", page(self.conflicts_page)),
            Route("/status", page(self.status_page)),
            Route("/status/prisma.svg", page(self.prisma_svg)),
            Route("/pdf/{work_id:path}", page(self.pdf)),
            Mount(
                "/static",
                app=self.by_address(StaticFiles(packages=[("slr.serve", "static")])),
                name="static",
            ),
        ]
        self.app = Starlette(
            routes=routes,
            middleware=[
                Middleware(Limits, max_body=self.settings.max_body),
                Middleware(Hosts, allowed=hosts),
            ],
        )

    # access ------------------------------------------------------------------------
    def allowed(self, reviewer: str) -> bool:
        listed = self.settings.reviewers
        return not listed or reviewer in listed

    def page(
        self, handler: Handler, write: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        """A route that needs a session (and, to write, its CSRF token and a same Origin)."""

        async def endpoint(request: Request) -> Response:
            sid = request.cookies.get(self.cookie, "")
            reviewer = self.access.reviewer_of(sid, local=not self.tokens_only(request))
            # a bucket per session; before login one per address (made-up cookies share it)
            if not self.limit.allow(sid if reviewer else _client(request)):
                return PlainTextResponse("Too many requests: slow down", 429)
            if not reviewer or not self.allowed(reviewer):
                if not write and not self.tokens_only(request):
                    return RedirectResponse("/login", 303)
                return forbidden()
            if write:
                form = await request.form(max_fields=40, max_files=0)
                if not csrf_ok(sid, _text(form.get("csrf"))) or not _same_origin(request):
                    return forbidden()
                request.state.form = form
            return await handler(request, reviewer, sid)

        return endpoint

    def tokens_only(self, request: Request) -> bool:
        """Only invitation links let this request in: off loopback, with --require-token, or
        through a reverse proxy (its requests come from this computer, but not its users)."""
        return self.settings.tokens_only or any(h in request.headers for h in FORWARDED)

    def context(self, reviewer: str | None, sid: str | None, **more: Any) -> dict[str, Any]:
        return {
            "reviewer": reviewer,
            "csrf": csrf_token(sid) if sid else "",
            "review_title": self.review.protocol.title,
            "message": self.flash.pop(sid, "") if sid else "",
            **more,
        }

    def _cookie(self, request: Request, response: Response, sid: str) -> Response:
        # https here, or at the TLS proxy in front (which says so): never sent in clear
        https = self.settings.https or request.headers.get("x-forwarded-proto") == "https"
        response.set_cookie(
            self.cookie,
            sid,
            max_age=SESSION_DAYS * 24 * 3600,
            httponly=True,
            samesite="strict",
            secure=https,
            path="/",
        )
        return response

    def by_address(self, app: ASGIApp) -> ASGIApp:
        """`app` behind the rate limit of the client's address (the routes open to all)."""

        async def limited(scope: Scope, receive: Receive, send: Send) -> None:
            client = scope.get("client")
            if scope["type"] == "http" and not self.limit.allow(client[0] if client else "?"):
                await PlainTextResponse("Too many requests: slow down", 429)(scope, receive, send)
                return
            await app(scope, receive, send)

        return limited

    async def health(self, request: Request) -> Response:
        if not self.limit.allow(_client(request)):
            return PlainTextResponse("Too many requests: slow down", 429)
        return PlainTextResponse("ok")

    async def join_page(self, request: Request) -> Response:
        if not self.limit.allow(_client(request)):
            return PlainTextResponse("Too many requests: slow down", 429)
        token = request.path_params["token"]
        invited = self.access.invited(token) if len(token) < 200 else None
        if invited is None or not self.allowed(invited):
            return forbidden()
        html = render(
            "join.html",
            **self.context(None, None, title="Invitation", invited=invited, token=token),
        )
        return HTMLResponse(html)

    async def join(self, request: Request) -> Response:
        if not self.limit.allow(_client(request)) or not _same_origin(request):
            return forbidden()
        form = await request.form(max_fields=5, max_files=0)
        token = _text(form.get("token"))
        spent = await run_in_threadpool(self.access.exchange, token) if token else None
        if spent is None or not self.allowed(spent[0]):
            return forbidden()
        return self._cookie(request, RedirectResponse(f"/screen/{STAGES[0]}", 303), spent[1])

    async def login_page(self, request: Request) -> Response:
        if not self.limit.allow(_client(request)):
            return PlainTextResponse("Too many requests: slow down", 429)
        if self.tokens_only(request):
            return forbidden()
        names = self.settings.reviewers or self.review.protocol.reviewers
        html = render(
            "login.html", **self.context(None, None, title="Who is screening?", names=names)
        )
        return HTMLResponse(html)

    async def login(self, request: Request) -> Response:
        if self.tokens_only(request) or not _same_origin(request):
            return forbidden()
        if not self.limit.allow(_client(request)):
            return PlainTextResponse("Too many requests: slow down", 429)
        form = await request.form(max_fields=5, max_files=0)
        try:
            name = resolve_reviewer(self.review, _text(form.get("name")))
            self.review.store.decisions_file(name)  # a name no log can have ("", "../x")
        except SlrError as exc:
            text = self._told(str(exc))
            return HTMLResponse(
                render("message.html", **self.context(None, None, title="slr", text=text)), 400
            )
        if not self.allowed(name):
            return forbidden()
        sid = await run_in_threadpool(self.access.start, name)
        return self._cookie(request, RedirectResponse(f"/screen/{STAGES[0]}", 303), sid)

    async def logout(self, request: Request, reviewer: str, sid: str) -> Response:
        await run_in_threadpool(self.access.end, sid)
        if self.tokens_only(request):
            text = "Signed out. Your invitation link is spent: ask for a new one to come back."
            response: Response = HTMLResponse(
                render("message.html", **self.context(None, None, text=text))
            )
        else:
            response = RedirectResponse("/login", 303)
        response.delete_cookie(self.cookie, path="/")
        return response

    async def home(self, request: Request, reviewer: str, sid: str) -> Response:
        return RedirectResponse(f"/screen/{STAGES[0]}", 303)

    # screening ---------------------------------------------------------------------
    def _told(self, text: str) -> str:
        """An error's text for a browser: the review folder's place on this computer
        (/home/someone/...) is nobody else's business, so paths are shown from it."""
        folder = str(self.review.store.root.parent.parent).rstrip("/") + "/"
        return text.replace(folder, "") if folder != "/" else text

    def _message(self, reviewer: str, sid: str, text: str, status: int = 200) -> Response:
        text = self._told(text)
        html = render("message.html", **self.context(reviewer, sid, title="slr", text=text))
        return HTMLResponse(html, status)

    async def screen_page(self, request: Request, reviewer: str, sid: str) -> Response:
        stage = request.path_params["stage"]
        if stage not in STAGES:
            return PlainTextResponse("Not Found", 404)
        order, seed = _order(request.query_params.get("order"), request.query_params.get("seed"))
        desk = self.desks.screen(reviewer, stage, order, seed)
        extra = {"orders": ORDERS, "order": order, "seed": seed, "post": f"/screen/{stage}"}
        return await self._show(desk, reviewer, sid, f"screening · {stage}", extra)

    async def _show(
        self, desk: Any, reviewer: str, sid: str, title: str, extra: dict[str, Any]
    ) -> Response:
        context = self.context(reviewer, sid, title=title, **extra)

        def draw(session: Session) -> str:
            return render(
                "screen.html", c=card(session, self.keymap, self.hl, self.recall), **context
            )

        try:
            html = await run_in_threadpool(desk.view, draw)
        except SlrError as exc:
            return self._message(reviewer, sid, str(exc))
        return HTMLResponse(html)

    async def screen_post(self, request: Request, reviewer: str, sid: str) -> Response:
        stage = request.path_params["stage"]
        if stage not in STAGES:
            return PlainTextResponse("Not Found", 404)
        form = request.state.form
        order, seed = _order(_text(form.get("order")), _text(form.get("seed")))
        desk = self.desks.screen(reviewer, stage, order, seed)
        query = {"order": order, **({"seed": str(seed)} if seed is not None else {})}
        return await self._act(desk, sid, form, f"/screen/{stage}?{urlencode(query)}")

    async def _act(self, desk: Any, sid: str, form: Any, back_to: str) -> Response:
        action = _text(form.get("action"))
        criterion = 0
        if action.startswith("exclude:"):
            action, _, n = action.partition(":")
            criterion = _number(n) or 0
        act = Act(
            action=action,
            work=_text(form.get("work")),
            seen=_text(form.get("seen")),
            last=_text(form.get("last")),
            criterion=criterion,
            text=_text(form.get("text")),
        )
        try:
            message = await run_in_threadpool(desk.apply, act)
        except SlrError as exc:
            message = str(exc)
        if message:
            self.flash[sid] = self._told(message)
        return RedirectResponse(back_to, 303)

    async def resolve_page(self, request: Request, reviewer: str, sid: str) -> Response:
        stage = request.path_params["stage"]
        method = request.query_params.get("method", METHODS[0])
        if stage not in STAGES or method not in METHODS:
            return PlainTextResponse("Not Found", 404)
        waiting = await self._still_to_screen(reviewer, stage)
        if waiting:
            return self._message(reviewer, sid, waiting, 409)
        desk = self.desks.resolution(reviewer, stage, method)
        banner = (
            f"Resolving the conflicts at {stage} ({method}) as {reviewer}: each reviewer's "
            "decision is shown with the work; yours is the final one (the `resolved` log)."
        )
        extra = {"banner": banner, "method": method, "post": f"/resolve/{stage}"}
        return await self._show(desk, reviewer, sid, f"resolving · {stage}", extra)

    async def resolve_post(self, request: Request, reviewer: str, sid: str) -> Response:
        stage = request.path_params["stage"]
        form = request.state.form
        method = _text(form.get("method")) or METHODS[0]
        if stage not in STAGES or method not in METHODS:
            return PlainTextResponse("Not Found", 404)
        waiting = await self._still_to_screen(reviewer, stage)
        if waiting:
            return self._message(reviewer, sid, waiting, 409)
        desk = self.desks.resolution(reviewer, stage, method)
        return await self._act(desk, sid, form, f"/resolve/{stage}?{urlencode({'method': method})}")

    async def _still_to_screen(self, reviewer: str, stage: str) -> str:
        """Why `reviewer` may not resolve yet ("" when they may): a disputed work is still
        in their own queue, and resolving shows everyone's decisions on it."""

        def count() -> int:
            from slr.screen.state import stage_states

            # what decides it, less the `resolved` log at title-abstract (resolving there
            # changes no disagreement): a resolution costs no re-reading of every log
            store = self.review.store
            paths = [store.works_file, store.studies_file, store.fulltext_file]
            paths += [store.decisions_dir, store.assignment_file, store.calibration_file]
            names = [
                n for n in log_names(self.review) if n != RESOLVED_REVIEWER or stage != STAGES[0]
            ]
            sigs = [signature(p) for p in paths + [store.decisions_file(n) for n in names]]
            kept = self.still_to_screen.get((reviewer, stage))
            if kept is not None and kept[0] == sigs:
                return kept[1]
            n = len(blinded(self.review, stage_states(self.review)[stage], reviewer))
            self.still_to_screen[(reviewer, stage)] = (sigs, n)
            return n

        try:
            n = await run_in_threadpool(count)
        except SlrError:
            return ""  # the resolution page says what is wrong
        if not n:
            return ""
        return (
            f"Resolving at {stage} waits: {n} of the disputed works are still in your own queue. "
            "Screen them first, so that nobody's decision sways yours (blinding)."
        )

    # conflicts, status, PDFs -------------------------------------------------------
    async def conflicts_page(self, request: Request, reviewer: str, sid: str) -> Response:
        stage = request.path_params["stage"]
        if stage not in STAGES:
            return PlainTextResponse("Not Found", 404)

        def rows() -> tuple[list[tuple[str, str, list[str]]], int]:
            from slr.screen.state import stage_states

            state = stage_states(self.review)[stage]
            titles = {w.work_id: w.canonical.title or "(no title)" for w in state.pool}
            hidden = blinded(self.review, state, reviewer)
            shown = [
                (wid, titles.get(wid, ""), with_notes(given, state.notes.get(wid, {})))
                for wid, given in state.conflicts.items()
                if wid not in hidden
            ]
            return shown, sum(1 for wid in state.conflicts if wid in hidden)

        try:
            found, hidden = await run_in_threadpool(rows)
        except SlrError as exc:
            return self._message(reviewer, sid, str(exc))
        context = self.context(
            reviewer,
            sid,
            title=f"conflicts · {stage}",
            stage=stage,
            rows=found,
            hidden=hidden,
        )
        return HTMLResponse(render("conflicts.html", **context))

    async def status_page(self, request: Request, reviewer: str, sid: str) -> Response:
        def counts() -> tuple[list[Any], str, bool]:
            from slr.screen.state import screening_counts

            stages = []
            for stage, c in screening_counts(self.review, recall=False).items():
                keys = ["works", "to_screen", "included", "excluded", "maybe", "conflicts"]
                if stage == STAGES[1]:
                    keys.append("not_retrieved")
                row = [(k.replace("_", " "), c[k]) for k in keys]
                people = sorted(c["reviewers"].items())  # progress only: no one's decisions
                stages.append((stage, row, people))
            try:
                error, interim = "", prisma_counts(self.review)[1]
            except SlrError as exc:
                error, interim = f"no diagram yet: {exc}", False
            return stages, error, interim

        try:
            stages, error, interim = await run_in_threadpool(counts)
            error = self._told(error)
        except SlrError as exc:
            return self._message(reviewer, sid, str(exc))
        context = self.context(
            reviewer, sid, title="status", stages=stages, prisma_error=error, interim=interim
        )
        return HTMLResponse(render("status.html", **context))

    async def prisma_svg(self, request: Request, reviewer: str, sid: str) -> Response:
        def svg() -> str:
            from slr.prisma.render import to_svg

            return to_svg(prisma_counts(self.review)[0])

        try:
            text = await run_in_threadpool(svg)
        except SlrError as exc:
            return PlainTextResponse(self._told(str(exc)), 404)
        headers = {"content-security-policy": "default-src 'none'; style-src 'unsafe-inline'"}
        return Response(text, media_type="image/svg+xml", headers=headers)

    async def pdf(self, request: Request, reviewer: str, sid: str) -> Response:
        path = pdf_path(self.review, request.path_params["work_id"])
        try:
            stored = path.is_file()
        except OSError:  # a name too long for the disk (a made-up URL): no such PDF
            stored = False
        if not stored:
            return PlainTextResponse("no PDF stored for this work", 404)
        return FileResponse(
            path,
            media_type="application/pdf",
            content_disposition_type="inline",
            filename=path.name,
        )


def blinded(review: Review, state: Any, viewer: str) -> set[str]:
    """The disputed works whose decisions `viewer` may not see yet: those they screen
    themselves and have not decided. Conflicts open to a reviewer work by work, once their
    own decision is in (with three reviewers, two may disagree before the third decides);
    someone who screens none of them (a third reviewer who resolves) sees them all."""
    mine = state.reviews.get(viewer, {})
    shared = set().union(*state.shares.values()) if state.shares else set()
    screener = viewer in review.protocol.reviewers or viewer in state.reviews

    def screens(wid: str) -> bool:
        return wid in state.shares.get(viewer, ()) if wid in shared else screener

    return {wid for wid in state.disagreements if wid not in mine and screens(wid)}


def prisma_counts(review: Review) -> tuple[Any, bool]:
    """The flow diagram's counts, and whether they are interim: the final diagram once
    screening is complete, else the interim one (`slr prisma --interim`)."""
    from slr.prisma.counts import PrismaError, compute

    try:
        return compute(review), False
    except PrismaError:
        return compute(review, interim=True), True


def create_app(review: Review, settings: Settings | None = None, **kw: Any) -> Starlette:
    """The ASGI application serving `review`."""
    return Server(review, settings, **kw).app


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _order(order: str | None, seed: str | None) -> tuple[str, int | None]:
    order = order if order in ORDERS else ORDERS[0]
    return order, _number(seed or "")


def _number(text: str) -> int | None:
    """An integer written in ASCII digits (at most 11), else None: `str.isdigit` also takes
    "²" or "٣", which int() refuses."""
    text = text.strip()
    return int(text) if re.fullmatch(r"-?[0-9]{1,11}", text) else None


def _same_origin(request: Request) -> bool:
    """No Origin header (older browsers, test clients), or this very server's: its Host, or
    the public name a reverse proxy says it forwards (no form of another site can set
    that header)."""
    origin = request.headers.get("origin")
    if not origin:
        return True
    names = (request.headers.get("host", ""), request.headers.get("x-forwarded-host", ""))
    return urlsplit(origin).netloc in [n for n in names if n]
