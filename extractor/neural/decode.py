"""Token predictions -> attribute values: merge windows, find spans, pick one value each."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import torch

from extractor.neural.features import Window, collate, encode_page
from extractor.page.blocks import (
    BLOCK_CHARS,
    BLOCK_NODES,
    block_path,
    block_range,
    block_text,
    item_path,
    sibling_shape,
)
from extractor.page.dom import Node
from extractor.page.template import prune_template_nodes
from extractor.values.normalize import usable_span
from extractor.values.normalize.availability import find_availability
from extractor.values.normalize.currencies import find_currencies
from extractor.values.normalize.text import balance_brackets, has_letter_or_digit, join_texts
from extractor.values.price_rules import (
    MIN_CONFIDENCE,
    currency_of_price,
    element_steps,
    fallback_price,
    in_carousel,
    joined_split,
    no_price,
    plausible_price,
    price_blocks,
    snap_to_amount,
)
from extractor.values.schema import PRICE_ATTRIBUTES, AttributeType, attribute_type, kind_of
from extractor.values.writing import ItemParts, ItemSkip, write_item

if TYPE_CHECKING:
    from extractor.neural.model import ExtractorModel

logger = logging.getLogger(__name__)

#: A code as pages print it: anything up to whitespace or punctuation that never sits in a code.
_CODE_TOKEN = re.compile(r"[^\s,;:|()\[\]{}<>\"']+")


class StoreSupport(Protocol):
    """What extraction reads of a store's support (`extractor.adapt.support.SupportIndex`)."""

    @property
    def kinds(self) -> Mapping[str, AttributeType]:
        """The store's attribute types (lists, prices, identifiers...)."""
        ...

    @property
    def items(self) -> Mapping[str, tuple[ItemParts, ItemSkip]]:
        """How the store writes its lists' items (`extractor.values.writing.write_item`)."""
        ...

    @property
    def blocks(self) -> frozenset[str]:
        """The attributes whose values are whole blocks on the store's pages
        (`extractor.page.blocks.whole_block_attributes`)."""
        ...

    def support_like(self, nodes: Sequence[Node]) -> list[int]:
        """Nodes where support values stand, the page budget reads them first."""
        ...

    def page_relations(
        self,
        raw: Sequence[Node],
        kept: Sequence[Node],
        windows: Sequence[Window],
        attributes: Sequence[str],
        rule_values: Mapping[str, Any] | None = None,
    ) -> list[torch.Tensor]:
        """Per window, its tokens' relations to the support values."""
        ...


@dataclass
class NodeScores:
    """The tokens of one node with their class probabilities."""

    offsets: list[tuple[int, int]]
    probs: torch.Tensor  #: [tokens, classes]


@dataclass
class Candidate:
    """A span the model tagged with an attribute."""

    attribute: str
    node: int  #: index into the page's (pruned) node list
    start: int
    end: int
    text: str
    confidence: float  #: mean over its tokens of P(B or I of the attribute)
    max_prob: float
    score: float = 0.0  #: confidence after the layout preferences
    #: whether the span opens a value (its first token is B, or it starts inside its node);
    #: one that does not continues the value of the nodes before it
    opens: bool = True
    last_node: int = -1  #: the last node the value covers (-1: `node`)


@dataclass
class Extraction:
    """The values of one page: raw span text per attribute, and a confidence per attribute."""

    values: dict[str, str | list[str]] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    candidates: list[Candidate] = field(default_factory=list)


def merge_windows(
    windows: Sequence[Window], probs: Sequence[torch.Tensor]
) -> dict[int, NodeScores]:
    """Per node index, its tokens' offsets and probabilities gathered from every window."""
    nodes: dict[int, NodeScores] = {}
    for window, prob in zip(windows, probs, strict=True):
        rows: dict[int, list[int]] = {}
        for t, node in enumerate(window.token_node):
            if node >= 0:
                rows.setdefault(node, []).append(t)
        for node, ts in rows.items():
            offsets = [(window.token_start[t], window.token_end[t]) for t in ts]
            scores = NodeScores(offsets, prob[ts])
            if node in nodes:  # a node split over windows (not produced by encode_page today)
                old = nodes[node]
                scores = NodeScores(old.offsets + offsets, torch.cat([old.probs, scores.probs]))
            nodes[node] = scores
    return nodes


def node_candidates(
    node: int,
    text: str,
    scores: NodeScores,
    attributes: Sequence[str],
    kinds: Mapping[str, AttributeType] | None = None,
) -> list[Candidate]:
    """Runs of tokens whose argmax class belongs to one attribute, within one node.

    A B of the attribute that ends the run so far continues it rather than starting a new
    span: a weakly adapted tagger often marks every word of a long name B. A list attribute's
    items within one node stand apart only where the page separates them (`Home > Shoes`):
    `Displays & Projektoren` is one breadcrumb item, tagged in two runs or not.
    """
    labels = scores.probs.argmax(-1).tolist()
    result: list[Candidate] = []
    t = 0
    while t < len(labels):
        label = labels[t]
        if label == 0:
            t += 1
            continue
        k = (label - 1) // 2
        kind = kind_of(attributes[k], kinds)
        is_list = kind == "list"
        end = t + 1
        while end < len(labels) and labels[end] in (1 + 2 * k, 2 + 2 * k):
            gap = text[scores.offsets[end - 1][1] : scores.offsets[end][0]]
            if labels[end] == 1 + 2 * k and is_list and _separates_items(gap):
                break
            end += 1
        candidate = _candidate(attributes[k], kind, k, node, text, scores, t, end)
        candidate.opens = label == 1 + 2 * k or t > 0
        before = result[-1] if result else None
        if (
            is_list
            and before is not None
            and before.attribute == candidate.attribute
            and _joins_items(text[before.end : candidate.start])
        ):
            _extend(before, candidate, text)
        else:
            result.append(candidate)
        t = end
    return result


#: What stands between two items of a list written in one node (`Home > Shoes`, `S | M | L`).
_ITEM_SEPARATORS = frozenset(">»›|/\\•·;→\n\t")


def _separates_items(gap: str) -> bool:
    """Whether the text between two tagged runs of a list attribute separates two items."""
    return any(ch in _ITEM_SEPARATORS for ch in gap)


def _joins_items(gap: str) -> bool:
    """Whether two runs of a list attribute in one node are one item: nothing but spaces,
    joining punctuation (`&`, `-`, `,`) and digits the model left untagged (the `2` of `1/2
    teaspoon salt` tagged as `1/` and `teaspoon salt`) between them."""
    return not _separates_items(gap) and not any(ch.isalpha() for ch in gap)


def _extend(item: Candidate, more: Candidate, text: str) -> None:
    """Grow `item` over `more` (a later run in the same node) and what stands between."""
    n = max(1, len(item.text.split()))
    m = max(1, len(more.text.split()))
    item.end = more.end
    item.text = text[item.start : item.end]
    item.confidence = (item.confidence * n + more.confidence * m) / (n + m)
    item.max_prob = max(item.max_prob, more.max_prob)


def join_continuations(
    candidates: Sequence[Candidate], texts: Sequence[str], max_gap: int = 3
) -> list[Candidate]:
    """Join a span that continues a value (it does not open one) to that value's span in the
    nodes just before it, when that span reaches its node's end: a description over several
    paragraphs, a list item over several nodes (`1` `cup` `flour`) become one value. Prices
    are joined by the price rules instead."""
    result: list[Candidate] = []
    last: dict[str, Candidate] = {}
    for c in sorted(candidates, key=lambda c: (c.node, c.start)):
        before = last.get(c.attribute)
        if (
            not c.opens
            and before is not None
            and c.attribute not in PRICE_ATTRIBUTES
            and 0 < c.node - max(before.node, before.last_node) <= max_gap
            and before.end >= len(texts[max(before.node, before.last_node)].rstrip())
        ):
            n_before = max(1, before.last_node - before.node + 1)
            before.text = join_texts([before.text, c.text])
            before.confidence = (before.confidence * n_before + c.confidence) / (n_before + 1)
            before.max_prob = max(before.max_prob, c.max_prob)
            before.last_node = c.node
            continue
        result.append(c)
        last[c.attribute] = c
    return result


def whole_blocks(
    candidates: Sequence[Candidate], nodes: Sequence[Node], blocks: Collection[str]
) -> list[Candidate]:
    """The candidates, those of the attributes in `blocks` (the store's values are whole
    blocks) grown to the whole block they stand in: a description the model tagged as `This
    easy`, the words before the link that splits its paragraph, is the paragraph."""
    for c in candidates:
        if c.attribute not in blocks:
            continue
        first, last = block_range(nodes, c.node, max(c.node, c.last_node))
        text = block_text(nodes, first, last)
        if text is not None:
            c.node, c.start, c.end, c.last_node = first, 0, len(nodes[first]["text"]), last
            c.text = text
    return list(candidates)


def snap_to_words(text: str, start: int, end: int, cut: int | None = None) -> tuple[int, int]:
    """Widen a text span to whole words (`Acer`, not `Ace`) and the bracket it leaves open.

    `cut`: where the encoder stopped reading a node it cut short (long names are cut to the
    page budget's tokens per node), given when the span runs to that point; the span then runs
    on to the node's end, which the model never saw.
    """
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    if cut is not None and end >= cut and text[cut:].strip():
        end = len(text.rstrip())
    return balance_brackets(text, start, end)


def snap_to_phrase(text: str, start: int, end: int) -> tuple[int, int]:
    """An availability span widened to the phrase of its node it stands in, as a shopper reads
    it: the model's `lagernd` of `Nicht lagernd, ab Bestellung versandfertig` is `Nicht lagernd`
    (`find_availability`: the node's first phrase by priority, a refusal before a promise)."""
    found = find_availability(text)
    if found is not None and found[1] < end and start < found[2]:
        return min(start, found[1]), max(end, found[2])
    return start, end


def snap_to_token(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen an identifier span to the whole code it cuts into (`374837` rather than `37`).

    Codes end at whitespace and at punctuation that never sits inside one (`,;:|()[]{}<>"'`);
    a full stop that ends the code is the sentence's, not the code's.
    """
    new_start, new_end = start, end
    for match in _CODE_TOKEN.finditer(text):
        if match.start() < end and start < match.end():
            new_start, new_end = min(new_start, match.start()), max(new_end, match.end())
    while new_end > end and text[new_end - 1] == ".":
        new_end -= 1
    return new_start, new_end


def _candidate(
    attribute: str,
    kind: AttributeType,
    k: int,
    node: int,
    text: str,
    scores: NodeScores,
    t0: int,
    t1: int,
) -> Candidate:
    p = scores.probs[t0:t1, 1 + 2 * k] + scores.probs[t0:t1, 2 + 2 * k]
    start, end = scores.offsets[t0][0], scores.offsets[t1 - 1][1]
    if kind in ("price", "number"):  # a rating of `4.97` tagged on its `4`
        start, end = snap_to_amount(text, start, end)
    elif kind == "identifier":
        start, end = snap_to_token(text, start, end)
    elif kind in ("text", "token", "list"):
        last = t1 == len(scores.offsets)
        start, end = snap_to_words(text, start, end, scores.offsets[-1][1] if last else None)
        if attribute == "availability":
            start, end = snap_to_phrase(text, start, end)
    return Candidate(attribute, node, start, end, text[start:end], float(p.mean()), float(p.max()))


@dataclass
class NodePeaks:
    """Per node of a page, each token's probability of standing inside each attribute's span
    (B + I, [tokens, attributes]) and its likeliest token per attribute: computed once per page
    for `fallback_candidate`."""

    inside: dict[int, torch.Tensor]
    peak: dict[int, list[float]]
    at: dict[int, list[int]]

    @classmethod
    def of(cls, merged: Mapping[int, NodeScores]) -> NodePeaks:
        """The peaks of a page's merged node scores."""
        inside = {n: s.probs[:, 1::2] + s.probs[:, 2::2] for n, s in merged.items()}
        peak, at = {}, {}
        for node, p in inside.items():
            values, tokens = p.max(0)
            peak[node], at[node] = values.tolist(), tokens.tolist()
        return cls(inside, peak, at)


def fallback_candidate(
    attribute: str,
    k: int,
    texts: Sequence[str],
    merged: dict[int, NodeScores],
    threshold: float,
    nodes: Sequence[Node],
    tries: int = 5,
    kind: AttributeType | None = None,
    peaks_of: NodePeaks | None = None,
) -> Candidate | None:
    """The most likely usable span of an attribute that no token's argmax gave a usable value:
    grown from the likeliest token of each node, nodes taken by that token's probability (at
    most `tries` of them, each at least `threshold`). `peaks_of`: the page's `NodePeaks`, when
    several attributes fall back on one page."""
    found_peaks = peaks_of if peaks_of is not None else NodePeaks.of(merged)
    peaks: list[tuple[float, int, int, torch.Tensor]] = [
        (found_peaks.peak[node][k], node, found_peaks.at[node][k], found_peaks.inside[node][:, k])
        for node in merged
        if found_peaks.peak[node][k] >= threshold
    ]
    for seed, node, t0, p in sorted(peaks, key=lambda peak: peak[:3], reverse=True)[:tries]:
        scores = merged[node]
        t1 = t0 + 1
        while t1 < len(p) and float(p[t1]) >= 0.5 * seed:
            t1 += 1
        span = _candidate(
            attribute, kind or attribute_type(attribute), k, node, texts[node], scores, t0, t1
        )
        found = checked_spans([span], nodes)
        if found:
            return found[0]
    return None


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.node == b.node and a.start < b.end and b.start < a.end


def _score(candidates: list[Candidate], nodes: Sequence[Node], anchor: int | None) -> None:
    """Layout preferences: prices near the name, and not inside a carousel of other products."""
    repeated = price_blocks(nodes, [c.node for c in candidates if c.attribute in PRICE_ATTRIBUTES])
    for c in candidates:
        c.score = c.confidence
        if c.attribute not in PRICE_ATTRIBUTES:
            continue
        if in_carousel(nodes[c.node], repeated):
            c.score -= 0.3
        if anchor is not None:
            c.score -= 0.2 * min(1.0, abs(c.node - anchor) / 200)


def _name_anchor(candidates: Sequence[Candidate]) -> int | None:
    names = [c for c in candidates if c.attribute == "name"]
    return max(names, key=lambda c: c.confidence).node if names else None


def _first_h1(nodes: Sequence[Node]) -> int | None:
    return next((i for i, n in enumerate(nodes) if n["tag"] == "h1"), None)


def _has_currency_sign(text: str) -> bool:
    return any(not text[s:e].isalpha() for s, e, _ in find_currencies(text))


def checked_spans(candidates: Sequence[Candidate], nodes: Sequence[Node]) -> list[Candidate]:
    """The candidates with price spans joined over split amounts, without spans that cannot be
    their attribute's value (`usable_span`: an availability that names no schema.org token, a
    currency that names none, text without a letter or digit), price spans that are no price
    (`no_price`) or do not read as one (`plausible_price`), and identifier spans that hold a
    currency sign (`£229.00` is no code)."""
    result = []
    for c in candidates:
        if attribute_type(c.attribute) == "identifier" and _has_currency_sign(c.text):
            continue
        if c.attribute in PRICE_ATTRIBUTES:
            joined = joined_split(nodes, c.node, c.start)
            if joined is not None:
                c.node, c.start, c.end, c.text = joined
            text = nodes[c.node]["text"]
            if no_price(text, c.start, c.end) or not plausible_price(nodes, c.node, c.start, c.end):
                continue
        if usable_span(c.attribute, c.text.strip()) is None:
            continue
        result.append(c)
    return result


def with_fallback_price(candidates: Sequence[Candidate], nodes: Sequence[Node]) -> list[Candidate]:
    """The candidates, with `fallback_price` instead of the model's prices when none of those is
    usable: at least `MIN_CONFIDENCE` confident (the record cut) and outside any carousel."""
    prices = [c for c in candidates if c.attribute == "price"]
    repeated = price_blocks(nodes, [c.node for c in prices])
    if any(
        c.confidence >= MIN_CONFIDENCE and not in_carousel(nodes[c.node], repeated) for c in prices
    ):
        return list(candidates)
    anchors = [a for a in (_name_anchor(candidates), _first_h1(nodes)) if a is not None]
    found = fallback_price(nodes, anchors)
    if found is None:
        return list(candidates)
    node, start, end, amount, confidence = found
    extra = Candidate("price", node, start, end, amount, confidence, confidence)
    # The rule checked that its node is no former price: a regular price there is none either.
    kept = [
        c
        for c in candidates
        if c.attribute != "price" and not (c.attribute == "regular_price" and _overlaps(c, extra))
    ]
    return [*kept, extra]


def choose_values(
    candidates: Sequence[Candidate],
    nodes: Sequence[Node],
    min_confidence: float = 0.0,
    kinds: Mapping[str, AttributeType] | None = None,
    written: Mapping[str, tuple[ItemParts, ItemSkip]] | None = None,
) -> Extraction:
    """One value per attribute (a list for list attributes), without two attributes on one span;
    `written`: how the store writes each list's items."""
    cands = [c for c in candidates if c.confidence >= min_confidence and c.text.strip()]
    anchor = _name_anchor(cands)
    if anchor is None:
        anchor = _first_h1(nodes)
    _score(cands, nodes, anchor)
    result = Extraction(candidates=list(cands))
    by_attr: dict[str, list[Candidate]] = {}
    for c in cands:
        by_attr.setdefault(c.attribute, []).append(c)
    chosen: list[Candidate] = []
    # Most confident attributes choose first; later ones skip spans already taken.
    # The price chooses before the regular price: a span both claim is the price (a regular
    # price only shows beside one).
    order = sorted(by_attr, key=lambda a: -max(c.score for c in by_attr[a]))
    if "price" in order and "regular_price" in order:
        order.remove("price")
        order.insert(order.index("regular_price"), "price")
    for attribute in order:
        ranked = sorted(by_attr[attribute], key=lambda c: -c.score)
        if kind_of(attribute, kinds) == "list":
            items = whole_items(
                sorted(
                    (c for c in ranked if not any(_overlaps(c, o) for o in chosen)),
                    key=lambda c: (c.node, c.start),
                ),
                nodes,
            )
            items = with_items_between(items, nodes, chosen)
            parts, skip = (written or {}).get(attribute, ((), ()))
            texts = list(dict.fromkeys(item_texts(items, nodes, parts, skip)))
            if texts:
                result.values[attribute] = texts
                result.confidence[attribute] = sum(c.confidence for c in items) / len(items)
                chosen.extend(items)
            continue
        for c in ranked:
            if not any(_overlaps(c, o) for o in chosen):
                result.values[attribute] = c.text.strip()
                result.confidence[attribute] = c.confidence
                chosen.append(c)
                break
    price = next((c for c in chosen if c.attribute == "price"), None)
    symbol = currency_of_price(nodes, price.node, price.start, price.end) if price else None
    if price is not None and symbol is not None:  # the price's own currency beats a lone span
        result.values["currency"], result.confidence["currency"] = symbol, price.confidence
    return result


def whole_items(items: Sequence[Candidate], nodes: Sequence[Node]) -> list[Candidate]:
    """A list's items without the scattered words it picked up elsewhere: where some nodes are
    wholly items (a breadcrumb's links, `Home > Shoes`, an ingredient line), items that are a
    few words out of a longer node (the name's `LCD`, `LED` beside the links) are dropped."""

    def chars(text: str) -> int:
        return len("".join(text.split()))

    covered: dict[int, int] = {}
    for c in items:
        covered[c.node] = covered.get(c.node, 0) + chars(c.text)

    def whole(c: Candidate) -> bool:  # its node's items, together, are most of the node
        return c.last_node > c.node or covered[c.node] >= 0.5 * chars(nodes[c.node]["text"])

    kept = [c for c in items if whole(c)]
    return kept if kept else list(items)


def with_items_between(
    items: Sequence[Candidate], nodes: Sequence[Node], taken: Sequence[Candidate] = ()
) -> list[Candidate]:
    """A list's items with the item elements the model skipped between two it tagged: where
    tagged items stand in sibling item elements of one list (`ol/li[2]`, `ol/li[5]`), every
    sibling between them is an item too (a breadcrumb's middle links, an ingredient line the
    model missed), at the tagged items' mean confidence; nodes other attributes took stay theirs."""
    elements = [item_path(nodes[c.node]["xpath"]) for c in items]
    lists: dict[str, list[tuple[Candidate, str]]] = {}
    for c, element in zip(items, elements, strict=True):
        if element is not None and (shape := sibling_shape(element)) is not None:
            lists.setdefault(shape, []).append((c, element))
    have = {e for e in elements if e is not None}
    busy = {c.node for c in taken}
    added: list[Candidate] = []
    for shape, members in lists.items():
        if len({element for _, element in members}) < 2:
            continue
        tagged = [c for c, _ in members]
        confidence = sum(c.confidence for c in tagged) / len(tagged)
        for n in range(min(c.node for c in tagged) + 1, max(c.node for c in tagged)):
            element, text = item_path(nodes[n]["xpath"]), nodes[n]["text"]
            if element is None or element in have or n in busy or sibling_shape(element) != shape:
                continue
            if has_letter_or_digit(text):
                have.add(element)
                added.append(
                    Candidate(tagged[0].attribute, n, 0, len(text), text, confidence, confidence)
                )
    return sorted([*items, *added], key=lambda c: (c.node, c.start)) if added else list(items)


#: The most text nodes and characters an element may hold to be one list item (not a menu),
#: unless its text is one block of prose (a step its links split: `BLOCK_NODES`, `BLOCK_CHARS`).
ITEM_NODES, ITEM_CHARS = 8, 300
_SENTENCE = re.compile(r"[^\W_]|^\s*[,.!?()\[\]]+\s*$")


def item_texts(
    items: Sequence[Candidate],
    nodes: Sequence[Node],
    parts: ItemParts = (),
    skip: ItemSkip = (),
) -> list[str]:
    """The texts of a list's items as the page groups them: the tagged nodes of one item
    element (an `<li>`, a table row) are one item, read whole with the words the model left
    untagged (an ingredient line whose amount, unit and name stand in three nodes of one `<li>`:
    `100` `g` `pompoen`). A span outside an item element, of an element too big to be one item
    (more than `ITEM_NODES` nodes or `ITEM_CHARS` characters: a menu), or of a node that holds
    several items (`Home > Shoes`) stays as it is."""
    groups: dict[str | int, list[Candidate]] = {}  # item element, or a span's own number
    for c in sorted(items, key=lambda c: (c.node, c.start)):
        element = item_path(nodes[c.node]["xpath"])
        groups.setdefault(element if element is not None else -1 - len(groups), []).append(c)
    texts: list[str] = []
    for key, members in groups.items():
        item = _item_text(key, members, nodes, parts, skip) if isinstance(key, str) else None
        texts.extend([item] if item is not None else [c.text.strip() for c in members])
    return texts


def _item_text(
    key: str,
    members: Sequence[Candidate],
    nodes: Sequence[Node],
    parts: ItemParts,
    skip: ItemSkip,
) -> str | None:
    """One item: the text nodes of the element `key`, separators left out, written as the
    store writes its items; None when the element is too big to be one item or one of its
    nodes holds two items."""
    if _several_items(members, nodes):
        return None
    tagged = [c.node for c in members]
    first, last = min(tagged), max(max(c.node, c.last_node) for c in members)
    inside = []
    for i in range(max(0, first - BLOCK_NODES), min(len(nodes), last + BLOCK_NODES + 1)):
        path = "/".join(element_steps(nodes[i]["xpath"]))
        if path.startswith(key) and path[len(key) : len(key) + 1] in ("", "/"):
            inside.append(i)
    # words and the punctuation of a sentence (`,` between two links, the brackets around a
    # weight: `1 cup` `(` `135 g` `) raw cashews`), not bullets or boxes
    words = [nodes[i] for i in inside if _SENTENCE.search(nodes[i]["text"])]
    text = write_item(words, parts, skip)
    # one block of prose (not links alone: a menu) is one item however long
    prose = len({block_path(nodes[i]["xpath"]) for i in inside}) == 1 and any(
        nodes[i]["tag"] != "a" for i in inside
    )
    most_nodes, most_chars = (BLOCK_NODES, BLOCK_CHARS) if prose else (ITEM_NODES, ITEM_CHARS)
    if not text or len(inside) > most_nodes or len(text) > most_chars:
        return None
    return text


def _several_items(members: Sequence[Candidate], nodes: Sequence[Node]) -> bool:
    """Whether a node of an item element holds two items (`S | M | L`): two of its runs stand
    apart by an item separator. Runs split by untagged words (`1/` `4` `cup walnuts`, a step
    the model tagged in pieces) are parts of one item."""
    runs: dict[int, list[Candidate]] = {}
    for c in members:
        runs.setdefault(c.node, []).append(c)
    for node, mine in runs.items():
        mine.sort(key=lambda c: c.start)
        text = nodes[node]["text"]
        if any(_separates_items(text[a.end : b.start]) for a, b in itertools.pairwise(mine)):
            return True
    return False


def decode_page(
    nodes: Sequence[Node],
    windows: Sequence[Window],
    probs: Sequence[torch.Tensor],
    attributes: Sequence[str],
    fallback_threshold: float = 0.25,
    min_confidence: float = 0.0,
    kinds: Mapping[str, AttributeType] | None = None,
    written: Mapping[str, tuple[ItemParts, ItemSkip]] | None = None,
    blocks: Collection[str] = (),
) -> Extraction:
    """Values of one page from the class probabilities [tokens, classes] of its windows
    (`kinds`: the store's attribute types; `written`: how it writes its lists' items;
    `blocks`: the attributes whose values are whole blocks)."""
    merged = merge_windows(windows, probs)
    texts = [node["text"] for node in nodes]
    candidates: list[Candidate] = []
    for node, scores in sorted(merged.items()):
        candidates.extend(node_candidates(node, texts[node], scores, attributes, kinds))
    candidates = join_continuations(checked_spans(candidates, nodes), texts)
    found = {c.attribute for c in candidates}
    missing = [(k, a) for k, a in enumerate(attributes) if a not in found]
    peaks_of = NodePeaks.of(merged) if missing else None
    for k, attribute in missing:
        extra = fallback_candidate(
            attribute,
            k,
            texts,
            merged,
            fallback_threshold,
            nodes,
            kind=kind_of(attribute, kinds),
            peaks_of=peaks_of,
        )
        if extra is not None:
            candidates.append(extra)
    if "price" in attributes:
        candidates = with_fallback_price(candidates, nodes)
    candidates = whole_blocks(candidates, nodes, blocks)
    return choose_values(candidates, nodes, min_confidence, kinds, written)


@torch.inference_mode()
def extract_pages(
    model: ExtractorModel,
    tokenizer: Any,
    pages: Sequence[Sequence[Node]],
    attributes: Sequence[str] | None = None,
    prototypes: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    batch_size: int = 16,
    prune: bool = True,
    max_windows: int | None = None,
    page_tokens: int | None = None,
    context: Sequence[Sequence[Node]] = (),
    forward: Callable[[Mapping[str, torch.Tensor]], torch.Tensor] | None = None,
    support: StoreSupport | None = None,
    rule_values: Sequence[Mapping[str, Any]] | None = None,
) -> list[Extraction]:
    """Extract the pages of one store (template pruning looks across them when >= 3).

    `page_tokens` (default: the model config's) limits each page to its most promising nodes.
    `context` holds other pages of the store that only help template pruning (support pages);
    `forward` replaces the model's logits (an adapted functional copy); `support` (the store's
    annotated values) makes the budget read the nodes where they stand and, for a model with a
    relation head, gives every token its relations to them.
    """
    attrs = list(model.config.attributes if attributes is None else attributes)
    if prune:
        # Where the support shows values stays: a breadcrumb recurs on every page, yet it is
        # the store's breadcrumb slot, not its template.
        protect: list[set[str]] = [set() for _ in context] + [
            {p[i]["xpath"] for i in support.support_like(p)} if support is not None else set()
            for p in pages
        ]
        kept = prune_template_nodes([*context, *pages], protect)[len(context) :]
    else:
        kept = [list(p) for p in pages]
    features = model.config.features
    budget = model.config.page_tokens if page_tokens is None else page_tokens
    page_windows = []
    relate = support is not None and model.head.relate is not None
    for p, (raw, nodes) in enumerate(zip(pages, kept, strict=True)):
        keep = support.support_like(nodes) if support is not None else []
        windows = encode_page(nodes, tokenizer, features, page_tokens=budget, keep=keep)
        windows = windows[:max_windows]
        if relate and support is not None:
            rules = rule_values[p] if rule_values is not None else None
            for w, related in zip(
                windows, support.page_relations(raw, nodes, windows, attrs, rules), strict=True
            ):
                w.relations = related
        page_windows.append(windows)
    flat = [(p, i) for p, ws in enumerate(page_windows) for i in range(len(ws))]
    flat.sort(key=lambda pi: len(page_windows[pi[0]][pi[1]].input_ids))  # little padding
    probs: dict[tuple[int, int], torch.Tensor] = {}
    was_training = model.training
    model.eval()
    for b in range(0, len(flat), batch_size):
        keys = flat[b : b + batch_size]
        windows = [page_windows[p][i] for p, i in keys]
        batch = {k: v.to(model.device) for k, v in collate(windows).items()}
        logits = model(batch, attrs, prototypes, bias) if forward is None else forward(batch)
        out = logits.softmax(-1).float().cpu()
        for row, key in enumerate(keys):
            probs[key] = out[row, : len(windows[row].input_ids)]
    model.train(was_training)
    kinds = support.kinds if support is not None else None
    written = support.items if support is not None else None
    blocks = support.blocks if support is not None else frozenset()
    return [
        decode_page(
            nodes,
            ws,
            [probs[(p, i)] for i in range(len(ws))],
            attrs,
            kinds=kinds,
            written=written,
            blocks=blocks,
        )
        for p, (nodes, ws) in enumerate(zip(kept, page_windows, strict=True))
    ]
