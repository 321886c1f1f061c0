"""`scrapy crawl`, failing (exit status 1, one line on stderr) when the crawl failed.

Scrapy's own `crawl` exits 0 whatever happened once the spider started: a model that cannot be
loaded, a browser that never rendered a page, a store whose robots.txt forbids every page. This
one judges the finished crawl as `shopwright crawl` does (`crawler.outcome.crawl_failure`), and
refuses bad spider arguments, a model that cannot be loaded and unwritable feed files before
anything starts (exit status 2), with one line instead of a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from crawler.extraction import DEFAULT_MODEL
from crawler.outcome import crawl_failure
from extractor.data.atomic import OutputError, check_writable
from extractor.extract import check_model_dir

if TYPE_CHECKING:
    import argparse

    from scrapy import Spider
    from scrapy.crawler import Crawler, CrawlerProcessBase
    from scrapy.settings import BaseSettings


def input_error(
    spidercls: type[Spider], spider_args: dict[str, Any], settings: BaseSettings
) -> str | None:
    """What is wrong with the spider's arguments, the extraction model or the feed files,
    before the crawl starts (and before a feed could touch a previous file)."""
    try:
        spidercls(**spider_args)
    except (TypeError, ValueError) as exc:
        return str(exc)
    model = str(spider_args.get("model") or settings.get("SHOPWRIGHT_MODEL") or "").strip()
    if model:
        try:
            check_model_dir(None if model == DEFAULT_MODEL else Path(model).expanduser())
        except (FileNotFoundError, ValueError) as exc:
            return str(exc)
    for uri in settings.getdict("FEEDS"):
        path = str(uri)
        if "%(" in path or ("://" in path and not path.startswith("file://")):
            continue
        try:
            check_writable(path.removeprefix("file://"))
        except OutputError as exc:
            return str(exc)
    return None


def run_and_judge(
    process: CrawlerProcessBase, crawler: Crawler, spider_args: dict[str, Any]
) -> str | None:
    """Run the crawl to its end; why it failed (`crawl_failure`), or None."""
    reasons: list[str] = []

    def closed(spider: Spider, reason: str) -> None:
        reasons.append(reason)

    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(crawler, **spider_args)
    process.start()
    if process.bootstrap_failed or not reasons:
        return crawl_failure(None, {})
    assert crawler.stats is not None
    return crawl_failure(reasons[-1], crawler.stats.get_stats())


class Command(ScrapyCrawlCommand):
    """Run a spider of the project; exit status 1 when the crawl failed, 2 on bad input."""

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("scrapy crawl takes one spider name")
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        assert crawler.spidercls is not None
        error = input_error(crawler.spidercls, opts.spargs, crawler.settings)
        if error is not None:
            print(f"scrapy crawl {args[0]}: error: {error}", file=sys.stderr)
            self.exitcode = 2
            return
        failure = run_and_judge(self.crawler_process, crawler, opts.spargs)
        if failure is not None:
            print(f"scrapy crawl {args[0]}: error: {failure}", file=sys.stderr)
            self.exitcode = 1
