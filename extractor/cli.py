"""The `shopwright` command line: one subcommand per stage of the user's day."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

#: Modules that each add subcommands through `register(subparsers)`; imported only when needed
#: so that `shopwright --help` stays fast.
COMMAND_MODULES = (
    "extractor.cli_pages",
    "extractor.cli_adapt",
    "extractor.cli_extract",
    "extractor.cli_train",
    "extractor.cli_metatrain",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="shopwright", description="Turn an online store into a clean product catalog."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse `argv`; a subcommand that parses its own options (registered with
    `set_defaults(own_options=True)`: `train`, `meta-train`, `evaluate`) gets every word after its
    name, options included, in `argv`."""
    command_at = next((i for i, word in enumerate(argv) if not word.startswith("-")), None)
    if command_at is not None:
        sub = _subcommands(parser).get(argv[command_at])
        if sub is not None and sub.get_default("own_options"):
            head = parser.parse_args(argv[: command_at + 1])
            head.argv = argv[command_at + 1 :]
            return head
    return parser.parse_args(argv)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `shopwright` console script."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = parse_arguments(build_parser(), sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except (FileNotFoundError, ValueError) as exc:
        print(f"shopwright {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
