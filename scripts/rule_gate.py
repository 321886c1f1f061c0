"""Choose the rule gate's thresholds by cross-validation over stores (`fusion.prefer_rules`).

The gate: where the store's wrapper rules read an attribute, their value wins over one the model
is less sure of than `rules_over`; where they have rules for it but read nothing, a value less
sure than `unruled_min` is left out. This script replays the gate on the predictions of the model
without it (`meta-no-gate`, or `meta` of an evaluation made before the gate) and of `wrapper`
(the same rules, from the same seeded support), scores every pair of thresholds on one fold of
stores, chooses the best on the fold it was told to look at, and reports the other fold:

    .venv/bin/python scripts/rule_gate.py --look A \\
        --fold A out/eval/fold-A-stripped data/real-folds/A-eval/labels.jsonl \\
        --fold B out/eval/fold-B-stripped data/real-folds/B-eval/labels.jsonl

The choice is made on the sum of macro F1 at every k >= 1; k = 0 has no support and no rules.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from extractor.values.fusion import FusionSettings, prefer_rules
from extractor.values.schema import attribute_type
from metatrain.evaluate import PREDICTIONS_FILE, read_predictions, scored_pages
from metatrain.scoring import score_pages
from metatrain.tasks import LabelledPage, read_labels

RULES_OVER = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)
UNRULED_MIN = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8)


def episode_page(line: Mapping[str, Any]) -> tuple[Any, ...]:
    """A prediction line's page in its episode: site, file, k and repeat."""
    return (line["site"], line["file"], line["shots"], line["repeat"])


def wrapper_reads(lines: Sequence[Mapping[str, Any]]) -> dict[tuple[Any, ...], Mapping[str, Any]]:
    """What `wrapper` (the store's rules from the same seeded support) read, per episode page."""
    return {episode_page(line): line["prediction"] for line in lines if line["method"] == "wrapper"}


def gated(
    lines: Sequence[Mapping[str, Any]],
    model: str,
    shown: Mapping[str, set[str]],
    settings: FusionSettings,
) -> list[dict[str, Any]]:
    """The model's prediction lines at k >= 1 with the gate applied against the wrapper's.

    `shown`: per page file, the attributes its gold labels give (the rules of a store are those
    of the attributes its support pages show)."""
    rules = wrapper_reads(lines)
    result = []
    for line in lines:
        if line["method"] != model or int(line["shots"]) == 0:
            continue
        values, confidence = dict(line["prediction"]), dict(line["confidence"])
        ruled = set().union(*(shown.get(f, set()) for f in line["support"]))
        prefer_rules(values, confidence, rules.get(episode_page(line), {}), ruled, settings)
        result.append({**line, "method": "gated", "prediction": values, "confidence": confidence})
    return result


def macro_by_k(
    lines: Sequence[Mapping[str, Any]], pages: Sequence[LabelledPage]
) -> dict[int, float]:
    """Macro F1 per k of prediction lines of one method."""
    shots = sorted({int(line["shots"]) for line in lines})
    return {
        k: score_pages(
            [s for _, s in scored_pages([x for x in lines if int(x["shots"]) == k], pages)]
        ).macro_f1
        for k in shots
    }


def _one_gate(rules_over: float, unruled_min: float) -> FusionSettings:
    """The gate with one pair of thresholds for every attribute type."""
    return FusionSettings(rules_over=rules_over, unruled_min=unruled_min, gate_by_kind=())


def choose_per_kind(
    fold: tuple[Sequence[LabelledPage], Sequence[Mapping[str, Any]], Mapping[str, set[str]]],
    model: str,
    base: tuple[float, float],
    grid: Sequence[tuple[float, float]],
) -> tuple[tuple[str, float, float], ...]:
    """Per attribute type, the thresholds that score best on one fold, the other types at `base`
    (types do not interact: the gate decides attribute by attribute); a tie keeps `base`."""
    pages, lines, shown = fold
    kinds = sorted({attribute_type(a) for p in pages for a in p.labels})
    chosen = []
    for kind in kinds:

        def score(point: tuple[float, float], kind: str = kind) -> float:
            settings = FusionSettings(
                rules_over=base[0], unruled_min=base[1], gate_by_kind=((kind, *point),)
            )
            return sum(macro_by_k(gated(lines, model, shown, settings), pages).values())

        best = max(grid, key=lambda g: (round(score(g), 6), g == base, g))
        if best != base:
            chosen.append((kind, *best))
    return tuple(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fold",
        nargs=3,
        action="append",
        required=True,
        metavar=("NAME", "EVAL_DIR", "LABELS"),
        help="a fold: its name, its evaluation folder, its labels file (give two)",
    )
    parser.add_argument("--look", required=True, help="the fold the thresholds are chosen on")
    parser.add_argument("--model", default="meta-no-gate", help="the model's method name")
    parser.add_argument("--strip-markup", action="store_true", help="the folds were stripped")
    parser.add_argument(
        "--per-kind", action="store_true", help="also choose thresholds per attribute type"
    )
    args = parser.parse_args()
    folds = {}
    for name, directory, labels in args.fold:
        pages = read_labels(Path(labels), strip_markup=args.strip_markup)
        lines = read_predictions(Path(directory) / PREDICTIONS_FILE)
        shown = {p.file: set(p.labels) for p in pages}
        folds[name] = (pages, lines, shown)
    if args.look not in folds or len(folds) != 2:
        raise SystemExit("give two --fold and --look naming one of them")
    other = next(name for name in folds if name != args.look)
    grid = list(itertools.product(RULES_OVER, UNRULED_MIN))
    scores: dict[str, dict[tuple[float, float], dict[int, float]]] = {}
    for name, (pages, lines, shown) in folds.items():
        scores[name] = {
            (over, least): macro_by_k(
                gated(lines, args.model, shown, _one_gate(over, least)),
                pages,
            )
            for over, least in grid
        }
    chosen = max(grid, key=lambda g: (sum(scores[args.look][g].values()), g))
    product = FusionSettings()
    default = (product.rules_over, product.unruled_min)
    if args.per_kind:
        per_kind = choose_per_kind(folds[args.look], args.model, chosen, grid)
        print("chosen per attribute type on fold", args.look, "gate_by_kind =", per_kind)
        for name, (pages, lines, shown) in folds.items():
            settings = FusionSettings(
                rules_over=chosen[0], unruled_min=chosen[1], gate_by_kind=per_kind
            )
            by_k = macro_by_k(gated(lines, args.model, shown, settings), pages)
            cells = "  ".join(f"k={k} {v:.3f}" for k, v in by_k.items() if k)
            print(f"fold {name} gated (per type, chosen on {args.look}): {cells}")
    for name, (pages, lines, _) in folds.items():
        for method in (args.model, "wrapper"):
            by_k = macro_by_k([x for x in lines if x["method"] == method], pages)
            print(
                f"fold {name} {method:>14}: " + "  ".join(f"k={k} {v:.3f}" for k, v in by_k.items())
            )
    print(f"chosen on fold {args.look}: rules_over {chosen[0]}, unruled_min {chosen[1]}")
    for name in (args.look, other):
        for label, point in (("chosen", chosen), ("shipped", default)):
            cells = "  ".join(f"k={k} {v:.3f}" for k, v in scores[name][point].items() if k)
            print(f"fold {name} gated ({label} {point[0]}, {point[1]}): {cells}")
    # The replay approximates the product's gate: a store's ruled attributes are taken to be those
    # its support labels give, while the product rules only those its wrapper induced rules for.
    for name, (_, lines, shown) in folds.items():
        shipped = {
            episode_page(x): x["prediction"]
            for x in lines
            if x["method"] == "meta" and int(x["shots"]) > 0
        }
        if args.model == "meta" or not shipped:
            continue
        replay = gated(lines, args.model, shown, FusionSettings())
        same = sum(shipped.get(episode_page(x)) == x["prediction"] for x in replay)
        print(f"fold {name}: replayed gate = `meta` on {same} of {len(replay)} predictions")


if __name__ == "__main__":
    main()
