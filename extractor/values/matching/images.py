"""Image values: the `<img>`/`<source>` elements (and links to image files) that show a URL."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

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


def url_parts(url: str) -> tuple[str, str, set[str]]:
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
    bare, path, distinctive = url_parts(url)
    scored = []
    for order, candidate in enumerate(candidates):
        c_bare, c_path, c_tokens = url_parts(candidate["url"])
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
