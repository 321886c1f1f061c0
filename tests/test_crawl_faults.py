"""Crawl faults of issue 14 against a local fault server (tests/fault_server.py): traps, pages
without a charset, binary pages, robots.txt that forbids everything, two crawls into one store,
a browser that leaves the store, a browser that does not start. Real Scrapy in a subprocess,
real HTTP on 127.0.0.1, real Chromium where a page needs it. (The fixture stores' own fault
pages, 500s, hangs, loops and huge pages, are crawled in tests/test_crawler.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fault_server import LATIN_TEXT, SJIS_TEXT, FaultServer, OtherHost, bare_page, serve

from extractor.data.pages import load_pages, raw_html

REPO = Path(__file__).resolve().parents[1]
FAST = {"AUTOTHROTTLE_START_DELAY": "0.01", "LOG_LEVEL": "INFO"}


@dataclass
class Crawl:
    """What one `scrapy crawl store` left behind."""

    returncode: int
    stderr: str
    log: str
    stats: dict[str, Any]
    pages: list[dict[str, Any]]

    def page(self, path: str) -> dict[str, Any]:
        """The stored page whose URL ends with `path`."""
        found = [row for row in self.pages if row["url"].endswith(path)]
        assert found, f"{path} not stored: {[row['url'] for row in self.pages]}"
        return found[0]


@pytest.fixture(scope="module")
def other() -> Iterator[OtherHost]:
    """Another host, which no crawl of the store may reach."""
    server = OtherHost()
    serve(server)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def server(other: OtherHost) -> Iterator[FaultServer]:
    """The fault server."""
    server = FaultServer(other=other.base_url)
    serve(server)
    yield server
    server.shutdown()
    server.server_close()


def command(start_url: str, data: Path, *extra: str, **settings: str) -> list[str]:
    """`scrapy crawl store` into `data` (stats.json, crawl.log and the page datasets)."""
    argv = [sys.executable, "-m", "scrapy", "crawl", "store", "-a", f"start_url={start_url}"]
    merged = {
        **FAST,
        "SHOPWRIGHT_DATA_DIR": str(data),
        "SHOPWRIGHT_STATS_FILE": str(data / "stats.json"),
        "LOG_FILE": str(data / "crawl.log"),
        **settings,
    }
    for key, value in merged.items():
        argv += ["-s", f"{key}={value}"]
    return [*argv, *extra]


def finished(done: subprocess.CompletedProcess[str] | int, data: Path, store: str) -> Crawl:
    """What a finished crawl left in `data` for `store`."""
    log = (data / "crawl.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-5000:]
    stats_file = data / "stats.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    pages_dir = data / store / "pages"
    pages = list(load_pages(pages_dir)) if (pages_dir / "state.json").exists() else []
    if isinstance(done, int):
        return Crawl(done, "", log, stats, pages)
    return Crawl(done.returncode, done.stderr, log, stats, pages)


def crawl(start_url: str, data: Path, store: str, *extra: str, **settings: str) -> Crawl:
    """Run one crawl to its end."""
    data.mkdir(parents=True, exist_ok=True)
    argv = command(start_url, data, "-a", f"store={store}", *extra, **settings)
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=240)
    return finished(done, data, store)


@pytest.fixture(scope="module")
def shop(server: FaultServer, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    """One static crawl of /shop/ with small trap limits (10 pages a URL pattern, 15 links
    deep)."""
    data = tmp_path_factory.mktemp("shop")
    limits = {"SHOPWRIGHT_PATTERN_LIMIT": "10", "DEPTH_LIMIT": "15"}
    return crawl(f"{server.base_url}/shop/", data, "shop", "-a", "js=never", **limits)


# --- static faults -----------------------------------------------------------------------------


def test_traps_end_at_the_pattern_and_depth_limits(shop: Crawl) -> None:
    """Issue 14, case 7: a calendar (one URL pattern, forever) and a chain of ever deeper links
    (a new pattern each) end, with a warning; the crawl still succeeds."""
    assert shop.returncode == 0, shop.stderr[-2000:]
    calendar = [row["url"] for row in shop.pages if "/calendar/" in row["url"]]
    deep = [row["url"] for row in shop.pages if "/deep/" in row["url"]]
    assert len(calendar) == 10 and "2024/1" in calendar[0]
    assert 12 <= len(deep) <= 15
    assert "SHOPWRIGHT_PATTERN_LIMIT=0 lifts the limit" in shop.log
    assert "deeper than DEPTH_LIMIT=15" in shop.log
    assert shop.stats["shopwright/pattern_capped"] >= 1
    assert len(shop.page("/shop/p/6")["nodes"]) >= 3  # the store itself is crawled whole


def test_the_default_limits_bound_a_trap() -> None:
    """Without max_pages, the shipped settings bound a trap: both limits are on by default."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings")
    assert 0 < settings.getint("DEPTH_LIMIT") <= 50
    assert 0 < settings.getint("SHOPWRIGHT_PATTERN_LIMIT") <= 5000


def test_pages_without_a_charset_keep_their_characters(shop: Crawl) -> None:
    """Issue 14, case 9: Latin-1 and Shift-JIS pages that declare no charset are read in their
    encoding, not turned into U+FFFD, and the bytes served can be had back."""
    for path, text, codec in (
        ("/shop/latin", LATIN_TEXT, "latin-1"),
        ("/shop/sjis", SJIS_TEXT, "shift_jis"),
    ):
        row = shop.page(path)
        assert "\ufffd" not in row["html"], path
        assert text in [node["text"] for node in row["nodes"]], path
        assert raw_html(row) == bare_page(text).encode(codec)  # the bytes served, recoverable


def test_a_binary_page_is_not_stored(shop: Crawl) -> None:
    """Issue 14, case 13: an image served as text/html is not stored as a page."""
    assert not [row for row in shop.pages if row["url"].endswith("photo.html")]
    assert "photo.html" in shop.log and shop.stats["shopwright/not_html"] >= 1


def test_robots_txt_that_forbids_everything_fails_the_crawl(
    server: FaultServer, tmp_path: Path
) -> None:
    """Issue 14, case 13: 0 pages because robots.txt forbids them is a failed crawl, with the
    reason, not exit status 0 and an INFO line."""
    server.deny_all = True
    try:
        result = crawl(f"{server.base_url}/b/", tmp_path, "b", "-a", "js=never")
    finally:
        server.deny_all = False
    assert result.returncode == 1
    assert "robots.txt forbids the store's pages" in result.stderr.strip().splitlines()[-1]
    assert result.pages == []


def test_two_crawls_into_one_store_lose_nothing(server: FaultServer, tmp_path: Path) -> None:
    """Issue 14, case 1: two sites crawled at once into one store with small shards; every page
    of both is stored once, and both succeed."""
    server.products = 30
    for site in ("a", "b"):
        (tmp_path / site).mkdir()
    try:
        runs = [
            subprocess.Popen(
                command(
                    f"{server.base_url}/{site}/",
                    tmp_path / site,
                    "-a",
                    "store=mixed",
                    "-a",
                    "js=never",
                    SHOPWRIGHT_DATA_DIR=str(tmp_path / "data"),
                    SHOPWRIGHT_SHARD_SIZE="8",
                ),
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for site in ("a", "b")
        ]
        codes = [run.wait(timeout=240) for run in runs]
    finally:
        server.products = 6
    assert codes == [0, 0]
    urls = load_pages(tmp_path / "data" / "mixed" / "pages")["url"]
    expected = {f"{server.base_url}/{site}/p/{n}" for site in "ab" for n in range(1, 31)}
    assert expected <= set(urls)
    assert len(urls) == len(set(urls)) == 62  # 30 products and the home page of each site


def test_a_second_crawl_stores_nothing_twice_and_succeeds(
    server: FaultServer, tmp_path: Path
) -> None:
    """A crawl over a store that has every page already (a rerun) succeeds without storing."""
    first = crawl(f"{server.base_url}/c/", tmp_path / "1", "c", "-a", "js=never")
    assert first.returncode == 0 and len(first.pages) == 7
    again = crawl(
        f"{server.base_url}/c/",
        tmp_path / "2",
        "c",
        "-a",
        "js=never",
        SHOPWRIGHT_DATA_DIR=str(tmp_path / "1"),
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stats["shopwright/pages_already_stored"] == 7


# --- the browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_browser_stays_in_the_store(
    server: FaultServer, other: OtherHost, tmp_path: Path
) -> None:
    """Issue 14, case 8: a rendered page's script, frame, fetch(), WebSocket, service worker and
    navigation to another host are blocked; the other host gets no request, the page keeps its
    rendered document and the crawl does not wait."""
    start = time.monotonic()
    result = crawl(
        f"{server.base_url}/shop/js/1", tmp_path, "js", "-a", "js=always", DEPTH_LIMIT="1"
    )
    assert result.returncode == 0, result.stderr[-2000:] + result.log[-3000:]
    assert other.requests == []
    assert result.stats["shopwright/browser_blocked"] >= 5
    page = result.page("/shop/js/1")
    assert page["rendered"] and "Rendered product /shop/js/1" in page["html"]
    assert time.monotonic() - start < 60


@pytest.mark.browser
def test_a_crawl_without_chromium_fails_and_the_next_one_repairs_the_store(
    server: FaultServer, tmp_path: Path
) -> None:
    """Issue 14, case 2: without a working Chromium the shells are stored as fetched and the
    crawl fails with the reason; the next crawl, with Chromium, replaces them rendered."""
    url = f"{server.base_url}/shop/js/2"
    settings = {"DEPTH_LIMIT": "1", "SHOPWRIGHT_DATA_DIR": str(tmp_path / "data")}
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text('{"url": "kept"}\n', encoding="utf-8")
    broken = crawl(
        url,
        tmp_path / "1",
        "js",
        "-O",
        str(catalog),
        SHOPWRIGHT_CHROMIUM="/nonexistent/chromium",
        SHOPWRIGHT_BROWSER_RETRIES="0",
        SHOPWRIGHT_FEED_PAGES="True",
        **settings,
    )
    assert broken.returncode == 1
    assert "the browser never rendered a page" in broken.stderr.strip().splitlines()[-1]
    # -O keeps the previous feed of a failed crawl; what this one exported lies beside it
    assert catalog.read_text(encoding="utf-8") == '{"url": "kept"}\n'
    exported = (tmp_path / "catalog.jsonl.incomplete").read_text(encoding="utf-8")
    assert json.loads(exported)["url"] == url
    pages = list(load_pages(tmp_path / "data" / "js" / "pages"))
    assert [row["rendered"] for row in pages] == [False]

    repaired = crawl(url, tmp_path / "2", "js", **settings)
    assert repaired.returncode == 0, repaired.stderr[-2000:]
    pages = list(load_pages(tmp_path / "data" / "js" / "pages"))
    assert [row["rendered"] for row in pages] == [True]
    assert "Rendered product /shop/js/2" in pages[0]["html"]


def test_chromium_keeps_its_sandbox_unless_root(tmp_path: Path) -> None:
    """Issue 14, case 13: `--no-sandbox` only when the crawl runs as root."""
    code = (
        "import json, os, sys\n"
        "from scrapy.settings import Settings\n"
        "from crawler.browser import BrowserAddon\n"
        "s = Settings(); s.setmodule('crawler.settings')\n"
        "if sys.argv[1] == 'user': os.seteuid(65534)  # Python itself is readable by root only\n"
        "BrowserAddon().update_settings(s)\n"
        "print(json.dumps(s.getdict('PLAYWRIGHT_LAUNCH_OPTIONS')['args']))\n"
    )
    if os.geteuid() != 0:
        pytest.skip("needs root to run as root and as another user")
    args = {}
    for who in ("root", "user"):
        done = subprocess.run(
            [sys.executable, "-c", code, who],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "HOME": str(tmp_path)},
        )
        args[who] = json.loads(done.stdout)
    assert "--no-sandbox" in args["root"] and "--no-sandbox" not in args["user"]
