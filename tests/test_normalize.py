"""Normalisers against golden files: inputs and expected outputs side by side."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from extractor.values.normalize import normalize_value
from extractor.values.normalize.availability import find_availability
from extractor.values.normalize.currencies import currency_hints, find_currencies, pick_currency
from extractor.values.normalize.identifiers import gtin_is_valid, gtin_type
from extractor.values.normalize.text import join_texts
from extractor.values.normalize.urls import normalize_url
from extractor.values.schema import (
    OFFER_ATTRIBUTES,
    STANDARD_ATTRIBUTES,
    AttributeSchema,
    attribute_type,
    offer_left_out,
)

GOLDEN = Path(__file__).parent / "golden"
CASES = json.loads((GOLDEN / "normalize.json").read_text(encoding="utf-8"))


#: The module of each golden function.
MODULE_OF = {
    "normalize_price": "prices",
    "normalize_number": "prices",
    "pick_currency": "currencies",
    "currency_codes": "currencies",
    "normalize_availability": "availability",
    "normalize_gtin": "identifiers",
    "normalize_identifier": "identifiers",
    "clean_identifier": "identifiers",
    "normalize_text": "text",
    "text_key": "text",
}


def _cases() -> list[tuple[str, object, object]]:
    return [(name, given, want) for name, pairs in CASES.items() for given, want in pairs]


@pytest.mark.parametrize(("function", "given", "expected"), _cases())
def test_golden(function: str, given: object, expected: object) -> None:
    module = importlib.import_module(f"extractor.values.normalize.{MODULE_OF[function]}")
    result = getattr(module, function)(given)
    if isinstance(result, tuple):
        result = list(result)
    assert result == expected


@pytest.mark.parametrize(
    ("given", "base", "expected"), json.loads((GOLDEN / "urls.json").read_text(encoding="utf-8"))
)
def test_urls(given: str, base: str | None, expected: str | None) -> None:
    assert normalize_url(given, base) == expected


@pytest.mark.parametrize(
    ("symbol", "lang", "url", "expected"),
    [
        ("$", "en-CA", None, "CAD"),
        ("$", None, "https://shop.example.com.au/p", "AUD"),
        ("$", "en", "https://shop.example.com/p", "USD"),
        ("¥", "zh-CN", None, "CNY"),
        ("¥", "ja", None, "JPY"),
        ("¥", None, "https://shop.cn/x", "CNY"),
        ("kr", "da", None, "DKK"),
        ("kr", None, "https://butik.no/", "NOK"),
        ("€", "en-US", None, "EUR"),
    ],
)
def test_currency_default_follows_page_hints(
    symbol: str, lang: str | None, url: str | None, expected: str
) -> None:
    assert pick_currency(symbol, lang=lang, url=url) == expected


def test_euro_area_domains_and_languages_hint_the_euro() -> None:
    assert currency_hints(None, "https://www.shop.at/artikel/1") == ["EUR"]
    assert currency_hints("de-DE", None) == ["EUR"]
    assert currency_hints("de-CH", "https://shop.ch/") == ["CHF", "CHF"]


def test_gtin_check_digit_rejects_every_wrong_digit() -> None:
    code = "4711121603488"
    assert gtin_is_valid(code)
    for wrong in "0123456789":
        if wrong != code[-1]:
            assert not gtin_is_valid(code[:-1] + wrong)
    assert gtin_type("036000291452") == "upc"
    assert gtin_type("96385074") == "gtin8"


def test_find_currencies_gives_offsets_and_candidates() -> None:
    text = "Preis: 1.299,00 € (USD 1,400) ttt€88"
    found = [(text[s:e], codes) for s, e, codes in find_currencies(text)]
    assert found == [("€", ("EUR",)), ("USD", ("USD",)), ("€", ("EUR",))]


def test_find_availability_gives_offsets() -> None:
    text = "Status: nicht auf Lager"
    token, start, end = find_availability(text) or ("", 0, 0)
    assert token == "OutOfStock" and text[start:end] == "nicht auf Lager"


@pytest.mark.parametrize(
    ("attribute", "value", "expected"),
    [
        ("price", "1.299,00 €", "1299.00"),
        ("price", 49, "49.00"),
        ("currency", "€", "EUR"),
        ("availability", "https://schema.org/InStock", "InStock"),
        ("gtin", "EAN 4711121603488", "4711121603488"),
        ("sku", "SKU: A-1", "A1"),
        ("image", "/a.jpg", "https://shop.example/a.jpg"),
        ("breadcrumb", ["Home ", "", "»", "Monitore", " | "], ["Home", "Monitore"]),
        ("rating", "4,5", "4.5"),
        ("wattage", " 60\u00a0W ", "60 W"),
    ],
)
def test_normalize_value_dispatches_by_type(
    attribute: str, value: object, expected: object
) -> None:
    assert normalize_value(attribute, value, page_url="https://shop.example/p") == expected


def test_attribute_schema_types() -> None:
    assert attribute_type("breadcrumb") == "list"
    assert attribute_type("price") == "price"
    assert attribute_type("gtin") == "identifier"
    assert attribute_type("author") == "text"
    schema = AttributeSchema(custom={"isbn": "identifier", "wattage": "text"})
    assert schema.type_of("isbn") == "identifier"
    assert set(STANDARD_ATTRIBUTES) <= set(schema.attributes)
    assert AttributeSchema.from_json(schema.to_json()) == schema
    with pytest.raises(ValueError, match="unknown type"):
        AttributeSchema(custom={"x": "colour"})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("named", "left_out"),
    [
        ({"name", "ingredients", "author", "rating"}, OFFER_ATTRIBUTES),  # a recipe site
        ({"title", "author", "isbn", "price"}, frozenset()),  # a bookshop sells
        ({"name", "image", "description"}, frozenset()),  # a product store's partial labels
        ({"name", "catalog_name"}, frozenset()),  # a comparison site's name is no attribute
        (set(), frozenset()),  # nothing annotated: zero-shot keeps everything
    ],
)
def test_an_annotation_without_an_offer_leaves_the_offer_out(
    named: set[str], left_out: frozenset[str]
) -> None:
    assert offer_left_out(named) == left_out


@pytest.mark.parametrize(
    ("name", "texts", "is_list", "expected"),
    [
        ("price", ["49,90"], False, "price"),
        ("unit_price", ["4,99 € / kg", "3,20 €/kg"], False, "price"),
        ("isbn", ["978-3-16-148410-0"], False, "identifier"),
        ("pieces", ["500", "1000"], False, "number"),
        ("ingredients", ["2 cups flour"], True, "list"),
        ("author", ["Ann Smith"], False, "text"),
        ("publisher", ["Penguin 2021"], False, "text"),
    ],
)
def test_custom_attribute_types_from_their_annotated_texts(
    name: str, texts: list[str], is_list: bool, expected: str
) -> None:
    from extractor.values.schema import infer_attribute_type

    assert infer_attribute_type(name, texts, is_list) == expected


@pytest.mark.parametrize(
    ("texts", "joined"),
    [
        (["2 Tortillas", ", (wheat/regular)"], "2 Tortillas, (wheat/regular)"),
        (["butter", "(", "melted", ")"], "butter (melted)"),
        (["Preheat the oven", " to 180 °C", "."], "Preheat the oven to 180 °C."),
        (["", "one", "  "], "one"),
    ],
)
def test_texts_of_several_nodes_join_as_a_reader_writes_them(texts: list[str], joined: str) -> None:
    assert join_texts(texts) == joined
