"""Per-attribute F1 of an evaluation's report.json: methods side by side at each k.

    python scripts/attribute_table.py out/eval/folds-stripped --methods meta,wrapper --shots 0,1,5

Each cell is F1/gold (gold: values the pages show for that attribute, so a cell over few values is
read with care). Works on any `shopwright evaluate` output folder and on scripts/combine_folds.py's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="an evaluation folder (holds report.json)")
    parser.add_argument("--methods", default="meta,wrapper,joint,pretrained")
    parser.add_argument("--shots", default="0,1,5")
    args = parser.parse_args(argv)
    results = json.loads((args.run / "report.json").read_text())["results"]
    methods = [m for m in args.methods.split(",") if m in results]
    shots = args.shots.split(",")
    columns = [(m, k) for m in methods for k in shots if k in results[m]]
    attributes = sorted({a for m, k in columns for a in results[m][k]["attributes"]})
    print("attribute".ljust(20) + "".join(f"{m} k={k}".rjust(16) for m, k in columns))
    for attribute in attributes + ["(macro)"]:
        cells = []
        for m, k in columns:
            result = results[m][k]
            if attribute == "(macro)":
                cells.append(f"{result['macro_f1']:.3f}")
                continue
            scored = result["attributes"].get(attribute)
            cells.append(f"{scored['f1']:.2f}/{scored['gold']}" if scored else "-")
        print(attribute.ljust(20) + "".join(c.rjust(16) for c in cells))


if __name__ == "__main__":
    main()
