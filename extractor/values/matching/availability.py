"""Availability phrases in many languages and their kin, and the buy button for InStock."""

from __future__ import annotations

import re

import lxml.html

from extractor.page.buy_button import buy_button_availability
from extractor.values.matching.page import (
    Hit,
    PageIndex,
)
from extractor.values.matching.result import Span
from extractor.values.normalize.availability import (
    BUY_BUTTON,
    find_availability,
    normalize_availability,
)

_STOCK_HINT = re.compile(r"stock|avail|lager|liefer|deliver|verfüg|dispon|inventory", re.I)


#: Availability tokens that say the same thing for the matcher (a page says "only 3 left").
_AVAILABILITY_KIN = {
    "InStock": {"InStock", "LimitedAvailability", "OnlineOnly"},
    "LimitedAvailability": {"LimitedAvailability", "InStock"},
    "OutOfStock": {"OutOfStock", "SoldOut", "Discontinued"},
    "SoldOut": {"SoldOut", "OutOfStock"},
    "PreSale": {"PreSale", "PreOrder"},
    "PreOrder": {"PreOrder", "PreSale"},
}


#: Score of the buy button's words as the place that shows "in stock" (below any phrase).
_BUTTON_SCORE = 0.5


def match_availability(
    page: PageIndex, value: str, root: lxml.html.HtmlElement | None = None
) -> list[Hit]:
    """Short nodes whose phrase normalises to the same (or a kindred) schema.org token; for
    InStock on a page without such a phrase, the words of the product's working buy button
    (`extractor.page.buy_button`: a page that sells says so with its button)."""
    token = normalize_availability(value)
    if token is None:
        return []
    hits = _phrase_hits(page, token)
    if not hits and token == "InStock" and root is not None:
        hits = _buy_button_hits(page, root)
    return hits


def _buy_button_hits(page: PageIndex, root: lxml.html.HtmlElement) -> list[Hit]:
    """The text nodes of the enabled add-to-cart button in the product's block, as one hit."""
    anchor = page.price_anchor if page.price_anchor is not None else page.anchor
    button = buy_button_availability(root, page.nodes, anchor)
    if button is None or button.availability != "InStock" or not button.nodes:
        return []
    spans = []
    for i in button.nodes:
        text = page.nodes[i]["text"]
        words = BUY_BUTTON.search(text) if len(button.nodes) == 1 else None
        start, end = (words.start(), words.end()) if words else (0, len(text))
        spans.append(Span(xpath=page.nodes[i]["xpath"], start=start, end=end, text=text[start:end]))
    return [Hit(_BUTTON_SCORE, spans, button.nodes[0])]


def _phrase_hits(page: PageIndex, token: str) -> list[Hit]:
    """Short nodes near the product whose phrase says `token` or a kindred one."""
    kin = _AVAILABILITY_KIN.get(token, {token})
    hits = []
    for i, node in enumerate(page.nodes):
        text = node["text"]
        if len(text) > 80:
            continue
        found = find_availability(text)
        if found is None or found[0] not in kin:
            continue
        found_token, start, end = found
        hinted = bool(_STOCK_HINT.search(page.hints(i)))
        anchor = page.price_anchor if page.price_anchor is not None else page.anchor
        distance = page.distance(i, anchor)
        if anchor is not None and distance >= 0.75 and not hinted:
            continue  # "available" in a menu far from the product says nothing about it
        score = 1.0 + 0.3 * (found_token == token) + 0.3 * hinted
        score -= 0.3 * (len(text) > 40) + 0.3 * page.chrome(i) + 0.5 * distance
        hits.append(
            Hit(score, [Span(xpath=node["xpath"], start=start, end=end, text=text[start:end])], i)
        )
    return sorted(hits, key=lambda h: (-h.score, h.index))
