"""Downloader middlewares: stay inside the store, obey robots.txt, survive a failing browser."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from playwright.async_api import Error as PlaywrightError
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.outcome import BROWSER_ERROR_STAT

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)


class StoreScopeMiddleware:
    """Drop every request outside the spider's scope (host, port and path prefix).

    All fixture stores (and many real shops) share one host, so host-based `allowed_domains`
    alone is not enough. The spider decides through `in_scope(url)`; this middleware applies it
    to every request, redirects included. `/robots.txt` of the store's host is always allowed.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from the crawler (no settings of its own)."""
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        """Raise IgnoreRequest for a request outside the store."""
        spider = self.crawler.spider
        in_scope = getattr(spider, "in_scope", None)
        if in_scope is None or in_scope(request.url):
            return
        if urlparse_cached(request).path == "/robots.txt":
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("shopwright/out_of_scope")
        logger.debug("out of the store's scope, not fetched: %s", request.url)
        raise IgnoreRequest(f"out of the store's scope: {request.url}")


class BrowserFallbackMiddleware:
    """Survive browser failures (crash, launch failure, render timeout).

    A request that failed in the browser is tried again in the browser (a crashed browser is
    relaunched by scrapy-playwright) up to `SHOPWRIGHT_BROWSER_RETRIES` times, then fetched
    statically with `meta["shopwright_browser_failed"] = True`, so the page is still stored (as
    not rendered) and the failure is logged as an error, never lost silently.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_retries = crawler.settings.getint("SHOPWRIGHT_BROWSER_RETRIES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from the crawler's settings."""
        return cls(crawler)

    def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        """Retry a failed browser request in the browser, then statically."""
        if not request.meta.get("playwright") or not isinstance(exception, PlaywrightError):
            return None
        stats = self.crawler.stats
        assert stats is not None
        tries = request.meta.get("shopwright_browser_tries", 0) + 1
        if tries <= self.max_retries:
            logger.warning(
                "browser failed on %s (%s); trying again in the browser", request.url, exception
            )
            stats.inc_value("shopwright/browser_retry")
            meta = {**request.meta, "shopwright_browser_tries": tries}
            return request.replace(meta=meta, dont_filter=True)
        logger.error(
            "browser failed on %s after %d tries (%s); storing the page as fetched statically",
            request.url,
            tries,
            exception,
        )
        stats.inc_value("shopwright/browser_failed")
        if stats.get_value(BROWSER_ERROR_STAT) is None:  # the first failure says why
            stats.set_value(BROWSER_ERROR_STAT, (str(exception).strip().splitlines() or ["?"])[0])
        meta = {
            key: value for key, value in request.meta.items() if not key.startswith("playwright")
        }
        meta["shopwright_browser_failed"] = True
        return request.replace(meta=meta, dont_filter=True)


class ConcurrentSafeRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, with every request checked while robots.txt is loading.

    In Scrapy 2.19, requests that wait for a host's robots.txt share one Deferred; the first
    waiter's callback returns None, so every later waiter receives None, which means "no
    robots.txt, allow all": disallowed pages that were requested early (typically the queue a
    JOBDIR crawl resumes with) were fetched. Here a waiter that got None takes the parser that
    is stored for the host by then.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The parsed robots.txt of the request's host (None only when it could not be read)."""
        parser = await super().robot_parser(request)
        if parser is None:
            stored = self._parsers.get(urlparse_cached(request).netloc)
            if stored is not None and not isinstance(stored, Deferred):
                return stored
        return parser
