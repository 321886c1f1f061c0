"""Crawl extensions: JOBDIR recovery after a kill, and final stats written to a file."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: Present in the JOBDIR while a crawl runs; removed when the spider closes cleanly.
RUNNING_MARKER = "shopwright.running"
#: What Scrapy's scheduler keeps in the JOBDIR (pending requests, seen fingerprints).
SCHEDULER_STATE = ("requests.queue", "requests.seen")


class JobdirRecovery:
    """Make `-s JOBDIR=...` resumable after SIGKILL too, not only after a clean stop (SIGINT).

    Scrapy writes its request queue's bookkeeping only on a clean shutdown, while fingerprints of
    seen requests reach the disk as they come: after a kill, a resumed crawl would think pages
    were seen that it never fetched, and stop early. So a marker file lives in the JOBDIR while a
    crawl runs; when a crawl starts and finds it, the previous one was killed, and the scheduler
    state is discarded so that the crawl starts over. Pages already in the dataset are not stored
    twice: the page dataset writer skips URLs it already has.
    """

    def __init__(self, jobdir: Path) -> None:
        self.marker = jobdir / RUNNING_MARKER
        jobdir.mkdir(parents=True, exist_ok=True)
        if self.marker.exists():
            logger.warning(
                "%s: the previous crawl was killed; its request queue cannot be trusted, so the "
                "crawl starts over (pages already stored are kept and not stored again)",
                jobdir,
            )
            for name in SCHEDULER_STATE:
                path = jobdir / name
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
        self.marker.write_text("a crawl is running (or was killed) with this JOBDIR\n")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Enabled only with a JOBDIR."""
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise NotConfigured
        extension = cls(Path(jobdir))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """A clean close (finished, or stopped by SIGINT): the queue on disk is consistent."""
        self.marker.unlink(missing_ok=True)


class StatsFile:
    """Write the crawl's final stats as JSON to `SHOPWRIGHT_STATS_FILE` (for tests, benchmarks)."""

    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Enabled only when `SHOPWRIGHT_STATS_FILE` is set."""
        path = crawler.settings.get("SHOPWRIGHT_STATS_FILE")
        if not path:
            raise NotConfigured
        extension = cls(crawler, Path(path))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Dump the stats (values JSON cannot hold, like datetimes, become strings)."""
        assert self.crawler.stats is not None
        stats = {**self.crawler.stats.get_stats(), "finish_reason": reason}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(stats, indent=1, sort_keys=True, default=str))
