"""The block a text node stands in: the paragraph, heading or cell whose text its links and
emphasis split into several nodes (`This easy` `strawberry buckle` `is an old-fashioned ...`
are the three nodes of one `<p>`).

A store whose annotated values of an attribute are whole blocks of prose (a description that
is its paragraph) writes them so on every page; `whole_block_attributes` finds those attributes
on the support pages, and the decoder and the wrapper read such a value as its whole block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from extractor.page.dom import Node
from extractor.values.normalize.text import join_texts, text_key
from extractor.values.price_rules import element_steps

#: Elements that sit inside a line of text rather than make a block of their own.
INLINE_TAGS = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "cite", "code", "dfn", "em", "font", "i", "kbd", "mark",
        "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
    }
)  # fmt: skip
#: Elements that stand for one item of a list, and how far above a text node one may be.
ITEM_TAGS, ITEM_LEVELS = frozenset({"li", "tr", "dt", "dd", "option"}), 4
#: The fewest words of a value read as its whole block: prose (a description), not a name
#: or an author, whose block on another page may hold its label (`Author: Jane Doe`)
BLOCK_WORDS = 6
#: The most text nodes and characters one block may hold (more is a page region, not a block).
BLOCK_NODES, BLOCK_CHARS = 24, 4000
_POSITION = re.compile(r"\[\d+\]$")


def block_path(xpath: str) -> str:
    """The XPath of the block element that holds a text node: its element's, without the
    inline elements (`a`, `strong`, `span`, ...) between the node and the block."""
    steps = element_steps(xpath)
    while len(steps) > 2 and _POSITION.sub("", steps[-1]).lower() in INLINE_TAGS:
        steps = steps[:-1]
    return "/".join(steps)


def item_path(xpath: str) -> str | None:
    """The XPath of the list item element (`<li>`, a table row, ...) that holds a node, if any
    within `ITEM_LEVELS` levels above it."""
    steps = element_steps(xpath)
    for j in range(len(steps) - 1, max(len(steps) - 1 - ITEM_LEVELS, 0), -1):
        if _POSITION.sub("", steps[j]).lower() in ITEM_TAGS:
            return "/".join(steps[: j + 1])
    return None


def sibling_shape(element: str | None) -> str | None:
    """An item element's list and tag without its position (`.../ol/li[3]` -> `.../ol/li`):
    the same for every sibling item of one list."""
    if element is None or "/" not in element:
        return None
    return _POSITION.sub("", element)


def block_range(nodes: Sequence[Node], first: int, last: int | None = None) -> tuple[int, int]:
    """The first and last node of the block(s) that nodes `first` to `last` stand in: the
    neighbours in document order that share their block element."""
    last = first if last is None else last
    start_block, end_block = block_path(nodes[first]["xpath"]), block_path(nodes[last]["xpath"])
    while first > 0 and block_path(nodes[first - 1]["xpath"]) == start_block:
        first -= 1
    while last + 1 < len(nodes) and block_path(nodes[last + 1]["xpath"]) == end_block:
        last += 1
    return first, last


def block_text(nodes: Sequence[Node], first: int, last: int) -> str | None:
    """The text of nodes `first` to `last` joined as a reader reads them; None when they are
    too many or too long to be one block."""
    if last - first + 1 > BLOCK_NODES:
        return None
    text = join_texts([nodes[i]["text"] for i in range(first, last + 1)])
    return text if len(text) <= BLOCK_CHARS else None


def is_whole_block(nodes: Sequence[Node], first: int, last: int, value: str) -> bool:
    """Whether a value shown by nodes `first` to `last` is prose (`BLOCK_WORDS` words or more)
    and the whole text of the block(s) they stand in."""
    block = block_text(nodes, *block_range(nodes, first, last))
    return (
        block is not None
        and len(value.split()) >= BLOCK_WORDS
        and text_key(block) == text_key(value)
    )


def whole_block_attributes(
    pages: Sequence[Sequence[Node]],
    marked: Sequence[Mapping[str, Sequence[Mapping[str, Any]]]],
    attributes: Iterable[str],
) -> frozenset[str]:
    """The attributes (of `attributes`) whose annotated value is, on every support page that
    marks it, prose (`BLOCK_WORDS` words or more) and the whole text of the block it stands
    in: a description that is its paragraph, unlike an author, the link of `By <a>Jane</a>`."""
    wanted = set(attributes)
    whole: dict[str, bool] = {}
    for nodes, spans_of in zip(pages, marked, strict=True):
        position = {node["xpath"]: i for i, node in enumerate(nodes)}
        for attribute, spans in spans_of.items():
            if attribute not in wanted or not spans:
                continue
            if any(s.get("xpath") not in position for s in spans):
                whole[attribute] = False
                continue
            ordered = sorted(spans, key=lambda s: (position[s["xpath"]], s.get("start", 0)))
            value = join_texts([str(s.get("text", "")) for s in ordered])
            at = position[ordered[0]["xpath"]], position[ordered[-1]["xpath"]]
            whole[attribute] = whole.get(attribute, True) and is_whole_block(nodes, *at, value)
    return frozenset(a for a, is_whole in whole.items() if is_whole)
