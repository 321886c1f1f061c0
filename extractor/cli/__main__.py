"""`python -m extractor.cli`: the `shopwright` command."""

from __future__ import annotations

import sys

from extractor.cli import main

# Guarded: `--workers` spawns processes, which import this module again under another name.
if __name__ == "__main__":
    sys.exit(main())
