"""Browser side of the crawl: spotting JavaScript shells, launch options, and what not to load."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from extractor.page.dom import PageError, parse_html

if TYPE_CHECKING:
    from playwright.async_api import Page, Route, WebSocketRoute
    from playwright.async_api import Request as PlaywrightRequest
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

#: A page showing fewer visible characters than this, and carrying scripts, is a shell.
MIN_STATIC_TEXT = 200
#: Ids and attributes of the element a client-side app mounts itself into.
MOUNT_ID = re.compile(
    r"^(app|root|main|mount|content|page|view|store|shop|product|__next|__nuxt|svelte)"
    r"([-_]?(root|app|mount|view|page|content|container))?$",
    re.I,
)
MOUNT_ATTRS = (
    "data-reactroot",
    "data-react-root",
    "data-v-app",
    "ng-app",
    "data-app",
    "data-mount",
)
#: A mount element showing at most this many characters ("Loading…") is still empty.
MAX_PLACEHOLDER_TEXT = 40
NOSCRIPT_JS = re.compile(r"javascript|\bjs\b", re.I)
#: Resource types the crawl never needs from the browser: the DOM is what is kept.
SKIPPED_RESOURCES = frozenset({"image", "media", "font"})


@dataclass(frozen=True)
class ShellVerdict:
    """Whether a statically fetched page is a JavaScript shell, and why."""

    is_shell: bool
    reason: str
    #: CSS selector of the empty element the app mounts into, when there is one.
    mount: str | None = None

    def __bool__(self) -> bool:
        return self.is_shell


def _visible_text(element: Any) -> str:
    """The whitespace-collapsed text an element shows (scripts, styles, templates left out)."""
    parts = element.xpath(
        ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
        " or ancestor::template)]"
    )
    return " ".join(" ".join(parts).split())


def _placeholder_mount(root: Any) -> str | None:
    """The CSS selector of the innermost app-mount element showing at most a placeholder."""
    found = None
    for element in root.iter("div", "main", "section", "article", "app", "app-root"):
        attrs = element.attrib
        ident = attrs.get("id", "")
        is_mount = bool(MOUNT_ID.match(ident)) or any(name in attrs for name in MOUNT_ATTRS)
        if not is_mount or len(_visible_text(element)) > MAX_PLACEHOLDER_TEXT:
            continue
        if ident and re.fullmatch(r"[A-Za-z_][\w-]*", ident):
            found = f"#{ident}"
        else:
            found = str(element.tag)
    return found


def looks_like_js_shell(page: str | bytes | Any, content_type: str | None = None) -> ShellVerdict:
    """Whether a page needs a browser: it has scripts and shows (almost) nothing without them.

    `page` is HTML or an already parsed lxml root (e.g. `response.selector.root`). A page is a
    shell when it carries scripts and either shows fewer than `MIN_STATIC_TEXT` visible
    characters, or has no `<h1>` but an app-mount element (`<div id="app">`, `data-reactroot`...)
    that shows at most a loading placeholder, or a `<noscript>` asking for JavaScript. A page
    without scripts is never a shell: nothing could fill it in.
    """
    if isinstance(page, str | bytes):
        try:
            root = parse_html(page, content_type)
        except PageError:
            return ShellVerdict(False, "not parseable")
    else:
        root = page
    scripts = [
        s
        for s in root.iter("script")
        if (s.get("src") or (s.text or "").strip()) and "json" not in (s.get("type") or "").lower()
    ]
    if not scripts:
        return ShellVerdict(False, "no scripts")
    body = root.find("body")
    visible = len(_visible_text(body if body is not None else root))
    mount = _placeholder_mount(root)
    if visible < MIN_STATIC_TEXT:
        return ShellVerdict(True, f"{visible} visible characters", mount)
    if any(_visible_text(h1) for h1 in root.iter("h1")):
        return ShellVerdict(False, "has a heading")
    if mount:
        return ShellVerdict(True, f"mount element {mount} shows a placeholder", mount)
    if any(NOSCRIPT_JS.search(" ".join(n.itertext())) for n in root.iter("noscript")):
        return ShellVerdict(True, "noscript asks for JavaScript", mount)
    return ShellVerdict(False, "shows content")


def abort_request(request: PlaywrightRequest) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: skip images, media and fonts (the dataset keeps the DOM)."""
    return request.resource_type in SKIPPED_RESOURCES


class BrowserAddon:
    """Puts `SHOPWRIGHT_CHROMIUM` into `PLAYWRIGHT_LAUNCH_OPTIONS["executable_path"]`, and
    `--no-sandbox` into its arguments when the crawl runs as root (Chromium cannot sandbox
    itself there; as any other user it keeps its sandbox).

    An add-on runs after `-s` options are applied, so `-s SHOPWRIGHT_CHROMIUM=...` works; an
    `executable_path` given in `PLAYWRIGHT_LAUNCH_OPTIONS` itself wins.
    """

    def update_settings(self, settings: Settings) -> None:
        """Merge the Chromium path and the sandbox flag into the launch options, at their own
        priority."""
        options: dict[str, Any] = dict(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))
        changed = False
        chromium = settings.get("SHOPWRIGHT_CHROMIUM")
        if chromium and "executable_path" not in options:
            options["executable_path"] = chromium
            changed = True
        args = list(options.get("args") or [])
        if running_as_root() and NO_SANDBOX not in args:
            options["args"] = [*args, NO_SANDBOX]
            changed = True
        if changed:
            priority = settings.getpriority("PLAYWRIGHT_LAUNCH_OPTIONS") or "addon"
            settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", options, priority=priority)


#: The Chromium flag that turns its sandbox off (needed as root only).
NO_SANDBOX = "--no-sandbox"


def running_as_root() -> bool:
    """Whether this process runs as root (where Chromium refuses to start with its sandbox)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _is_top_navigation(request: PlaywrightRequest) -> bool:
    """Whether a browser request navigates the page itself (not a frame, not a worker's)."""
    try:
        return request.is_navigation_request() and request.frame.parent_frame is None
    except PlaywrightError:  # a service worker's request has no frame
        return False


async def _refuse_web_socket(socket: WebSocketRoute) -> None:
    """Close a page's WebSocket without connecting it to its server."""
    await socket.close(code=1008, reason="off the store")


class LazyPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, but Playwright starts with the first browser request, and
    the browser loads nothing outside the store.

    The stock handler starts the Playwright driver (a Node.js process, one per scheme) when the
    engine starts, which costs seconds and memory in crawls that never render a page. Requests
    without `meta["playwright"]` go to Scrapy's plain HTTP handler either way.

    Every request a rendered page makes (scripts, styles, frames, `fetch()`, navigations) goes
    through Playwright's request routing, and there through the spider's `browser_in_scope(url)`
    before scrapy-playwright's own handler (`PLAYWRIGHT_ABORT_REQUEST`): a request to another
    host is blocked and counted (`shopwright/browser_blocked`), so that a page cannot make the
    crawler's browser fetch from, post to or wait for sites the crawl was not told to visit. A
    top-level navigation off the store is answered `204 No Content`, which leaves the page where
    it is (an aborted one would replace it with the browser's error page). WebSockets go through
    the same scope (`page.route_web_socket`); service workers, whose requests routing would not
    see, are blocked in the browser context (`PLAYWRIGHT_CONTEXTS`).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._launch_lock = asyncio.Lock()
        self._launched = False
        self._crawler = crawler

    def _in_scope(self, url: str) -> bool:
        """Whether the spider's scope lets the browser load `url`; counts what it blocks."""
        in_scope = getattr(self._crawler.spider, "browser_in_scope", None)
        if in_scope is None or in_scope(url):
            return True
        if self._crawler.stats is not None:
            self._crawler.stats.inc_value("shopwright/browser_blocked")
        logger.debug("browser request off the store blocked: %s", url)
        return False

    def _make_request_handler(self, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """scrapy-playwright's route handler of a page, behind the store's scope."""
        handler = super()._make_request_handler(*args, **kwargs)

        async def in_store(route: Route, request: PlaywrightRequest) -> None:
            if self._in_scope(request.url):
                await handler(route, request)
            elif _is_top_navigation(request):
                await route.fulfill(status=204)
            else:
                await route.abort("blockedbyclient")

        return in_store

    async def _create_page(self, request: Request, spider: Spider) -> Page:
        """A new page whose WebSockets are held to the store too (request routing does not see
        them): one off the store is closed before it reaches its server."""
        page = await super()._create_page(request, spider)
        await page.route_web_socket(lambda url: not self._in_scope(url), _refuse_web_socket)
        return page

    async def _apply_page_methods(self, page: Page, request: Request, spider: Spider) -> None:
        """Run the request's page methods, without scrapy-playwright's wait for the `load`
        event after each: a page that started a navigation off the store before its `load`
        keeps its document (the navigation is answered 204) but never fires `load`. The spider's
        page methods wait for what rendering needs (the app's mount filled, the network idle).
        """
        for method in request.meta.get("playwright_page_methods") or ():
            call = partial(method.method, page) if callable(method.method) else None
            call = call or getattr(page, method.method)
            result = call(*method.args, **method.kwargs)
            method.result = await result if inspect.isawaitable(result) else result

    async def _maybe_launch_in_thread(self) -> None:
        """Connected to engine_started by the parent: do not launch yet."""

    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        async with self._launch_lock:
            if not self._launched:
                await self._launch()
                self._launched = True
        return await super()._download_request(request, spider)
