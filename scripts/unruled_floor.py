"""Choose, per attribute type, how sure a value must be where the store's rules read nothing
for it, by cross-validation over stores (`FusionSettings.unruled_floor`).

At k >= 1 the store's wrapper rules read most attributes; where they read nothing on a page
(no rule, or a rule that finds nothing there) the pipeline's value stands alone. This script
replays a floor on an evaluation's predictions of the shipped method (`meta`) and of `wrapper`
(the same rules, from the same seeded support): a value of the given type below the floor, on a
page where the wrapper read nothing for it, is left out. It scores each floor on the sets it
was told to look at, chooses the best (the sum of macro F1 over every k >= 1 and every looked-at
set; a tie keeps no floor), and reports every set:

    .venv/bin/python scripts/unruled_floor.py --strip-markup --look A,recipes-design \\
        --set A out/eval/s20/fold-A-stripped-cmp data/real-folds/A-eval/labels.jsonl \\
        --set B out/eval/s20/fold-B-stripped-cmp data/real-folds/B-eval/labels.jsonl \\
        --set recipes-design out/eval/s20/recipes-design-cmp data/recipe-folds/B-split/design.jsonl
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rule_gate import (
    episode_page,
    macro_by_k,
    wrapper_reads,
)  # scripts/ is on the path when run as a script

from extractor.values.schema import attribute_type
from metatrain.evaluate import PREDICTIONS_FILE, read_predictions
from metatrain.tasks import read_labels

FLOORS = (0.0, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)


def floored(
    lines: Sequence[Mapping[str, Any]], model: str, kind: str, floor: float
) -> list[dict[str, Any]]:
    """The model's lines at k >= 1 with values of `kind` below `floor` left out where the
    wrapper read nothing for them."""
    rules = wrapper_reads(lines)
    result = []
    for line in lines:
        if line["method"] != model or int(line["shots"]) == 0:
            continue
        values, confidence = dict(line["prediction"]), dict(line["confidence"])
        read = rules.get(episode_page(line), {})
        for name in list(values):
            if attribute_type(name) != kind or read.get(name) not in (None, "", []):
                continue
            if confidence.get(name, 0.0) < floor:
                del values[name]
                confidence.pop(name, None)
        result.append({**line, "prediction": values, "confidence": confidence})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        nargs=3,
        action="append",
        required=True,
        metavar=("NAME", "EVAL_DIR", "LABELS"),
        help="a set of stores: its name, an evaluation folder with the model's and wrapper's "
        "lines, its labels file",
    )
    parser.add_argument("--look", required=True, help="the sets to choose on (comma list)")
    parser.add_argument("--model", default="meta", help="the shipped method's name")
    parser.add_argument("--kinds", default="list,text", help="attribute types to try (comma list)")
    parser.add_argument("--strip-markup", action="store_true", help="the sets were stripped")
    args = parser.parse_args()
    sets = {}
    for name, directory, labels in args.set:
        pages = read_labels(Path(labels), strip_markup=args.strip_markup)
        sets[name] = (pages, read_predictions(Path(directory) / PREDICTIONS_FILE))
    look = [name for name in args.look.split(",") if name]
    if not look or any(name not in sets for name in look):
        raise SystemExit("--look must name sets given with --set")
    for kind in [k for k in args.kinds.split(",") if k]:
        scores = {
            floor: {
                name: macro_by_k(floored(lines, args.model, kind, floor), pages)
                for name, (pages, lines) in sets.items()
            }
            for floor in FLOORS
        }

        def looked(floor: float, scores: Mapping = scores) -> float:
            return round(sum(v for n in look for k, v in scores[floor][n].items() if k), 6)

        chosen = max(FLOORS, key=lambda f: (looked(f), f == 0.0))
        for floor in FLOORS:
            mark = "  <- chosen" if floor == chosen else ""
            cells = "  ".join(
                f"{name} " + " ".join(f"k={k} {v:.4f}" for k, v in by_k.items() if k)
                for name, by_k in scores[floor].items()
            )
            print(f"{kind:>6} floor {floor:.2f}: {cells}{mark}")
        print(f"{kind}: chosen on {', '.join(look)}: {chosen}")


if __name__ == "__main__":
    main()
