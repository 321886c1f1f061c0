"""Structured data: JSON-LD / microdata / Open Graph values, robustness, visibility checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.page.input import as_page
from extractor.page.structured import markup_price, structured_candidates, structured_values
from extractor.values.fusion import markup_values


@pytest.mark.parametrize(
    "file",
    ["pages/computeruniverse.net/1.html", "pages/wayfair.com/1.html", "pages/jumia.com.ng/1.html"],
)
def test_real_pages_with_json_ld(realpages: Path, file: str) -> None:
    rows = [json.loads(line) for line in (realpages / "labels.jsonl").open(encoding="utf-8")]
    row = next(r for r in rows if r["file"] == file)
    values = structured_values((realpages / file).read_bytes(), row["url"])
    labels = row["labels"]
    for attribute in ("name", "currency", "availability", "brand", "breadcrumb"):
        assert values[attribute] == labels[attribute], attribute
    assert float(values["price"]) == float(labels["price"])
    assert float(values["rating"]) == float(labels["rating"])
    assert values["image"].startswith("https://")
    assert "<" not in values["description"]


GRAPH_PAGE = """<html><head>
<script type="application/ld+json">{"@context": "https://schema.org", broken json</script>
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebPage", "name": "Shop"},
  {"@type": "BreadcrumbList", "itemListElement": [
     {"@type": "ListItem", "position": 2, "item": {"@id": "/a", "name": "Lampen"}},
     {"@type": "ListItem", "position": 1, "name": "Start"}]},
  {"@type": ["Product"], "name": "Bogenlampe &amp; Dimmer", "sku": 12345, "gtin13": "4711121603488",
   "brand": {"@type": "Brand", "name": "Luxo"},
   "image": [{"@type": "ImageObject", "url": "/i/1.jpg"}],
   "offers": [{"@type": "Offer", "price": 129.9, "priceCurrency": "EUR",
               "availability": "http://schema.org/InStock"},
              {"@type": "Offer", "price": "139,90", "priceCurrency": "EUR"}],
   "aggregateRating": {"ratingValue": "4.5", "reviewCount": 12}}
]}
</script>
<meta property="og:title" content="Bogenlampe kaufen | Shop">
<meta property="og:type" content="product">
</head><body><h1>Bogenlampe &amp; Dimmer</h1><p>129,90 €</p></body></html>"""


def test_graph_offers_lists_numbers_and_nested_brand() -> None:
    values = structured_values(GRAPH_PAGE, "https://shop.example/p/1")
    assert values["name"] == "Bogenlampe & Dimmer"
    assert values["price"] == "129.90" and values["currency"] == "EUR"
    assert values["availability"] == "InStock"
    assert (
        values["brand"] == "Luxo" and values["sku"] == "12345" and values["gtin"] == "4711121603488"
    )
    assert values["image"] == "https://shop.example/i/1.jpg"
    assert values["breadcrumb"] == ["Start", "Lampen"]
    assert values["rating"] == "4.5" and values["review_count"] == "12"
    candidates = structured_candidates(GRAPH_PAGE, "https://shop.example/p/1").candidates
    assert [c.value for c in candidates["price"]] == ["129.90", "139.90"]
    assert candidates["name"][1].source == "opengraph"


MICRODATA_PAGE = """<html><head>
<script type="application/ld+json">{"@type": "Product", "name": "Kanne",
 "offers": {"@type": "Offer", "price": "39.00", "priceCurrency": "EUR"}}</script></head>
<body><div itemscope itemtype="https://schema.org/Product">
<h1 itemprop="name">Kanne</h1>
<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
  <span>Jetzt</span> <span itemprop="price" content="29.00">29,00</span>
  <meta itemprop="priceCurrency" content="EUR"><span>€</span>
  <link itemprop="availability" href="https://schema.org/OutOfStock">
</div></div></body></html>"""


def test_markup_values_prefer_what_the_page_shows() -> None:
    # JSON-LD says 39.00 (the regular price), the page shows the discount 29,00.
    values = structured_values(MICRODATA_PAGE, "https://shop.example/k")
    assert values["price"] == "39.00"
    markup = markup_values(as_page(("https://shop.example/k", MICRODATA_PAGE)))
    chosen, shown = markup.values, markup.shown
    assert chosen["price"] == "29.00" and shown["price"]
    assert chosen["name"] == "Kanne" and shown["name"]
    assert chosen["currency"] == "EUR" and shown["currency"]
    assert chosen["availability"] == "OutOfStock" and not shown["availability"]


def test_pages_without_markup_or_text() -> None:
    assert structured_values("<html><body><p>Hallo</p></body></html>") == {}
    assert structured_values("") == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("224.904", "224.90"), ("210.852001", "210.85"), ("139,90", "139.90"), ("49", "49.00")],
)
def test_markup_prices_use_a_decimal_point(raw: str, expected: str) -> None:
    assert markup_price(raw) == expected


#: A UTF-8 page whose markup carries mojibake in its bytes (and one JSON escape of it).
MOJIBAKE_PAGE = """<html><head><meta charset="utf-8">
<script type="application/ld+json">{"@type": "Product",
 "name": "MSI 68,6 cm (27) IPS FHD PRO MP273APDE HDMI, DP 4ms weiÃ\x9f (9S6-3PB49H-049)",
 "description": "<p>Full HD, 4ms (GtG), HÃ¶henverstellung, Pivot</p>",
 "brand": {"@type": "Brand", "name": "M\\u00c3\\u00bcller"},
 "offers": {"@type": "Offer", "price": "214.41", "priceCurrency": "EUR"}}</script>
<meta property="og:type" content="product">
<meta property="og:title" content="Acer CB2 Business Monitor, HÃ¶henverstellung">
</head><body><h1>MSI 68,6 cm (27) IPS FHD PRO MP273APDE HDMI, DP 4ms weiß</h1>
<p>â\x82¬214,41</p></body></html>"""


def test_markup_values_are_repaired() -> None:
    candidates = structured_candidates(MOJIBAKE_PAGE.encode("utf-8")).candidates
    assert [c.value for c in candidates["name"]] == [
        "MSI 68,6 cm (27) IPS FHD PRO MP273APDE HDMI, DP 4ms weiß (9S6-3PB49H-049)",
        "Acer CB2 Business Monitor, Höhenverstellung",
    ]
    assert candidates["description"][0].value == "Full HD, 4ms (GtG), Höhenverstellung, Pivot"
    assert candidates["brand"][0].value == "Müller"


def test_real_page_declared_latin_with_utf8_markup(realpages: Path) -> None:
    """A saved page declares ISO-8859-15 but holds UTF-8 bytes: markup and text come out clean."""
    rows = [json.loads(line) for line in (realpages / "labels.jsonl").open(encoding="utf-8")]
    row = next(r for r in rows if r["file"] == "pages/mylemon.at/2.html")
    markup = markup_values(as_page((row["url"], (realpages / row["file"]).read_bytes())))
    assert "weiß" in markup.values["name"] and markup.shown["name"]
    assert row["labels"]["name"] == markup.values["name"]
