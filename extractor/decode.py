"""Token predictions -> attribute values: merge windows, find spans, pick one value each."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from extractor.dom import Node
from extractor.features import Window, collate, encode_page, prune_template_nodes
from extractor.normalize import find_currencies, parse_price
from extractor.schema import attribute_type

if TYPE_CHECKING:
    from extractor.model import ExtractorModel

logger = logging.getLogger(__name__)

#: Attributes whose value is a list of spans (in document order).
LIST_ATTRIBUTES = frozenset({"breadcrumb"})
#: Attributes whose best candidate sits near the product name, not in a product carousel.
PRICE_ATTRIBUTES = frozenset({"price", "regular_price"})
#: An amount as shops print it: thousands groups (`1.299,00`, `12,800`, `1 299`) or plain.
_AMOUNT = re.compile(
    r"\d{1,3}(?:[.,'\u2019\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
)
_CAROUSEL_HINT = re.compile(r"related|carousel|slider|recommend|similar|upsell|cross-?sell", re.I)
#: A code as pages print it: anything up to whitespace or punctuation that never sits in a code.
_CODE_TOKEN = re.compile(r"[^\s,;:|()\[\]{}<>\"']+")


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
    node: int, text: str, scores: NodeScores, attributes: Sequence[str]
) -> list[Candidate]:
    """Contiguous B/I runs of the argmax classes within one node."""
    labels = scores.probs.argmax(-1).tolist()
    result: list[Candidate] = []
    t = 0
    while t < len(labels):
        label = labels[t]
        if label == 0:
            t += 1
            continue
        k = (label - 1) // 2
        end = t + 1
        while end < len(labels) and labels[end] == 2 + 2 * k:  # I of the same attribute
            end += 1
        result.append(_candidate(attributes[k], k, node, text, scores, t, end))
        t = end
    return result


def snap_to_amount(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span to the whole amount it cuts into (`228,90` rather than `90` or `228`).

    Sub-word tokens split amounts at every separator, and the model may tag only a piece.
    """
    best: tuple[int, int, int] | None = None
    for match in _AMOUNT.finditer(text):
        overlap = min(end, match.end()) - max(start, match.start())
        if overlap > 0 and (best is None or overlap > best[0]):
            best = (overlap, match.start(), match.end())
    if best is None:
        return start, end
    return min(start, best[1]), max(end, best[2])


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
    attribute: str, k: int, node: int, text: str, scores: NodeScores, t0: int, t1: int
) -> Candidate:
    p = scores.probs[t0:t1, 1 + 2 * k] + scores.probs[t0:t1, 2 + 2 * k]
    start, end = scores.offsets[t0][0], scores.offsets[t1 - 1][1]
    if attribute in PRICE_ATTRIBUTES:
        start, end = snap_to_amount(text, start, end)
    elif attribute_type(attribute) == "identifier":
        start, end = snap_to_token(text, start, end)
    return Candidate(attribute, node, start, end, text[start:end], float(p.mean()), float(p.max()))


def fallback_candidate(
    attribute: str,
    k: int,
    texts: Sequence[str],
    merged: dict[int, NodeScores],
    threshold: float,
) -> Candidate | None:
    """The most likely span of an attribute that no token's argmax chose, if likely enough."""
    best: tuple[float, int, int] | None = None
    for node, scores in merged.items():
        p = scores.probs[:, 1 + 2 * k] + scores.probs[:, 2 + 2 * k]
        value, t = p.max(0)
        if float(value) >= threshold and (best is None or float(value) > best[0]):
            best = (float(value), node, int(t))
    if best is None:
        return None
    seed, node, t0 = best
    scores = merged[node]
    p = scores.probs[:, 1 + 2 * k] + scores.probs[:, 2 + 2 * k]
    t1 = t0 + 1
    while t1 < len(p) and float(p[t1]) >= 0.5 * seed:
        t1 += 1
    return _candidate(attribute, k, node, texts[node], scores, t0, t1)


# --- price rules: spans that are no price, prices split over nodes, a fallback ------------------

#: Class/id/itemprop words that mark a price element (in the languages of the shops we meet).
_PRICE_HINT = re.compile(r"price|preis|prix|prezzo|precio|pre[cç]o|prijs|pris|cena|fiyat", re.I)
#: Class/id words of a struck-through, former or list price.
_OLD_HINT = re.compile(
    r"(?<![a-z])(?:old|was|strike|deprecated|before|uvp|rrp|msrp|compare|crossed|statt)"
    r"|oldprice|line-?through",
    re.I,
)
_OLD_TAGS = frozenset({"s", "del", "strike"})
#: A label node that announces the former price (`UVP`, `Was:`) or the price (`Price`, `Sale`).
_OLD_LABEL = re.compile(
    r"(?:was|statt|uvp|rrp|msrp|list price|instead of|originally|bisher|vorher|reg\.?)\s*:?", re.I
)
_PRICE_LABEL = re.compile(
    r"(?:(?:our|your|unser|ihr|sale|special)\s+)?"
    r"(?:price|preis|prix|prezzo|precio|prijs|pris|cena|sale|now|jetzt|nur|only|today)\s*:?",
    re.I,
)
#: Words before an amount that make it a delivery cost, not the product's price.
_SHIPPING = re.compile(
    r"versand|shipping|delivery|lieferung|zustellung|porto|livraison|spedizione|env[ií]o|frete"
    r"|verzending",
    re.I,
)
#: What follows an amount that is a share, a measure or a count rather than a price.
_UNIT_AFTER = re.compile(
    r"\s?(?:%|\"|(?:cm|mm|km|m|kg|mg|g|ml|l|w|kw|kwh|v|mah|hz|ghz|mhz|gb|tb|mb|zoll|inch|stk|"
    r"pcs|stück|tage|days|x)(?![^\W\d_]))",
    re.I,
)
#: What follows an amount (after its currency) that makes it a price per unit or per month.
_PER_AFTER = re.compile(r"\s*(?:/|(?:pro|per|je)\s)", re.I)
_DATE = re.compile(r"\d{1,2}\.(\d{1,2})\.(?:\d{2,4})?|\d{1,2}:\d{2}")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: Letters a node may hold besides its amount and still be a price on its own (`(inc VAT)`).
_MAX_LONE_LETTERS = 12
#: How far (in nodes) from the name a fallback price may stand: after it, and before it.
_FALLBACK_AFTER, _FALLBACK_BEFORE = 80, 20


def _hints(node: Node) -> str:
    attrs: Any = node.get("attrs") or {}
    return f"{attrs.get('class', '')} {attrs.get('id', '')} {attrs.get('itemprop', '')}"


def _strip_currency(text: str, at_end: bool) -> str:
    """The text without currency symbols/codes at its end (or start) and the spaces around."""
    while True:
        text = text.rstrip() if at_end else text.lstrip()
        edge = [
            (s, e) for s, e, _ in find_currencies(text) if (e == len(text) if at_end else s == 0)
        ]
        if not edge:
            return text
        text = text[: edge[0][0]] if at_end else text[edge[0][1] :]


def _is_currency(text: str) -> bool:
    return bool(text.strip()) and not _strip_currency(text, at_end=True)


def no_price(text: str, start: int, end: int) -> bool:
    """Whether the amount `text[start:end]` is something else: no digits or zero, a share
    (`19 %`), a measure (`22.1cm`), a date or time, a price per unit (`2,50 €/kg`), an add-on
    (`+ 34,99 €`) or a delivery cost (`Versand ab 5,90`)."""
    amount = parse_price(text[start:end]) if any(ch.isdigit() for ch in text[start:end]) else None
    if not amount:
        return True
    before, after = _strip_currency(text[:start], at_end=True), text[end:]
    if _UNIT_AFTER.match(after) or _PER_AFTER.match(_strip_currency(after, at_end=False)):
        return True
    dates = (m for m in _DATE.finditer(text) if not m.group(1) or int(m.group(1)) <= 12)
    if any(m.start() < end and start < m.end() for m in dates):
        return True
    return before.endswith(("+", "=")) or bool(_SHIPPING.search(before))


def _currency_near(nodes: Sequence[Node], i: int) -> bool:
    """A currency in the node, or in the node just before/after that holds little else."""
    if find_currencies(nodes[i]["text"]):
        return True
    after = nodes[i + 1]["text"] if i + 1 < len(nodes) else ""
    before = nodes[i - 1]["text"] if i > 0 else ""
    return _strip_currency(after, at_end=False) != after.lstrip() or _is_currency(before)


def plausible_price(nodes: Sequence[Node], i: int, start: int, end: int) -> bool:
    """Whether a span reads as a price: a currency nearby, two decimals, or a price element."""
    amount = nodes[i]["text"][start:end]
    return (
        _currency_near(nodes, i)
        or bool(re.search(r"[.,](?:\d\d|[-\u2013])$", amount))
        or bool(_PRICE_HINT.search(_hints(nodes[i])))
    )


def _element(xpath: str) -> list[str]:
    steps = xpath.split("/")
    return steps[:-1] if steps[-1].startswith("text()") else steps


def _near_relatives(a: Node, b: Node) -> bool:
    """Elements at most two levels below a common ancestor (a price's parts)."""
    x, y = _element(a["xpath"]), _element(b["xpath"])
    common = 0
    while common < min(len(x), len(y)) and x[common] == y[common]:
        common += 1
    return len(x) - common <= 2 and len(y) - common <= 2


_SPLIT_TAIL = re.compile(r"\s*(\d{2}|[-\u2013\u2014]{1,2})(?!\d)")


def split_amount(nodes: Sequence[Node], i: int) -> tuple[int, int, str] | None:
    """An amount split over node i and node i+1 (`€210,` + `87`, `<span>210</span><sup>87</sup>`,
    `299,` + `–`): (start, end) of its integer part in node i, and the whole amount."""
    if i + 1 >= len(nodes) or not _near_relatives(nodes[i], nodes[i + 1]):
        return None
    head = _strip_currency(nodes[i]["text"], at_end=True)
    sep = head[-1] if head[-1:] in (".", ",") else ""
    head = head[: len(head) - len(sep)]
    match = next((m for m in _AMOUNT.finditer(head) if m.end() == len(head)), None)
    tail = _SPLIT_TAIL.match(nodes[i + 1]["text"])
    if match is None or tail is None or _strip_currency(nodes[i + 1]["text"][tail.end() :], False):
        return None
    whole, cents = match.group(), tail.group(1)
    if re.search(r"[.,]\d{1,2}$", whole) or not (sep or cents.isdigit()):
        return None
    if not cents.isdigit():
        return match.start(), match.end(), whole
    return match.start(), match.end(), whole + (sep or ("," if "." in whole else ".")) + cents


def _join_split(candidate: Candidate, nodes: Sequence[Node]) -> None:
    """Make a price span that holds part of an amount split over two nodes hold all of it."""
    i = candidate.node
    here = split_amount(nodes, i)
    if here is not None and candidate.start < here[1]:
        candidate.start, candidate.end, candidate.text = here[0], here[1], here[2]
        return
    before = split_amount(nodes, i - 1) if i > 0 else None
    if before is not None and _SPLIT_TAIL.match(nodes[i]["text"]):
        candidate.node, candidate.start, candidate.end, candidate.text = i - 1, *before


_STEP = re.compile(r"([^\[]+)(?:\[(\d+)\])?$")


def repeated_blocks(xpaths: Sequence[str]) -> set[str]:
    """The XPaths that sit in a block repeated at least 3 times (a carousel or a product list):
    equal to two others but for the index of one ancestor element."""
    groups: dict[tuple[str, str], dict[str, list[str]]] = {}
    for xpath in set(xpaths):
        steps = _element(xpath)
        for j in range(1, len(steps) - 1):  # an ancestor, not the node's own element
            match = _STEP.match(steps[j])
            if match is None:
                continue
            key = ("/".join([*steps[:j], match.group(1)]), "/".join(steps[j + 1 :]))
            groups.setdefault(key, {}).setdefault(match.group(2) or "1", []).append(xpath)
    found: set[str] = set()
    for members in groups.values():
        if len(members) >= 3:
            found.update(x for xs in members.values() for x in xs)
    return found


def price_blocks(nodes: Sequence[Node], candidates: Sequence[Candidate] = ()) -> set[str]:
    """`repeated_blocks` of the nodes that show an amount (with a currency nearby or in a price
    element) and of the price candidates: the XPaths of a page's product lists and carousels."""
    xpaths = [c_node["xpath"] for c_node in (nodes[c.node] for c in candidates)]
    for i, node in enumerate(nodes):
        if _AMOUNT.search(node["text"]) and (
            _currency_near(nodes, i) or _PRICE_HINT.search(_hints(node))
        ):
            xpaths.append(node["xpath"])
    return repeated_blocks(xpaths)


def _in_carousel(node: Node, repeated: set[str]) -> bool:
    return node["xpath"] in repeated or bool(_CAROUSEL_HINT.search(_hints(node)))


def _is_old(nodes: Sequence[Node], i: int) -> bool:
    """A struck-through or former price: by tag, class/id, or a label node just before it."""
    node = nodes[i]
    before = nodes[i - 1]["text"] if i > 0 else ""
    return (
        node["tag"] in _OLD_TAGS
        or bool(_OLD_HINT.search(_hints(node)))
        or bool(_OLD_LABEL.fullmatch(before.strip()))
    )


def lone_amount(nodes: Sequence[Node], i: int) -> tuple[int, int, str] | None:
    """The amount of a node that is a price on its own (`227,70 €`, `£229.00 (inc VAT)`, a price
    split over it and the next node): (start, end, amount), else None."""
    text = nodes[i]["text"]
    if nodes[i]["tag"] == "option":
        return None
    split = split_amount(nodes, i)
    amounts = list(_AMOUNT.finditer(text))
    if split is not None:
        start, end, amount = split
    elif len(amounts) == 1:
        start, end, amount = amounts[0].start(), amounts[0].end(), amounts[0].group()
    else:
        return None
    rest = _strip_currency(text[:start], True) + " " + _strip_currency(text[end:], False)
    if sum(ch.isalpha() for ch in rest) > _MAX_LONE_LETTERS or no_price(text, start, end):
        return None
    return start, end, amount


def fallback_price(nodes: Sequence[Node], anchors: Sequence[int]) -> Candidate | None:
    """A price when the model gives no usable one: the node near the product name that is a price
    on its own, with a currency or in a price element; not in a carousel, not a former price.

    Evidence (a price element, a `Price:` label, a heading) ranks the nodes, then nearness; the
    confidence is 0.5 plus 0.05 per piece of evidence (a currency counts).
    """
    found = [(i, span) for i in range(len(nodes)) if (span := lone_amount(nodes, i))]
    repeated = price_blocks(nodes)
    old = {parse_price(span[2]) for i, span in found if _is_old(nodes, i)}
    best: tuple[tuple[int, int], Candidate] | None = None
    for i, (start, end, amount) in found:
        distances = [
            i - a if i >= a else _FALLBACK_AFTER * (a - i) // _FALLBACK_BEFORE for a in anchors
        ]
        if not distances or min(distances) > _FALLBACK_AFTER:
            continue
        if _is_old(nodes, i) or parse_price(amount) in old or _in_carousel(nodes[i], repeated):
            continue
        before = nodes[i - 1]["text"].strip() if i > 0 else ""
        evidence = [
            _currency_near(nodes, i),
            bool(_PRICE_HINT.search(_hints(nodes[i]))),
            bool(_PRICE_LABEL.fullmatch(before)),
            nodes[i]["tag"] in _HEADINGS,
        ]
        if not (evidence[0] or evidence[1]):
            continue
        rank = (sum(evidence[1:]), -min(distances))
        if best is None or rank > best[0]:
            confidence = 0.5 + 0.05 * sum(evidence)
            candidate = Candidate("price", i, start, end, amount, confidence, confidence)
            best = (rank, candidate)
    return best[1] if best else None


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.node == b.node and a.start < b.end and b.start < a.end


def _score(candidates: list[Candidate], nodes: Sequence[Node], anchor: int | None) -> None:
    """Layout preferences: prices near the name, and not inside a carousel of other products."""
    repeated = price_blocks(nodes, [c for c in candidates if c.attribute in PRICE_ATTRIBUTES])
    for c in candidates:
        c.score = c.confidence
        if c.attribute not in PRICE_ATTRIBUTES:
            continue
        if _in_carousel(nodes[c.node], repeated):
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
    """The candidates with price spans joined over split amounts, without price spans that are
    no price (`no_price`) or do not read as one (`plausible_price`), and without identifier
    spans that hold a currency sign (`£229.00` is no code)."""
    result = []
    for c in candidates:
        if attribute_type(c.attribute) == "identifier" and _has_currency_sign(c.text):
            continue
        if c.attribute in PRICE_ATTRIBUTES:
            _join_split(c, nodes)
            text = nodes[c.node]["text"]
            if no_price(text, c.start, c.end) or not plausible_price(nodes, c.node, c.start, c.end):
                continue
        result.append(c)
    return result


def with_fallback_price(
    candidates: Sequence[Candidate], nodes: Sequence[Node], usable: float = 0.5
) -> list[Candidate]:
    """The candidates, with `fallback_price` instead of the model's prices when none of those is
    usable: at least `usable` confident (the record cut) and outside any carousel."""
    prices = [c for c in candidates if c.attribute == "price"]
    repeated = price_blocks(nodes, prices)
    if any(c.confidence >= usable and not _in_carousel(nodes[c.node], repeated) for c in prices):
        return list(candidates)
    anchors = [a for a in (_name_anchor(candidates), _first_h1(nodes)) if a is not None]
    extra = fallback_price(nodes, anchors)
    if extra is None:
        return list(candidates)
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
    list_attributes: frozenset[str] = LIST_ATTRIBUTES,
) -> Extraction:
    """One value per attribute (a list for list attributes), without two attributes on one span."""
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
        if attribute in list_attributes:
            items = sorted(
                (c for c in ranked if not any(_overlaps(c, o) for o in chosen)),
                key=lambda c: (c.node, c.start),
            )
            texts = list(dict.fromkeys(c.text.strip() for c in items))
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
    return result


def decode_page(
    nodes: Sequence[Node],
    windows: Sequence[Window],
    probs: Sequence[torch.Tensor],
    attributes: Sequence[str],
    fallback_threshold: float = 0.25,
    min_confidence: float = 0.0,
) -> Extraction:
    """Values of one page from the class probabilities [tokens, classes] of its windows."""
    merged = merge_windows(windows, probs)
    texts = [node["text"] for node in nodes]
    candidates: list[Candidate] = []
    for node, scores in sorted(merged.items()):
        candidates.extend(node_candidates(node, texts[node], scores, attributes))
    found = {c.attribute for c in candidates}
    for k, attribute in enumerate(attributes):
        if attribute not in found:
            extra = fallback_candidate(attribute, k, texts, merged, fallback_threshold)
            if extra is not None:
                candidates.append(extra)
    candidates = checked_spans(candidates, nodes)
    if "price" in attributes:
        candidates = with_fallback_price(candidates, nodes)
    return choose_values(candidates, nodes, min_confidence)


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
) -> list[Extraction]:
    """Extract the pages of one store (template pruning looks across them when >= 3).

    `page_tokens` (default: the model config's) limits each page to its most promising nodes.
    `context` holds other pages of the store that only help template pruning (support pages);
    `forward` replaces the model's logits (an adapted functional copy).
    """
    attrs = list(model.config.attributes if attributes is None else attributes)
    if prune:
        kept = prune_template_nodes([*context, *pages])[len(context) :]
    else:
        kept = [list(p) for p in pages]
    features = model.config.features
    budget = model.config.page_tokens if page_tokens is None else page_tokens
    page_windows = [
        encode_page(nodes, tokenizer, features, page_tokens=budget)[:max_windows] for nodes in kept
    ]
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
    return [
        decode_page(nodes, ws, [probs[(p, i)] for i in range(len(ws))], attrs)
        for p, (nodes, ws) in enumerate(zip(kept, page_windows, strict=True))
    ]
