"""Which page to annotate next: a page of each template no annotated page covers yet (largest
template first), then the pages the model is least sure of.

A page's layout is the set of its text nodes' XPath shapes (positions left out); pages whose
layouts overlap enough (Jaccard) share a template.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Layouts at least this similar (Jaccard) are one template.
SAME_TEMPLATE = 0.6
#: How many pages a person is asked to annotate.
TARGET_PAGES = 5

_POSITION = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class Suggestion:
    """A page to annotate next, and why."""

    index: int
    reason: str


def layout_key(nodes: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The XPath shapes of a page's text nodes (`/html/body/div/p`, no positions)."""
    return frozenset(
        _POSITION.sub("", str(node["xpath"])).removesuffix("/text()") for node in nodes
    )


def _similar(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def template_groups(keys: Sequence[frozenset[str]], same: float = SAME_TEMPLATE) -> list[int]:
    """A template number per page (0, 1, ... in order of first appearance), greedily: a page
    joins the first template whose first page's layout is similar enough."""
    firsts: list[frozenset[str]] = []
    groups = []
    for key in keys:
        for number, first in enumerate(firsts):
            if _similar(key, first) >= same:
                groups.append(number)
                break
        else:
            groups.append(len(firsts))
            firsts.append(key)
    return groups


def suggest(
    groups: Sequence[int],
    candidates: Sequence[int],
    annotated: set[int],
    confidence: Callable[[int], float | None],
    count: int = TARGET_PAGES,
) -> list[Suggestion]:
    """Up to `count` pages of `candidates` (page indexes) to annotate next, best first."""
    todo = [i for i in candidates if i not in annotated]
    covered = {groups[i] for i in annotated}
    members: dict[int, list[int]] = {}
    for i in todo:
        members.setdefault(groups[i], []).append(i)

    def unsure(i: int) -> tuple[int, float]:
        c = confidence(i)
        return (1, 0.0) if c is None else (0, c)

    chosen: list[Suggestion] = []
    uncovered = [g for g in members if g not in covered]
    for group in sorted(uncovered, key=lambda g: -len(members[g])):
        page = min(members[group], key=unsure)
        size = len(members[group])
        chosen.append(
            Suggestion(page, f"a template no annotated page has yet ({size} pages like it)")
        )
    picked = {s.index for s in chosen}
    for page in sorted((i for i in todo if i not in picked), key=unsure):
        c = confidence(page)
        if c is None:
            reason = "not pre-labelled yet"
        else:
            reason = f"the model is unsure here (mean confidence {c:.2f})"
        chosen.append(Suggestion(page, reason))
        if len(chosen) >= count:
            break
    return chosen[:count]
