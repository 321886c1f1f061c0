"""The price the page puts forward when it shows the price with and without VAT."""

from __future__ import annotations

from extractor.page.input import as_page
from extractor.values.fusion import Markup, put_forward_price
from extractor.values.records import build_record


def _fused(body: str, price: str, markup: Markup | None = None) -> dict[str, object]:
    page = as_page(("https://shop.example/p", f"<html><body><main>{body}</main></body></html>"))
    values: dict[str, object] = {"name": "Kanne Classic", "price": price}
    confidence = {"name": 0.9, "price": 0.8}
    put_forward_price(values, confidence, page, markup or Markup())
    return values


def test_a_vat_pair_gross_forward_net_in_small_print() -> None:
    body = (
        "<h1>Kanne Classic</h1><span class='price'>119,00 €</span><p>inkl. 19 % MwSt.</p>"
        "<small>(100,00 € zzgl. MwSt.)</small>"
    )
    # The model read the small net price: the page puts the gross one forward.
    values = _fused(body, "100,00 €")
    assert values["price"] == "119.00" and values["price_excluding_vat"] == "100.00"
    # The model read the gross one: it stays, and the net one is kept beside it.
    values = _fused(body, "119.00")
    assert values["price"] == "119.00" and values["price_excluding_vat"] == "100.00"
    record = build_record("https://shop.example/p", values)
    assert {"name": "price_excluding_vat", "value": "100.00"} in record["additionalProperties"]


def test_a_business_shop_puts_the_net_price_forward() -> None:
    body = (
        "<h1>Kanne Classic</h1><strong class='price'>100,00 € zzgl. MwSt.</strong>"
        "<p class='hint'>(119,00 € inkl. MwSt.)</p>"
    )
    values = _fused(body, "119,00 €")
    assert values["price"] == "100.00" and values["price_including_vat"] == "119.00"


def test_ttc_and_ht_side_by_side_the_first_is_forward() -> None:
    body = "<h1>Théière</h1><p><b>120,00 € TTC</b></p><p><b>100,00 € HT</b></p>"
    values = _fused(body, "100,00")
    assert values["price"] == "120.00" and values["price_excluding_vat"] == "100.00"


def test_a_net_price_in_small_print_gives_way_to_the_markups_gross_price() -> None:
    # The gross price is an image of digits; only the markup has it as text.
    body = (
        "<h1>Kanne Classic</h1><img alt='Preis: € 166,00' src='p.png'>"
        "<span class='smallText'>(Preis exkl. USt: € 138,33)</span>"
    )
    markup = Markup({"price": "166"}, {"price": False})
    values = _fused(body, "138,33", markup)
    assert values["price"] == "166.00" and values["price_excluding_vat"] == "138.33"
    # Without such a markup price the page's only price stays.
    assert _fused(body, "138,33")["price"] == "138,33"


def test_a_discount_is_no_vat_pair() -> None:
    body = "<h1>Kanne Classic</h1><s>119,00 €</s><span class='price'>100,00 €</span>"
    values = _fused(body, "100,00 €")
    assert values == {"name": "Kanne Classic", "price": "100,00 €"}
