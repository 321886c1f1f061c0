"""The generic `store` spider: crawl one online store into page items, rendering JS shells.

    scrapy crawl store -a start_url=URL [-a store=NAME] [-a js=auto|always|never]
                       [-a max_pages=N] [-a allow_domains=HOST,HOST]

Pages are discovered through the sitemaps that robots.txt names, `<prefix>sitemap.xml`, and the
links of every page (categories, pagination, products). The crawl stays on the start URL's host
and port, and under its path prefix (`http://host/shop/` crawls `/shop/...` only); extra hosts can
be allowed with `allow_domains`. The browser is held to the same hosts: a rendered page's
requests to any other host (scripts, frames, `fetch()`, navigations) are blocked. With `js=auto`
every page is fetched statically first and fetched again through Chromium when it looks like a
JavaScript shell; `js=always` renders every page, `js=never` none.

Traps (a calendar's next month forever, pagination past the last page) are bounded twice: links
are followed at most `DEPTH_LIMIT` links deep from the start page (30 by default; sitemaps are
2 or 3 deep), and at most `SHOPWRIGHT_PATTERN_LIMIT` pages (1000 by default) of one URL pattern
(the URL with every number as 0: `/calendar/2112/05` and `/calendar/2024/01` are one pattern) are
followed from links; pages the store's sitemaps list are not counted. Either limit logs a warning
when it is reached; `-s DEPTH_LIMIT=0` or `-s SHOPWRIGHT_PATTERN_LIMIT=0` lifts it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from scrapy_playwright.page import PageMethod
from twisted.python.failure import Failure

from crawler.browser import MAX_PLACEHOLDER_TEXT, looks_like_js_shell
from crawler.items import PageItem
from extractor.data.pages import now_iso
from extractor.data.store import check_store_name
from extractor.page.dom import binary_kind, sniff_encoding

JS_MODES = ("auto", "always", "never")
HTML_TYPES = ("text/html", "application/xhtml+xml")
SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.I | re.M)
#: Query parameters that name a page (pagination, product or category ids, shop-software routes).
#: Every other parameter (facets, sorting, tracking, sessions) is dropped from followed links:
#: faceted navigation otherwise multiplies one listing into thousands of URLs.
KEPT_QUERY_KEYS = (
    r"page|p|pg|paged|pagenum|page_?number|start|offset|from"
    r"|id|pid|item|item_?id|product|products?_id|product_?id|prod|sku|slug|handle"
    r"|cat|category|categories|category_?id|cat_?id|cid|c|cpath|path|route|main_page"
)
#: True once the mount element shows more than a placeholder (args: selector, placeholder size).
MOUNT_FILLED_JS = (
    "([sel, size]) => { const e = document.querySelector(sel);"
    " return !!e && e.innerText.trim().length > size; }"
)
LINK_XPATH = "//a/@href | //area/@href | //link[@rel='next' or @rel='prev']/@href"
SKIPPED_EXTENSIONS = frozenset("." + ext for ext in IGNORED_EXTENSIONS)


#: Runs of digits, which `url_pattern` makes one.
DIGITS = re.compile(r"\d+")


def url_pattern(url: str) -> str:
    """A URL's pattern for SHOPWRIGHT_PATTERN_LIMIT: host, path and query keys, numbers as 0."""
    parts = urlsplit(url)
    query = "&".join(
        f"{key}={DIGITS.sub('0', value)}"
        for key, value in sorted(parse_qsl(parts.query, keep_blank_values=True))
    )
    return DIGITS.sub("0", f"{parts.netloc}{parts.path}") + (f"?{query}" if query else "")


def store_name(url: str) -> str:
    """A file-system-safe store name from a URL: its host, plus its first path segment if any."""
    parts = urlsplit(url)
    host = (parts.hostname or "store").removeprefix("www.")
    segment = parts.path.strip("/").split("/")[0] if parts.path.count("/") > 1 else ""
    name = f"{host}-{segment}" if segment else host
    return re.sub(r"[^\w.-]+", "-", name).strip("-.") or "store"


def clean_url(url: str, kept_keys: re.Pattern[str]) -> str:
    """The URL without its fragment and without query parameters that do not name a page."""
    parts = urlsplit(url)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, v) for k, v in pairs if kept_keys.fullmatch(k)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def path_prefix(url: str) -> str:
    """The directory part of a URL's path: `/shop/` for `/shop/` and `/shop/index.html`."""
    path = urlsplit(url).path or "/"
    return path[: path.rfind("/") + 1]


class StoreSpider(scrapy.Spider):
    """Crawl one store: sitemaps and links, static first, the browser for JavaScript shells."""

    name = "store"

    def __init__(
        self,
        start_url: str = "",
        store: str = "",
        js: str = "auto",
        max_pages: str | int = 0,
        allow_domains: str = "",
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        parts = urlsplit(start_url)
        try:
            hostname = parts.hostname
            parts.port  # noqa: B018 - a port that is not a number raises
        except ValueError:
            hostname = None
        if parts.scheme not in ("http", "https") or not hostname:
            raise ValueError(f"store spider needs -a start_url=http(s)://..., got {start_url!r}")
        if js not in JS_MODES:
            raise ValueError(f"js must be one of {', '.join(JS_MODES)}, got {js!r}")
        try:
            pages = int(max_pages or 0)
        except ValueError:
            pages = -1
        if pages < 0:
            raise ValueError(
                f"max_pages must be a whole number >= 0 (0: no limit), got {max_pages!r}"
            )
        self.start_url = start_url
        self.store = check_store_name(store) if store else store_name(start_url)
        self.js = js
        self.max_pages = pages
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.netloc = parts.netloc.lower()
        self.prefix = path_prefix(start_url)
        self.extra_hosts = {h.strip().lower() for h in allow_domains.split(",") if h.strip()}
        self.allowed_domains = [hostname, *self.extra_hosts]
        self.pages = 0
        self.kept_query_keys = re.compile(KEPT_QUERY_KEYS, re.I)
        #: URLs asked for from links, and how many of each URL pattern (SHOPWRIGHT_PATTERN_LIMIT)
        self.followed: set[str] = set()
        self.per_pattern: dict[str, int] = {}
        #: URLs the store's sitemaps list (not counted against the pattern limit)
        self.listed: set[str] = set()
        self.depth_warned = False

    # --- scope -----------------------------------------------------------------------------

    def in_scope(self, url: str) -> bool:
        """Whether a URL belongs to this store: same host and port, under the path prefix."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return False
        if (parts.hostname or "") in self.extra_hosts:
            return True
        return parts.netloc.lower() == self.netloc and (parts.path or "/").startswith(self.prefix)

    def browser_in_scope(self, url: str) -> bool:
        """Whether the browser may load a URL while rendering a page (or open a WebSocket to
        it): the store's host and port (any path: scripts and styles often live outside the
        store's prefix) and the allowed hosts; `data:` and `blob:` URLs, which go to no
        server."""
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return True
        if parts.scheme not in ("http", "https", "ws", "wss"):
            return False
        return parts.netloc.lower() == self.netloc or (parts.hostname or "") in self.extra_hosts

    # --- requests --------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """The start page, robots.txt (for its Sitemap lines) and the store's sitemap.xml."""
        self.logger.info(
            "crawling store %r from %s (scope %s%s, js=%s)",
            self.store,
            self.start_url,
            self.origin,
            self.prefix,
            self.js,
        )
        yield self.page_request(self.start_url)
        yield scrapy.Request(
            urljoin(self.origin, "/robots.txt"),
            callback=self.parse_robots,
            errback=self.discovery_failed,
            priority=10,
        )
        yield self.sitemap_request(urljoin(self.origin, self.prefix + "sitemap.xml"))

    def page_request(self, url: str, **kwargs: Any) -> scrapy.Request:
        """A request for a page (through the browser when js=always)."""
        url = clean_url(url, self.kept_query_keys)
        if self.js == "always":
            return self.browser_request(url, **kwargs)
        return scrapy.Request(url, callback=self.parse_page, **kwargs)

    def browser_request(self, url: str, mount: str | None = None, **kwargs: Any) -> scrapy.Request:
        """A request rendered by Chromium; its page is closed as soon as the response is read.

        With the shell's mount element known, rendering is done when the mount shows more than
        a placeholder; otherwise when the network has been idle for 500 ms.
        """
        if mount:
            wait = PageMethod(
                "wait_for_function", MOUNT_FILLED_JS, arg=[mount, MAX_PLACEHOLDER_TEXT]
            )
        else:
            wait = PageMethod("wait_for_load_state", "networkidle")
        return scrapy.Request(
            url,
            callback=self.parse_page,
            meta={
                "playwright": True,
                # `goto` returns once the page's response arrives; `wait` then waits for the
                # render. A page that navigates off the store before its load event keeps its
                # document (crawler.browser answers the navigation 204) but never fires `load`.
                "playwright_page_goto_kwargs": {"wait_until": "commit"},
                "playwright_page_methods": [wait],
            },
            **kwargs,
        )

    def sitemap_request(self, url: str) -> scrapy.Request:
        """A request for a sitemap or sitemap index."""
        return scrapy.Request(
            url, callback=self.parse_sitemap, errback=self.discovery_failed, priority=5
        )

    # --- discovery -------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """Follow the Sitemap lines of robots.txt that point into the store."""
        if not isinstance(response, TextResponse):
            return
        for url in SITEMAP_LINE.findall(response.text):
            if self.in_scope(url):
                yield self.sitemap_request(url)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """Pages and nested sitemaps of a sitemap (plain or gzipped XML)."""
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
        try:
            sitemap = Sitemap(body)
        except (ValueError, TypeError) as exc:
            self.logger.warning("not a sitemap: %s (%s)", response.url, exc)
            return
        for entry in sitemap:
            url = entry.get("loc", "")
            if not url or not self.in_scope(url):
                continue
            if sitemap.type == "sitemapindex":
                yield self.sitemap_request(url)
            else:
                self.listed.add(clean_url(url, self.kept_query_keys))
                yield self.page_request(url)

    def discovery_failed(self, failure: Failure) -> None:
        """A missing robots.txt or sitemap is normal: note it and go on with links."""
        request = getattr(failure, "request", None)
        self.logger.info(
            "no sitemap data from %s: %s", getattr(request, "url", "?"), failure.getErrorMessage()
        )

    # --- pages -----------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        """Yield the page item and follow the page's links; re-fetch JS shells in the browser."""
        stats = self.crawler.stats
        assert stats is not None
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        if not _is_html(response, content_type):
            stats.inc_value("shopwright/not_html")
            self.logger.info("not an HTML page, not stored: %s (%s)", response.url, content_type)
            return
        assert isinstance(response, TextResponse)
        rendered = bool(response.meta.get("playwright"))
        browser_failed = response.meta.get("shopwright_browser_failed", False)
        if self.js == "auto" and not rendered and not browser_failed:
            verdict = looks_like_js_shell(response.selector.root)
            if verdict:
                stats.inc_value("shopwright/js_shell")
                self.logger.debug("JavaScript shell (%s): %s", verdict.reason, response.url)
                yield self.browser_request(response.url, mount=verdict.mount, dont_filter=True)
                return
        if self.max_pages and self.pages >= self.max_pages:
            raise CloseSpider("max_pages")
        self.pages += 1
        # A static page is decoded by the page dataset's rules (extractor.page.dom: what it
        # declares, else the encoding it is written in), not Scrapy's UTF-8 fallback.
        encoding, html = (
            (None, response.text) if rendered else sniff_encoding(response.body, content_type)
        )
        yield PageItem(
            url=response.url,
            store=self.store,
            status=response.status,
            html=html,
            encoding=encoding,
            rendered=rendered,
            content_type=content_type,
            fetched_at=now_iso(),
        )
        for url in self.followed_links(response):
            yield self.page_request(url)

    def followed_links(self, response: TextResponse) -> list[str]:
        """The page's links that the trap limits let through (DEPTH_LIMIT,
        SHOPWRIGHT_PATTERN_LIMIT), each warned about once when it is reached."""
        stats = self.crawler.stats
        assert stats is not None
        links = self.page_links(response)
        depth_limit = self.settings.getint("DEPTH_LIMIT")
        if links and depth_limit and response.meta.get("depth", 0) + 1 > depth_limit:
            stats.inc_value("shopwright/depth_capped", len(links))
            if not self.depth_warned:
                self.depth_warned = True
                self.logger.warning(
                    "links deeper than DEPTH_LIMIT=%d from the start page are not followed (a "
                    "calendar or pagination trap?), first from %s; -s DEPTH_LIMIT=0 lifts it",
                    depth_limit,
                    response.url,
                )
            return []
        limit = self.settings.getint("SHOPWRIGHT_PATTERN_LIMIT")
        kept = []
        for url in links:
            if url in self.followed or url in self.listed or not limit:
                kept.append(url)
                continue
            pattern = url_pattern(url)
            count = self.per_pattern.get(pattern, 0)
            if count >= limit:
                stats.inc_value("shopwright/pattern_capped")
                continue
            self.followed.add(url)
            self.per_pattern[pattern] = count + 1
            if count + 1 == limit:
                self.logger.warning(
                    "%d pages of the URL pattern %s followed: more of it are not (a trap?); "
                    "-s SHOPWRIGHT_PATTERN_LIMIT=0 lifts the limit",
                    limit,
                    pattern,
                )
            kept.append(url)
        return kept

    def page_links(self, response: TextResponse) -> list[str]:
        """In-scope page URLs a page links to (anchors, image maps, rel=next/prev), cleaned."""
        urls: dict[str, None] = {}
        for href in response.xpath(LINK_XPATH).getall():
            href = href.strip()
            if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
                continue
            url = clean_url(response.urljoin(href), self.kept_query_keys)
            if posixpath.splitext(urlsplit(url).path)[1].lower() in SKIPPED_EXTENSIONS:
                continue
            if self.in_scope(url):
                urls[url] = None
        return list(urls)


def _is_html(response: Response, content_type: str | None) -> bool:
    """Whether a response is an HTML page: a text response of an HTML type (or of none) whose
    bytes are not an image, an archive or another binary file served under an HTML type."""
    if not isinstance(response, TextResponse) or binary_kind(response.body) is not None:
        return False
    if content_type:
        return any(kind in content_type.lower() for kind in HTML_TYPES)
    return isinstance(response, HtmlResponse)
