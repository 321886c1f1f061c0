"""The research commands of `shopwright`: train (supervised, the `joint` baseline), meta-train,
evaluate, compare and choose.

Plugged into the `shopwright` parser by the `shopwright.commands` entry point `research`
(pyproject.toml); `python -m metatrain` is the same parser under its old name. Registering the
commands imports no torch: each command imports its machinery when it runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import typing
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from extractor.cli.command import Subparsers, add_command
from extractor.neural.precision import PRECISIONS
from metatrain.config import MetaTrainConfig, TrainConfig

logger = logging.getLogger("metatrain")

#: Errors of the research machinery that are the input's fault (besides ValueError and
#: FileNotFoundError, which every command reports as such; LabelsError is a ValueError).
RESEARCH_ERRORS = (RuntimeError,)


# --- config dataclasses as options ------------------------------------------------------------


class _ListOption(argparse.Action):
    """A list field's values, space- or comma-separated: `--k-support 1 3 5` or `1,3,5`."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, [item for parts in values or () for item in parts])


def _items_of(kind: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """An argparse `type` that splits a word at commas and converts each part."""

    def parse(text: str) -> list[Any]:
        return [kind(part.strip()) for part in text.split(",") if part.strip()]

    parse.__name__ = getattr(kind, "__name__", "value")  # argparse names it in its errors
    return parse


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def _shown(default: Any) -> str:
    """A default as the help shows it: lists as the words an option takes, nothing as none."""
    if isinstance(default, list):
        return " ".join(map(str, default)) or "none"
    return "none" if default == "" else str(default)


def add_config_options(
    parser: argparse.ArgumentParser,
    config: type[Any],
    *,
    title: str,
    skip: Iterable[str] = (),
    overrides: bool = False,
) -> None:
    """One option per field of the dataclass `config` (like transformers' HfArgumentParser):
    `--field-name`, of the field's type, with its default and its `metadata["help"]`; a bool is
    `--name/--no-name`, a list takes several values (`--data a b`, or `--data a,b`). With
    `overrides` the options default to nothing (argparse.SUPPRESS): only the options given
    reach the namespace, to override a config file."""
    group = parser.add_argument_group(title)
    types = typing.get_type_hints(config)
    for f in dataclasses.fields(config):
        if f.name in skip:
            continue
        kind, default = types[f.name], _default(f)
        options: dict[str, Any] = {
            "dest": f.name,
            "default": argparse.SUPPRESS if overrides else default,
            "help": f.metadata.get("help", "").replace("%", "%%"),
        }
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(kind) is list:
            (item,) = typing.get_args(kind)
            options |= {"nargs": "*", "type": _items_of(item), "action": _ListOption}
        elif kind in (int, float, str):
            options["type"] = kind
        else:
            raise TypeError(f"{config.__name__}.{f.name}: no option for type {kind}")
        action = group.add_argument("--" + f.name.replace("_", "-"), **options)
        if action.help is not None and "(default:" not in action.help:  # bools may have it
            action.help += f" (default: {_shown(default)})"


def config_values(args: argparse.Namespace, config: type[Any]) -> dict[str, Any]:
    """The values of `config`'s fields found in parsed arguments."""
    present = vars(args)
    return {f.name: present[f.name] for f in dataclasses.fields(config) if f.name in present}


# --- the commands ------------------------------------------------------------------------------


def register(subparsers: Subparsers) -> None:
    """Add train, meta-train, evaluate, compare and choose."""
    _register_train(subparsers)
    _register_meta_train(subparsers)
    _register_evaluate(subparsers)
    _register_compare(subparsers)
    _register_choose(subparsers)


def _register_train(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers,
        "train",
        summary="train the extractor on labelled pages (supervised, the `joint` baseline)",
        description="Train the token-classification extractor on folders in the labels.jsonl "
        "format (`python -m fixtures write` output, ../shared/realpages); spans come from the "
        "value matcher. Stores are split into train and held-out eval stores. The options are "
        "the fields of metatrain.config.TrainConfig, saved with the model in training.json.",
        examples=[
            "shopwright train data/fixtures-train --out out/joint --steps 400 --train-layers 2",
            "shopwright train data/fixtures-train --out out/joint --resume   # continue a run",
        ],
        errors=RESEARCH_ERRORS,
    )
    parser.add_argument("data", nargs="+", help="folders that hold a labels.jsonl")
    add_config_options(parser, TrainConfig, title="training settings", skip={"data"})
    parser.set_defaults(func=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    """Train and print the held-out metrics as JSON."""
    from metatrain.supervised import train

    values = config_values(args, TrainConfig)
    metrics = train(TrainConfig(**values))
    print(json.dumps({"out": values["out"], "eval": metrics.get("eval", {})}, indent=2))
    return 0


def _register_meta_train(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers,
        "meta-train",
        summary="meta-train the extractor with higher (maml, fomaml, reptile, generation)",
        description="Meta-train the extractor across stores (one task per store: k annotated "
        "support pages, query pages) from a MetaTrainConfig JSON file; each field of the "
        "config can also be given as an option, which overrides the file. Without --config "
        "the options alone make the config (--data at least). The config is saved next to "
        "every checkpoint.",
        examples=[
            "shopwright meta-train --config configs/meta.json",
            "shopwright meta-train --config configs/meta.json --meta-batch 2 --steps 50 "
            "--out runs/try",
            "shopwright meta-train --data data/fixtures-train/labels.jsonl --algorithm reptile",
            "shopwright meta-train --config configs/meta.json --check   # validate, do not train",
        ],
        errors=RESEARCH_ERRORS,
    )
    parser.add_argument("--config", type=Path, help="MetaTrainConfig JSON file")
    parser.add_argument("--help-config", action="store_true", help="list the config fields")
    parser.add_argument("--check", action="store_true", help="validate the config and stop")
    add_config_options(
        parser, MetaTrainConfig, title="config fields (override --config)", overrides=True
    )
    parser.set_defaults(func=cmd_meta_train)


def cmd_meta_train(args: argparse.Namespace) -> int:
    """Build the config from the file and the options, validate it, and meta-train."""
    if args.help_config:
        print(MetaTrainConfig.describe())
        return 0
    overrides = config_values(args, MetaTrainConfig)
    if args.config is None and not overrides.get("data"):
        raise ValueError(
            "meta-train needs --config FILE, or the stores to train on as --data LABELS.jsonl "
            "(see --help-config)"
        )
    if args.config is not None:
        config = dataclasses.replace(MetaTrainConfig.load(args.config), **overrides)
    else:
        config = MetaTrainConfig(**overrides)
    if args.check:
        print(f"{args.config or 'the options'}: valid")
        return 0
    from metatrain.meta_train import train

    train(config)
    return 0


def _shots(text: str) -> list[int]:
    try:
        shots = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        msg = f"--shots wants integers like 0,1,3,5, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not shots or any(k < 0 for k in shots):
        raise argparse.ArgumentTypeError(f"--shots wants integers >= 0, got {text!r}")
    return sorted(set(shots))


def _register_evaluate(subparsers: Subparsers) -> None:
    ev = add_command(
        subparsers,
        "evaluate",
        summary="k-shot evaluation per store against the baselines",
        description="Evaluate the model (and with --baselines the other methods) on the "
        "stores of a labels.jsonl: per store and k, seeded support choices of k annotated "
        "pages, adaptation, extraction of the other pages, scores. Writes predictions.jsonl, "
        "report.json and the F1-vs-shots plot to --out and prints the table.",
        examples=[
            "shopwright evaluate --labels ../shared/realpages/labels.jsonl --shots 0,1,3,5 "
            "--repeats 3 --seed 0 --out out/eval/real --baselines",
            "shopwright evaluate --labels data/fixtures-eval/labels.jsonl --out out/eval/fix "
            "--methods meta,joint --no-markup --complete-labels",
        ],
        errors=RESEARCH_ERRORS,
    )
    ev.set_defaults(func=cmd_evaluate)
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
        help="run only these methods (comma list of meta, meta-steps, meta-no-rules, "
        "meta-no-gate, meta-self-training, pretrained, joint, joint-prototypes, wrapper, "
        "structured)",
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
    ev.add_argument(
        "--strip-markup",
        action="store_true",
        help="remove JSON-LD, microdata, RDFa, Open Graph and product meta tags from every page "
        "before anything runs (what a store without markup looks like): every method, fusion "
        "and rules included, and the scoring see the stripped pages",
    )
    ev.add_argument("--no-progress", action="store_true", help="no progress bar")


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Run the evaluation harness, print the table, save the plot."""
    from extractor.modeldir import DEFAULT_MODEL_DIR
    from metatrain.evaluate import PLOT_FILE, evaluate
    from metatrain.lineage import evaluated_stores_seen
    from metatrain.methods import build_methods
    from metatrain.report import format_table, plot_f1
    from metatrain.tasks import read_labels

    if args.repeats < 1:
        raise ValueError("--repeats must be >= 1")
    pages = read_labels(args.labels, strip_markup=args.strip_markup)
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
        strip_markup=args.strip_markup,
        progress=not args.no_progress,
        trained_on=evaluated_stores_seen(
            Path(args.model) if args.model else DEFAULT_MODEL_DIR, {page.site for page in pages}
        ),
    )
    plot_f1(report, args.out / PLOT_FILE)
    print(format_table(report))
    print(f"\nwrote {args.out}/predictions.jsonl, report.json, {PLOT_FILE}")
    return 0


def _register_compare(subparsers: Subparsers) -> None:
    cm = add_command(
        subparsers,
        "compare",
        summary="is one method of an evaluation ahead of others? (paired bootstrap over stores)",
        description="Compare the first method of --methods with each other one on an "
        "evaluation's results, per k: the difference of macro F1 with a 95% interval from a "
        "paired bootstrap over stores, and the stores on which each is better. Writes "
        "compare.json into the evaluation folder.",
        examples=[
            "shopwright compare out/eval/real --methods meta,joint,pretrained",
            "shopwright compare out/eval/real --methods meta,joint --samples 10000 --seed 1",
        ],
        errors=RESEARCH_ERRORS,
    )
    cm.set_defaults(func=cmd_compare)
    cm.add_argument("evaluation", type=Path, help="an evaluate --out folder")
    cm.add_argument(
        "--methods",
        default="meta,joint,pretrained",
        help="the method to test, then those to test it against (comma list)",
    )
    cm.add_argument("--labels", type=Path, default=None, help="labels file (default: the run's)")
    cm.add_argument("--samples", type=int, default=2000, help="bootstrap samples")
    cm.add_argument("--seed", type=int, default=0, help="bootstrap seed")


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


def _register_choose(subparsers: Subparsers) -> None:
    ch = add_command(
        subparsers,
        "choose",
        summary="choose among methods of an evaluation by two-fold cross-validation over stores",
        description="Choose a setting honestly: per k, the evaluation's stores are split in "
        "two folds, each fold gets the candidate that scored better on the other fold, and the "
        "choices are scored together. Writes choose.json into the evaluation folder.",
        examples=["shopwright choose out/eval/real --methods meta,meta-steps"],
        errors=RESEARCH_ERRORS,
    )
    ch.set_defaults(func=cmd_choose)
    ch.add_argument("evaluation", type=Path, help="an evaluate --out folder")
    ch.add_argument("--methods", required=True, help="the candidates (comma list)")
    ch.add_argument("--labels", type=Path, default=None, help="labels file (default: the run's)")


def cmd_choose(args: argparse.Namespace) -> int:
    """Per k, each fold's stores get the method better on the other fold; scored together."""
    from metatrain.crossval import format_choices, run_choose

    methods = _two_or_more(args.methods, "at least two candidates")
    print(format_choices(run_choose(args.evaluation, methods, args.labels)))
    print(f"\nwrote {args.evaluation}/choose.json")
    return 0
