"""Wrapper induction: XPath rules per attribute learnt from annotated support pages.

The evaluation's `wrapper` baseline, and an input of the adapted model: where the store's rules
read a value on a query page is one of the relations the model weighs (`extractor.neural.
relations`), and images, which have no text node to tag, come from the rules.

For every annotated span, candidate rules generalise the XPath of its element: the exact path,
the path with sibling indices relaxed, paths anchored on an ancestor's id, itemprop or class, and
"the node after this label". Each candidate runs on every support page; the rules that reproduce
the support values best (fewest misses, then the most general family) are kept, best first, and
the first one that yields a value on a query page extracts it.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import lxml.etree
import lxml.html

from extractor.page.blocks import block_range, block_text, is_whole_block, item_path
from extractor.page.dom import Node
from extractor.values.equality import values_equal
from extractor.values.matching import MatchResult, Span, image_candidates
from extractor.values.matching.images import image_widths
from extractor.values.matching.result import item_texts
from extractor.values.normalize.currencies import find_currencies
from extractor.values.normalize.text import join_texts, text_key
from extractor.values.normalize.urls import normalize_url
from extractor.values.schema import (
    ROOTED_ATTRIBUTES,
    SITE_ATTRIBUTES,
    AttributeType,
    attribute_type,
    support_kinds,
)
from extractor.values.writing import (
    ItemParts,
    ItemSkip,
    Writing,
    learn_writing,
    node_role,
    write_item,
    written_around,
)

logger = logging.getLogger(__name__)

Mode = Literal[
    "first",
    "block",
    "all",
    "items",
    "subtree",
    "subtree-list",
    "image",
    "after-label",
    "constant",
]
#: Candidate families, most general first (ties on the support pages go to the earlier family).
FAMILIES = ("id", "itemprop", "class", "label", "relaxed", "absolute", "constant")
_TEXT_STEP = re.compile(r"/text\(\)\[(\d+)\]$")
_STEP = re.compile(r"^([A-Za-z][\w-]*)(?:\[(\d+)\])?$")
_VOLATILE = re.compile(r"\d{4,}|[0-9a-f]{8,}")  # ids/classes that change from page to page
_POSITION = re.compile(r"\[\d+\]")
_ANCHORED = ("id", "itemprop", "class")
_NUMBER = re.compile(r"\d[\d.,' \u00a0\u202f]*\d|\d")
MAX_ANCESTORS = 8
MAX_CLASS_TOKENS = 3
MAX_LABEL_CHARS = 40
FALLBACK_RULES = 3
MAX_IMAGE_ELEMENTS = 8  #: elements showing a support image that rules are learnt from


@dataclass(frozen=True)
class Rule:
    """How to read one attribute from a page."""

    attribute: str
    mode: Mode
    family: str
    xpath: str = ""
    text_index: int | None = None  #: which text segment of the element (`text()[k]`)
    prefix: str | None = ""  #: literal text before the value in its node (None: varies)
    suffix: str | None = ""
    image_index: int = 0  #: which of the element's image URLs...
    #: ...or `widest`: the one that declares the largest width (`image_widths`), as the
    #: support's does: a srcset lists other sizes on other pages, the original is the widest
    image_pick: str = ""
    label: str = ""  #: for `after-label`: the label node's text key
    constant: Any = None
    kind: AttributeType | None = None  #: the attribute's type in this store (`support_kinds`)
    #: for `items` (`item_parts`): kinds of node (tag, class) whose text the store's values
    #: write with something before and after it, and kinds of node items leave out
    parts: tuple[tuple[str, str, str, str], ...] = ()
    skip: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WrapperPage:
    """A page as the wrapper reads it: its text nodes, its lxml root and its URL."""

    nodes: Sequence[Node]
    root: lxml.html.HtmlElement | None
    url: str | None = None


@dataclass(frozen=True)
class Example:
    """An annotated support page: the page, its values and where the matcher found them."""

    page: WrapperPage
    labels: Mapping[str, Any]
    match: MatchResult


@dataclass
class PageView:
    """A parsed page with lookups from element paths to text nodes and image URLs."""

    page: WrapperPage
    own: dict[str, list[int]] = field(default_factory=dict)
    images: dict[str, list[str]] | None = None

    def __post_init__(self) -> None:
        for i, node in enumerate(self.page.nodes):
            self.own.setdefault(element_path(node["xpath"]), []).append(i)

    @property
    def nodes(self) -> Sequence[Node]:
        """The page's text nodes."""
        return self.page.nodes

    @property
    def url(self) -> str | None:
        """The page's URL."""
        return self.page.url

    def select(self, xpath: lxml.etree.XPath) -> list[Any]:
        """Elements an XPath selects (none on a page without a tree)."""
        if self.page.root is None:
            return []
        try:
            found = xpath(self.page.root)
        except lxml.etree.XPathError:
            return []
        return [e for e in found if isinstance(e, lxml.html.HtmlElement)] if found else []

    def path(self, element: Any) -> str:
        """An element's absolute XPath, as text nodes carry it."""
        return str(element.getroottree().getpath(element))

    def element_node(self, element: Any, text_index: int | None) -> Node | None:
        """The text node of an element: its k-th text segment, else its first own or inner one."""
        i = self.element_index(element, text_index)
        return None if i is None else self.nodes[i]

    def element_index(self, element: Any, text_index: int | None) -> int | None:
        """The index of `element_node`'s node."""
        path = self.path(element)
        own = self.own.get(path, [])
        if text_index is not None:
            want = f"{path}/text()[{text_index}]"
            for i in own:
                if self.nodes[i]["xpath"] == want:
                    return i
        if own:
            return own[0]
        inner = self.subtree(path)
        return inner[0] if inner else None

    def subtree(self, path: str) -> list[int]:
        """Indices of the text nodes inside an element, in document order."""
        return [
            i
            for i, n in enumerate(self.nodes)
            if element_path(n["xpath"]) == path or n["xpath"].startswith(path + "/")
        ]

    def image_urls(self, path: str) -> list[str]:
        """Image URLs an element shows."""
        if self.images is None:
            self.images = {}
            if self.page.root is not None:
                for match in image_candidates(self.page.root, self.url):
                    self.images.setdefault(match["xpath"], []).append(match["url"])
        return self.images.get(path, [])


def widest_image(element: Any, page_url: str | None) -> str | None:
    """The element's image URL that declares the largest width, if one alone does."""
    widths = image_widths(element, page_url)
    if not widths:
        return None
    top = max(widths.values())
    widest = [url for url, width in widths.items() if width == top]
    return widest[0] if len(widest) == 1 else None


def element_path(xpath: str) -> str:
    """The element part of a text node's XPath (without `/text()[k]`)."""
    return _TEXT_STEP.sub("", xpath)


def text_index(xpath: str) -> int | None:
    """The k of a trailing `/text()[k]`, if any."""
    match = _TEXT_STEP.search(xpath)
    return int(match.group(1)) if match else None


def literal(value: str) -> str | None:
    """An XPath string literal, or None when the value holds both quote kinds."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return None


def _steps(path: str) -> list[tuple[str, str | None]] | None:
    steps = []
    for step in path.strip("/").split("/"):
        match = _STEP.match(step)
        if not match:
            return None  # namespaced or odd tags: no generalisation
        steps.append((match.group(1), match.group(2)))
    return steps


def _join(steps: Sequence[tuple[str, str | None]], relaxed: bool) -> str:
    return "/".join(t if relaxed or i is None else f"{t}[{i}]" for t, i in steps)


def candidate_paths(element: Any) -> Iterator[tuple[str, str]]:
    """(family, XPath) candidates that select the element, most specific anchors first."""
    tree = element.getroottree()
    path = tree.getpath(element)
    yield "absolute", path
    steps = _steps(path)
    if steps is None:
        return
    yield "relaxed", "/" + _join(steps, relaxed=True)
    ancestor, depth = element, 0
    while ancestor is not None and depth < MAX_ANCESTORS and isinstance(ancestor.tag, str):
        rel = steps[len(steps) - depth :]
        tails = {_join(rel, relaxed=False), _join(rel, relaxed=True)}
        anchors: list[tuple[str, str]] = []
        value = (ancestor.get("id") or "").strip()
        if value and not _VOLATILE.search(value) and (lit := literal(value)):
            anchors.append(("id", f"//*[@id={lit}]"))
        value = (ancestor.get("itemprop") or "").strip()
        if value and (lit := literal(value)):
            anchors.append(("itemprop", f"//*[@itemprop={lit}]"))
        tokens = [t for t in (ancestor.get("class") or "").split() if not _VOLATILE.search(t)]
        for token in tokens[:MAX_CLASS_TOKENS]:
            if lit := literal(f" {token} "):
                test = f"contains(concat(' ', normalize-space(@class), ' '), {lit})"
                anchors.append(("class", f"//{ancestor.tag}[{test}]"))
        for family, anchor in anchors:
            for tail in sorted(tails):
                yield family, anchor + ("/" + tail if tail else "")
        ancestor, depth = ancestor.getparent(), depth + 1


def _trim(spans_text: Sequence[tuple[str, int, int]]) -> tuple[str | None, str | None]:
    """The literal prefix and suffix around the value, when the same on every support page."""
    prefixes = {text[:start] for text, start, _ in spans_text}
    suffixes = {text[end:] for text, _, end in spans_text}
    return (
        prefixes.pop() if len(prefixes) == 1 else None,
        suffixes.pop() if len(suffixes) == 1 else None,
    )


def cut(text: str, rule: Rule, kind: str) -> str | None:
    """The value inside a node's text: strip the learnt context, else read it by type."""
    prefix, suffix = rule.prefix, rule.suffix
    if prefix is not None and suffix is not None and text.startswith(prefix):
        end = len(text) - len(suffix)
        if text.endswith(suffix) and end > len(prefix):
            return text[len(prefix) : end].strip()
    if rule.prefix == "" and rule.suffix == "":
        return text
    if kind in ("price", "number"):
        match = _NUMBER.search(text)
        return match.group() if match else None
    if rule.attribute == "currency":
        found = find_currencies(text)
        return text[found[0][0] : found[0][1]] if found else None
    if kind == "identifier":
        tokens = [t for t in text.split() if any(c.isdigit() for c in t)]
        return tokens[-1] if tokens else text
    # the context the support's value had on one side only: `Kilde: ` before a source whose
    # closing `»` the support had and this page has not
    value = text
    if prefix and value.startswith(prefix):
        value = value[len(prefix) :]
    if suffix and value.endswith(suffix):
        value = value[: -len(suffix)]
    return value.strip() or text


def apply_rule(rule: Rule, view: PageView, compiled: Mapping[str, lxml.etree.XPath]) -> Any:
    """The value a rule reads from a page, or None."""
    kind = rule.kind or attribute_type(rule.attribute)
    if rule.mode == "constant":
        return list(rule.constant) if isinstance(rule.constant, tuple) else rule.constant
    if rule.mode == "after-label":
        for i, node in enumerate(view.nodes[:-1]):
            if text_key(node["text"]) == rule.label:
                return cut(view.nodes[i + 1]["text"], rule, kind)
        return None
    elements = view.select(compiled[rule.xpath])
    if not elements:
        return None
    if rule.mode == "image":
        if rule.image_pick == "widest" and (widest := widest_image(elements[0], view.url)):
            return widest
        urls = view.image_urls(view.path(elements[0]))
        return urls[min(rule.image_index, len(urls) - 1)] if urls else None
    if rule.mode in ("subtree", "subtree-list"):
        texts = [view.nodes[i]["text"] for i in view.subtree(view.path(elements[0]))]
        if not texts:
            return None
        return texts if rule.mode == "subtree-list" else join_texts(texts)
    if rule.mode == "items":  # every selected element is one item, read whole
        items = [
            write_item([view.nodes[i] for i in view.subtree(view.path(e))], rule.parts, rule.skip)
            for e in elements
        ]
        return [item for item in items if item.strip()] or None
    if rule.mode == "all":
        values = []
        for element in elements:
            item = view.element_node(element, rule.text_index)
            if item is not None and (value := cut(item["text"], rule, kind)):
                values.append(value)
        return values or None
    if rule.mode == "block":  # the whole block its node stands in (`extractor.page.blocks`)
        at = view.element_index(elements[0], rule.text_index)
        text = None if at is None else block_text(view.nodes, *block_range(view.nodes, at))
        return None if text is None else cut(text, rule, kind)
    first = view.element_node(elements[0], rule.text_index)
    value = None if first is None else cut(first["text"], rule, kind)
    if value is None and kind in ("price", "number"):
        # `from 1 vote` in one node on the support, `4.94 from <span>16</span> votes` here: the
        # number after the support's words before it, in the element's whole text
        text = join_texts([view.nodes[i]["text"] for i in view.subtree(view.path(elements[0]))])
        before = (rule.prefix or "").strip()
        if before and (where := text.find(before)) >= 0:
            text = text[where + len(before) :]
        value = cut(text, rule, kind) if text else None
    return value


@dataclass
class Wrapper:
    """Rules per attribute, best first: the adapted wrapper of one store."""

    rules: dict[str, list[tuple[Rule, float]]]
    compiled: dict[str, lxml.etree.XPath] = field(default_factory=dict)
    #: how the store's values write what its pages typeset (`1/2` for `½`)
    writing: Writing = field(default_factory=Writing)
    #: how the store writes each list's items (`item_parts`), for the model's items too
    items: dict[str, tuple[ItemParts, ItemSkip]] = field(default_factory=dict)

    def read(self, page: WrapperPage) -> tuple[dict[str, Any], dict[str, float]]:
        """Values and confidences for a page (it sees the page, never its labels)."""
        view = PageView(page)
        prediction: dict[str, Any] = {}
        confidence: dict[str, float] = {}
        for attribute, ranked in self.rules.items():
            for rule, score in ranked:
                value = written(apply_rule(rule, view, self.compiled), rule, self.writing)
                if value not in (None, "", []):
                    prediction[attribute] = value
                    confidence[attribute] = round(score, 4)
                    break
        return prediction, confidence

    def to_dict(self) -> dict[str, Any]:
        """The rules as JSON-ready data."""
        return {
            attribute: [[dataclasses.asdict(rule), score] for rule, score in ranked]
            for attribute, ranked in self.rules.items()
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        writing: Writing | None = None,
        items: Mapping[str, Any] | None = None,
    ) -> Wrapper:
        """Rebuild from `to_dict`'s output (XPaths compiled again), the store's writing and its
        items' writing (`items_to_dict`)."""
        rules: dict[str, list[tuple[Rule, float]]] = {}
        compiled: dict[str, lxml.etree.XPath] = {}
        for attribute, ranked in data.items():
            for fields, score in ranked:
                constant = fields.get("constant")
                parts = tuple(tuple(part) for part in fields.get("parts", ()))
                skip = tuple(tuple(kind) for kind in fields.get("skip", ()))
                rule = Rule(
                    **{**fields, "constant": _frozen(constant), "parts": parts, "skip": skip}
                )
                if rule.xpath and rule.xpath not in compiled:
                    compiled[rule.xpath] = lxml.etree.XPath(rule.xpath)
                rules.setdefault(attribute, []).append((rule, float(score)))
        item_writing = {
            name: (
                tuple(tuple(part) for part in parts),
                tuple(tuple(kind) for kind in skip),
            )
            for name, (parts, skip) in (items or {}).items()
        }
        return cls(rules, compiled, writing or Writing(), item_writing)

    def items_to_dict(self) -> dict[str, Any]:
        """How the store writes its lists' items, JSON-ready."""
        return {name: [list(map(list, parts)), list(map(list, skip))]
                for name, (parts, skip) in self.items.items()}  # fmt: skip


def _frozen(value: Any) -> Any:
    """Lists as tuples, so that a rule stays hashable after JSON."""
    return tuple(value) if isinstance(value, list) else value


def written(value: Any, rule: Rule, writing: Writing) -> Any:
    """A rule's value as the store's values write it."""
    return writing.write_as(value, rule.kind, rule.attribute)


def _views(support: Sequence[Example]) -> list[PageView]:
    return [PageView(a.page) for a in support]


def _element_of(view: PageView, xpath: str) -> Any:
    if view.page.root is None:
        return None
    found = view.page.root.getroottree().xpath(xpath)
    return found[0] if found and isinstance(found[0], lxml.html.HtmlElement) else None


_DECORATION = re.compile(r"[(\[{,;:/–—-]*")
_CLOSING = re.compile(r"[)\]},;:.]*")


def item_parts(
    attribute: str,
    support: Sequence[Example],
    views: Sequence[PageView],
    writing: Writing | None = None,
) -> tuple[tuple[tuple[str, str, str, str], ...], tuple[tuple[str, str], ...]]:
    """How the annotated items of a list are made of their nodes, per kind of node (tag and
    class): (the kinds the store's values write with something around them where the page
    shows them bare, e.g. the brackets of a note, `butter (melted)` for `butter` `melted`,
    when every annotated occurrence agrees; the kinds inside the items' elements that no
    annotated item holds, e.g. a checkbox)."""
    seen: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    marked: set[tuple[str, str]] = set()
    unmarked: set[tuple[str, str]] = set()
    for page, view in zip(support, views, strict=True):
        golds = page.labels.get(attribute)
        if not isinstance(golds, list | tuple):
            continue
        by_xpath = {n["xpath"]: n for n in view.nodes}
        items: dict[int, list[Node]] = {}
        for span in page.match.spans.get(attribute, []):
            node = by_xpath.get(span["xpath"])
            if node is not None and isinstance(span.get("item"), int) and span["item"] < len(golds):
                nodes = items.setdefault(span["item"], [])
                if node not in nodes:
                    nodes.append(node)
        for index, nodes in items.items():
            elements = [_element_of(view, element_path(n["xpath"])) for n in nodes]
            element = _lowest_common(elements) if None not in elements else None
            if element is not None:
                inside = [view.nodes[i] for i in view.subtree(view.path(element))]
                unmarked.update(node_role(n) for n in inside if n not in nodes)
            marked.update(node_role(n) for n in nodes)
            gold, pos, found = str(golds[index]), 0, []
            for node in nodes:
                text = writing.write(node["text"].strip()) if writing else node["text"].strip()
                start = gold.find(text, pos)
                if start < 0:
                    break
                found.append((node, start, start + len(text)))
                pos = found[-1][2]
            else:
                for k, (node, start, end) in enumerate(found):
                    gap = gold[found[k - 1][2] if k else 0 : start]
                    tail = gold[end : found[k + 1][1] if k + 1 < len(found) else len(gold)]
                    # as the value writes it: `- 185 g` keeps its space, `(melted)` has none
                    before = gap.lstrip() if k and _DECORATION.fullmatch(gap.strip()) else ""
                    after = tail.rstrip() if _CLOSING.fullmatch(tail.strip()) else ""
                    seen.setdefault(node_role(node), []).append((before, after, node["text"]))
    parts = []
    for (tag, cls), occurrences in seen.items():
        ways = Counter((before, after) for before, after, _ in occurrences if before or after)
        # `(note)` and `(note )`: a space the page's text lost is the same way of writing it
        if len({(before.strip(), after.strip()) for before, after in ways}) != 1:
            continue
        before, after = max(ways, key=lambda way: (ways[way], -len(way[0] + way[1])))
        # a note the page already writes in brackets is the same way of writing it
        if all(b or a or written_around(text.strip(), before, after) for b, a, text in occurrences):
            parts.append((tag, cls, before, after))
    return tuple(parts), tuple(sorted(unmarked - marked))


def _lowest_common(elements: Sequence[Any]) -> Any:
    chains = [[e, *e.iterancestors()][::-1] for e in elements]
    common = None
    for level in zip(*chains, strict=False):
        if all(x is level[0] for x in level):
            common = level[0]
        else:
            break
    return common


def _shapes_union(view: PageView, spans: Sequence[Span], elements: Sequence[Any]) -> str | None:
    """One XPath for a list whose items stand in elements of two or more shapes (a recipe's
    section headings, `ul/li/h3`, between its steps, `ul/li/ol/li`): the union of each shape's
    path without positions, which selects the items in document order; None for one shape."""
    by_item: dict[int, list[Any]] = {}
    for element, span in zip(elements, spans, strict=True):
        by_item.setdefault(int(span.get("item", 0)), []).append(element)
    shapes: dict[str, None] = {}
    for item, members in by_item.items():
        element = _lowest_common(members) if len(members) > 1 else None
        if element is None:  # one node: its item element (`<li>`), else its own element
            path = item_path(view.path(members[0]))
            element = _element_of(view, path) if path is not None else members[0]
            others = [e for k, group in by_item.items() if k != item for e in group]
            if element is not None and any(element in e.iterancestors() for e in others):
                element = members[0]  # the heading of a section whose `<li>` holds its steps
        steps = _steps(element.getroottree().getpath(element)) if element is not None else None
        if steps is None:
            return None
        shapes["/" + _join(steps, relaxed=True)] = None
    return " | ".join(shapes) if 1 < len(shapes) <= MAX_ITEM_SHAPES else None


#: The most element shapes one list's items may stand in (headings and steps: two).
MAX_ITEM_SHAPES = 3


def _candidates(
    attribute: str,
    kind: AttributeType,
    support: Sequence[Example],
    views: Sequence[PageView],
    parts: tuple[ItemParts, ItemSkip],
) -> Iterator[Rule]:
    """Every candidate rule for an attribute from every support page that shows it."""
    contexts: list[tuple[str, int, int]] = []
    for page, view in zip(support, views, strict=True):
        spans: list[Span] = page.match.spans.get(attribute, [])
        if len(spans) == 1:
            node = next((n for n in view.nodes if n["xpath"] == spans[0]["xpath"]), None)
            if node is not None:
                contexts.append((node["text"], spans[0]["start"], spans[0]["end"]))
    prefix, suffix = _trim(contexts) if contexts else ("", "")
    for page, view in zip(support, views, strict=True):
        spans = page.match.spans.get(attribute, [])
        # every element that shows the image: the photo's place in a post changes from page to
        # page, the recipe card's image or its pin button's stays
        for image in page.match.images.get(attribute, [])[:MAX_IMAGE_ELEMENTS]:
            element = _element_of(view, image["xpath"])
            urls = view.image_urls(image["xpath"])
            index = urls.index(image["url"]) if image["url"] in urls else 0
            if element is not None:
                pick = "widest" if widest_image(element, view.url) == image["url"] else ""
                for family, xpath in candidate_paths(element):
                    yield Rule(attribute, "image", family, xpath, image_index=index,
                               image_pick=pick)  # fmt: skip
        if not spans:
            continue
        elements = [_element_of(view, element_path(s["xpath"])) for s in spans]
        if any(e is None for e in elements):
            continue
        if len(spans) == 1:
            segment = text_index(spans[0]["xpath"])
            at = next((i for i, n in enumerate(view.nodes) if n["xpath"] == spans[0]["xpath"]), 0)
            # a value that is its whole block (a description, its paragraph) reads the block:
            # where a link splits it on another page, its first node is a piece of it
            whole = kind == "text" and is_whole_block(view.nodes, at, at, spans[0]["text"])
            modes: tuple[Mode, ...] = ("block", "first") if whole else ("first",)
            for family, xpath in candidate_paths(elements[0]):
                for way in modes:
                    yield Rule(attribute, way, family, xpath, segment, prefix, suffix)
            if at > 0:
                label = view.nodes[at - 1]["text"]
                key = text_key(label) if len(label) <= MAX_LABEL_CHARS else ""
                # the rule reads after the label's first occurrence: where that is another one
                # (a menu entry), it would read the support's value by chance
                labels = (i for i, n in enumerate(view.nodes) if key and text_key(n["text"]) == key)
                if next(labels, None) == at - 1:
                    yield Rule(attribute, "after-label", "label", prefix=prefix, suffix=suffix,
                               label=key)  # fmt: skip
        else:
            common = _lowest_common(elements)
            mode: Mode = "subtree-list" if kind == "list" else "subtree"
            if common is not None:
                for family, xpath in candidate_paths(common):
                    yield Rule(attribute, mode, family, xpath)
            if kind == "list":
                first_item = [e for e, s in zip(elements, spans, strict=True) if s.get("item") == 0]
                item = _lowest_common(first_item) if len(first_item) > 1 else None
                if item is None and first_item:  # one node in an item element (`<li>`)
                    path = item_path(view.path(first_item[0]))
                    item = _element_of(view, path) if path is not None else None
                # an item's element read whole comes first: where links split an item on
                # another page, one item per node would read its pieces
                if item is not None:
                    for family, xpath in candidate_paths(item):
                        yield Rule(attribute, "items", family, xpath, parts=parts[0], skip=parts[1])
                segment = text_index(spans[0]["xpath"])
                for family, xpath in candidate_paths(elements[-1]):
                    yield Rule(attribute, "all", family, xpath, segment)
                if (union := _shapes_union(view, spans, elements)) is not None:
                    yield Rule(attribute, "items", "relaxed", union, parts=parts[0], skip=parts[1])
    golds = [p.labels.get(attribute) for p in support if p.labels.get(attribute) is not None]
    same = len({repr(g) for g in golds}) == 1
    # the site's name, shown on one page, is the site's on every page
    shown = attribute in SITE_ATTRIBUTES and any(p.match.found(attribute) for p in support)
    if same and (len(golds) >= 2 or attribute == "currency" or shown):
        constant = tuple(golds[0]) if isinstance(golds[0], list) else golds[0]
        yield Rule(attribute, "constant", "constant", constant=constant)


def _family_rank(rule: Rule) -> float:
    """Where a rule stands among those that read the support equally well (lower first): its
    family's place, except that an anchored path counting siblings (`tr[2]` of a class's table)
    comes after the label rule: which row holds a value changes from page to page, its label
    does not."""
    rank = float(FAMILIES.index(rule.family))
    if rule.family == "constant" and rule.attribute in SITE_ATTRIBUTES:
        return -1.0  # the site's name is the same on its other pages, wherever they put it
    if rule.family in _ANCHORED and _POSITION.search(rule.xpath):
        rank = FAMILIES.index("label") + 0.5
    return rank


def _same_place(a: Rule, b: Rule) -> bool:
    """Whether two rules select by the same anchor (`ol` and its `li`, one element read two
    ways): where one finds nothing on a page, so does the other."""
    return (
        bool(a.xpath)
        and a.family == b.family
        and (a.xpath.startswith(b.xpath) or b.xpath.startswith(a.xpath))
    )


def fallbacks(ranked: Sequence[tuple[Rule, float]]) -> list[tuple[Rule, float]]:
    """The best `FALLBACK_RULES` rules, each of another place than those before it: a page
    where the best rule's anchor is missing (an id with the recipe's number) falls back on
    another anchor, not on the same one read otherwise."""
    kept: list[tuple[Rule, float]] = []
    for rule, score in ranked:
        if not any(_same_place(rule, other) for other, _ in kept):
            kept.append((rule, score))
            if len(kept) == FALLBACK_RULES:
                break
    return kept


def induce(support: Sequence[Example]) -> Wrapper:
    """Learn rules for every attribute the support pages show, ranked by support accuracy."""
    views = _views(support)
    compiled: dict[str, lxml.etree.XPath] = {}
    attributes: list[str] = []
    for page in support:
        attributes += [a for a in page.labels if a not in attributes]
    rules: dict[str, list[tuple[Rule, float]]] = {}
    items: dict[str, tuple[ItemParts, ItemSkip]] = {}
    kinds = support_kinds(p.match.spans for p in support)
    kind_of_label = {
        name: kinds.get(name) or attribute_type(name) for p in support for name in p.labels
    }
    shown_values = [
        (name, annotated_value(page, name), value)
        for page in support
        for name, value in page.labels.items()
        if kind_of_label[name] in ("text", "list")
    ]
    writing = learn_writing(
        ((shown, value) for _, shown, value in shown_values),
        [
            (shown, normalize_url(str(value), page.page.url) or "")
            for page in support
            for name, value in page.labels.items()
            if kind_of_label[name] == "url" and (shown := annotated_value(page, name)) and value
        ],
        [
            (name, shown, value)
            for name, shown, value in shown_values
            if kind_of_label[name] == "text" and isinstance(shown, str) and isinstance(value, str)
        ],
        unshown_leads(support),
    )
    for attribute in attributes:
        scored = []
        seen: set[Rule] = set()
        kind = kinds.get(attribute) or attribute_type(attribute)
        if kind == "list":
            items[attribute] = item_parts(attribute, support, views, writing)
        parts = items.get(attribute, ((), ()))
        for found in _candidates(attribute, kind, support, views, parts):
            rule = dataclasses.replace(found, kind=kind)
            if rule in seen:
                continue
            seen.add(rule)
            if rule.xpath and rule.xpath not in compiled:
                try:
                    compiled[rule.xpath] = lxml.etree.XPath(rule.xpath)
                except lxml.etree.XPathSyntaxError:
                    continue
            correct, wrong, total = _check(rule, support, views, compiled, writing)
            if correct:
                rank = _family_rank(rule)
                scored.append(((correct - wrong, -wrong, -rank, -len(rule.xpath)), rule, total))
        scored.sort(key=lambda s: s[0], reverse=True)
        best = [(rule, (key[0] / total) if total else 0.0) for key, rule, total in scored]
        if best:
            rules[attribute] = fallbacks(best)
    logger.debug("wrapper rules: %s", {a: r[0][0] for a, r in rules.items()})
    return Wrapper(rules, compiled, writing, items)


def unshown_leads(support: Sequence[Example]) -> list[tuple[str, tuple[str, ...]]]:
    """Per support page that shows a rooted list (`ROOTED_ATTRIBUTES`), the items its value
    names before the first item the page shows (`Home`, drawn as an icon): `(attribute, items)`
    pairs for `learn_writing`."""
    leads = []
    for page in support:
        for name in ROOTED_ATTRIBUTES & set(page.labels):
            value = page.labels[name]
            shown = [s["item"] for s in page.match.spans.get(name, []) if s.get("item") is not None]
            if isinstance(value, list) and shown:
                leads.append((name, tuple(str(item) for item in value[: min(shown)])))
    return leads


def annotated_value(page: Example, attribute: str, kind: AttributeType | None = None) -> Any:
    """What the annotation marks for an attribute: span text(s), a list's items (the spans of
    one item joined), or the image URL."""
    images = page.match.images.get(attribute)
    if images:
        return images[0]["url"]
    spans = page.match.spans.get(attribute, [])
    texts = [s["text"] for s in spans]
    if not texts:
        return None
    if (kind or attribute_type(attribute)) == "list":
        return item_texts(spans)
    return texts[0] if len(texts) == 1 else join_texts(texts)


#: The least share of a list's items a rule must read on a support page to read its list.
MIN_ITEMS_SHARE = 0.75


def items_share(read: Sequence[Any], target: Any) -> float:
    """The share of a list's items read alike: common items over the longer of the two; 0 when
    the rule reads an item that is none of the target's written otherwise (a `Back` link before
    a breadcrumb is another item, not a step the value words differently)."""
    ours = {text_key(str(v)) for v in read} - {""}
    theirs = {text_key(str(v)) for v in (target if isinstance(target, list | tuple) else [target])}
    theirs -= {""}
    if not ours or not theirs or not all(_resembles(item, theirs) for item in ours - theirs):
        return 0.0
    return len(ours & theirs) / max(len(ours), len(theirs))


def _resembles(item: str, items: Collection[str]) -> bool:
    """Whether most words of an item, or of one of `items`, stand in the other."""
    words = set(item.split())
    return any(
        2 * len(words & (other_words := set(other.split()))) >= min(len(words), len(other_words))
        for other in items
    )


def _check(
    rule: Rule,
    support: Sequence[Example],
    views: Sequence[PageView],
    compiled: Mapping[str, lxml.etree.XPath],
    writing: Writing,
) -> tuple[float, int, int]:
    """(correct, wrong, annotated pages) of a rule over the support pages.

    A value is right when it equals what the annotation marks or the gold value (labels can
    differ from the page, e.g. a colour appended to the name: the marked text is then the target).
    A list is right by the share of its items it reads, when that is `MIN_ITEMS_SHARE` or more
    (a recipe whose value writes two of nine steps otherwise than the page still has its list).
    """
    correct = 0.0
    wrong = total = 0
    attribute = rule.attribute
    for page, view in zip(support, views, strict=True):
        gold = page.labels.get(attribute)
        marked = annotated_value(page, attribute, rule.kind)
        if marked is None and (rule.mode != "constant" or gold in (None, "", [])):
            continue
        total += 1
        value = written(apply_rule(rule, view, compiled), rule, writing)
        if value in (None, "", []):
            continue
        url = page.page.url
        targets = [t for t in (marked, gold) if t is not None]
        if rule.kind == "list" and isinstance(value, list | tuple):
            share = max(items_share(value, t) for t in targets)
            if share >= MIN_ITEMS_SHARE:
                correct += share
            else:
                wrong += 1
        elif any(values_equal(attribute, value, t, page_url=url, kind=rule.kind) for t in targets):
            correct += 1
        else:
            wrong += 1
    return correct, wrong, total
