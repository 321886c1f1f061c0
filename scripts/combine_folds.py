"""Score the predictions of the real-store folds together (`scripts/real_folds.py`).

Each fold's models were evaluated on the stores they never saw; together the folds cover every
real store once, with the same seeded support pages as an evaluation of all stores, so the
combined table compares with `python -m metatrain evaluate` on the whole labels file.

    .venv/bin/python scripts/combine_folds.py --folds out/eval/fold-A out/eval/fold-B \
        --labels data/real-folds/A-eval/labels.jsonl data/real-folds/B-eval/labels.jsonl \
        --out out/eval/folds
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from extractor.data.jsonl import read_objects
from metatrain.evaluate import PREDICTIONS_FILE, read_predictions, score_predictions
from metatrain.report import format_table
from metatrain.tasks import read_labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=Path, nargs="+", required=True, help="evaluate --out dirs")
    parser.add_argument("--labels", type=Path, nargs="+", required=True, help="fold eval labels")
    parser.add_argument("--out", type=Path, required=True, help="folder for the combined report")
    parser.add_argument(
        "--newer",
        type=Path,
        nargs="*",
        default=[],
        help="later evaluations of the same folds (same seed, shots, repeats): every method they "
        "ran replaces that method's lines from --folds",
    )
    parser.add_argument(
        "--add",
        nargs="*",
        default=[],
        metavar="DIR:METHOD=NAME,...",
        help="other evaluations of the same pages (same seed, shots, repeats, markup mode): "
        "their lines of the named methods are added under the new names (pages of --labels only)",
    )
    args = parser.parse_args()
    added = [(Path(folder), names) for folder, _, names in (a.partition(":") for a in args.add)]
    report_of = {
        folder: json.loads((folder / "report.json").read_text())
        for folder in [*args.folds, *args.newer, *(folder for folder, _ in added)]
    }
    reports = [report_of[fold] for fold in args.folds]
    stripped = {bool(r.get("strip_markup")) for r in reports}
    if len(stripped) != 1:
        raise SystemExit("the folds were evaluated with and without --strip-markup: not comparable")
    strip = stripped.pop()  # score as the folds were scored: on stripped pages when stripped
    pages = [page for path in args.labels for page in read_labels(path, strip_markup=strip)]
    lines = [line for fold in args.folds for line in read_predictions(fold / PREDICTIONS_FILE)]
    newer = [line for fold in args.newer for line in read_predictions(fold / PREDICTIONS_FILE)]
    replaced = {line["method"] for line in newer}
    lines = [line for line in lines if line["method"] not in replaced] + newer
    keys = {(page.site, page.page.file) for page in pages}
    for folder, names in added:
        rename = dict(pair.split("=", 1) for pair in names.split(",") if pair)
        if bool(report_of[folder].get("strip_markup")) != strip:
            raise SystemExit(f"{folder} was evaluated in the other markup mode: not comparable")
        lines += [
            {**line, "method": rename[line["method"]]}
            for line in read_predictions(folder / PREDICTIONS_FILE)
            if line["method"] in rename and (line["site"], line["file"]) in keys
        ]
    args.out.mkdir(parents=True, exist_ok=True)
    # One labels file and one predictions file for both folds, so that `shopwright compare` and
    # `shopwright choose` read the combined folder like any evaluation.
    labels = args.out / "labels.jsonl"
    rows = [
        {**row, "file": str((path.parent / row["file"]).resolve())}
        for path in args.labels
        for _, row in read_objects(path, ValueError)
    ]
    labels.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    (args.out / PREDICTIONS_FILE).write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), "utf-8"
    )
    report = {
        "folds": [str(f) for f in args.folds],
        "labels": str(labels),
        "fold_labels": [str(p) for p in args.labels],
        "strip_markup": strip,
        "complete_labels": False,
        # per fold, the evaluated stores its models trained on (empty: figures on unseen stores)
        "trained_on": {
            str(folder): report.get("trained_on", "not recorded")
            for folder, report in report_of.items()
        },
        **score_predictions(lines, pages),
    }
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(format_table(report))
    seen = sorted(
        {s for found in report["trained_on"].values() if isinstance(found, dict)
         for model in found.values() for s in model["stores"]}
    )  # fmt: skip
    if seen:
        print(f"WARNING: {len(seen)} evaluated stores were in a model's training data: {seen[:5]}")
    for method, by_k in report["results"].items():
        macro = " / ".join(f"{by_k[k]['macro_f1']:.4f}" for k in sorted(by_k, key=int))
        print(f"{method}: macro {macro}")


if __name__ == "__main__":
    main()
