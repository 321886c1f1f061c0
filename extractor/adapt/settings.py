"""How a model adapts to a store: inner steps and rates, and the model's own default."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.adapt.transductive import SelfTraining
from extractor.neural.checkpoint import TRAINING_FILE


@dataclass
class AdaptSettings:
    """Test-time adaptation: inner steps and rates. A meta-trained model adapts with the inner
    loop it was meta-trained for (`for_model`); other models are fine-tuned with the defaults."""

    steps: int = 10
    inner_lr: float = 1e-3
    head_lr: float = 1e-2
    max_windows: int = 4  #: labelled windows kept per support page
    batch_size: int = 16
    crop_tokens: int = 96  #: tokens per window the upper layers adapt on (0: whole windows)
    #: the transductive step: the store's surely read pages join the support (default: off)
    self_training: SelfTraining = field(default_factory=SelfTraining)

    @classmethod
    def for_model(
        cls, model_dir: str | Path, *, inner_loop: bool = False, **overrides: Any
    ) -> AdaptSettings:
        """A model's default adaptation: the steps its export chose (training.json's
        `adaptation`), else the inner loop (steps and rates) of its meta-training (no step after
        `generation`, which trains the head generated from the support as it is), else the
        defaults for a model that was not meta-trained. `inner_loop`: the meta-training's inner
        loop even where the export chose otherwise (more steps than the meta-training's
        overshoot)."""
        path = Path(model_dir) / TRAINING_FILE
        training = json.loads(path.read_text()) if path.is_file() else {}
        config = training.get("config", {}) if isinstance(training, dict) else {}
        chosen = training.get("adaptation", {}) if isinstance(training, dict) else {}
        learned: dict[str, Any] = {}
        if isinstance(config, dict) and "inner_steps" in config:
            generated = config.get("algorithm") == "generation"  # trained with no inner loop
            learned = {
                "steps": 0 if generated else int(config["inner_steps"]),
                "inner_lr": float(config["inner_lr"]),
                "head_lr": float(config["head_lr"]),
            }
        if not inner_loop and isinstance(chosen, dict) and "steps" in chosen:
            learned["steps"] = int(chosen["steps"])
        return cls(**{**learned, **{k: v for k, v in overrides.items() if v is not None}})
