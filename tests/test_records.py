"""Product records follow zyte-common-items and validate as `Product`; confidence sits apart."""

from __future__ import annotations

import pytest
from zyte_common_items import Product

from extractor.values.records import CONFIDENCE_KEY, build_record, record_values, validate_record

URL = "https://shop.example/de/p/acer-cb242ye.html"
VALUES = {
    "name": " Acer CB242YE &amp; Stand ",
    "price": "1.299,00 €",
    "regular_price": "1.499,00",
    "currency": "€",
    "availability": "Auf Lager",
    "description": "Ein  Monitor.",
    "image": ["/img/a.jpg", "//cdn.example/b.jpg"],
    "sku": "SKU: JB-010949",
    "mpn": "UM.QB2EE.E01",
    "gtin": "EAN 4711121603488",
    "brand": "Acer",
    "breadcrumb": ["Startseite", "Monitore"],
    "category": "Monitore",
    "rating": "4,5",
    "review_count": "1.027",
    "wattage": "60 W",
    "catalog_name": "not a page attribute",
}


def test_full_record_uses_zyte_names_and_conventions() -> None:
    record = build_record(URL, VALUES, {"name": 0.91, "price": 0.8, "wattage": 0.5})
    assert record["url"] == URL
    assert record["name"] == "Acer CB242YE & Stand"
    assert record["price"] == "1299.00" and record["regularPrice"] == "1499.00"
    assert record["currency"] == "EUR" and record["currencyRaw"] == "€"
    assert record["availability"] == "InStock"
    assert record["brand"] == {"name": "Acer"}
    assert record["sku"] == "JB-010949" and record["mpn"] == "UM.QB2EE.E01"
    assert record["gtin"] == [{"type": "gtin13", "value": "4711121603488"}]
    assert record["mainImage"] == {"url": "https://shop.example/img/a.jpg"}
    assert record["images"][1] == {"url": "https://cdn.example/b.jpg"}
    assert record["breadcrumbs"] == [{"name": "Startseite"}, {"name": "Monitore"}]
    assert record["aggregateRating"] == {"ratingValue": 4.5, "reviewCount": 1027}
    assert {"name": "wattage", "value": "60 W"} in record["additionalProperties"]
    assert {"name": "category", "value": "Monitore"} in record["additionalProperties"]
    assert "catalog_name" not in str(record["additionalProperties"])
    assert record[CONFIDENCE_KEY] == {
        "name": 0.91,
        "price": 0.8,
        "currency": 0.8,
        "additionalProperties.wattage": 0.5,
    }
    product = validate_record(record)
    assert (
        isinstance(product, Product) and product.gtin and product.gtin[0].value == "4711121603488"
    )


def test_minimal_record_and_dropped_values() -> None:
    record = build_record(
        URL,
        {"price": "49", "regular_price": "39", "gtin": "4711121603487", "availability": "sold out"},
        {"gtin": 0.9},
    )
    assert record["price"] == "49.00"
    assert "regularPrice" not in record  # zyte: regularPrice must be higher than price
    assert "gtin" not in record  # wrong check digit
    assert record["availability"] == "OutOfStock"
    assert record[CONFIDENCE_KEY] == {}  # no confidence for a field the record lacks
    validate_record(record)


def test_currency_raw_from_the_price_text_and_language_hint() -> None:
    record = build_record("https://shop.example.ca/p", {"price": "$1,299.00"}, {})
    assert record["currencyRaw"] == "$" and record["currency"] == "CAD"


def test_validate_rejects_what_product_does_not_accept() -> None:
    with pytest.raises(ValueError):
        validate_record({"url": URL, "price": "twelve"})
    with pytest.raises(ValueError):
        validate_record({"url": URL, "availability": "Auf Lager"})


def test_a_custom_list_stays_a_list_and_records_read_back_to_values() -> None:
    values = {
        "name": "Pancakes",
        "price": "4.50",
        "currency": "EUR",
        "breadcrumb": ["Home", "Breakfast"],
        "ingredients": ["2 cups flour", "1 egg"],
        "author": "Ann",
    }
    record = build_record("https://cook.example/p", values, {"ingredients": 0.9})
    props = [(p["name"], p["value"]) for p in record["additionalProperties"]]
    assert props == [("ingredients", "2 cups flour"), ("ingredients", "1 egg"), ("author", "Ann")]
    back = record_values(record)
    assert back["ingredients"] == ["2 cups flour", "1 egg"] and back["author"] == "Ann"
    assert back["breadcrumb"] == ["Home", "Breakfast"] and back["price"] == "4.50"
    assert record["_confidence"]["additionalProperties.ingredients"] == 0.9
