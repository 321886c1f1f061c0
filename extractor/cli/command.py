"""What every `shopwright` subcommand shares: how it is declared, which errors are the user's."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Iterable
from typing import Any

#: argparse's subparsers action (its class is private to argparse, so it goes untyped).
Subparsers = Any

#: Errors that mean the input is wrong: one line on stderr and exit status 2, no traceback
#: (unless -v). A command adds its own with `add_command(..., errors=...)`.
USER_ERRORS: tuple[type[BaseException], ...] = (FileNotFoundError, ValueError)

#: Width of the description paragraph in `--help`.
WIDTH = 78


def add_command(
    subparsers: Subparsers,
    name: str,
    *,
    summary: str,
    description: str,
    examples: Iterable[str],
    errors: Iterable[type[BaseException]] = (),
) -> argparse.ArgumentParser:
    """Add subcommand `name`: `summary` in the command list, `description` as the paragraph of
    its `--help`, `examples` (command lines, each with an optional `# comment`) in the epilog,
    and the extra exception types it reports as input errors."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=summary,
        description=textwrap.fill(" ".join(description.split()), WIDTH),
        epilog="examples:\n" + "\n".join(f"  {line}" for line in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(errors=tuple(errors))
    return parser
