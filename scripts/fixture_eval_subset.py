"""The held-out fixture evaluation set: a few stores of `python -m fixtures write` output.

Keeps, in file order, the first store of each of the first `--industries` industries and every
store of the `--all-of` industries (the held-out books stores), with `file` made absolute, so the
labels file can live in another folder. `make model` writes data/fixtures-eval; the README's
fixture figures use

    .venv/bin/python scripts/fixture_eval_subset.py --labels data/fixtures-eval/labels.jsonl \
        --out data/fixtures-eval-12/labels.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from extractor.data.jsonl import read_objects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, required=True, help="fixture labels.jsonl")
    parser.add_argument("--out", type=Path, required=True, help="the subset's labels.jsonl")
    parser.add_argument("--industries", type=int, default=10, help="first store of N industries")
    parser.add_argument("--all-of", default="books", help="industries kept whole (comma list)")
    args = parser.parse_args()
    base = args.labels.resolve().parent
    whole = {name for name in args.all_of.split(",") if name}
    first: dict[str, str] = {}  # industry -> its first store
    rows = []
    for _, row in read_objects(args.labels, ValueError):
        industry, site = row.get("industry"), row["site"]
        if industry not in first and len(first) < args.industries:
            first[industry] = site
        if first.get(industry) == site or industry in whole:
            rows.append({**row, "file": str(base / row["file"])})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row) + "\n" for row in rows)
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {len({r['site'] for r in rows})} stores, {len(rows)} pages")


if __name__ == "__main__":
    main()
