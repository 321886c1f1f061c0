"""Is one method really ahead of another? A paired bootstrap over stores of an evaluation.

Two methods of one `evaluate` run saw the same stores, support pages and query pages, so their
macro F1 can be compared store by store. Resampling the stores with replacement (the unit that
varies: a new store brings a new layout) gives the spread of the difference that another draw of
stores of the same kind would show:

    python -m metatrain compare out/eval/real --methods meta,joint,pretrained

prints, per k and per baseline, the macro F1 of both, their difference, its 95 % interval, how
often the first method came out ahead, and on how many stores (each store's own macro F1) the
first method was better and worse.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metatrain.evaluate import PREDICTIONS_FILE, read_predictions, scored_pages
from metatrain.scoring import ScoredPage, score_pages
from metatrain.tasks import LabelledPage, read_labels

#: Per attribute: [correct, predicted, gold] summed over some pages.
Counts = Mapping[str, Sequence[int]]


@dataclass
class Comparison:
    """Method `a` against method `b` at one k, over the stores both were scored on."""

    a: str
    b: str
    shots: int
    stores: int
    macro_a: float
    macro_b: float
    low: float  #: 2.5th percentile of the bootstrap difference a - b
    high: float  #: 97.5th percentile
    ahead: float  #: share of bootstrap samples where a's macro F1 beats b's
    tied: float  #: share where they are equal
    better: int = 0  #: stores whose own macro F1 is higher with a
    worse: int = 0  #: stores whose own macro F1 is lower with a

    @property
    def difference(self) -> float:
        """Macro F1 of `a` minus that of `b` on the stores as they are."""
        return self.macro_a - self.macro_b

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "a": self.a,
            "b": self.b,
            "shots": self.shots,
            "stores": self.stores,
            "macro_a": round(self.macro_a, 4),
            "macro_b": round(self.macro_b, 4),
            "difference": round(self.difference, 4),
            "interval_95": [round(self.low, 4), round(self.high, 4)],
            "a_ahead": round(self.ahead, 4),
            "tied": round(self.tied, 4),
            "stores_better": self.better,
            "stores_worse": self.worse,
        }


def page_counts(page: ScoredPage) -> Counts:
    """The scoring rules' counts of one page, per attribute."""
    report = score_pages([page])
    return {name: [s.tp, s.predicted, s.gold] for name, s in report.attributes.items()}


def add(total: dict[str, list[int]], counts: Counts, times: int = 1) -> None:
    """Add `times` copies of `counts` into `total` in place."""
    for name, values in counts.items():
        row = total.setdefault(name, [0, 0, 0])
        for i, v in enumerate(values):
            row[i] += times * v


def macro_f1(total: Counts) -> float:
    """Mean F1 over attributes with a gold value, as `metatrain.scoring.Report.macro_f1`."""
    scores = []
    for tp, predicted, gold in total.values():
        if not gold:
            continue
        p = tp / predicted if predicted else 0.0
        r = tp / gold
        scores.append(2 * p * r / (p + r) if p + r else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def store_counts(
    predictions: Sequence[Mapping[str, Any]],
    pages: Sequence[LabelledPage],
    complete_labels: bool = False,
) -> dict[tuple[str, int], dict[str, dict[str, list[int]]]]:
    """Per (method, k), per store: the counts of all its scored pages (every repeat)."""
    result: dict[tuple[str, int], dict[str, dict[str, list[int]]]] = defaultdict(dict)
    for line, scored in scored_pages(predictions, pages, complete_labels):
        per_store = result[(line["method"], int(line["shots"]))]
        add(per_store.setdefault(line["site"], {}), page_counts(scored))
    return dict(result)


def pooled_macro(per_store: Mapping[str, Counts], drawn: Mapping[str, int]) -> float:
    """Macro F1 of the stores' counts pooled, each store taken `drawn[store]` times."""
    total: dict[str, list[int]] = {}
    for store, times in drawn.items():
        add(total, per_store[store], times)
    return macro_f1(total)


def paired_bootstrap(
    a: Mapping[str, Counts],
    b: Mapping[str, Counts],
    samples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float, float]:
    """(low, high, ahead, tied) of macro F1 a - b over stores drawn with replacement."""
    stores = sorted(set(a) & set(b))
    if not stores:
        raise ValueError("the two methods share no scored store")
    rng = random.Random(seed)
    differences: list[float] = []
    for _ in range(samples):
        drawn: dict[str, int] = defaultdict(int)
        for _ in stores:
            drawn[rng.choice(stores)] += 1
        differences.append(pooled_macro(a, drawn) - pooled_macro(b, drawn))
    differences.sort()
    low = differences[int(0.025 * (samples - 1))]
    high = differences[int(round(0.975 * (samples - 1)))]
    ahead = sum(d > 1e-12 for d in differences) / samples
    tied = sum(abs(d) <= 1e-12 for d in differences) / samples
    return low, high, ahead, tied


def compare(
    counts: Mapping[tuple[str, int], Mapping[str, Counts]],
    first: str,
    others: Sequence[str],
    samples: int = 2000,
    seed: int = 0,
) -> list[Comparison]:
    """`first` against each of `others` at every k both were scored at."""
    shots = sorted({k for m, k in counts if m == first})
    if not shots:
        raise ValueError(f"no predictions of method {first!r}")
    result = []
    for k in shots:
        for other in others:
            if (other, k) not in counts:
                continue
            a, b = counts[(first, k)], counts[(other, k)]
            once = dict.fromkeys(set(a) & set(b), 1)
            low, high, ahead, tied = paired_bootstrap(a, b, samples, seed)
            by_store = [macro_f1(a[s]) - macro_f1(b[s]) for s in once]
            result.append(
                Comparison(
                    first,
                    other,
                    k,
                    len(once),
                    pooled_macro(a, once),
                    pooled_macro(b, once),
                    low,
                    high,
                    ahead,
                    tied,
                    better=sum(d > 1e-12 for d in by_store),
                    worse=sum(d < -1e-12 for d in by_store),
                )
            )
    return result


def format_comparisons(comparisons: Sequence[Comparison]) -> str:
    """A plain-text table."""
    header = (
        f"{'a':<17}{'b':<17}{'k':>2}{'stores':>8}{'a':>8}{'b':>8}{'a - b':>8}"
        "  95% interval   a ahead  tied  stores a>b / a<b"
    )
    lines = [header, "-" * len(header)]
    for c in comparisons:
        lines.append(
            f"{c.a:<17}{c.b:<17}{c.shots:>2}{c.stores:>8}{c.macro_a:>8.4f}{c.macro_b:>8.4f}"
            f"{c.difference:>+8.4f}  [{c.low:+.3f}, {c.high:+.3f}]  {c.ahead:>6.1%}  {c.tied:>4.0%}"
            f"  {c.better:>8} / {c.worse}"
        )
    return "\n".join(lines)


def evaluation_counts(
    folder: Path, labels: Path | None = None
) -> tuple[dict[tuple[str, int], dict[str, dict[str, list[int]]]], list[LabelledPage]]:
    """`store_counts` of the evaluation in `folder` (an `evaluate --out` folder), and its pages
    (from `labels`, else the labels file the evaluation read)."""
    report_path = folder / "report.json"
    if not report_path.is_file() or not (folder / PREDICTIONS_FILE).is_file():
        raise FileNotFoundError(f"{folder} holds no evaluation (report.json, {PREDICTIONS_FILE})")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    labels = labels or Path(report["labels"])
    if not labels.is_file():
        raise FileNotFoundError(f"labels file {labels} not found: pass --labels")
    pages = read_labels(labels, strip_markup=bool(report.get("strip_markup")))
    predictions = read_predictions(folder / PREDICTIONS_FILE)
    return store_counts(predictions, pages, bool(report.get("complete_labels"))), pages


def run_compare(
    folder: Path,
    methods: Sequence[str],
    labels: Path | None = None,
    samples: int = 2000,
    seed: int = 0,
) -> list[Comparison]:
    """Compare methods[0] with the others on the evaluation in `folder`; writes compare.json."""
    counts, _ = evaluation_counts(folder, labels)
    comparisons = compare(counts, methods[0], methods[1:], samples, seed)
    out = {
        "evaluation": str(folder),
        "samples": samples,
        "seed": seed,
        "comparisons": [c.to_dict() for c in comparisons],
    }
    (folder / "compare.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return comparisons
