"""Serving the annotator: bound to the loopback address on a free port (another address only when
asked for explicitly), its URL printed, the browser opened where there is one."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
import webbrowser
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from extractor.annotate.app import create_app
from extractor.annotate.session import Session

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


class BindError(ValueError):
    """An address the annotator will not listen on (not loopback, and not asked for)."""


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, allow_remote: bool = False) -> str:
    """The host to bind, or BindError for an address other machines reach, unless
    `allow_remote` (the annotator shows a store's pages and writes its files)."""
    if not is_loopback(host) and not allow_remote:
        raise BindError(
            f"refusing to listen on {host}: the annotator serves this machine only "
            f"({LOOPBACK}); pass --allow-remote to listen on {host} anyway"
        )
    return host


def bind_socket(host: str, port: int = 0) -> socket.socket:
    """A listening TCP socket on `host:port` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


@dataclass
class Running:
    """A server started by `serve_in_thread`: its URL and token."""

    url: str
    token: str
    server: uvicorn.Server


def _server(session: Session, host: str, sock: socket.socket) -> tuple[uvicorn.Server, str, str]:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    hosts = [host, shown, "localhost"] if is_loopback(host) else ["*"]
    app = create_app(session, hosts=hosts)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config), f"http://{shown}:{port}/", str(app.state.token)


def serve(
    session: Session,
    host: str = LOOPBACK,
    port: int = 0,
    allow_remote: bool = False,
    open_browser: bool = True,
) -> None:
    """Serve the annotator until interrupted (Ctrl-C)."""
    check_bind(host, allow_remote)
    sock = bind_socket(host, port)
    server, url, _ = _server(session, host, sock)
    print(f"annotating store {session.store.name!r} at {url}  (Ctrl-C to stop)", flush=True)
    session.start_background()
    if open_browser:
        threading.Timer(0.5, _open, args=(url,)).start()
    try:
        server.run(sockets=[sock])
    finally:
        session.close()
        sock.close()


@contextlib.contextmanager
def serve_in_thread(session: Session, host: str = LOOPBACK) -> Iterator[Running]:
    """The annotator served from a background thread while the block runs (tests, notebooks)."""
    sock = bind_socket(check_bind(host))
    server, url, token = _server(session, host, sock)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="annotator"
    )
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            thread.join(0.01)
        yield Running(url, token, server)
    finally:
        server.should_exit = True
        thread.join(10)
        session.close()
        sock.close()


def _open(url: str) -> None:
    try:
        if not webbrowser.open(url):
            logger.info("no browser to open here: open %s yourself", url)
    except webbrowser.Error as exc:
        logger.info("could not open a browser (%s): open %s yourself", exc, url)
