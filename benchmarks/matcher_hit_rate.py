"""Matcher hit rate on ../shared/realpages: found / gold labels per attribute, and time per page.

Also measures structured data (extruct) as a zero-shot source: how often the page's markup gives
the gold name, price, currency and availability, as is and when only values the page shows count.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from extractor.page.dom import PageError, iter_text_nodes, parse_html
from extractor.page.input import as_page
from extractor.page.structured import structured_values
from extractor.values.fusion import markup_values
from extractor.values.matching import match_values
from extractor.values.normalize.availability import normalize_availability
from extractor.values.normalize.currencies import pick_currency
from extractor.values.normalize.prices import normalize_price
from extractor.values.normalize.text import text_key

DEFAULT_REALPAGES = Path(__file__).resolve().parents[1].parent / "shared" / "realpages"
#: How structured values are compared with gold labels (the scoring rules' normal forms).
CHECKS: dict[str, Callable[[str], str | None]] = {
    "name": text_key,
    "price": normalize_price,
    "currency": pick_currency,
    "availability": normalize_availability,
}


def main() -> None:
    """Run the matcher and structured extraction on every real page and print tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realpages", type=Path, default=DEFAULT_REALPAGES)
    parser.add_argument("--misses", action="store_true", help="print every miss with its reason")
    args = parser.parse_args()
    rows = [json.loads(line) for line in (args.realpages / "labels.jsonl").open(encoding="utf-8")]

    gold: Counter[str] = Counter()
    found: Counter[str] = Counter()
    shown_gold: Counter[str] = Counter()
    shown_found: Counter[str] = Counter()
    markup_given: Counter[str] = Counter()
    markup_right: Counter[str] = Counter()
    checked_given: Counter[str] = Counter()
    checked_right: Counter[str] = Counter()
    match_seconds = parse_seconds = 0.0
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
        visible = {"name": checks.get("name_in_visible_text"), "price": checks.get("price_in_html")}
        for attribute in labels:
            gold[attribute] += 1
            hit = result.found(attribute)
            found[attribute] += hit
            if visible.get(attribute, True):
                shown_gold[attribute] += 1
                shown_found[attribute] += hit
            if args.misses and not hit:
                reason = result.missing.get(attribute, "")
                print(f"MISS {row['file']:<34} {attribute:<13} {reason}")

        url = row.get("url") or ""
        values = structured_values(html, url)
        markup = markup_values(as_page((url, html)))
        chosen, shown = markup.values, markup.shown
        for attribute, check in CHECKS.items():
            if attribute not in labels:
                continue
            want = check(str(labels[attribute]))
            markup_given[attribute] += attribute in values
            markup_right[attribute] += attribute in values and check(str(values[attribute])) == want
            is_shown = bool(shown.get(attribute))
            checked_given[attribute] += is_shown
            checked_right[attribute] += is_shown and check(str(chosen[attribute])) == want

    print(f"{'attribute':<14}{'gold':>6}{'found':>7}{'hit rate':>10}{'shown*':>8}{'hit/shown':>11}")
    for attribute in sorted(gold, key=lambda a: -gold[a]):
        print(
            f"{attribute:<14}{gold[attribute]:>6}{found[attribute]:>7}"
            f"{found[attribute] / gold[attribute]:>10.1%}{shown_gold[attribute]:>8}"
            f"{shown_found[attribute] / max(shown_gold[attribute], 1):>11.1%}"
        )
    total_gold, total_found = sum(gold.values()), sum(found.values())
    print(f"{'all':<14}{total_gold:>6}{total_found:>7}{total_found / total_gold:>10.1%}")
    print("* shown: the labels' checks say the page shows it (name_in_visible_text, price_in_html)")
    print(
        f"{pages} pages: matcher {1000 * match_seconds / pages:.1f} ms/page "
        f"(total {match_seconds:.2f} s); "
        f"parsing + text nodes {1000 * parse_seconds / pages:.1f} ms/page"
    )
    print()
    print("structured data vs gold: pages with a value / correct (share of gold pages)")
    print("  markup: the best source's value; shown: only values the page shows (matcher)")
    for attribute in CHECKS:
        if not gold[attribute]:
            continue
        right, right_shown = markup_right[attribute], checked_right[attribute]
        print(
            f"  {attribute:<13} gold {gold[attribute]:>4}"
            f"  markup {markup_given[attribute]:>4} / {right:>4} ({right / gold[attribute]:.1%})"
            f"  shown {checked_given[attribute]:>4} / {right_shown:>4}"
            f" ({right_shown / gold[attribute]:.1%})"
        )


if __name__ == "__main__":
    main()
