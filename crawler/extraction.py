"""Extraction while crawling: product pages become product records on their way to the feeds.

    scrapy crawl store -a start_url=URL -s SHOPWRIGHT_MODEL=data/example/model -O catalog.jsonl
    scrapy crawl store -a start_url=URL -a model=default -O catalog.jsonl

`ExtractionPipeline` sits between `PageDatasetPipeline` (which has already stored the page and
filled in its text nodes) and `DropPagesPipeline`. A product page (`is_product`) is replaced by
its record (the zyte-common-items `Product` fields plus `_confidence`, as `extractor.extract`
builds them); other pages pass on and are dropped. So a page is stored whatever extraction does,
and one item goes in and one comes out.

Settings (all optional except the model, which switches the pipeline on):

- `SHOPWRIGHT_MODEL` (default unset: no extraction): a model directory, or `default` for the
  model shipped at `extractor/default_model`. The spider argument `-a model=...` does the same and
  wins over the setting. The model is loaded when the spider opens; a missing or invalid model
  closes the spider at once (reason `shopwright_model_error`) with the error logged, before any
  page is fetched.
- `SHOPWRIGHT_DEVICE` (default `auto`): where the model runs (`cpu`, `cuda`, `auto`).
- `SHOPWRIGHT_EXTRACT_BATCH` (default 8): most product pages extracted in one model call. Pages
  that arrive while a batch runs wait and go together in the next one, so batches grow only when
  extraction falls behind the crawl.
- `SHOPWRIGHT_EXTRACT_CONTEXT` (default 16): the store's most recent earlier pages whose text
  nodes are kept as context for template pruning (text repeated on every page is not product).
- `SHOPWRIGHT_PAGE_TOKENS` (default unset: the model's own `page_tokens`): tokens encoded per
  page, its most promising nodes first (0: all). The model's cost per page is about linear in it.
- `SHOPWRIGHT_PRECISION` (default `auto`): inference precision, one of
  `extractor.neural.precision.PRECISIONS`: `auto` = `bf16` on a CPU with native bf16
  instructions (less CPU per page), else `fp32`; `int8` = dynamic quantization (CPU only, values may
  differ slightly). An unknown value closes the spider like a bad model.
- `SHOPWRIGHT_TORCH_THREADS` (default 0: half the CPUs, at least 1): torch intra-op threads of
  the extraction worker; the other cores stay with the crawl (parsing, the page dataset). On a
  loaded 2-core machine one thread extracted twice as fast as two.

Extraction runs on one worker thread off the reactor. A batch that fails is logged and counted
(`shopwright/extraction_errors`); its pages, already stored, are dropped like other pages and the
crawl goes on. Stats: `shopwright/records`, `shopwright/extraction_batches`,
`shopwright/extraction_seconds`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from crawler.items import PageItem

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

    from extractor.extract import Extractor
    from extractor.page.dom import Node

logger = logging.getLogger(__name__)

#: A page's text nodes as `PageDatasetPipeline` leaves them on the item.
Nodes = list[dict[str, Any]]

#: `SHOPWRIGHT_MODEL` value that names the shipped model.
DEFAULT_MODEL = "default"
#: Spider close reason when the model cannot be loaded.
MODEL_ERROR = "shopwright_model_error"


class SettingError(ValueError):
    """An extraction setting with a value the model cannot be loaded with."""


@dataclass
class _Pending:
    """A product page waiting for extraction, and the future its record goes to."""

    item: PageItem
    future: asyncio.Future[dict[str, Any] | None] = field(repr=False)


def model_setting(crawler: Crawler) -> str | None:
    """The model the crawl asks for: `-a model=...`, else `SHOPWRIGHT_MODEL`, else None."""
    value = getattr(crawler.spider, "model", None) or crawler.settings.get("SHOPWRIGHT_MODEL")
    if value is None:
        return None
    return str(value).strip() or None


class ExtractionPipeline:
    """Replace product page items with product records, extracted in batches off the reactor."""

    def __init__(
        self,
        crawler: Crawler,
        model: str,
        device: str = "auto",
        batch_size: int = 8,
        context_pages: int = 16,
        torch_threads: int = 0,
        page_tokens: int | None = None,
        precision: str = "auto",
    ) -> None:
        if batch_size < 1 or context_pages < 0 or torch_threads < 0 or (page_tokens or 0) < 0:
            raise ValueError("extraction batch >= 1; context, threads, page tokens >= 0 required")
        self.crawler = crawler
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.context_pages = context_pages
        self.torch_threads = torch_threads
        self.page_tokens = page_tokens
        #: the precision asked for; resolved (auto -> bf16 or fp32) when the model loads
        self.precision = precision
        self.extractor: Extractor | None = None
        self.queue: deque[_Pending] = deque()
        self.context: dict[str, deque[Nodes]] = {}
        self.running = False
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shopwright-extract")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read the extraction settings; NotConfigured without a model."""
        model = model_setting(crawler)
        if model is None:
            raise NotConfigured("no SHOPWRIGHT_MODEL (or -a model=...): no extraction")
        settings = crawler.settings
        pipeline = cls(
            crawler,
            model,
            device=settings.get("SHOPWRIGHT_DEVICE") or "auto",
            batch_size=settings.getint("SHOPWRIGHT_EXTRACT_BATCH", 8),
            context_pages=settings.getint("SHOPWRIGHT_EXTRACT_CONTEXT", 16),
            torch_threads=settings.getint("SHOPWRIGHT_TORCH_THREADS", 0),
            page_tokens=(
                None
                if settings.get("SHOPWRIGHT_PAGE_TOKENS") in (None, "")
                else settings.getint("SHOPWRIGHT_PAGE_TOKENS")
            ),
            precision=str(settings.get("SHOPWRIGHT_PRECISION") or "auto"),
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def model_dir(self) -> Path | None:
        """The model directory to load (None: the shipped default model)."""
        return None if self.model == DEFAULT_MODEL else Path(self.model).expanduser()

    async def open_spider(self) -> None:
        """Load the model on the worker thread; close the spider with a reason when it fails."""
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        try:
            self.extractor = await loop.run_in_executor(self.executor, self._load)
        except Exception as exc:  # any failure to load is reported the same way: crawl closed
            hint = (
                ""
                if isinstance(exc, SettingError)
                else " (give SHOPWRIGHT_MODEL or -a model= a model directory, or 'default')"
            )
            logger.error(
                "extraction model %r cannot be loaded, crawl closed before fetching: %s%s",
                self.model,
                exc,
                hint,
            )
            self._inc("shopwright/model_errors")
            raise CloseSpider(MODEL_ERROR) from exc
        logger.info(
            "extraction model %s loaded in %.1f s (%d attributes, device %s, precision %s)",
            self.model,
            time.monotonic() - started,
            len(self.extractor.attributes),
            self.extractor.model.device,
            self.precision,
        )

    def _load(self) -> Extractor:
        """Import torch and load the model (worker thread: torch's thread setting sticks to it)."""
        from extractor.extract import Extractor, model_dir_or_default
        from extractor.neural.precision import resolve_device

        path = model_dir_or_default(self.model_dir())  # a missing model fails before torch loads
        import torch

        from extractor.neural.precision import resolve_precision

        device = resolve_device(self.device)
        try:
            self.precision = resolve_precision(self.precision, device)
        except ValueError as exc:
            raise SettingError(f"SHOPWRIGHT_PRECISION: {exc}") from None
        torch.set_num_threads(self.torch_threads or max(1, (os.cpu_count() or 2) // 2))
        return Extractor.load(
            path,
            device=device,
            precision=self.precision,
            batch_size=self.batch_size,
            page_tokens=self.page_tokens,
        )

    async def process_item(self, item: Any) -> Any:
        """A product page -> its record; every other item passes on untouched."""
        if not isinstance(item, PageItem) or item.nodes is None:
            return item
        if not item.is_product:
            self._remember(item)
            return item
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self.queue.append(_Pending(item, future))
        self._next_batch()
        record = await future
        return item if record is None else record

    def _remember(self, item: PageItem) -> None:
        """Keep a page's nodes as template-pruning context for the store's later pages."""
        if self.context_pages and item.nodes:
            store = self.context.setdefault(item.store, deque(maxlen=self.context_pages))
            store.append(item.nodes)

    def _next_batch(self) -> None:
        """Start extracting the waiting pages of one store unless a batch is running."""
        if self.running or not self.queue:
            return
        store = self.queue[0].item.store
        batch: list[_Pending] = []
        waiting: deque[_Pending] = deque()
        while self.queue and len(batch) < self.batch_size:
            pending = self.queue.popleft()
            (batch if pending.item.store == store else waiting).append(pending)
        self.queue.extendleft(reversed(waiting))
        context = list(self.context.get(store, ()))
        for pending in batch:  # later batches prune against these pages too
            self._remember(pending.item)
        self.running = True
        loop = asyncio.get_running_loop()
        task = loop.run_in_executor(self.executor, self._extract, batch, context)
        task.add_done_callback(lambda done: self._batch_done(batch, done))

    def _extract(
        self, batch: list[_Pending], context: list[Nodes]
    ) -> tuple[list[dict[str, Any]], float]:
        """Records of a batch of product pages, and the seconds they took (worker thread)."""
        from extractor.page.input import PageInput

        assert self.extractor is not None
        started = time.monotonic()
        self.extractor.context = cast("list[list[Node]]", context)
        pages = [
            PageInput(p.item.url, cast("list[Node]", p.item.nodes), p.item.html, p.item.lang)
            for p in batch
        ]
        return self.extractor.extract(pages), time.monotonic() - started

    def _batch_done(self, batch: list[_Pending], done: asyncio.Future[Any]) -> None:
        """Hand each page its record (None after a failure), then start the next batch."""
        self.running = False
        self._inc("shopwright/extraction_batches")
        if (exc := done.exception()) is not None:
            logger.error(
                "extraction failed for %d page(s) (stored, no record), first %s: %r",
                len(batch),
                batch[0].item.url,
                exc,
                exc_info=exc,
            )
            self._inc("shopwright/extraction_errors", len(batch))
            records: list[dict[str, Any] | None] = [None] * len(batch)
        else:
            found, seconds = done.result()
            records = list(found)
            self._inc("shopwright/records", len(records))
            assert self.crawler.stats is not None
            total = self.crawler.stats.get_value("shopwright/extraction_seconds", 0.0)
            self.crawler.stats.set_value("shopwright/extraction_seconds", round(total + seconds, 3))
        for pending, record in zip(batch, records, strict=True):
            if not pending.future.done():
                pending.future.set_result(record)
        self._next_batch()

    def spider_closed(self) -> None:
        """Stop the worker thread (every batch has finished: Scrapy waits for items in flight)."""
        self.executor.shutdown(wait=False, cancel_futures=True)

    def _inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)
