"""Model input: node pruning, tokenisation with node structure and hints, BIO labels, windows."""

from __future__ import annotations

import logging
import math
import re
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

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
#: Ancestors whose text is site chrome rather than product content.
CHROME_TAGS = frozenset({"header", "footer", "aside"})
#: Inside these, header/nav/aside belong to the product (its title block, its breadcrumb).
CONTENT_TAGS = frozenset({"main", "article"})
#: A <nav> with more text nodes than this is a menu, not a breadcrumb trail.
NAV_MAX = 12
#: Hints and texts of cookie banners, newsletter boxes and similar boilerplate.
BOILERPLATE_HINT = re.compile(r"cookie|consent|gdpr|newsletter|onetrust|privacy-banner", re.I)
BOILERPLATE_TEXT = re.compile(
    r"\b(we use cookies|cookie settings|accept (all )?cookies|cookie policy|subscribe to our"
    r" newsletter|sign up for our newsletter|newsletter abonnieren|wir verwenden cookies|"
    r"alle cookies akzeptieren|nous utilisons des cookies)\b"
    # "Diese Webseite verwendet Cookies", "This site uses cookies", "Cookie-Einstellungen"
    r"|\b(?:we|wir|nous|this (?:web)?site|diese (?:web)?seite|diese website|unsere (?:web)?seite"
    r"|ce site|este sitio|questo sito|deze (?:web)?site)\b[^.]{0,40}?\b(?:use|uses|verwende[nt]?"
    r"|nutz(?:t|en)|setz(?:t|en)|einsetz\w*|utilis\w*|utiliz\w*|usa|usamos|gebruik\w*)\b"
    r"[^.]{0,40}?\bcookies?\b|\bcookie[- ]?(?:einstellungen|settings|preferences)\b",
    re.I,
)
#: Short texts that label the value in the next node ("Marke:", "SKU", "Availability").
_LABEL_TEXT = re.compile(
    r"^\W*(?:brand|marke|marque|marca|hersteller|manufacturer|fabricant|sku|mpn|ean|gtin|isbn|"
    r"upc|art(?:ikel)?[.-]?\s*nr\.?|item\s*(?:no|number|#)|model(?:l)?|ref(?:erence)?|"
    r"availability|verfügbarkeit|disponibilit[éeà]|stock|category|kategorie|rating|reviews?|"
    r"bewertungen?|price|preis|prix|precio)\b[^\n]{0,12}$",
    re.I,
)
_NAME_HINT = re.compile(r"title|name", re.I)
#: A list with more items than this, nearly all links, is a menu or a link farm.
LINK_LIST_MAX = 25
_STEP = re.compile(r"^([^\[]+)(?:\[(\d+)\])?$")
_INDEX = re.compile(r"\[\d+\]")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_LIST_ITEM = re.compile(r"^(.*/(?:ul|ol)(?:\[\d+\])?)/li(?:\[(\d+)\])?(?:/|$)")

Spans = Mapping[str, Sequence[Mapping[str, Any]]]
#: How nodes are chosen under a page token budget: ranked by cheap priors, or around the title.
PAGE_BUDGETS = ("priors", "title")
#: Hint words of nodes that usually hold a product value.
_VALUE_HINT = re.compile(
    r"price|preis|prix|precio|prezzo|amount|sku|mpn|gtin|ean|isbn|upc|brand|marke|manufacturer|"
    r"vendor|availab|stock|lager|title|name|product|breadcrumb|rating|review|model|artikel|"
    r"description|descr|offer|currency|sale|discount",
    re.I,
)
_PRICE_TEXT = re.compile(r"\d(?:[\d.,\s\u00a0'’]*\d)?")
_IDENTIFIER_TEXT = re.compile(
    r"\b(?:sku|mpn|ean|gtin|isbn|upc|art(?:ikel)?[.-]?\s*nr|item|model|ref|réf|part)\b|"
    r"\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{4,}\b|\b\d{8,14}\b",
    re.I,
)


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


def _steps(xpath: str) -> list[str]:
    return _INDEX.sub("", xpath).strip("/").lower().split("/")


def is_boilerplate(node: Node) -> bool:
    """Single-page rule: a cookie/newsletter box, or header/footer/aside outside main/article.

    A page's h1 is never boilerplate: some stores put the product title in a <header>.
    """
    if node["tag"] == "h1":
        return False
    for step in _steps(node["xpath"]):
        if step in CONTENT_TAGS:
            break
        if step in CHROME_TAGS:
            return True
    attrs: Mapping[str, str] = node.get("attrs") or {}  # type: ignore[assignment]
    if any(BOILERPLATE_HINT.search(attrs.get(k) or "") for k in ("class", "id")):
        return True
    return bool(BOILERPLATE_TEXT.search(node["text"]))


def _big_navs(nodes: Sequence[Node]) -> set[int]:
    """Nodes of <nav> blocks (outside main/article) larger than a breadcrumb trail."""
    groups: dict[str, list[int]] = {}
    for i, node in enumerate(nodes):
        raw = node["xpath"].strip("/").split("/")
        for depth, step in enumerate(_steps(node["xpath"])):
            if step in CONTENT_TAGS:
                break
            if step == "nav":
                groups.setdefault("/".join(raw[: depth + 1]), []).append(i)
                break
    return {i for members in groups.values() if len(members) > NAV_MAX for i in members}


def _link_farm(nodes: Sequence[Node]) -> set[int]:
    """Indices of nodes in lists with more than LINK_LIST_MAX items that are nearly all links."""
    groups: dict[str, list[int]] = {}
    items: dict[str, set[str]] = {}
    for i, node in enumerate(nodes):
        match = _LIST_ITEM.match(node["xpath"])
        if match:
            groups.setdefault(match.group(1), []).append(i)
            items.setdefault(match.group(1), set()).add(match.group(2) or "1")
    drop: set[int] = set()
    for key, members in groups.items():
        links = sum(1 for i in members if "/a" in nodes[i]["xpath"][len(key) :])
        if len(items[key]) > LINK_LIST_MAX and links >= 0.8 * len(members):
            drop.update(members)
    return drop


def _template_runs(pages: Sequence[Sequence[Node]], min_run: int = 6) -> list[set[int]]:
    """Per page, nodes whose text recurs on nearly all pages in the same place, in runs of min_run.

    "The same place" is the node's XPath, or its XPath shape (the steps without positions) when
    the template shifts between pages. A product's name that other pages show in a carousel
    (another shape) does not count. Only runs are dropped: a lone recurring node between varying
    ones ("In stock", "€", a brand of a one-brand store) is usually a value, while menus and
    footers come as long runs; inside a run, short availability or currency text stays.
    """
    n = len(pages)
    pairs = [[(node["xpath"], node["text"]) for node in nodes] for nodes in pages]
    shapes = [[(_INDEX.sub("", xpath), text) for xpath, text in page] for page in pairs]
    by_pair: Counter[tuple[str, str]] = Counter()
    by_shape: Counter[tuple[str, str]] = Counter()
    for page_pairs, page_shapes in zip(pairs, shapes, strict=True):
        by_pair.update(set(page_pairs))
        by_shape.update(set(page_shapes))
    need = max(3, int(0.8 * n + 0.999))
    result: list[set[int]] = []
    for nodes, page_pairs, page_shapes in zip(pages, pairs, shapes, strict=True):
        flags = [
            by_pair[pair] >= need or by_shape[shape] >= need
            for pair, shape in zip(page_pairs, page_shapes, strict=True)
        ]
        drop: set[int] = set()
        i = 0
        while i < len(flags):
            j = i
            while j < len(flags) and flags[j]:
                j += 1
            if j - i >= min_run:
                drop.update(range(i, j))
            i = j + 1 if j == i else j
        result.append({i for i in drop if not _value_like(nodes[i]["text"])})
    return result


def _value_like(text: str) -> bool:
    """Short text that reads as a value even inside a template run: "Sofort verfügbar", "€"."""
    from extractor.values.normalize import AVAILABILITY_ANY, find_currencies

    text = text.strip()
    if len(text) >= 40:
        return False
    whole_currency = [(0, len(text))] == [(start, end) for start, end, _ in find_currencies(text)]
    return whole_currency or bool(AVAILABILITY_ANY.search(text))


def prune_template_nodes(
    pages: Sequence[Sequence[Node]], protect: Sequence[set[str]] | None = None
) -> list[list[Node]]:
    """Drop store template and boilerplate nodes from each page of one store.

    With >= 3 pages, runs of text that recur on (nearly) all pages go; on every page, site chrome
    (header/footer/aside outside main/article, menus in <nav>), cookie/newsletter boxes and long
    link lists go. `protect` holds, per page, XPaths that must stay
    (nodes carrying annotation spans). A page whose nodes would all go keeps them all.
    """
    template = _template_runs(pages) if len(pages) >= 3 else [set() for _ in pages]
    result: list[list[Node]] = []
    for p, nodes in enumerate(pages):
        keep_xpaths = protect[p] if protect is not None else set()
        drop = template[p] | _link_farm(nodes) | _big_navs(nodes)
        kept = [
            node
            for i, node in enumerate(nodes)
            if node["xpath"] in keep_xpaths or not (i in drop or is_boilerplate(node))
        ]
        result.append(kept if kept else list(nodes))
    return result


def _span_labels(
    nodes: Sequence[Node],
    spans: Spans,
    attributes: Sequence[str],
) -> dict[int, list[tuple[int, int, int]]]:
    """Per node index, its spans as (start, end, B class id); unknown attributes are skipped."""
    index = {node["xpath"]: i for i, node in enumerate(nodes)}
    by_node: dict[int, list[tuple[int, int, int]]] = {}
    for attribute, items in spans.items():
        if attribute not in attributes:
            continue
        b_id = 1 + 2 * list(attributes).index(attribute)
        for span in items:
            i = index.get(span["xpath"])
            if i is None:
                logger.debug("span of %s at %s: node not in the page", attribute, span["xpath"])
                continue
            by_node.setdefault(i, []).append((int(span["start"]), int(span["end"]), b_id))
    return by_node


def _title_index(nodes: Sequence[Node]) -> int | None:
    """The first node that is an h1 or sits inside one (`<h1><span>Name</span></h1>`)."""
    return next(
        (i for i, n in enumerate(nodes) if n["tag"] == "h1" or "h1" in _steps(n["xpath"])), None
    )


def focus_nodes(nodes: Sequence[Node], counts: Sequence[int], budget: int) -> list[int]:
    """Indices of the nodes around the product title (first h1) that fit a token budget.

    A quarter of the budget goes to what precedes the title (breadcrumb), the rest to what
    follows (price, availability, description); a side that runs out leaves its share to the other.
    """
    anchor = _title_index(nodes)
    anchor = 0 if anchor is None else anchor
    before, after = anchor - 1, anchor
    chosen: list[int] = []
    used = 0
    back_budget = budget // 4
    while used < budget and (before >= 0 or after < len(nodes)):
        forward = after < len(nodes) and (before < 0 or used >= back_budget or after == anchor)
        i = after if forward else before
        if used + counts[i] > budget and chosen:
            if forward:
                after = len(nodes)  # the next node does not fit: stop on this side
            else:
                before = -1
            continue
        chosen.append(i)
        used += counts[i]
        if forward:
            after += 1
        else:
            before -= 1
    return sorted(chosen)


def _hint_text(node: Node) -> str:
    attrs: Mapping[str, str] = node.get("attrs") or {}  # type: ignore[assignment]
    return " ".join(attrs.get(k) or "" for k in ("itemprop", "class", "id"))


def node_priors(nodes: Sequence[Node], counts: Sequence[int]) -> list[float]:
    """A cheap score per node of how likely it holds a product value: near the title (first h1),
    price-like, an availability phrase, identifier-like, short, or with a value-like hint."""
    from extractor.values.normalize import AVAILABILITY_ANY, CURRENCY_PATTERN

    anchor = _title_index(nodes)
    if anchor is None:  # no h1: a heading or element whose class/id/itemprop says title/name
        anchor = next(
            (
                i
                for i, n in enumerate(nodes)
                if n["tag"] in ("h2", "h3", "span", "div", "p", "strong")
                and _NAME_HINT.search(_hint_text(n))
            ),
            None,
        )
    scores: list[float] = []
    after_label = False
    for i, node in enumerate(nodes):
        text = node["text"]
        attrs: Mapping[str, str] = node.get("attrs") or {}  # type: ignore[assignment]
        score = 0.0
        if anchor is not None:
            score += 3.0 * math.exp(-abs(i - anchor) / 40)
            if i == anchor:
                score += 10.0
        elif node["tag"] in ("h2", "h3"):
            score += 1.0
        has_digit = any(c.isdigit() for c in text)
        if has_digit and len(text) < 40 and CURRENCY_PATTERN.search(text):
            score += 2.5
        elif has_digit and len(text) < 24 and _PRICE_TEXT.fullmatch(text.strip()):
            score += 1.0  # a bare amount: its currency may be a sibling node
        if len(text) < 80 and AVAILABILITY_ANY.search(text):
            score += 1.5
        if len(text) < 60 and _IDENTIFIER_TEXT.search(text):
            score += 1.0
        hint = _hint_text(node)
        if hint and _VALUE_HINT.search(hint):
            score += 2.0 if attrs.get("itemprop") else 1.5
        if counts[i] <= 8:
            score += 0.3
        if after_label:
            score += 2.0  # the value of a "Brand: / SKU:" label
        after_label = len(text) < 40 and bool(_LABEL_TEXT.match(text))
        if after_label:
            score += 1.5
        scores.append(score)
    return scores


def budget_nodes(
    nodes: Sequence[Node], counts: Sequence[int], budget: int, strategy: str = "priors"
) -> list[int]:
    """Indices (in document order) of the nodes kept under a page token budget."""
    if strategy == "title":
        return focus_nodes(nodes, counts, budget)
    scores = node_priors(nodes, counts)
    chosen: list[int] = []
    used = 0
    for i in sorted(range(len(nodes)), key=lambda i: (-scores[i], i)):
        if used + counts[i] <= budget:
            chosen.append(i)
            used += counts[i]
        if budget - used < 2:
            break
    return sorted(chosen)


def encode_page(
    nodes: Sequence[Node],
    tokenizer: Any,
    config: FeatureConfig,
    spans: Spans | None = None,
    attributes: Sequence[str] = (),
    page_tokens: int = 0,
) -> list[Window]:
    """Tokenise a page's nodes into windows of whole nodes; BIO labels when spans are given.

    With `page_tokens` > 0 only the most promising nodes that fit that many tokens are encoded,
    each cut to `budget_node_tokens` (fast zero-shot extraction, `budget_nodes`); otherwise every
    node is in exactly one window.
    """
    texts = [node["text"] for node in nodes]
    encoded = tokenizer(
        texts,
        add_special_tokens=False,
        return_offsets_mapping=True,
        truncation=True,
        max_length=config.max_node_tokens,
    ) if texts else {"input_ids": [], "offset_mapping": []}  # fmt: skip
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
        selected = budget_nodes(nodes, counts, page_tokens, config.page_budget)
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
    by_node: dict[int, list[tuple[int, int, int]]],
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
        seen: set[tuple[int, int, int]] = set()
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
                    s, e, b_id = span
                    if start < e and end > s:
                        label = b_id + 1 if span in seen else b_id
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
    return batch


def taggable(attributes: Sequence[str]) -> list[str]:
    """Attributes the token tagger can mark (URL attributes have no text node)."""
    return [a for a in attributes if attribute_type(a) != "url"]
