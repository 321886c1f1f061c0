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

from extractor.cli.command import Subparsers, add_command, non_negative_int

SPIDER = "store"
#: `crawler.spiders.store.JS_MODES`, spelt out: that module imports scrapy.
JS_MODES = ("auto", "always", "never")
ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


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
        "records are extracted while crawling and -o writes them to a feed (replacing it only "
        "when the crawl ends well). Fails (exit status 2) when the crawl closes for any reason "
        "but running out of pages or reaching a limit that was set, when the browser never "
        "rendered a page that needed it, and when no page was stored.",
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
        "--max-pages",
        type=non_negative_int,
        metavar="N",
        help="stop after N pages (default: no limit; DEPTH_LIMIT and "
        "SHOPWRIGHT_PATTERN_LIMIT still bound traps)",
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


def check_inputs(args: argparse.Namespace, settings: Any) -> None:
    """What can be checked before Scrapy starts: the spider's arguments, the model, the feed."""
    from crawler.commands.crawl import input_error
    from crawler.spiders.store import StoreSpider

    error = input_error(StoreSpider, spider_arguments(args), settings)
    if error is not None:
        raise ValueError(error)


def run(args: argparse.Namespace) -> int:
    """Crawl; fail unless the spider closed having run out of pages (or reached a set limit),
    having rendered what needed the browser and stored pages."""
    from scrapy.crawler import AsyncCrawlerProcess, CrawlerProcess

    from crawler.commands.crawl import run_and_judge

    spider_args = spider_arguments(args)
    settings = crawl_settings(args)
    check_inputs(args, settings)  # before Scrapy runs the spider (and logs a traceback)
    # The process `scrapy crawl` picks for these settings.
    process: CrawlerProcess | AsyncCrawlerProcess
    if (
        settings["TWISTED_REACTOR"] == ASYNCIO_REACTOR
        and not settings.getbool("FORCE_CRAWLER_PROCESS")
    ) or not settings.getbool("TWISTED_REACTOR_ENABLED", True):
        process = AsyncCrawlerProcess(settings)
    else:
        process = CrawlerProcess(settings)
    failure = run_and_judge(process, process.create_crawler(SPIDER), spider_args)
    if failure is not None:
        raise CrawlError(failure)
    return 0
