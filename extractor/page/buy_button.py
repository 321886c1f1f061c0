"""The product's buy button as a shopper reads it: a working add-to-cart button means in stock.

`buy_button_availability(root, nodes)` looks at the buttons of the product's own block (near its
name, outside navigation, headers, footers and blocks of other products): a notify-me or sold-out
button says OutOfStock, a pre-order button PreOrder, an add-to-cart / buy-now button InStock when
it works and OutOfStock when it is disabled (`disabled`, `aria-disabled="true"`, a `disabled`
class); a badge beside a working one that says the product cannot be had now ("Nicht lagernd",
"Sold out", "Pre-order": `stock_badge`) is what a shopper reads. What a shopper cannot see (a
`hidden` or `display: none` element, a `hidden` class) and what speaks of one variant (a "sold
out" mark on a colour swatch, an add-to-cart button disabled until a size is chosen) says
nothing about the product. A page without such a button gives None.
The words come from one vocabulary (`extractor.values.normalize.availability`).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import lxml.html

from extractor.page.dom import Node, clean_text, is_hidden
from extractor.values.normalize.availability import (
    BUY_BUTTON,
    BUY_PHRASES,
    NOTIFY_PHRASES,
    PRE_ORDER_PHRASES,
    button_availability,
    compile_phrases,
    find_availability,
)
from extractor.values.price_rules import repeated_blocks

#: How far above a text node the button (or link) that shows it may stand.
_CLICK_DEPTH = 4
_TEXT_STEP = re.compile(r"/text\(\)\[\d+\]$")
#: Words a link styled as a button shows (case-folded text, one node per line).
_LINK_WORDS = compile_phrases(
    "|".join(f"(?:{p})" for p in (BUY_PHRASES, NOTIFY_PHRASES, PRE_ORDER_PHRASES)), re.MULTILINE
)
_INPUT_TYPES = frozenset({"submit", "button", "image"})
#: Longer texts are containers or sentences, not a button's words.
_MAX_WORDS = 60
#: A class or id that disables a button.
_DISABLED_CLASS = re.compile(
    r"(?<![a-z])(?:disabled|inactive|unavailable|sold-?out|out-?of-?stock)(?![a-z])", re.I
)
#: A class that hides an element with CSS (`hidden`, `is-hidden`, `u-display-none`, `d-none`).
_HIDDEN_CLASS = re.compile(
    r"^(?:[a-z]+-)?(?:hidden|hide|d-none|display-?none|invisible|visually-?hidden|sr-only)$"
)
#: Bootstrap's `d-none d-md-block`: hidden on small screens only.
_SHOWN_FROM = re.compile(r"^d-(?:sm|md|lg|xl|xxl)-(?!none)")
#: Blocks of other products: carousels, related items, recommendations, bundles, mini-carts.
_OTHER_PRODUCTS = re.compile(
    r"related|carousel|slider|recommend|similar|upsell|up-sell|cross-?sell|also-?(?:bought|viewed)"
    r"|bundle|accessor|zubeh[oö]r|recently|last-?seen|mini-?cart|flyout",
    re.I,
)
#: The choice of a variant: a swatch, a size or colour picker.
_VARIANT = re.compile(r"swatch|size|variant|colou?r|option|attribute|configur", re.I)
#: A select box that picks a quantity, not a variant.
_QUANTITY = re.compile(r"qty|quantit|anzahl|menge|amount|cantidad|aantal|ilo[sś][cć]|antal|mængde")
_CHROME = re.compile(r"/(?:nav|footer|aside|header)(?:\[\d+\])?(?:/|$)")
#: How far from the product's name (in text nodes) its buy button may stand: after, before.
_AFTER, _BEFORE = 400, 60
#: Where a badge beside the buy button stands: up to this many text nodes before it (and after
#: the name), or after it; a badge is short.
_BADGE_BEFORE, _BADGE_AFTER, _BADGE_CHARS = 12, 3, 80
#: What a badge must say to overrule a working button (not "only 2 left": still on sale).
_BADGE_TOKENS = frozenset(
    {"OutOfStock", "SoldOut", "Discontinued", "PreOrder", "PreSale", "BackOrder"}
)
#: How many ancestors up a "sold out" mark is looked at for a variant picker.
_VARIANT_DEPTH = 4
#: Tokens of what a button's words or state say, strongest first.
_RANK = {"OutOfStock": 0, "SoldOut": 0, "Discontinued": 0, "PreOrder": 1, "PreSale": 1,
         "BackOrder": 2, "InStock": 3}  # fmt: skip


@dataclass(frozen=True)
class BuyButton:
    """A button of the page and what it says about the product's availability."""

    #: the schema.org token the button says (its words and whether it works, or the badge
    #: beside it: `stock_badge`)
    availability: str
    #: the button's words as shown
    text: str
    #: the button element's XPath
    xpath: str
    #: the text nodes that show the words (none for an `<input>`'s value)
    nodes: tuple[int, ...]
    #: whether a shopper can click it
    enabled: bool
    #: the text node index it stands at (its own node, else the first node of its parent)
    position: int


def _hidden(element: lxml.html.HtmlElement) -> bool:
    for e in (element, *element.iterancestors()):
        if is_hidden(e):
            return True
        classes = (e.get("class") or "").lower().split()
        if any(_HIDDEN_CLASS.match(c) for c in classes) and not any(
            _SHOWN_FROM.match(c) for c in classes
        ):
            return True
    return False


def _disabled(element: lxml.html.HtmlElement) -> bool:
    if element.get("disabled") is not None or element.get("aria-disabled") == "true":
        return True
    if any(f.tag == "fieldset" and f.get("disabled") is not None for f in element.iterancestors()):
        return True
    return bool(_DISABLED_CLASS.search(f"{element.get('class', '')} {element.get('id', '')}"))


def _hints(element: lxml.html.HtmlElement) -> str:
    return f"{element.get('class', '')} {element.get('id', '')}"


def _other_products(element: lxml.html.HtmlElement) -> bool:
    return any(_OTHER_PRODUCTS.search(_hints(e)) for e in element.iterancestors())


def _in_variant_picker(element: lxml.html.HtmlElement) -> bool:
    """Whether a mark sits in a swatch or size picker (it speaks of one variant)."""
    for depth, e in enumerate(element.iterancestors()):
        if depth >= _VARIANT_DEPTH or e.tag == "form":
            return False
        if _VARIANT.search(_hints(e)):
            return True
    return False


def _asks_for_variant(element: lxml.html.HtmlElement) -> bool:
    """Whether the button's form (or block) asks for a size, colour or other variant first: a
    disabled add-to-cart button there waits for the choice; it does not say sold out."""
    block = next((e for e in element.iterancestors() if e.tag == "form"), None)
    if block is None:
        parents = list(element.iterancestors())[:3]
        block = parents[-1] if parents else element
    for e in block.iter("select", "input"):
        if e.tag == "input" and (e.get("type") or "").lower() == "radio":
            return True
        if e.tag == "select" and not _QUANTITY.search(f"{_hints(e)} {e.get('name', '')}".lower()):
            return True
    return any(_VARIANT.search(_hints(e)) for e in block.iter() if e is not element)


def _folded_lines(nodes: Sequence[Node]) -> tuple[str, list[int]]:
    """The nodes' case-folded texts, one per line, and where each starts; longer texts than a
    button's words are left empty (a sentence is no button, and the search stays fast)."""
    texts = [
        unicodedata.normalize("NFKC", n["text"]).casefold() if len(n["text"]) <= _MAX_WORDS else ""
        for n in nodes
    ]
    starts, at = [], 0
    for text in texts:
        starts.append(at)
        at += len(text) + 1
    return "\n".join(texts), starts


def _first_nodes(nodes: Sequence[Node]) -> dict[str, int]:
    """For every element that shows text (and each of its ancestors), its first text node."""
    first: dict[str, int] = {}
    for i, node in enumerate(nodes):
        path = _TEXT_STEP.sub("", node["xpath"])
        while path and path not in first:
            first[path] = i
            path = path.rsplit("/", 1)[0]
    return first


def _element_of(tree: lxml.etree._ElementTree, node: Node) -> lxml.html.HtmlElement | None:
    """The element that shows a text node."""
    found = tree.xpath(_TEXT_STEP.sub("", node["xpath"]))
    return found[0] if found and isinstance(found[0], lxml.html.HtmlElement) else None


def _candidates(
    root: lxml.html.HtmlElement, nodes: Sequence[Node]
) -> list[tuple[lxml.html.HtmlElement, int | None]]:
    """Buttons (`<button>`, `role="button"`) and submit inputs whose words say something about
    availability, and links that show buy, notify-me or pre-order words (found in one search
    over the page's short texts); each with its first text node (None for an input)."""
    tree = root.getroottree()
    first = _first_nodes(nodes)
    found: dict[lxml.html.HtmlElement, int | None] = {}
    for element in (*root.iter("button"), *root.xpath("//*[@role='button']")):
        words = clean_text(element.text_content() or "")
        if not words or len(words) > 4 * _MAX_WORDS or not button_availability(words):
            continue
        near = first.get(tree.getpath(element))
        if near is not None:
            found.setdefault(element, near)
    joined, starts = _folded_lines(nodes)
    for m in _LINK_WORDS.finditer(joined):
        i = bisect_right(starts, m.start()) - 1
        shown = _element_of(tree, nodes[i])
        if shown is None:
            continue
        for depth, element in enumerate((shown, *shown.iterancestors())):
            if depth > _CLICK_DEPTH:
                break
            if element.tag in ("button", "a"):
                found.setdefault(element, i)
                break
    for element in root.iter("input"):
        if (element.get("type") or "").lower() not in _INPUT_TYPES:
            continue
        if button_availability(clean_text(element.get("value") or element.get("alt") or "")):
            found.setdefault(element, None)
    return list(found.items())


def _shown_words(nodes: Sequence[Node], xpath: str, near: int) -> tuple[str, list[int]]:
    """The visible text of an element (its text nodes, which stand together around the node
    `near`, joined) and their indices."""
    prefix = xpath + "/"

    def inside(i: int) -> bool:
        return nodes[i]["xpath"] == xpath or nodes[i]["xpath"].startswith(prefix)

    if not inside(near):
        return "", []
    first = last = near
    while first > 0 and inside(first - 1):
        first -= 1
    while last + 1 < len(nodes) and inside(last + 1):
        last += 1
    indices = list(range(first, last + 1))
    return clean_text(" ".join(nodes[i]["text"] for i in indices)), indices


def _position(nodes: Sequence[Node], element: lxml.html.HtmlElement) -> int | None:
    """The first text node of the nearest ancestor that shows any (where an input stands)."""
    tree = element.getroottree()
    for parent in element.iterancestors():
        prefix = tree.getpath(parent) + "/"
        start = next((i for i, n in enumerate(nodes) if n["xpath"].startswith(prefix)), None)
        if start is not None:
            return start
    return None


def find_buttons(root: lxml.html.HtmlElement, nodes: Sequence[Node]) -> list[BuyButton]:
    """Every visible button or link whose shown words say something about availability (buy,
    notify me, pre-order, sold out), in document order, with whether it works; marks on a
    variant (a swatch's "sold out") and buttons that wait for a variant choice are left out."""
    return [button for button, _ in _found(root, nodes)]


def _found(
    root: lxml.html.HtmlElement, nodes: Sequence[Node]
) -> list[tuple[BuyButton, lxml.html.HtmlElement]]:
    tree = root.getroottree()
    found: list[tuple[BuyButton, lxml.html.HtmlElement]] = []
    for element, near in _candidates(root, nodes):
        if _hidden(element):
            continue
        xpath = tree.getpath(element)
        shows: tuple[int, ...] = ()
        if near is None:
            words = clean_text(element.get("value") or element.get("alt") or "")
            position = _position(nodes, element)
        else:
            words, inside = _shown_words(nodes, xpath, near)
            # The node that holds the words, or all of them when the words are split over several
            shows = tuple(i for i in inside if button_availability(nodes[i]["text"]))[:1]
            shows = shows or tuple(inside)
            position = inside[0] if inside else None
        said = button_availability(words) if words and len(words) <= _MAX_WORDS else None
        if said is None or position is None:
            continue
        buys = bool(BUY_BUTTON.search(words))
        if element.tag == "a" and said == "InStock" and not buys:
            continue  # a link that says "in stock" is a filter or a menu entry, not a button
        if said != "InStock" and not buys and _in_variant_picker(element):
            continue  # "sold out" on a colour swatch or a size speaks of that variant
        enabled = not _disabled(element)
        if said == "InStock" and not enabled:
            if _asks_for_variant(element):
                continue  # disabled until a size is chosen
            said = "OutOfStock"
        found.append((BuyButton(said, words, xpath, shows, enabled, position), element))
    return sorted(found, key=lambda pair: pair[0].position)


def _first_heading(nodes: Sequence[Node]) -> int | None:
    """The first `<h1>` outside the page's header and navigation (the product's name)."""
    return next(
        (i for i, n in enumerate(nodes) if n["tag"] == "h1" and not _CHROME.search(n["xpath"])),
        None,
    )


def product_buttons(
    root: lxml.html.HtmlElement, nodes: Sequence[Node], anchor: int | None = None
) -> list[BuyButton]:
    """The buttons of the product's own block: near the name when its node is known (`anchor`),
    outside navigation, headers, footers, lists of products (buttons repeated in one structure)
    and blocks of other products."""
    found = _found(root, nodes)
    repeated = repeated_blocks([b.xpath for b, _ in found])
    kept = []
    for button, element in found:
        if _CHROME.search(button.xpath) or button.xpath in repeated:
            continue
        if anchor is not None and not -_BEFORE <= button.position - anchor <= _AFTER:
            continue
        if _other_products(element):
            continue
        kept.append(button)
    return kept


def buy_button_availability(
    root: lxml.html.HtmlElement | None, nodes: Sequence[Node], anchor: int | None = None
) -> BuyButton | None:
    """The button that says the product's availability (module docstring), None without one.

    Of the product block's buttons, one that refuses to sell (notify me, sold out, disabled)
    wins over a pre-order one, which wins over a working add-to-cart one; among equals, the one
    nearest the name."""
    if root is None:
        return None
    buttons = product_buttons(root, nodes, anchor)
    if not buttons:
        return None
    where = anchor if anchor is not None else _first_heading(nodes)
    best = min(
        buttons,
        key=lambda b: (_RANK.get(b.availability, 3), abs(b.position - (where or b.position))),
    )
    if best.availability != "InStock":
        return best
    badge = stock_badge(root, nodes, best.position, where)
    return best if badge is None else dataclasses.replace(best, availability=badge)


def stock_badge(
    root: lxml.html.HtmlElement, nodes: Sequence[Node], button: int, anchor: int | None = None
) -> str | None:
    """What a short text beside a working buy button says when it says the product cannot be
    had now ("Nicht lagernd", "Sold out", "Pre-order"): between the name (`anchor`) and the
    button, at most `_BADGE_BEFORE` nodes before it, or just after it; a shopper reads such a
    badge over the button. What a shopper cannot see, a mark of one variant and a mark in a
    block of other products say nothing. None where no badge says so."""
    tree = root.getroottree()
    first = max(button - _BADGE_BEFORE, anchor if anchor is not None and anchor < button else 0)
    for i in range(first, min(button + _BADGE_AFTER + 1, len(nodes))):
        node = nodes[i]
        if len(node["text"]) > _BADGE_CHARS or _CHROME.search(node["xpath"]):
            continue
        found = find_availability(node["text"])
        if found is None or found[0] not in _BADGE_TOKENS:
            continue
        element = _element_of(tree, node)
        if element is None or _hidden(element) or _in_variant_picker(element):
            continue
        if not _other_products(element):
            return found[0]
    return None
