"""`shopwright crawl`: the store spider through Scrapy's API, with the options of `scrapy crawl`.

Crawls run in subprocesses (no reactor inside pytest) against a static fixture store with
--js never, so no Chromium is needed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.cli import JS_MODES, crawl_settings, spider_arguments
from crawler.spiders.store import JS_MODES as SPIDER_JS_MODES
from extractor.data.pages import load_pages
from fixtures.generator import Store, generate_store
from fixtures.server import start_server, stop_server

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def store() -> Store:
    """A small static store."""
    return generate_store(0, index=2, products=4, js=False, faults=False)


@pytest.fixture(scope="module")
def start_url(store: Store) -> Iterator[str]:
    """The store's start URL on a fixture server for this module."""
    server, base = start_server([store])
    yield base.rstrip("/") + store.start_url
    stop_server(server)


def shopwright_crawl(data: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run `shopwright crawl ...` (as `python -m extractor.cli`) with a fast, logged crawl."""
    command = [sys.executable, "-m", "extractor.cli", "crawl", *argv, "--data-dir", str(data)]
    for setting in ("AUTOTHROTTLE_START_DELAY=0.01", f"LOG_FILE={data / 'crawl.log'}"):
        command += ["-s", setting]
    command += ["-s", f"SHOPWRIGHT_STATS_FILE={data / 'stats.json'}"]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=180)


def test_crawl_stores_pages_and_writes_the_feed(
    start_url: str, store: Store, tmp_path: Path
) -> None:
    feed = tmp_path / "pages.jsonl"
    argv = [start_url, "--store", "shop", "--js", "never", "-o", str(feed)]
    done = shopwright_crawl(tmp_path, *argv, "-s", "SHOPWRIGHT_FEED_PAGES=True")
    log = (tmp_path / "crawl.log").read_text(errors="replace")
    assert done.returncode == 0, done.stderr[-3000:] + log[-3000:]
    assert "Traceback" not in log
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["finish_reason"] == "finished"
    pages = load_pages(tmp_path / "shop" / "pages")
    urls = set(pages["url"])
    assert all(any(url.endswith(p.path) for url in urls) for p in store.product_pages)
    assert not any(pages["rendered"])
    fed = [json.loads(line) for line in feed.read_text().splitlines()]
    assert {item["url"] for item in fed} == urls  # -o: FEEDS, overwriting, page items kept


def test_a_crawl_that_does_not_finish_fails(start_url: str, tmp_path: Path) -> None:
    argv = [start_url, "--js", "never", "--model", "default", "-s", "SHOPWRIGHT_PRECISION=fp8"]
    done = shopwright_crawl(tmp_path, *argv)
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("shopwright crawl: error: the crawl closed with reason ")
    assert "shopwright_model_error" in last and "Traceback" not in done.stderr


def test_a_missing_model_fails_before_crawling(start_url: str, tmp_path: Path) -> None:
    model = tmp_path / "no-model"
    done = shopwright_crawl(tmp_path, start_url, "--js", "never", "--model", str(model))
    assert done.returncode == 2
    assert done.stderr.strip() == f"shopwright crawl: error: no model at {model}; pass --model DIR"
    assert not (tmp_path / "crawl.log").exists()  # Scrapy never started


def test_a_bad_start_url_fails_before_crawling(tmp_path: Path) -> None:
    done = shopwright_crawl(tmp_path, "shop.example")
    assert done.returncode == 2
    error = "store spider needs -a start_url=http(s)://..., got 'shop.example'"
    assert done.stderr.strip() == f"shopwright crawl: error: {error}"


def _args(*argv: str) -> argparse.Namespace:
    from extractor.cli import build_parser

    return build_parser().parse_args(["crawl", *argv])


def test_options_map_onto_spider_arguments_and_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "crawler.settings")  # unset again afterwards
    assert JS_MODES == SPIDER_JS_MODES
    args = _args("http://a.test/", "--store", "a", "--js", "always", "--max-pages", "5")
    assert spider_arguments(args) == {
        "start_url": "http://a.test/",
        "store": "a",
        "js": "always",
        "max_pages": "5",
    }
    assert spider_arguments(_args("http://a.test/", "--allow-domains", "b.test,c.test")) == {
        "start_url": "http://a.test/",
        "allow_domains": "b.test,c.test",
    }
    argv = ["http://a.test/", "--data-dir", str(tmp_path), "--model", "default", "-o", "x.csv"]
    settings = crawl_settings(_args(*argv, "-s", "SHOPWRIGHT_SHARD_SIZE=8", "-s", "X=1"))
    assert settings["SHOPWRIGHT_DATA_DIR"] == str(tmp_path)
    assert settings["SHOPWRIGHT_MODEL"] == "default"
    assert settings.getint("SHOPWRIGHT_SHARD_SIZE") == 8 and settings["X"] == "1"
    assert settings.getdict("FEEDS") == {"x.csv": {"format": "csv", "overwrite": True}}
    assert settings["BOT_NAME"] == "shopwright"  # the project's settings underneath
    defaults = crawl_settings(_args("http://a.test/"))
    assert defaults["SHOPWRIGHT_DATA_DIR"] == "data" and not defaults.getdict("FEEDS")
    with pytest.raises(ValueError, match="-o x.nope"):
        crawl_settings(_args("http://a.test/", "-o", "x.nope"))
