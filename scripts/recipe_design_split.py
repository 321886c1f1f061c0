"""Split the held-out recipe sites into a design third (looked at) and report sites (not).

The sites whose name's SHA-1 is divisible by 3 are the design third; every other site is a
report site. With `--predictions`, an evaluation's predictions are kept for one part's pages
only, so that `scripts/combine_folds.py` scores that part:

    PY=.venv/bin/python
    $PY scripts/recipe_design_split.py --labels data/recipe-folds/B-eval/labels.jsonl \
        --out data/recipe-folds/B-split
    $PY scripts/recipe_design_split.py --labels data/recipe-folds/B-split/report.jsonl \
        --predictions out/eval/s6/recipes-final --out out/eval/s6/recipes-final-report
    $PY scripts/combine_folds.py --folds out/eval/s6/recipes-final-report \
        --labels data/recipe-folds/B-split/report.jsonl --out out/eval/s6/recipes-final-report
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

from extractor.data.jsonl import read_objects


def design_site(site: str) -> bool:
    """Whether a site belongs to the design third."""
    return int(hashlib.sha1(site.encode()).hexdigest(), 16) % 3 == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, required=True, help="labels file to split or keep")
    parser.add_argument("--out", type=Path, required=True, help="folder for the output")
    parser.add_argument("--predictions", type=Path, help="evaluate --out folder to filter")
    args = parser.parse_args()
    rows = [row for _, row in read_objects(args.labels, ValueError)]
    args.out.mkdir(parents=True, exist_ok=True)
    if args.predictions is None:
        for name, wanted in (("design", True), ("report", False)):
            part = [row for row in rows if design_site(row["site"]) == wanted]
            with (args.out / f"{name}.jsonl").open("w", encoding="utf-8") as out:
                out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in part)
            print(f"{name}: {len({r['site'] for r in part})} sites, {len(part)} pages")
        return
    files = {row["file"] for row in rows}
    kept = 0
    with (args.out / "predictions.jsonl").open("w", encoding="utf-8") as out:
        for line in (args.predictions / "predictions.jsonl").open(encoding="utf-8"):
            if json.loads(line)["file"] in files:
                out.write(line)
                kept += 1
    shutil.copy(args.predictions / "report.json", args.out / "report.json")
    print(f"{kept} predictions kept in {args.out}")


if __name__ == "__main__":
    main()
