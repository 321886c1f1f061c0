"""The page's own title signals and the product name they confirm.

Most product pages repeat the product's name in their `<title>` and `og:title`/`twitter:title`:
`Eye Webbing Key Ring - Black - Accessories - Northwear DE`. Split on the usual separators and
without the segments that are the site's name (the domain, `og:site_name`, segments that the
titles of the store's other pages share), the remaining segments are informative. A shown text
node that equals a run of them (the first segment, or any run inside an `h1`) is a
title-confirmed name.

`choose_name` uses them on a name already chosen: a missing name, an unshown markup name, or a
model span that shares no word with an informative title (a navigation link) or is a fragment
of the title-confirmed node loses to that node; any name that only adds the site's or brand's
name or a price to it (`K&L Rollkragenpullover 29,99`) becomes the node's text. A page whose
titles say nothing (the site's name only, a `<title>` without separators) keeps its name.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from extractor.page.dom import Node
from extractor.values.normalize.currencies import find_currencies
from extractor.values.normalize.text import normalize_text

if TYPE_CHECKING:
    import lxml.html

#: Where the name to confirm comes from.
Source = Literal["model", "shown markup", "unshown markup"]
#: ` - `, ` – `, ` — `, ` · ` between words; `|` and `::` anywhere.
SEPARATOR = re.compile(r"\s+[-\u2013\u2014\u00b7]\s+|\s*(?:\||::)\s*")
_WORD = re.compile(r"[^\W_]+")
_CENTS_AMOUNT = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,'\u00a0 ]?\d{3})*[.,]\d{2}(?![\w.,])")
_ANY_AMOUNT = re.compile(r"(?<![\w.,])\d[\d.,'\u00a0 ]*(?<=\d)(?:[.,]-)?(?![\w])")
_TITLE_META = ("og:title", "twitter:title")
_SITE_META = ("og:site_name", "application-name", "apple-mobile-web-app-title")
#: Host labels that are not the site's name (`www.shop.co.uk` -> `shop`).
_HOST_NOISE = frozenset({"www", "m", "en", "de", "shop", "store", "co", "com", "net", "org"})


def fold(text: str) -> str:
    """Comparison form: NFKC, accents removed, case-folded, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", normalize_text(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The folded words (letters and digits) of a text."""
    return _WORD.findall(fold(text))


def split_title(title: str) -> list[str]:
    """The segments of a title, in order, without empty ones."""
    return [s for s in (normalize_text(p) for p in SEPARATOR.split(title)) if s]


def page_titles(root: lxml.html.HtmlElement) -> tuple[str | None, list[str]]:
    """The page's `<title>` and its `og:title`/`twitter:title` values (distinct, in order)."""
    found = root.xpath("//head//title")
    element = found[0] if found else root.find(".//title")
    title = normalize_text(element.text_content()) if element is not None else ""
    metas = []
    for key in _TITLE_META:
        for content in root.xpath(f"//meta[@property='{key}' or @name='{key}']/@content")[:1]:
            if normalize_text(content) and normalize_text(content) not in metas:
                metas.append(normalize_text(content))
    return title or None, metas


def site_keys(root: lxml.html.HtmlElement, url: str) -> set[str]:
    """The site's name as letters and digits only: the domain's label and the site-name metas."""
    keys = set()
    for key in _SITE_META:
        for content in root.xpath(f"//meta[@property='{key}' or @name='{key}']/@content")[:1]:
            if joined := "".join(words(content)):
                keys.add(joined)
    host = (urlsplit(url).hostname or "").casefold()
    labels = [part for part in host.split(".")[:-1] if part not in _HOST_NOISE]
    if labels and not host.replace(".", "").isdigit():
        keys.update("".join(_WORD.findall(label)) for label in labels[-1:])
    return keys - {""}


def is_site_segment(segment: str, keys: Iterable[str], shared: Iterable[str] = ()) -> bool:
    """Whether a title segment is the site's name: one the store's titles share, or half of its
    words or more spell a site key (`Northwear DE`, `from Lumière`, `& Other Tales`)."""
    if fold(segment) in set(shared):
        return True
    found = words(segment)
    keys = set(keys)
    covered: set[int] = set()
    for i in range(len(found)):
        for j in range(i + 1, len(found) + 1):
            if "".join(found[i:j]) in keys:
                covered.update(range(i, j))
    return bool(found) and 2 * len(covered) >= len(found)


def title_segments(root: lxml.html.HtmlElement) -> list[str]:
    """Every segment of the page's titles, folded (to find those a store's pages share)."""
    title, metas = page_titles(root)
    return [fold(s) for text in [title or "", *metas] for s in split_title(text)]


def shared_segments(pages: Sequence[Sequence[str]], min_pages: int = 3) -> frozenset[str]:
    """Folded title segments that at least `min_pages` pages, and half of them, share: the
    store's name or a generic title part, not a product's."""
    counts = Counter(s for segments in pages for s in set(segments))
    with_titles = sum(1 for segments in pages if segments)
    return frozenset(s for s, n in counts.items() if n >= min_pages and 2 * n >= with_titles)


@dataclass(frozen=True)
class TitleSignals:
    """The informative parts of a page's titles."""

    #: phrases (`phrase_key` of runs of adjacent informative segments) -> whether the run starts
    #: with the title's first informative segment
    phrases: Mapping[str, bool]
    words: frozenset[str]  #: their words (of three letters or more, or with a digit)
    keys: frozenset[str]  #: the site's name, letters and digits only

    def agrees(self, value: str) -> bool:
        """Whether a value shares a word with the informative title."""
        return bool(_content_words(value) & self.words)


def _content_words(text: str) -> set[str]:
    return {w for w in words(text) if len(w) > 2 or any(c.isdigit() for c in w)}


def title_signals(
    root: lxml.html.HtmlElement, url: str = "", shared: Iterable[str] = ()
) -> TitleSignals | None:
    """The informative title segments of a page, None when its titles say nothing (no title, a
    `<title>` without separators, only the site's name)."""
    keys = site_keys(root, url)
    shared = set(shared)
    title, metas = page_titles(root)
    sources = [split_title(t) for t in metas]
    if title and len(split_title(title)) > 1:
        sources.insert(0, split_title(title))
    phrases: dict[str, bool] = {}
    for segments in sources:
        informative = [not is_site_segment(s, keys, shared) for s in segments]
        first = informative.index(True) if any(informative) else -1
        for i in range(len(segments)):
            for j in range(i + 1, len(segments) + 1):
                if not informative[j - 1]:
                    break
                if key := phrase_key(" ".join(segments[i:j])):
                    phrases[key] = phrases.get(key, False) or i == first
    if not phrases:
        return None
    content = {w for p in phrases for w in _content_words(p)} - keys
    return TitleSignals(phrases, frozenset(content), frozenset(keys))


def phrase_key(text: str) -> str:
    """A text's words joined by spaces (separators and punctuation do not count)."""
    return " ".join(words(text))


def confirmed_name(
    nodes: Sequence[Node], signals: TitleSignals, brand: str | None = None
) -> str | None:
    """The text of the shown node that best confirms the title: an `h1` equal to a phrase, else
    a node equal to a phrase that starts with the first informative segment (a phrase that is
    only the brand confirms nothing); then the longer phrase, then the earlier node first."""
    phrases = dict(signals.phrases)
    phrases.pop(phrase_key(brand or ""), None)
    best: tuple[tuple[bool, bool, int, int], str] | None = None
    for index, node in enumerate(nodes):
        text = normalize_text(node["text"])
        first = phrases.get(phrase_key(text))
        if first is None:
            continue
        heading = node["tag"] == "h1" or "/h1" in node["xpath"]
        if not (first or heading):
            continue
        rank = (not heading, not first, -len(text), index)
        if best is None or rank < best[0]:
            best = (rank, text)
    return best[1] if best else None


def only_extras(value: str, name: str, extras: Iterable[str]) -> bool:
    """Whether `value` is `name` plus only a price (an amount with cents, or one next to a
    currency), or one of the `extras` (the site's or the brand's name, letters and digits
    only): `K&L Rollkragenpullover 29,99`."""
    text = normalize_text(value)
    found = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
    core = words(name)
    tokens = [w for _, _, w in found]
    at = next(
        (i for i in range(len(found) - len(core) + 1) if tokens[i : i + len(core)] == core), None
    )
    if not core or at is None or len(found) == len(core):
        return False
    rest = f"{text[: found[at][0]]} {text[found[at + len(core) - 1][1] :]}"
    currencies = find_currencies(rest)
    for start, end, _ in reversed(currencies):
        rest = f"{rest[:start]} {rest[end:]}"
    rest = (_ANY_AMOUNT if currencies else _CENTS_AMOUNT).sub(" ", rest)
    return not words(rest) or "".join(words(rest)) in set(extras)


def _fragment(value: str, whole: str) -> bool:
    """Whether `value`'s words are a proper run of `whole`'s words (`Eye Webbing` of
    `Eye Webbing Key Ring`)."""
    part, found = words(value), words(whole)
    return 0 < len(part) < len(found) and any(
        found[i : i + len(part)] == part for i in range(len(found) - len(part) + 1)
    )


def choose_name(
    current: str | None,
    source: Source,
    signals: TitleSignals,
    nodes: Sequence[Node],
    brand: str | None = None,
) -> str | None:
    """The title-confirmed name that should replace `current` (from the model, or a markup value
    the page shows or not), None to keep it: a missing name, an unshown markup name, a model
    span that shares no word with the title or is a fragment of the confirmed node, and any name
    that only adds the site's or brand's name or a price to it. A shown markup name is only ever
    trimmed."""
    confirmed = confirmed_name(nodes, signals, brand)
    if confirmed is None or (current is not None and fold(current) == fold(confirmed)):
        return None
    if current is None or source == "unshown markup":
        return confirmed
    if source == "model" and (not signals.agrees(current) or _fragment(current, confirmed)):
        return confirmed
    extras = set(signals.keys) | ({"".join(words(brand))} if brand else set())
    return confirmed if only_extras(current, confirmed, extras) else None
