"""Tests of the fixture store generator, its ground truth, the server and the writer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest

from fixtures.catalog import GENERATED_ATTRIBUTES
from fixtures.generator import Store, generate_store, generate_stores
from fixtures.server import StoreServer
from fixtures.testing import running_server
from fixtures.truth import normalize
from fixtures.writer import write_dataset

STANDARD = set(GENERATED_ATTRIBUTES)


@pytest.fixture(scope="module")
def stores() -> list[Store]:
    """Four small stores of the default seed (static, JS and fault stores among them)."""
    return generate_stores(4, products=8)


@pytest.fixture(scope="module")
def served(stores: list[Store]) -> Iterator[tuple[StoreServer, str]]:
    """The four stores served on 127.0.0.1:0."""
    with running_server(stores) as (server, base):
        yield server, base


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    """GET without following redirects; return (status, body, headers)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


def test_deterministic() -> None:
    a, b = generate_store(7, 3, products=5), generate_store(7, 3, products=5)
    assert a.slug == b.slug
    assert {k: p.body for k, p in a.pages.items()} == {k: p.body for k, p in b.pages.items()}
    assert generate_store(8, 3, products=5).pages != a.pages


def check_truth(html: str, labels: dict, truth: dict) -> None:
    root = lxml.html.document_fromstring(html)
    assert set(labels) == set(truth)
    for attr, where in truth.items():
        nodes = root.getroottree().xpath(where["xpath"])
        assert len(nodes) == 1, (attr, where)
        node = nodes[0]
        if attr == "image":
            assert node.get("src") == labels["image"] == where["text"]
        elif attr == "breadcrumb":
            shown = normalize(node.text_content())
            assert all(normalize(item) in shown for item in labels["breadcrumb"])
        else:
            assert normalize(where["text"]) in normalize(node.text_content()), (attr, where)


def test_ground_truth_visible_at_xpath(stores: list[Store]) -> None:
    pages = [p for s in stores for p in s.product_pages]
    assert len(pages) >= 32
    for page in pages:
        assert {"name", "price", "currency", "image"} <= set(page.labels)
        check_truth(page.html, page.labels, page.truth)
    many = generate_stores(24, seed=3, products=3)
    for store in many:
        for page in store.product_pages:
            check_truth(page.html, page.labels, page.truth)


def test_label_conventions(stores: list[Store]) -> None:
    for store in stores:
        for page in store.product_pages:
            labels = page.labels
            assert float(labels["price"]) > 0 and labels["price"].count(".") == 1
            assert labels["currency"] == store.currency
            assert labels["image"].startswith("https://")
            if "availability" in labels:
                assert labels["availability"] in {
                    "InStock",
                    "OutOfStock",
                    "PreOrder",
                    "LimitedAvailability",
                }
            if "regular_price" in labels:
                assert float(labels["regular_price"]) > float(labels["price"])
            if "review_count" in labels:
                assert labels["review_count"].isdigit()


def test_diversity() -> None:
    stores = [generate_store(0, i, products=2, site_pages=False) for i in range(60)]
    assert len({s.industry for s in stores}) >= 12
    assert len({s.lang for s in stores}) >= 6
    assert len({s.slug for s in stores}) == 60
    assert any(s.js for s in stores[:4]) and any(s.faults for s in stores[:4])
    assert not all(s.js for s in stores[:4])


def test_served_site(served: tuple[StoreServer, str], stores: list[Store]) -> None:
    server, base = served
    status, body, _ = fetch(base + "stores.json")
    listing = json.loads(body)
    assert status == 200 and [s["slug"] for s in listing] == [s.slug for s in stores]
    assert {"slug", "industry", "lang", "js", "products", "start_url", "faults"} <= set(listing[0])
    status, body, _ = fetch(base + "robots.txt")
    robots = body.decode()
    for store in stores:
        assert (
            f"Disallow: /{store.slug}/cart" in robots
            and f"Disallow: /{store.slug}/_truth.jsonl" in robots
        )
    store = stores[0]
    status, home, _ = fetch(base + store.slug + "/")
    assert status == 200 and f'href="/{store.slug}/cart"'.encode() in home
    assert b"http://example.invalid/" in home
    status, sitemap, _ = fetch(f"{base}{store.slug}/sitemap.xml")
    assert status == 200 and sitemap.count(b"<loc>") >= len(store.products)
    categories = [p for p in store.pages.values() if p.kind == "category"]
    paged = [p for p in categories if b'rel="next"' in p.body]
    assert paged, "some category has a second page"
    status, body, _ = fetch(base + paged[0].path.lstrip("/"))
    assert status == 200
    status, truth, _ = fetch(f"{base}{store.slug}/_truth.jsonl")
    assert status == 200 and len(truth.splitlines()) == len(store.product_pages)
    assert fetch(base + store.slug + "/nope")[0] == 404


def test_js_store_shell_and_endpoint(served: tuple[StoreServer, str], stores: list[Store]) -> None:
    _, base = served
    store = next(s for s in stores if s.js)
    page = store.product_pages[0]
    name = store.products[0].name
    status, shell, _ = fetch(base + page.path.lstrip("/"))
    assert status == 200 and name.encode() not in shell and b"fetch(" in shell
    api = next(
        p
        for p in store.pages.values()
        if p.kind == "api" and p.path.endswith(f"/{page.product_id}.json")
    )
    status, body, headers = fetch(base + api.path.lstrip("/"))
    data = json.loads(body)
    assert data["name"] == name and name in data["html"]
    assert name in page.html  # the rendered HTML carries the product, and the truth points into it
    check_truth(page.html, page.labels, page.truth)


def test_faults(served: tuple[StoreServer, str], stores: list[Store]) -> None:
    _, base = served
    store = next(s for s in stores if s.faults)
    paths = store.fault_paths
    url = base + paths["flaky"].lstrip("/")
    assert fetch(url)[0] == 500
    assert fetch(url)[0] == 200
    status, _, headers = fetch(base + paths["loop"].lstrip("/"))
    assert status == 302
    status2, _, headers2 = fetch(base.rstrip("/") + headers["Location"])
    assert status2 == 302 and headers2["Location"] == paths["loop"]
    status, body, headers = fetch(base + paths["legacy"].lstrip("/"))
    charset = headers["Content-Type"].split("charset=")[1]
    assert charset != "utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    legacy = next(p for p in store.product_pages if p.fault == "legacy")
    assert body.decode(charset) == legacy.html
    huge = store.pages[paths["huge"]]
    assert len(huge.body) >= 5_000_000
    malformed = next(p for p in store.product_pages if p.fault == "malformed")
    check_truth(malformed.html, malformed.labels, malformed.truth)
    assert store.pages[paths["slow"]].delay >= 2


def test_write_realpages_format(tmp_path: Path) -> None:
    labels = write_dataset(tmp_path, stores=3, products=4, workers=1, progress=False)
    lines = [json.loads(line) for line in labels.read_text().splitlines()]
    assert len(lines) == 12
    for rec in lines:
        assert {"site", "file", "url", "page_lang", "labels", "industry", "truth"} <= set(rec)
        assert rec["url"].startswith("http://127.0.0.1:8000/" + rec["site"] + "/")
        assert set(rec["labels"]) - set(rec["truth"]) == set()
        html = (tmp_path / rec["file"]).read_text(encoding="utf-8")
        check_truth(html, rec["labels"], rec["truth"])
        assert set(rec["labels"]) & STANDARD


@pytest.mark.browser
def test_rendered_dom_matches_truth_in_chromium(
    served: tuple[StoreServer, str], stores: list[Store]
) -> None:
    """Chromium's DOM of static and JS product pages has the ground-truth values at the XPaths."""
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("no /usr/bin/chromium")
    _, base = served
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium), args=["--no-sandbox"], headless=True
        )
        try:
            tab = browser.new_page()
            for store in stores[:2]:
                for page in store.product_pages[:2]:
                    tab.goto(base.rstrip("/") + page.path)
                    if store.js:
                        tab.wait_for_selector("#app[data-rendered]", timeout=10_000)
                    check_truth(tab.content(), page.labels, page.truth)
        finally:
            browser.close()


def test_menu_links_resolve(served: tuple[StoreServer, str], stores: list[Store]) -> None:
    """Most links inside a store (menus, filters, pagination, products) answer 200."""
    _, base = served
    store = stores[0]
    home = lxml.html.document_fromstring(store.pages[store.start_url].body)
    hrefs = {
        a.get("href") for a in home.iter("a") if (a.get("href") or "").startswith(store.start_url)
    }
    hrefs = {h.split("#")[0] for h in hrefs}
    ok = [h for h in hrefs if fetch(base.rstrip("/") + h)[0] == 200]
    assert len(ok) >= 0.6 * len(hrefs)
    assert any("?" in h for h in ok)
