"""One page to extract: its URL, text nodes, HTML and language, from the forms pages come in
(page-dataset rows, `(url, html)` or `(url, nodes)` pairs).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import lxml.html

from extractor.page.dom import Node, PageError, parse_html

logger = logging.getLogger(__name__)


PageLike = Mapping[str, Any] | tuple[str, Any]


@dataclass
class PageInput:
    """One page to extract: its URL and text nodes, and its HTML when known (structured data)."""

    url: str
    nodes: list[Node]
    html: str | bytes | None = None
    lang: str | None = None
    root: lxml.html.HtmlElement | None = field(default=None, repr=False)

    def parsed_root(self) -> lxml.html.HtmlElement | None:
        """The lxml root of the HTML (parsed once), None without HTML."""
        if self.root is None and self.html:
            try:
                self.root = parse_html(self.html)
            except PageError as exc:
                logger.info("%s: no structured data: %s", self.url, exc)
        return self.root


def as_page(item: PageLike | PageInput) -> PageInput:
    """A PageInput from a page-dataset row (`url, html, nodes, lang`), or a `(url, html)` or
    `(url, nodes)` pair."""
    if isinstance(item, PageInput):
        return item
    if isinstance(item, tuple):
        url, content = item
        if isinstance(content, str | bytes):
            return _from_html(str(url), content, None)
        return PageInput(str(url), list(content))
    url = str(item.get("url") or "")
    nodes = item.get("nodes")
    if nodes is None:
        return _from_html(url, item.get("html") or "", item.get("lang"))
    return PageInput(url, list(nodes), item.get("html"), item.get("lang") or None)


def _from_html(url: str, html: str | bytes, lang: str | None) -> PageInput:
    from extractor.page.dom import iter_text_nodes

    try:
        root = parse_html(html)
    except PageError as exc:
        logger.warning("%s: no text nodes: %s", url, exc)
        return PageInput(url, [], html, lang)
    if lang is None:
        from extractor.page.signals import page_language

        lang = page_language(root) or None
    return PageInput(url, list(iter_text_nodes(root)), html, lang, root)
