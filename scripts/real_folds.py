"""Split ../shared/realpages into two folds by store, for the data-realism study.

Each fold's `train` labels are the other fold's stores (for training), its `eval` labels its own
stores (for `python -m metatrain evaluate`): every real store is evaluated by models that never
saw it, and the two folds' predictions together cover all 74 stores. Stores are sorted by page
count and dealt alternately, so both folds get stores with >= 6 pages.

    .venv/bin/python scripts/real_folds.py --labels ../shared/realpages/labels.jsonl \
        --out data/real-folds
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from extractor.data.jsonl import read_objects
from metatrain.tasks import two_folds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, required=True, help="realpages labels.jsonl")
    parser.add_argument("--out", type=Path, required=True, help="folder for the fold files")
    args = parser.parse_args()
    base = args.labels.resolve().parent
    by_site: dict[str, list[dict]] = defaultdict(list)
    for _, row in read_objects(args.labels, ValueError):
        row["file"] = str(base / row["file"])  # absolute: the fold files live elsewhere
        by_site[row["site"]].append(row)
    first, second = two_folds({site: len(rows) for site, rows in by_site.items()})
    for name, sites, other in (("A", first, second), ("B", second, first)):
        for part, chosen in (("eval", sites), ("train", other)):
            folder = args.out / f"{name}-{part}"
            folder.mkdir(parents=True, exist_ok=True)
            rows = [row for site in chosen for row in by_site[site]]
            text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
            (folder / "labels.jsonl").write_text(text, encoding="utf-8")
            multi = sum(1 for s in chosen if len(by_site[s]) >= 2)
            print(f"{folder}: {len(chosen)} stores ({multi} with >= 2 pages), {len(rows)} pages")


if __name__ == "__main__":
    main()
