"""URLs: absolute http(s) URLs resolved against the page."""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import urljoin


@functools.lru_cache(maxsize=1 << 14)
def normalize_url(value: str | None, base_url: str | None = None) -> str | None:
    """An absolute http(s) URL resolved against the page URL, else None (`data:`, `javascript:`;
    cached: a page names its images in several attributes, a store's pages share theirs)."""
    if not value:
        return None
    url = value.strip()
    if "&" in url:
        url = html.unescape(url)
    if re.match(r"(?i)(javascript|data|mailto|about):", url):
        return None
    if base_url:
        url = urljoin(base_url, url)
    elif url.startswith("//"):
        url = "https:" + url
    if not re.match(r"(?i)https?://", url):
        return None
    return url
