"""`shopwright train`: supervised training of the extractor from labels.jsonl folders."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

DESCRIPTION = (
    "Train the token-classification extractor on folders in the labels.jsonl format "
    "(`python -m fixtures write` output, ../shared/realpages); spans come from the value matcher. "
    "Stores are split into train and held-out eval stores."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the train subcommand; its options (TrainConfig's fields) are parsed in `run`, so that
    `shopwright --help` does not import torch."""
    parser = subparsers.add_parser(
        "train",
        help="train the extractor on labelled pages (supervised baseline)",
        description=DESCRIPTION,
        add_help=False,
    )
    parser.add_argument("argv", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.set_defaults(func=run, own_options=True)


def train_parser() -> argparse.ArgumentParser:
    """The full parser of `shopwright train` (imports the training code)."""
    from metatrain.supervised import TrainConfig

    parser = argparse.ArgumentParser(prog="shopwright train", description=DESCRIPTION)
    parser.add_argument("data", nargs="+", help="folders that hold a labels.jsonl")
    for f in dataclasses.fields(TrainConfig):
        if f.name == "data":
            continue
        flag = "--" + f.name.replace("_", "-")
        default: Any = f.default
        help_text = f"{f.metadata.get('help', '')} (default: {default})"
        if f.type in ("bool", bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default,
                                help=help_text)  # fmt: skip
        else:
            kind = {"int": int, "float": float}.get(str(f.type), str)
            parser.add_argument(flag, type=kind, default=default, help=help_text)
    return parser


def run(args: argparse.Namespace) -> int:
    """Train and print the held-out metrics as JSON."""
    from metatrain.supervised import TrainConfig, train

    options = train_parser().parse_args(args.argv)
    values = {f.name: getattr(options, f.name) for f in dataclasses.fields(TrainConfig)}
    metrics = train(TrainConfig(**values))
    print(json.dumps({"out": values["out"], "eval": metrics.get("eval", {})}, indent=2))
    return 0
