"""The annotator's web app (Starlette): the page, its script, the JSON API and each page's frame.

Security, because a crawled page is untrusted and the app writes files:

- every response carries a Content-Security-Policy: the app's own script and style only; a page's
  frame gets `FRAME_CSP` (no script at all, no connection, no remote image, sandboxed);
- a state-changing request (POST) must carry the session's token in `X-Shopwright-Token` and
  be JSON: a page on another site can neither read the token nor send such a request;
- the `Host` header must name the loopback address the app is bound to (no DNS rebinding);
- no request names a file: pages are numbers in the store's page dataset, static files a fixed
  list shipped with the package, so that nothing outside the store's folder can be reached.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from extractor.annotate.attributes import SchemaError
from extractor.annotate.edits import EditError
from extractor.annotate.render import FRAME_CSP
from extractor.annotate.session import Session
from extractor.data.annotations import AnnotationError

logger = logging.getLogger(__name__)

#: The header a state-changing request carries the session token in.
TOKEN_HEADER = "X-Shopwright-Token"
#: The app's own policy: its script, style and frames only, nothing from elsewhere.
APP_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
#: Headers of every response.
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
#: The static files the app serves (name -> media type); nothing else is ever read.
STATIC = {"app.js": "text/javascript", "app.css": "text/css"}
#: Largest request body read (an edit is a few hundred bytes).
MAX_BODY = 1 << 20

Handler = Callable[[Request], Awaitable[Response]]


class RequestError(ValueError):
    """A request the app refuses: its status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _static(name: str) -> str:
    return (resources.files("extractor.annotate") / "static" / name).read_text(encoding="utf-8")


def _headers(csp: str = APP_CSP) -> dict[str, str]:
    return {**COMMON_HEADERS, "Content-Security-Policy": csp}


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=_headers())


def create_app(session: Session, token: str | None = None, hosts: Sequence[str] = ()) -> Starlette:
    """The app over one store's session; `token` (default: a new random one) guards every
    state-changing request; `hosts` are the Host headers accepted (default: loopback names)."""
    token = token or secrets.token_urlsafe(32)
    index_html = _static("index.html").replace("{{TOKEN}}", token)
    index_html = index_html.replace("{{STORE}}", _escape(session.store.name))

    def page_index(request: Request) -> int:
        index = int(request.path_params["index"])
        if not 0 <= index < len(session.pages):
            raise RequestError(404, f"no page {index}: the store has {len(session.pages)} pages")
        return index

    async def body(request: Request) -> dict[str, Any]:
        """The JSON body of a state-changing request, after the token and type checks."""
        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise RequestError(403, "missing or wrong session token")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise RequestError(415, "send JSON (Content-Type: application/json)")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise RequestError(413, "request too large")
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise RequestError(400, "the body is not JSON") from None
        if not isinstance(data, dict):
            raise RequestError(400, "the body must be a JSON object")
        return data

    def guarded(handler: Handler) -> Handler:
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestError as exc:
                return _json({"error": str(exc)}, exc.status)
            except (EditError, SchemaError) as exc:
                return _json({"error": str(exc)}, 400)
            except AnnotationError as exc:  # the file went bad on disk: it is left as it is
                return _json({"error": str(exc)}, 409)

        return run

    async def home(request: Request) -> Response:
        return HTMLResponse(index_html, headers=_headers())

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            raise RequestError(404, "not found")
        return Response(_static(name), media_type=STATIC[name], headers=_headers())

    async def state(request: Request) -> Response:
        return _json(await run_in_threadpool(session.state))

    async def page(request: Request) -> Response:
        return _json(await run_in_threadpool(session.page, page_index(request)))

    async def frame(request: Request) -> Response:
        rendered = await run_in_threadpool(session.frame, page_index(request))
        headers = {**_headers(FRAME_CSP), "X-Frame-Options": "SAMEORIGIN"}
        return HTMLResponse(rendered.html, headers=headers)

    async def prelabels(request: Request) -> Response:
        return _json(await run_in_threadpool(session.prelabel, page_index(request)))

    async def edit(request: Request) -> Response:
        index = page_index(request)
        data = await body(request)
        ops = data.get("ops")
        if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
            raise RequestError(400, "an edit is {ops: [operation, ...]}")
        return _json(await run_in_threadpool(session.edit, index, ops))

    async def attributes(request: Request) -> Response:
        data = await body(request)
        name, kind = data.get("name"), data.get("type")
        if not isinstance(name, str) or not isinstance(kind, str):
            raise RequestError(400, "an attribute is {name, type}")
        listed = await run_in_threadpool(session.add_attribute, name, kind)
        return _json({"attributes": listed})

    async def adapt(request: Request) -> Response:
        if request.method == "POST":
            await body(request)
            started = session.start_adapt()
            return _json({"started": started, **session.adapt_job.status()})
        return _json(session.adapt_job.status())

    routes = [
        Route("/", guarded(home)),
        Route("/static/{name}", guarded(static)),
        Route("/api/state", guarded(state)),
        Route("/api/pages/{index:int}", guarded(page)),
        Route("/api/pages/{index:int}/prelabels", guarded(prelabels)),
        Route("/api/pages/{index:int}/edit", guarded(edit), methods=["POST"]),
        Route("/api/attributes", guarded(attributes), methods=["POST"]),
        Route("/api/adapt", guarded(adapt), methods=["GET", "POST"]),
        Route("/frame/{index:int}", guarded(frame)),
    ]
    allowed = list(hosts) or ["127.0.0.1", "localhost", "[::1]"]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed)],
        exception_handlers={404: _not_found, 405: _not_allowed},
    )
    app.state.token = token
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    return _json({"error": "not found"}, 404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return _json({"error": "method not allowed"}, 405)


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
