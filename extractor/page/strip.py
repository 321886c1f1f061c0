"""A page as a store without structured data would serve it: markup stripped, text kept.

`strip_markup` removes JSON-LD blocks, microdata and RDFa attributes, Open Graph / Twitter /
product meta tags and the `<meta>`/`<link>` elements that only carry microdata, so that every
extraction method can be measured on what a store without markup shows (`evaluate
--strip-markup`). The visible text and the DOM around it are unchanged.
"""

from __future__ import annotations

import re

import lxml.html

from extractor.page.dom import parse_html

#: Microdata and RDFa attributes: the structure of markup, not of the page.
MARKUP_ATTRIBUTES = (
    "itemprop", "itemscope", "itemtype", "itemid", "itemref",
    "property", "typeof", "vocab", "resource", "about", "prefix", "datatype",
)  # fmt: skip
#: `<meta>` names and properties that describe a product (Open Graph, Twitter cards, product
#: tags) rather than the document.
PRODUCT_META = re.compile(
    r"^(?:og|twitter|product|article|book|music|video|fb|al):|"
    r"price|currency|availability|brand|sku|gtin|ean|mpn|isbn|retailer|condition",
    re.I,
)
_JSON_SCRIPT = re.compile(r"json", re.I)


def strip_root(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """Remove the page's structured data in place (see the module docstring); returns `root`."""
    doomed = []
    for element in root.iter("script", "meta", "link"):
        if element.tag == "script":
            if _JSON_SCRIPT.search(element.get("type") or ""):
                doomed.append(element)
        elif element.get("itemprop") is not None:
            doomed.append(element)  # <meta itemprop=price content=...>, <link itemprop=...>
        elif element.tag == "meta":
            key = element.get("property") or element.get("name") or ""
            if PRODUCT_META.search(key):
                doomed.append(element)
    for element in doomed:
        element.drop_tree()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name in MARKUP_ATTRIBUTES:
            if name in element.attrib:
                del element.attrib[name]
    return root


def strip_markup(html: str | bytes) -> str:
    """The page's HTML without its structured data (text and layout unchanged)."""
    root = strip_root(parse_html(html))
    return lxml.html.tostring(root, encoding="unicode", method="html")
