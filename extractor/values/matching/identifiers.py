"""Identifiers (SKU, MPN, GTIN) with or without separators."""

from __future__ import annotations

import re

from extractor.values.matching.page import (
    MAX_SCAN,
    Hit,
    PageIndex,
)
from extractor.values.normalize.identifiers import identifier_key

_ID_HINT = re.compile(
    r"sku|mpn|ean|gtin|upc|isbn|art|nr|nummer|number|no\.|#|model|item|part|herst|mfr|ref|code",
    re.I,
)


def match_identifier(page: PageIndex, value: str, attribute: str) -> list[Hit]:
    """The identifier's letters and digits in order, any separators between, whole-word."""
    key = identifier_key(value)
    if not key:
        return []
    if attribute == "gtin":
        key = key.lstrip("0") or key  # GTIN-13 "0194..." is shown as UPC "194..." too
    chars = r"[\W_]*".join(re.escape(c) for c in key)
    zeros = "0*" if attribute == "gtin" else ""
    pattern = re.compile(rf"(?<![^\W_]){zeros}{chars}(?![^\W_])")
    hits = []
    for i in page.containing([key], "alnum"):
        if len(page.nodes[i]["text"]) > MAX_SCAN:
            continue
        folded = page.folded(i)
        for match in pattern.finditer(folded):
            own = (match.end() - match.start()) / max(len(folded), 1)
            hinted = bool(_ID_HINT.search(folded[: match.start()])) or page.near(i, _ID_HINT, 2, 0)
            span = page.source_span(i, match.start(), match.end())
            # A row labelled with this attribute ("EAN", "Art.-Nr.:") is where the page shows
            # it; a row labelled with another one shows the same code as something else.
            row = page.row_label(i, span["start"], span["end"])
            score = 1.0 + 0.3 * own + 0.3 * hinted - 0.2 * page.chrome(i)
            score += 0.5 * (row == attribute) - 0.3 * (row is not None and row != attribute)
            score -= 0.2 * page.distance(i, page.anchor)
            hits.append(Hit(score, [span], i))
    return sorted(hits, key=lambda h: (-h.score, h.index))
