"""What reading the page's own text can score: each page annotated from its labels, a method
adapted on that page alone, then scored on the same page (in-sample, by the evaluation's rules).

A gold value the matcher finds on the page is scored even where the page shows it otherwise (a
description with a name before it, a product name without its brand, an image of another size,
a breadcrumb whose home item is an icon): no method that reads the page's text can give it. This
measures how much of each attribute is out of reach that way: the wrapper adapted on the page
itself reads every value its rules can read back from the spans the matcher found, so its
in-sample F1 estimates the ceiling of the few-shot figures under the same scoring.

    python benchmarks/attainable.py --labels data/real-folds/B-eval/labels.jsonl --strip-markup
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tqdm import tqdm

from metatrain.evaluate import not_shown
from metatrain.methods import build_methods
from metatrain.scoring import ScoredPage, score_pages
from metatrain.tasks import annotate, group_by_site, read_labels


def main() -> None:
    """Adapt the method on each page alone, read that page, print per-attribute F1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, required=True, help="labels.jsonl")
    parser.add_argument("--strip-markup", action="store_true", help="pages without markup")
    parser.add_argument("--method", default="wrapper", help="method to adapt (default wrapper)")
    parser.add_argument("--model", type=Path, help="model of a model-based method")
    parser.add_argument("--misses", action="store_true", help="print every value not read back")
    parser.add_argument(
        "--min-pages", type=int, default=2, help="stores with this many pages (k = 1 needs 2)"
    )
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args()

    (method,) = build_methods(args.model, False, [args.method], markup=not args.strip_markup)
    pages = [
        page
        for task in group_by_site(read_labels(args.labels, strip_markup=args.strip_markup)).values()
        if len(task.pages) >= args.min_pages
        for page in task.pages
    ]
    scored: list[ScoredPage] = []
    for labelled in tqdm(pages, desc="pages", unit="page", disable=args.no_progress):
        reader = method.adapt([annotate(labelled)], [labelled.page])
        prediction, _ = reader.read(labelled.page)
        page = ScoredPage(
            gold=labelled.labels,
            predicted=prediction,
            not_shown=not_shown(labelled),
            page_url=labelled.page.url,
            partial=True,
        )
        scored.append(page)
        if args.misses:
            one = score_pages([page])
            for name, score in one.attributes.items():
                if score.gold and not score.tp:
                    gold, read = labelled.labels.get(name), prediction.get(name)
                    print(f"{labelled.site} {name}: gold {gold!r:.90} read {read!r:.90}")
    report = score_pages(scored)
    print(f"{args.method} adapted on each page itself, {len(pages)} pages ({args.labels}):")
    print(f"{'attribute':22s} {'scored':>6s} {'F1':>6s}")
    for name, score in sorted(report.attributes.items()):
        if score.gold:
            print(f"{name:22s} {score.gold:6d} {score.f1:6.3f}")
    print(f"{'macro':22s} {'':6s} {report.macro_f1:6.3f}")
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), indent=2) + "\n")


if __name__ == "__main__":
    main()
