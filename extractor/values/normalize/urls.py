"""URLs: absolute http(s) URLs resolved against the page."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin


def normalize_url(value: str | None, base_url: str | None = None) -> str | None:
    """An absolute http(s) URL resolved against the page URL, else None (`data:`, `javascript:`)."""
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
