"""`python -m metatrain evaluate|compare|train`: the evaluation harness, the paired comparison of
its methods, and the meta-training entry."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

logger = logging.getLogger("metatrain")


def _shots(text: str) -> list[int]:
    try:
        shots = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        msg = f"--shots wants integers like 0,1,3,5, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not shots or any(k < 0 for k in shots):
        raise argparse.ArgumentTypeError(f"--shots wants integers >= 0, got {text!r}")
    return sorted(set(shots))


def build_parser(
    prog: str = "python -m metatrain", train_command: str = "train"
) -> argparse.ArgumentParser:
    """The command-line interface (`prog` and `train_command`: the names its help shows;
    `shopwright meta-train` is this `train`)."""
    from extractor.neural.precision import PRECISIONS

    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    ev = sub.add_parser("evaluate", help="k-shot evaluation per store against the baselines")
    ev.set_defaults(handler=cmd_evaluate)
    ev.add_argument("--labels", required=True, type=Path, help="labels.jsonl (realpages format)")
    ev.add_argument("--shots", type=_shots, default=[0, 1, 3, 5], help="k values, e.g. 0,1,3,5")
    ev.add_argument("--repeats", type=int, default=3, help="seeded repeats per site and k")
    ev.add_argument("--seed", type=int, default=0, help="seed of the support choices")
    ev.add_argument("--out", required=True, type=Path, help="output folder")
    ev.add_argument("--model", type=Path, default=None, help="model directory (default: shipped)")
    ev.add_argument("--baselines", action="store_true", help="also run the baselines")
    ev.add_argument(
        "--complete-labels",
        action="store_true",
        help="labels list every attribute a page has (fixture stores): predictions for "
        "attributes without a gold value count as wrong",
    )
    ev.add_argument(
        "--methods",
        default=None,
        help="run only these methods (comma list of meta, meta-steps, pretrained, joint, "
        "joint-prototypes, wrapper, structured)",
    )
    ev.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="what model-based methods extract at: auto = bf16 on a CPU with native bf16, else "
        "fp32; int8 = dynamic quantization (CPU); adaptation always runs in fp32",
    )
    ev.add_argument(
        "--no-markup",
        action="store_true",
        help="model-based methods extract without the page's structured data (JSON-LD, "
        "microdata, Open Graph): their spans and the price rules alone, to compare the models",
    )
    ev.add_argument("--no-progress", action="store_true", help="no progress bar")

    cm = sub.add_parser(
        "compare",
        help="is one method of an evaluation ahead of others? (paired bootstrap over stores)",
    )
    cm.set_defaults(handler=cmd_compare)
    cm.add_argument("evaluation", type=Path, help="an evaluate --out folder")
    cm.add_argument(
        "--methods",
        default="meta,joint,pretrained",
        help="the method to test, then those to test it against (comma list)",
    )
    cm.add_argument("--labels", type=Path, default=None, help="labels file (default: the run's)")
    cm.add_argument("--samples", type=int, default=2000, help="bootstrap samples")
    cm.add_argument("--seed", type=int, default=0, help="bootstrap seed")

    ch = sub.add_parser(
        "choose",
        help="choose among methods of an evaluation by two-fold cross-validation over its stores",
    )
    ch.set_defaults(handler=cmd_choose)
    ch.add_argument("evaluation", type=Path, help="an evaluate --out folder")
    ch.add_argument("--methods", required=True, help="the candidates (comma list)")
    ch.add_argument("--labels", type=Path, default=None, help="labels file (default: the run's)")

    tr = sub.add_parser(train_command, help="meta-train the extractor (config file)")
    tr.set_defaults(handler=cmd_train)
    tr.add_argument("--config", type=Path, help="MetaTrainConfig JSON file")
    tr.add_argument("--help-config", action="store_true", help="list the config fields")
    tr.add_argument("--check", action="store_true", help="validate the config and stop")
    return parser


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Run the evaluation harness, print the table, save the plot."""
    from metatrain.evaluate import PLOT_FILE, evaluate
    from metatrain.methods import build_methods
    from metatrain.report import format_table, plot_f1
    from metatrain.tasks import read_labels

    if args.repeats < 1:
        raise ValueError("--repeats must be >= 1")
    pages = read_labels(args.labels)
    if not pages:
        raise ValueError(f"{args.labels} lists no pages")
    only = [m.strip() for m in args.methods.split(",") if m.strip()] if args.methods else None
    methods = build_methods(
        args.model, args.baselines, only, precision=args.precision, markup=not args.no_markup
    )
    logger.info(
        "evaluating %s on %d pages: methods %s, shots %s, %d repeats",
        args.labels,
        len(pages),
        [m.name for m in methods],
        args.shots,
        args.repeats,
    )
    report = evaluate(
        pages,
        methods,
        shots=args.shots,
        repeats=args.repeats,
        seed=args.seed,
        out=args.out,
        labels_path=str(args.labels),
        complete_labels=args.complete_labels,
        markup=not args.no_markup,
        progress=not args.no_progress,
    )
    plot_f1(report, args.out / PLOT_FILE)
    print(format_table(report))
    print(f"\nwrote {args.out}/predictions.jsonl, report.json, {PLOT_FILE}")
    return 0


def _two_or_more(text: str, wanted: str) -> list[str]:
    """The methods of a `--methods` comma list, at least two of them."""
    methods = [m.strip() for m in text.split(",") if m.strip()]
    if len(methods) < 2:
        raise ValueError(f"--methods wants {wanted}")
    return methods


def cmd_compare(args: argparse.Namespace) -> int:
    """Paired bootstrap over stores: the first method against each other one, per k."""
    from metatrain.compare import format_comparisons, run_compare

    methods = _two_or_more(args.methods, "the method to test and at least one other")
    if args.samples < 100:
        raise ValueError("--samples must be >= 100")
    comparisons = run_compare(args.evaluation, methods, args.labels, args.samples, args.seed)
    print(format_comparisons(comparisons))
    print(f"\nwrote {args.evaluation}/compare.json")
    return 0


def cmd_choose(args: argparse.Namespace) -> int:
    """Per k, each fold's stores get the method better on the other fold; scored together."""
    from metatrain.crossval import format_choices, run_choose

    methods = _two_or_more(args.methods, "at least two candidates")
    print(format_choices(run_choose(args.evaluation, methods, args.labels)))
    print(f"\nwrote {args.evaluation}/choose.json")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Validate a config and run meta-training."""
    from metatrain.config import MetaTrainConfig

    if args.help_config:
        print(MetaTrainConfig.describe())
        return 0
    if args.config is None:
        raise ValueError("train needs --config FILE (see --help-config)")
    config = MetaTrainConfig.load(args.config)
    if args.check:
        print(f"{args.config}: valid")
        return 0
    from metatrain.meta_train import train

    train(config)
    return 0


def main(
    argv: list[str] | None = None, prog: str = "python -m metatrain", train_command: str = "train"
) -> int:
    """Entry point; errors in the input end with a one-line message and exit status 2."""
    args = build_parser(prog, train_command).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.handler(args))
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        logger.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
