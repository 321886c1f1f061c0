"""Browser side of the crawl: spotting JavaScript shells, launch options, and what not to load."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from extractor.dom import PageError, iter_text_nodes, parse_html

if TYPE_CHECKING:
    import lxml.html
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


def _empty_mount(root: lxml.html.HtmlElement) -> str | None:
    """The CSS selector of an empty app-mount element (`<div id="app"></div>`), if any."""
    for element in root.iter("div", "main", "section", "article", "app", "app-root"):
        attrs = element.attrib
        ident = attrs.get("id", "")
        is_mount = bool(MOUNT_ID.match(ident)) or any(name in attrs for name in MOUNT_ATTRS)
        if not is_mount:
            continue
        has_text = bool("".join(element.itertext()).strip())
        if len(element) == 0 or not has_text:
            if ident and re.fullmatch(r"[A-Za-z_][\w-]*", ident):
                return f"#{ident}"
            return element.tag
    return None


def looks_like_js_shell(html: str | bytes, content_type: str | None = None) -> ShellVerdict:
    """Whether a page needs a browser: it has scripts and shows (almost) nothing without them.

    A page is a shell when it carries scripts and either shows fewer than `MIN_STATIC_TEXT`
    visible characters, or has no `<h1>` but an empty app-mount element (`<div id="app">`,
    `data-reactroot`...) or a `<noscript>` asking for JavaScript. A page without scripts is never
    a shell: nothing could fill it in.
    """
    try:
        root = parse_html(html, content_type)
    except PageError:
        return ShellVerdict(False, "not parseable")
    scripts = [s for s in root.iter("script") if s.get("src") or (s.text or "").strip()]
    scripts = [s for s in scripts if "json" not in (s.get("type") or "").lower()]
    if not scripts:
        return ShellVerdict(False, "no scripts")
    nodes = list(iter_text_nodes(root))
    visible = sum(len(node["text"]) for node in nodes)
    mount = _empty_mount(root)
    if visible < MIN_STATIC_TEXT:
        return ShellVerdict(True, f"{visible} visible characters", mount)
    if any(node["tag"] == "h1" for node in nodes):
        return ShellVerdict(False, "has a heading")
    if mount:
        return ShellVerdict(True, f"empty mount element {mount}", mount)
    if any(NOSCRIPT_JS.search(n.text_content() or "") for n in root.iter("noscript")):
        return ShellVerdict(True, "noscript asks for JavaScript", mount)
    return ShellVerdict(False, "shows content")


def abort_request(request: PlaywrightRequest) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: skip images, media and fonts (the dataset keeps the DOM)."""
    return request.resource_type in SKIPPED_RESOURCES


class BrowserAddon:
    """Puts `SHOPWRIGHT_CHROMIUM` into `PLAYWRIGHT_LAUNCH_OPTIONS["executable_path"]`.

    An add-on runs after `-s` options are applied, so `-s SHOPWRIGHT_CHROMIUM=...` works; an
    `executable_path` given in `PLAYWRIGHT_LAUNCH_OPTIONS` itself wins.
    """

    def update_settings(self, settings: Settings) -> None:
        """Merge the Chromium path into the launch options, at their own priority."""
        options: dict[str, Any] = dict(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))
        chromium = settings.get("SHOPWRIGHT_CHROMIUM")
        if chromium and "executable_path" not in options:
            options["executable_path"] = chromium
            priority = settings.getpriority("PLAYWRIGHT_LAUNCH_OPTIONS") or "addon"
            settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", options, priority=priority)


class LazyPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, but Playwright starts with the first browser request.

    The stock handler starts the Playwright driver (a Node.js process, one per scheme) when the
    engine starts, which costs seconds and memory in crawls that never render a page. Requests
    without `meta["playwright"]` go to Scrapy's plain HTTP handler either way.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._launch_lock = asyncio.Lock()
        self._launched = False

    async def _maybe_launch_in_thread(self) -> None:
        """Connected to engine_started by the parent: do not launch yet."""

    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        async with self._launch_lock:
            if not self._launched:
                await self._launch()
                self._launched = True
        return await super()._download_request(request, spider)
