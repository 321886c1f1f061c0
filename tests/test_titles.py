"""extractor.page.titles: title segments, the site's name, and the name a page's titles confirm."""

from __future__ import annotations

import lxml.html
import pytest

from extractor.page.input import as_page
from extractor.page.titles import (
    Source,
    TitleSignals,
    choose_name,
    is_site_segment,
    only_extras,
    shared_segments,
    site_keys,
    split_title,
    title_segments,
    title_signals,
)


def page(head: str, body: str) -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


#: A fashion store: no h1, nav links the model likes, the name in a label (modelled on a real page).
NAV_PAGE = page(
    "<title>Eye Webbing Key Ring - Black - Accessories - Northwear DE</title>"
    '<meta property="og:title" '
    'content="Eye Webbing Key Ring - Black - Accessories - Northwear DE">',
    "<nav><ul><li><a>DELIVERY</a></li><li><a>DETAILS</a></li><li><a>SHARE</a></li></ul></nav>"
    '<form><label class="product-name">Eye Webbing Key Ring</label><p>10,00 €</p></form>',
)
NAV_URL = "https://www.northwear.example/de/product.eye-webbing-key-ring.html"
#: A lighting shop: the name in the h1, a designer list the model likes, the shop in the title.
HEADING_PAGE = page(
    "<title>Mesmeri Halo Chrome - Artemide - Eric Sole - from Lumière</title>",
    "<select><option>Marc Sadler</option><option>Lighting</option></select>"
    "<h1>Mesmeri Halo Chrome</h1><p>Artemide</p>",
)
HEADING_URL = "https://www.lumiere.co.uk/p/1"
#: The markup name adds the shop's name and the price to the h1.
EXTRAS_PAGE = page(
    "<title>Rollkragenpullover | Graumeliert | HERREN | K&amp;L DE</title>"
    '<meta property="og:title" content="K&amp;L Rollkragenpullover 29,99">'
    '<meta property="og:site_name" content="K&amp;L">',
    "<form><h1>Rollkragenpullover</h1><span>29,99</span><p>K&amp;L Rollkragenpullover 29,99</p>"
    "</form>",
)
#: A title that only names the shop and says "item detail".
GENERIC_PAGE = page(
    "<title>Seeds of Plenty | Item Detail</title>",
    "<table><tr><td><span>Rossa Di Milano Onion</span></td><td>Choose a Size:</td></tr></table>",
)
GENERIC_URL = "https://www.seedsofplenty.com/item.aspx?id=1"


def signals(html: str, url: str = "") -> tuple[TitleSignals, list]:
    found = as_page((url, html))
    root = found.parsed_root()
    assert root is not None
    result = title_signals(root, url)
    assert result is not None
    return result, found.nodes


def choose(html: str, url: str, current: str | None, source: Source = "model") -> str | None:
    found, nodes = signals(html, url)
    return choose_name(current, source, found, nodes)


def test_split_title_on_the_usual_separators() -> None:
    assert split_title("A - B | C – D — E :: F · G") == list("ABCDEFG")
    assert split_title("T-Shirt Slim-Fit|Shop") == ["T-Shirt Slim-Fit", "Shop"]
    assert split_title("  ") == []


def test_site_keys_from_domain_and_site_name_metas() -> None:
    root = lxml.html.fromstring(page('<meta property="og:site_name" content="& Other Tales">', ""))
    assert site_keys(root, "https://www.othertales.co.uk/p") == {"othertales"}
    assert site_keys(root, "http://127.0.0.1:8000/p") == {"othertales"}


@pytest.mark.parametrize(
    ("segment", "site"),
    [
        ("Northwear DE", True),
        ("from Lumière", True),
        ("K&L DE", True),
        ("& Other Tales", True),
        ("Eye Webbing Key Ring", False),
        ("adidas Marble Leggings multicolor bei Lumiere bestellen", False),
    ],
)
def test_site_segments(segment: str, site: bool) -> None:
    assert is_site_segment(segment, {"northwear", "lumiere", "kl", "othertales"}) is site


def test_segments_most_of_a_stores_pages_share_are_its_name() -> None:
    pages = [["shoe a", "black", "acme"], ["shoe b", "black", "acme"], ["shoe c", "red", "acme"]]
    assert shared_segments(pages) == {"acme"}
    assert shared_segments(pages[:2]) == frozenset()  # two pages may be one product's variants
    root = lxml.html.fromstring(page("<title>Shoe A | Acme</title>", ""))
    assert title_segments(root) == ["shoe a", "acme"]
    assert is_site_segment("Acme", set(), shared={"acme"})


def test_informative_phrases_without_the_site_name() -> None:
    found, _ = signals(NAV_PAGE, NAV_URL)
    assert found.phrases["eye webbing key ring"] is True  # starts with the first segment
    assert found.phrases["eye webbing key ring black"] is True
    assert found.phrases["accessories"] is False
    assert not any("northwear" in phrase for phrase in found.phrases)
    assert found.agrees("Key Ring Black") and not found.agrees("DELIVERY")


def test_titles_that_say_nothing_give_no_signals() -> None:
    for head in ["", "<title>Northwear</title>", "<title>Northwear | Northwear DE</title>"]:
        root = lxml.html.fromstring(page(head, "<p>x</p>"))
        assert title_signals(root, NAV_URL) is None


def test_a_navigation_link_loses_to_the_node_the_title_confirms() -> None:
    assert choose(NAV_PAGE, NAV_URL, "DELIVERY") == "Eye Webbing Key Ring"
    assert choose(NAV_PAGE, NAV_URL, None) == "Eye Webbing Key Ring"
    assert choose(NAV_PAGE, NAV_URL, "Eye Webbing") == "Eye Webbing Key Ring"  # a fragment


def test_a_name_that_agrees_with_the_title_stays() -> None:
    assert choose(NAV_PAGE, NAV_URL, "Eye Webbing Key Ring") is None
    assert choose(NAV_PAGE, NAV_URL, "Key Ring Black") is None


def test_the_h1_that_equals_a_title_segment_wins() -> None:
    assert choose(HEADING_PAGE, HEADING_URL, "Marc Sadler") == "Mesmeri Halo Chrome"


def test_an_unshown_markup_name_loses_to_the_shown_node() -> None:
    full = "Eye Webbing Key Ring - Black - Accessories - Northwear DE"
    assert choose(NAV_PAGE, NAV_URL, full, "unshown markup") == "Eye Webbing Key Ring"


def test_a_shown_markup_name_is_only_trimmed_of_site_name_and_price() -> None:
    url = "https://www2.kl.example/de_de/productpage.html"
    name = "K&L Rollkragenpullover 29,99"
    assert choose(EXTRAS_PAGE, url, name, "shown markup") == "Rollkragenpullover"
    assert choose(EXTRAS_PAGE, url, "Strickpullover", "shown markup") is None


def test_a_phrase_that_is_only_the_brand_confirms_nothing() -> None:
    html = page(
        "<title>NEC - E274F-BK 27IN LCD LED | Haym</title>",
        "<article><a>NEC</a><h1>E274F-BK 27IN LCD LED</h1><a>Warenkorb</a></article>",
    )
    found, nodes = signals(html, "https://haym.example/p")
    assert choose_name("Warenkorb", "model", found, nodes, brand="NEC") == "E274F-BK 27IN LCD LED"


def test_a_generic_title_keeps_the_current_choice() -> None:
    assert choose(GENERIC_PAGE, GENERIC_URL, "Choose a Size:") is None
    assert choose(GENERIC_PAGE, GENERIC_URL, "Rossa Di Milano Onion") is None


@pytest.mark.parametrize(
    ("value", "extra"),
    [
        ("K&L Rollkragenpullover 29,99", True),
        ("Rollkragenpullover 1.299,00 €", True),
        ("Rollkragenpullover EUR 29", True),
        ("Rollkragenpullover (60005830)", False),  # an identifier, not a price
        ("Rollkragenpullover Graumeliert", False),
        ("Rollkragenpullover", False),
        ("Pullover", False),
    ],
)
def test_only_extras(value: str, extra: bool) -> None:
    assert only_extras(value, "Rollkragenpullover", {"kl"}) is extra
