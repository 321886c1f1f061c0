"""Evaluation scoring: per-attribute precision, recall and F1 under DESIGN.md's rules."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from extractor.values.equality import values_equal
from extractor.values.schema import NOT_PAGE_ATTRIBUTES, AttributeType, attribute_type

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
