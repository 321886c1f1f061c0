"""Words in a node's class, id and itemprop attributes that tell what it holds.

The value matcher (annotation) and the price rules (decoding) read the same words, so that a
price the matcher annotates is one the decoder would take.
"""

from __future__ import annotations

import re
from typing import Any

from extractor.page.dom import Node

#: Words that mark a price element (in the languages of the shops we meet).
PRICE_HINT = re.compile(
    r"price|preis|prix|prezzo|precio|pre[cç]o|prijs|pris|cena|fiyat|cost|amount|betrag", re.I
)
#: Words of a struck-through, former or list price.
OLD_PRICE_HINT = re.compile(
    r"(?<![a-z])(?:old|was|strike|deprecated|before|uvp|rrp|msrp|compare|crossed|statt)"
    r"|oldprice|line-?through",
    re.I,
)


def node_hints(node: Node) -> str:
    """The node's class, id and itemprop, space-separated."""
    attrs: Any = node.get("attrs") or {}
    return f"{attrs.get('class', '')} {attrs.get('id', '')} {attrs.get('itemprop', '')}"
