"""Choose between methods of one evaluation by two-fold cross-validation over its stores.

A setting such as the number of SGD steps at adaptation is a choice made on data: made on the
stores it is then scored on, it flatters itself. Here the stores are split in two folds
(`metatrain.tasks.two_folds`); each fold's stores get the method that scored better on the
*other* fold, and the choices are scored together, every store once, by a choice made without it.

    python -m metatrain choose out/eval/nm-final --methods meta,meta-steps
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from metatrain.compare import Counts, evaluation_counts, pooled_macro
from metatrain.tasks import two_folds


@dataclass
class FoldChoice:
    """What one fold's stores get: the method better on the other fold, with its scores there."""

    fold: int
    stores: int
    chosen: str
    other_fold_macro: dict[str, float]


@dataclass
class CrossValidated:
    """The cross-validated choice at one k: per fold, and the choices scored together."""

    shots: int
    folds: list[FoldChoice]
    macro: float  #: the chosen methods, each store scored with its fold's choice
    per_method: dict[str, float]  #: each method alone on the same stores

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return asdict(self)


def choose(
    counts: Mapping[tuple[str, int], Mapping[str, Counts]],
    methods: Sequence[str],
    page_counts: Mapping[str, int],
) -> list[CrossValidated]:
    """The cross-validated choice among `methods` at every k all of them were scored at."""
    shots = sorted(k for k in {k for _, k in counts} if all((m, k) in counts for m in methods))
    if not shots:
        raise ValueError(f"methods {list(methods)} were not scored at a common k")
    result = []
    for k in shots:
        stores = set.intersection(*(set(counts[(m, k)]) for m in methods))
        folds = [set(f) for f in two_folds({s: page_counts.get(s, 0) for s in stores})]
        combined: dict[str, Counts] = {}
        choices = []
        for i, own in enumerate(folds):
            other = dict.fromkeys(folds[1 - i], 1)
            if not other:
                raise ValueError(f"k = {k}: too few stores for two folds")
            scores = {m: pooled_macro(counts[(m, k)], other) for m in methods}
            best = max(methods, key=lambda m: scores[m])  # first listed wins a tie
            choices.append(FoldChoice(i, len(own), best, scores))
            combined.update({s: counts[(best, k)][s] for s in own})
        once = dict.fromkeys(stores, 1)
        per_method = {m: pooled_macro(counts[(m, k)], once) for m in methods}
        result.append(CrossValidated(k, choices, pooled_macro(combined, once), per_method))
    return result


def format_choices(results: Sequence[CrossValidated]) -> str:
    """A plain-text table: per k, each fold's choice, then the cross-validated macro F1."""
    lines = []
    for r in results:
        for f in r.folds:
            scores = ", ".join(f"{m} {v:.4f}" for m, v in f.other_fold_macro.items())
            lines.append(f"k={r.shots} fold {f.fold} ({f.stores} stores): {f.chosen}  [{scores}]")
        alone = ", ".join(f"{m} {v:.4f}" for m, v in r.per_method.items())
        lines.append(f"k={r.shots} cross-validated choice {r.macro:.4f}  [{alone}]")
    return "\n".join(lines)


def run_choose(
    folder: Path, methods: Sequence[str], labels: Path | None = None
) -> list[CrossValidated]:
    """The cross-validated choice among `methods` of the evaluation in `folder`; writes
    choose.json."""
    counts, pages = evaluation_counts(folder, labels)
    results = choose(counts, methods, Counter(page.site for page in pages))
    out: dict[str, object] = {"evaluation": str(folder), "methods": list(methods)}
    out["choices"] = [r.to_dict() for r in results]
    (folder / "choose.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return results
