"""The page budget: which nodes the encoder reads when a page has more tokens than it may spend."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from extractor.page.dom import Node
from extractor.page.hints import node_hints
from extractor.page.template import (
    xpath_steps,
)

#: Short texts that label the value in the next node ("Marke:", "SKU", "Availability").
_LABEL_TEXT = re.compile(
    r"^\W*(?:brand|marke|marque|marca|hersteller|manufacturer|fabricant|sku|mpn|ean|gtin|isbn|"
    r"upc|art(?:ikel)?[.-]?\s*nr\.?|item\s*(?:no|number|#)|model(?:l)?|ref(?:erence)?|"
    r"availability|verfügbarkeit|disponibilit[éeà]|stock|category|kategorie|rating|reviews?|"
    r"bewertungen?|price|preis|prix|precio)\b[^\n]{0,12}$",
    re.I,
)


_NAME_HINT = re.compile(r"title|name", re.I)


#: How nodes are chosen under a page token budget: ranked by cheap priors, or around the title.
PAGE_BUDGETS = ("priors", "title")


#: Hint words of nodes that usually hold a product value.
_VALUE_HINT = re.compile(
    r"price|preis|prix|precio|prezzo|amount|sku|mpn|gtin|ean|isbn|upc|brand|marke|manufacturer|"
    r"vendor|availab|stock|lager|title|name|product|breadcrumb|rating|review|model|artikel|"
    r"description|descr|offer|currency|sale|discount",
    re.I,
)


_PRICE_TEXT = re.compile(r"\d(?:[\d.,\s\u00a0'’]*\d)?")


_IDENTIFIER_TEXT = re.compile(
    r"\b(?:sku|mpn|ean|gtin|isbn|upc|art(?:ikel)?[.-]?\s*nr|item|model|ref|réf|part)\b|"
    r"\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{4,}\b|\b\d{8,14}\b",
    re.I,
)


def _title_index(nodes: Sequence[Node]) -> int | None:
    """The first node that is an h1 or sits inside one (`<h1><span>Name</span></h1>`)."""
    return next(
        (i for i, n in enumerate(nodes) if n["tag"] == "h1" or "h1" in xpath_steps(n["xpath"])),
        None,
    )


def focus_nodes(nodes: Sequence[Node], counts: Sequence[int], budget: int) -> list[int]:
    """Indices of the nodes around the product title (first h1) that fit a token budget.

    A quarter of the budget goes to what precedes the title (breadcrumb), the rest to what
    follows (price, availability, description); a side that runs out leaves its share to the other.
    """
    anchor = _title_index(nodes)
    anchor = 0 if anchor is None else anchor
    before, after = anchor - 1, anchor
    chosen: list[int] = []
    used = 0
    back_budget = budget // 4
    while used < budget and (before >= 0 or after < len(nodes)):
        forward = after < len(nodes) and (before < 0 or used >= back_budget or after == anchor)
        i = after if forward else before
        if used + counts[i] > budget and chosen:
            if forward:
                after = len(nodes)  # the next node does not fit: stop on this side
            else:
                before = -1
            continue
        chosen.append(i)
        used += counts[i]
        if forward:
            after += 1
        else:
            before -= 1
    return sorted(chosen)


def node_priors(nodes: Sequence[Node], counts: Sequence[int]) -> list[float]:
    """A cheap score per node of how likely it holds a product value: near the title (first h1),
    price-like, an availability phrase, identifier-like, short, or with a value-like hint."""
    from extractor.values.normalize.availability import has_availability_phrase
    from extractor.values.normalize.currencies import CURRENCY_PATTERN

    anchor = _title_index(nodes)
    if anchor is None:  # no h1: a heading or element whose class/id/itemprop says title/name
        anchor = next(
            (
                i
                for i, n in enumerate(nodes)
                if n["tag"] in ("h2", "h3", "span", "div", "p", "strong")
                and _NAME_HINT.search(node_hints(n))
            ),
            None,
        )
    scores: list[float] = []
    after_label = False
    for i, node in enumerate(nodes):
        text = node["text"]
        attrs: Mapping[str, str] = node.get("attrs") or {}  # type: ignore[assignment]
        score = 0.0
        if anchor is not None:
            score += 3.0 * math.exp(-abs(i - anchor) / 40)
            if i == anchor:
                score += 10.0
        elif node["tag"] in ("h2", "h3"):
            score += 1.0
        has_digit = any(c.isdigit() for c in text)
        if has_digit and len(text) < 40 and CURRENCY_PATTERN.search(text):
            score += 2.5
        elif has_digit and len(text) < 24 and _PRICE_TEXT.fullmatch(text.strip()):
            score += 1.0  # a bare amount: its currency may be a sibling node
        if len(text) < 80 and has_availability_phrase(text):
            score += 1.5
        if len(text) < 60 and _IDENTIFIER_TEXT.search(text):
            score += 1.0
        hint = node_hints(node)
        if hint and _VALUE_HINT.search(hint):
            score += 2.0 if attrs.get("itemprop") else 1.5
        if counts[i] <= 8:
            score += 0.3
        if after_label:
            score += 2.0  # the value of a "Brand: / SKU:" label
        after_label = len(text) < 40 and bool(_LABEL_TEXT.match(text))
        if after_label:
            score += 1.5
        scores.append(score)
    return scores


def budget_nodes(
    nodes: Sequence[Node],
    counts: Sequence[int],
    budget: int,
    strategy: str = "priors",
    keep: Sequence[int] = (),
) -> list[int]:
    """Indices (in document order) of the nodes kept under a page token budget.

    `keep` lists nodes that stand where the store's support values stand (in order of
    preference): they come first, and the budget grows by what they take, up to twice its size,
    so that a recipe's ingredients or a book's publisher are read on every page.
    """
    chosen: list[int] = []
    used = 0
    for i in keep:
        if used + counts[i] > budget:
            break
        chosen.append(i)
        used += counts[i]
    budget += used
    if strategy == "title":
        rest = focus_nodes(nodes, counts, budget - used)
        return sorted(set(chosen) | set(rest))
    scores = node_priors(nodes, counts)
    taken = set(chosen)
    for i in sorted(range(len(nodes)), key=lambda i: (-scores[i], i)):
        if i in taken:
            continue
        if used + counts[i] <= budget:
            chosen.append(i)
            used += counts[i]
        if budget - used < 2:
            break
    return sorted(chosen)
