"""The store spider against fixture stores on 127.0.0.1: static, JavaScript, faults, kill + resume.

Crawls run as `python -m scrapy crawl store ...` subprocesses (no reactor inside pytest); the
fixture server runs in this process, so its request log shows what the crawler fetched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.browser import looks_like_js_shell
from crawler.spiders.store import KEPT_QUERY_KEYS, StoreSpider, clean_url, store_name
from extractor.data.pages import JOURNAL_GLOB, load_pages
from fixtures.generator import Store, generate_store
from fixtures.server import StoreServer, start_server, stop_server

REPO = Path(__file__).resolve().parents[1]
SEED = 0
#: Fast local crawls: the fixture server answers in milliseconds.
FAST = {"AUTOTHROTTLE_START_DELAY": "0.01", "LOG_LEVEL": "INFO"}


@dataclass
class Crawl:
    """What one crawl left behind."""

    pages: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str
    requests: list[tuple[str, str, int]]

    def page(self, path: str) -> dict[str, Any]:
        """The stored page whose URL path (and query) is `path`."""
        for row in self.pages:
            parts = urlsplit(row["url"])
            if parts.path + ("?" + parts.query if parts.query else "") == path:
                return row
        raise AssertionError(f"{path} not stored; stored: {[r['url'] for r in self.pages]}")


@pytest.fixture(scope="module")
def stores() -> dict[str, Store]:
    """A static store with fault pages and a JavaScript store, small enough to crawl quickly."""
    return {
        "static": generate_store(SEED, index=2, products=10, js=False, faults=True),
        "js": generate_store(SEED, index=1, products=6, js=True, faults=False),
    }


@pytest.fixture(scope="module")
def server(stores: dict[str, Store]) -> Iterator[tuple[StoreServer, str]]:
    """The fixture server, serving both stores, for this module."""
    srv, base = start_server(stores.values())
    yield srv, base.rstrip("/")
    stop_server(srv)


def crawl_command(
    start_url: str, store: str, data: Path, *extra: str, **settings: str
) -> list[str]:
    """The `scrapy crawl store` command line; pages, stats.json and crawl.log go to `data`."""
    command = [sys.executable, "-m", "scrapy", "crawl", "store"]
    command += ["-a", f"start_url={start_url}", "-a", f"store={store}", *extra]
    merged = {
        **FAST,
        "SHOPWRIGHT_DATA_DIR": str(data),
        "SHOPWRIGHT_STATS_FILE": str(data / "stats.json"),
        "LOG_FILE": str(data / "crawl.log"),
        **settings,
    }
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    return command


def run_crawl(
    server: tuple[StoreServer, str],
    store: Store,
    data: Path,
    *extra: str,
    returncode: int = 0,
    **settings: str,
) -> Crawl:
    """Crawl a fixture store to completion; return its pages, stats, log and server requests
    (`scrapy crawl` exits with status 1 when the crawl failed)."""
    srv, base = server
    first = len(srv.requests)
    command = crawl_command(base + store.start_url, store.slug, data, *extra, **settings)
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)
    log = (data / "crawl.log").read_text(errors="replace")
    assert done.returncode == returncode, done.stderr[-3000:] + log[-3000:]
    assert "Traceback" not in log, log[-5000:]
    stats = json.loads((data / "stats.json").read_text())
    pages = list(load_pages(data / store.slug / "pages"))
    with srv.lock:
        requests = list(srv.requests[first:])
    return Crawl(pages, stats, log, requests)


@pytest.fixture(scope="module")
def static_crawl(
    server: tuple[StoreServer, str],
    stores: dict[str, Store],
    tmp_path_factory: pytest.TempPathFactory,
) -> Crawl:
    """One full crawl of the static fault store."""
    return run_crawl(server, stores["static"], tmp_path_factory.mktemp("static"))


# --- unit checks (no crawl) ------------------------------------------------------------------


def test_js_shell_heuristic_on_fixture_pages(stores: dict[str, Store]) -> None:
    """JS product pages are shells; static product, home and JS-store home pages are not."""
    js, static = stores["js"], stores["static"]
    for page in js.product_pages:
        verdict = looks_like_js_shell(js.pages[page.path].body)
        assert verdict, (page.path, verdict)
    for store in (js, static):
        assert not looks_like_js_shell(store.pages[store.start_url].body)
    for page in static.product_pages:
        assert not looks_like_js_shell(static.pages[page.path].body), page.path
    assert looks_like_js_shell('<html><body><div id="root"></div><script src="a.js"></script>')
    assert not looks_like_js_shell("<html><body><div id='root'></div></body></html>")


def test_urls_scope_and_names() -> None:
    """Query cleaning keeps page-naming parameters; scope is host, port and path prefix."""
    import re

    kept = re.compile(KEPT_QUERY_KEYS, re.I)
    assert (
        clean_url("http://h/s/c/x?page=2&f=1-2&utm_source=a#top", kept) == "http://h/s/c/x?page=2"
    )
    assert clean_url("http://h/s/item?id=7&tag=3", kept) == "http://h/s/item?id=7"
    spider = StoreSpider(start_url="http://127.0.0.1:8000/shop/")
    assert spider.store == "127.0.0.1-shop"
    assert spider.in_scope("http://127.0.0.1:8000/shop/p/1")
    assert not spider.in_scope("http://127.0.0.1:8000/other/p/1")
    assert not spider.in_scope("http://127.0.0.1:9999/shop/p/1")
    assert not spider.in_scope("http://example.invalid/shop/p/1")
    assert store_name("https://www.shop.example/") == "shop.example"
    with pytest.raises(ValueError):
        StoreSpider(start_url="ftp://x/")
    with pytest.raises(ValueError):
        StoreSpider(start_url="http://x/", js="sometimes")


# --- crawls ----------------------------------------------------------------------------------


def test_static_store_every_product_page_with_text(
    static_crawl: Crawl, stores: dict[str, Store]
) -> None:
    """Every product page of the ground truth is stored once, with its name in its text nodes."""
    store = stores["static"]
    urls = [row["url"] for row in static_crawl.pages]
    assert len(urls) == len(set(urls))
    for truth in store.product_pages:
        row = static_crawl.page(truth.path)
        texts = " ".join(node["text"] for node in row["nodes"])
        name = truth.labels["name"]
        assert name in texts, (truth.path, truth.fault, name)
        assert row["rendered"] is False
        assert row["store"] == store.slug
    assert static_crawl.stats["shopwright/pages_stored"] == len(urls)
    assert static_crawl.stats.get("shopwright/js_shell", 0) == 0
    assert sum(row["is_product"] for row in static_crawl.pages) >= len(store.product_pages)


def test_static_store_stays_in_scope_and_obeys_robots(
    static_crawl: Crawl, stores: dict[str, Store]
) -> None:
    """Only the store's paths and /robots.txt were fetched: nothing disallowed or off-site."""
    store = stores["static"]
    paths = [path for _, path, _ in static_crawl.requests]
    assert "/robots.txt" in paths
    for path in paths:
        assert path == "/robots.txt" or path.startswith(store.start_url), path
        route = urlsplit(path).path
        assert not route.startswith(
            (f"/{store.slug}/cart", f"/{store.slug}/account", f"/{store.slug}/_truth")
        ), path
    assert static_crawl.stats["robotstxt/forbidden"] >= 1
    # every request the downloader made reached this server: none went off-domain
    assert static_crawl.stats["downloader/request_count"] == len(paths)
    assert not any("DNSLookupError" in key for key in static_crawl.stats)
    assert "example.invalid" not in " ".join(row["url"] for row in static_crawl.pages)
    # faceted-navigation links (?f=, ?tag=) were not multiplied into pages
    assert not any("f=" in urlsplit(path).query for path in paths)


def test_static_store_survives_faults(static_crawl: Crawl, stores: dict[str, Store]) -> None:
    """500 retried, redirect loop ended, legacy charset decoded, huge and malformed pages stored."""
    store = stores["static"]
    faults = {kind: urlsplit(store.fault_paths[kind]).path for kind in store.fault_paths}
    statuses = [(path, status) for _, path, status in static_crawl.requests]
    assert (faults["flaky"], 500) in statuses and (faults["flaky"], 200) in statuses
    assert static_crawl.stats["retry/count"] >= 1
    loop_hits = [p for p, _ in statuses if "/loop/" in p]
    assert 1 <= len(loop_hits) <= 10
    legacy = static_crawl.page(faults["legacy"])
    truth = next(p for p in store.product_pages if p.fault == "legacy")
    assert truth.charset != "utf-8"
    assert truth.labels["name"] in " ".join(node["text"] for node in legacy["nodes"])
    huge = static_crawl.page(faults["huge"])
    assert len(huge["html"]) > 4_000_000 and huge["nodes"]
    malformed = static_crawl.page(faults["malformed"])
    assert malformed["nodes"] and malformed["is_product"]
    assert static_crawl.page(faults["slow"])["nodes"]


@pytest.mark.browser
def test_js_store_rendered_in_chromium(
    server: tuple[StoreServer, str], stores: dict[str, Store], tmp_path: Path
) -> None:
    """js=auto renders the shells: every product page stored rendered, with its product name."""
    store = stores["js"]
    crawl = run_crawl(server, store, tmp_path, "-a", "js=auto")
    for truth in store.product_pages:
        row = crawl.page(truth.path)
        assert row["rendered"] is True, truth.path
        assert truth.labels["name"] in " ".join(node["text"] for node in row["nodes"])
        assert row["is_product"]
    # listings are static pages: the browser was used only for the shells
    assert crawl.stats["shopwright/js_shell"] == len(store.product_pages)
    assert crawl.stats["shopwright/pages_stored/rendered"] == len(store.product_pages)
    assert crawl.stats["playwright/page_count/closed"] == crawl.stats["playwright/page_count"]
    assert crawl.stats.get("shopwright/browser_failed", 0) == 0


def test_browser_failure_falls_back_to_static(
    server: tuple[StoreServer, str], stores: dict[str, Store], tmp_path: Path
) -> None:
    """A browser that cannot start: shells are stored as fetched, with an error, no crash; the
    crawl fails (tests/test_crawl_faults.py has the rest)."""
    store = stores["js"]
    crawl = run_crawl(
        server,
        store,
        tmp_path,
        returncode=1,
        SHOPWRIGHT_CHROMIUM="/nonexistent/chromium",
        SHOPWRIGHT_BROWSER_RETRIES="0",
    )
    assert crawl.stats["shopwright/browser_failed"] == len(store.product_pages)
    assert "browser failed on" in crawl.log
    for truth in store.product_pages:
        assert crawl.page(truth.path)["rendered"] is False


def journal_lines(pages_dir: Path) -> int:
    """Pages written so far by a running crawl (journalled rows plus Arrow shards)."""
    lines = sum(path.read_text().count("\n") for path in pages_dir.glob(JOURNAL_GLOB))
    state = pages_dir / "state.json"
    shards = len(json.loads(state.read_text())["_data_files"]) if state.exists() else 0
    return lines + shards * 4


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_kill_and_resume_stores_every_page_once(
    server: tuple[StoreServer, str],
    stores: dict[str, Store],
    static_crawl: Crawl,
    tmp_path: Path,
    sig: signal.Signals,
) -> None:
    """A crawl stopped mid-way (SIGINT or SIGKILL), resumed with JOBDIR: every page once."""
    srv, base = server
    store = stores["static"]
    slow = {"JOBDIR": str(tmp_path / "job"), "SHOPWRIGHT_SHARD_SIZE": "4"}
    slow |= {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0.1"}
    slow |= {"CONCURRENT_REQUESTS_PER_DOMAIN": "2"}
    command = crawl_command(base + store.start_url, store.slug, tmp_path, **slow)
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    pages_dir = tmp_path / store.slug / "pages"
    deadline = time.monotonic() + 60
    while journal_lines(pages_dir) < 8 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process.poll() is None, "the crawl ended before it could be interrupted"
    os.killpg(process.pid, sig)
    process.wait(timeout=60)
    interrupted = len(load_pages(pages_dir)) if (pages_dir / "state.json").exists() else 0
    assert interrupted < len(static_crawl.pages)

    resumed = run_crawl(server, store, tmp_path, **slow | {"DOWNLOAD_DELAY": "0"})
    disallowed = (f"/{store.slug}/cart", f"/{store.slug}/account")
    assert not [path for _, path, _ in resumed.requests if path.startswith(disallowed)]
    urls = Counter(row["url"] for row in resumed.pages)
    assert max(urls.values()) == 1
    assert set(urls) == {row["url"] for row in static_crawl.pages}
