"""Evaluation scoring: per-attribute precision, recall and F1 under DESIGN.md's rules."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from extractor.normalize import (
    currency_codes,
    identifier_key,
    normalize_availability,
    normalize_url,
    parse_number,
    parse_price,
    text_key,
)
from extractor.schema import NOT_PAGE_ATTRIBUTES, AttributeType, attribute_type

Value = str | list[str] | None


@dataclass(frozen=True)
class ScoredPage:
    """One page to score: gold and predicted values, and the gold attributes the page never shows.

    `partial` marks pages whose gold labels cover only some attributes (real pages): there, a
    prediction for an attribute without a gold value is left out instead of counted as wrong.
    """

    gold: Mapping[str, Any]
    predicted: Mapping[str, Any]
    not_shown: Collection[str] = frozenset()
    page_url: str | None = None
    partial: bool = False


@dataclass
class AttributeScore:
    """Counts and rates for one attribute over all pages."""

    tp: int = 0
    predicted: int = 0
    gold: int = 0
    not_shown: int = 0

    @property
    def precision(self) -> float:
        """Correct / predicted (0 when nothing was predicted)."""
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        """Correct / gold (0 when there is no gold value)."""
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int]:
        """JSON-ready counts and rates."""
        return {
            "tp": self.tp,
            "predicted": self.predicted,
            "gold": self.gold,
            "not_shown": self.not_shown,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class Report:
    """Scores per attribute, macro F1 over attributes with gold values, and not-shown counts."""

    attributes: dict[str, AttributeScore] = field(default_factory=dict)
    pages: int = 0

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the attributes that have at least one scored gold value."""
        scored = [s.f1 for s in self.attributes.values() if s.gold]
        return sum(scored) / len(scored) if scored else 0.0

    @property
    def not_shown(self) -> dict[str, int]:
        """Per attribute, the gold values left out because the page does not show them."""
        return {name: s.not_shown for name, s in self.attributes.items() if s.not_shown}

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-serialisable object."""
        return {
            "pages": self.pages,
            "macro_f1": round(self.macro_f1, 4),
            "attributes": {name: s.to_dict() for name, s in sorted(self.attributes.items())},
            "not_shown": self.not_shown,
        }


def _single(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def values_equal(
    attribute: str,
    predicted: Any,
    gold: Any,
    *,
    page_url: str | None = None,
    kind: AttributeType | None = None,
) -> bool:
    """Whether a prediction equals the gold value after normalising both by the attribute's type."""
    kind = kind or attribute_type(attribute)
    if kind == "list":
        pred_items = predicted if isinstance(predicted, list | tuple) else [predicted]
        gold_items = gold if isinstance(gold, list | tuple) else [gold]
        pred_set = {text_key(str(v)) for v in pred_items if v is not None} - {""}
        gold_set = {text_key(str(v)) for v in gold_items if v is not None} - {""}
        return bool(gold_set) and pred_set == gold_set
    predicted, gold = _single(predicted), _single(gold)
    if predicted is None or gold is None:
        return False
    if kind == "price":
        p, g = parse_price(_plain(predicted)), parse_price(_plain(gold))
        return p is not None and p == g
    if kind == "number":
        p, g = parse_number(_plain(predicted)), parse_number(_plain(gold))
        return p is not None and p == g
    if kind == "url":
        p_url, g_url = normalize_url(str(predicted), page_url), normalize_url(str(gold), page_url)
        return p_url is not None and p_url == g_url
    if kind == "identifier":
        p_id = identifier_key(str(predicted))
        return bool(p_id) and p_id == identifier_key(str(gold))
    if kind == "token" and attribute == "currency":
        # A symbol matches any code it can stand for ("$" is right for USD and for CAD).
        return bool(set(currency_codes(str(predicted))) & set(currency_codes(str(gold))))
    if kind == "token" and attribute == "availability":
        p_token = normalize_availability(str(predicted))
        return p_token is not None and p_token == normalize_availability(str(gold))
    p_text = text_key(str(predicted))
    return bool(p_text) and p_text == text_key(str(gold))


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float) else str(value)


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, list | tuple):
        return any(_present(v) for v in value)
    return bool(str(value).strip())


def score_pages(
    pages: Iterable[ScoredPage],
    *,
    attributes: Collection[str] | None = None,
    types: Mapping[str, AttributeType] | None = None,
) -> Report:
    """Score predictions against gold values, page by page and attribute by attribute.

    `attributes` limits scoring to a schema (default: every attribute seen); `types` declares
    custom attributes' types. `catalog_name` is never scored (it is not the page's own name).
    """
    report = Report()
    types = types or {}
    for page in pages:
        report.pages += 1
        names = set(page.gold) | set(page.predicted)
        if attributes is not None:
            names &= set(attributes)
        for name in sorted(names - NOT_PAGE_ATTRIBUTES):
            score = report.attributes.setdefault(name, AttributeScore())
            gold = page.gold.get(name)
            predicted = page.predicted.get(name)
            has_gold, has_pred = _present(gold), _present(predicted)
            if has_gold and name in page.not_shown:
                score.not_shown += 1
                continue
            if not has_gold and page.partial:
                continue
            score.gold += has_gold
            score.predicted += has_pred
            if has_gold and has_pred:
                kind = types.get(name) or attribute_type(name)
                score.tp += values_equal(name, predicted, gold, page_url=page.page_url, kind=kind)
    return report
