"""Item pipelines: store every fetched page in the page dataset; keep page items out of feeds.

Flow of a page item through `ITEM_PIPELINES`:

1. `PageDatasetPipeline` (order 100) turns the page into a dataset row
   (`extractor.data.pages.page_row`:
   text nodes, is_product, lang) and appends it to `<SHOPWRIGHT_DATA_DIR>/<store>/pages/` as the
   crawl goes. A page whose URL is already stored (a resumed crawl) is dropped quietly, unless it
   was rendered and the stored one was not (a crawl whose browser failed): then it replaces it.
   Stored pages continue with `nodes`, `is_product` and `lang` filled in.
2. Extraction pipelines (order between 100 and 1000) may turn product pages into product records.
With a shared frontier (`SHOPWRIGHT_FRONTIER`) each worker writes its own shards
(`SHOPWRIGHT_WORKER` in their names) into the store's one dataset, and tells the frontier which
pages are in a shard (`crawler.signals.pages_stored`), so that it can release their requests.

3. `DropPagesPipeline` (order 1000) drops the page items still left, quietly, so that feed
   exports (`-O catalog.jsonl`) carry only records; `-s SHOPWRIGHT_FEED_PAGES=True` keeps them.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from crawler import signals as shopwright_signals
from crawler.frontier.keys import worker_id
from crawler.items import PageItem
from extractor.data.pages import PageDatasetWriter, page_row
from extractor.data.store import StoreDir

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class PageDatasetPipeline:
    """Write page items to one append-only page dataset per store."""

    def __init__(
        self, crawler: Crawler, data_dir: Path, shard_size: int, worker: str | None = None
    ) -> None:
        self.crawler = crawler
        self.data_dir = data_dir
        self.shard_size = shard_size
        self.worker = worker
        self.writers: dict[str, PageDatasetWriter] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read the data directory, shard size and worker settings; close writers on
        spider_closed, flush them when the frontier asks."""
        settings = crawler.settings
        worker = settings.get("SHOPWRIGHT_WORKER") if settings.get("SHOPWRIGHT_FRONTIER") else None
        pipeline = cls(
            crawler,
            Path(settings.get("SHOPWRIGHT_DATA_DIR") or "data"),
            settings.getint("SHOPWRIGHT_SHARD_SIZE", 64),
            worker_id(worker) if worker else None,
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.flush, signal=shopwright_signals.flush_pages)
        return pipeline

    def pages_dir(self, store: str) -> Path:
        """Where a store's page dataset lives."""
        return StoreDir(self.data_dir, store).pages_dir

    def writer(self, store: str) -> PageDatasetWriter:
        """The open writer of a store's dataset (opening it recovers a killed crawl's journal)."""
        if store not in self.writers:
            directory = self.pages_dir(store)
            self.writers[store] = PageDatasetWriter(
                directory, shard_size=self.shard_size, worker=self.worker, on_shard=self.stored
            )
            logger.info(
                "page dataset %s: %d pages already stored", directory, len(self.writers[store])
            )
        return self.writers[store]

    async def process_item(self, item: Any) -> Any:
        """Store a page item; other items pass through untouched."""
        if not isinstance(item, PageItem):
            return item
        if not item.store:
            raise ValueError(f"page item without a store name: {item.url}")
        writer = self.writer(item.store)
        if not writer.wants(item.url, item.rendered):
            self._already_stored(item.url)
        # Parsing a large page takes a while: do it off the reactor thread (lxml frees the GIL).
        row = await asyncio.to_thread(
            page_row,
            item.store,
            item.url,
            item.html,
            status=item.status,
            rendered=item.rendered,
            content_type=item.content_type,
            fetched_at=item.fetched_at,
            encoding=item.encoding,
        )
        if not writer.add(row):  # the same URL finished parsing twice at once
            self._already_stored(item.url)
        self._inc("shopwright/pages_stored")
        if row["rendered"]:
            self._inc("shopwright/pages_stored/rendered")
        if row["is_product"]:
            self._inc("shopwright/pages_stored/product")
        if not row["nodes"]:
            self._inc("shopwright/pages_stored/no_text")
        item.nodes = row["nodes"]
        item.is_product = row["is_product"]
        item.lang = row["lang"]
        return item

    def _already_stored(self, url: str) -> None:
        self._inc("shopwright/pages_already_stored")
        self.stored([url])
        raise DropItem(f"already stored: {url}", log_level="DEBUG")

    def stored(self, urls: list[str]) -> None:
        """Tell the frontier (if any) that these pages are in a shard of the dataset."""
        self.crawler.signals.send_catch_log(signal=shopwright_signals.pages_stored, urls=urls)

    def flush(self) -> None:
        """Write every writer's buffered pages as a shard now."""
        for writer in self.writers.values():
            writer.flush()

    def spider_closed(self) -> None:
        """Flush and close every writer: each directory is then a complete dataset."""
        for store, writer in self.writers.items():
            writer.close()
            logger.info("page dataset %s: %d pages", self.pages_dir(store), len(writer))
        self.writers.clear()

    def _inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key)


class DropPagesPipeline:
    """Drop page items at the end of the pipelines, so that feeds carry product records only."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Disabled by `SHOPWRIGHT_FEED_PAGES=True` (then page items reach the feeds)."""
        if crawler.settings.getbool("SHOPWRIGHT_FEED_PAGES"):
            raise NotConfigured
        return cls()

    def process_item(self, item: Any) -> Any:
        """Drop page items quietly (DEBUG); pass everything else on."""
        if isinstance(item, PageItem):
            raise DropItem(f"page {item.url} stored, not exported", log_level="DEBUG")
        return item
