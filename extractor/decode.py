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

if TYPE_CHECKING:
    from extractor.model import ExtractorModel

logger = logging.getLogger(__name__)

#: Attributes whose value is a list of spans (in document order).
LIST_ATTRIBUTES = frozenset({"breadcrumb"})
#: Attributes whose best candidate sits near the product name, not in a product carousel.
PRICE_ATTRIBUTES = frozenset({"price", "regular_price"})
_LIST_ITEM = re.compile(r"^(.*/(?:ul|ol)(?:\[\d+\])?)/li(?:\[(\d+)\])?(?:/|$)")
#: An amount as shops print it: thousands groups (`1.299,00`, `12,800`, `1 299`) or plain.
_AMOUNT = re.compile(
    r"\d{1,3}(?:[.,'\u2019\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
)
_CAROUSEL_HINT = re.compile(r"related|carousel|slider|recommend|similar|upsell|cross-?sell", re.I)


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


def _candidate(
    attribute: str, k: int, node: int, text: str, scores: NodeScores, t0: int, t1: int
) -> Candidate:
    p = scores.probs[t0:t1, 1 + 2 * k] + scores.probs[t0:t1, 2 + 2 * k]
    start, end = scores.offsets[t0][0], scores.offsets[t1 - 1][1]
    if attribute in PRICE_ATTRIBUTES:
        start, end = snap_to_amount(text, start, end)
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


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.node == b.node and a.start < b.end and b.start < a.end


def _score(candidates: list[Candidate], nodes: Sequence[Node], anchor: int | None) -> None:
    """Layout preferences: prices near the name, and not inside a carousel of other products."""
    containers: dict[str, set[str]] = {}
    for c in candidates:
        match = _LIST_ITEM.match(nodes[c.node]["xpath"])
        if c.attribute in PRICE_ATTRIBUTES and match:
            containers.setdefault(match.group(1), set()).add(match.group(2) or "1")
    for c in candidates:
        c.score = c.confidence
        if c.attribute not in PRICE_ATTRIBUTES:
            continue
        xpath = nodes[c.node]["xpath"]
        match = _LIST_ITEM.match(xpath)
        attrs: Any = nodes[c.node].get("attrs") or {}
        if (match and len(containers.get(match.group(1), ())) >= 3) or _CAROUSEL_HINT.search(
            f"{attrs.get('class', '')} {attrs.get('id', '')}"
        ):
            c.score -= 0.3
        if anchor is not None:
            c.score -= 0.2 * min(1.0, abs(c.node - anchor) / 200)


def choose_values(
    candidates: Sequence[Candidate],
    nodes: Sequence[Node],
    min_confidence: float = 0.0,
    list_attributes: frozenset[str] = LIST_ATTRIBUTES,
) -> Extraction:
    """One value per attribute (a list for list attributes), without two attributes on one span."""
    cands = [c for c in candidates if c.confidence >= min_confidence and c.text.strip()]
    names = [c for c in cands if c.attribute == "name"]
    anchor = max(names, key=lambda c: c.confidence).node if names else None
    if anchor is None:
        anchor = next((i for i, n in enumerate(nodes) if n["tag"] == "h1"), None)
    _score(cands, nodes, anchor)
    result = Extraction(candidates=list(cands))
    by_attr: dict[str, list[Candidate]] = {}
    for c in cands:
        by_attr.setdefault(c.attribute, []).append(c)
    chosen: list[Candidate] = []
    # Most confident attributes choose first; later ones skip spans already taken.
    order = sorted(by_attr, key=lambda a: -max(c.score for c in by_attr[a]))
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
