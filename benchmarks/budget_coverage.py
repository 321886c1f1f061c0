"""Share of matched gold spans still encoded under page token budgets (no model run).

Run: `.venv/bin/python benchmarks/budget_coverage.py [--realpages ../shared/realpages]`
(`--realpages ../shared/realtrain/recipes` for the recipe sites). Per budget: mean tokens encoded
per page and, per attribute, the share of pages whose gold span (found by the matcher) sits in an
encoded node, after template pruning. The `+support` rows follow one annotated page: on every
store with two pages or more its first page is the support (k = 1), and the other pages are read
as `shopwright extract` reads them with the adapted model (nodes where the support's values stand
are kept by pruning and read first); they are compared on the same query pages with the budget
alone (`query` rows).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import PACKAGED_ENCODER
from extractor.neural.features import FeatureConfig, encode_page
from extractor.page.dom import text_nodes
from extractor.page.template import prune_template_nodes
from extractor.values.matching import match_values

#: name, page tokens, strategy, tokens per node under the budget
BUDGETS = [
    ("all", 0, "priors", 48),
    ("title-256", 256, "title", 48),
    ("title-512", 512, "title", 48),
    ("priors-256", 256, "priors", 24),
    ("priors-384", 384, "priors", 24),
    ("priors-448", 448, "priors", 24),
    ("priors-512", 512, "priors", 24),
]


def count_kept(found: dict, kept: list, windows: list, spans: dict) -> int:
    """Count, per attribute, pages with gold spans and pages where the windows encode one of
    them (`found[attribute] = [pages, kept]`); returns the windows' tokens."""
    encoded = {kept[i]["xpath"] for w in windows for i in w.node_ids}
    for attribute, items in spans.items():
        if items:
            counts = found.setdefault(attribute, [0, 0])
            counts[0] += 1
            counts[1] += any(s["xpath"] in encoded for s in items)
    return sum(len(w.input_ids) for w in windows)


def main() -> int:
    """Print the coverage table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--realpages", type=Path, default=REPO.parent / "shared" / "realpages")
    args = parser.parse_args()
    tokenizer = load_tokenizer(PACKAGED_ENCODER)
    entries = [json.loads(line) for line in (args.realpages / "labels.jsonl").open()]
    stores: dict[str, list[dict]] = {}
    for entry in entries:
        stores.setdefault(entry["site"], []).append(entry)
    found: dict[str, dict[str, list[int]]] = {name: {} for name, *_ in BUDGETS}
    tokens = dict.fromkeys(found, 0)
    for group in stores.values():
        node_lists = [text_nodes((args.realpages / e["file"]).read_bytes()) for e in group]
        pruned = prune_template_nodes(node_lists)
        for entry, nodes, kept in zip(group, node_lists, pruned, strict=True):
            spans = match_values(nodes, entry["labels"], entry.get("url")).spans
            for name, budget, strategy, cap in BUDGETS:
                config = FeatureConfig(page_budget=strategy, budget_node_tokens=cap)
                windows = encode_page(kept, tokenizer, config, page_tokens=budget)
                tokens[name] += count_kept(found[name], kept, windows, spans)
    support_rows(stores, args.realpages, tokenizer, found, tokens)
    attributes = sorted(found["all"])
    print(f"{'budget':12s} tok/page " + " ".join(f"{a[:8]:>8s}" for a in attributes) + "    micro")
    query_pages = sum(len(g) - 1 for g in stores.values() if len(g) >= 2)
    for name in found:
        row = found[name]
        total = sum(row[a][0] for a in attributes if a in row)
        kept_total = sum(row[a][1] for a in attributes if a in row)
        cells = " ".join(
            f"{row[a][1] / row[a][0]:8.1%}" if a in row else f"{'-':>8s}" for a in attributes
        )
        pages = len(entries) if name in dict.fromkeys(n for n, *_ in BUDGETS) else query_pages
        print(f"{name:12s} {tokens[name] / max(pages, 1):8.0f} {cells} {kept_total / total:8.1%}")
    print("pages per attribute:", {a: found["all"][a][0] for a in attributes})
    return 0


def support_rows(
    stores: dict[str, list[dict]],
    base: Path,
    tokenizer: object,
    found: dict[str, dict[str, list[int]]],
    tokens: dict[str, int],
    budget: int = 384,
) -> None:
    """Coverage on the query pages of k = 1 episodes, with and without the support's nodes."""
    from extractor.adapt.support import SupportIndex

    config = FeatureConfig()
    for name in (f"query-{budget}", f"+support-{budget}"):
        found[name], tokens[name] = {}, 0
    for group in stores.values():
        if len(group) < 2:
            continue
        node_lists = [text_nodes((base / e["file"]).read_bytes()) for e in group]
        matched = [
            match_values(n, e["labels"], e.get("url")).spans
            for n, e in zip(node_lists, group, strict=True)
        ]
        support = SupportIndex.build(node_lists[:1], matched[:1], node_lists)
        for nodes, spans in zip(node_lists[1:], matched[1:], strict=True):
            keep_xpaths = {nodes[i]["xpath"] for i in support.support_like(nodes)}
            for name, protect in ((f"query-{budget}", set()), (f"+support-{budget}", keep_xpaths)):
                kept = prune_template_nodes([node_lists[0], nodes], [set(), protect])[1]
                keep = support.support_like(kept) if protect else []
                windows = encode_page(kept, tokenizer, config, page_tokens=budget, keep=keep)
                tokens[name] += count_kept(found[name], kept, windows, spans)


if __name__ == "__main__":
    sys.exit(main())
