"""Price rules: what text is a price, split amounts, carousels, the fallback price."""

from __future__ import annotations

import re

import pytest
import torch
from test_decode import ATTRS, node, probs, window

from extractor.neural.decode import decode_page
from extractor.neural.features import Window
from extractor.page.dom import Node
from extractor.values.price_rules import (
    currency_beside,
    currency_of_price,
    fallback_price,
    in_carousel,
    joined_split,
    lone_amount,
    no_price,
    plausible_price,
    price_blocks,
    put_forward,
    repeated_blocks,
    snap_to_amount,
    split_amount,
    titled_blocks,
    vat_label,
    vat_twin,
    vat_twins,
)


def page_without_tags(nodes: list[Node]) -> tuple[list[Window], list[torch.Tensor]]:
    """One window where the model tags nothing (one token per node)."""
    win = window(list(range(len(nodes))), [(i, 0, 1) for i in range(len(nodes))])
    return [win], [probs([(0, 1.0)] * (len(nodes) + 2))]


#: A price alone in a heading, among weights and stock counts (no currency/price hints else).
HEADING_PAGE = [
    node("/html/body/td/h1", "E274F-BK 27IN LCD LED"),
    node("/html/body/td/b/small", "Gewicht mit Verpackung"),
    node("/html/body/td/text()[2]", "~ 8 kg"),
    node("/html/body/td/span", "152 Stk. binnen 24 Stunden verfügbar"),
    node("/html/body/td/h3", "227,70 €"),
]
#: `Was: $34.99` is the former price; `Sale $31.49` in `#product-price` is the price.
BOX = "/html/body/main/section/div"
FORMER_PRICE_PAGE = [
    node("/html/body/main/h1", "Canape Plates"),
    node(f"{BOX}[1]/button", "Was:"),
    node(f"{BOX}[1]/span", "$34.99"),
    node(f"{BOX}[2]/span[1]", "Save"),
    node(f"{BOX}[2]/span[2]", "10%"),
    node(f"{BOX}[3]/span[1]", "Sale"),
    node(f"{BOX}[3]/span[2]", "$31.49", cls="product-price"),
]
#: Pages whose only amounts are other products': a product list, a `related` box.
CHAIR = node("/html/body/main/h1", "Chair")
LIST_PAGE = [CHAIR, *(node(f"/html/body/div/ul/li[{i}]/span", f"€ {i}9,00") for i in range(1, 5))]
RELATED_PAGE = [CHAIR, node("/html/body/div/span", "€ 19,00", cls="related-price")]
#: The price in three nodes, its currency after them: `150` `,` `85` `EUR`.
SPLIT = "/html/body/div/h3/span"
THREE_NODE_PAGE = [
    node("/html/body/div/h1", "ACER CB242YEbmiprx"),
    node(f"{SPLIT}/span[1]", "150"),
    node(f"{SPLIT}/span[2]", ","),
    node(f"{SPLIT}/span[3]", "85"),
    node(f"{SPLIT}/small", "EUR"),
]
#: What a page shows of its price as text when it shows the price itself as an image: the price
#: without VAT, in parentheses.
NET_ONLY_PAGE = [
    node("/html/body/table/tr/td/h1", "NEC E274F-BK 27IN LCD LED"),
    node("/html/body/table/tr[2]/td", "inkl. USt zzgl."),
    node("/html/body/table/tr[2]/td/span", "(Preis exkl. USt: € 138,33)"),
]


@pytest.mark.parametrize(
    ("nodes", "price", "currency", "confidence"),
    [
        pytest.param(HEADING_PAGE, "227,70", "€", 0.6, id="heading: a currency and a heading"),
        pytest.param(HEADING_PAGE[:4], None, None, None, id="no amount that is a price"),
        pytest.param(FORMER_PRICE_PAGE, "31.49", "$", 0.65, id="not the former price"),
        pytest.param(LIST_PAGE, None, None, None, id="not from a product list"),
        pytest.param(RELATED_PAGE, None, None, None, id="not from a related box"),
        pytest.param(THREE_NODE_PAGE, "150,85", None, 0.55, id="split over three nodes"),
        pytest.param(NET_ONLY_PAGE, None, None, None, id="not the price without VAT"),
    ],
)
def test_fallback_price_when_the_model_tags_none(
    nodes: list[Node], price: str | None, currency: str | None, confidence: float | None
) -> None:
    """The fallback price (its confidence: 0.5 and 0.05 per piece of evidence) with the currency
    written beside it in its node, or none."""
    out = decode_page(nodes, *page_without_tags(nodes), ATTRS)
    expected = {"price": price, "currency": currency} if price else {}
    assert out.values == {name: value for name, value in expected.items() if value}
    assert out.confidence.get("price") == pytest.approx(confidence)


def test_a_code_whose_digits_stand_in_a_word_is_no_amount_of_its_own() -> None:
    def amount(text: str) -> str | None:
        found = lone_amount([node("/html/body/div/span", text)], 0)
        return found[2] if found else None

    assert amount("I800641005") is None
    assert amount("A-M1609039088") is None
    assert amount("€99") == amount("99EUR") == amount("99 €") == "99"


def test_snap_to_amount_keeps_thousands_groups_and_leaves_other_numbers() -> None:
    text = "2 x 24,99 | € 1.299,00"
    assert text[slice(*snap_to_amount(text, 6, 9))] == "24,99"
    assert text[slice(*snap_to_amount(text, 14, 15))] == "1.299,00"
    assert snap_to_amount("In stock", 0, 2) == (0, 2)


#: `€210,` + `<span>87</span>`, and the delivery cost beside it; one window, 5 tokens past [CLS].
TD = "/html/body/table/tr/td"
SPLIT_PRICE_PAGE = [
    node("/html/body/h1", "Monitor"),
    node(f"{TD}[1]", "€210,"),
    node(f"{TD}[1]/span", "87"),
    node(f"{TD}[2]", "zzgl. Versand ab € 5,90"),
]
SPLIT_PRICE_WINDOW = window(
    [0, 1, 2, 3], [(0, 0, 7), (1, 0, 5), (2, 0, 2), (3, 0, 18), (3, 19, 23)]
)


@pytest.mark.parametrize(
    "price_token",
    [
        pytest.param(5, id="the model's only price is the delivery cost"),
        pytest.param(3, id="the model tags the cents node alone"),
    ],
)
def test_split_price_is_joined_and_the_shipping_cost_is_no_price(price_token: int) -> None:
    """The name tagged at token 1, a price at `price_token`: the price is the whole `210,87`."""
    rows = [(0, 0.9)] * 7
    rows[1], rows[price_token] = (1, 0.9), (3, 0.9)
    out = decode_page(SPLIT_PRICE_PAGE, [SPLIT_PRICE_WINDOW], [probs(rows)], ATTRS)
    assert out.values["price"] == "210,87"


def test_split_amount_forms() -> None:
    div = "/html/body/div"
    sup = [node(f"{div}/span", "210"), node(f"{div}/sup", "87")]
    assert split_amount(sup, 0) == (0, 3, "210.87")
    thousands = [node(f"{div}/span", "€ 1.299"), node(f"{div}/span/small", "00")]
    assert split_amount(thousands, 0) == (2, 7, "1.299,00")
    leading = [node(f"{div}/span", "€ 4"), node(f"{div}/span/sup", ",32")]
    assert split_amount(leading, 0) == (2, 3, "4,32")  # the separator with the cents
    point = [node(f"{div}/span", "41"), node(f"{div}/span/sup", ".99")]
    assert split_amount(point, 0) == (0, 2, "41.99")
    twice = [node(f"{div}/span", "€ 4,"), node(f"{div}/span/sup", ",32")]
    assert split_amount(twice, 0) is None
    dash = [node(f"{div}/span", "€ 299,"), node(f"{div}/div/span", "–")]
    assert split_amount(dash, 0) == (2, 5, "299")
    whole = [node(f"{div}/span", "49,90 €"), node(f"{div}/sup", "99")]
    assert split_amount(whole, 0) is None  # already has its decimals
    apart = [node("/html/body/main/div/p/span", "210"), node("/html/body/footer/a/b/sup", "87")]
    assert split_amount(apart, 0) is None
    parts = [node(f"{div}/span/span[1]", "150"), node(f"{div}/span/span[2]", ","),
             node(f"{div}/span/span[3]", "85"), node(f"{div}/span/small", "EUR")]  # fmt: skip
    assert split_amount(parts, 0) == (0, 3, "150,85")  # the separator in a node of its own
    assert joined_split(parts, 2, 0) == joined_split(parts, 1, 0) == (0, 0, 3, "150,85")
    assert split_amount([*parts[:2], node(f"{div}/span/span[3]", ",85")], 0) is None


def test_amounts_that_are_no_price() -> None:
    def check(text: str, amount: str) -> bool:
        start = text.index(amount)
        return no_price(text, start, start + len(amount))

    assert check("inkl. 19% MwSt.", "19")
    assert check("Depth: 22.1cm", "22.1")
    assert check("zzgl. Versand ab € 5,90", "5,90")
    assert check("+ 34,99 €", "34,99")
    assert check("2,50 € / kg", "2,50")
    assert check("L18/01.10. 17:00:", "17")
    assert check("£0.00 |", "0.00")
    assert not check("299,00 € inkl. MwSt. versandkostenfrei", "299,00")
    assert not check("Price: 12.90.", "12.90")
    top = [node("/html/body/h2/b", "Aktuelle Top 10 Artikel ...")]
    assert not plausible_price(top, 0, 15, 17)
    cents = [node("/html/body/span", "Nur 12,90")]
    assert plausible_price(cents, 0, 4, 9)
    assert check("Bild: 60,5 cm, 1920 x 1080, 16:9", "1080")  # a resolution
    assert check("2560 x 1440 350 CD, M 16 : 9 5MS", "350")  # a brightness in cd/m²
    assert check("Bild: 60,5 cm, 1920x1080, 16:9", "1920")
    assert not check("2 x 19,99 €", "19,99")  # a quantity times a price is still a price


def test_a_bare_number_in_running_text_is_no_price() -> None:
    spec = "• Bild : 23,8 Zoll, 60,5 cm, Reaktion : 0,80 ms, Kontrast : 1100 : 1, Garantie 3 Jahre"
    nodes = [node("/html/body/td[1]", spec), node("/html/body/td[2]", "EUR")]
    start = spec.index("0,80")
    assert not plausible_price(nodes, 0, start, start + 4)  # two decimals, a currency next door
    text = f"{spec}, jetzt nur 149,00 € statt 199,00 €"
    start = text.index("149,00")
    assert plausible_price([node("/html/body/p", text)], 0, start, start + 6)


def test_the_currency_written_with_a_price() -> None:
    assert currency_beside("ab 227,70 € inkl. MwSt.", 3, 9) == "€"
    assert currency_beside("EUR 12.50", 4, 9) == "EUR"
    assert currency_beside("12.50 incl. VAT", 0, 5) is None
    nodes = [node("/html/body/p/b[1]", "$"), node("/html/body/p/b[2]", "12.50")]
    assert currency_of_price(nodes, 1, 0, 5) == "$"
    nodes = [node("/html/body/p/b[1]", "12.50"), node("/html/body/p/b[2]", "CHF inkl. MwSt.")]
    assert currency_of_price(nodes, 0, 0, 5) == "CHF"
    assert currency_of_price([node("/html/body/p", "12.50")], 0, 0, 5) is None


def test_repeated_blocks_are_carousels_whatever_the_element() -> None:
    tile = "/html/body/div[2]/div[{}]/div/div[2]/span"
    xpaths = [tile.format(i) for i in range(1, 4)] + ["/html/body/div[1]/div/span[2]"]
    assert repeated_blocks(xpaths) == {tile.format(i) for i in range(1, 4)}
    # Siblings that differ in their own index (old price, price, unit price) are no carousel.
    assert repeated_blocks([f"/html/body/div/span[{i}]" for i in range(1, 4)]) == set()


def test_carousel_prices_give_way_to_the_products_own_price() -> None:
    """The model tags the tiles' prices (in divs, not list items) and not the product's."""
    nodes = [
        node("/html/body/main/h1", "Fan"),
        node("/html/body/main/div/span", "112,50 € *", cls="price--content"),
    ]
    nodes += [node(f"/html/body/aside/div[{i}]/div/span", f"{i}6,90 € *") for i in range(1, 4)]
    win = window([0, 1, 2, 3, 4], [(i, 0, 2) for i in range(5)])
    rows = [(0, 1.0), (1, 0.9), (0, 0.9), (3, 0.9), (3, 0.9), (3, 0.9), (0, 1.0)]
    out = decode_page(nodes, [win], [probs(rows)], ATTRS)
    assert out.values["price"] == "112,50"


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        pytest.param("oder monatl. ab € 3,69", "3,69", id="instalment: monthly from"),
        pytest.param("ab 12,99 € / Monat", "12,99", id="instalment: per month"),
        pytest.param("€ 3,69 monatlich", "3,69", id="instalment: monthly after"),
        pytest.param("12 Raten à 19,99 €", "19,99", id="instalment: 12 rates of"),
        pytest.param("or 4 interest-free payments of $12.50", "12.50", id="instalment: payments"),
        pytest.param("3 x 33,00 € sans frais", "33,00", id="instalment: 3 x without fees"),
        pytest.param("ou 3x 33,00 €", "33,00", id="instalment: or 3 x"),
        pytest.param("Finanzierung ab 9,99 €", "9,99", id="instalment: financing"),
        pytest.param("1 kg = 3,99 €", "3,99", id="unit price: 1 kg ="),
        pytest.param("Grundpreis: 13,99 € pro l", "13,99", id="unit price: per litre"),
        pytest.param("(0,80 € / 100 g)", "0,80", id="unit price: per 100 g"),
        pytest.param("Versandkosten: 4,90 €", "4,90", id="shipping: before"),
        pytest.param("zzgl. 4,90 € Versand", "4,90", id="shipping: after"),
        pytest.param("+ 5,95 € shipping", "5,95", id="shipping: add-on"),
    ],
)
def test_instalments_unit_prices_and_shipping_costs_are_no_price(text: str, amount: str) -> None:
    start = text.index(amount)
    assert no_price(text, start, start + len(amount))


@pytest.mark.parametrize(
    "text",
    [
        "2 x 19,99 €",  # a quantity times a price
        "299,00 € inkl. MwSt. zzgl. Versand",
        "Jetzt nur 49,99 € statt 59,99 €",
        "Separat 49,99 €",  # "rat" inside a word is no instalment
    ],
)
def test_prices_beside_such_words_stay_prices(text: str) -> None:
    match = re.search(r"\d+,\d\d", text)
    assert match is not None and not no_price(text, match.start(), match.end())


def test_a_titled_block_of_other_products_is_a_carousel() -> None:
    """Two related items under "Kunden kauften auch" (too few to repeat) are not the product's."""
    nodes = [
        node("/html/body/main/h1", "Kanne"),
        node("/html/body/main/div/span", "29,00 €", cls="price"),
        node("/html/body/main/section/div/h2", "Kunden kauften auch"),
        node("/html/body/main/section/ul/li[1]/span", "9,00 €", cls="price"),
        node("/html/body/main/section/ul/li[2]/span", "12,00 €", cls="price"),
        node("/html/body/footer/p", "Impressum"),
    ]
    block = titled_blocks(nodes)
    assert {n["xpath"] for n in nodes[2:5]} == block
    assert in_carousel(nodes[3], price_blocks(nodes)) and not in_carousel(nodes[1], block)
    # The fallback price is the product's, though the related prices stand nearer the title.
    found = fallback_price(nodes, [0])
    assert found is not None and found.amount == "29,00"
    # A title in the product's own block (a tab) does not swallow the block.
    tab = [node("/html/body/main/h1", "Kanne"), node("/html/body/main/p", "Zuletzt angesehen")]
    assert titled_blocks(tab) == set()


def test_an_add_on_price_is_not_the_products() -> None:
    nodes = [
        node("/html/body/main/h1", "Monitor"),
        node("/html/body/main/table/tr/td[1]", "3 Jahre Garantieverlängerung"),
        node("/html/body/main/table/tr/td[2]/span", "€ 14,90", cls="warranty_price"),
    ]
    assert not plausible_price(nodes, 2, 2, 7)
    assert fallback_price(nodes, [0]) is None


VAT_BOX = "/html/body/main/div"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("199,00 € inkl. 19 % MwSt.", "incl"),
        ("199,00 € inkl. gesetzl. MwSt. zzgl. Versand", "incl"),
        ("(Preis exkl. USt: € 138,33)", "excl"),
        ("£12.50 incl. VAT", "incl"),
        ("12,50 € HT", "excl"),
        ("15,00 € TTC", "incl"),
        ("12,50 € + IVA", "excl"),
        ("12,50 € zzgl. Versand", None),  # shipping, not VAT
    ],
)
def test_vat_labels_in_the_amounts_node(text: str, label: str | None) -> None:
    match = re.search(r"\d+[.,]\d\d", text)
    assert match is not None
    assert vat_label([node(f"{VAT_BOX}/span", text)], 0, match.start(), match.end()) == label


def test_vat_label_in_the_node_beside() -> None:
    nodes = [node(f"{VAT_BOX}/b", "167,00 €"), node(f"{VAT_BOX}/p", "inkl. 19% MwSt. zzgl.")]
    assert vat_label(nodes, 0, 0, 6) == "incl"


def test_vat_twin_and_the_price_the_page_puts_forward() -> None:
    gross_first = [
        node("/html/body/main/h1", "Kanne"),
        node(f"{VAT_BOX}/span", "166,00 €", cls="price"),
        node(f"{VAT_BOX}/p", "inkl. 20 % USt"),
        node(f"{VAT_BOX}/small", "(Preis exkl. USt: € 138,33)"),
    ]
    twin = vat_twin(gross_first, 1, 0, 6)
    assert twin is not None and twin.node == 3 and twin.amount == pytest.approx(138.33)
    assert twin.label == "excl" and not put_forward(gross_first, 1, 0, 6, twin)
    net = gross_first[3]["text"].index("138,33")
    back = vat_twin(gross_first, 3, net, net + 6)
    assert back is not None and back.node == 1 and put_forward(gross_first, 3, net, net + 6, back)
    # Two prices that are no VAT pair (a discount of 20 %, neither labelled) are no twins.
    plain = [node(f"{VAT_BOX}/s", "120,00 €"), node(f"{VAT_BOX}/b", "100,00 €")]
    assert vat_twin(plain, 1, 0, 6) is None
    assert vat_twins(166.0, 138.33) and vat_twins(119.0, 100.0) and not vat_twins(150.0, 100.0)
