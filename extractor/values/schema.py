"""The attribute schema: standard product attributes and custom ones, each with a value type."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

#: How an attribute's values are normalised, matched on a page and scored.
AttributeType = Literal["text", "price", "url", "token", "list", "identifier", "number"]
ATTRIBUTE_TYPES: tuple[str, ...] = get_args(AttributeType)

#: The standard attributes every store has (zero-shot extraction covers these).
STANDARD_ATTRIBUTES: Mapping[str, AttributeType] = {
    "name": "text",
    "price": "price",
    "regular_price": "price",
    "currency": "token",
    "availability": "token",
    "description": "text",
    "image": "url",
    "sku": "identifier",
    "brand": "text",
    "mpn": "identifier",
    "gtin": "identifier",
    "breadcrumb": "list",
    "category": "text",
    "rating": "number",
    "review_count": "number",
}

#: The standard attributes whose values are prices, and those whose values are lists.
PRICE_ATTRIBUTES = frozenset(a for a, kind in STANDARD_ATTRIBUTES.items() if kind == "price")
LIST_ATTRIBUTES = frozenset(a for a, kind in STANDARD_ATTRIBUTES.items() if kind == "list")

#: Attributes that labels may carry but that are never a page attribute (a comparison site's name).
NOT_PAGE_ATTRIBUTES = frozenset({"catalog_name"})

#: Attributes whose value is the site's own, the same on every page of it (the site's name):
#: one annotated page gives it for all.
SITE_ATTRIBUTES = frozenset({"site_name"})

#: Lists that start at the site's home page (a breadcrumb trail): their leading items are the
#: site's, the same on every page, so that where the store's values name one its pages do not
#: show in words (a home icon), one annotated page gives it for all.
ROOTED_ATTRIBUTES = frozenset({"breadcrumb"})

#: What a page that sells shows: its offer (price, stock) and the product's codes and maker.
OFFER_ATTRIBUTES = frozenset(
    {"price", "regular_price", "currency", "availability", "brand", "sku", "mpn", "gtin"}
)


def offer_left_out(named: Iterable[str]) -> frozenset[str]:
    """The attributes a store's records leave out, given the attributes its annotation names.

    An annotation that names attributes of its own (`ingredients`, `author`) and none of the
    offer attributes describes pages that sell nothing (a recipe, an article): a price or a
    brand the standard attributes would read there is something else (an amount, an ad, the
    site's name), so its records leave the offer attributes out. A product store's annotation
    names its price (pre-labels put it there), a bookshop's its price beside `isbn`: nothing is
    left out.
    """
    named = set(named) - NOT_PAGE_ATTRIBUTES
    if named - set(STANDARD_ATTRIBUTES) and not named & OFFER_ATTRIBUTES:
        return OFFER_ATTRIBUTES
    return frozenset()


def attribute_type(name: str, custom: Mapping[str, str] | None = None) -> AttributeType:
    """The type of an attribute: a custom declaration, else the standard one, else `text`."""
    if custom and name in custom:
        kind = custom[name]
        if kind not in ATTRIBUTE_TYPES:
            raise ValueError(
                f"attribute {name!r}: unknown type {kind!r} (one of {ATTRIBUTE_TYPES})"
            )
        return kind  # type: ignore[return-value]
    return STANDARD_ATTRIBUTES.get(name, "text")


def kind_of(attribute: str, kinds: Mapping[str, AttributeType] | None) -> AttributeType:
    """An attribute's type: the store's (inferred from its support), else the schema's."""
    return (kinds or {}).get(attribute) or attribute_type(attribute)


@dataclass(frozen=True)
class AttributeSchema:
    """A store's attributes: the standard ones plus custom ones, each with a type."""

    custom: Mapping[str, AttributeType] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, kind in self.custom.items():
            if kind not in ATTRIBUTE_TYPES:
                raise ValueError(
                    f"attribute {name!r}: unknown type {kind!r} (one of {ATTRIBUTE_TYPES})"
                )

    @property
    def attributes(self) -> dict[str, AttributeType]:
        """Every attribute of the schema with its type, standard ones first."""
        return {**STANDARD_ATTRIBUTES, **self.custom}

    def type_of(self, name: str) -> AttributeType:
        """The type of one attribute (unknown attributes are `text`)."""
        return attribute_type(name, self.custom)

    def to_json(self) -> dict[str, dict[str, str]]:
        """The schema as a JSON object `{"attributes": {name: type}}`."""
        return {"attributes": dict(self.attributes)}

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, str]]) -> AttributeSchema:
        """Read a schema written by `to_json` (standard attributes may be left out)."""
        attributes = data.get("attributes", {})
        custom = {k: v for k, v in attributes.items() if STANDARD_ATTRIBUTES.get(k) != v}
        return cls(custom=custom)  # type: ignore[arg-type]


_PRICE_NAME = re.compile(r"price|preis|prix|prezzo|precio|cost|fee", re.I)
_ID_NAME = re.compile(r"isbn|ean|gtin|upc|sku|mpn|code|number|nummer|\bnr\b|\bid\b|ref", re.I)
_URL_NAME = re.compile(r"image|img|photo|picture|url|link", re.I)


def infer_attribute_type(name: str, texts: Sequence[str], is_list: bool = False) -> AttributeType:
    """The type of an attribute from its name and the texts that show its values on annotated
    pages: the standard type for a standard attribute; for a custom one, a list when its values
    are items, a price when its name says so and every text holds an amount, an identifier when
    its name says so and every text is one code, a number when every text is one, else text."""
    if name in STANDARD_ATTRIBUTES:
        return STANDARD_ATTRIBUTES[name]
    if is_list:
        return "list"
    texts = [t.strip() for t in texts if t and t.strip()]
    if not texts:
        return "text"
    if _URL_NAME.search(name) and all(t.startswith(("http", "/")) for t in texts):
        return "url"
    if _PRICE_NAME.search(name) and all(re.search(r"\d", t) for t in texts):
        return "price"
    if _ID_NAME.search(name) and all(len(t.split()) == 1 and re.search(r"\d", t) for t in texts):
        return "identifier"
    if all(re.fullmatch(r"[-+]?\d+(?:[.,]\d+)?", t) for t in texts):
        return "number"
    return "text"


def support_kinds(
    marked_pages: Iterable[Mapping[str, Sequence[Mapping[str, object]]]],
) -> dict[str, AttributeType]:
    """The type of each attribute the annotated pages mark (`{attribute: [spans]}` per page),
    from its name and its marked texts; spans that carry an `item` index make it a list."""
    texts: dict[str, list[str]] = {}
    itemised: set[str] = set()
    for marked in marked_pages:
        for attribute, spans in marked.items():
            texts.setdefault(attribute, []).extend(str(s.get("text", "")) for s in spans)
            if any("item" in s for s in spans):
                itemised.add(attribute)
    return {a: infer_attribute_type(a, t, a in itemised) for a, t in texts.items()}
