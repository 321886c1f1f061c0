"""Matcher hit rate on ../shared/realpages: found / gold labels per attribute, and time per page."""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from extractor.dom import PageError, iter_text_nodes, parse_html
from extractor.matching import match_values
from extractor.normalize import normalize_availability, normalize_price, pick_currency, text_key
from extractor.structured import structured_values

DEFAULT_REALPAGES = Path(__file__).resolve().parents[1].parent / "shared" / "realpages"


def main() -> None:
    """Run the matcher (and structured extraction) on every real page and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--realpages", type=Path, default=DEFAULT_REALPAGES)
    parser.add_argument("--misses", action="store_true", help="print every miss with its reason")
    args = parser.parse_args()
    rows = [json.loads(line) for line in (args.realpages / "labels.jsonl").open(encoding="utf-8")]

    gold: Counter[str] = Counter()
    found: Counter[str] = Counter()
    shown_gold: Counter[str] = Counter()
    shown_found: Counter[str] = Counter()
    structured_right: Counter[str] = Counter()
    structured_given: Counter[str] = Counter()
    match_seconds = 0.0
    parse_seconds = 0.0
    pages = 0
    for row in rows:
        html = (args.realpages / row["file"]).read_bytes()
        start = time.perf_counter()
        try:
            root = parse_html(html)
        except PageError:
            continue
        nodes = list(iter_text_nodes(root))
        parse_seconds += time.perf_counter() - start
        labels = row["labels"]
        start = time.perf_counter()
        result = match_values(nodes, labels, row.get("url"), root=root)
        match_seconds += time.perf_counter() - start
        pages += 1
        checks = row.get("checks", {})
        for attribute in labels:
            gold[attribute] += 1
            hit = result.found(attribute)
            found[attribute] += hit
            visible = {
                "name": checks.get("name_in_visible_text"),
                "price": checks.get("price_in_html"),
            }
            if visible.get(attribute, True):
                shown_gold[attribute] += 1
                shown_found[attribute] += hit
            if args.misses and not hit:
                reason = result.missing.get(attribute, "")
                print(f"MISS {row['file']:<34} {attribute:<13} {reason}")
        values = structured_values(html, row.get("url") or "")
        for attribute, check in (("name", text_key), ("price", normalize_price)):
            if attribute in labels:
                structured_given[attribute] += attribute in values
                structured_right[attribute] += attribute in values and check(
                    str(values[attribute])
                ) == check(str(labels[attribute]))
        for attribute, check in (
            ("currency", pick_currency),
            ("availability", normalize_availability),
        ):
            if attribute in labels:
                structured_given[attribute] += attribute in values
                structured_right[attribute] += attribute in values and check(
                    str(values[attribute])
                ) == check(str(labels[attribute]))

    print(f"{'attribute':<14}{'gold':>6}{'found':>7}{'hit rate':>10}{'shown*':>8}{'hit/shown':>11}")
    for attribute in sorted(gold, key=lambda a: -gold[a]):
        print(
            f"{attribute:<14}{gold[attribute]:>6}{found[attribute]:>7}"
            f"{found[attribute] / gold[attribute]:>10.1%}{shown_gold[attribute]:>8}"
            f"{shown_found[attribute] / max(shown_gold[attribute], 1):>11.1%}"
        )
    total_gold, total_found = sum(gold.values()), sum(found.values())
    print(f"{'all':<14}{total_gold:>6}{total_found:>7}{total_found / total_gold:>10.1%}")
    print("* shown: labels checks say the page shows it (name_in_visible_text, price_in_html)")
    print(
        f"{pages} pages: matcher {1000 * match_seconds / pages:.1f} ms/page "
        f"(total {match_seconds:.2f} s); "
        f"parsing + text nodes {1000 * parse_seconds / pages:.1f} ms/page"
    )
    print("structured data (extruct) vs gold labels: given / correct out of gold")
    for attribute in structured_given:
        right = structured_right[attribute]
        print(
            f"  {attribute:<13} given {structured_given[attribute]:>4}/{gold[attribute]:<4}"
            f" correct {right:>4} ({right / gold[attribute]:.1%})"
        )


if __name__ == "__main__":
    main()
