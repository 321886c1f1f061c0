"""Availability as a shopper reads it: the phrase vocabulary and the product's buy button."""

from __future__ import annotations

import pytest

from extractor.page.buy_button import buy_button_availability, find_buttons
from extractor.page.dom import parse_html, text_nodes
from extractor.page.input import as_page
from extractor.values.fusion import FusionSettings, fill_from_page
from extractor.values.matching import match_values
from extractor.values.normalize.availability import (
    button_availability,
    find_availability,
    normalize_availability,
)


@pytest.mark.parametrize(
    ("text", "token"),
    [
        # "Auf Lager" and "disponibile" in every form a page or a span shows them
        ("Auf Lager", "InStock"),
        ("auf Lager.", "InStock"),
        ("AUF LAGER!", "InStock"),
        ("Artikel ist auf Lager, Lieferzeit 1-3 Werktage", "InStock"),
        ("Auf\u00a0Lager", "InStock"),
        ("Auf\u200bLager", "InStock"),  # a zero-width space between the words
        ("verfüg\u00adbar", "InStock"),  # a soft hyphen inside a word
        ("auf_lager", "InStock"),  # a token-like spelling in markup
        ("Verfügbarkeit: Auf Lager", "InStock"),
        ("Disponibile", "InStock"),
        ("DISPONIBILE.", "InStock"),
        ("Prodotto disponibile", "InStock"),
        ("Disponibilità immediata", "InStock"),
        ("Non disponibile", "OutOfStock"),
        ("Esaurito", "OutOfStock"),
        ("Disponibile su ordinazione", "BackOrder"),
    ],
)
def test_auf_lager_and_disponibile_normalise(text: str, token: str) -> None:
    assert normalize_availability(text) == token


@pytest.mark.parametrize(
    ("text", "token"),
    [
        # English
        ("In Stock", "InStock"),
        ("Out-of-stock", "OutOfStock"),
        ("Email me when back in stock", "OutOfStock"),
        ("Available for pre-order", "PreOrder"),
        ("Coming soon", "PreOrder"),
        ("On backorder", "BackOrder"),
        ("Low stock", "LimitedAvailability"),
        # German
        ("Sofort versandfertig", "InStock"),
        ("Derzeit nicht lieferbar", "OutOfStock"),
        ("Bei Verfügbarkeit benachrichtigen", "OutOfStock"),
        ("Bald wieder verfügbar", "OutOfStock"),
        ("Bald verfügbar", "PreOrder"),
        ("Liefertermin unbekannt", "OutOfStock"),
        ("Auslaufartikel", "Discontinued"),
        # French, Spanish, Portuguese
        ("En stock", "InStock"),
        ("Rupture de stock", "OutOfStock"),
        ("M'avertir de la disponibilité", "OutOfStock"),
        ("Sur commande", "BackOrder"),
        ("Sin stock", "OutOfStock"),
        ("Últimas unidades", "LimitedAvailability"),
        ("Em estoque", "InStock"),
        ("Esgotado", "OutOfStock"),
        # Dutch, Polish, Czech
        ("Op voorraad", "InStock"),
        ("Niet op voorraad", "OutOfStock"),
        ("Dostępny", "InStock"),
        ("Produkt niedostępny", "OutOfStock"),
        ("Skladem", "InStock"),
        ("Není skladem", "OutOfStock"),
        # Swedish, Danish, Norwegian
        ("Finns i lager", "InStock"),
        ("Tillfälligt slut", "OutOfStock"),
        ("På lager", "InStock"),
        ("Ikke på lager", "OutOfStock"),
        ("Få på lager", "LimitedAvailability"),
        # Japanese, Chinese, Korean
        ("即納", "InStock"),
        ("入荷待ち", "BackOrder"),
        ("到货通知", "OutOfStock"),
        ("现货", "InStock"),
        ("품절", "OutOfStock"),
    ],
)
def test_phrases_in_the_languages_of_the_pages(text: str, token: str) -> None:
    assert normalize_availability(text) == token


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("Add to cart", "InStock"),
        ("ADD TO BAG", "InStock"),
        ("In den Warenkorb", "InStock"),
        ("Ajouter au panier", "InStock"),
        ("Añadir al carrito", "InStock"),
        ("Aggiungi al carrello", "InStock"),
        ("In winkelwagen", "InStock"),
        ("Dodaj do koszyka", "InStock"),
        ("Lägg i varukorgen", "InStock"),
        ("Læg i kurv", "InStock"),
        ("Adicionar ao carrinho", "InStock"),
        ("Do košíku", "InStock"),
        ("カートに入れる", "InStock"),
        ("加入购物车", "InStock"),
        ("Notify me", "OutOfStock"),
        ("Benachrichtigen", "OutOfStock"),
        ("Pre-order", "PreOrder"),
        ("Sold out", "OutOfStock"),
    ],
)
def test_button_words(text: str, token: str) -> None:
    assert button_availability(text) == token
    assert normalize_availability(text) == token


@pytest.mark.parametrize(
    "text",
    ["Warenkorb", "Zum Warenkorb", "Lieferbarkeit", "Beschikbaarheid", "Dostępność", "Terminator"],
)
def test_labels_and_links_say_nothing(text: str) -> None:
    assert normalize_availability(text) is None


def test_buy_words_are_not_phrases_the_page_shows() -> None:
    assert find_availability("In den Warenkorb") is None  # the button reader reads them


def _page(block: str, extra: str = "") -> str:
    return (
        "<html><body><header><nav><a href='/cart'>Warenkorb</a>"
        "<button>Add to cart</button></nav></header><main>"
        f"<h1>Kanne Classic</h1><span class='price'>29,00 €</span>{block}</main>{extra}"
        "</body></html>"
    )


def _button(html: str) -> str | None:
    found = buy_button_availability(parse_html(html), text_nodes(html))
    return found.availability if found else None


def test_an_enabled_buy_button_is_in_stock() -> None:
    html = _page("<form><button type='submit'>In den Warenkorb</button></form>")
    found = buy_button_availability(parse_html(html), text_nodes(html))
    assert found is not None and found.availability == "InStock" and found.enabled
    assert found.text == "In den Warenkorb"


def test_a_submit_input_is_a_button() -> None:
    assert _button(_page("<form><input type='submit' value='Add to cart'></form>")) == "InStock"


@pytest.mark.parametrize(
    "button",
    [
        "<button disabled>Add to cart</button>",
        "<button aria-disabled='true'>Add to cart</button>",
        "<button class='btn btn--disabled'>Add to cart</button>",
        "<fieldset disabled><button>Add to cart</button></fieldset>",
    ],
)
def test_a_disabled_buy_button_is_out_of_stock(button: str) -> None:
    assert _button(_page(f"<form>{button}</form>")) == "OutOfStock"


def test_a_notify_me_button_is_out_of_stock_even_beside_a_buy_button() -> None:
    html = _page(
        "<form><button>In den Warenkorb</button>"
        "<button disabled>Bei Verfügbarkeit benachrichtigen</button></form>"
    )
    assert _button(html) == "OutOfStock"
    assert _button(_page("<a class='btn' href='#notify'>Notify me when available</a>")) == (
        "OutOfStock"
    )


@pytest.mark.parametrize(
    ("badge", "token"),
    [
        pytest.param("<b>Nicht lagernd, versandfertig in 8 Tagen</b>", "OutOfStock", id="badge"),
        pytest.param("<span class='stock'>Ausverkauft</span>", "OutOfStock", id="sold out"),
        pytest.param("<span>Erscheint am 3.5. - jetzt vorbestellen</span>", "PreOrder", id="pre"),
        pytest.param("<span>Nur noch 2 Stück</span>", "InStock", id="few left: still on sale"),
        pytest.param("<span>Auf Lager</span>", "InStock", id="in stock"),
        pytest.param("<span class='is-hidden'>OutOfStock</span>", "InStock", id="hidden class"),
        pytest.param(
            "<p>Dieses Modell ist nicht mehr lieferbar, sein Nachfolger schon: er hat mehr "
            "Anschlüsse, ein helleres Bild und einen Fuß, der sich neigen lässt.</p>",
            "InStock",
            id="a sentence, not a badge",
        ),
    ],
)
def test_a_badge_beside_a_working_buy_button_says_what_a_shopper_reads(
    badge: str, token: str
) -> None:
    assert _button(_page(f"{badge}<form><button>In den Warenkorb</button></form>")) == token


def test_a_pre_order_button_is_pre_order() -> None:
    assert _button(_page("<button>Jetzt vorbestellen</button>")) == "PreOrder"


def test_no_button_no_signal() -> None:
    assert _button(_page("<p>Ein schöne Kanne.</p>")) is None


def test_what_a_shopper_cannot_see_or_does_not_buy_says_nothing() -> None:
    carousel = (
        "<section class='related-products'>"
        + "".join(f"<div><b>Tasse {k}</b><button>Add to cart</button></div>" for k in range(2))
        + "</section>"
    )
    listing = "".join(f"<li><i>Teller {k}</i><button>Add to cart</button></li>" for k in range(3))
    assert _button(_page("", carousel)) is None  # a block of other products
    assert _button(_page(f"<ul>{listing}</ul>")) is None  # a list of products
    assert _button(_page("<button class='u-display-none'>Sold out</button>")) is None
    assert _button(_page("<button style='display:none'>Sold out</button>")) is None
    assert _button(_page("<footer><button>Buy now</button></footer>")) is None


def test_variant_marks_and_buttons_waiting_for_a_size_say_nothing() -> None:
    swatch = (
        "<div class='swatches'><div class='swatch'><button><span>Sold out</span></button>"
        "</div></div>"
    )
    sizes = "<div class='size-select'><button>S</button><button>M</button></div>"
    waiting = _page(f"<form>{swatch}{sizes}<button disabled>Add to bag</button></form>")
    assert _button(waiting) is None
    assert [b.text for b in find_buttons(parse_html(waiting), text_nodes(waiting))] == [
        "Add to cart"  # the header's, which is not the product's
    ]
    assert _button(_page(f"{swatch}<form><button>Add to bag</button></form>")) == "InStock"


def test_matcher_marks_the_buy_button_for_in_stock_without_a_phrase() -> None:
    html = _page("<form><button><span>In den</span> <span>Warenkorb</span></button></form>")
    result = match_values(text_nodes(html), {"availability": "InStock"}, root=parse_html(html))
    assert [s["text"] for s in result.spans["availability"]] == ["In den", "Warenkorb"]
    # Without the root (no elements to read buttons from) the page shows no availability.
    assert "availability" in match_values(text_nodes(html), {"availability": "InStock"}).missing


def test_matcher_prefers_a_phrase_to_the_button() -> None:
    html = _page("<p class='stock'>Auf Lager</p><button>In den Warenkorb</button>")
    result = match_values(text_nodes(html), {"availability": "InStock"}, root=parse_html(html))
    assert [s["text"] for s in result.spans["availability"]] == ["Auf Lager"]


def test_matcher_does_not_mark_a_disabled_button_for_in_stock() -> None:
    html = _page("<button disabled>In den Warenkorb</button>")
    result = match_values(text_nodes(html), {"availability": "InStock"}, root=parse_html(html))
    assert "availability" in result.missing


def test_fusion_fills_availability_from_the_button_below_shown_markup() -> None:
    page = as_page(("https://shop.example/p", _page("<button disabled>Add to cart</button>")))
    values: dict[str, object] = {"name": "Kanne Classic", "price": "29,00 €"}
    confidence = {"name": 0.9, "price": 0.9}
    settings = FusionSettings()
    fill_from_page(values, confidence, page, settings=settings)
    assert values["availability"] == "OutOfStock"
    assert settings.min_confidence <= confidence["availability"] < settings.shown_markup
    # What the model or the markup gives stays.
    kept: dict[str, object] = {"name": "Kanne Classic", "availability": "InStock"}
    fill_from_page(kept, {"availability": 0.9}, page, settings=settings)
    assert kept["availability"] == "InStock"


def test_a_product_offered_at_a_price_without_a_word_on_its_stock_is_in_stock() -> None:
    # The buy button is drawn by JavaScript: the page shows the name and the price, nothing else.
    page = as_page(("https://shop.example/p", _page("<h1>Kanne Classic</h1><p>29,00 €</p>")))
    settings = FusionSettings()
    values: dict[str, object] = {"name": "Kanne Classic", "price": "29,00 €"}
    confidence = {"name": 0.9, "price": 0.9}
    fill_from_page(values, confidence, page, settings=settings)
    assert values["availability"] == "InStock"
    assert confidence["availability"] == settings.min_confidence < settings.buy_button
    # Without a price the page offers nothing: no availability.
    unpriced: dict[str, object] = {"name": "Kanne Classic"}
    fill_from_page(unpriced, {"name": 0.9}, page, settings=settings)
    assert "availability" not in unpriced
