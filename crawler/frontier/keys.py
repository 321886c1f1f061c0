"""Where one store's shared frontier lives in Redis, and the names of the workers that share it.

shopwright:<store>:requests         sorted set: requests to fetch (scrapy-redis' queue)
shopwright:<store>:seen             set: fingerprints of every request ever queued
shopwright:<store>:workers          set: workers that joined the crawl
shopwright:<store>:alive:<worker>   key with a time to live, renewed while the worker runs
shopwright:<store>:leases:<worker>  hash: lease id -> "<priority>\\n<request>" in flight
shopwright:<store>:lease-ids        counter of lease ids
shopwright:rate:<host:port>         when the next request to a host may leave (microseconds)
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

PREFIX = "shopwright"
#: Schemes of the Redis URLs `SHOPWRIGHT_FRONTIER` accepts (redis-py's `from_url`).
SCHEMES = ("redis", "rediss", "unix")


def check_frontier_url(url: str) -> str:
    """The URL, or ValueError when it is not a Redis URL (`redis://host:6379/0`)."""
    if urlsplit(url).scheme not in SCHEMES:
        raise ValueError(
            f"SHOPWRIGHT_FRONTIER must be a Redis URL such as redis://host:6379/0, got {url!r}"
        )
    return url


def default_worker_id() -> str:
    """This process's worker id: host name and process id (unique across machines)."""
    return worker_id(f"{socket.gethostname()}-{os.getpid()}")


def worker_id(name: str) -> str:
    """A worker name made safe for Redis keys and shard file names."""
    safe = re.sub(r"[^\w.-]+", "-", name).strip("-.")
    if not safe:
        raise ValueError(f"invalid worker name {name!r}")
    return safe[:80]


@dataclass(frozen=True)
class FrontierKeys:
    """The Redis keys of one store's frontier."""

    store: str

    @property
    def prefix(self) -> str:
        """`shopwright:<store>`."""
        return f"{PREFIX}:{self.store}"

    @property
    def requests(self) -> str:
        """The queue of requests to fetch."""
        return f"{self.prefix}:requests"

    @property
    def seen(self) -> str:
        """The fingerprints of every request queued so far."""
        return f"{self.prefix}:seen"

    @property
    def workers(self) -> str:
        """The workers that joined the crawl."""
        return f"{self.prefix}:workers"

    @property
    def lease_ids(self) -> str:
        """The counter that numbers leases."""
        return f"{self.prefix}:lease-ids"

    def alive(self, worker: str) -> str:
        """Present while `worker` runs (renewed before its time to live ends)."""
        return f"{self.prefix}:alive:{worker}"

    def leases(self, worker: str) -> str:
        """The requests `worker` has taken and not yet released."""
        return f"{self.prefix}:leases:{worker}"


def rate_key(url: str) -> str:
    """The politeness key of a URL's host (and port): one request rate per host."""
    return f"{PREFIX}:rate:{urlsplit(url).netloc.lower()}"
