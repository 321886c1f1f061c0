"""The page item: one fetched page, as the store spider yields it to the item pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageItem:
    """A fetched HTML page of a store (statically or through the browser)."""

    #: The page's final URL (after redirects); the dataset's key.
    url: str
    #: The store name: the page goes to `<SHOPWRIGHT_DATA_DIR>/<store>/pages/`.
    store: str = ""
    #: HTTP status of the response the page came from.
    status: int = 200
    #: The page's HTML, decoded (`extractor.page.dom.sniff_encoding` for a static page).
    html: str = field(default="", repr=False)
    #: The encoding `html` was decoded from (the stored page's bytes are recoverable with it);
    #: None for the DOM Chromium rendered.
    encoding: str | None = None
    #: True when the HTML is the DOM that Chromium rendered, False when fetched statically.
    rendered: bool = False
    #: The response's Content-Type header, if any.
    content_type: str | None = None
    #: When the page was fetched (UTC, ISO 8601).
    fetched_at: str | None = None
    #: Visible text nodes, set by `PageDatasetPipeline` so later pipelines need not parse again.
    nodes: list[dict[str, Any]] | None = field(default=None, repr=False)
    #: Whether the page looks like a product detail page, set by `PageDatasetPipeline`.
    is_product: bool | None = None
    #: The page's language subtag, set by `PageDatasetPipeline`.
    lang: str | None = None
