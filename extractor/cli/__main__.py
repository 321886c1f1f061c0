"""`python -m extractor.cli`: the `shopwright` command."""

from __future__ import annotations

import sys

from extractor.cli import main

sys.exit(main())
