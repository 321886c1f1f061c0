"""The `shopwright` command line: one parser, one subcommand per stage of the user's day.

The product's commands are defined here (import-pages, stores, annotate, adapt, extract). The
crawl and research commands (crawl; train, meta-train, evaluate, compare, choose) plug in through
the installed package's `shopwright.commands` entry points, each a `register(subparsers)`: the
product imports neither `crawler` nor `metatrain`. Registering a command imports no torch,
transformers, datasets or scrapy, so that `shopwright --help` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib.metadata import EntryPoint, entry_points

from extractor.cli import adapt, extract, pages, stores
from extractor.cli.command import USER_ERRORS, Subparsers

#: Entry-point group of the commands that other packages add.
ENTRY_POINT_GROUP = "shopwright.commands"

DESCRIPTION = "Turn an online store into a clean product catalog."
EPILOG = """\
the user's day:
  shopwright crawl https://shop.example/ --store example   # -> data/example/pages
  shopwright annotate example                              # browser -> annotations.jsonl
  shopwright adapt example                                 # -> data/example/model
  shopwright extract example -o example.json               # JSON catalog
  shopwright stores                                        # what data/ holds

`shopwright COMMAND --help` describes a command, with examples."""


def plugin_commands() -> list[Callable[[Subparsers], None]]:
    """The `register(subparsers)` functions of the `shopwright.commands` entry points, by
    entry-point name (a name found twice, as in a stale egg-info next to the install, counts
    once)."""
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point)
    return [found[name].load() for name in sorted(found)]


def build_parser(prog: str = "shopwright") -> argparse.ArgumentParser:
    """The argument parser with every subcommand: the product's, then the plugged-in ones."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logging; tracebacks of errors"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (pages, stores, adapt, extract):
        module.register(subparsers)
    for register in plugin_commands():
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "shopwright") -> int:
    """Entry point of the `shopwright` console script (and of `python -m metatrain`, with its
    own `prog`); an error in the input ends with one line on stderr and exit status 2, any other
    error with one line and exit status 1 (tracebacks with -v)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = build_parser(prog).parse_args(argv)
    if not getattr(args, "own_logging", False):  # `crawl`: Scrapy sets logging up from settings
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    try:
        return int(args.func(args) or 0)
    except (*USER_ERRORS, *getattr(args, "errors", ())) as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"{prog} {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog} {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, the traceback with -v
        if args.verbose:
            traceback.print_exc()
        print(
            f"{prog} {args.command}: internal error: {type(exc).__name__}: {one_line(exc)} "
            "(run with -v for the traceback, and please report it)",
            file=sys.stderr,
        )
        return 1


def one_line(exc: BaseException) -> str:
    """An error's message on one line (an OSError's with the file it names)."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename is not None:
        text = f"{exc.filename}: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())
