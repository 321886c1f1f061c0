"""Availability phrases in many languages, and their kin (a buy button for InStock)."""

from __future__ import annotations

import re
from bisect import bisect_right

from extractor.values.matching.page import (
    Hit,
    PageIndex,
)
from extractor.values.matching.result import Span
from extractor.values.normalize.availability import (
    AVAILABILITY_ANY_FOLDED,
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


def match_availability(page: PageIndex, value: str) -> list[Hit]:
    """Short nodes whose phrase normalises to the same (or a kindred) schema.org token."""
    token = normalize_availability(value)
    if token is None:
        return []
    kin = _AVAILABILITY_KIN.get(token, {token})
    hits = []
    joined, starts = page.joined("folded")
    phrases = AVAILABILITY_ANY_FOLDED.finditer(joined)
    phrased = sorted({bisect_right(starts, m.start()) - 1 for m in phrases})
    for i in phrased:
        node = page.nodes[i]
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
