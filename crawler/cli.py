"""`shopwright crawl START_URL`: the `store` spider through Scrapy's API, as `scrapy crawl store`
runs it.

Plugged into the `shopwright` parser by the `shopwright.commands` entry point `crawl`
(pyproject.toml). The options map onto the spider's arguments and the project's settings:

    shopwright crawl URL --store S --js never --max-pages 50 --allow-domains cdn.example
                         --data-dir D --model M -o FEED -s NAME=VALUE
    scrapy crawl store -a start_url=URL -a store=S -a js=never -a max_pages=50
                       -a allow_domains=cdn.example -s SHOPWRIGHT_DATA_DIR=D
                       -s SHOPWRIGHT_MODEL=M -O FEED -s NAME=VALUE

Registering the command imports no scrapy: it is imported when the crawl runs.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from extractor.cli.command import Subparsers, add_command

SPIDER = "store"
#: `crawler.spiders.store.JS_MODES`, spelt out: that module imports scrapy.
JS_MODES = ("auto", "always", "never")
ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
#: Close reasons of a crawl that did what it was asked: it ran out of pages to fetch, or it
#: reached a limit the user set (--max-pages, the CLOSESPIDER_* settings other than errors).
DONE_REASONS = frozenset(
    {
        "finished",
        "max_pages",
        "closespider_pagecount",
        "closespider_itemcount",
        "closespider_timeout",
    }
)
#: What to do about a crawl that closed for these reasons.
REASON_HINTS = {
    "shopwright_model_error": "the --model (SHOPWRIGHT_MODEL) cannot be loaded; see the log",
    "shutdown": "it was interrupted; crawl with -s JOBDIR=DIR to be able to resume",
}


class CrawlError(RuntimeError):
    """The crawl did not start, or closed for a reason other than running out of pages."""


def register(subparsers: Subparsers) -> None:
    """Add the crawl subcommand."""
    parser = add_command(
        subparsers,
        "crawl",
        summary="crawl a store into data/STORE/pages (the `store` spider)",
        description="Crawl one online store with the `store` spider, as `scrapy crawl store` "
        "does: sitemaps, categories and pagination on the start URL's host and path prefix, "
        "static fetches and Chromium for pages that JavaScript renders, robots.txt obeyed. "
        "Every page goes to the store's page dataset as the crawl goes; with --model, product "
        "records are extracted while crawling and -o writes them to a feed. Fails (exit status "
        "2) when the crawl closes for any reason but running out of pages or reaching a limit "
        "that was set.",
        examples=[
            "shopwright crawl https://shop.example/ --store example   # -> data/example/pages",
            "shopwright crawl https://shop.example/ --js never --max-pages 200",
            "shopwright crawl https://shop.example/ --store example "
            "--model data/example/model -o example.jsonl",
            "shopwright crawl https://shop.example/ -s JOBDIR=crawls/example   # resumable",
        ],
        errors=(CrawlError,),
    )
    parser.add_argument("start_url", metavar="START_URL", help="the store's start page")
    parser.add_argument(
        "--store", help="store name (default: the start URL's host and first path segment)"
    )
    parser.add_argument(
        "--js",
        choices=JS_MODES,
        help="auto: Chromium only for pages that are JavaScript shells; always; never "
        "(default: auto)",
    )
    parser.add_argument(
        "--max-pages", type=int, metavar="N", help="stop after N pages (default: no limit)"
    )
    parser.add_argument(
        "--allow-domains", metavar="HOST,...", help="more hosts the crawl may fetch from"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="pages go to DATA_DIR/STORE/pages (SHOPWRIGHT_DATA_DIR; default: data/)",
    )
    parser.add_argument(
        "--model",
        help="extract product records while crawling with this model directory; `default`: "
        "the shipped model (SHOPWRIGHT_MODEL; default: no extraction)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FEED",
        help="write the records to FEED, replacing it (scrapy's -O; format from the "
        "extension: .jsonl, .json, .csv...)",
    )
    parser.add_argument(
        "-s",
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a Scrapy setting, as scrapy crawl -s does (may be repeated)",
    )
    parser.set_defaults(func=run, own_logging=True)


def spider_arguments(args: argparse.Namespace) -> dict[str, str]:
    """The `-a NAME=VALUE` arguments of `scrapy crawl store` that the options stand for."""
    given = {
        "start_url": args.start_url,
        "store": args.store,
        "js": args.js,
        "max_pages": args.max_pages,
        "allow_domains": args.allow_domains,
    }
    return {name: str(value) for name, value in given.items() if value is not None}


def crawl_settings(args: argparse.Namespace) -> Any:
    """The project's settings (crawler.settings) with the options' and -s values on top, at
    the priority `scrapy crawl` gives its command line."""
    from scrapy.exceptions import UsageError
    from scrapy.utils.conf import arglist_to_dict, feed_process_params_from_cli
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    if args.verbose:
        settings.set("LOG_LEVEL", "DEBUG", priority="cmdline")
    try:
        settings.setdict(arglist_to_dict(args.settings), priority="cmdline")
    except ValueError:
        raise ValueError(f"-s wants NAME=VALUE, got {args.settings}") from None
    if args.data_dir is not None:
        settings.set("SHOPWRIGHT_DATA_DIR", str(args.data_dir), priority="cmdline")
    if args.model is not None:
        settings.set("SHOPWRIGHT_MODEL", args.model, priority="cmdline")
    if args.output is not None:
        try:
            feeds = feed_process_params_from_cli(settings, [], overwrite_output=[args.output])
        except UsageError as exc:
            raise ValueError(f"-o {args.output}: {exc}") from None
        settings.set("FEEDS", feeds, priority="cmdline")
    return settings


def run(args: argparse.Namespace) -> int:
    """Crawl; fail unless the spider closed having run out of pages (or reached a set limit)."""
    from scrapy import Spider, signals
    from scrapy.crawler import AsyncCrawlerProcess, CrawlerProcess

    from crawler.spiders.store import StoreSpider

    spider_args = spider_arguments(args)
    StoreSpider(**spider_args)  # its own checks, before Scrapy runs it (and logs a traceback)
    settings = crawl_settings(args)
    # The process `scrapy crawl` picks for these settings.
    process: CrawlerProcess | AsyncCrawlerProcess
    if (
        settings["TWISTED_REACTOR"] == ASYNCIO_REACTOR
        and not settings.getbool("FORCE_CRAWLER_PROCESS")
    ) or not settings.getbool("TWISTED_REACTOR_ENABLED", True):
        process = AsyncCrawlerProcess(settings)
    else:
        process = CrawlerProcess(settings)
    crawler = process.create_crawler(SPIDER)
    reasons: list[str] = []

    def closed(spider: Spider, reason: str) -> None:
        reasons.append(reason)

    crawler.signals.connect(closed, signal=signals.spider_closed)
    process.crawl(crawler, **spider_args)
    process.start()
    if process.bootstrap_failed or not reasons:
        raise CrawlError("the crawl did not start; the log above says why")
    reason = reasons[-1]
    if reason not in DONE_REASONS:
        hint = REASON_HINTS.get(reason, "see the log above")
        raise CrawlError(f"the crawl closed with reason {reason!r}: {hint}")
    return 0
