"""Self-training on the store's own pages: the transductive step of adaptation.

A crawl holds many more of a store's pages than anyone annotates, and the store's template repeats
across them. After adapting to the k annotated pages, the adapted extractor reads a sample of the
store's other pages; on each, a value the pipeline reads surely (`SelfTraining.min_confidence`) or
that the store's wrapper rules read alike (agreement of two readers that err differently) becomes
a pseudo-annotation, placed on the page by the value matcher as an annotation from a values file
is (lists are left out: a list the pipeline reads short would teach the model to stop early). The
pages with most such values fill the support up to `SelfTraining.fill_to` pages, and the model
adapts again on the annotated and the pseudo-annotated pages together: more windows for the inner
loop and more pages for the support relations, where a pseudo-annotated page speaks only for the
values it marks (what it leaves unmarked may still be a value). The store's wrapper rules and the
support check stay those of the annotated pages.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from extractor.adapt.wrapper import Example, WrapperPage
from extractor.page.input import PageInput
from extractor.values.equality import values_equal
from extractor.values.matching import match_values
from extractor.values.schema import AttributeType

if TYPE_CHECKING:
    from extractor.extract import Extractor


#: The support size the evaluation's `meta-self-training` fills to (`adapt --self-train 5`).
SELF_TRAINING_PAGES = 5


@dataclass(frozen=True)
class SelfTraining:
    """How many of the store's pages join the support, and which of their values count."""

    fill_to: int = 0  #: pseudo-annotated pages fill the support up to this many (0: off)
    candidates: int = 12  #: the store's pages read to choose them from (the time budget)
    min_confidence: float = 0.9  #: a value surer than this counts without the rules' agreement
    min_share: float = 0.3  #: a page joins with at least this share of the support's attributes

    def wanted(self, annotated: int) -> int:
        """How many pseudo-annotated pages to add to `annotated` annotated ones."""
        return max(0, self.fill_to - annotated)


def candidate_pages(
    store: Sequence[PageInput], annotated: Collection[str], limit: int
) -> list[PageInput]:
    """At most `limit` of the store's pages with text that are not annotated (by URL), spread
    over the crawl rather than its first pages only."""
    pages = [p for p in store if p.nodes and p.url not in annotated]
    if len(pages) <= limit:
        return pages
    step = len(pages) / limit
    return [pages[int(i * step)] for i in range(limit)]


def sure_values(
    values: dict[str, Any],
    confidence: dict[str, float],
    rules: dict[str, Any],
    attributes: Collection[str],
    settings: SelfTraining,
    url: str | None,
) -> dict[str, Any]:
    """The support attributes' values of one page that count as its pseudo-annotation."""
    kept = {}
    for name in attributes:
        value = values.get(name)
        if value in (None, "", []):
            continue
        agrees = name in rules and values_equal(name, value, rules[name], page_url=url)
        if agrees or confidence.get(name, 0.0) >= settings.min_confidence:
            kept[name] = value
    return kept


def pseudo_examples(
    extractor: Extractor,
    store: Sequence[PageInput],
    annotated: Collection[str],
    attributes: Sequence[str],
    kinds: dict[str, AttributeType],
    settings: SelfTraining,
    wanted: int,
) -> list[Example]:
    """Up to `wanted` of the store's pages, pseudo-annotated by `extractor` (an adapted
    extractor, its rules included), the pages with most sure values first."""
    # a list read by the pipeline is only as long as it reads it: taught as support, a short
    # list teaches the model to stop early (and its items lose the store's own writing)
    attributes = [a for a in attributes if kinds.get(a) != "list"]
    if wanted <= 0 or not attributes:
        return []
    pages = candidate_pages(store, annotated, settings.candidates)
    scored: list[tuple[float, int, Example]] = []
    for i, (page, ((values, confidence), rules)) in enumerate(
        zip(pages, extractor.values_and_rules(pages), strict=True)
    ):
        sure = sure_values(values, confidence, rules, attributes, settings, page.url)
        root = page.parsed_root()
        match = match_values(page.nodes, sure, page.url, root=root, types=kinds)
        shown = [a for a in sure if match.found(a)]
        share = len(shown) / len(attributes)
        if share < settings.min_share:
            continue
        labels = {a: sure[a] for a in shown}
        scored.append((share, -i, Example(WrapperPage(page.nodes, root, page.url), labels, match)))
    scored.sort(key=lambda item: item[:2], reverse=True)
    return [example for *_, example in scored[:wanted]]
