"""`shopwright meta-train` and `shopwright evaluate`: `python -m metatrain train|evaluate` under
the project's command."""

from __future__ import annotations

import argparse

#: shopwright subcommand -> help
COMMANDS = {
    "meta-train": "meta-train the extractor with higher (config file; = python -m metatrain train)",
    "evaluate": "k-shot evaluation per store, with baselines (= python -m metatrain evaluate)",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the subcommands; their options are parsed by `metatrain.__main__`, so that
    `shopwright --help` does not import torch."""
    for name, help_text in COMMANDS.items():
        parser = subparsers.add_parser(name, help=help_text, description=help_text, add_help=False)
        parser.add_argument("argv", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        parser.set_defaults(func=run, own_options=True)


def run(args: argparse.Namespace) -> int:
    """Hand the arguments to `python -m metatrain`."""
    from metatrain.__main__ import main

    return main([args.command, *args.argv], prog="shopwright", train_command="meta-train")
