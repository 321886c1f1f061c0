"""Whether two values of an attribute are the same value, under DESIGN.md's normalisation rules.

Used by fusion (does the model agree with the markup?), the wrapper baseline and scoring.
"""

from __future__ import annotations

from typing import Any

from extractor.values.normalize.availability import normalize_availability
from extractor.values.normalize.currencies import currency_codes
from extractor.values.normalize.identifiers import identifier_key
from extractor.values.normalize.prices import parse_number, parse_price
from extractor.values.normalize.text import text_key
from extractor.values.normalize.urls import normalize_url
from extractor.values.schema import AttributeType, attribute_type


def _single(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def values_equal(
    attribute: str,
    predicted: Any,
    gold: Any,
    *,
    page_url: str | None = None,
    kind: AttributeType | None = None,
) -> bool:
    """Whether a prediction equals the gold value after normalising both by the attribute's type."""
    kind = kind or attribute_type(attribute)
    if kind == "list":
        pred_items = predicted if isinstance(predicted, list | tuple) else [predicted]
        gold_items = gold if isinstance(gold, list | tuple) else [gold]
        pred_set = {text_key(str(v)) for v in pred_items if v is not None} - {""}
        gold_set = {text_key(str(v)) for v in gold_items if v is not None} - {""}
        return bool(gold_set) and pred_set == gold_set
    predicted, gold = _single(predicted), _single(gold)
    if predicted is None or gold is None:
        return False
    if kind == "price":
        p, g = parse_price(_plain(predicted)), parse_price(_plain(gold))
        return p is not None and p == g
    if kind == "number":
        p, g = parse_number(_plain(predicted)), parse_number(_plain(gold))
        return p is not None and p == g
    if kind == "url":
        p_url, g_url = normalize_url(str(predicted), page_url), normalize_url(str(gold), page_url)
        return p_url is not None and p_url == g_url
    if kind == "identifier":
        p_id = identifier_key(str(predicted))
        return bool(p_id) and p_id == identifier_key(str(gold))
    if kind == "token" and attribute == "currency":
        # A symbol matches any code it can stand for ("$" is right for USD and for CAD).
        return bool(set(currency_codes(str(predicted))) & set(currency_codes(str(gold))))
    if kind == "token" and attribute == "availability":
        p_token = normalize_availability(str(predicted))
        return p_token is not None and p_token == normalize_availability(str(gold))
    p_text = text_key(str(predicted))
    return bool(p_text) and p_text == text_key(str(gold))


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float) else str(value)
