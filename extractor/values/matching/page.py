"""The page as the matcher reads it: folded texts, words, currencies and position flags per node."""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from extractor.page.dom import Node
from extractor.page.hints import OLD_PRICE_HINT, node_hints
from extractor.values.labels import RowValue, labelled_rows
from extractor.values.matching.result import Span
from extractor.values.normalize.currencies import find_currencies

_TOKEN = re.compile(r"\w+")


_CHROME = re.compile(r"/(?:nav|footer|aside)\b|/header\b(?!.*?/main)")


_STRUCK = re.compile(r"/(?:del|s|strike)(?:\[\d+\])?(?:/|$)")


MAX_SCAN = 400  # nodes longer than this are running text, scanned only for descriptions


@functools.lru_cache(maxsize=1 << 14)
def _fold_with_map(text: str) -> tuple[str, list[int] | None]:
    """NFKC + casefold, with a map from folded to source offsets when the lengths differ (cached:
    every value matched on a page folds its nodes again; the map is read, never changed)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if len(folded) == len(text):
        return folded, None
    chars: list[str] = []
    positions: list[int] = []
    for i, char in enumerate(text):
        part = unicodedata.normalize("NFKC", char).casefold()
        chars.append(part)
        positions.extend([i] * len(part))
    return "".join(chars), positions


class PageIndex:
    """Nodes with lazily computed folded texts, tokens and position flags."""

    def __init__(self, nodes: Sequence[Node], page_url: str | None) -> None:
        self.nodes = nodes
        self.page_url = page_url
        self._folded: list[tuple[str, list[int] | None] | None] = [None] * len(nodes)
        self._alnum: list[str | None] = [None] * len(nodes)
        self._joined: dict[str, tuple[str, list[int]]] = {}
        self._currencies: dict[int, list[tuple[int, int, tuple[str, ...]]]] | None = None
        self.h1 = [i for i, n in enumerate(nodes) if n["tag"] == "h1"]
        self.anchor: int | None = self.h1[0] if self.h1 else None
        self.price_anchor: int | None = None
        self._rows: dict[int, list[RowValue]] | None = None

    def folded(self, i: int) -> str:
        entry = self._folded[i]
        if entry is None:
            entry = self._folded[i] = _fold_with_map(self.nodes[i]["text"])
        return entry[0]

    def source_span(self, i: int, start: int, end: int) -> Span:
        """A span on node i from offsets into its folded text."""
        self.folded(i)
        entry = self._folded[i]
        assert entry is not None
        positions = entry[1]
        if positions is not None:
            start, end = positions[start], positions[end - 1] + 1
        text = self.nodes[i]["text"]
        return Span(xpath=self.nodes[i]["xpath"], start=start, end=end, text=text[start:end])

    def whole(self, i: int) -> Span:
        text = self.nodes[i]["text"]
        return Span(xpath=self.nodes[i]["xpath"], start=0, end=len(text), text=text)

    def alnum(self, i: int) -> str:
        value = self._alnum[i]
        if value is None:
            value = self._alnum[i] = re.sub(r"[\W_]+", "", self.folded(i))
        return value

    def joined(self, kind: str) -> tuple[str, list[int]]:
        """All node texts (`raw`, `folded` or `alnum`) joined by newlines, with start offsets."""
        if kind not in self._joined:
            get: Callable[[int], str] = {
                "raw": lambda i: self.nodes[i]["text"],
                "folded": self.folded,
                "alnum": self.alnum,
            }[kind]
            texts = [get(i) for i in range(len(self.nodes))]
            starts, position = [], 0
            for text in texts:
                starts.append(position)
                position += len(text) + 1
            self._joined[kind] = ("\n".join(texts), starts)
        return self._joined[kind]

    def containing(self, needles: Sequence[str], kind: str = "folded") -> list[int]:
        """Indices of the nodes whose text holds any of the needles (none spans a newline)."""
        text, starts = self.joined(kind)
        found: set[int] = set()
        for needle in needles:
            if not needle:
                continue
            at = text.find(needle)
            while at != -1:
                node = bisect_right(starts, at) - 1
                found.add(node)
                nxt = starts[node + 1] if node + 1 < len(starts) else len(text)
                at = text.find(needle, nxt)
        return sorted(found)

    def currencies(self) -> dict[int, list[tuple[int, int, tuple[str, ...]]]]:
        """Per node (of at most 120 characters), the currency symbols and codes it shows."""
        if self._currencies is None:
            text, starts = self.joined("raw")
            found: dict[int, list[tuple[int, int, tuple[str, ...]]]] = {}
            for start, end, codes in find_currencies(text):
                node = bisect_right(starts, start) - 1
                if len(self.nodes[node]["text"]) <= 120:
                    offset = starts[node]
                    found.setdefault(node, []).append((start - offset, end - offset, codes))
            self._currencies = found
        return self._currencies

    def rows(self, i: int) -> list[RowValue]:
        """The labelled rows whose value node i shows ("EAN" beside it, "SKU: 12" in it)."""
        if self._rows is None:
            self._rows = {}
            for row in labelled_rows(self.nodes):
                self._rows.setdefault(row.node, []).append(row)
        return self._rows.get(i, [])

    def row_label(self, i: int, start: int, end: int) -> str | None:
        """The attribute that a labelled row names for the text at `start:end` of node i."""
        for row in self.rows(i):
            if row.start < end and start < row.end:
                return row.attribute
        return None

    def hints(self, i: int) -> str:
        return node_hints(self.nodes[i])

    def chrome(self, i: int) -> bool:
        """Whether the node sits in navigation, a footer, an aside or the page header."""
        return bool(_CHROME.search(self.nodes[i]["xpath"])) or "breadcrumb" in self.hints(i).lower()

    def struck(self, i: int) -> bool:
        return bool(_STRUCK.search(self.nodes[i]["xpath"])) or bool(
            OLD_PRICE_HINT.search(self.hints(i))
        )

    def distance(self, i: int, anchor: int | None) -> float:
        """0 at the anchor, growing to 1 two hundred nodes away (nodes before it count double)."""
        if anchor is None:
            return min(i / 2000, 1.0)
        gap = i - anchor if i >= anchor else 2 * (anchor - i)
        return min(gap / 200, 1.0)

    def near(self, i: int, pattern: re.Pattern[str], before: int = 3, after: int = 1) -> bool:
        lo, hi = max(0, i - before), min(len(self.nodes), i + after + 1)
        return any(pattern.search(self.nodes[j]["text"]) for j in range(lo, hi) if j != i)


@dataclass
class Hit:
    score: float
    spans: list[Span]
    index: int


def word_tokens(folded: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded)]


def best_first(hits: list[Hit], bonus: Callable[[Hit], float]) -> list[Hit]:
    for hit in hits:
        hit.score += bonus(hit)
    return sorted(hits, key=lambda h: (-h.score, h.index))
