"""What every `shopwright` subcommand shares: how it is declared, which errors are the user's."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

#: argparse's subparsers action (its class is private to argparse, so it goes untyped).
Subparsers = Any

#: Errors that mean the input (or the place to write to) is wrong: one line on stderr and exit
#: status 2, no traceback (unless -v). A command adds its own with `add_command(..., errors=...)`.
USER_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError)

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


def _int_at_least(lowest: int, text: str, most: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < lowest or (most is not None and value > most):
        bound = f"between {lowest} and {most}" if most is not None else f">= {lowest}"
        raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: a whole number >= 0."""
    return _int_at_least(0, text)


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    return _int_at_least(1, text)


def int_between(lowest: int, most: int) -> Callable[[str], int]:
    """argparse type: a whole number from `lowest` to `most`."""

    def parse(text: str) -> int:
        return _int_at_least(lowest, text, most)

    parse.__name__ = f"int from {lowest} to {most}"
    return parse


def device_arg(name: str) -> Any:
    """The torch device a `--device` option names (`auto`: cuda when there is one, else cpu),
    checked to be there on this machine (ValueError otherwise)."""
    import torch

    from extractor.neural.precision import resolve_device

    device = resolve_device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: this machine has no CUDA device; use cpu or auto")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise ValueError(f"--device {name}: there are {torch.cuda.device_count()} CUDA devices")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"--device {name}: this machine has no MPS device; use cpu or auto")
    if device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"--device {name}: shopwright runs on cpu, cuda or mps")
    return device
