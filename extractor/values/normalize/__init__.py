"""Value normalisers, one module per kind of value (text, identifiers, prices, currencies,
availability, URLs), and the dispatch by attribute type.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

from extractor.values.normalize.availability import (
    normalize_availability,
)
from extractor.values.normalize.currencies import (
    currency_codes,
    pick_currency,
)
from extractor.values.normalize.identifiers import (
    normalize_gtin,
    normalize_identifier,
)
from extractor.values.normalize.prices import (
    normalize_number,
    normalize_price,
)
from extractor.values.normalize.text import (
    _ALNUM,
    normalize_text,
)
from extractor.values.normalize.urls import normalize_url
from extractor.values.schema import AttributeType, attribute_type


def usable_span(name: str, raw: object) -> object:
    """The model's value if it can be the attribute's, else None: a price must parse, an
    availability read as a schema.org token, a currency name one, text hold a letter or digit
    (a list keeps only such items: a breadcrumb without its `|` and `>`)."""
    if name == "currency":
        return raw if isinstance(raw, str) and currency_codes(raw) else None
    if isinstance(raw, list):
        items = [item for item in raw if isinstance(item, str) and _ALNUM.search(item)]
        return items or None
    if not isinstance(raw, str) or not _ALNUM.search(raw):
        return None
    if attribute_type(name) == "price" and normalize_price(raw) is None:
        return None
    if name == "availability" and normalize_availability(raw) is None:
        return None
    return raw


def normalize_list(values: str | Iterable[str]) -> list[str]:
    """Display-normalised items of a list that hold a letter or digit (a single string is one
    item): a breadcrumb's `»` and `>` between its links are no items."""
    items = [values] if isinstance(values, str) else list(values)
    return [text for text in (normalize_text(str(v)) for v in items) if _ALNUM.search(text)]


@lru_cache(maxsize=64)
def _kind(attribute: str) -> AttributeType:
    return attribute_type(attribute)


def normalize_value(
    attribute: str,
    value: object,
    *,
    page_url: str | None = None,
    kind: AttributeType | None = None,
) -> str | list[str] | None:
    """Normalise one attribute value by its type (standard type unless `kind` is given)."""
    if value is None:
        return None
    kind = kind or _kind(attribute)
    if kind == "list":
        return normalize_list(value if isinstance(value, list) else str(value))
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    text = str(value) if not isinstance(value, Decimal) else format(value, "f")
    if kind == "price":
        return normalize_price(value if isinstance(value, int | float | Decimal) else text)
    if kind == "number":
        return normalize_number(text)
    if kind == "url":
        return normalize_url(text, page_url)
    if kind == "identifier":
        if attribute == "gtin":
            return normalize_gtin(text) or normalize_identifier(text) or None
        return normalize_identifier(text) or None
    if kind == "token":
        if attribute == "currency":
            return pick_currency(text, url=page_url)
        if attribute == "availability":
            return normalize_availability(text)
    return normalize_text(text) or None
