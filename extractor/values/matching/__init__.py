"""The value matcher: label values -> character spans on a page's text nodes, or why not found.

`match_values` looks for where the page shows each value: prices in any local format, names with
small differences, identifiers and brands with or without separators (preferring the row that a
label such as "EAN" or "Marke" names, `extractor.values.labels`), availability phrases in many
languages (or, for in stock, the product's working buy button when the page says it no other
way), currency symbols near the price, list items in order. Every value is either matched or
reported in `missing` with a reason; nothing is guessed silently. Text nodes hold no images, so
image values are matched against `<img>` elements when the parsed `root` is passed
(`images.image_candidates`).
One module per kind of value, as extruct has one per syntax.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import lxml.html

from extractor.page.dom import Node
from extractor.values.labels import ROW_LABELS
from extractor.values.matching.availability import match_availability
from extractor.values.matching.identifiers import match_identifier
from extractor.values.matching.images import image_candidates, match_image
from extractor.values.matching.numbers import (
    RATING_WORDS,
    match_currency,
    match_number,
    match_price,
)
from extractor.values.matching.page import Hit, PageIndex, best_first, word_tokens
from extractor.values.matching.result import ImageMatch, MatchResult, Span
from extractor.values.matching.text import (
    match_description,
    match_list,
    match_name,
    match_short_text,
)
from extractor.values.normalize.availability import normalize_availability
from extractor.values.normalize.currencies import currency_codes
from extractor.values.normalize.identifiers import identifier_key
from extractor.values.normalize.prices import parse_number, parse_price
from extractor.values.normalize.text import normalize_text
from extractor.values.normalize.urls import normalize_url
from extractor.values.schema import NOT_PAGE_ATTRIBUTES, AttributeType, attribute_type


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return [str(value)] if str(value).strip() else []


#: Attributes matched first: the name anchors the price, the price anchors currency and stock.
_ORDER = {"name": 0, "price": 1, "regular_price": 2, "currency": 3, "availability": 4}


def match_values(
    nodes: Sequence[Node],
    labels: Mapping[str, Any],
    page_url: str | None = None,
    *,
    root: lxml.html.HtmlElement | None = None,
    types: Mapping[str, AttributeType] | None = None,
) -> MatchResult:
    """Turn `{attribute: value or [values]}` into spans on the page's text nodes.

    `types` declares custom attributes' types (default: standard type, else text). URL values
    (`image`) are matched on image elements when `root` is given, else reported missing.

    Where headings show the name whole in several places (a recipe post's title and its recipe
    card's), the name is marked on the one among the record's other values
    (`_name_among_the_values`); the other values keep the places found from the first choice.
    """
    page = PageIndex(nodes, page_url)
    result, name_hits = _match_all(page, labels, root, types)
    chosen = _name_among_the_values(page, result, name_hits, labels.get("name"))
    if chosen is not None:
        hits = sorted(name_hits, key=lambda h: h.index != chosen)  # stable: the rest keep order
        result.spans["name"] = hits[0].spans
        result.occurrences["name"] = [h.spans for h in hits]
    return result


def _match_all(
    page: PageIndex,
    labels: Mapping[str, Any],
    root: lxml.html.HtmlElement | None,
    types: Mapping[str, AttributeType] | None,
) -> tuple[MatchResult, list[Hit]]:
    """Every label on the page, the name first; also the name's hits, best first."""
    result = MatchResult()
    name_hits: list[Hit] = []
    for attribute in sorted(labels, key=lambda a: (_ORDER.get(a, 9), a)):
        values = _as_list(labels[attribute])
        if not values:
            continue
        if attribute in NOT_PAGE_ATTRIBUTES:
            result.missing[attribute] = "not a page attribute (a comparison site's product name)"
            continue
        kind = (types or {}).get(attribute) or attribute_type(attribute)
        if kind == "text" and isinstance(labels[attribute], list | tuple) and len(values) > 1:
            kind = "list"  # a custom attribute given as a list of values (ingredients)
        if kind == "url":
            _match_url_attribute(result, attribute, values[0], root, page.page_url)
            continue
        if kind == "list":
            spans, missed = match_list(page, values)
            if spans:
                result.spans[attribute] = spans
                result.occurrences[attribute] = [spans]
                if missed:
                    shown = ", ".join(repr(values[k]) for k in missed)
                    result.partial[attribute] = (
                        f"{len(missed)} of {len(values)} items not found: {shown}"
                    )
            else:
                result.missing[attribute] = f"none of the {len(values)} items is shown in order"
            continue
        hits = _match_one(page, attribute, kind, values[0], root)
        if not hits:
            result.missing[attribute] = _why_missing(attribute, kind, values[0])
            continue
        result.spans[attribute] = hits[0].spans
        result.occurrences[attribute] = [h.spans for h in hits]
        if attribute == "name":
            name_hits = hits
            page.anchor = hits[0].index
        elif attribute == "price":
            page.price_anchor = hits[0].index
    return result, name_hits


_HEADING = re.compile(r"/h[1-6](?:\[\d+\])?(?:/|$)")


def _name_among_the_values(
    page: PageIndex, result: MatchResult, hits: Sequence[Hit], name: Any
) -> int | None:
    """The node of the name's heading nearest the record's other values (their median node; the
    description, often a section of its own, does not count), where another heading than the
    chosen occurrence shows the name whole; None where the choice stands.

    A recipe post's title (`One Pot Creamy Garlic Chicken`) often differs from its recipe card's
    name (`Creamy Garlic Chicken`), which stands with the ingredients, the author and the
    category on every page; a product's heading stands with its price. Two or more other
    values must be found to place the record.
    """
    if not isinstance(name, str) or len(hits) < 2:
        return None
    words = [t for t, _, _ in word_tokens(normalize_text(name).casefold())]

    def whole_heading(i: int) -> bool:
        return (
            bool(_HEADING.search(page.nodes[i]["xpath"]))
            and not page.chrome(i)
            and [t for t, _, _ in word_tokens(page.folded(i))] == words
        )

    headings = [h.index for h in hits if whole_heading(h.index)]
    if not headings or headings == [hits[0].index]:
        return None
    at = {node["xpath"]: i for i, node in enumerate(page.nodes)}
    others = sorted(
        at[spans[0]["xpath"]]
        for attribute, spans in result.spans.items()
        if attribute not in ("name", "description") and spans and spans[0]["xpath"] in at
    )
    if len(others) < 2:
        return None
    centre = others[len(others) // 2]
    best = min(headings, key=lambda i: (abs(i - centre), i))
    return None if best == hits[0].index else best


def _match_one(
    page: PageIndex,
    attribute: str,
    kind: AttributeType,
    value: str,
    root: lxml.html.HtmlElement | None = None,
) -> list[Hit]:
    if kind == "price":
        return match_price(page, value, regular=attribute == "regular_price")
    if kind == "identifier":
        return match_identifier(page, value, attribute)
    if kind == "number":
        words = RATING_WORDS if attribute in ("rating", "review_count") else None
        return match_number(page, value, words)
    if attribute == "currency":
        return match_currency(page, value)
    if attribute == "availability":
        return match_availability(page, value, root)
    if attribute == "name":
        return match_name(page, value)
    if attribute == "description":
        return match_description(page, value)
    hint = re.compile(re.escape(attribute.split("_")[0]), re.I)
    hits = match_short_text(page, value, hint)
    if attribute in ROW_LABELS:  # the brand beside "Marke", "Hersteller", "Brand:"
        return best_first(hits, lambda h: 0.5 * (_row_of(page, h) == attribute))
    return hits


def _row_of(page: PageIndex, hit: Hit) -> str | None:
    span = hit.spans[0]
    return page.row_label(hit.index, span["start"], span["end"])


def _why_missing(attribute: str, kind: AttributeType, value: str) -> str:
    shown = value if len(value) <= 60 else value[:57] + "..."
    if kind == "price" and parse_price(value) is None:
        return f"not a price: {shown!r}"
    if kind == "number" and parse_number(value) is None:
        return f"not a number: {shown!r}"
    if attribute == "currency" and not currency_codes(value):
        return f"not a currency code or symbol: {shown!r}"
    if attribute == "availability" and normalize_availability(value) is None:
        return f"not an availability: {shown!r}"
    if kind == "identifier" and not identifier_key(value):
        return f"no letters or digits: {shown!r}"
    if normalize_url(value) and kind != "url":
        return f"a URL, not a {kind} value: {shown!r}"
    return f"not shown on the page: {shown!r}"


def _match_url_attribute(
    result: MatchResult,
    attribute: str,
    value: str,
    root: lxml.html.HtmlElement | None,
    page_url: str | None,
) -> None:
    if root is None:
        result.missing[attribute] = "text nodes hold no images: pass root= to match image elements"
        return
    if normalize_url(value, page_url) is None:
        result.missing[attribute] = f"not a URL: {value[:60]!r}"
        return
    matches = match_image(image_candidates(root, page_url), value, page_url)
    if matches:
        result.images[attribute] = matches
    else:
        result.missing[attribute] = f"no image element shows {value[:80]!r}"


__all__ = ["ImageMatch", "MatchResult", "Span", "image_candidates", "match_image", "match_values"]
