"""extractor.page.titles: title segments, the site's name, and the name a page's titles confirm."""

from __future__ import annotations

import lxml.html
import pytest

from extractor.page.input import as_page
from extractor.page.titles import (
    BLOCK_HEADING,
    FIRST_H1,
    REPEATED,
    TITLE_FULL,
    TITLE_HEADING,
    TITLE_NODE,
    TITLE_RUN,
    PageNames,
    Source,
    TitleSignals,
    breadcrumb_last,
    choose_name,
    is_site_segment,
    only_extras,
    page_names,
    recurring_texts,
    refused_name,
    shared_segments,
    site_keys,
    split_title,
    title_segments,
    title_signals,
)
from extractor.values.fusion import (
    FusionSettings,
    Markup,
    confirm_title_name,
    store_template_texts,
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
#: A shop whose title names only the shop: the name heads the product's block, a table cell with
#: a heading class above the buy button (modelled on a real page); a menu and a breadcrumb whose
#: last item is the article number.
BLOCK_PAGE = page(
    "<title>Gadgetshop - Notebooks, Computer und vieles mehr zu Top Preisen!</title>",
    "<table><tr><td><a>PC &amp; Zubehör</a></td></tr><tr><td><a>Netzwerk</a></td></tr>"
    "<tr><td><a>Handys</a></td></tr><tr><td><a>Monitore</a></td></tr></table>"
    '<div><td class="nav_breadcrumb">Sie befinden sich hier: <a>Startseite</a> » '
    "<a>Monitore</a> » <a>A-M1609039088</a></td></div>"
    '<table><tr><td class="pageHeading top">Acer CB242YE 23.8 16:9 Full HD IPS Display</td></tr>'
    "<tr><td>166,00 €</td><td><button>In den Warenkorb</button></td></tr>"
    "<tr><td>Farbe:</td><td>schwarz</td></tr></table>",
)
BLOCK_URL = "https://www.gadgetshop.example/product_info.php?products_id=1"


def signals(html: str, url: str = "") -> tuple[TitleSignals, list]:
    found = as_page((url, html))
    root = found.parsed_root()
    assert root is not None
    result = title_signals(root, url)
    assert result is not None
    return result, found.nodes


def names(html: str, url: str = "", brand: str | None = None, template=frozenset()) -> PageNames:
    found = as_page((url, html))
    root = found.parsed_root()
    assert root is not None
    return page_names(root, found.nodes, title_signals(root, url), brand, template)


def choose(
    html: str, url: str, current: str | None, source: Source = "model", brand: str | None = None
) -> str | None:
    return choose_name(current, source, names(html, url, brand), brand)


def best(html: str, url: str = "") -> tuple[str, int] | None:
    found = names(html, url).best
    return (found.text, found.rank) if found else None


def refused(html: str, url: str, value: str, template=frozenset()) -> str | None:
    found = as_page((url, html))
    stated = names(html, url, template=template)
    return refused_name(value, found.nodes, stated, template, found.parsed_root())


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


# --- the page's statements of its name ----------------------------------------------------------


def test_a_navigation_link_loses_to_the_node_the_title_confirms() -> None:
    assert choose(NAV_PAGE, NAV_URL, "DELIVERY") == "Eye Webbing Key Ring"
    assert choose(NAV_PAGE, NAV_URL, None) == "Eye Webbing Key Ring"
    assert choose(NAV_PAGE, NAV_URL, "Eye Webbing") == "Eye Webbing Key Ring"  # a fragment


def test_a_name_the_title_states_stays_one_that_only_shares_words_with_it_does_not() -> None:
    assert choose(NAV_PAGE, NAV_URL, "Eye Webbing Key Ring") is None
    assert choose(NAV_PAGE, NAV_URL, "Eye Webbing Key Ring - Black") is None  # a title phrase
    assert choose(NAV_PAGE, NAV_URL, "Key Ring Black") == "Eye Webbing Key Ring"


def test_a_related_product_that_shares_words_with_the_title_loses_to_the_h1() -> None:
    html = page(
        "<title>La Mancha Rubi CM/59 – Musikhaus Thomann</title>",
        "<main><h1>La Mancha Rubi CM/59</h1><p>299 €</p></main>"
        "<div><h2>Related products</h2><ul><li><a>La Mancha Rubinito LSM59</a></li>"
        "<li><a>La Mancha Romero</a></li><li><a>La Mancha Rubi CM/63</a></li></ul></div>",
    )
    assert choose(html, "https://www.thomann.example/p", "La Mancha Rubinito LSM59") == (
        "La Mancha Rubi CM/59"
    )


def test_the_h1_that_equals_a_title_segment_wins() -> None:
    assert choose(HEADING_PAGE, HEADING_URL, "Marc Sadler") == "Mesmeri Halo Chrome"
    assert best(HEADING_PAGE, HEADING_URL) == ("Mesmeri Halo Chrome", TITLE_HEADING)


def test_an_unshown_markup_name_loses_to_the_shown_node() -> None:
    full = "Eye Webbing Key Ring - Black - Accessories - Northwear DE"
    assert choose(NAV_PAGE, NAV_URL, full, "unshown markup") == "Eye Webbing Key Ring"
    assert best(NAV_PAGE, NAV_URL) == ("Eye Webbing Key Ring", TITLE_NODE)


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
    url = "https://haym.example/p"
    assert choose(html, url, "Warenkorb", brand="NEC") == "E274F-BK 27IN LCD LED"
    assert names(html, url, brand="NEC").best.rank == TITLE_HEADING  # type: ignore[union-attr]


def test_a_title_without_separators_is_one_statement() -> None:
    html = page(
        '<title>ACER CB2 CB242YEbmiprx, 23.8"</title>',
        "<header><nav><h1>Willkommen beim Nr.1 Diskonter</h1></nav></header>"
        '<section><span>ACER CB2 CB242YEbmiprx, 23.8"</span></section><b>Abholung</b>',
    )
    url = "https://www.e-tec.example/details.php?id=1"
    assert best(html, url) == ('ACER CB2 CB242YEbmiprx, 23.8"', TITLE_NODE)
    assert choose(html, url, "Abholung") == 'ACER CB2 CB242YEbmiprx, 23.8"'


@pytest.mark.parametrize(
    "title",
    [
        'Lenovo L24i-40 60,5cm (23,8") FHD IPS Monitor ++ Cyberport',  # no separator
        'Lenovo L24i-40 60,5cm (23,8") FHD IPS Monitor bei Cyberport',
        'Cyberport: Lenovo L24i-40 60,5cm (23,8") FHD IPS Monitor',
    ],
)
def test_the_site_name_at_either_end_of_a_title_without_separators(title: str) -> None:
    html = page(
        f"<title>{title}</title>",
        '<h1><span>Neuheit</span>Lenovo L24i-40 60,5cm (23,8") FHD IPS Monitor</h1>'
        "<p>Verfügbarkeit</p>",
    )
    url = "https://www.cyberport.example/p/1"
    assert best(html, url) == ('Lenovo L24i-40 60,5cm (23,8") FHD IPS Monitor', TITLE_HEADING)
    assert choose(html, url, "Verfügbarkeit") == 'Lenovo L24i-40 60,5cm (23,8") FHD IPS Monitor'


@pytest.mark.parametrize(
    ("title", "h1"),
    [
        # the shop's label before the name is a segment of the site's name
        ("ASOS DESIGN – Extrem enge Jeans in Schwarz | ASOS", "ASOS DESIGN – Extrem enge Jeans"
         " in Schwarz"),
        # a word before the name, qualifiers after it
        ("Shop Elegance Canape Plates, Set of 6 - On Sale - Free Shipping - Overstock",
         "Elegance Canape Plates, Set of 6"),
        ("DYSON AM 07 Turmventilator (56 Watt) Turmventilator kaufen | SATURN",
         "DYSON AM 07 Turmventilator (56 Watt)"),
    ],
)  # fmt: skip
def test_an_h1_that_stands_in_the_title_as_it_is(title: str, h1: str) -> None:
    html = page(f"<title>{title}</title>", f"<h1>{h1}</h1><div><b>close</b></div>")
    assert best(html, "https://www.asos.example/p") == (h1, TITLE_RUN)
    assert choose(html, "https://www.asos.example/p", "close") == h1


@pytest.mark.parametrize(
    ("title", "rank"),
    [
        ('iiyama G-MASTER RED EAGLE GB2470HSU-W5 23.8" (60.5 c', TITLE_RUN),  # cut in a word
        ("iiyama G-MASTER RED EAGLE ...", TITLE_RUN),  # cut with an ellipsis
        ("iiyama G-MASTER RED EAGLE", FIRST_H1),  # a shorter name, not a cut one
    ],
)
def test_a_title_cut_short_confirms_the_h1_it_starts(title: str, rank: int) -> None:
    h1 = 'iiyama G-MASTER RED EAGLE GB2470HSU-W5 23.8" (60.5 cm)'
    html = page(f"<title>{title}</title>", f"<form><h1>{h1}</h1></form>")
    assert best(html, "https://heinzsoft.example/p") == (h1, rank)


def test_a_title_that_adds_the_brand_and_the_code_to_the_h1_is_the_full_name() -> None:
    html = page(
        "<title>Nec E274F - BK 27IN LCD LED (60005830)</title>",
        "<div class='trail'><a>Monitore</a> &gt; <a>Nec</a></div><h1>E274F - BK 27IN LCD LED</h1>"
        "<table><tr><td>Hersteller Artikelnummer</td><td>60005830</td></tr></table>",
    )
    url = "https://www.mylemon.example/artikel/1"
    assert best(html, url) == ("Nec E274F - BK 27IN LCD LED (60005830)", TITLE_FULL)
    # specifications after the name are not a code: the h1 stays the name
    specs = page(
        "<title>iiyama G-Master GB2470HSU-W5, Gaming-Monitor 61 cm(24 Zoll), weiß</title>",
        "<h1><span>iiyama</span><span>G-Master GB2470HSU-W5, Gaming-Monitor</span>"
        "<small>(61 cm(24 Zoll), weiß)</small></h1>",
    )
    assert best(specs, "https://www.alternate.example/p") == (
        "G-Master GB2470HSU-W5, Gaming-Monitor",  # the h1's name, not its brand or its note
        TITLE_RUN,
    )


def test_a_text_the_h1_and_the_breadcrumb_repeat() -> None:
    html = page(
        "",
        '<ul class="bc"><li><a>Home</a></li><li><a>Samsung Phones</a></li>'
        '<li class="active">Samsung Galaxy Z Fold 5</li></ul>'
        "<div><h1>Samsung Galaxy Z Fold 5</h1><span>Display (Primary)</span></div>",
    )
    found = as_page(("https://gadgets.example/p", html))
    assert breadcrumb_last(found.parsed_root(), found.nodes) == 2
    assert best(html, "https://gadgets.example/p") == ("Samsung Galaxy Z Fold 5", REPEATED)
    alone = page("", "<div><h1>Samsung Galaxy Z Fold 5</h1></div>")
    assert best(alone, "https://gadgets.example/p") == ("Samsung Galaxy Z Fold 5", FIRST_H1)


def test_the_heading_of_the_products_block_where_the_title_names_only_the_shop() -> None:
    found = names(BLOCK_PAGE, BLOCK_URL)
    assert found.best is not None and found.best.rank == BLOCK_HEADING
    assert found.best.text == "Acer CB242YE 23.8 16:9 Full HD IPS Display"
    assert choose(BLOCK_PAGE, BLOCK_URL, "Zubehör") == found.best.text


def test_a_generic_title_confirms_nothing() -> None:
    assert best(GENERIC_PAGE, GENERIC_URL) is None
    assert choose(GENERIC_PAGE, GENERIC_URL, "Rossa Di Milano Onion") is None


# --- what cannot be a name ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("Choose a Size:", "a label"),
        ("Item", "a single word the page does not state as a name"),
        ("Rossa Di Milano Onion", None),
    ],
)
def test_labels_and_single_words_are_no_names(value: str, why: str | None) -> None:
    assert refused(GENERIC_PAGE, GENERIC_URL, value) == why


def test_navigation_chrome_cookie_boxes_and_other_products_are_no_names() -> None:
    html = page(
        "",
        "<header><a>Mein Konto anlegen</a></header><nav><a>Gaming Monitore</a></nav>"
        "<ul><li><a>PC Zubehör kaufen</a></li><li><a>Netzwerk Technik</a></li>"
        "<li><a>Handys und Tablets</a></li></ul>"
        '<main><div class="cookie-banner"><p>Alle akzeptieren bitte</p></div>'
        "<p>Rossa Di Milano Onion</p><select><option>Large Onion Set</option></select>"
        "<div><h2>Kunden kauften auch</h2><p>Stuttgarter Riesen Zwiebel</p></div></main>"
        "<footer><p>Versand und Zahlung</p></footer>",
    )
    url = "https://seeds.example/p"
    for value in [
        "Mein Konto anlegen",  # the site's header
        "Gaming Monitore",  # navigation
        "PC Zubehör kaufen",  # a menu link
        "Alle akzeptieren bitte",  # a cookie box
        "Large Onion Set",  # a choice
        "Kunden kauften auch",  # the heading of a block of other products
        "Stuttgarter Riesen Zwiebel",  # an item of that block
        "Versand und Zahlung",  # the footer
    ]:
        assert refused(html, url, value) is not None, value
    assert refused(html, url, "Rossa Di Milano Onion") is None


def test_what_every_page_of_the_store_shows_is_no_name() -> None:
    pages = [
        as_page((f"https://seeds.example/p/{i}", page("", f"<p>Beste Preise</p><h1>Seed {i}</h1>")))
        for i in range(4)
    ]
    template = recurring_texts([p.nodes for p in pages])
    assert template == {"beste preise"}
    assert recurring_texts([p.nodes for p in pages[:3]]) == frozenset()  # too few pages
    html = page("", "<p>Beste Preise</p><p>Rossa Di Milano Onion</p>")
    assert refused(html, "https://seeds.example/p/9", "Beste Preise", template) == (
        "the store's template"
    )
    # a slogan in the h1 of every page is no candidate either
    slogan = page("", "<h1>Beste Preise</h1><p>x</p>")
    assert names(slogan, template=frozenset({"beste preise"})).best is None


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


# --- the name check in fusion --------------------------------------------------------------------


def test_fusion_replaces_refuses_or_keeps_the_models_name() -> None:
    settings = FusionSettings()
    block = as_page((BLOCK_URL, BLOCK_PAGE))
    values, confidence = {"name": "Farbe:", "price": "166.00"}, {"name": 0.98, "price": 0.9}
    confirm_title_name(values, confidence, block, Markup(), settings=settings)
    assert values["name"] == "Acer CB242YE 23.8 16:9 Full HD IPS Display"
    assert confidence["name"] == settings.page_name  # the block's heading, not the title's word
    stores = [
        as_page((f"https://seeds.example/p/{i}", page("", f"<p>Beste Preise</p><p>Seed {i}</p>")))
        for i in range(4)
    ]
    template = store_template_texts(stores)
    values, confidence = {"name": "Beste Preise", "price": "2.99"}, {"name": 0.9, "price": 0.9}
    confirm_title_name(values, confidence, stores[0], Markup(), template=template)
    assert values == {"price": "2.99"} and confidence == {"price": 0.9}
    values, confidence = {"name": "Seed 0"}, {"name": 0.9}
    confirm_title_name(values, confidence, stores[0], Markup(), template=template)
    assert values == {"name": "Seed 0"} and confidence == {"name": 0.9}
