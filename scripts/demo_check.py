"""Score a demo catalog against a fixture store's ground truth (pages not used for annotation)."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractor.values.records import record_values  # noqa: E402
from metatrain.scoring import ScoredPage, score_pages  # noqa: E402


def main() -> int:
    """Print per-attribute F1 of the catalog on the store's unannotated product pages, for every
    attribute the annotated pages carry (custom ones included)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base")
    parser.add_argument("slug")
    parser.add_argument("catalog", type=Path)
    parser.add_argument("--skip", type=int, default=5, help="annotated pages to leave out")
    args = parser.parse_args()
    url = f"{args.base}{args.slug}/_truth.jsonl"
    everything = [json.loads(line) for line in urllib.request.urlopen(url)]
    annotated = {a for entry in everything[: args.skip] for a in entry["labels"]}
    truth = everything[args.skip :]
    records = {r["url"]: r for r in json.loads(args.catalog.read_text(encoding="utf-8"))}
    pages = []
    for entry in truth:
        values = record_values(records.get(entry["url"], {}))
        gold = {a: v for a, v in entry["labels"].items() if a in annotated}
        predicted = {a: v for a, v in values.items() if a in annotated}
        pages.append(ScoredPage(gold=gold, predicted=predicted, page_url=entry["url"]))
    report = score_pages(pages)
    print(f"{len(records)} records; {len(truth)} unannotated product pages scored")
    for name, score in report.attributes.items():
        print(f"  {name:<13} F1 {score.f1:.3f}  (P {score.precision:.3f} R {score.recall:.3f})")
    print(f"  macro F1      {report.macro_f1:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
