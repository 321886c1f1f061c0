"""Model input: a page's text nodes -> token windows with XPath, hint and BIO label features."""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from extractor.neural.budget import (
    PAGE_BUDGETS,
    budget_nodes,
)
from extractor.page.dom import Node
from extractor.values.schema import attribute_type

logger = logging.getLogger(__name__)


#: Fixed HTML tag vocabulary of the XPath embedding; id 0 = padding, 1 = unknown tag.
HTML_TAGS = (
    "<pad>", "<unk>", "text()", "html", "body", "div", "span", "p", "a", "ul", "ol", "li", "dl",
    "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "footer", "nav", "aside", "main", "section", "article", "form",
    "label", "button", "select", "option", "optgroup", "input", "textarea", "fieldset", "legend",
    "strong", "b", "em", "i", "u", "s", "del", "ins", "small", "sup", "sub", "mark", "code", "pre",
    "blockquote", "q", "cite", "abbr", "time", "data", "meter", "output", "progress", "figure",
    "figcaption", "picture", "img", "video", "audio", "source", "details", "summary", "dialog",
    "address", "br", "hr", "font", "center", "bdi", "bdo", "wbr", "var", "kbd", "samp", "dfn",
    "ruby", "rt", "rp", "menu", "slot", "noscript", "custom-element",
)  # fmt: skip


TAG_IDS = {tag: i for i, tag in enumerate(HTML_TAGS)}


#: Sibling subscripts above this share one id (long lists look alike past this point).
MAX_SUBSCRIPT = 127


_STEP = re.compile(r"^([^\[]+)(?:\[(\d+)\])?$")


_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


Spans = Mapping[str, Sequence[Mapping[str, Any]]]

#: The relations of a token to a store's support values, in order: the relation head's input
#: (`extractor.adapt.support` computes them; index 0 marks an attribute with support values).
RELATION_FEATURES = (
    "has_support",  # 1 for every token when the attribute has support values
    "xpath",  # the node's XPath is a support node's
    "shape",  # its XPath without positions is a support node's
    "path",  # shared tail of the tag path with the closest support node (0..1)
    "classes",  # the node's class and id equal a support node's
    "hint_overlap",  # shared class/id words with the closest support node (Jaccard)
    "label",  # the short text just before the node equals the one before a support value
    "follow",  # the short text just after the node equals the one after a support value
    "same_text",  # the node's text equals a support value node's text
    "title_offset",  # distance to the title as the support value's (1 = the same offset)
    "agreement",  # share of support pages with a value at this node's XPath shape
    "template",  # the node's text stands at its place on most of the store's pages
    "slot",  # the node's place holds other texts on the store's other pages
    "first_token",  # the token opens its node
    "value_start",  # the node's text before the token is the text before a support value
    "value_inside",  # the token follows that text (inside where a value would be)
    "rule_node",  # the store's wrapper rule reads the attribute's value from this node
    "rule_token",  # the token is inside the value the rule reads
)
N_RELATIONS = len(RELATION_FEATURES)


def ignorable_relations(names: Sequence[str]) -> list[str]:
    """`names` as a list, checked to be relations a relation head can ignore (all but
    `has_support`, which marks where the head speaks at all)."""
    unknown = sorted(set(names) - set(RELATION_FEATURES[1:]))
    if unknown:
        raise ValueError(
            f"ignored_relations must name relations of {RELATION_FEATURES[1:]}, got {unknown}"
        )
    return list(names)


@dataclass(frozen=True)
class FeatureConfig:
    """How pages become model input (stored inside the model config)."""

    window: int = 256  #: tokens per window, [CLS] and [SEP] included
    max_depth: int = 24  #: XPath levels embedded (the deepest ones)
    hint_buckets: int = 2048  #: hash buckets of class/id/itemprop/aria hint words
    hints_per_node: int = 8  #: hint words kept per node
    max_node_tokens: int = 48  #: a node's text is cut to this many tokens (its start is kept)
    page_budget: str = "priors"  #: nodes kept under a page token budget: "priors" or "title"
    budget_node_tokens: int = 24  #: under a page budget, long nodes are cut harder (their start)

    def __post_init__(self) -> None:
        """Reject settings the model cannot use."""
        if self.page_budget not in PAGE_BUDGETS:
            raise ValueError(f"page_budget must be one of {PAGE_BUDGETS}, got {self.page_budget!r}")
        if self.budget_node_tokens < 1:
            raise ValueError("budget_node_tokens must be >= 1")
        if not 8 <= self.window <= 512:
            raise ValueError(f"window must be in 8..512, got {self.window}")
        if not 1 <= self.max_node_tokens <= self.window - 2:
            raise ValueError("max_node_tokens must be in 1..window-2")
        if self.max_depth < 1 or self.hint_buckets < 2 or self.hints_per_node < 1:
            raise ValueError("max_depth, hints_per_node must be >= 1 and hint_buckets >= 2")


@dataclass
class Window:
    """One encoder input: a run of whole nodes of one page, tokenised, with per-token features."""

    node_ids: list[int]  #: indices (into the page's node list) of the nodes it covers
    input_ids: list[int]
    token_node: list[int]  #: node index per token, -1 for [CLS]/[SEP]
    token_start: list[int]  #: char offset of the token in its node's text
    token_end: list[int]
    xpath_tags: list[list[int]]  #: per token, tag id per depth
    xpath_subs: list[list[int]]  #: per token, sibling subscript per depth
    hints: list[list[int]]  #: per token, hashed hint bucket ids (0 = padding)
    labels: list[int] | None = field(default=None)  #: BIO class ids, -100 where ignored
    #: [tokens, attributes, N_RELATIONS] relations to the store's support values, when known
    relations: torch.Tensor | None = field(default=None, repr=False)


def attribute_classes(attributes: Sequence[str]) -> list[str]:
    """Class names of a BIO tagging over the attributes: O, B-a, I-a, B-b, ..."""
    return ["O"] + [f"{p}-{a}" for a in attributes for p in ("B", "I")]


def xpath_features(xpath: str, depth: int) -> tuple[list[int], list[int]]:
    """Tag ids and sibling subscripts of the deepest `depth` XPath steps, padded with 0."""
    tags: list[int] = []
    subs: list[int] = []
    for step in xpath.strip("/").split("/"):
        match = _STEP.match(step)
        name, index = (match.group(1), match.group(2)) if match else (step, None)
        name = name.lower()
        tags.append(TAG_IDS.get(name, TAG_IDS["custom-element"] if "-" in name else 1))
        subs.append(min(int(index), MAX_SUBSCRIPT) if index else 0)
    tags, subs = tags[-depth:], subs[-depth:]
    pad = depth - len(tags)
    return tags + [0] * pad, subs + [0] * pad


def hint_words(attrs: Mapping[str, str]) -> list[str]:
    """Hint words of a node: class/id/itemprop/aria-label split on non-letters and camelCase."""
    words: list[str] = []
    for name in ("itemprop", "id", "class", "aria-label"):
        prefix = {"itemprop": "p", "aria-label": "a"}.get(name, "c")  # class and id share words
        for word in _WORD.findall(attrs.get(name) or ""):
            if len(word) > 1:
                words.append(f"{prefix}:{word.lower()}")
    return list(dict.fromkeys(words))


def hint_ids(attrs: Mapping[str, str], buckets: int, limit: int) -> list[int]:
    """Hashed hint word ids in 1..buckets-1 (stable across runs), at most `limit`, 0-padded."""
    ids = [1 + zlib.crc32(w.encode()) % (buckets - 1) for w in hint_words(attrs)][:limit]
    return ids + [0] * (limit - len(ids))


def marked_spans(spans: Spans) -> list[tuple[str, Mapping[str, Any], bool]]:
    """The spans of a page as (attribute, span, opens): a span opens a value when it is the
    first span of the value (the spans of an attribute make one value, or one per `item` in a
    list); a span that continues a value gives way on a node where another attribute's value
    opens (a description matched over a block of bullet points does not own the MPN's node)."""
    result: list[tuple[str, Mapping[str, Any], bool]] = []
    for attribute, items in spans.items():
        opened: set[object] = set()
        for span in items:
            value = span.get("item")
            result.append((attribute, span, value not in opened))
            opened.add(value)
    owned = {(str(span["xpath"]), attribute) for attribute, span, opens in result if opens}
    owners: dict[str, set[str]] = {}
    for xpath, attribute in owned:
        owners.setdefault(xpath, set()).add(attribute)
    return [
        (attribute, span, opens)
        for attribute, span, opens in result
        if opens or not owners.get(str(span["xpath"]), set()) - {attribute}
    ]


def _span_labels(
    nodes: Sequence[Node],
    spans: Spans,
    attributes: Sequence[str],
) -> dict[int, list[tuple[int, int, int, bool]]]:
    """Per node index, its spans as (start, end, B class id, opens), from `marked_spans`;
    unknown attributes are skipped. A value over several nodes (a description over three
    paragraphs, an ingredient line over three nodes) continues (I) from node to node."""
    index = {node["xpath"]: i for i, node in enumerate(nodes)}
    by_node: dict[int, list[tuple[int, int, int, bool]]] = {}
    for attribute, span, opens in marked_spans(spans):
        if attribute not in attributes:
            continue
        b_id = 1 + 2 * list(attributes).index(attribute)
        i = index.get(span["xpath"])
        if i is None:
            logger.debug("span of %s at %s: node not in the page", attribute, span["xpath"])
            continue
        by_node.setdefault(i, []).append((int(span["start"]), int(span["end"]), b_id, opens))
    return by_node


def tokenize_nodes(texts: Sequence[str], tokenizer: Any, max_tokens: int) -> dict[str, list[Any]]:
    """`input_ids` and `offset_mapping` of each text, without special tokens, its first
    `max_tokens` tokens (`extractor.neural.tokenizer.Tokenizer`'s backend, all texts at once)."""
    if not texts:
        return {"input_ids": [], "offset_mapping": []}
    backend = tokenizer.backend_tokenizer
    found = backend.encode_batch(list(texts), add_special_tokens=False)
    return {
        "input_ids": [e.ids[:max_tokens] for e in found],
        "offset_mapping": [e.offsets[:max_tokens] for e in found],
    }


def encode_page(
    nodes: Sequence[Node],
    tokenizer: Any,
    config: FeatureConfig,
    spans: Spans | None = None,
    attributes: Sequence[str] = (),
    page_tokens: int = 0,
    keep: Sequence[int] = (),
) -> list[Window]:
    """Tokenise a page's nodes into windows of whole nodes; BIO labels when spans are given.

    With `page_tokens` > 0 only the most promising nodes that fit that many tokens are encoded,
    each cut to `budget_node_tokens` (fast extraction, `budget_nodes`; `keep`: nodes where the
    support values stand, read first); otherwise every node is in exactly one window.
    """
    encoded = tokenize_nodes([node["text"] for node in nodes], tokenizer, config.max_node_tokens)
    by_node = _span_labels(nodes, spans, attributes) if spans is not None else {}
    budget = config.window - 2
    windows: list[Window] = []
    current: list[int] = []
    used = 0
    selected: Sequence[int] = range(len(nodes))
    if page_tokens > 0:
        cap = config.budget_node_tokens
        encoded = {
            "input_ids": [ids[:cap] for ids in encoded["input_ids"]],
            "offset_mapping": [offsets[:cap] for offsets in encoded["offset_mapping"]],
        }
        counts = [len(ids) for ids in encoded["input_ids"]]
        selected = budget_nodes(nodes, counts, page_tokens, config.page_budget, keep)
    for i in selected:
        n_tokens = len(encoded["input_ids"][i])
        if current and used + n_tokens > budget:
            windows.append(
                _build_window(current, nodes, encoded, by_node, tokenizer, config, spans)
            )
            current, used = [], 0
        current.append(i)
        used += n_tokens
    if current or not windows:
        windows.append(_build_window(current, nodes, encoded, by_node, tokenizer, config, spans))
    return windows


def _build_window(
    node_ids: list[int],
    nodes: Sequence[Node],
    encoded: Any,
    by_node: dict[int, list[tuple[int, int, int, bool]]],
    tokenizer: Any,
    config: FeatureConfig,
    spans: Spans | None,
) -> Window:
    pad_path = [0] * config.max_depth
    pad_hints = [0] * config.hints_per_node
    w = Window(
        node_ids=list(node_ids),
        input_ids=[tokenizer.cls_token_id],
        token_node=[-1],
        token_start=[0],
        token_end=[0],
        xpath_tags=[pad_path],
        xpath_subs=[pad_path],
        hints=[pad_hints],
        labels=[-100] if spans is not None else None,
    )
    for i in node_ids:
        node = nodes[i]
        tags, subs = xpath_features(node["xpath"], config.max_depth)
        hints = hint_ids(node.get("attrs") or {}, config.hint_buckets, config.hints_per_node)  # type: ignore[arg-type]
        node_spans = by_node.get(i, [])
        seen: set[tuple[int, int, int, bool]] = set()
        for token_id, (start, end) in zip(
            encoded["input_ids"][i], encoded["offset_mapping"][i], strict=True
        ):
            w.input_ids.append(token_id)
            w.token_node.append(i)
            w.token_start.append(start)
            w.token_end.append(end)
            w.xpath_tags.append(tags)
            w.xpath_subs.append(subs)
            w.hints.append(hints)
            if w.labels is not None:
                label = 0
                for span in node_spans:  # the first span covering the token wins
                    s, e, b_id, opens = span
                    if start < e and end > s:
                        label = b_id + 1 if span in seen or not opens else b_id
                        seen.add(span)
                        break
                w.labels.append(label)
    w.input_ids.append(tokenizer.sep_token_id)
    w.token_node.append(-1)
    w.token_start.append(0)
    w.token_end.append(0)
    w.xpath_tags.append(pad_path)
    w.xpath_subs.append(pad_path)
    w.hints.append(pad_hints)
    if w.labels is not None:
        w.labels.append(-100)
    return w


def labelled_windows(windows: Sequence[Window], limit: int) -> list[Window]:
    """The windows of an annotated page that training reads: the first `limit` that show a
    value, then as few more as show the attributes those miss (a recipe's steps below its
    name, description and ingredients), so that every value the page shows is learnt."""

    def shown(window: Window) -> set[int]:
        return {(y - 1) // 2 for y in window.labels or [] if y > 0}

    labelled = [w for w in windows if shown(w)]
    chosen = labelled[:limit]
    seen = set().union(*map(shown, chosen)) if chosen else set()
    for window in labelled[limit:]:
        if new := shown(window) - seen:
            chosen.append(window)
            seen |= new
    return chosen


def collate(windows: Sequence[Window], pad_token_id: int = 0) -> dict[str, torch.Tensor]:
    """Pad windows into a batch of tensors (labels only when every window has them)."""
    length = max(len(w.input_ids) for w in windows)
    depth = len(windows[0].xpath_tags[0])
    n_hints = len(windows[0].hints[0])

    def pad(rows: list[list[int]], value: int) -> torch.Tensor:
        return torch.tensor([r + [value] * (length - len(r)) for r in rows], dtype=torch.long)

    def pad2(rows: list[list[list[int]]], width: int) -> torch.Tensor:
        return torch.tensor([r + [[0] * width] * (length - len(r)) for r in rows], dtype=torch.long)

    batch = {
        "input_ids": pad([w.input_ids for w in windows], pad_token_id),
        "attention_mask": pad([[1] * len(w.input_ids) for w in windows], 0),
        "xpath_tags": pad2([w.xpath_tags for w in windows], depth),
        "xpath_subs": pad2([w.xpath_subs for w in windows], depth),
        "hints": pad2([w.hints for w in windows], n_hints),
    }
    if all(w.labels is not None for w in windows):
        batch["labels"] = pad([w.labels or [] for w in windows], -100)
    if all(w.relations is not None for w in windows):
        batch["relations"] = pad_relations([w.relations for w in windows], length)  # type: ignore[misc]
    return batch


def pad_relations(relations: Sequence[torch.Tensor], length: int) -> torch.Tensor:
    """Stack per-window [T_i, A, K] relations into [B, length, A, K] (zeros where padded)."""
    first = relations[0]
    out = first.new_zeros(len(relations), length, *first.shape[1:])
    for i, r in enumerate(relations):
        out[i, : r.shape[0]] = r
    return out


def taggable(attributes: Sequence[str]) -> list[str]:
    """Attributes the token tagger can mark (URL attributes have no text node)."""
    return [a for a in attributes if attribute_type(a) != "url"]
