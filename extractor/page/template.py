"""Store template and boilerplate: nodes that cannot hold a product's values.

Site chrome (header, footer, aside outside main/article), big menus, cookie and newsletter boxes,
long link lists, and runs of text that recur in the same place on (nearly) every page of a store.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Mapping, Sequence

from extractor.page.dom import Node

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


#: A list with more items than this, nearly all links, is a menu or a link farm.
LINK_LIST_MAX = 25


_INDEX = re.compile(r"\[\d+\]")


_LIST_ITEM = re.compile(r"^(.*/(?:ul|ol)(?:\[\d+\])?)/li(?:\[(\d+)\])?(?:/|$)")


@functools.lru_cache(maxsize=1 << 14)
def xpath_steps(xpath: str) -> tuple[str, ...]:
    """The lower-cased tags of an XPath, without positions (cached: the template rules, the
    titles and the page budget read the same nodes)."""
    return tuple(_INDEX.sub("", xpath).strip("/").lower().split("/"))


def is_boilerplate(node: Node) -> bool:
    """Single-page rule: a cookie/newsletter box, or header/footer/aside outside main/article.

    A page's h1 is never boilerplate: some stores put the product title in a <header>.
    """
    if node["tag"] == "h1":
        return False
    for step in xpath_steps(node["xpath"]):
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
        for depth, step in enumerate(xpath_steps(node["xpath"])):
            if step in CONTENT_TAGS:
                break
            if step == "nav":
                raw = node["xpath"].strip("/").split("/")
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
    from extractor.values.normalize.availability import has_availability_phrase
    from extractor.values.normalize.currencies import find_currencies

    text = text.strip()
    if len(text) >= 40:
        return False
    whole_currency = [(0, len(text))] == [(start, end) for start, end, _ in find_currencies(text)]
    return whole_currency or has_availability_phrase(text)


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
