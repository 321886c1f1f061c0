"""The shared frontier's scheduler: scrapy-redis' scheduler on a store's leased queue.

Every crawler process given the same `SHOPWRIGHT_FRONTIER` and store takes its requests from one
Redis queue and checks new ones against one seen-set (scrapy-redis' `RFPDupeFilter`), so each
URL is fetched by one worker. A request stays leased to the worker that took it until its page is
in a shard of the page dataset (`crawler.signals.pages_stored`), until its redirect or retry is
queued in its place, or until the worker is idle, with every page written; a worker killed
before that leaves its leases behind, and the other workers return them to the queue once its
`alive` key expires (`SHOPWRIGHT_FRONTIER_LEASE` seconds). An idle worker does not close while
the queue holds requests or another worker holds leases: those may still bring new links.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import redis
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawler import signals as shopwright_signals
from crawler.frontier.keys import FrontierKeys, check_frontier_url, worker_id
from crawler.frontier.queue import LeasedQueue

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: Where a request taken from the frontier carries its lease id.
LEASE = "shopwright_lease"
#: How often (seconds) an idle worker looks at the shared queue again; Scrapy's own is 5 s.
IDLE_POLL = 0.5


class FrontierScheduler(Scheduler):
    """scrapy-redis' scheduler with per-store keys, leases, and a close only when all is done."""

    def __init__(self, server: Any, crawler: Crawler, worker: str, lease_seconds: float) -> None:
        super().__init__(server, persist=True)
        self.crawler = crawler
        self.stats = crawler.stats
        self.worker = worker
        self.lease_ms = max(int(lease_seconds * 1000), 100)
        #: lease id -> URL, and URL -> lease ids, of the requests this worker holds
        self.lease_url: dict[str, str] = {}
        self.url_leases: dict[str, set[str]] = {}
        self.heartbeat: Any = None
        #: fingerprints this worker queued or found seen (a cache of the shared seen-set)
        self.seen_here: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Connect to `SHOPWRIGHT_FRONTIER` (failing now if Redis cannot be reached)."""
        settings = crawler.settings
        url = check_frontier_url(settings.get("SHOPWRIGHT_FRONTIER") or "")
        server = redis.Redis.from_url(url, socket_timeout=30, retry_on_timeout=True)
        server.ping()
        worker = worker_id(settings.get("SHOPWRIGHT_WORKER") or "")
        lease = settings.getfloat("SHOPWRIGHT_FRONTIER_LEASE", 60.0)
        scheduler = cls(server, crawler, worker, lease)
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler.pages_stored, signal=shopwright_signals.pages_stored)
        return scheduler

    def open(self, spider: Spider) -> None:
        """Join the store's frontier (keys by the spider's store name) and start the heartbeat."""
        self.spider = spider
        keys = FrontierKeys(getattr(spider, "store", "") or spider.name)
        self.keys = keys
        self.queue = LeasedQueue(self.server, spider, keys, self.worker)
        self.df = RFPDupeFilter(
            self.server, key=keys.seen, debug=spider.settings.getbool("DUPEFILTER_DEBUG")
        )
        self.beat()
        self.heartbeat = create_looping_call(self.beat)
        self.heartbeat.start(self.lease_ms / 3000, now=False)
        # Scrapy looks for new requests every 5 s while idle; another worker's new links should
        # not wait that long. (A documented-nowhere engine attribute, read when the crawl starts.)
        engine = self.crawler.engine
        if engine is not None:
            engine._SLOT_HEARTBEAT_INTERVAL = IDLE_POLL
        queued = len(self.queue)
        logger.info(
            "frontier %s: worker %s joined (%d requests queued)", keys.prefix, self.worker, queued
        )

    def beat(self) -> None:
        """Renew this worker's `alive` key (and its place among the store's workers)."""
        with self.server.pipeline() as pipe:
            pipe.set(self.keys.alive(self.worker), 1, px=self.lease_ms)
            pipe.sadd(self.keys.workers, self.worker)
            pipe.execute()

    def close(self, reason: str) -> None:
        """Leave the frontier: a worker that stops early returns its requests to the queue; the
        last one out of a finished crawl forgets the crawl's queue and seen-set."""
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        if reason == "finished":
            self.queue.release_all()
        elif moved := self.queue.requeue_mine():
            logger.info("frontier: %d requests returned to the queue (%s)", moved, reason)
        with self.server.pipeline() as pipe:
            pipe.delete(self.keys.alive(self.worker))
            pipe.srem(self.keys.workers, self.worker)
            pipe.execute()
        if reason == "finished" and self.queue.clear_if_done():
            logger.info("frontier %s: crawl complete, queue and seen-set cleared", self.keys.prefix)

    # --- requests ----------------------------------------------------------------------------

    def enqueue_request(self, request: Request) -> bool:
        """Queue a request unless seen; a redirect or retry of a leased request releases it."""
        lease = request.meta.pop(LEASE, None)
        queued = request.dont_filter or not self.seen(request)
        if queued:
            self.queue.push(request)
            self._inc("scheduler/enqueued/redis")
        else:
            self.df.log(request, self.spider)
            self._inc("shopwright/frontier/seen")
        if lease is not None:
            self._release([lease])
        return queued

    def seen(self, request: Request) -> bool:
        """Whether a request was queued before, by any worker (Redis' seen-set); what this
        worker saw once needs no round trip (most links repeat on every page)."""
        fingerprint = self.df.request_fingerprint(request)
        if fingerprint in self.seen_here:
            return True
        self.seen_here.add(fingerprint)
        return not self.server.sadd(self.keys.seen, fingerprint)

    def next_request(self) -> Request | None:
        """The next request of the shared queue, leased to this worker."""
        popped = self.queue.pop_leased()
        if popped is None:
            return None
        lease, request = popped
        request.meta[LEASE] = lease
        self.lease_url[lease] = request.url
        self.url_leases.setdefault(request.url, set()).add(lease)
        self._inc("scheduler/dequeued/redis")
        return request

    def pages_stored(self, urls: list[str]) -> None:
        """Release the requests whose pages are now in the page dataset."""
        self._release([lease for url in urls for lease in self.url_leases.get(url, ())])

    def spider_idle(self) -> None:
        """Idle: write buffered pages, release every request, take over dead workers' requests;
        stay open while requests are queued or in flight elsewhere."""
        self.crawler.signals.send_catch_log(signal=shopwright_signals.flush_pages)
        self.queue.release_all()
        self.lease_url.clear()
        self.url_leases.clear()
        if moved := self.queue.requeue_dead():
            logger.warning("frontier: %d requests of stopped workers returned to the queue", moved)
            self._inc("shopwright/frontier/requeued", moved)
        if len(self.queue) or self.queue.in_flight_anywhere():
            raise DontCloseSpider

    def _release(self, leases: list[str]) -> None:
        for lease in leases:
            url = self.lease_url.pop(lease, None)
            if url is not None:
                held = self.url_leases.get(url)
                if held is not None:
                    held.discard(lease)
                    if not held:
                        del self.url_leases[url]
        self.queue.release(leases)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)
