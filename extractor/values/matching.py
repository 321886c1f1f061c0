"""The value matcher: label values -> character spans on a page's text nodes, or why not found.

`match_values` looks for where the page shows each value: prices in any local format, names with
small differences, identifiers with or without separators, availability phrases in many languages,
currency symbols near the price, list items in order. Every value is either matched or reported in
`missing` with a reason; nothing is guessed silently. Text nodes hold no images, so image values
are matched against `<img>` elements when the parsed `root` is passed (`image_candidates`).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any, TypedDict

import lxml.html

from extractor.page.dom import Node
from extractor.page.hints import OLD_PRICE_HINT, PRICE_HINT, node_hints
from extractor.values.normalize import (
    AVAILABILITY_ANY_FOLDED,
    currency_codes,
    find_availability,
    find_currencies,
    identifier_key,
    normalize_availability,
    normalize_text,
    normalize_url,
    parse_number,
    parse_price,
)
from extractor.values.schema import NOT_PAGE_ATTRIBUTES, AttributeType, attribute_type


class Span(TypedDict):
    """A marked piece of a text node: `node["text"][start:end] == text`."""

    xpath: str
    start: int
    end: int
    text: str


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


# --- page context -----------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+")
#: A number as shops write it: thousands groups, a decimal part, or a ",-" for no cents.
_NUMBER = re.compile(r"\d+(?:[ \u00a0\u202f'’.,]\d{3}(?!\d))*(?:[.,]\d+)?(?:[.,]\s?[-–—])?")
_NAME_HINT = re.compile(r"title|name|heading|headline|product", re.I)
_RATING_WORDS = re.compile(
    r"rating|review|star|bewert|sterne|rezens|kundenmeinung|avis|étoile|valora|reseña|opinion"
    r"|recensio|beoordel|評価|レビュー|评价|评分|评论|리뷰|평점|/ ?5\b",
    re.I,
)
_ID_HINT = re.compile(
    r"sku|mpn|ean|gtin|upc|isbn|art|nr|nummer|number|no\.|#|model|item|part|herst|mfr|ref|code",
    re.I,
)
_STOCK_HINT = re.compile(r"stock|avail|lager|liefer|deliver|verfüg|dispon|inventory", re.I)
_CHROME = re.compile(r"/(?:nav|footer|aside)\b|/header\b(?!.*?/main)")
_STRUCK = re.compile(r"/(?:del|s|strike)(?:\[\d+\])?(?:/|$)")
_MAX_SCAN = 400  # nodes longer than this are running text, scanned only for descriptions


def _fold_with_map(text: str) -> tuple[str, list[int] | None]:
    """NFKC + casefold, with a map from folded to source offsets when the lengths differ."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if len(folded) == len(text):
        return folded, None
    chars: list[str] = []
    positions: list[int] = []
    for i, char in enumerate(text):
        part = unicodedata.normalize("NFKC", char).casefold()
        chars.append(part)
        positions.extend([i] * len(part))
    return "".join(chars), positions


class _Page:
    """Nodes with lazily computed folded texts, tokens and position flags."""

    def __init__(self, nodes: Sequence[Node], page_url: str | None) -> None:
        self.nodes = nodes
        self.page_url = page_url
        self._folded: list[tuple[str, list[int] | None] | None] = [None] * len(nodes)
        self._alnum: list[str | None] = [None] * len(nodes)
        self._joined: dict[str, tuple[str, list[int]]] = {}
        self._currencies: dict[int, list[tuple[int, int, tuple[str, ...]]]] | None = None
        self.h1 = [i for i, n in enumerate(nodes) if n["tag"] == "h1"]
        self.anchor: int | None = self.h1[0] if self.h1 else None
        self.price_anchor: int | None = None

    def folded(self, i: int) -> str:
        entry = self._folded[i]
        if entry is None:
            entry = self._folded[i] = _fold_with_map(self.nodes[i]["text"])
        return entry[0]

    def source_span(self, i: int, start: int, end: int) -> Span:
        """A span on node i from offsets into its folded text."""
        self.folded(i)
        entry = self._folded[i]
        assert entry is not None
        positions = entry[1]
        if positions is not None:
            start, end = positions[start], positions[end - 1] + 1
        text = self.nodes[i]["text"]
        return Span(xpath=self.nodes[i]["xpath"], start=start, end=end, text=text[start:end])

    def whole(self, i: int) -> Span:
        text = self.nodes[i]["text"]
        return Span(xpath=self.nodes[i]["xpath"], start=0, end=len(text), text=text)

    def alnum(self, i: int) -> str:
        value = self._alnum[i]
        if value is None:
            value = self._alnum[i] = re.sub(r"[\W_]+", "", self.folded(i))
        return value

    def joined(self, kind: str) -> tuple[str, list[int]]:
        """All node texts (`raw`, `folded` or `alnum`) joined by newlines, with start offsets."""
        if kind not in self._joined:
            get: Callable[[int], str] = {
                "raw": lambda i: self.nodes[i]["text"],
                "folded": self.folded,
                "alnum": self.alnum,
            }[kind]
            texts = [get(i) for i in range(len(self.nodes))]
            starts, position = [], 0
            for text in texts:
                starts.append(position)
                position += len(text) + 1
            self._joined[kind] = ("\n".join(texts), starts)
        return self._joined[kind]

    def containing(self, needles: Sequence[str], kind: str = "folded") -> list[int]:
        """Indices of the nodes whose text holds any of the needles (none spans a newline)."""
        text, starts = self.joined(kind)
        found: set[int] = set()
        for needle in needles:
            if not needle:
                continue
            at = text.find(needle)
            while at != -1:
                node = bisect_right(starts, at) - 1
                found.add(node)
                nxt = starts[node + 1] if node + 1 < len(starts) else len(text)
                at = text.find(needle, nxt)
        return sorted(found)

    def currencies(self) -> dict[int, list[tuple[int, int, tuple[str, ...]]]]:
        """Per node (of at most 120 characters), the currency symbols and codes it shows."""
        if self._currencies is None:
            text, starts = self.joined("raw")
            found: dict[int, list[tuple[int, int, tuple[str, ...]]]] = {}
            for start, end, codes in find_currencies(text):
                node = bisect_right(starts, start) - 1
                if len(self.nodes[node]["text"]) <= 120:
                    offset = starts[node]
                    found.setdefault(node, []).append((start - offset, end - offset, codes))
            self._currencies = found
        return self._currencies

    def hints(self, i: int) -> str:
        return node_hints(self.nodes[i])

    def chrome(self, i: int) -> bool:
        """Whether the node sits in navigation, a footer, an aside or the page header."""
        return bool(_CHROME.search(self.nodes[i]["xpath"])) or "breadcrumb" in self.hints(i).lower()

    def struck(self, i: int) -> bool:
        return bool(_STRUCK.search(self.nodes[i]["xpath"])) or bool(
            OLD_PRICE_HINT.search(self.hints(i))
        )

    def distance(self, i: int, anchor: int | None) -> float:
        """0 at the anchor, growing to 1 two hundred nodes away (nodes before it count double)."""
        if anchor is None:
            return min(i / 2000, 1.0)
        gap = i - anchor if i >= anchor else 2 * (anchor - i)
        return min(gap / 200, 1.0)

    def near(self, i: int, pattern: re.Pattern[str], before: int = 3, after: int = 1) -> bool:
        lo, hi = max(0, i - before), min(len(self.nodes), i + after + 1)
        return any(pattern.search(self.nodes[j]["text"]) for j in range(lo, hi) if j != i)


# --- text values ------------------------------------------------------------------------------


@dataclass
class _Hit:
    score: float
    spans: list[Span]
    index: int


def _tokens(folded: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded)]


def _text_hits(
    page: _Page, value: str, *, min_coverage: float, max_node: int = _MAX_SCAN
) -> list[_Hit]:
    """Nodes showing (most of) a text: the longest run of its words, scored by coverage."""
    gold = [t for t, _, _ in _tokens(normalize_text(value).casefold())]
    if not gold:
        return []
    gold_chars = sum(len(t) for t in gold)
    # Candidate nodes hold one of the value's longest words (sorted fully: deterministic).
    distinct = {t for t in gold if len(t) >= 2 or t.isdigit()}
    keys = sorted(distinct, key=lambda t: (-len(t), t))[:4] or gold[:1]
    hits = []
    for i in page.containing(keys):
        if len(page.nodes[i]["text"]) > max_node:
            continue
        tokens = _tokens(page.folded(i))
        words = [t for t, _, _ in tokens]
        block = SequenceMatcher(None, gold, words, autojunk=False).find_longest_match(
            0, len(gold), 0, len(words)
        )
        if not block.size:
            continue
        run_chars = sum(len(t) for t in gold[block.a : block.a + block.size])
        coverage = run_chars / gold_chars
        if coverage < min_coverage:
            continue
        node_chars = sum(len(t) for t in words) or 1
        start = tokens[block.b][1]
        end = tokens[block.b + block.size - 1][2]
        score = coverage + 0.2 * (run_chars / node_chars)
        hits.append(_Hit(score, [page.source_span(i, start, end)], i))
    return hits


def _best_first(hits: list[_Hit], bonus: Callable[[_Hit], float]) -> list[_Hit]:
    for hit in hits:
        hit.score += bonus(hit)
    return sorted(hits, key=lambda h: (-h.score, h.index))


def _match_name(page: _Page, value: str) -> list[_Hit]:
    def bonus(hit: _Hit) -> float:
        i = hit.index
        return (
            0.4 * (page.nodes[i]["tag"] == "h1")
            + 0.1 * bool(_NAME_HINT.search(page.hints(i)))
            - 0.3 * page.chrome(i)
            - 0.1 * (page.nodes[i]["tag"] == "a")
            - 0.2 * page.distance(i, page.anchor)
        )

    return _best_first(_text_hits(page, value, min_coverage=0.5), bonus)


def _match_short_text(page: _Page, value: str, hint: re.Pattern[str] | None = None) -> list[_Hit]:
    """Brands, categories, custom text: the whole value, preferably a node of its own."""

    def bonus(hit: _Hit) -> float:
        i = hit.index
        own = len(hit.spans[0]["text"]) / max(len(page.nodes[i]["text"]), 1)
        return (
            0.3 * own
            + (0.3 * bool(hint.search(page.hints(i))) if hint else 0.0)
            - 0.2 * page.chrome(i)
            - 0.2 * page.distance(i, page.anchor)
        )

    return _best_first(_text_hits(page, value, min_coverage=0.999), bonus)


def _match_description(page: _Page, value: str) -> list[_Hit]:
    """Long texts: the node that shows the beginning, then the following nodes that continue it."""
    text = normalize_text(value)
    gold_tokens = [t for t, _, _ in _tokens(text.casefold())]
    if not gold_tokens:
        return []
    head = " ".join(gold_tokens[:40])
    gold_words = " ".join(gold_tokens)
    hits = []
    for hit in _text_hits(
        page, head, min_coverage=min(0.5, 12 / max(len(head), 1)), max_node=100_000
    ):
        i = hit.index
        spans = [hit.spans[0]]
        # Continue over following nodes while their words are part of the description.
        for j in range(i + 1, min(i + 40, len(page.nodes))):
            words = " ".join(t for t, _, _ in _tokens(page.folded(j)))
            if not words or words not in gold_words:
                break
            spans.append(page.whole(j))
        hit.spans = spans
        hits.append(hit)
    return _best_first(hits, lambda h: -0.3 * page.chrome(h.index))


# --- numbers, prices, currencies -------------------------------------------------------------


def _numbers(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _NUMBER.finditer(text)]


def _match_price(page: _Page, value: str, *, regular: bool = False) -> list[_Hit]:
    """Nodes whose number equals the price, in any local format or split over two nodes."""
    amount = parse_price(value)
    if amount is None:
        return []
    whole = str(int(amount))
    cents = amount - int(amount)
    hits = []
    for i in page.containing([whole], "alnum"):
        node = page.nodes[i]
        text = node["text"]
        if len(text) > 120:
            continue
        for start, end, raw in _numbers(text):
            found = parse_price(raw)
            spans = [Span(xpath=node["xpath"], start=start, end=end, text=raw)]
            if found == amount and not cents and re.fullmatch(r"[.,]\s*", text[end:]):
                # "1.299," + "<sup>00</sup>": mark the zero cents too
                zero = _cents_node(page, i, cents)
                spans += [zero] if zero else []
            elif found != amount:
                # "192," + "32" or "192" + "<sup>32</sup>": the cents stand in the next node.
                if found is None or found != int(amount) or not cents:
                    continue
                nxt = _cents_node(page, i, cents)
                if nxt is None:
                    continue
                spans.append(nxt)
                raw += ",00"  # the cents count as written decimals
            score = _price_score(page, i, raw, regular)
            if score is not None:
                hits.append(_Hit(score, spans, i))
    return sorted(hits, key=lambda h: (-h.score, h.index))


def _cents_node(page: _Page, i: int, cents: Decimal) -> Span | None:
    want = f"{int(cents * 100):02d}"
    for j in range(i + 1, min(i + 3, len(page.nodes))):
        text = page.nodes[j]["text"]
        match = re.fullmatch(r"[.,]?\s*(\d{2})\s*(?:\S{0,4})", text)
        if match and match.group(1) == want:
            return Span(
                xpath=page.nodes[j]["xpath"], start=match.start(1), end=match.end(1), text=want
            )
        if re.search(r"\d", text):
            return None
    return None


def _has_currency(page: _Page, i: int) -> bool:
    currencies = page.currencies()
    return any(j in currencies for j in range(i - 2, i + 3))


def _price_score(page: _Page, i: int, raw: str, regular: bool) -> float | None:
    """How price-like a number in node i is; None when nothing says it is a price."""
    currency = _has_currency(page, i)
    hinted = bool(PRICE_HINT.search(page.hints(i)))
    decimals = bool(re.search(r"[.,]\d{2}$|[.,][-–—]$", raw))
    near_name = page.anchor is not None and abs(i - page.anchor) <= 10
    if not (currency or hinted or (decimals and near_name)):
        return None  # a bare number far from the product is no evidence of a price
    struck = page.struck(i)
    score = 1.0 + 0.4 * currency + 0.3 * hinted + 0.1 * decimals
    score += (0.4 if struck else -0.2) if regular else (-0.6 if struck else 0.0)
    score -= 0.3 * page.chrome(i) + 0.6 * page.distance(i, page.anchor)
    # A product's price follows its title in the document; prices before it are other products'.
    score -= 0.5 * (page.anchor is not None and i < page.anchor)
    score -= 0.2 * (len(page.nodes[i]["text"]) > 40)
    return score


def _match_currency(page: _Page, value: str) -> list[_Hit]:
    """A symbol or code that can stand for the currency, in or next to the price."""
    codes = set(currency_codes(value))
    if not codes:
        return []
    hits = []
    anchor = page.price_anchor
    for i, shown in page.currencies().items():
        for start, end, found in shown:
            if not codes & set(found):
                continue
            if anchor is not None:
                gap = abs(i - anchor)
                score = 2.0 - gap / 3 if gap <= 3 else 0.5 - page.distance(i, anchor)
            elif page.anchor is not None and not 0 <= i - page.anchor <= 50:
                continue  # no price found: only a currency just after the name says anything
            else:
                score = 0.5 - page.distance(i, page.anchor)
            around = range(max(0, i - 2), min(len(page.nodes), i + 3))
            if not any(re.search(r"\d", page.nodes[j]["text"]) for j in around):
                continue  # a currency is shown with an amount
            score += 0.2 * (len(found) == 1)
            hits.append(_Hit(score, [page.source_span(i, start, end)], i))
    return sorted(hits, key=lambda h: (-h.score, h.index))


def _match_number(page: _Page, value: str, words: re.Pattern[str] | None) -> list[_Hit]:
    """Numbers equal to the value, near words that say what they count (ratings, reviews)."""
    target = parse_number(value)
    if target is None:
        return []
    hits = []
    for i, node in enumerate(page.nodes):
        text = node["text"]
        if len(text) > 80 or not re.search(r"\d", text):
            continue
        for start, end, raw in _numbers(text):
            found = parse_number(raw) if "," not in raw else parse_price(raw, decimal_separator=",")
            if found is None or found != target:
                found = parse_price(raw)
            if found != target:
                continue
            here = bool(words and (words.search(text) or words.search(page.hints(i))))
            close = bool(words and page.near(i, words, before=3, after=2))
            if words and not (here or close):
                continue
            score = 1.0 + 0.5 * here + 0.2 * close - 0.3 * page.distance(i, page.anchor)
            hits.append(_Hit(score, [Span(xpath=node["xpath"], start=start, end=end, text=raw)], i))
    return sorted(hits, key=lambda h: (-h.score, h.index))


# --- identifiers and tokens -------------------------------------------------------------------


def _match_identifier(page: _Page, value: str, attribute: str) -> list[_Hit]:
    """The identifier's letters and digits in order, any separators between, whole-word."""
    key = identifier_key(value)
    if not key:
        return []
    if attribute == "gtin":
        key = key.lstrip("0") or key  # GTIN-13 "0194..." is shown as UPC "194..." too
    chars = r"[\W_]*".join(re.escape(c) for c in key)
    zeros = "0*" if attribute == "gtin" else ""
    pattern = re.compile(rf"(?<![^\W_]){zeros}{chars}(?![^\W_])")
    hits = []
    for i in page.containing([key], "alnum"):
        if len(page.nodes[i]["text"]) > _MAX_SCAN:
            continue
        folded = page.folded(i)
        for match in pattern.finditer(folded):
            own = (match.end() - match.start()) / max(len(folded), 1)
            hinted = bool(_ID_HINT.search(folded[: match.start()])) or page.near(i, _ID_HINT, 2, 0)
            score = 1.0 + 0.3 * own + 0.3 * hinted - 0.2 * page.chrome(i)
            score -= 0.2 * page.distance(i, page.anchor)
            hits.append(_Hit(score, [page.source_span(i, match.start(), match.end())], i))
    return sorted(hits, key=lambda h: (-h.score, h.index))


#: Availability tokens that say the same thing for the matcher (a page says "only 3 left").
_AVAILABILITY_KIN = {
    "InStock": {"InStock", "LimitedAvailability", "OnlineOnly"},
    "LimitedAvailability": {"LimitedAvailability", "InStock"},
    "OutOfStock": {"OutOfStock", "SoldOut", "Discontinued"},
    "SoldOut": {"SoldOut", "OutOfStock"},
    "PreSale": {"PreSale", "PreOrder"},
    "PreOrder": {"PreOrder", "PreSale"},
}


def _match_availability(page: _Page, value: str) -> list[_Hit]:
    """Short nodes whose phrase normalises to the same (or a kindred) schema.org token."""
    token = normalize_availability(value)
    if token is None:
        return []
    kin = _AVAILABILITY_KIN.get(token, {token})
    hits = []
    joined, starts = page.joined("folded")
    phrases = AVAILABILITY_ANY_FOLDED.finditer(joined)
    phrased = sorted({bisect_right(starts, m.start()) - 1 for m in phrases})
    for i in phrased:
        node = page.nodes[i]
        text = node["text"]
        if len(text) > 80:
            continue
        found = find_availability(text)
        if found is None or found[0] not in kin:
            continue
        found_token, start, end = found
        hinted = bool(_STOCK_HINT.search(page.hints(i)))
        anchor = page.price_anchor if page.price_anchor is not None else page.anchor
        distance = page.distance(i, anchor)
        if anchor is not None and distance >= 0.75 and not hinted:
            continue  # "available" in a menu far from the product says nothing about it
        score = 1.0 + 0.3 * (found_token == token) + 0.3 * hinted
        score -= 0.3 * (len(text) > 40) + 0.3 * page.chrome(i) + 0.5 * distance
        hits.append(
            _Hit(score, [Span(xpath=node["xpath"], start=start, end=end, text=text[start:end])], i)
        )
    return sorted(hits, key=lambda h: (-h.score, h.index))


# --- lists ------------------------------------------------------------------------------------


def _match_list(
    page: _Page, items: Sequence[str], window: int = 15
) -> tuple[list[Span], list[int]]:
    """Each item in order, as the longest chain of nearby nodes; returns spans and missed items."""
    candidates = [
        [
            h
            for h in _text_hits(page, item, min_coverage=0.999)
            if len(h.spans[0]["text"]) * 2 >= len(page.nodes[h.index]["text"])
        ][:60]
        for item in items
    ]
    best: list[tuple[int, _Hit]] = []
    for first, hits in enumerate(candidates):
        for start in sorted(hits, key=lambda h: h.index):
            chain = [(first, start)]
            prev = start.index
            for k in range(first + 1, len(items)):
                nxt = next(
                    (
                        h
                        for h in sorted(candidates[k], key=lambda h: h.index)
                        if prev < h.index <= prev + window
                    ),
                    None,
                )
                if nxt is not None:
                    chain.append((k, nxt))
                    prev = nxt.index
            if len(chain) > len(best):
                best = chain
        if len(best) >= len(items) - first:
            break
    found = {k for k, _ in best}
    return [hit.spans[0] for _, hit in best], [k for k in range(len(items)) if k not in found]


# --- images -----------------------------------------------------------------------------------

_IMAGE_ATTRS = (
    "src",
    "data-src",
    "data-original",
    "data-lazy-src",
    "data-zoom-image",
    "data-large_image",
    "data-image",
    "data-srcset",
    "srcset",
)
_IMAGE_EXT = re.compile(r"\.(?:jpe?g|png|webp|gif|avif)(?:$|[?#])", re.I)


def image_candidates(
    root: lxml.html.HtmlElement, page_url: str | None = None, only: Collection[str] = ()
) -> list[ImageMatch]:
    """Every image URL the page's `<img>`/`<source>` elements (and links to image files) show.

    `only` keeps the URLs that contain one of these strings (a fast pre-filter for matching).
    """
    tree = root.getroottree()
    found: list[ImageMatch] = []
    seen: set[tuple[str, str]] = set()
    for element in root.iter("img", "source", "a"):
        values = []
        if element.tag == "a":
            href = element.get("href") or ""
            if _IMAGE_EXT.search(href):
                values.append(href)
        else:
            for name in _IMAGE_ATTRS:
                raw = element.get(name)
                if not raw:
                    continue
                if "srcset" in name:
                    values.extend(
                        part.strip().split(" ")[0] for part in raw.split(",") if part.strip()
                    )
                else:
                    values.append(raw)
        if only:
            values = [v for v in values if any(s in v for s in only)]
        if not values:
            continue
        xpath = tree.getpath(element)
        for raw in values:
            url = normalize_url(raw, page_url)
            if url and (xpath, url) not in seen:
                seen.add((xpath, url))
                found.append(ImageMatch(xpath=xpath, url=url))
    return found


def _url_parts(url: str) -> tuple[str, str, set[str]]:
    bare = re.sub(r"^https?:", "", url).split("#")[0]
    path = bare.split("?")[0]
    distinctive = {t for t in re.findall(r"[A-Za-z0-9_-]{8,}", bare.split("/", 3)[-1])}
    return bare, path, distinctive


def match_image(
    candidates: Sequence[ImageMatch], value: str, page_url: str | None = None
) -> list[ImageMatch]:
    """Image elements showing the URL: same URL, same path, or the same file id in it."""
    url = normalize_url(value, page_url)
    if url is None:
        return []
    bare, path, distinctive = _url_parts(url)
    scored = []
    for order, candidate in enumerate(candidates):
        c_bare, c_path, c_tokens = _url_parts(candidate["url"])
        if c_bare == bare:
            score = 3
        elif c_path == path and len(path.rsplit("/", 1)[-1]) > 4:
            score = 2
        elif distinctive & c_tokens and max(len(t) for t in distinctive & c_tokens) >= 10:
            score = 1
        else:
            continue
        scored.append((-score, order, candidate))
    return [c for _, _, c in sorted(scored, key=lambda s: (s[0], s[1]))]


# --- entry point ------------------------------------------------------------------------------


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return [str(value)] if str(value).strip() else []


#: Attributes matched first: the name anchors the price, the price anchors currency and stock.
_ORDER = {"name": 0, "price": 1, "regular_price": 2, "currency": 3, "availability": 4}


def match_values(
    nodes: Sequence[Node],
    labels: Mapping[str, Any],
    page_url: str | None = None,
    *,
    root: lxml.html.HtmlElement | None = None,
    types: Mapping[str, AttributeType] | None = None,
) -> MatchResult:
    """Turn `{attribute: value or [values]}` into spans on the page's text nodes.

    `types` declares custom attributes' types (default: standard type, else text). URL values
    (`image`) are matched on image elements when `root` is given, else reported missing.
    """
    page = _Page(nodes, page_url)
    result = MatchResult()
    for attribute in sorted(labels, key=lambda a: (_ORDER.get(a, 9), a)):
        values = _as_list(labels[attribute])
        if not values:
            continue
        if attribute in NOT_PAGE_ATTRIBUTES:
            result.missing[attribute] = "not a page attribute (a comparison site's product name)"
            continue
        kind = (types or {}).get(attribute) or attribute_type(attribute)
        if kind == "url":
            _match_url_attribute(result, attribute, values[0], root, page_url)
            continue
        if kind == "list":
            spans, missed = _match_list(page, values)
            if spans:
                result.spans[attribute] = spans
                result.occurrences[attribute] = [spans]
                if missed:
                    shown = ", ".join(repr(values[k]) for k in missed)
                    result.partial[attribute] = (
                        f"{len(missed)} of {len(values)} items not found: {shown}"
                    )
            else:
                result.missing[attribute] = f"none of the {len(values)} items is shown in order"
            continue
        hits = _match_one(page, attribute, kind, values[0])
        if not hits:
            result.missing[attribute] = _why_missing(attribute, kind, values[0])
            continue
        result.spans[attribute] = hits[0].spans
        result.occurrences[attribute] = [h.spans for h in hits]
        if attribute == "name":
            page.anchor = hits[0].index
        elif attribute == "price":
            page.price_anchor = hits[0].index
    return result


def _match_one(page: _Page, attribute: str, kind: AttributeType, value: str) -> list[_Hit]:
    if kind == "price":
        return _match_price(page, value, regular=attribute == "regular_price")
    if kind == "identifier":
        return _match_identifier(page, value, attribute)
    if kind == "number":
        words = _RATING_WORDS if attribute in ("rating", "review_count") else None
        return _match_number(page, value, words)
    if attribute == "currency":
        return _match_currency(page, value)
    if attribute == "availability":
        return _match_availability(page, value)
    if attribute == "name":
        return _match_name(page, value)
    if attribute == "description":
        return _match_description(page, value)
    hint = re.compile(re.escape(attribute.split("_")[0]), re.I)
    return _match_short_text(page, value, hint)


def _why_missing(attribute: str, kind: AttributeType, value: str) -> str:
    shown = value if len(value) <= 60 else value[:57] + "..."
    if kind == "price" and parse_price(value) is None:
        return f"not a price: {shown!r}"
    if kind == "number" and parse_number(value) is None:
        return f"not a number: {shown!r}"
    if attribute == "currency" and not currency_codes(value):
        return f"not a currency code or symbol: {shown!r}"
    if attribute == "availability" and normalize_availability(value) is None:
        return f"not an availability: {shown!r}"
    if kind == "identifier" and not identifier_key(value):
        return f"no letters or digits: {shown!r}"
    if normalize_url(value) and kind != "url":
        return f"a URL, not a {kind} value: {shown!r}"
    return f"not shown on the page: {shown!r}"


def _match_url_attribute(
    result: MatchResult,
    attribute: str,
    value: str,
    root: lxml.html.HtmlElement | None,
    page_url: str | None,
) -> None:
    if root is None:
        result.missing[attribute] = "text nodes hold no images: pass root= to match image elements"
        return
    if normalize_url(value, page_url) is None:
        result.missing[attribute] = f"not a URL: {value[:60]!r}"
        return
    url = normalize_url(value, page_url) or ""
    bare, path, distinctive = _url_parts(url)
    # Every rule of match_image needs the file name or a long id token in the element's URL.
    needles = [t for t in distinctive if len(t) >= 10] + [path.rsplit("/", 1)[-1]]
    only = needles if all(needles) else ()
    matches = match_image(image_candidates(root, page_url, only), value, page_url)
    if matches:
        result.images[attribute] = matches
    else:
        result.missing[attribute] = f"no image element shows {value[:80]!r}"
