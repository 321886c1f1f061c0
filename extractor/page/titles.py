"""The page's own statements of the product's name, and what cannot be a name.

Titles: most product pages repeat the product's name in their `<title>` and `og:title` /
`twitter:title`: `Eye Webbing Key Ring - Black - Accessories - Northwear DE`. Split on the usual
separators and without the segments that are the site's name (the domain, `og:site_name`,
segments that the titles of the store's other pages share), the remaining segments are
informative. A title without separators is one segment, less the site's name at either end
(`... FreeSync ++ Cyberport`, `... schwarz bei Notebookkontor`).

Candidates (`page_names`), strongest first:

1. a shown node equal to a run of informative segments (an `h1` any run, another node one that
   starts with the first informative segment and has two words or a digit);
2. the `<title>`'s informative text where it is the first `h1`'s name with the brand before it
   and the product's code in parentheses after it, each shown on the page on its own
   (`Nec E274F - BK 27IN LCD LED (60005830)` over the `h1` `E274F - BK 27IN LCD LED`);
3. the first `h1` (its name node: not the brand beside it, not a part in parentheses) or the
   product block's heading when its words stand in a title as they are (a brand or a shop's
   prefix around them, specifications after them: `Shop Certified ... Set of 6 - On Sale`), or
   continue a title the site cut short (`... 23.8" (60.5 c`, `... Ø 22 ...`);
4. a text that two of the page's statements repeat: the first `h1`, the breadcrumb's last item,
   the product block's heading (the heading-like node just above the product's buy button);
5. the first `h1`; 6. the product block's heading.

`choose_name` applies them to a name already chosen: a missing name and an unshown markup name
give way to the best candidate, and so does a model span that is not one of the page's
statements (a navigation link, a related product, a fragment; where the title confirms a
candidate, a model span must agree with the title). A shown markup name is only trimmed of the
site's or brand's name or a price it adds to a title-confirmed node (`K&L Rollkragenpullover
29,99`). `refused_name` says why a model span that no candidate replaces cannot be a name: a
label ("Farbe:"), a single word no statement of the page makes, text shown only in navigation,
menus, footers, cookie boxes, option lists or blocks of other products (their headings too), or
text that (nearly) every page of the store shows (`recurring_texts`).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

import lxml.etree

from extractor.page.dom import Node
from extractor.page.template import BOILERPLATE_HINT, BOILERPLATE_TEXT, is_boilerplate, xpath_steps
from extractor.values.normalize.currencies import find_currencies
from extractor.values.normalize.text import normalize_text
from extractor.values.price_rules import repeated_blocks, titled_blocks

if TYPE_CHECKING:
    import lxml.html

#: Where the name to confirm comes from.
Source = Literal["model", "shown markup", "unshown markup"]
#: ` - `, ` – `, ` — `, ` · ` between words; `|` and `::` anywhere.
SEPARATOR = re.compile(r"\s+[-\u2013\u2014\u00b7]\s+|\s*(?:\||::)\s*")
_WORD = re.compile(r"[^\W_]+")
_CENTS_AMOUNT = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,'\u00a0 ]?\d{3})*[.,]\d{2}(?![\w.,])")
_ANY_AMOUNT = re.compile(r"(?<![\w.,])\d[\d.,'\u00a0 ]*(?<=\d)(?:[.,]-)?(?![\w])")
_TITLE_META = ("og:title", "twitter:title")
_SITE_META = ("og:site_name", "application-name", "apple-mobile-web-app-title")
#: Host labels that are not the site's name (`www.shop.co.uk` -> `shop`).
_HOST_NOISE = frozenset({"www", "m", "en", "de", "shop", "store", "co", "com", "net", "org"})


@functools.lru_cache(maxsize=1 << 14)
def fold(text: str) -> str:
    """Comparison form: NFKC, accents removed, case-folded, whitespace collapsed (cached: the
    same texts are compared again on every page of a store)."""
    decomposed = unicodedata.normalize("NFKD", normalize_text(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The folded words (letters and digits) of a text."""
    return _WORD.findall(fold(text))


def split_title(title: str) -> list[str]:
    """The segments of a title, in order, without empty ones."""
    return [s for s in (normalize_text(p) for p in SEPARATOR.split(title)) if s]


def page_titles(root: lxml.html.HtmlElement) -> tuple[str | None, list[str]]:
    """The page's `<title>` and its `og:title`/`twitter:title` values (distinct, in order)."""
    found = root.xpath("//head//title")
    element = found[0] if found else root.find(".//title")
    title = normalize_text(element.text_content()) if element is not None else ""
    metas = []
    for key in _TITLE_META:
        for content in root.xpath(f"//meta[@property='{key}' or @name='{key}']/@content")[:1]:
            if normalize_text(content) and normalize_text(content) not in metas:
                metas.append(normalize_text(content))
    return title or None, metas


def site_keys(root: lxml.html.HtmlElement, url: str) -> set[str]:
    """The site's name as letters and digits only: the domain's label and the site-name metas."""
    keys = set()
    for key in _SITE_META:
        for content in root.xpath(f"//meta[@property='{key}' or @name='{key}']/@content")[:1]:
            if joined := "".join(words(content)):
                keys.add(joined)
    host = (urlsplit(url).hostname or "").casefold()
    labels = [part for part in host.split(".")[:-1] if part not in _HOST_NOISE]
    if labels and not host.replace(".", "").isdigit():
        keys.update("".join(_WORD.findall(label)) for label in labels[-1:])
    return keys - {""}


def is_site_segment(segment: str, keys: Iterable[str], shared: Iterable[str] = ()) -> bool:
    """Whether a title segment is the site's name: one the store's titles share, or half of its
    words or more spell a site key (`Northwear DE`, `from Lumière`, `& Other Tales`)."""
    if fold(segment) in set(shared):
        return True
    found = words(segment)
    keys = set(keys)
    covered: set[int] = set()
    for i in range(len(found)):
        for j in range(i + 1, len(found) + 1):
            if "".join(found[i:j]) in keys:
                covered.update(range(i, j))
    return bool(found) and 2 * len(covered) >= len(found)


def title_segments(root: lxml.html.HtmlElement) -> list[str]:
    """Every segment of the page's titles, folded (to find those a store's pages share)."""
    title, metas = page_titles(root)
    return [fold(s) for text in [title or "", *metas] for s in split_title(text)]


def shared_segments(pages: Sequence[Sequence[str]], min_pages: int = 3) -> frozenset[str]:
    """Folded title segments that at least `min_pages` pages, and half of them, share: the
    store's name or a generic title part, not a product's."""
    counts = Counter(s for segments in pages for s in set(segments))
    with_titles = sum(1 for segments in pages if segments)
    return frozenset(s for s, n in counts.items() if n >= min_pages and 2 * n >= with_titles)


@dataclass(frozen=True)
class TitleSignals:
    """The informative parts of a page's titles."""

    #: phrases (`phrase_key` of runs of adjacent informative segments) -> whether the run starts
    #: with the title's first informative segment
    phrases: Mapping[str, bool]
    words: frozenset[str]  #: their words (of three letters or more, or with a digit)
    keys: frozenset[str]  #: the site's name, letters and digits only
    #: the words of each title, every segment (the site's name too)
    runs: tuple[tuple[str, ...], ...] = ()
    #: the words of the `<title>`'s last segment when it is informative (a title cut short ends
    #: in the middle of it), and whether the title ends with an ellipsis
    last: tuple[str, ...] = ()
    ellipsis: bool = False
    #: the `<title>`'s informative text (without the site's segments at its ends), when the site's
    #: segments stand only there
    full: str = ""

    def agrees(self, value: str) -> bool:
        """Whether a value shares a word with the informative title."""
        return bool(_content_words(value) & self.words)

    def first_phrases(self) -> frozenset[str]:
        """The phrases that start with the first informative segment."""
        return frozenset(p for p, first in self.phrases.items() if first)


def _content_words(text: str) -> set[str]:
    return {w for w in words(text) if len(w) > 2 or any(c.isdigit() for c in w)}


#: Short words between a name and the site's name at the end of a title ("bei", "at", "im").
_MAX_LINK_WORD = 3


def _without_site_words(found: Sequence[str], keys: Iterable[str]) -> list[str]:
    """The words of a segment less the site's name at either end and the short words that join
    it to the rest (`... bei Notebookkontor`), unchanged where the site's name is not there."""
    keys = set(keys)
    result = list(found)
    for _ in range(2):  # the end, then the start (the words reversed)
        for n in range(min(3, len(result) - 1), 0, -1):
            tail = result[-n:]
            if "".join(tail) in keys or "".join(reversed(tail)) in keys:
                del result[-n:]
                while len(result) > 1 and _link_word(result[-1]):
                    result.pop()
                break
        result.reverse()
    return result


def _link_word(word: str) -> bool:
    return len(word) <= _MAX_LINK_WORD and not any(c.isdigit() for c in word)


def title_signals(
    root: lxml.html.HtmlElement, url: str = "", shared: Iterable[str] = ()
) -> TitleSignals | None:
    """The informative title segments of a page, None when its titles say nothing (no title, only
    the site's name)."""
    keys = site_keys(root, url)
    shared = set(shared)
    title, metas = page_titles(root)
    texts = ([title] if title else []) + metas
    phrases: dict[str, bool] = {}
    last: tuple[str, ...] = ()
    full = ""
    for number, text in enumerate(texts):
        segments = split_title(text)
        informative = [not is_site_segment(s, keys, shared) for s in segments]
        first = informative.index(True) if any(informative) else -1
        for i in range(len(segments)):
            for j in range(i + 1, len(segments) + 1):
                if not informative[j - 1]:
                    break
                if key := phrase_key(" ".join(segments[i:j])):
                    phrases[key] = phrases.get(key, False) or i == first
        for i, segment in enumerate(segments):
            trimmed = " ".join(_without_site_words(words(segment), keys))
            if informative[i] and trimmed and trimmed != phrase_key(segment):
                phrases[trimmed] = phrases.get(trimmed, False) or i == first
        if number == 0 and title and segments and informative[-1]:
            last = tuple(words(segments[-1]))
        if number == 0 and title:
            full = _informative_text(title, informative)
    if not phrases:
        return None
    content = {w for p in phrases for w in _content_words(p)} - keys
    runs = tuple(tuple(words(text)) for text in texts)
    ellipsis = bool(title) and re.search(r"(?:\.\.\.|\u2026)\s*$", title or "") is not None
    return TitleSignals(phrases, frozenset(content), frozenset(keys), runs, last, ellipsis, full)


def _informative_text(title: str, informative: Sequence[bool]) -> str:
    """The text of a title from its first informative segment to its last, "" where a site's
    segment stands between them."""
    text = normalize_text(title)
    cuts = [(m.start(), m.end()) for m in SEPARATOR.finditer(text)]
    starts = [0] + [end for _, end in cuts]
    ends = [start for start, _ in cuts] + [len(text)]
    spans = [(a, b) for a, b in zip(starts, ends, strict=True) if text[a:b].strip()]
    if len(spans) != len(informative) or not any(informative):
        return ""
    first = informative.index(True)
    last = len(informative) - 1 - informative[::-1].index(True)
    if not all(informative[first : last + 1]):
        return ""
    return text[spans[first][0] : spans[last][1]].strip()


def phrase_key(text: str) -> str:
    """A text's words joined by spaces (separators and punctuation do not count)."""
    return " ".join(words(text))


#: Ranks of the name candidates (module docstring), strongest first.
TITLE_HEADING, TITLE_NODE, TITLE_FULL, TITLE_RUN, REPEATED, FIRST_H1, BLOCK_HEADING = range(7)
#: The ranks of candidates that the page's titles confirm.
TITLE_RANKS = frozenset({TITLE_HEADING, TITLE_NODE, TITLE_FULL, TITLE_RUN})
#: At most this many words of the brand stand before the name in a title.
MAX_BRAND_WORDS = 3
#: A name has at most this many words (more is a description or a sentence).
MAX_NAME_WORDS = 40
#: How far above the product's buy button (in text nodes) its block's heading may stand.
BLOCK_REACH = 30
#: A breadcrumb trail has at most this many text nodes (more is a menu).
MAX_TRAIL = 30
#: How many elements named as a breadcrumb are looked into (the trail, then its items).
_MAX_HINTED = 8
#: The XPath of the `<h1>` element that holds a node.
_H1 = re.compile(r"^(.*?/h1(?:\[\d+\])?)(?=/|$)")
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4"})
#: Classes and ids of an element that heads a block: `pageHeading`, `product-name`, `title`.
_HEADING_HINT = re.compile(r"heading|headline|title|(?<![a-z])name(?![a-z])|productname", re.I)
_BREADCRUMB_HINT = re.compile(r"bread|crumb|brcb|(?<![a-z])bc(?![a-z])", re.I)
_BREADCRUMB_ATTRS = ("class", "id", "aria-label")
#: Elements whose text is never a product's name: choices and buttons.
_NOT_NAME_TAGS = frozenset({"option", "select", "button", "textarea"})
#: Elements of site chrome: their text is never the product's name.
_CHROME_STEPS = frozenset({"nav", "footer", "aside"})
_LINK = re.compile(r"/a(?:\[\d+\])?(?:/|$)")
_TEXT_STEP = re.compile(r"/text\(\)\[\d+\]$")
#: Classes and ids of blocks of other products: carousels, related items, recommendations.
_OTHER_PRODUCTS = re.compile(
    r"related|carousel|slider|recommend|similar|upsell|up-sell|cross-?sell|also-?(?:bought|viewed)"
    r"|recently|last-?seen",
    re.I,
)
#: How many ancestors of a node are looked at for a cookie box or a block of other products.
_BOX_DEPTH = 8


@dataclass(frozen=True)
class NameCandidate:
    """A text the page states as its product's name."""

    text: str
    index: int  #: the node that shows it
    rank: int  #: TITLE_HEADING ... BLOCK_HEADING


@dataclass(frozen=True)
class PageNames:
    """What a page states as its product's name (`page_names`)."""

    candidates: tuple[NameCandidate, ...]  #: best first
    #: phrase keys a model span may equal and stay: the candidates, the title phrases that start
    #: with its first informative segment, the first `h1`'s whole text
    statements: frozenset[str] = frozenset()
    signals: TitleSignals | None = None
    breadcrumb: int | None = None  #: the node of the breadcrumb's last item

    @property
    def best(self) -> NameCandidate | None:
        """The strongest candidate."""
        return self.candidates[0] if self.candidates else None

    @property
    def confirmed(self) -> str | None:
        """The text of the shown node that equals an informative title phrase."""
        best = self.best
        return best.text if best is not None and best.rank <= TITLE_NODE else None

    def stated(self, value: str) -> bool:
        """Whether a value is one of the page's statements of its name; where the titles confirm a
        candidate, one of theirs."""
        key = phrase_key(value)
        best = self.best
        if best is None or best.rank not in TITLE_RANKS or self.signals is None:
            return key in self.statements
        titled = {phrase_key(c.text) for c in self.candidates if c.rank in TITLE_RANKS}
        return key in titled or key in self.signals.first_phrases()


def folded_key(text: str) -> str:
    """A node's text as `recurring_texts` compares it: normalised and case-folded."""
    return normalize_text(text).casefold()


def recurring_texts(
    pages: Sequence[Sequence[Node]], min_pages: int = 4, share: float = 0.8
) -> frozenset[str]:
    """The texts (`folded_key`) that (nearly) every page of one store shows: at least `min_pages`
    pages and `share` of them. Its menus, footer and slogans, never one product's name."""
    if len(pages) < min_pages:
        return frozenset()
    counts = Counter(k for nodes in pages for k in {folded_key(n["text"]) for n in nodes})
    need = max(min_pages, int(share * len(pages) + 0.999))
    return frozenset(k for k, n in counts.items() if n >= need and k)


def _boxed(node: Node) -> bool:
    """Whether a node is in a cookie or newsletter box, or says what such a box says."""
    hints = f"{node['attrs'].get('class') or ''} {node['attrs'].get('id') or ''}"
    return bool(BOILERPLATE_HINT.search(hints) or BOILERPLATE_TEXT.search(node["text"]))


def _one_word(text: str) -> bool:
    found = words(text)
    return len(found) == 1 and not any(c.isdigit() for c in found[0])


def _may_name(node: Node, template: frozenset[str], one_word: bool = False) -> bool:
    """Whether a node's text can be a product's name: not a label ("Farbe:"), a choice, a button,
    a cookie box, the store's template, a sentence; a single word only where `one_word`."""
    text = normalize_text(node["text"])
    found = words(text)
    return not (
        not found
        or len(found) > MAX_NAME_WORDS
        or text.endswith(":")
        or node["tag"] in _NOT_NAME_TAGS
        or (_one_word(text) and not one_word)
        or _boxed(node)
        or folded_key(text) in template
    )


def _in_title(text: str, signals: TitleSignals) -> bool:
    """Whether a text's words stand in one of the titles as they are (two words or a digit, one
    informative), or continue the `<title>`'s last segment where the site cut it short."""
    found = tuple(words(text))
    n = len(found)
    if (n < 2 and not any(c.isdigit() for c in text)) or not signals.agrees(text):
        return False
    if any(found == run[k : k + n] for run in signals.runs for k in range(len(run) - n + 1)):
        return True
    last, m = signals.last, len(signals.last)
    if m < 2 or n < m or found[: m - 1] != last[:-1] or not found[m - 1].startswith(last[-1]):
        return False
    return found[m - 1] != last[-1] or (n > m and signals.ellipsis)


_LAST_PARENTHESES = re.compile(r"\(([^()]*)\)\s*$")


def _full_title(full: str, nodes: Sequence[Node], h1: int) -> str | None:
    """The `<title>`'s informative text where it is the `<h1>`'s name with the brand before it
    and the product's code in parentheses after it, each shown on the page on its own (`Nec
    E274F - BK 27IN LCD LED (60005830)` over `E274F - BK 27IN LCD LED`, with `Nec` in the
    breadcrumb and `60005830` in the specifications), None otherwise."""
    title, name = words(full), words(nodes[h1]["text"])
    n = len(name)
    at = next((k for k in range(len(title) - n + 1) if title[k : k + n] == name), None)
    if not name or at is None:
        return None
    before, after = title[:at], title[at + n :]
    if not (before or after) or len(before) > MAX_BRAND_WORDS:
        return None
    code = _LAST_PARENTHESES.search(full)
    if after and (code is None or words(code.group(1)) != after or not _has_digit(code.group(1))):
        return None
    shown = {phrase_key(node["text"]) for node in nodes}
    parts = [" ".join(part) for part in (before, after) if part]
    return full if all(part in shown for part in parts) else None


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _parenthesised(text: str) -> bool:
    text = text.strip()
    return text.startswith("(") and text.endswith(")")


def first_h1(nodes: Sequence[Node], template: frozenset[str] = frozenset()) -> list[int]:
    """The nodes of the page's first `<h1>` outside navigation, footers, asides, cookie boxes and
    the store's template."""
    i = 0
    while i < len(nodes):
        node = nodes[i]
        match = _H1.match(node["xpath"])
        if match is None or _CHROME_STEPS & set(xpath_steps(node["xpath"])) or _boxed(node):
            i += 1
            continue
        prefix = match.group(1) + "/"
        members = [i]
        while i + 1 < len(nodes) and nodes[i + 1]["xpath"].startswith(prefix):
            i += 1
            members.append(i)
        if not all(folded_key(nodes[j]["text"]) in template for j in members):
            return members
        i += 1
    return []


def _h1_name(nodes: Sequence[Node], members: Sequence[int], template: frozenset[str]) -> int | None:
    """The node of an `<h1>` that holds the name: of several, the first of two words or more (or
    a digit) that is not in parentheses (not the brand beside it, not a note after it)."""
    for j in members:
        text = normalize_text(nodes[j]["text"])
        if not _parenthesised(text) and not _one_word(text) and _may_name(nodes[j], template):
            return j
    if members and _may_name(nodes[members[0]], template, one_word=True):
        return members[0]
    return None


def breadcrumb_last(root: lxml.html.HtmlElement | None, nodes: Sequence[Node]) -> int | None:
    """The node of the breadcrumb trail's last item (the first element whose class, id or
    aria-label names a breadcrumb and holds two items or more), None without a trail."""
    if root is None:
        return None
    tree = root.getroottree()
    hinted = (
        element
        for element in root.xpath("descendant-or-self::*[@class or @id or @aria-label]")
        if _BREADCRUMB_HINT.search(" ".join(element.get(k) or "" for k in _BREADCRUMB_ATTRS))
    )
    for element in itertools.islice(hinted, _MAX_HINTED):
        path = tree.getpath(element)
        inside = [
            i
            for i, n in enumerate(nodes)
            if n["xpath"] == path or n["xpath"].startswith(path + "/")
        ]
        if len(inside) > MAX_TRAIL:
            continue
        items = [
            i for i in inside if words(nodes[i]["text"]) and not nodes[i]["text"].endswith(":")
        ]
        if len(items) >= 2:
            return items[-1]
    return None


def _heading_like(node: Node) -> bool:
    hints = f"{node['attrs'].get('class') or ''} {node['attrs'].get('id') or ''}"
    return node["tag"] in _HEADING_TAGS or bool(_HEADING_HINT.search(hints))


def block_heading(
    root: lxml.html.HtmlElement | None,
    nodes: Sequence[Node],
    template: frozenset[str] = frozenset(),
) -> int | None:
    """The heading of the product's own block: the nearest heading-like node (`h1`-`h4`, or a
    class such as `pageHeading` or `product-name`) above the product's first buy button."""
    from extractor.page.buy_button import product_buttons

    if root is None:
        return None
    buttons = product_buttons(root, nodes)
    if not buttons:
        return None
    at = buttons[0].position
    for i in range(at - 1, max(at - BLOCK_REACH, 0) - 1, -1):
        if _heading_like(nodes[i]) and _may_name(nodes[i], template):
            return i
    return None


def page_names(
    root: lxml.html.HtmlElement | None,
    nodes: Sequence[Node],
    signals: TitleSignals | None,
    brand: str | None = None,
    template: frozenset[str] = frozenset(),
) -> PageNames:
    """The page's name candidates, best first (module docstring), and its statements of a name.

    A title phrase that is only the brand confirms nothing; `template` holds the texts that every
    page of the store shows (`recurring_texts`), which no candidate beyond the title's is."""
    ranked: list[tuple[tuple[int, bool, int, int], NameCandidate]] = []

    def add(i: int, rank: int, first: bool = True) -> None:
        text = normalize_text(nodes[i]["text"])
        ranked.append(((rank, not first, -len(text), i), NameCandidate(text, i, rank)))

    if signals is not None:
        phrases = dict(signals.phrases)
        phrases.pop(phrase_key(brand or ""), None)
        # Only a text about as long as a phrase can equal it (phrase_key is slow on every node).
        shortest = min((len(p) for p in phrases), default=0) // 2
        longest = 3 * max((len(p) for p in phrases), default=0) + 10
        for i, node in enumerate(nodes):
            if not shortest <= len(node["text"]) <= longest:
                continue
            first = phrases.get(phrase_key(node["text"]))
            if first is None:
                continue
            heading = _H1.match(node["xpath"]) is not None
            if (first or heading) and _may_name(node, frozenset(), one_word=heading):
                add(i, TITLE_HEADING if heading else TITLE_NODE, first)
    h1_nodes = first_h1(nodes, template)
    h1 = _h1_name(nodes, h1_nodes, template)
    crumb = breadcrumb_last(root, nodes)
    titled = bool(ranked) or (
        h1 is not None and signals is not None and _in_title(nodes[h1]["text"], signals)
    )
    block = None if titled else block_heading(root, nodes, template)
    if signals is not None:
        if h1 is not None and (full := _full_title(signals.full, nodes, h1)):
            ranked.append(
                ((TITLE_FULL, False, -len(full), h1), NameCandidate(full, h1, TITLE_FULL))
            )
        for at in (h1, block):
            if at is not None and _in_title(nodes[at]["text"], signals):
                add(at, TITLE_RUN)
    said = [at for at in (h1, block, crumb) if at is not None]
    for a, at in enumerate(said):
        key = phrase_key(nodes[at]["text"])
        if _may_name(nodes[at], template) and any(
            phrase_key(nodes[j]["text"]) == key for j in said[a + 1 :]
        ):
            add(at, REPEATED)
    if h1 is not None:
        add(h1, FIRST_H1)
    if block is not None:
        add(block, BLOCK_HEADING)
    ranked.sort(key=lambda pair: pair[0])
    candidates: list[NameCandidate] = []
    for _, candidate in ranked:
        if all(c.index != candidate.index for c in candidates):
            candidates.append(candidate)
    statements = {phrase_key(c.text) for c in candidates}
    if signals is not None:
        statements |= signals.first_phrases()
    if h1_nodes:
        statements.add(phrase_key(" ".join(nodes[i]["text"] for i in h1_nodes)))
    return PageNames(tuple(candidates), frozenset(statements - {""}), signals, crumb)


def only_extras(value: str, name: str, extras: Iterable[str]) -> bool:
    """Whether `value` is `name` plus only a price (an amount with cents, or one next to a
    currency), or one of the `extras` (the site's or the brand's name, letters and digits
    only): `K&L Rollkragenpullover 29,99`."""
    text = normalize_text(value)
    found = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
    core = words(name)
    tokens = [w for _, _, w in found]
    at = next(
        (i for i in range(len(found) - len(core) + 1) if tokens[i : i + len(core)] == core), None
    )
    if not core or at is None or len(found) == len(core):
        return False
    rest = f"{text[: found[at][0]]} {text[found[at + len(core) - 1][1] :]}"
    currencies = find_currencies(rest)
    for start, end, _ in reversed(currencies):
        rest = f"{rest[:start]} {rest[end:]}"
    rest = (_ANY_AMOUNT if currencies else _CENTS_AMOUNT).sub(" ", rest)
    return not words(rest) or "".join(words(rest)) in set(extras)


def choose_name(
    current: str | None, source: Source, names: PageNames, brand: str | None = None
) -> str | None:
    """The candidate that should replace `current` (a model span, or a markup value the page
    shows or not), None to keep it: a missing name, an unshown markup name and a model span that
    is not one of the page's statements (`PageNames.stated`) give way to the best candidate; a
    shown markup name only loses the site's or brand's name or a price it adds to the
    title-confirmed node."""
    best = names.best
    if best is None or (current is not None and fold(current) == fold(best.text)):
        return None
    if current is None or source == "unshown markup":
        return best.text
    if source == "model":
        return None if names.stated(current) else best.text
    confirmed = names.confirmed
    if confirmed is None or names.signals is None:
        return None
    extras = set(names.signals.keys) | ({"".join(words(brand))} if brand else set())
    return confirmed if only_extras(current, confirmed, extras) else None


def refused_name(
    value: str,
    nodes: Sequence[Node],
    names: PageNames,
    template: frozenset[str] = frozenset(),
    root: lxml.html.HtmlElement | None = None,
) -> str | None:
    """Why a model span cannot be the product's name (None when it can): a label, a single word
    no statement of the page makes, the store's template, or text the page shows only in
    navigation, menus, site chrome, cookie boxes, choices, buttons or blocks of other products
    (their classes and ids read from `root`)."""
    text = normalize_text(value)
    if not words(text):
        return "no words"
    if text.endswith(":"):
        return "a label"
    if _one_word(text) and phrase_key(text) not in names.statements:
        return "a single word the page does not state as a name"
    key = folded_key(text)
    if key in template:
        return "the store's template"
    showing = [i for i, node in enumerate(nodes) if key in folded_key(node["text"])]
    if not showing or any(_product_text(nodes[i], i, names) for i in showing):
        return None
    blocks = titled_blocks(nodes)
    menus = repeated_blocks([n["xpath"] for n in nodes if _LINK.search(n["xpath"])])
    if all(_not_product(nodes[i], blocks | menus, root) for i in showing):
        return "navigation, site chrome or other products"
    return None


def _boxed_in(root: lxml.html.HtmlElement, xpath: str) -> bool:
    """Whether an ancestor's class or id names a cookie or newsletter box or a block of other
    products."""
    found = root.getroottree().xpath(_TEXT_STEP.sub("", xpath))
    if not found:
        return False
    for depth, element in enumerate(found[0].iterancestors()):
        hints = f"{element.get('class') or ''} {element.get('id') or ''}"
        if depth >= _BOX_DEPTH or element.tag in ("body", "html"):
            break
        if BOILERPLATE_HINT.search(hints) or _OTHER_PRODUCTS.search(hints):
            return True
    return False


def _product_text(node: Node, i: int, names: PageNames) -> bool:
    """Whether a node is the breadcrumb's last item or an `h1` (what the page says of its own
    product)."""
    return i == names.breadcrumb or _H1.match(node["xpath"]) is not None


def _not_product(node: Node, others: set[str], root: lxml.html.HtmlElement | None) -> bool:
    """Whether a node is not about the page's product: a choice or a button, navigation, site
    chrome, a cookie box, a block of other products, or one of `others` (the nodes of blocks
    titled as other products, links in a menu: three links or more in one repeated structure)."""
    if node["tag"] in _NOT_NAME_TAGS or "nav" in xpath_steps(node["xpath"]):
        return True
    if is_boilerplate(node) or node["xpath"] in others:
        return True
    return root is not None and _boxed_in(root, node["xpath"])
