"""Text values on a page: names, short texts, descriptions, and list items in order."""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from extractor.page.dom import HTML_TAG
from extractor.values.matching.page import (
    MAX_SCAN,
    Hit,
    PageIndex,
    best_first,
    word_tokens,
)
from extractor.values.matching.result import Span
from extractor.values.normalize.text import balance_brackets, normalize_text

_NAME_HINT = re.compile(r"title|name|heading|headline|product", re.I)


def _text_hits(
    page: PageIndex,
    value: str,
    *,
    min_coverage: float,
    max_node: int = MAX_SCAN,
    continued: Sequence[str] = (),
) -> list[Hit]:
    """Nodes showing (most of) a text: the longest run of its words, scored by coverage.

    `value` may be the head of a longer text whose words are `continued`: a run that reaches the
    head's end then goes on over the node's words while they are the text's next words."""
    gold = [t for t, _, _ in word_tokens(normalize_text(value).casefold())]
    if not gold:
        return []
    gold_chars = sum(len(t) for t in gold)
    # Candidate nodes hold one of the value's longest words (sorted fully: deterministic).
    distinct = {t for t in gold if len(t) >= 2 or t.isdigit()}
    keys = sorted(distinct, key=lambda t: (-len(t), t))[:4] or gold[:1]
    hits = []
    for i in page.containing(keys):
        if len(page.nodes[i]["text"]) > max_node:
            continue
        tokens = word_tokens(page.folded(i))
        words = [t for t, _, _ in tokens]
        block = SequenceMatcher(None, gold, words, autojunk=False).find_longest_match(
            0, len(gold), 0, len(words)
        )
        if not block.size:
            continue
        run_chars = sum(len(t) for t in gold[block.a : block.a + block.size])
        coverage = run_chars / gold_chars
        if coverage < min_coverage:
            continue
        node_chars = sum(len(t) for t in words) or 1
        last = block.b + block.size - 1
        if block.a + block.size == len(gold):
            more = block.a + block.size
            while (
                more < len(continued)
                and last + 1 < len(words)
                and words[last + 1] == continued[more]
            ):
                last, more = last + 1, more + 1
        start = tokens[block.b][1]
        end = tokens[last][2]
        score = coverage + 0.2 * (run_chars / node_chars)
        span = page.source_span(i, start, end)
        text = page.nodes[i]["text"]
        span["start"], span["end"] = balance_brackets(text, span["start"], span["end"])
        span["text"] = text[span["start"] : span["end"]]
        hits.append(Hit(score, [span], i))
    return hits


def match_name(page: PageIndex, value: str) -> list[Hit]:
    def bonus(hit: Hit) -> float:
        i = hit.index
        return (
            0.4 * (page.nodes[i]["tag"] == "h1")
            + 0.1 * bool(_NAME_HINT.search(page.hints(i)))
            - 0.3 * page.chrome(i)
            - 0.1 * (page.nodes[i]["tag"] == "a")
            - 0.2 * page.distance(i, page.anchor)
        )

    return best_first(_text_hits(page, value, min_coverage=0.5), bonus)


def match_short_text(page: PageIndex, value: str, hint: re.Pattern[str] | None = None) -> list[Hit]:
    """Brands, categories, custom text: the whole value, preferably a node of its own."""

    def bonus(hit: Hit) -> float:
        i = hit.index
        own = len(hit.spans[0]["text"]) / max(len(page.nodes[i]["text"]), 1)
        return (
            0.3 * own
            + (0.3 * bool(hint.search(page.hints(i))) if hint else 0.0)
            - 0.2 * page.chrome(i)
            - 0.2 * page.distance(i, page.anchor)
        )

    return best_first(_text_hits(page, value, min_coverage=0.999), bonus)


def match_description(page: PageIndex, value: str) -> list[Hit]:
    """Long texts: the node that shows the beginning, then the following nodes that continue it
    (tags written into the value are not its words: the page shows what they mark up)."""
    text = normalize_text(HTML_TAG.sub(" ", value))  # a feed's `<p>...<br>`
    gold_tokens = [t for t, _, _ in word_tokens(text.casefold())]
    if not gold_tokens:
        return []
    head = " ".join(gold_tokens[:40])
    # the value's words without spaces: a feed glues what the page shows in two nodes
    # (`matte Oberfläche` `Physikalische Auflösung` as `OberflächePhysikalische`)
    gold_run = "".join(gold_tokens)
    hits = []
    for hit in _text_hits(
        page,
        head,
        min_coverage=min(0.5, 12 / max(len(head), 1)),
        max_node=100_000,
        continued=gold_tokens,
    ):
        i = hit.index
        spans = [hit.spans[0]]
        # Start earlier while the nodes before, with the run found, continue the description's
        # words (`This easy` `strawberry buckle` `is an old-fashioned dessert`: a link splits it)
        shown = "".join(t for t, _, _ in word_tokens(normalize_text(spans[0]["text"]).casefold()))
        first = i
        while first > 0 and not _words_before(page, first, int(spans[0]["start"])):
            words = "".join(_node_words(page, first - 1))
            if not words or words + shown not in gold_run:
                break
            first -= 1
            shown = words + shown
            spans.insert(0, page.whole(first))
        # Continue over following nodes while their words continue the description's (a word
        # the description holds somewhere, `wraps` in the next heading, is no continuation).
        for j in range(i + 1, min(i + 40, len(page.nodes))):
            words = "".join(_node_words(page, j))
            if not words or shown + words not in gold_run:
                break
            shown += words
            spans.append(page.whole(j))
        hit.spans = spans
        hits.append(hit)
    return best_first(hits, lambda h: -0.3 * page.chrome(h.index))


def _words_before(page: PageIndex, i: int, start: int) -> bool:
    """Whether node i shows words before offset `start`."""
    return any(ch.isalnum() for ch in page.nodes[i]["text"][:start])


def _node_words(page: PageIndex, i: int) -> list[str]:
    return [t for t, _, _ in word_tokens(page.folded(i))]


def _runs_of_nodes(page: PageIndex, item: str, longest: int = 12) -> list[Hit]:
    """An item that stands in several consecutive nodes (`1` `cup` `flour`): runs of whole nodes
    whose words, joined, are the item's words."""
    words = [t for t, _, _ in word_tokens(normalize_text(item).casefold())]
    if len(words) < 2:
        return []
    hits = []
    for i in page.containing([words[0]]):
        got = _node_words(page, i)
        if len(page.nodes[i]["text"]) > MAX_SCAN or not got or words[: len(got)] != got:
            continue
        j = i
        while len(got) < len(words) and j + 1 < min(len(page.nodes), i + longest):
            j += 1
            more = _node_words(page, j)
            if words[len(got) : len(got) + len(more)] != more:
                break
            got += more
        if got == words and j > i:
            hits.append(Hit(1.0, [page.whole(k) for k in range(i, j + 1)], i))
    return hits


def match_list(
    page: PageIndex, items: Sequence[str], window: int = 15
) -> tuple[list[Span], list[int]]:
    """Each item in order, as the longest chain of nearby nodes (an item in one node, or in a run
    of consecutive ones); returns spans, each with its item's number, and missed items."""
    candidates = []
    for item in items:
        # a step of 500 characters stands in a node of its own: running text only where the
        # node is more than twice the item
        longest = max(MAX_SCAN, 2 * len(item))
        single = [
            h
            for h in _text_hits(page, item, min_coverage=0.999, max_node=longest)
            if len(h.spans[0]["text"]) * 2 >= len(page.nodes[h.index]["text"])
        ]
        # the item in one node and in a run of nodes both: a post's paragraph may show the first
        # items whole where its recipe card, further down, shows every item in three spans
        runs = _runs_of_nodes(page, item)
        candidates.append(sorted([*single[:60], *runs[:60]], key=lambda h: h.index))
    best: list[tuple[int, Hit]] = []
    for first, hits in enumerate(candidates):
        for start in sorted(hits, key=lambda h: h.index):
            chain = [(first, start)]
            prev = _last_node(start)
            for k in range(first + 1, len(items)):
                nxt = next(
                    (
                        h
                        for h in sorted(candidates[k], key=lambda h: h.index)
                        if prev < h.index <= prev + window
                    ),
                    None,
                )
                if nxt is not None:
                    chain.append((k, nxt))
                    prev = _last_node(nxt)
            if len(chain) > len(best):
                best = chain
        if len(best) >= len(items) - first:
            break
    found = {k for k, _ in best}
    spans = [Span(**span, item=k) for k, hit in best for span in hit.spans]
    return spans, [k for k in range(len(items)) if k not in found]


def _last_node(hit: Hit) -> int:
    """The index of the last node a hit covers (its first plus the nodes it runs over)."""
    return hit.index + len(hit.spans) - 1
