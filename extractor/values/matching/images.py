"""Image values: the `<img>`/`<source>` elements (and links to image files) that show a URL."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence

import lxml.html

from extractor.values.matching.result import ImageMatch
from extractor.values.normalize.urls import normalize_url

_IMAGE_ATTRS = (
    "src",
    "data-src",
    "data-original",
    "data-lazy-src",
    "data-zoom-image",
    "data-large_image",
    "data-image",
    "data-srcset",
    "data-lazy-srcset",
    "srcset",
    # the image a share button puts forward (a Pinterest pin button's `data-pin-media` on the
    # photo, a recipe card's pin link's `data-media`): the one the page names as its own
    "data-pin-media",
    "data-media",
)
_IMAGE_ATTR_SET = frozenset(_IMAGE_ATTRS)


_IMAGE_EXT = re.compile(r"\.(?:jpe?g|png|webp|gif|avif)(?:$|[?#])", re.I)
#: A rendition's size in its file name (`photo-300x200.jpg`, WordPress's resized copies).
_SIZE_IN_NAME = re.compile(r"-(\d{2,5})x\d{2,5}(?=\.[A-Za-z0-9]{3,4}(?:$|[?#]))")
#: A srcset entry's width descriptor (`1024w`).
_WIDTH = re.compile(r"^(\d{1,5})w$")


def _sources(element: lxml.html.HtmlElement) -> Iterator[tuple[str, str]]:
    """The image URLs an element's attributes name, as written, each with its srcset descriptor
    (`1024w`; empty outside a srcset)."""
    for name in _IMAGE_ATTRS:
        raw = element.get(name)
        if not raw:
            continue
        if "srcset" not in name:
            yield raw, ""
            continue
        for part in (p.strip() for p in raw.split(",")):
            if part:
                url, _, descriptor = part.partition(" ")
                yield url, descriptor.strip()


def image_candidates(root: lxml.html.HtmlElement, page_url: str | None = None) -> list[ImageMatch]:
    """Every image URL the page's `<img>`/`<source>` elements, links to image files and share
    buttons show."""
    tree = root.getroottree()
    found: list[ImageMatch] = []
    seen: set[tuple[str, str]] = set()
    for element in root.iter("img", "source", "a"):
        values = []
        if element.tag == "a":
            href = element.get("href") or ""
            if _IMAGE_EXT.search(href):
                values.append(href)
        if not _IMAGE_ATTR_SET.isdisjoint(element.keys()):
            values.extend(raw for raw, _ in _sources(element))
        if not values:
            continue
        xpath = tree.getpath(element)
        for raw in values:
            url = normalize_url(raw, page_url)
            if url and (xpath, url) not in seen:
                seen.add((xpath, url))
                found.append(ImageMatch(xpath=xpath, url=url))
    return found


def image_widths(element: lxml.html.HtmlElement, page_url: str | None = None) -> dict[str, float]:
    """The width each image URL of an element declares: its srcset descriptor (`1024w`), else
    the size in its file name (`-300x200.jpg`); a URL that its resized copies name without the
    size (`photo.jpg` beside `photo-300x200.jpg`) is the original, wider than all of them. URLs
    that declare nothing are left out."""
    widths: dict[str, float] = {}
    urls: list[str] = []
    for raw, descriptor in _sources(element):
        url = normalize_url(raw, page_url)
        if not url:
            continue
        urls.append(url)
        if found := _WIDTH.match(descriptor):
            widths[url] = max(widths.get(url, 0.0), float(found.group(1)))
    sized = {url: found for url in urls if (found := _SIZE_IN_NAME.search(url))}
    for url, found in sized.items():
        widths.setdefault(url, float(found.group(1)))
    originals = {_SIZE_IN_NAME.sub("", url) for url in sized}
    for url in urls:
        if url in originals and url not in sized:
            widths[url] = float("inf")
    return widths


def _url_parts(url: str) -> tuple[str, str, set[str]]:
    bare = re.sub(r"^https?:", "", url).split("#")[0]
    path = bare.split("?")[0]
    distinctive = {t for t in re.findall(r"[A-Za-z0-9_-]{8,}", bare.split("/", 3)[-1])}
    return bare, path, distinctive


def match_image(
    candidates: Sequence[ImageMatch], value: str, page_url: str | None = None
) -> list[ImageMatch]:
    """Image elements showing the URL: same URL, same path, or the same file id in it.

    `candidates`: every image of the page (`image_candidates`). An id token shared by most of
    the page's image URLs (`wp-content`, a CDN's cache hash) names no file: it never matches
    on its own, or a page whose image is not shown would match its logo.
    """
    url = normalize_url(value, page_url)
    if url is None:
        return []
    bare, path, distinctive = _url_parts(url)
    parts = [_url_parts(candidate["url"]) for candidate in candidates]
    distinctive -= _common_tokens([tokens for _, _, tokens in parts])
    scored = []
    for order, (candidate, (c_bare, c_path, c_tokens)) in enumerate(
        zip(candidates, parts, strict=True)
    ):
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


def _common_tokens(token_sets: Sequence[set[str]], min_urls: int = 4) -> set[str]:
    """Tokens found in more than half of the page's image URLs (when it has `min_urls` or more)."""
    if len(token_sets) < min_urls:
        return set()
    counts = Counter(t for tokens in token_sets for t in tokens)
    return {t for t, n in counts.items() if 2 * n > len(token_sets)}
