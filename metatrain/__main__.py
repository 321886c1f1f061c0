"""`python -m metatrain`: the `shopwright` command line under its old name (`python -m metatrain
evaluate ...` is `shopwright evaluate ...`; meta-training is `meta-train`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from extractor.cli import main as shopwright_main

PROG = "python -m metatrain"


def main(argv: Sequence[str] | None = None) -> int:
    """The `shopwright` parser and commands, named `python -m metatrain` in help and errors."""
    return shopwright_main(argv, prog=PROG)


if __name__ == "__main__":
    sys.exit(main())
