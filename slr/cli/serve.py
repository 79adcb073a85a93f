"""`slr serve`: the screening in a browser, on the same decision logs, for co-reviewers."""

from __future__ import annotations

import errno
import socket

import click

from slr.cli.options import load, protocol_option
from slr.errors import SlrError
from slr.screen.state import resolve_reviewer


class ServeError(SlrError):
    """`slr serve` cannot start as asked."""


def _link_base(host: str, port: int, https: bool, url: str | None) -> str:
    if url:
        return url.rstrip("/")
    name = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    name = f"[{name}]" if ":" in name else name
    return f"{'https' if https else 'http'}://{name}:{port}"


@click.command("serve")
@protocol_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--reviewers", help="Who may screen, comma-separated (default: the protocol's).")
@click.option(
    "--invite", "invite", multiple=True, help="Print a one-time link for NAME, then exit."
)
@click.option("--revoke", "revoke", multiple=True, help="End NAME's links and sessions, then exit.")
@click.option("--list", "listing", is_flag=True, help="List invitations and sessions, then exit.")
@click.option("--require-token", is_flag=True, help="On loopback too, only invitation links.")
@click.option("--url", help="Base of the invitation links (e.g. https://lab-pc.example:8765).")
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False), help="TLS certificate.")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False), help="TLS private key.")
@click.option(
    "--rate",
    default=20.0,
    show_default=True,
    help="Requests per second per reviewer (0: no limit).",
)
def serve_cmd(
    protocol_path: str | None,
    host: str,
    port: int,
    reviewers: str | None,
    invite: tuple[str, ...],
    revoke: tuple[str, ...],
    listing: bool,
    require_token: bool,
    url: str | None,
    certfile: str | None,
    keyfile: str | None,
    rate: float,
) -> None:
    """Serve the screening in a browser, on the same decision logs as `slr screen`.

    Title/abstract and full-text screening (same keys, criteria and order options as the
    terminal), conflicts and their resolution, and a status page with the interim PRISMA
    diagram. Every decision is fsynced into decisions/<reviewer>.jsonl before the page
    answers. Listens on 127.0.0.1 by default, where a local reviewer picks their name; on
    any other address only invitation links let anyone in (`--invite NAME`: a one-time link;
    only its hash is kept, in this machine's slr cache, never in the review folder).

    \b
    Example:
      slr serve
      slr serve --host 0.0.0.0 --invite alice --url https://lab-pc.example:8765
      slr serve --host 0.0.0.0 --certfile cert.pem --keyfile key.pem
      slr serve --revoke alice
    """
    from slr.serve.app import Settings, create_app, is_loopback
    from slr.serve.auth import Access
    from slr.tui.keys import load_keymap

    review = load(protocol_path)
    access = Access(review.store.root)
    https = bool(certfile)
    if bool(certfile) != bool(keyfile):
        raise ServeError("--certfile and --keyfile go together: give both, or neither")
    if invite or revoke or listing:
        for name in revoke:
            name = resolve_reviewer(review, name)
            links, sessions = access.revoke(name)
            click.echo(f"{name}: {links} unused link(s) and {sessions} session(s) ended")
        base = _link_base(host, port, https, url)
        for name in invite:
            name = resolve_reviewer(review, name)
            click.echo(f"{name}: {base}/join/{access.invite(name)}")
        if invite:
            click.echo("each link works once; send it to its reviewer only (it is not shown again)")
        if listing:
            rows = access.listing()
            for name, row in sorted(rows.items()):
                click.echo(f"{name}: {row['invites']} unused link(s), {row['sessions']} session(s)")
            if not rows:
                click.echo("no invitations and no sessions")
        return
    listed = tuple(resolve_reviewer(review, n) for n in (reviewers or "").split(",") if n.strip())
    settings = Settings(
        host=host,
        reviewers=listed,
        require_token=require_token,
        https=https,
        rate=rate,
        burst=max(int(rate * 3), 10),
    )
    app = create_app(review, settings, keymap=load_keymap(), access=access)
    if certfile and keyfile:
        _check_tls(certfile, keyfile)
    sock = _listen(host, port)  # before announcing: a taken port is an error, not a URL
    import uvicorn

    port = sock.getsockname()[1]
    where = f"{'https' if https else 'http'}://{host if ':' not in host else f'[{host}]'}:{port}/"
    click.echo(f"serving {review.protocol.id} at {where} (Ctrl-C stops; every decision is saved)")
    if not is_loopback(host):
        click.echo("others on the network can connect: only invitation links let them in", err=True)
        if not https:
            click.echo(
                "warning: without --certfile/--keyfile (or a TLS proxy) links, cookies and "
                "decisions cross the network unencrypted",
                err=True,
            )
    elif not require_token:
        click.echo("on this computer a reviewer picks their name at /login", err=True)
    if settings.tokens_only and not access.listing():
        click.echo(
            "nobody can get in yet: no invitations. In another terminal, "
            "`slr serve --invite NAME` prints a link (this server accepts it at once)",
            err=True,
        )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,  # its lines hold URLs, and an invitation URL holds a token
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run(sockets=[sock])


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket on host:port, or a one-line error saying why not."""
    where = f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except OSError as exc:
        raise ServeError(
            f"--host {host}: {exc.strerror or exc}; give an address of this computer "
            "(127.0.0.1, 0.0.0.0) or its name"
        ) from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        hint = {
            errno.EADDRINUSE: "another program (another `slr serve`?) listens there: "
            "stop it, or pick another --port",
            errno.EACCES: "ports below 1024 need root: pick another --port (e.g. 8765)",
            errno.EADDRNOTAVAIL: "no network interface of this computer has that address",
        }.get(exc.errno or 0, "pick another --host or --port")
        raise ServeError(f"cannot listen on {where}: {exc.strerror or exc}; {hint}") from None
    return sock


def _check_tls(certfile: str, keyfile: str) -> None:
    """A certificate and key that do not load are a one-line error before serving."""
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise ServeError(
            f"--certfile {certfile} / --keyfile {keyfile}: {exc.strerror or exc}; "
            "give a PEM certificate and its private key"
        ) from None


COMMANDS = [serve_cmd]
