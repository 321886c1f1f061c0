"""The shared crawl frontier (crawler.frontier) on a real redis-server: two `scrapy crawl`
processes split a fixture store served on 127.0.0.1, each page stored once, at one request rate
for both; a worker killed with SIGKILL mid-crawl loses no page, the other one finishing it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_server import running_redis

from extractor.data.pages import PageDatasetWriter, load_pages
from fixtures.generator import Store, generate_store
from fixtures.server import StoreHandler, StoreServer, start_server, stop_server

REPO = Path(__file__).resolve().parents[1]
#: Requests per second to the store, both workers together: slow enough that a crawl lasts a
#: few seconds (a kill lands mid-crawl), fast enough for a quick test.
RATE = 25.0


class TimedHandler(StoreHandler):
    """The fixture server's handler, noting when each request arrived."""

    def _answer(self, head: bool) -> None:
        with self.server.lock:
            self.server.times.append(time.monotonic())  # type: ignore[attr-defined]
        super()._answer(head)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of this module's own, on a free loopback port."""
    with running_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def served() -> Iterator[tuple[Store, StoreServer, str]]:
    """A static fixture store of 40 products (58 pages), served afresh for each test."""
    store = generate_store(0, 0, 40, js=False, faults=False)
    server, base = start_server([store])
    server.RequestHandlerClass = TimedHandler
    server.times = []  # type: ignore[attr-defined]
    yield store, server, base.rstrip("/")
    stop_server(server)


def worker(start_url: str, data: Path, store: str, name: str, frontier: str) -> subprocess.Popen:
    """Start one crawler process of the shared frontier (worker `name`)."""
    settings = {
        "SHOPWRIGHT_FRONTIER": frontier,
        "SHOPWRIGHT_WORKER": name,
        "SHOPWRIGHT_FRONTIER_RATE": str(RATE),
        "SHOPWRIGHT_FRONTIER_LEASE": "2",
        "SHOPWRIGHT_SHARD_SIZE": "4",
        "SHOPWRIGHT_DATA_DIR": str(data),
        "SHOPWRIGHT_STATS_FILE": str(data / f"{name}.stats.json"),
        "LOG_FILE": str(data / f"{name}.log"),
        "AUTOTHROTTLE_START_DELAY": "0.01",
    }
    argv = [sys.executable, "-m", "scrapy", "crawl", "store", "-a", f"start_url={start_url}"]
    argv += ["-a", f"store={store}", "-a", "js=never"]
    for key, value in settings.items():
        argv += ["-s", f"{key}={value}"]
    return subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen, data: Path, name: str) -> dict[str, Any]:
    """Wait for a worker; its stats (the test fails on a failed crawl or a traceback)."""
    _, stderr = process.communicate(timeout=180)
    log = (data / f"{name}.log").read_text(errors="replace")
    assert process.returncode == 0, (stderr or b"").decode()[-2000:] + log[-3000:]
    assert "Traceback" not in log, log[-5000:]
    return json.loads((data / f"{name}.stats.json").read_text())


def stored_urls(pages_dir: Path) -> list[str]:
    """Every stored page's URL, as the loader gives them (duplicates kept)."""
    return list(load_pages(pages_dir)["url"])


def product_urls(store: Store, base: str) -> set[str]:
    return {base + page.path for page in store.product_pages}


def shard_names(pages_dir: Path) -> list[str]:
    state = pages_dir / "state.json"
    if not state.exists():
        return []
    return [entry["filename"] for entry in json.loads(state.read_text())["_data_files"]]


def test_two_workers_split_the_store_once_at_one_rate(
    redis_url: str, served: tuple[Store, StoreServer, str], tmp_path: Path
) -> None:
    store, server, base = served
    start = base + store.start_url
    workers = [worker(start, tmp_path, "pair", name, redis_url) for name in ("a", "b")]
    stats = [finish(process, tmp_path, name) for process, name in zip(workers, "ab", strict=True)]

    urls = stored_urls(tmp_path / "pair" / "pages")
    assert len(urls) == len(set(urls)), "a page stored twice"
    assert product_urls(store, base) <= set(urls)
    # Both workers fetched and stored pages, each into shards of its own.
    assert all(s.get("shopwright/pages_stored", 0) > 0 for s in stats), stats
    assert sum(s["shopwright/pages_stored"] for s in stats) == len(urls)
    shards = shard_names(tmp_path / "pair" / "pages")
    assert {name.split("-")[1] for name in shards} == {"a", "b"}, shards
    # One request rate for both together (two unthrottled workers far exceed it).
    times = sorted(server.times)  # type: ignore[attr-defined]
    assert len(times) >= len(urls)
    assert (len(times) - 1) / (times[-1] - times[0]) <= RATE * 1.1
    # The finished crawl leaves no queue, seen-set or lease behind: the next crawl starts afresh.
    client = redis.Redis.from_url(redis_url)
    assert client.keys("shopwright:pair:*") == []


def test_a_killed_worker_loses_no_page(
    redis_url: str, served: tuple[Store, StoreServer, str], tmp_path: Path
) -> None:
    store, _, base = served
    start = base + store.start_url
    pages_dir = tmp_path / "killed" / "pages"
    first = worker(start, tmp_path, "killed", "a", redis_url)
    second = worker(start, tmp_path, "killed", "b", redis_url)
    deadline = time.monotonic() + 120
    # Kill `a` once it has written two shards (8 pages): it holds requests in flight then.
    while sum(name.startswith("data-a-") for name in shard_names(pages_dir)) < 2:
        assert first.poll() is None and second.poll() is None, "the crawl ended before the kill"
        assert time.monotonic() < deadline, "worker a stored nothing"
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    stats = finish(second, tmp_path, "b")

    # Worker b took over a's requests in flight once its lease expired, and finished the store.
    assert stats.get("shopwright/frontier/requeued", 0) > 0, stats
    urls = stored_urls(pages_dir)
    assert len(urls) == len(set(urls)), "a page stored twice"
    missing = product_urls(store, base) - set(urls)
    assert not missing, f"{len(missing)} product pages lost, e.g. {sorted(missing)[:3]}"
    # a's journal (pages it fetched after its last shard), if no writer opened the dataset
    # since the kill, is recovered by the next writer without storing any page twice.
    with PageDatasetWriter(pages_dir):
        pass
    again = stored_urls(pages_dir)
    assert len(again) == len(set(again)) == len(urls)


def test_a_frontier_that_is_not_redis_is_refused(tmp_path: Path) -> None:
    """A bad SHOPWRIGHT_FRONTIER stops the crawl before it starts, with exit status 2."""
    argv = [sys.executable, "-m", "scrapy", "crawl", "store", "-a", "start_url=http://x.test/"]
    argv += ["-s", "SHOPWRIGHT_FRONTIER=http://x.test/", "-s", f"SHOPWRIGHT_DATA_DIR={tmp_path}"]
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "SHOPWRIGHT_FRONTIER must be a Redis URL" in done.stderr
