"""Page-level signals: is this a product detail page, and in which language is it written."""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import lxml.html

from extractor.page.dom import Node
from extractor.values.normalize.availability import BUY_BUTTON

PRICE_LIKE = re.compile(
    r"(\d[\d.,'\s]*\s?(€|\$|£|¥|円|元|chf|eur|usd|gbp))|((€|\$|£|¥|chf)\s?\d)", re.I
)
PRODUCT_URL = re.compile(
    r"/(p|dp|product|products|produkt|produit|producto|item|artikel)[/_.?=-]", re.I
)


def _structured_product(root: lxml.html.HtmlElement) -> bool:
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json":
            continue
        if re.search(r'"@type"\s*:\s*\[?\s*"(\w+:)?Product"', script.text or ""):
            return True
    if any("schema.org/Product" in (e.get("itemtype") or "") for e in root.iter()):
        return True
    for meta in root.iter("meta"):
        if meta.get("property") == "og:type" and "product" in (meta.get("content") or "").lower():
            return True
    return False


def looks_like_product(root: lxml.html.HtmlElement, nodes: list[Node], url: str) -> bool:
    """Whether a page is a product page: structured data, or a title, a price and a buy button."""
    if _structured_product(root):
        return True
    texts = [node["text"] for node in nodes]
    has_buy = any(len(t) < 40 and BUY_BUTTON.search(t) for t in texts)
    has_price = any(len(t) < 40 and PRICE_LIKE.search(t) for t in texts)
    has_title = any(node["tag"] == "h1" for node in nodes)
    url_hint = bool(PRODUCT_URL.search(urlparse(url).path + "?" + urlparse(url).query))
    return has_price and (has_buy or (has_title and url_hint))


def page_language(root: lxml.html.HtmlElement) -> str:
    """The page's primary language subtag from `<html lang>` or Content-Language, else ''."""
    lang = root.get("lang") or root.get("xml:lang") or ""
    if not lang:
        for meta in root.iter("meta"):
            if (meta.get("http-equiv") or "").lower() == "content-language":
                lang = meta.get("content") or ""
                break
    return lang.split("-")[0].split("_")[0].strip().lower()[:8]


def json_ld_blocks(root: lxml.html.HtmlElement) -> list[object]:
    """Every parseable JSON-LD block of the page (malformed ones are skipped)."""
    blocks: list[object] = []
    for script in root.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            try:
                blocks.append(json.loads(script.text))
            except json.JSONDecodeError:
                continue
    return blocks
