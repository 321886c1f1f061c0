"""One request rate per store host for all the workers of a shared frontier together.

Each worker's AutoThrottle and concurrency limits hold per process; with N workers a store would
see N times the load. This downloader middleware books every request's departure on a clock in
Redis: a Lua script gives each request the first free slot `1 / SHOPWRIGHT_FRONTIER_RATE`
seconds after the last one booked for the same host (by any worker), on Redis' own clock, and
the request waits for it. robots.txt is obeyed the same way by every worker (each reads it
before its first request to the store), so it holds globally too.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import redis
from scrapy.exceptions import NotConfigured

from crawler.frontier.keys import check_frontier_url, rate_key

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler

#: Book the next free slot of a host (KEYS: its rate key; ARGV: microseconds between requests);
#: returns the microseconds to wait for it.
BOOK_SLOT = """
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000000 + tonumber(now[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, free)
redis.call('SET', KEYS[1], string.format('%d', slot + tonumber(ARGV[1])), 'PX', 600000)
return slot - now
"""


class GlobalRateMiddleware:
    """Space the requests to a host `1 / SHOPWRIGHT_FRONTIER_RATE` seconds apart, across
    workers; off without a frontier or with a rate of 0."""

    def __init__(self, server: redis.Redis, rate: float) -> None:
        self.interval_us = int(1_000_000 / rate)
        self.book = server.register_script(BOOK_SLOT)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read `SHOPWRIGHT_FRONTIER` and `SHOPWRIGHT_FRONTIER_RATE` (requests per second)."""
        url = crawler.settings.get("SHOPWRIGHT_FRONTIER")
        rate = crawler.settings.getfloat("SHOPWRIGHT_FRONTIER_RATE")
        if not url or rate <= 0:
            raise NotConfigured
        return cls(redis.Redis.from_url(check_frontier_url(url)), rate)

    async def process_request(self, request: Request) -> None:
        """Wait for the request's slot."""
        wait_us = int(self.book(keys=[rate_key(request.url)], args=[self.interval_us]))
        if wait_us > 0:
            await asyncio.sleep(wait_us / 1_000_000)
