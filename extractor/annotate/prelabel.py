"""Pre-labels: what the current model reads on each page, with its confidence, as marks.

The model is the store's adapted one once there is one, else the shipped (or `--model`) one;
its values (`Extractor.extract_values`, the path of `shopwright extract`) become spans and
images through the value matcher, so that the annotator shows them where the page shows them.
Pages are read a few at a time (template pruning looks across them and a sample of the store);
one lock keeps the model to one thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from extractor.page.dom import PageError, parse_html
from extractor.values.matching import match_values

logger = logging.getLogger(__name__)

#: `{attribute: {value, confidence, spans, images}}` of one page.
PageLabels = dict[str, dict[str, Any]]


class ValueReader(Protocol):
    """What reads values off pages: `Extractor` or an `AdaptedExtractor`."""

    def extract_values(self, pages: Sequence[Any]) -> list[tuple[dict[str, Any], dict[str, float]]]:
        """Values and confidences per page."""
        ...


class Prelabeler:
    """Pre-labels of a store's pages by one model, computed on demand and cached."""

    def __init__(
        self,
        row: Callable[[int], Mapping[str, Any]],
        pages: int,
        load: Callable[[], ValueReader],
        chunk: int = 8,
    ) -> None:
        self._row = row
        self._pages = pages
        self._load = load
        self._reader: ValueReader | None = None
        self.chunk = chunk
        self.model_name = ""
        self._lock = threading.Lock()
        self._cache: dict[int, PageLabels] = {}

    def use(self, reader: ValueReader | None, name: str = "") -> None:
        """Pre-label with another model from now on (None: load again); forget what the old
        one read."""
        with self._lock:
            self._reader, self.model_name = reader, name
            self._cache.clear()

    def labels(self, index: int) -> PageLabels:
        """The page's pre-labels (reading it and a few pages after it when not done yet)."""
        with self._lock:
            if index not in self._cache:
                more = [i for i in range(index + 1, self._pages) if i not in self._cache]
                self._read([index, *more[: self.chunk - 1]])
            return self._cache[index]

    def done(self) -> dict[int, PageLabels]:
        """The pre-labels read so far, by page index."""
        with self._lock:
            return dict(self._cache)

    def warm(self, order: Iterable[int], stop: threading.Event) -> None:
        """Read pages in `order` until all are done or `stop` is set (a background thread)."""
        todo = list(order)
        while todo and not stop.is_set():
            with self._lock:
                batch = [i for i in todo if i not in self._cache][: self.chunk]
                if batch:
                    self._read(batch)
            todo = [i for i in todo if i not in batch]

    def mean_confidence(self, index: int) -> float | None:
        """How sure the model is of a page: its values' mean confidence (None: not read yet)."""
        labels = self._cache.get(index)
        if labels is None:
            return None
        shown = [float(v["confidence"]) for v in labels.values() if v["spans"] or v["images"]]
        return sum(shown) / len(shown) if shown else 0.0

    def _read(self, indexes: list[int]) -> None:
        if self._reader is None:
            self._reader = self._load()
        rows = [self._row(i) for i in indexes]
        try:
            found = self._reader.extract_values(rows)
        except (ValueError, RuntimeError) as exc:  # a page the model cannot read: no labels
            logger.warning("pre-labels of %d pages failed: %s", len(rows), exc)
            found = [({}, {}) for _ in rows]
        for index, row, (values, confidence) in zip(indexes, rows, found, strict=True):
            self._cache[index] = page_labels(row, values, confidence)


def page_labels(
    row: Mapping[str, Any], values: Mapping[str, Any], confidence: Mapping[str, float]
) -> PageLabels:
    """`{attribute: {value, confidence, spans, images}}`: the values and where the page shows
    them (no spans or images when the matcher does not find a value on the page)."""
    try:
        root = parse_html(row["html"]) if row.get("html") else None
    except PageError:
        root = None
    shown = {k: v for k, v in values.items() if v not in (None, "", [])}
    match = match_values(list(row.get("nodes") or []), shown, str(row.get("url") or ""), root=root)
    return {
        name: {
            "value": value,
            "confidence": round(float(confidence.get(name, 0.0)), 3),
            "spans": list(match.spans.get(name, [])),
            "images": list(match.images.get(name, [])),
        }
        for name, value in shown.items()
    }
