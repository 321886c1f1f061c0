"""What the value matcher returns: spans on text nodes, image elements, and what it missed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

from extractor.values.normalize.text import join_texts


class Span(TypedDict):
    """A marked piece of a text node: `node["text"][start:end] == text`.

    The spans of one attribute make one value (a price split over two nodes, a description over
    several paragraphs), except in a list, where `item` numbers the value each span belongs to
    (an ingredient line whose amount, unit and name stand in three nodes is one item).
    """

    xpath: str
    start: int
    end: int
    text: str
    item: NotRequired[int]


def item_texts(spans: Sequence[Mapping[str, Any]]) -> list[str]:
    """A list's items from its marked spans: the texts of each item's spans joined, in item
    order (a span without an `item` number belongs to item 0)."""
    items: dict[int, list[str]] = {}
    for span in spans:
        items.setdefault(int(span.get("item", 0)), []).append(str(span["text"]))
    return [join_texts(items[k]) for k in sorted(items)]


class ImageMatch(TypedDict):
    """An image element of the page and the absolute URL it shows."""

    xpath: str
    url: str


@dataclass
class MatchResult:
    """Where a page shows its label values.

    `spans[attribute]` are the spans to mark for the chosen occurrence (several for a value split
    over nodes, a multi-node description, or one per list item in order). `occurrences[attribute]`
    lists every occurrence found, best first, each as its spans. `missing` names what could not be
    found, with a reason; `partial` notes lists of which only some items were found. `images` holds
    image elements matched for URL attributes (text nodes hold no images).
    """

    spans: dict[str, list[Span]] = field(default_factory=dict)
    occurrences: dict[str, list[list[Span]]] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    partial: dict[str, str] = field(default_factory=dict)
    images: dict[str, list[ImageMatch]] = field(default_factory=dict)

    def found(self, attribute: str) -> bool:
        """Whether the page shows the attribute's value (as text or as an image)."""
        return bool(self.spans.get(attribute) or self.images.get(attribute))

    def not_shown(self) -> set[str]:
        """The attributes whose value the page does not show (scoring reports them apart)."""
        return set(self.missing)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "spans": self.spans,
            "occurrences": self.occurrences,
            "missing": self.missing,
            "partial": self.partial,
            "images": self.images,
        }
