"""Text: the display form (NFKC, entities, whitespace) and the comparison key of DESIGN.md."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Sequence

_WS = re.compile(r"\s+")


_NOT_ALNUM = re.compile(r"[\W_]+")


_ALNUM = re.compile(r"[^\W_]")


def has_letter_or_digit(text: str) -> bool:
    """Whether a text holds a letter or digit (a `»` between links does not)."""
    return _ALNUM.search(text) is not None


@functools.lru_cache(maxsize=1 << 14)
def normalize_text(value: str) -> str:
    """Unicode NFKC, HTML entities decoded, whitespace collapsed: the display form of a text
    (cached: a store's texts come back on every page)."""
    if "&" in value:
        value = html.unescape(value)
    return _WS.sub(" ", unicodedata.normalize("NFKC", value)).strip()


def _is_punct(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def strip_punctuation(value: str) -> str:
    """Remove punctuation and whitespace around a text (inner punctuation stays)."""
    start, end = 0, len(value)
    while start < end and (value[start].isspace() or _is_punct(value[start])):
        start += 1
    while end > start and (value[end - 1].isspace() or _is_punct(value[end - 1])):
        end -= 1
    return value[start:end]


#: Punctuation that closes up to the text before it (`butter, softened`, `(melted)`).
_CLOSES_UP = tuple(",;:.!?)]}%")
#: Punctuation that the text after it closes up to.
_OPENS_UP = tuple("([{")


_BRACKETS = (("(", ")"), ("[", "]"), ("{", "}"))


def balance_brackets(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span of `text` over the bracket that closes one it opens, or opens one it closes,
    where that bracket stands right beside it: `(GB2470HSU-W5` reads on to its `)`."""
    for opening, closing in _BRACKETS:
        inside = text[start:end]
        if inside.count(opening) > inside.count(closing) and text[end : end + 1] == closing:
            end += 1
        elif inside.count(closing) > inside.count(opening) and text[start - 1 : start] == opening:
            start -= 1
    return start, end


def join_texts(texts: Sequence[str]) -> str:
    """The texts of several nodes as one value, spaced as a reader writes them: a space between
    two texts, but none before closing punctuation or after an opening bracket (`2 Tortillas`
    `, wheat` -> `2 Tortillas, wheat`; `(` `melted)` -> `(melted)`)."""
    joined = ""
    for text in (t.strip() for t in texts):
        if not text:
            continue
        if joined and not text.startswith(_CLOSES_UP) and not joined.endswith(_OPENS_UP):
            joined += " "
        joined += text
    return joined


def text_key(value: str) -> str:
    """Comparison form of a text: NFKC, case-folded, whitespace collapsed, no outer punctuation."""
    return strip_punctuation(normalize_text(value).casefold())
