"""Prices and numbers in any local format -> Decimal and a plain decimal string."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from price_parser import Price

from extractor.values.normalize.text import (
    normalize_text,
)

_PLAIN_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")


def _to_decimal(
    value: str | float | Decimal, decimal_separator: str | None = None
) -> Decimal | None:
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int | float):
        if isinstance(value, bool):
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    text = normalize_text(value)
    if not text:
        return None
    # A plain decimal ("1299.00", "49") is read as such; three decimals stay ambiguous ("1.299"
    # is a thousand-and-some in most of Europe), so those go through price-parser, unless the
    # integer part is 0 (no thousands group follows a leading zero).
    if _PLAIN_DECIMAL.fullmatch(text) and (
        not re.search(r"\.\d{3}$", text) or text.lstrip("-").startswith("0")
    ):
        return Decimal(text)
    amount = Price.fromstring(text, decimal_separator=decimal_separator).amount
    return amount if amount is not None and amount.is_finite() else None


def parse_price(
    value: str | float | Decimal, decimal_separator: str | None = None
) -> Decimal | None:
    """The amount of a price in any local format (`1.299,00 €`, `$1,299`, `12,-`), else None."""
    return _to_decimal(value, decimal_separator)


def format_price(amount: Decimal) -> str:
    """A plain decimal string with at least two decimals (zyte-common-items' convention)."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent <= -2:
        return format(amount, "f")
    return format(amount.quantize(Decimal("0.01")), "f")


def normalize_price(value: str | float | Decimal | None) -> str | None:
    """A price as a plain decimal string (`1.299,00 €` -> `1299.00`), else None."""
    if value is None:
        return None
    amount = parse_price(value)
    return format_price(amount) if amount is not None else None


def parse_number(value: str | float | Decimal | None) -> Decimal | None:
    """A rating or count in any local format (`4,5`, `1.027`), else None."""
    if value is None:
        return None
    return _to_decimal(value)


def normalize_number(value: str | float | Decimal | None) -> str | None:
    """A number as a plain decimal string without trailing zeros (`4,50` -> `4.5`)."""
    number = parse_number(value)
    if number is None:
        return None
    text = format(number.normalize(), "f")
    return text
