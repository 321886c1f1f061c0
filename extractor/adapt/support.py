"""A store's support: where a query token stands relative to its annotated values.

Within one store, layout is the strongest evidence: the support pages show where each attribute's
value sits (its XPath, its XPath shape, its class, the label text before it, its place after the
title, the text before the value inside its node), and the store's other pages show which slots
are template (the same text everywhere) and which carry data (text that varies). For every token
of a query page and every attribute the support shows, `SupportIndex.relations` gives a vector of
these relations (`extractor.neural.features.RELATION_FEATURES`), among them where the store's
wrapper rules (`extractor.adapt.wrapper`, induced from the same support) read the value; the
model's head turns them into evidence for the attribute's B and I tags
(`extractor.neural.model.RelationHead`), so that meta-training learns when layout wins and when
the text does. Without support (zero-shot) the vectors are zero and the head adds nothing.

The index is plain data: it is saved with an adapted model (`support.json`) and rebuilt from
annotated pages with `SupportIndex.build`.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extractor.adapt.wrapper import Example, Wrapper, WrapperPage, induce
from extractor.neural.features import N_RELATIONS, RELATION_FEATURES, Window, marked_spans
from extractor.page.blocks import whole_block_attributes
from extractor.page.dom import Node
from extractor.values.schema import AttributeType, offer_left_out, support_kinds
from extractor.values.writing import ItemParts, ItemSkip, Writing

if TYPE_CHECKING:
    import torch
from extractor.page.hints import node_hints

#: The file of a store-adapted model directory that holds its support index.
SUPPORT_FILE = "support.json"
_INDEX = re.compile(r"\[\d+\]")
_WORDS = re.compile(r"[^\W\d_]+|\d+")
_MAX_LABEL = 40
#: Nodes kept under a page budget for an attribute: at most this many support-like nodes.
MAX_KEPT_PER_ATTRIBUTE = 40


def shape_of(xpath: str) -> str:
    """An XPath without positions (`/html/body/div/span`)."""
    return _INDEX.sub("", xpath)


def _tags(xpath: str) -> tuple[str, ...]:
    return tuple(shape_of(xpath).strip("/").split("/"))


def word_key(text: str) -> str:
    """Case-folded words of a text (labels, neighbours and values compare on these)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORDS.findall(folded))


def _short_key(text: str) -> str:
    key = word_key(text)
    return key if key and len(text.strip()) <= _MAX_LABEL else ""


def _hint_words(node: Node) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORDS.findall(node_hints(node)) if len(w) > 1)


def title_index(nodes: Sequence[Node]) -> int | None:
    """The first node that is an h1 or inside one."""
    for i, node in enumerate(nodes):
        if node["tag"] == "h1" or "/h1" in shape_of(node["xpath"]):
            return i
    return None


F_FIRST, F_START, F_INSIDE, F_RULE_NODE, F_RULE_TOKEN = (
    RELATION_FEATURES.index(name)
    for name in ("first_token", "value_start", "value_inside", "rule_node", "rule_token")
)


def _items(value: Any) -> list[str]:
    """A rule's value as its non-empty items."""
    values = value if isinstance(value, list | tuple) else [value]
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


def _rule_ranges(text: str, items: Sequence[str]) -> list[tuple[int, int]]:
    """Where a rule's value stands in a node's text: each occurrence of an item, or the whole
    node when the node is a part of a value joined from several nodes."""
    ranges = []
    for item in items:
        at = text.find(item)
        if at >= 0:
            ranges.append((at, at + len(item)))
        elif len(text.strip()) >= 8 and text.strip() in item:
            ranges.append((0, len(text)))
    return ranges


@dataclass(frozen=True)
class NodeContext:
    """What surrounds a node on its page: the short texts before and after it, its title offset."""

    label: str
    follow: str
    title_offset: int | None


def node_contexts(nodes: Sequence[Node]) -> dict[str, NodeContext]:
    """Per XPath, the node's context on the page's full node list (before any pruning)."""
    title = title_index(nodes)
    keys = [_short_key(node["text"]) for node in nodes]
    contexts: dict[str, NodeContext] = {}
    for i, node in enumerate(nodes):
        label = next((keys[j] for j in range(i - 1, max(-1, i - 3), -1) if keys[j]), "")
        follow = next((keys[j] for j in range(i + 1, min(len(nodes), i + 3)) if keys[j]), "")
        offset = None if title is None else i - title
        contexts[node["xpath"]] = NodeContext(label, follow, offset)
    return contexts


@dataclass(frozen=True)
class SupportValue:
    """One annotated span of a support page and its place in the page."""

    attribute: str
    page: int  #: which support page
    xpath: str
    classes: str  #: the node's class and id
    hints: tuple[str, ...]  #: the node's class/id words
    label: str
    follow: str
    title_offset: int | None
    text: str  #: the node's text (key)
    prefix: str  #: the node's text before the span (key; "" for a span that opens its node)

    @property
    def shape(self) -> str:
        """The XPath without positions."""
        return shape_of(self.xpath)


@dataclass
class StoreProfile:
    """How text behaves across a store's pages: per (XPath shape, text) and per shape, on how
    many of the pages it stands."""

    pages: int = 0
    shape_text: Counter[tuple[str, str]] = field(default_factory=Counter)
    shapes: Counter[str] = field(default_factory=Counter)

    @classmethod
    def build(cls, pages: Iterable[Sequence[Node]]) -> StoreProfile:
        """Count the shapes and (shape, text) pairs of the store's pages."""
        profile = cls()
        for nodes in pages:
            profile.pages += 1
            pairs = {(shape_of(n["xpath"]), word_key(n["text"])) for n in nodes}
            profile.shape_text.update(pairs)
            profile.shapes.update({shape for shape, _ in pairs})
        return profile

    def behaviour(self, node: Node) -> tuple[float, float]:
        """(template, slot): share of the pages that show this text at this place, and share
        that show another text there. Both 0 with fewer than two pages."""
        if self.pages < 2:
            return 0.0, 0.0
        shape = shape_of(node["xpath"])
        same = self.shape_text.get((shape, word_key(node["text"])), 0)
        same = same if same > 1 else 0  # a text on one page only is no template
        there = self.shapes.get(shape, 0)
        return same / self.pages, max(0, there - max(same, 1)) / self.pages


@dataclass(frozen=True)
class _NodeView:
    """What the relations read of one query node, computed once for all attributes."""

    xpath: str
    shape: str
    tags: tuple[str, ...]
    classes: str
    hints: frozenset[str]
    text: str
    label: str
    follow: str
    offset: int | None
    behaviour: tuple[float, float]

    @classmethod
    def of(cls, node: Node, context: NodeContext | None, profile: StoreProfile) -> _NodeView:
        """The view of a node in its page context."""
        attrs: Any = node.get("attrs") or {}
        return cls(
            xpath=node["xpath"],
            shape=shape_of(node["xpath"]),
            tags=_tags(node["xpath"]),
            classes=f"{attrs.get('class', '')} {attrs.get('id', '')}".strip(),
            hints=_hint_words(node),
            text=word_key(node["text"]),
            label=context.label if context else "",
            follow=context.follow if context else "",
            offset=context.title_offset if context else None,
            behaviour=profile.behaviour(node),
        )


@dataclass
class SupportIndex:
    """The support values of a store per attribute, and the store's profile."""

    values: dict[str, list[SupportValue]] = field(default_factory=dict)
    profile: StoreProfile = field(default_factory=StoreProfile)
    support_pages: int = 0
    #: per attribute, the support pages that speak for it where not all do: a pseudo-annotated
    #: page (`extractor.adapt.transductive`) marks only the values it reads surely
    attribute_pages: dict[str, int] = field(default_factory=dict)
    #: the type of each supported attribute, from its name and its annotated texts (a list when
    #: its support spans number their items, a price, an identifier...)
    kinds: dict[str, AttributeType] = field(default_factory=dict)
    #: XPath rules induced from the same support pages (`extractor.adapt.wrapper`)
    wrapper: Wrapper | None = None
    #: attributes whose rules read the support pages' values at least as often as the rest of
    #: the pipeline: their rules' value wins whenever they read one (`Extractor.check_support`)
    rules_win: frozenset[str] = frozenset()
    #: the image captioned with the name is not the store's image on its support pages: the
    #: store's records take none (`Extractor.check_support`)
    captions_refuted: bool = False
    #: text attributes whose annotated values are whole blocks (`extractor.page.blocks`)
    blocks: frozenset[str] = frozenset()
    #: the attributes the annotated pages name (marked, or given as values)
    named: frozenset[str] = frozenset()
    _cache: dict[str, list[tuple[SupportValue, str, tuple[str, ...], frozenset[str]]]] | None = (
        field(default=None, repr=False, compare=False)
    )

    @classmethod
    def build(
        cls,
        pages: Sequence[Sequence[Node]],
        spans: Sequence[Mapping[str, Sequence[Mapping[str, Any]]]],
        store_pages: Sequence[Sequence[Node]] = (),
        profile: StoreProfile | None = None,
        examples: Sequence[Example] = (),
        pseudo: int = 0,
    ) -> SupportIndex:
        """The index of annotated pages (their full node lists and `{attribute: [spans]}`);
        `store_pages` are the store's other pages (the crawl holds them) for the profile, unless
        it is given; `examples` (annotated pages with their roots and values) give the wrapper
        rules; the last `pseudo` pages are pseudo-annotated and speak only for the attributes
        they mark."""
        if profile is None:
            profile = StoreProfile.build([*pages, *store_pages])
        kinds = support_kinds(spans)
        wrapper = induce(examples) if examples else None
        texts = [a for a, kind in kinds.items() if kind == "text"]
        annotated = len(pages) - pseudo
        blocks = whole_block_attributes(pages[:annotated], spans[:annotated], texts)
        named = {a for marked in spans[:annotated] for a, items in marked.items() if items}
        named |= {a for e in examples for a, v in e.labels.items() if v not in (None, "", [])}
        index = cls(
            profile=profile,
            support_pages=len(pages),
            kinds=kinds,
            wrapper=wrapper,
            blocks=blocks,
            named=frozenset(named),
        )
        if pseudo:
            marked_by = spans[annotated:]
            index.attribute_pages = {
                a: annotated + sum(1 for marked in marked_by if marked.get(a)) for a in kinds
            }
        for p, (nodes, marked) in enumerate(zip(pages, spans, strict=True)):
            by_xpath = {node["xpath"]: node for node in nodes}
            contexts = node_contexts(nodes)
            for attribute, span, _ in marked_spans(marked):
                node = by_xpath.get(str(span["xpath"]))
                if node is None:
                    continue
                context = contexts[node["xpath"]]
                attrs: Any = node.get("attrs") or {}
                value = SupportValue(
                    attribute=attribute,
                    page=p,
                    xpath=node["xpath"],
                    classes=f"{attrs.get('class', '')} {attrs.get('id', '')}".strip(),
                    hints=tuple(sorted(_hint_words(node))),
                    label=context.label,
                    follow=context.follow,
                    title_offset=context.title_offset,
                    text=word_key(node["text"]),
                    prefix=word_key(node["text"][: int(span["start"])]),
                )
                index.values.setdefault(attribute, []).append(value)
        return index

    @property
    def attributes(self) -> list[str]:
        """The attributes with support values."""
        return list(self.values)

    @property
    def left_out(self) -> frozenset[str]:
        """The attributes the store's records leave out (`schema.offer_left_out`)."""
        return offer_left_out(self.named)

    # -- features ---------------------------------------------------------------------------

    def node_relations(
        self, node: Node, context: NodeContext | None, attribute: str
    ) -> list[float] | None:
        """The node-level relations of a node to an attribute's support values (None: the
        attribute has none). Token-level ones are filled in by `relations`."""
        return self._node_relations(_NodeView.of(node, context, self.profile), attribute)

    def _node_relations(self, view: _NodeView, attribute: str) -> list[float] | None:
        values = self._prepared().get(attribute)
        if not values:
            return None
        best = [0.0] * N_RELATIONS
        best[0] = 1.0
        pages_here: set[int] = set()
        for v, v_shape, v_tags, v_hints in values:
            same_shape = view.shape == v_shape
            if same_shape:
                pages_here.add(v.page)
            common = 0
            for a, b in zip(reversed(view.tags), reversed(v_tags), strict=False):
                if a != b:
                    break
                common += 1
            union = len(view.hints | v_hints)
            close = 0.0
            if view.offset is not None and v.title_offset is not None:
                close = math.exp(-abs(view.offset - v.title_offset) / 3)
            row = (
                float(view.xpath == v.xpath),
                float(same_shape),
                common / max(len(view.tags), len(v_tags)),
                float(bool(view.classes) and view.classes == v.classes),
                len(view.hints & v_hints) / union if union else 0.0,
                float(bool(view.label) and view.label == v.label),
                float(bool(view.follow) and view.follow == v.follow),
                float(bool(view.text) and view.text == v.text),
                close,
            )
            for j, x in enumerate(row, start=1):
                if x > best[j]:
                    best[j] = x
        pages = self.attribute_pages.get(attribute, self.support_pages)
        best[10] = len(pages_here) / max(pages, 1)
        best[11], best[12] = view.behaviour
        return best

    def _prepared(
        self,
    ) -> dict[str, list[tuple[SupportValue, str, tuple[str, ...], frozenset[str]]]]:
        """Per attribute, its support values with their shape, tags and hint words (once)."""
        if self._cache is None:
            self._cache = {
                a: [(v, v.shape, _tags(v.xpath), frozenset(v.hints)) for v in vs]
                for a, vs in self.values.items()
            }
        return self._cache

    def prefixes(self, attribute: str) -> set[str]:
        """The texts before the support values inside their nodes (keys)."""
        return {v.prefix for v in self.values.get(attribute, ())}

    def relations(
        self,
        nodes: Sequence[Node],
        contexts: Mapping[str, NodeContext],
        token_node: Sequence[int],
        token_start: Sequence[int],
        attributes: Sequence[str],
        rule_values: Mapping[str, Any] | None = None,
        token_end: Sequence[int] | None = None,
    ) -> torch.Tensor:
        """[tokens, len(attributes), N_RELATIONS] relations of one window's tokens (zeros for
        special tokens and for attributes without support); `rule_values` are what the store's
        wrapper reads on this page (`rule_values`)."""
        import numpy as np
        import torch

        out = np.zeros((len(token_node), len(attributes), N_RELATIONS), dtype=np.float32)
        supported = [(a, name) for a, name in enumerate(attributes) if self.values.get(name)]
        if not supported:
            return torch.from_numpy(out)
        ends = token_end if token_end is not None else token_start
        prefixes = {name: self.prefixes(name) for _, name in supported}
        values = rule_values or {}
        rules = {name: _items(values.get(name)) for _, name in supported}
        by_node: dict[int, list[int]] = {}
        for t, i in enumerate(token_node):
            if i >= 0:
                by_node.setdefault(i, []).append(t)
        for i, tokens in by_node.items():
            node = nodes[i]
            context = contexts.get(node["xpath"])
            befores = [word_key(node["text"][: token_start[t]]) for t in tokens]
            first = [token_start[t] == 0 or not b for t, b in zip(tokens, befores, strict=True)]
            rows = np.asarray(tokens)
            view = _NodeView.of(node, context, self.profile)
            for a, name in supported:
                row = self._node_relations(view, name)
                if row is None:
                    continue
                block = np.tile(np.asarray(row, dtype=np.float32), (len(tokens), 1))
                block[:, F_FIRST] = first
                block[:, F_START] = [b in prefixes[name] for b in befores]
                block[:, F_INSIDE] = [any(b.startswith(p) for p in prefixes[name]) for b in befores]
                where = _rule_ranges(node["text"], rules[name]) if rules[name] else []
                if where:
                    block[:, F_RULE_NODE] = 1.0
                    block[:, F_RULE_TOKEN] = [
                        any(s <= token_start[t] and ends[t] <= e for s, e in where) for t in tokens
                    ]
                out[rows, a] = block
        return torch.from_numpy(out)

    def page_relations(
        self,
        raw: Sequence[Node],
        kept: Sequence[Node],
        windows: Sequence[Window],
        attributes: Sequence[str],
        rule_values: Mapping[str, Any] | None = None,
    ) -> list[torch.Tensor]:
        """The relations of every window of a page (`kept`: its nodes after pruning, which the
        windows index; `raw`: all of them, for each node's neighbours)."""
        contexts = node_contexts(raw)
        return [
            self.relations(
                kept, contexts, w.token_node, w.token_start, attributes, rule_values, w.token_end
            )
            for w in windows
        ]

    def rule_values(self, page: WrapperPage) -> dict[str, Any]:
        """What the store's wrapper rules read on a page (nothing without rules)."""
        return self.wrapper.read(page)[0] if self.wrapper is not None else {}

    @property
    def gated(self) -> frozenset[str]:
        """The attributes the rule gate holds the pipeline to (`fusion.prefer_rules`' `ruled`):
        those the store's wrapper has rules for, and the text attributes the support marks that
        it has none for (a description in pieces): the support shows them, so a value the rules
        do not confirm must be as sure as where rules read nothing. Lists stay out: the model
        reads a list whose template moved item by item."""
        rules = set(self.wrapper.rules) if self.wrapper is not None else set()
        texts = {a for a, kind in self.kinds.items() if kind == "text"}
        return frozenset(rules | texts)

    @property
    def items(self) -> Mapping[str, tuple[ItemParts, ItemSkip]]:
        """How the store writes its lists' items (nothing without rules)."""
        return self.wrapper.items if self.wrapper is not None else {}

    def support_like(self, nodes: Sequence[Node]) -> list[int]:
        """Indices of the nodes that stand where a support value stands: its XPath first, then
        its XPath shape, at most MAX_KEPT_PER_ATTRIBUTE per attribute (the page budget reads
        them first)."""
        by_shape: dict[str, list[int]] = {}
        for i, node in enumerate(nodes):
            by_shape.setdefault(shape_of(node["xpath"]), []).append(i)
        xpaths = {node["xpath"]: i for i, node in enumerate(nodes)}
        exact: list[int] = []
        shaped: list[int] = []
        for values in self.values.values():
            mine = [xpaths[v.xpath] for v in values if v.xpath in xpaths]
            mine += [i for v in values for i in by_shape.get(v.shape, ())]
            mine = list(dict.fromkeys(mine))[:MAX_KEPT_PER_ATTRIBUTE]
            exact += [i for i in mine if nodes[i]["xpath"] in self._xpaths]
            shaped += mine
        return list(dict.fromkeys(exact + shaped))

    @property
    def _xpaths(self) -> set[str]:
        return {v.xpath for values in self.values.values() for v in values}

    # -- files ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the adapted model's support.json)."""
        return {
            "support_pages": self.support_pages,
            "attribute_pages": self.attribute_pages,
            "kinds": self.kinds,
            "rules_win": sorted(self.rules_win),
            "captions_refuted": self.captions_refuted,
            "blocks": sorted(self.blocks),
            "named": sorted(self.named),
            "rules": self.wrapper.to_dict() if self.wrapper is not None else None,
            "writing": self.wrapper.writing.to_dict() if self.wrapper is not None else {},
            "items": self.wrapper.items_to_dict() if self.wrapper is not None else {},
            "values": {a: [asdict(v) for v in vs] for a, vs in self.values.items()},
            "profile": {
                "pages": self.profile.pages,
                "shapes": [[s, n] for s, n in self.profile.shapes.items()],
                # a text seen once is no template: only repeated ones are kept
                "shape_text": [[s, t, n] for (s, t), n in self.profile.shape_text.items() if n > 1],
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SupportIndex:
        """Rebuild from `to_dict`'s output."""
        profile = StoreProfile(pages=int(data["profile"]["pages"]))
        for shape, n in data["profile"]["shapes"]:
            profile.shapes[shape] = int(n)
        for shape, text, n in data["profile"]["shape_text"]:
            profile.shape_text[(shape, text)] = int(n)
        values = {
            a: [SupportValue(**{**v, "hints": tuple(v["hints"])}) for v in vs]
            for a, vs in data["values"].items()
        }
        return cls(
            values=values,
            profile=profile,
            support_pages=int(data["support_pages"]),
            attribute_pages={a: int(n) for a, n in data.get("attribute_pages", {}).items()},
            kinds=dict(data.get("kinds", {})),
            wrapper=(
                Wrapper.from_dict(
                    data["rules"], Writing.from_dict(data.get("writing")), data.get("items")
                )
                if data.get("rules")
                else None
            ),
            rules_win=frozenset(data.get("rules_win", ())),
            captions_refuted=bool(data.get("captions_refuted", False)),
            blocks=frozenset(data.get("blocks", ())),
            named=frozenset(data.get("named", ())),
        )


def load_support(directory: str | Path) -> SupportIndex:
    """The support index saved in a model directory (a clear error when it is not valid)."""
    path = Path(directory) / SUPPORT_FILE
    try:
        return SupportIndex.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a support index: {exc}") from exc


def save_support(support: SupportIndex, directory: str | Path) -> Path:
    """Write the support index into a model directory."""
    path = Path(directory) / SUPPORT_FILE
    path.write_text(json.dumps(support.to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")
    return path
