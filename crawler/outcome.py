"""Whether a finished crawl did what it was asked, from its close reason and stats.

`scrapy crawl` (through `crawler.commands.crawl`) and `shopwright crawl` both end non-zero with
the line `crawl_failure` returns, and an overwriting feed (`-O`) keeps the previous file when it
is not None (`crawler.feeds`). Importable without scrapy (the command line registers without it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Close reasons of a crawl that did what it was asked: it ran out of pages to fetch, or it
#: reached a limit the user set (max_pages, the CLOSESPIDER_* settings other than errors).
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
#: Stats the crawl components set for `crawl_failure` to read.
BROWSER_ERROR_STAT = "shopwright/browser_error"


def crawl_failure(reason: str | None, stats: Mapping[str, Any]) -> str | None:
    """Why a crawl failed (one line saying what to do), or None when it did its job.

    It failed when it closed for a reason other than running out of pages or reaching a set
    limit; when the browser never rendered a page that needed it (the pages are stored as
    fetched, and a later crawl with a working browser replaces them); and when it stored no page
    at all (robots.txt forbids the store, the start page fails...), unless every page it found
    was already stored (a resumed crawl) or, on a shared frontier, queued by other workers.
    """
    if reason is None:
        return "the crawl did not start; the log above says why"
    if reason not in DONE_REASONS:
        hint = REASON_HINTS.get(reason, "see the log above")
        return f"the crawl closed with reason {reason!r}: {hint}"
    browser_error = stats.get(BROWSER_ERROR_STAT)
    if browser_error and not stats.get("shopwright/pages_stored/rendered"):
        failed = stats.get("shopwright/browser_failed", 0)
        return (
            f"the browser never rendered a page ({browser_error}); {failed} pages that need it "
            "were stored as fetched, without their content: fix the browser (SHOPWRIGHT_CHROMIUM, "
            "`make chromium`) and crawl again, which replaces them, or crawl with --js never"
        )
    if not any(
        stats.get(key)
        for key in (
            "shopwright/pages_stored",
            "shopwright/pages_already_stored",
            "shopwright/frontier/seen",
        )
    ):
        return "the crawl stored no page: " + _why_no_page(stats)
    return None


def _why_no_page(stats: Mapping[str, Any]) -> str:
    forbidden = stats.get("robotstxt/forbidden", 0)
    if forbidden:
        return (
            f"robots.txt forbids the store's pages ({forbidden} requests refused); crawl only "
            "stores that allow it"
        )
    statuses = {
        key.rsplit("/", 1)[1]: value
        for key, value in stats.items()
        if key.startswith("downloader/response_status_count/")
    }
    errors = {code: n for code, n in statuses.items() if not code.startswith(("2", "3"))}
    if errors:
        counts = ", ".join(f"{n} x HTTP {code}" for code, n in sorted(errors.items()))
        return f"the store answered with errors ({counts}); check the start URL"
    failed = stats.get("downloader/exception_count", 0)
    if failed:
        return f"{failed} requests failed (connection errors, timeouts); is the store reachable?"
    if stats.get("shopwright/not_html"):
        return "the start URL is not an HTML page"
    return "the start page has no links into the store's scope; check the start URL and its path"
