"""Score a demo catalog against a fixture store's ground truth (pages not used for annotation)."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from metatrain.scoring import ScoredPage, score_pages  # noqa: E402

#: Record field -> label attribute, for the fields the demo scores.
FIELDS = {"name": "name", "price": "price", "currency": "currency", "availability": "availability"}


def main() -> int:
    """Print per-attribute F1 of the catalog on the store's unannotated product pages."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base")
    parser.add_argument("slug")
    parser.add_argument("catalog", type=Path)
    parser.add_argument("--skip", type=int, default=5, help="annotated pages to leave out")
    args = parser.parse_args()
    url = f"{args.base}{args.slug}/_truth.jsonl"
    truth = [json.loads(line) for line in urllib.request.urlopen(url)][args.skip :]
    records = {r["url"]: r for r in json.loads(args.catalog.read_text(encoding="utf-8"))}
    pages = []
    for entry in truth:
        record = records.get(entry["url"], {})
        gold = {a: entry["labels"][a] for a in FIELDS.values() if a in entry["labels"]}
        predicted = {a: record[f] for f, a in FIELDS.items() if record.get(f) is not None}
        pages.append(ScoredPage(gold=gold, predicted=predicted, page_url=entry["url"]))
    report = score_pages(pages)
    print(f"{len(records)} records; {len(truth)} unannotated product pages scored")
    for name, score in report.attributes.items():
        print(f"  {name:<13} F1 {score.f1:.3f}  (P {score.precision:.3f} R {score.recall:.3f})")
    print(f"  macro F1      {report.macro_f1:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
