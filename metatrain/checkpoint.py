"""Resumable training checkpoints: the model directory, the optimizer's state (safetensors,
nothing unpickled) and the step reached, for supervised training and meta-training alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from extractor.neural.model import ExtractorModel

#: The checkpoint folder inside a run's output folder, and the files it holds besides the model.
CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "trainer_state.json"
OPTIMIZER_FILE = "optimizer.safetensors"


def save_checkpoint(
    model: ExtractorModel,
    optimizer: torch.optim.Optimizer,
    directory: Path,
    step: int,
    tokenizer: Any,
) -> None:
    """Write the model directory, the optimizer's state and the step into `directory`."""
    model.save_pretrained(directory, tokenizer)
    state = optimizer.state_dict()["state"]
    tensors = {
        f"{i}.{k}": (v if torch.is_tensor(v) else torch.tensor(v)).contiguous()
        for i, s in state.items()
        for k, v in s.items()
    }
    save_file(tensors, str(directory / OPTIMIZER_FILE))
    (directory / STATE_FILE).write_text(json.dumps({"step": step}) + "\n", encoding="utf-8")


def has_checkpoint(directory: Path) -> bool:
    """Whether a resumable checkpoint is there."""
    return (directory / STATE_FILE).is_file()


def load_checkpoint(optimizer: torch.optim.Optimizer, directory: Path) -> int:
    """Restore the optimizer's state from a checkpoint; returns the step it had reached."""
    state = optimizer.state_dict()
    for key, value in load_file(str(directory / OPTIMIZER_FILE)).items():
        index, name = key.split(".", 1)
        state["state"].setdefault(int(index), {})[name] = value
    optimizer.load_state_dict(state)
    return int(json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))["step"])
