"""The attribute schema: standard product attributes and custom ones, each with a value type."""

from __future__ import annotations

from collections.abc import Mapping
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
