"""The product's own image on a page without markup: the `<img>` whose alt or title text names
the product (a shopper's reading: the picture captioned with the product's name)."""

from __future__ import annotations

import re

import lxml.html

from extractor.page.titles import words
from extractor.values.normalize.urls import normalize_url

#: Image URLs that are page furniture, never the product's picture.
_FURNITURE = re.compile(
    r"logo|icon|flag|sprite|placeholder|banner|payment|badge|\.svg|pixel|spacer|avatar|thumb",
    re.I,
)
#: `<img>` attributes that hold the picture's URL, the lazy-loaded ones first.
_SOURCES = ("data-src", "data-original", "data-lazy-src", "data-zoom-image", "src")
#: The least share of the name's words that the alt text must repeat.
MIN_NAME_SHARE = 0.5


def main_image(root: lxml.html.HtmlElement | None, name: str, page_url: str | None) -> str | None:
    """The URL of the first `<img>` whose alt/title text holds the most of the product name's
    words (at least `MIN_NAME_SHARE` of them), without logos, icons and thumbnails; None if no
    image is captioned with the name."""
    wanted = set(words(name))
    if root is None or not wanted:
        return None
    best: tuple[float, str] | None = None
    for element in root.iter("img"):
        caption = " ".join(filter(None, (element.get("alt"), element.get("title"))))
        share = len(wanted & set(words(caption))) / len(wanted) if caption else 0.0
        if share < MIN_NAME_SHARE or (best is not None and share <= best[0]):
            continue
        for attribute in _SOURCES:
            url = normalize_url(element.get(attribute) or "", page_url)
            if url and not url.startswith("data:") and not _FURNITURE.search(url):
                best = (share, url)
                break
    return best[1] if best else None
