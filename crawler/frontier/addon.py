"""The Scrapy add-on that switches the shared frontier on when `SHOPWRIGHT_FRONTIER` is set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.frontier.keys import check_frontier_url, default_worker_id, worker_id

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


class FrontierAddon:
    """With `SHOPWRIGHT_FRONTIER=redis://...`: the frontier's scheduler, and a worker id (this
    host and process unless `SHOPWRIGHT_WORKER` names one) for the shards this worker writes.
    Without it the crawl runs on Scrapy's own scheduler, as one process."""

    def update_settings(self, settings: BaseSettings) -> None:
        """Set the scheduler and the worker id when a frontier is given."""
        url = settings.get("SHOPWRIGHT_FRONTIER")
        if not url:
            return
        check_frontier_url(url)
        settings.set("SCHEDULER", "crawler.frontier.scheduler.FrontierScheduler", "addon")
        worker = settings.get("SHOPWRIGHT_WORKER")
        settings.set(
            "SHOPWRIGHT_WORKER", worker_id(worker) if worker else default_worker_id(), "addon"
        )
