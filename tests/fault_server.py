"""A local store server with the faults of issue 14, for tests/test_crawl_faults.py.

Every first path segment is a store (`/a/`, `/shop/`...) of `products` static product pages
linked from its home page. The home page of `/shop/` also links to the traps and odd pages:

    /shop/calendar/<year>/<month>  a calendar whose next month never ends
    /shop/deep/a/a/...             links one level deeper forever, each a new URL pattern
    /shop/latin, /shop/sjis        Latin-1 and Shift-JIS bytes, no charset declared anywhere
    /shop/photo.html               a PNG image served as text/html
    /shop/js/<n>                   JavaScript shells whose script fills the page, then makes
                                   the browser ask `other` (another host) for a script, a frame,
                                   a fetch(), a WebSocket, a service worker's fetch() and a
                                   top-level navigation

`robots.txt` allows everything, or nothing when `deny_all` is set. An `OtherHost` records every
request it gets: a crawl that stays in its store sends none.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

#: The text of the pages without a declared charset, and the encodings they are sent in.
LATIN_TEXT = "Crème brûlée à la façon de grand-mère, garnie d'éclats de noisettes grillées"
SJIS_TEXT = "抹茶のロールケーキ。北海道産の生クリームを使用した、しっとりとした生地です。"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
SHELL = (
    '<!DOCTYPE html><html><head><title>Loading</title></head><body><div id="app">Loading…'
    '</div><script src="/shop/app.js"></script></body></html>'
)
#: Fills the page, then asks another host for a script, a frame, data and a navigation.
APP_JS = """
document.getElementById("app").innerHTML =
  "<h1>Rendered product " + location.pathname + "</h1><p>Price: 12.50 EUR. In stock.</p>" +
  "<p>A rendered description long enough to count as the page's own text, not a shell.</p>";
const other = "%(other)s";
fetch(other + "/fetch").catch(() => {});
const s = document.createElement("script"); s.src = other + "/script.js";
document.head.appendChild(s);
const f = document.createElement("iframe"); f.src = other + "/frame";
document.body.appendChild(f);
new WebSocket(other.replace("http", "ws") + "/socket").onerror = () => {};
if (navigator.serviceWorker) navigator.serviceWorker.register("/shop/sw.js").catch(() => {});
setTimeout(() => { location.href = other + "/away"; }, 20);
"""
#: A service worker that asks another host for data (routing would not see its requests).
SW_JS = 'fetch("%(other)s/from-worker").catch(() => {});'


class FaultServer(ThreadingHTTPServer):
    """The store server; `requests` lists the paths asked for."""

    daemon_threads = True

    def __init__(self, products: int = 6, other: str = "") -> None:
        super().__init__(("127.0.0.1", 0), FaultHandler)
        self.products = products
        self.other = other
        self.deny_all = False
        self.lock = threading.Lock()
        self.requests: list[str] = []

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self.server_address[1]}"


class FaultHandler(BaseHTTPRequestHandler):
    """Answers the routes of the module docstring."""

    server: FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the server's `requests` are the log."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        """GET a page."""
        with self.server.lock:
            self.server.requests.append(self.path)
        path = urlsplit(self.path).path
        if path == "/robots.txt":
            rules = "Disallow: /" if self.server.deny_all else "Disallow: /nothing"
            return self._send(f"User-agent: *\n{rules}\n".encode(), "text/plain")
        site, _, rest = path.strip("/").partition("/")
        parts = rest.split("/")
        if not site:
            return self._send(b"<html><body>root</body></html>")
        if rest == "":
            return self._send(self._home(site).encode())
        if parts[0] == "p" and len(parts) == 2 and parts[1].isdigit():
            return self._send(_product(site, int(parts[1])).encode())
        if site != "shop":
            return self._send(b"<html><body>Not found</body></html>", status=404)
        if parts[0] == "calendar" and len(parts) == 3:
            year, month = int(parts[1]), int(parts[2])
            nxt = (year + month // 12, month % 12 + 1)
            return self._send(_page(f"Events {year}-{month}", f"/shop/calendar/{nxt[0]}/{nxt[1]}"))
        if parts[0] == "deep":
            return self._send(_page(f"Level {len(parts)}", f"{path.rstrip('/')}/a"))
        if rest == "latin":
            return self._send(bare_page(LATIN_TEXT).encode("latin-1"), "text/html")
        if rest == "sjis":
            return self._send(bare_page(SJIS_TEXT).encode("shift_jis"), "text/html")
        if rest == "photo.html":
            return self._send(PNG, "text/html")
        if rest == "sw.js":
            return self._send((SW_JS % {"other": self.server.other}).encode(), "text/javascript")
        if rest == "app.js":
            return self._send((APP_JS % {"other": self.server.other}).encode(), "text/javascript")
        if parts[0] == "js":
            return self._send(SHELL.encode())
        return self._send(b"<html><body>Not found</body></html>", status=404)

    def _home(self, site: str) -> str:
        links = [f"/{site}/p/{n}" for n in range(1, self.server.products + 1)]
        if site == "shop":
            links += ["/shop/calendar/2024/1", "/shop/deep/a", "/shop/latin", "/shop/sjis"]
            links += ["/shop/photo.html"]
        items = "".join(f'<li><a href="{link}">{link}</a></li>' for link in links)
        return f"<!DOCTYPE html><html><body><h1>{site} home</h1><ul>{items}</ul></body></html>"

    def _send(
        self, body: bytes, content_type: str = "text/html; charset=utf-8", status: int = 200
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _product(site: str, n: int) -> str:
    return (
        f"<!DOCTYPE html><html><head><title>Product {n} of {site}</title></head><body>"
        f"<h1>Product {n} of {site}</h1><p class='price'>Price: {n}.50 EUR</p>"
        f"<p>A description of product {n}, sold by {site}, with enough words to read.</p>"
        f"<a href='/{site}/'>Home</a></body></html>"
    )


def _page(title: str, link: str) -> bytes:
    body = f"<html><body><h1>{title}</h1><a href='{link}'>next</a></body></html>"
    return body.encode()


def bare_page(text: str) -> str:
    """A page that declares no charset (no meta tag; the header names none either)."""
    head = f"<html><head><title>{text[:12]}</title></head>"
    return f"{head}<body><h1>{text}</h1><p>{text}</p></body></html>"


class OtherHost(ThreadingHTTPServer):
    """Another host: records every request, answers each with a small page."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), OtherHandler)
        self.lock = threading.Lock()
        self.requests: list[str] = []

    @property
    def base_url(self) -> str:
        """`http://localhost:<port>`: another host than the store's 127.0.0.1."""
        return f"http://localhost:{self.server_address[1]}"


class OtherHandler(BaseHTTPRequestHandler):
    """Records the request and answers 200."""

    server: OtherHost
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the server's `requests` are the log."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        """Record and answer."""
        with self.server.lock:
            self.server.requests.append(self.path)
        body = b"<html><body><h1>Elsewhere</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET  # noqa: N815 - stdlib naming


def serve(server: ThreadingHTTPServer) -> threading.Thread:
    """Serve in a daemon thread (stop with `server.shutdown(); server.server_close()`)."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
