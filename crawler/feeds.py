"""Feed exports that lose nothing: an overwriting feed replaces its file only when the crawl
ends well, and CSV cells cannot run as spreadsheet formulas.

- `AtomicFileFeedStorage` (`FEED_STORAGES` for local files): `-O catalog.jsonl` writes to a
  temporary file beside the target and renames it over the target when the crawl closes. When
  the crawl failed (`crawler.outcome.crawl_failure`: a model that cannot be loaded, no page
  stored...) and a previous file is there, the previous file is kept, and what this crawl
  exported, if anything, is left beside it as `<name>.incomplete`. Appending feeds (`-o`) are
  written in place, as Scrapy does.
- `SafeCsvItemExporter` (`FEED_EXPORTERS["csv"]`): cells as `shopwright extract` writes them
  (`extractor.data.catalog.csv_cell`: nested values as JSON, text that starts with `= + - @`,
  a tab or a carriage return prefixed with `'`, as OWASP advises against CSV injection).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy.exporters import CsvItemExporter
from scrapy.extensions.feedexport import FileFeedStorage

from crawler.outcome import crawl_failure
from extractor.data.catalog import csv_cell

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.item import Field

logger = logging.getLogger(__name__)

#: Suffix of what a failed crawl exported, kept beside the previous feed.
INCOMPLETE_SUFFIX = ".incomplete"


class AtomicFileFeedStorage(FileFeedStorage):
    """A local feed file that an overwriting feed replaces only when the crawl ends well."""

    def __init__(
        self,
        uri: str,
        *,
        feed_options: dict[str, Any] | None = None,
        crawler: Crawler | None = None,
    ) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.crawler = crawler
        self.overwrite = self.write_mode == "wb"
        self.tmp: Path | None = None

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> Self:
        """Keep the crawler: its close reason and stats decide whether the file is replaced."""
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def open(self, spider: Spider) -> IO[bytes]:
        """An overwriting feed opens a temporary file beside the target."""
        if not self.overwrite:
            return super().open(spider)
        target = Path(self.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        self.tmp = Path(tmp)
        return os.fdopen(fd, "wb")

    def store(self, file: IO[bytes]) -> None:
        """Close the file; put it in place, or keep the previous one after a failed crawl."""
        file.flush()
        os.fsync(file.fileno())
        file.close()
        if self.tmp is None:
            return
        target, tmp, self.tmp = Path(self.path), self.tmp, None
        failure = self._failure()
        if failure is None or not target.exists():
            os.replace(tmp, target)
            return
        stats = self.crawler.stats if self.crawler is not None else None
        items = stats.get_value("item_scraped_count", 0) if stats is not None else 0
        if items:
            kept = target.with_name(target.name + INCOMPLETE_SUFFIX)
            os.replace(tmp, kept)
            logger.warning(
                "the crawl failed: %s is kept; this crawl's %d items are in %s", target, items, kept
            )
        else:
            tmp.unlink(missing_ok=True)
            logger.warning("the crawl failed: %s is kept as it was", target)

    def _failure(self) -> str | None:
        if self.crawler is None or self.crawler.stats is None:
            return None
        stats: Mapping[str, Any] = self.crawler.stats.get_stats()
        return crawl_failure(stats.get("finish_reason"), stats)


class SafeCsvItemExporter(CsvItemExporter):
    """Scrapy's CSV exporter with the cells of `shopwright extract`: nested values as JSON, no
    cell that a spreadsheet would run as a formula."""

    def serialize_field(self, field: Mapping[str, Any] | Field, name: str, value: Any) -> Any:
        """The cell text of a value (a field's own serializer first, when it has one)."""
        serializer = field.get("serializer")
        return csv_cell(serializer(value) if serializer else value)
