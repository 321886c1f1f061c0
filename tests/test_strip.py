"""extractor.page.strip: a page without its structured data, text and layout unchanged."""

from __future__ import annotations

from extractor.page.dom import text_nodes
from extractor.page.strip import strip_markup
from extractor.page.structured import structured_candidates

PAGE = """<html><head><title>Walnut Lamp</title>
<meta property="og:title" content="Walnut Lamp"><meta property="product:price:amount" content="49">
<meta name="twitter:card" content="summary"><meta name="viewport" content="width=device-width">
<script type="application/ld+json">{"@type": "Product", "name": "Walnut Lamp"}</script>
<script>var x = 1;</script></head>
<body><div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Walnut Lamp</h1>
<meta itemprop="sku" content="WL-1"><span itemprop="price" content="49.00">49,00 €</span>
<div property="schema:brand" typeof="Brand">Lumen</div></div></body></html>"""


def test_stripping_removes_every_kind_of_markup_and_keeps_the_text() -> None:
    assert structured_candidates(PAGE).candidates  # the page has markup
    stripped = strip_markup(PAGE)
    assert structured_candidates(stripped).candidates == {}
    for gone in ("itemprop", "itemscope", "ld+json", "og:title", "product:price", "typeof"):
        assert gone not in stripped
    assert 'name="viewport"' in stripped and "<title>Walnut Lamp</title>" in stripped
    assert [n["text"] for n in text_nodes(stripped)] == [n["text"] for n in text_nodes(PAGE)]
    xpaths = [n["xpath"] for n in text_nodes(PAGE)]
    assert [n["xpath"] for n in text_nodes(stripped)] == xpaths
