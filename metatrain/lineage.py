"""Which stores a model has seen in training, its own and those of the models it started from.

Training writes them into training.json (`seen_stores`), so that an evaluation can tell whether
it scores a model on stores it trained on: a fold model that starts from a model trained on every
real store has seen the fold it is scored on, however its own training data was chosen.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.neural.checkpoint import TRAINING_FILE

logger = logging.getLogger(__name__)

SEEN_KEY = "seen_stores"
COMPLETE_KEY = "seen_stores_complete"


@dataclass(frozen=True)
class Lineage:
    """The stores a model trained on; `complete` is False where a model in its chain (the one it
    started from, or that one's) left no record of its training stores."""

    stores: frozenset[str]
    complete: bool

    def record(self, own: Collection[str]) -> dict[str, Any]:
        """training.json's fields for a model trained on `own` stores from this lineage."""
        return {SEEN_KEY: sorted(self.stores | set(own)), COMPLETE_KEY: self.complete}


NOTHING = Lineage(frozenset(), True)


def _training(model_dir: Path) -> dict[str, Any] | None:
    path = model_dir / TRAINING_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _own_stores(training: dict[str, Any]) -> set[str]:
    """A supervised run's `train_stores`, a meta-training run's training split."""
    stores = set(training.get("train_stores") or [])
    splits = training.get("splits")
    if isinstance(splits, dict):
        stores |= set(splits.get("train") or [])
    return stores


def model_lineage(model_dir: str | Path | None) -> Lineage:
    """The stores `model_dir` trained on, through the models it started from (None: a model
    trained from the plain encoder, which has seen no store)."""
    if model_dir is None:
        return NOTHING
    training = _training(Path(model_dir))
    if training is None:
        return Lineage(frozenset(), False)
    if SEEN_KEY in training:
        return Lineage(frozenset(training[SEEN_KEY]), bool(training.get(COMPLETE_KEY, True)))
    own = _own_stores(training)
    config = training.get("config")
    start = config.get("init_model") if isinstance(config, dict) else None
    if not start:
        return Lineage(frozenset(own), True)
    if not (Path(start) / TRAINING_FILE).is_file():
        return Lineage(frozenset(own), False)
    before = model_lineage(start)
    return Lineage(before.stores | own, before.complete)


def seen_among(model_dir: str | Path, sites: Collection[str]) -> tuple[list[str], bool]:
    """The `sites` that `model_dir` (or a model it started from) trained on, and whether its
    record is complete; a warning is logged when there are any."""
    lineage = model_lineage(model_dir)
    seen = sorted(set(sites) & lineage.stores)
    if seen:
        logger.warning(
            "%d of the %d evaluated stores are in the training data of %s or of a model it "
            "started from (%s%s): their figures are not figures on unseen stores",
            len(seen),
            len(set(sites)),
            model_dir,
            ", ".join(seen[:5]),
            ", ..." if len(seen) > 5 else "",
        )
    elif not lineage.complete:
        logger.info("%s: the stores of a model it started from are not recorded", model_dir)
    return seen, lineage.complete


def evaluated_stores_seen(model_dir: Path, sites: Collection[str]) -> dict[str, Any]:
    """report.json's `trained_on`: for the model directory and its `joint/` baseline (where
    there is one), the evaluated stores it trained on and whether its record is complete."""
    found: dict[str, Any] = {}
    for name, path in (("model", model_dir), ("joint", model_dir / "joint")):
        if (path / "config.json").is_file():
            seen, complete = seen_among(path, sites)
            found[name] = {"path": str(path), "stores": seen, "complete": complete}
    return found
