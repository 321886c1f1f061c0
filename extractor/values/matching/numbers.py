"""Prices in any local format, currencies near the price, and other numbers (ratings, counts)."""

from __future__ import annotations

import re
from decimal import Decimal

from extractor.page.hints import PRICE_HINT
from extractor.values.matching.page import (
    Hit,
    PageIndex,
)
from extractor.values.matching.result import Span
from extractor.values.normalize.currencies import currency_codes
from extractor.values.normalize.prices import parse_number, parse_price

#: A number as shops write it: thousands groups, a decimal part, or a ",-" for no cents.
_NUMBER = re.compile(r"\d+(?:[ \u00a0\u202f'’.,]\d{3}(?!\d))*(?:[.,]\d+)?(?:[.,]\s?[-–—])?")


RATING_WORDS = re.compile(
    r"rating|review|star|bewert|sterne|rezens|kundenmeinung|avis|étoile|valora|reseña|opinion"
    r"|recensio|beoordel|評価|レビュー|评价|评分|评论|리뷰|평점|/ ?5\b",
    re.I,
)


def _numbers(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _NUMBER.finditer(text)]


def match_price(page: PageIndex, value: str, *, regular: bool = False) -> list[Hit]:
    """Nodes whose number equals the price, in any local format or split over two nodes."""
    amount = parse_price(value)
    if amount is None:
        return []
    whole = str(int(amount))
    cents = amount - int(amount)
    hits = []
    for i in page.containing([whole], "alnum"):
        node = page.nodes[i]
        text = node["text"]
        if len(text) > 120:
            continue
        for start, end, raw in _numbers(text):
            found = parse_price(raw)
            spans = [Span(xpath=node["xpath"], start=start, end=end, text=raw)]
            if found == amount and not cents and re.fullmatch(r"[.,]\s*", text[end:]):
                # "1.299," + "<sup>00</sup>": mark the zero cents too
                zero = _cents_node(page, i, cents)
                spans += [zero] if zero else []
            elif found != amount:
                # "192," + "32" or "192" + "<sup>32</sup>": the cents stand in the next node.
                if found is None or found != int(amount) or not cents:
                    continue
                nxt = _cents_node(page, i, cents)
                if nxt is None:
                    continue
                spans.append(nxt)
                raw += ",00"  # the cents count as written decimals
            score = _price_score(page, i, raw, regular)
            if score is not None:
                hits.append(Hit(score, spans, i))
    return sorted(hits, key=lambda h: (-h.score, h.index))


def _cents_node(page: PageIndex, i: int, cents: Decimal) -> Span | None:
    want = f"{int(cents * 100):02d}"
    for j in range(i + 1, min(i + 3, len(page.nodes))):
        text = page.nodes[j]["text"]
        match = re.fullmatch(r"[.,]?\s*(\d{2})\s*(?:\S{0,4})", text)
        if match and match.group(1) == want:
            return Span(
                xpath=page.nodes[j]["xpath"], start=match.start(1), end=match.end(1), text=want
            )
        if re.search(r"\d", text):
            return None
    return None


def _has_currency(page: PageIndex, i: int) -> bool:
    currencies = page.currencies()
    return any(j in currencies for j in range(i - 2, i + 3))


def _price_score(page: PageIndex, i: int, raw: str, regular: bool) -> float | None:
    """How price-like a number in node i is; None when nothing says it is a price."""
    currency = _has_currency(page, i)
    hinted = bool(PRICE_HINT.search(page.hints(i)))
    decimals = bool(re.search(r"[.,]\d{2}$|[.,][-–—]$", raw))
    near_name = page.anchor is not None and abs(i - page.anchor) <= 10
    if not (currency or hinted or (decimals and near_name)):
        return None  # a bare number far from the product is no evidence of a price
    struck = page.struck(i)
    score = 1.0 + 0.4 * currency + 0.3 * hinted + 0.1 * decimals
    score += (0.4 if struck else -0.2) if regular else (-0.6 if struck else 0.0)
    score -= 0.3 * page.chrome(i) + 0.6 * page.distance(i, page.anchor)
    # A product's price follows its title in the document; prices before it are other products'.
    score -= 0.5 * (page.anchor is not None and i < page.anchor)
    score -= 0.2 * (len(page.nodes[i]["text"]) > 40)
    return score


def match_currency(page: PageIndex, value: str) -> list[Hit]:
    """A symbol or code that can stand for the currency, in or next to the price."""
    codes = set(currency_codes(value))
    if not codes:
        return []
    hits = []
    anchor = page.price_anchor
    for i, shown in page.currencies().items():
        for start, end, found in shown:
            if not codes & set(found):
                continue
            if anchor is not None:
                gap = abs(i - anchor)
                score = 2.0 - gap / 3 if gap <= 3 else 0.5 - page.distance(i, anchor)
            elif page.anchor is not None and not 0 <= i - page.anchor <= 50:
                continue  # no price found: only a currency just after the name says anything
            else:
                score = 0.5 - page.distance(i, page.anchor)
            around = range(max(0, i - 2), min(len(page.nodes), i + 3))
            if not any(re.search(r"\d", page.nodes[j]["text"]) for j in around):
                continue  # a currency is shown with an amount
            score += 0.2 * (len(found) == 1)
            hits.append(Hit(score, [page.source_span(i, start, end)], i))
    return sorted(hits, key=lambda h: (-h.score, h.index))


def match_number(page: PageIndex, value: str, words: re.Pattern[str] | None) -> list[Hit]:
    """Numbers equal to the value, near words that say what they count (ratings, reviews)."""
    target = parse_number(value)
    if target is None:
        return []
    hits = []
    for i, node in enumerate(page.nodes):
        text = node["text"]
        if len(text) > 80 or not re.search(r"\d", text):
            continue
        for start, end, raw in _numbers(text):
            found = parse_number(raw) if "," not in raw else parse_price(raw, decimal_separator=",")
            if found is None or found != target:
                found = parse_price(raw)
            if found != target:
                continue
            here = bool(words and (words.search(text) or words.search(page.hints(i))))
            close = bool(words and page.near(i, words, before=3, after=2))
            if words and not (here or close):
                continue
            score = 1.0 + 0.5 * here + 0.2 * close - 0.3 * page.distance(i, page.anchor)
            hits.append(Hit(score, [Span(xpath=node["xpath"], start=start, end=end, text=raw)], i))
    return sorted(hits, key=lambda h: (-h.score, h.index))
