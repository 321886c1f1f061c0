"""Scoring rules of DESIGN.md: one test per normalisation rule, counts, not-shown, macro F1."""

from __future__ import annotations

import json

import pytest

from extractor.values.equality import values_equal
from metatrain.scoring import ScoredPage, score_pages

URL = "https://shop.example/p/1.html"


@pytest.mark.parametrize(
    ("attribute", "predicted", "gold", "equal"),
    [
        # Text: NFKC, case-folded, whitespace collapsed, surrounding punctuation stripped.
        ("name", "  ＡＣＥＲ  cb242ye.", "Acer CB242YE", True),
        ("name", "«Wool Blend Coat»", "wool blend coat", True),
        ("name", "Wool-Blend Coat", "Wool Blend Coat", False),
        ("brand", "H&amp;M", "H&M", True),
        # Price: numeric equality, any local format.
        ("price", "1.299,00 €", "1299.00", True),
        ("price", "$1,299", "1299", True),
        ("price", "12,-", "12.00", True),
        ("price", "1299.01", "1299", False),
        ("regular_price", "49", "49.0", True),
        # Currency: ISO code; a symbol matches any code it can stand for.
        ("currency", "$", "CAD", True),
        ("currency", "$", "USD", True),
        ("currency", "¥", "CNY", True),
        ("currency", "€", "USD", False),
        ("currency", "eur", "EUR", True),
        # Availability: schema.org token.
        ("availability", "Auf Lager", "InStock", True),
        ("availability", "http://schema.org/InStock", "InStock", True),
        ("availability", "sold out", "InStock", False),
        # Identifiers: letters and digits only.
        ("sku", "um.qb2ee.e01", "UM-QB2EE-E01", True),
        ("gtin", "4711-1216-03488", "4711121603488", True),
        ("mpn", "60005830", "60005831", False),
        # Image: same URL after resolving against the page URL.
        ("image", "/img/a.jpg", "https://shop.example/img/a.jpg", True),
        ("image", "//shop.example/img/a.jpg", "https://shop.example/img/a.jpg", True),
        ("image", "/img/b.jpg", "https://shop.example/img/a.jpg", False),
        # Lists: same set of items.
        ("breadcrumb", ["monitore", "Home"], ["Home", "Monitore"], True),
        ("breadcrumb", ["Home"], ["Home", "Monitore"], False),
        # Numbers.
        ("rating", "4,5", "4.5", True),
        ("review_count", "1.027", "1027", True),
        # Custom attributes are text unless declared.
        ("wattage", "60 W.", "60 w", True),
    ],
)
def test_rules(attribute: str, predicted: object, gold: object, equal: bool) -> None:
    assert values_equal(attribute, predicted, gold, page_url=URL) is equal


def test_counts_precision_recall_and_macro() -> None:
    pages = [
        ScoredPage(gold={"name": "A", "price": "10"}, predicted={"name": "a", "price": "11"}),
        ScoredPage(gold={"name": "B", "price": "20"}, predicted={"price": "20,00 €"}),
        ScoredPage(gold={"name": "C"}, predicted={"name": "C", "price": "5"}),
    ]
    report = score_pages(pages)
    name, price = report.attributes["name"], report.attributes["price"]
    assert (name.tp, name.predicted, name.gold) == (2, 2, 3)
    assert (price.tp, price.predicted, price.gold) == (1, 3, 2)
    assert name.precision == 1.0 and name.recall == pytest.approx(2 / 3)
    assert price.f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert report.macro_f1 == pytest.approx((name.f1 + price.f1) / 2)
    assert json.loads(json.dumps(report.to_dict()))["attributes"]["name"]["tp"] == 2


def test_not_shown_is_reported_apart_and_not_scored() -> None:
    pages = [
        ScoredPage(gold={"price": "10"}, predicted={"price": "99"}, not_shown={"price"}),
        ScoredPage(gold={"price": "10"}, predicted={"price": "10"}),
    ]
    report = score_pages(pages)
    price = report.attributes["price"]
    assert (price.tp, price.predicted, price.gold, price.not_shown) == (1, 1, 1, 1)
    assert report.not_shown == {"price": 1}
    assert report.to_dict()["not_shown"] == {"price": 1}


def test_catalog_name_is_never_scored_as_name() -> None:
    page = ScoredPage(gold={"catalog_name": "Acer CB2"}, predicted={"name": "Acer CB2"})
    report = score_pages([page])
    assert "catalog_name" not in report.attributes
    assert report.attributes["name"].tp == 0 and report.attributes["name"].gold == 0


def test_partial_labels_leave_unlabelled_predictions_out() -> None:
    full = score_pages([ScoredPage(gold={"name": "A"}, predicted={"name": "A", "brand": "X"})])
    partial = score_pages(
        [ScoredPage(gold={"name": "A"}, predicted={"name": "A", "brand": "X"}, partial=True)]
    )
    assert full.attributes["brand"].predicted == 1
    assert partial.attributes["brand"].predicted == 0


def test_attribute_filter_and_custom_types() -> None:
    page = ScoredPage(
        gold={"isbn": "978-3-16-148410-0", "name": "B"}, predicted={"isbn": "9783161484100"}
    )
    report = score_pages([page], attributes={"isbn"}, types={"isbn": "identifier"})
    assert set(report.attributes) == {"isbn"} and report.attributes["isbn"].tp == 1
