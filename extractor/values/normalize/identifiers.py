"""Identifiers: SKU, MPN and GTIN without their labels; GTIN check digits."""

from __future__ import annotations

import re

from extractor.values.normalize.text import (
    _NOT_ALNUM,
    normalize_text,
)

#: A label in front of an identifier ("SKU:", "Art.-Nr.", "EAN #"), dropped before normalising.
ID_LABEL = re.compile(
    r"^\s*(?:sku|mpn|ean(?:[- ]?13)?|gtin(?:-?\d+)?|upc|isbn(?:-?1[03])?|item(?: no\.?| number)?"
    r"|art(?:ikel)?\.?[- ]?(?:nr|nummer)\.?|artikelnummer|bestellnummer|best\.?-?nr\.?"
    r"|herstellernummer|hersteller-?(?:art\.?-?)?nr\.?|mfr\.? ?(?:part )?(?:no|#)\.?"
    r"|model(?: no\.?)?"
    r"|part(?: no\.?| number)?|ref(?:erence)?\.?|réf\.?|código)\s*(?:[:#]\s*|\s+(?=\S*\d))",
    re.IGNORECASE,
)


def clean_identifier(value: str) -> str:
    """An identifier as shown, without a leading label (`SKU: AB-12` -> `AB-12`)."""
    text = normalize_text(value)
    return ID_LABEL.sub("", text, count=1).strip() or text


def normalize_identifier(value: str) -> str:
    """Letters and digits only, a leading label dropped (`SKU: AB-12 34` -> `AB1234`)."""
    text = normalize_text(value)
    stripped = ID_LABEL.sub("", text, count=1)
    return _NOT_ALNUM.sub("", stripped or text)


def identifier_key(value: str) -> str:
    """The comparison form of an identifier: letters and digits only, case-folded."""
    return normalize_identifier(value).casefold()


def gtin_is_valid(code: str) -> bool:
    """Whether a GTIN-8/12/13/14 has a correct GS1 check digit."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    # Weights 3,1,3,1... counted from the digit next to the check digit.
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def normalize_gtin(value: str) -> str | None:
    """The digits of a valid GTIN-8/12/13/14 (prefixes like `EAN:` dropped), else None."""
    digits = re.sub(r"\D", "", normalize_text(value))
    return digits if gtin_is_valid(digits) else None


def gtin_type(code: str) -> str | None:
    """The zyte-common-items GTIN type of a valid code (`gtin8`, `upc`, `gtin13`, `gtin14`)."""
    if not gtin_is_valid(code):
        return None
    return {8: "gtin8", 12: "upc", 13: "gtin13", 14: "gtin14"}[len(code)]
