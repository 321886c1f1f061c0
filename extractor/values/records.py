"""Product records: attribute values -> zyte-common-items `Product` dicts, with confidences.

A record is `ZyteItemAdapter(Product).asdict()` (zyte field names and value conventions, empty
fields left out) plus one key outside the Product fields, `_confidence`: `{field: float}` for the
record's own fields (`price`, `brand`, `additionalProperties.<name>`...). Values are normalised with
`extractor.values.normalize`; this module only maps attributes onto fields.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from itemadapter import ItemAdapter
from price_parser import Price
from zyte_common_items import (
    AdditionalProperty,
    AggregateRating,
    Brand,
    Breadcrumb,
    Gtin,
    Image,
    Product,
)
from zyte_common_items.adapter import ZyteItemAdapter

from extractor.values.normalize import normalize_list
from extractor.values.normalize.availability import normalize_availability
from extractor.values.normalize.currencies import currency_codes, pick_currency
from extractor.values.normalize.identifiers import (
    clean_identifier,
    gtin_type,
    normalize_gtin,
    normalize_identifier,
)
from extractor.values.normalize.prices import normalize_number, normalize_price, parse_price
from extractor.values.normalize.text import normalize_text
from extractor.values.normalize.urls import normalize_url
from extractor.values.schema import NOT_PAGE_ATTRIBUTES, STANDARD_ATTRIBUTES

logger = logging.getLogger(__name__)

#: The key of the per-field confidence mapping in a record (not a Product field).
CONFIDENCE_KEY = "_confidence"
#: zyte-common-items accepts only these two availability values; schema.org tokens map onto them.
_IN_STOCK = {"InStock", "LimitedAvailability", "OnlineOnly", "InStoreOnly", "PreOrder", "PreSale",
             "BackOrder", "MadeToOrder"}  # fmt: skip
#: Attribute -> Product field, for the confidence mapping.
FIELD_OF = {
    "name": "name",
    "price": "price",
    "regular_price": "regularPrice",
    "currency": "currency",
    "availability": "availability",
    "description": "description",
    "image": "mainImage",
    "sku": "sku",
    "brand": "brand",
    "mpn": "mpn",
    "gtin": "gtin",
    "breadcrumb": "breadcrumbs",
    "rating": "aggregateRating",
    "review_count": "aggregateRating",
}


class _Adapter(ItemAdapter):
    ADAPTER_CLASSES = [ZyteItemAdapter]


def _first(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def _text(value: Any) -> str | None:
    value = _first(value)
    if value is None:
        return None
    return normalize_text(str(value)) or None


def build_product(url: str, values: Mapping[str, Any], lang: str | None = None) -> Product:
    """A zyte `Product` from `{attribute: value}`; custom attributes become additionalProperties."""
    fields: dict[str, Any] = {"url": url}
    if name := _text(values.get("name")):
        fields["name"] = name
    price_raw = _first(values.get("price"))
    price = normalize_price(price_raw) if price_raw is not None else None
    if price:
        fields["price"] = price
        regular = normalize_price(_first(values.get("regular_price")) or "")
        if regular and Decimal(regular) > Decimal(price):  # zyte: regularPrice > price, or none
            fields["regularPrice"] = regular
    currency_raw = _text(values.get("currency"))
    if currency_raw is None and isinstance(price_raw, str):
        currency_raw = _currency_in(price_raw)
    if currency_raw:
        fields["currencyRaw"] = currency_raw
        if code := pick_currency(currency_raw, lang=lang, url=url):
            fields["currency"] = code
    token = normalize_availability(_text(values.get("availability")))
    if token:
        fields["availability"] = "InStock" if token in _IN_STOCK else "OutOfStock"
    if description := _text(values.get("description")):
        fields["description"] = description
    images = [u for u in (normalize_url(str(v), url) for v in _as_list(values.get("image"))) if u]
    if images:
        fields["mainImage"] = Image(url=images[0])
        fields["images"] = [Image(url=u) for u in dict.fromkeys(images)]
    for attribute in ("sku", "mpn"):
        if identifier := _text(values.get(attribute)):
            fields[attribute] = clean_identifier(identifier)
    gtins = _gtins(values.get("gtin"))
    if gtins:
        fields["gtin"] = gtins
    if brand := _text(values.get("brand")):
        fields["brand"] = Brand(name=brand)
    crumbs = normalize_list(values["breadcrumb"]) if values.get("breadcrumb") else []
    if crumbs:
        fields["breadcrumbs"] = [Breadcrumb(name=c) for c in crumbs]
    rating = normalize_number(_text(values.get("rating")))
    count = normalize_number(_text(values.get("review_count")))
    if rating is not None or count is not None:
        fields["aggregateRating"] = AggregateRating(
            ratingValue=float(rating) if rating is not None else None,
            reviewCount=int(Decimal(count)) if count is not None else None,
        )
    extra = [
        AdditionalProperty(name=k, value=item)
        for k, v in values.items()
        if k not in STANDARD_ATTRIBUTES and k not in NOT_PAGE_ATTRIBUTES
        for item in _extra_items(v)
    ]
    if category := _text(values.get("category")):
        extra.insert(0, AdditionalProperty(name="category", value=category))
    if extra:
        fields["additionalProperties"] = extra
    return Product(**fields)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _extra_items(value: Any) -> list[str]:
    """A custom attribute's value as property values: a list keeps its items, in order, as one
    property each (zyte's AdditionalProperty holds one string)."""
    if isinstance(value, list | tuple):
        return normalize_list([str(v) for v in value])
    text = normalize_text(str(value)) if value is not None else ""
    return [text] if text else []


def record_values(record: Mapping[str, Any]) -> dict[str, Any]:
    """The attribute values a record holds (the inverse of `build_record`): standard fields
    back to their attributes, additional properties back to custom attributes (a list when
    the attribute was one: several properties of the same name)."""
    values: dict[str, Any] = {}
    for attribute, field in FIELD_OF.items():
        found = record.get(field)
        if found is None:
            continue
        if attribute == "image":
            values[attribute] = found.get("url") if isinstance(found, Mapping) else found
        elif attribute == "brand":
            values[attribute] = found.get("name") if isinstance(found, Mapping) else found
        elif attribute == "gtin":
            values[attribute] = [g.get("value") for g in found if isinstance(g, Mapping)]
        elif attribute == "breadcrumb":
            values[attribute] = [c.get("name") for c in found if isinstance(c, Mapping)]
        elif attribute in ("rating", "review_count"):
            key = "ratingValue" if attribute == "rating" else "reviewCount"
            if isinstance(found, Mapping) and found.get(key) is not None:
                values[attribute] = found[key]
        else:
            values[attribute] = found
    custom: dict[str, list[str]] = {}
    for prop in record.get("additionalProperties") or []:
        custom.setdefault(str(prop["name"]), []).append(str(prop["value"]))
    for name, items in custom.items():
        values[name] = items if len(items) > 1 else items[0]
    return values


def _currency_in(price_text: str) -> str | None:
    raw = Price.fromstring(price_text).currency
    return raw if raw and currency_codes(raw) else None


def _gtins(value: Any) -> list[Gtin]:
    found = []
    for raw in _as_list(value):
        code = normalize_gtin(str(raw))
        if code is None:
            logger.info("GTIN %r left out: not a valid GTIN-8/12/13/14", raw)
            continue
        found.append(Gtin(type=gtin_type(code) or "gtin13", value=code))
    return found


def build_record(
    url: str,
    values: Mapping[str, Any],
    confidence: Mapping[str, float] | None = None,
    lang: str | None = None,
) -> dict[str, Any]:
    """A JSON-ready product record: zyte Product fields plus `_confidence` per field."""
    product = build_product(url, values, lang=lang)
    record: dict[str, Any] = _Adapter(product).asdict()
    scores: dict[str, float] = {}
    for attribute, score in (confidence or {}).items():
        if attribute in NOT_PAGE_ATTRIBUTES:
            continue
        field = FIELD_OF.get(attribute) or f"additionalProperties.{attribute}"
        present = field in record or (
            field.startswith("additionalProperties.")
            and any(
                p["name"] == field.split(".", 1)[1] for p in record.get("additionalProperties", [])
            )
        )
        if present:
            scores[field] = round(min(scores.get(field, 1.0), float(score)), 4)
    if "currency" in record and "currency" not in scores and "price" in scores:
        scores["currency"] = scores["price"]
    record[CONFIDENCE_KEY] = scores
    return record


def validate_record(record: Mapping[str, Any]) -> Product:
    """Read a record back into a `Product` (raises ValueError/TypeError when it does not fit)."""
    data = {k: v for k, v in record.items() if k != CONFIDENCE_KEY}
    product = Product.from_dict(data)
    if product.price is not None and parse_price(product.price) is None:
        raise ValueError(f"price {product.price!r} is not a decimal string")
    if product.availability not in (None, "InStock", "OutOfStock"):
        raise ValueError(f"availability {product.availability!r} is not InStock/OutOfStock")
    for item in product.gtin or []:
        if normalize_identifier(item.value) != item.value:
            raise ValueError(f"GTIN {item.value!r} is not digits only")
    return product
