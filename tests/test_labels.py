"""Labelled rows: "Art.-Nr.", "EAN", "Marke"... name the value beside them."""

from __future__ import annotations

import pytest

from extractor.page.dom import parse_html, text_nodes
from extractor.page.input import as_page
from extractor.values.fusion import FusionSettings, fill_from_page
from extractor.values.labels import label_attribute, labelled_rows, row_values
from extractor.values.matching import match_values


@pytest.mark.parametrize(
    ("label", "attribute"),
    [
        ("Art.-Nr.:", "sku"),
        ("Artikelnummer", "sku"),
        ("Art. Nr.", "sku"),
        ("Item #", "sku"),
        ("Item number", "sku"),
        ("SKU", "sku"),
        ("Bestellnummer:", "sku"),
        ("Référence", "sku"),
        ("Model", "mpn"),
        ("Modell", "mpn"),
        ("Modellnummer", "mpn"),
        ("MPN", "mpn"),
        ("Herstellernummer", "mpn"),
        ("Hersteller-Nr.", "mpn"),
        ("Part number", "mpn"),
        ("EAN", "gtin"),
        ("GTIN", "gtin"),
        ("UPC", "gtin"),
        ("ISBN-13", "gtin"),
        ("EAN-Code:", "gtin"),
        ("Hersteller", "brand"),
        ("Marke:", "brand"),
        ("Brand", "brand"),
        ("Manufacturer", "brand"),
        ("Fabricant", "brand"),
        ("Marque", "brand"),
        ("Marca", "brand"),
        ("Produttore", "brand"),
        ("Farbe", None),
        ("Artikel", None),  # a cart table's column, not a row label
    ],
)
def test_label_vocabulary(label: str, attribute: str | None) -> None:
    assert label_attribute(label) == attribute


SPECS = """<html><body><nav><dl><dt>Marke</dt><dd>Menü</dd></dl></nav><main>
<h1>Acer CB242YE</h1>
<p>Art.-Nr.: A-M1609039088 · EAN 4711121603488</p>
<table><tr><th>EAN</th><td>4711121603488</td></tr>
<tr><th>Herstellernummer</th><td>UM.QB2EE.E01</td></tr>
<tr><th>Farbe</th><td>schwarz</td></tr></table>
<dl><dt>Marke</dt><dd><a href="/acer">Acer</a></dd></dl>
<ul><li><b>Item #</b> 12345</li><li>SKU: AB-12 | In stock</li></ul>
</main></body></html>"""


def test_rows_of_tables_definition_lists_and_lines() -> None:
    rows = [(r.attribute, r.label, r.value) for r in labelled_rows(text_nodes(SPECS))]
    assert rows == [
        ("sku", "Art.-Nr", "A-M1609039088"),
        ("gtin", "EAN", "4711121603488"),
        ("gtin", "EAN", "4711121603488"),
        ("mpn", "Herstellernummer", "UM.QB2EE.E01"),
        ("brand", "Marke", "Acer"),  # not the navigation's "Menü"
        ("sku", "Item #", "12345"),
        ("sku", "SKU", "AB-12"),
    ]


def test_a_gtin_row_needs_a_valid_check_digit() -> None:
    html = "<table><tr><th>EAN</th><td>4711121603489</td></tr></table>"
    assert labelled_rows(text_nodes(html)) == []


def test_row_values_take_the_row_nearest_after_the_name() -> None:
    html = (
        "<body><p>SKU: OTHER-1</p><h1>Kanne</h1><p>x</p><p>SKU: KAN-7</p>"
        "<p>Brand: by</p><a>Acme</a></body>"
    )
    nodes = text_nodes(html)
    rows = row_values(nodes, anchor=1)
    assert rows["sku"].value == "KAN-7"
    html = "<body><h1>Kanne</h1><dl><dt>Brand Name</dt><dd>by</dd><dd>Acme</dd></dl></body>"
    assert row_values(text_nodes(html))["brand"].value == "Acme"


def test_matcher_prefers_the_labelled_occurrence() -> None:
    # The same digits stand in a "Bestellnummer" row and, first, in an "EAN" row.
    html = (
        "<body><h1>Kanne</h1><table><tr><th>EAN</th><td>4006381333931</td></tr>"
        "<tr><th>Bestellnummer</th><td>4006381333931</td></tr>"
        "<tr><th>Hersteller</th><td>Rotring</td></tr></table>"
        "<p>Mehr von Rotring</p></body>"
    )
    nodes = text_nodes(html)
    result = match_values(nodes, {"sku": "4006381333931", "brand": "Rotring"})
    assert "/tr[2]/" in result.spans["sku"][0]["xpath"]
    assert "/tr[3]/" in result.spans["brand"][0]["xpath"]
    gtin = match_values(nodes, {"gtin": "4006381333931"})
    assert "/tr[1]/" in gtin.spans["gtin"][0]["xpath"]


def test_fusion_reads_missing_identifiers_and_brand_from_rows() -> None:
    page = as_page(("https://shop.example/p", SPECS))
    assert page.nodes and parse_html(SPECS) is not None
    values: dict[str, object] = {"name": "Acer CB242YE", "sku": "A-M1609039088"}
    confidence = {"name": 0.9, "sku": 0.95}
    settings = FusionSettings()
    fill_from_page(values, confidence, page, settings=settings)
    assert values["sku"] == "A-M1609039088" and confidence["sku"] == 0.95  # the model's stays
    assert values["gtin"] == "4711121603488"
    assert values["mpn"] == "UM.QB2EE.E01"
    assert values["brand"] == "Acer"
    assert confidence["brand"] == settings.labelled_row < settings.shown_markup
