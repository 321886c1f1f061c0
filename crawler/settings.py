"""Scrapy settings of the shopwright crawler: polite, resilient, browser only where a page needs it.

Every value can be overridden per crawl with `-s NAME=VALUE`. shopwright's own settings:

- `SHOPWRIGHT_DATA_DIR` (default `data`): pages go to `<SHOPWRIGHT_DATA_DIR>/<store>/pages/`.
- `SHOPWRIGHT_SHARD_SIZE` (default 64): pages per Arrow shard of the page dataset.
- `SHOPWRIGHT_FEED_PAGES` (default False): also send page items to feed exports (`-O`); by
  default only records made from pages by later pipelines (product records) reach the feed.
- `SHOPWRIGHT_CHROMIUM` (default `/usr/bin/chromium`): the browser Playwright launches; it is
  merged into `PLAYWRIGHT_LAUNCH_OPTIONS` by `crawler.browser.BrowserAddon`.
- `SHOPWRIGHT_STATS_FILE` (default unset): write the final crawl stats there as JSON.
- `SHOPWRIGHT_PATTERN_LIMIT` (default 1000): most pages of one URL pattern (the URL with its
  numbers as 0) followed from links, so that a calendar or pagination trap ends; pages the store's
  sitemaps list are not counted. With Scrapy's `DEPTH_LIMIT` (30 here), it bounds a crawl that
  has no `max_pages`; 0 lifts it.
- `SHOPWRIGHT_BROWSER_RETRIES` (default 1): browser attempts after a failed render before the page
  is stored as fetched statically (with an error logged).
- `SHOPWRIGHT_MODEL` (default unset): extract product records while crawling with this model
  directory (`default`: the shipped model); `SHOPWRIGHT_DEVICE`, `SHOPWRIGHT_EXTRACT_BATCH`,
  `SHOPWRIGHT_EXTRACT_CONTEXT`, `SHOPWRIGHT_PAGE_TOKENS`, `SHOPWRIGHT_PRECISION` and
  `SHOPWRIGHT_TORCH_THREADS` tune it (see `crawler.extraction`).
- `SHOPWRIGHT_FRONTIER` (default unset): a Redis URL (`redis://host:6379/0`); every crawl of a
  store given it shares one frontier there, so that crawler processes on any machines split the
  store between them (`crawler.frontier`, docs/SCALING.md). `SHOPWRIGHT_FRONTIER_RATE` (default
  10) caps the requests per second to a store's host across all of them (0: no cap);
  `SHOPWRIGHT_FRONTIER_LEASE` (default 60) is the seconds after which the requests of a worker
  that stopped answering return to the frontier; `SHOPWRIGHT_WORKER` (default host-pid) names the
  worker in the shards it writes.
"""

from __future__ import annotations

BOT_NAME = "shopwright"

SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "shopwright/0.1 (+https://github.com/shopwright/shopwright)"
ROBOTSTXT_OBEY = True

# --- Throttling: AutoThrottle adapts the delay to the server's latency. A short start delay keeps
# crawls of a fast local server quick; a slow or failing real store still pushes the delay up.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.1
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
DOWNLOAD_TIMEOUT = 30

# --- Resilience.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 408, 429]
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
# --- Traps (calendars, endless pagination): links at most DEPTH_LIMIT deep from the start page
# (sitemap pages are 2-3 deep), at most SHOPWRIGHT_PATTERN_LIMIT pages of one URL pattern from
# links (crawler.spiders.store). 0 lifts either.
DEPTH_LIMIT = 30
METAREFRESH_MAXDELAY = 5
COOKIES_ENABLED = True

# --- No servers inside the crawl process.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- Components.
ADDONS = {"crawler.browser.BrowserAddon": 100, "crawler.frontier.FrontierAddon": 200}
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.StoreScopeMiddleware": 60,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.ConcurrentSafeRobotsTxtMiddleware": 100,
    # One request rate per store host across the workers of a shared frontier.
    "crawler.frontier.politeness.GlobalRateMiddleware": 110,
    "crawler.middlewares.BrowserFallbackMiddleware": 540,
}
ITEM_PIPELINES = {
    "crawler.pipelines.PageDatasetPipeline": 100,
    # Product pages -> product records, when a model is given (SHOPWRIGHT_MODEL).
    "crawler.extraction.ExtractionPipeline": 500,
    "crawler.pipelines.DropPagesPipeline": 1000,
}
EXTENSIONS = {"crawler.extensions.JobdirRecovery": 0, "crawler.extensions.StatsFile": 0}

# --- Browser (scrapy-playwright). Only requests with `meta["playwright"]` go through Chromium;
# Playwright and the browser start with the first such request, never in a static-only crawl.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
DOWNLOAD_HANDLERS = {
    "http": "crawler.browser.LazyPlaywrightDownloadHandler",
    "https": "crawler.browser.LazyPlaywrightDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
SHOPWRIGHT_CHROMIUM = "/usr/bin/chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "headless": True,
    # Without the background-networking flags Chromium keeps calling home, which floods a
    # closed network and delays navigation. `--no-sandbox` is added only when the crawl runs as
    # root, where Chromium cannot sandbox itself (crawler.browser.BrowserAddon).
    "args": [
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ],
}
# Service workers' requests bypass the pages' request routing, which holds the browser to the
# store (crawler.browser): none are registered.
PLAYWRIGHT_CONTEXTS = {"default": {"service_workers": "block"}}
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
# Images, media and fonts are skipped; every request off the store's hosts is blocked too
# (crawler.browser.LazyPlaywrightDownloadHandler).
PLAYWRIGHT_ABORT_REQUEST = "crawler.browser.abort_request"

# --- shopwright.
SHOPWRIGHT_DATA_DIR = "data"
SHOPWRIGHT_SHARD_SIZE = 64
SHOPWRIGHT_FEED_PAGES = False
SHOPWRIGHT_BROWSER_RETRIES = 1
SHOPWRIGHT_PATTERN_LIMIT = 1000
SHOPWRIGHT_STATS_FILE = None
# Extraction while crawling (crawler.extraction): off until a model is given.
SHOPWRIGHT_MODEL = None
SHOPWRIGHT_DEVICE = "auto"
SHOPWRIGHT_EXTRACT_BATCH = 8
SHOPWRIGHT_EXTRACT_CONTEXT = 16
SHOPWRIGHT_PAGE_TOKENS = None  # None: the model's own page budget
SHOPWRIGHT_PRECISION = "auto"  # auto: bf16 on a CPU with native bf16, else fp32
SHOPWRIGHT_TORCH_THREADS = 0  # 0: half the CPUs
# Shared frontier (crawler.frontier): off until a Redis URL is given.
SHOPWRIGHT_FRONTIER = None
SHOPWRIGHT_FRONTIER_RATE = 10.0
SHOPWRIGHT_FRONTIER_LEASE = 60.0
SHOPWRIGHT_WORKER = None

# --- Feeds and commands that lose nothing (crawler.feeds, crawler.commands): `-O FILE` replaces
# FILE only when the crawl ends well, CSV cells never run as formulas, and `scrapy crawl` exits
# non-zero when the crawl failed (crawler.outcome).
FEED_EXPORT_ENCODING = "utf-8"
FEED_STORAGES = {
    "": "crawler.feeds.AtomicFileFeedStorage",
    "file": "crawler.feeds.AtomicFileFeedStorage",
}
FEED_EXPORTERS = {"csv": "crawler.feeds.SafeCsvItemExporter"}
COMMANDS_MODULE = "crawler.commands"
LOG_LEVEL = "INFO"
