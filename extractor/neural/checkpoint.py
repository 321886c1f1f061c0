"""Model directories: safetensors weights (only what differs from the base encoder), config.json,
the tokenizer and training.json; nothing is unpickled.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from extractor.neural.config import (
    ExtractorConfig,
    resolve_encoder,
)
from extractor.neural.model import ExtractorModel, _build_encoder
from extractor.neural.tokenizer import Tokenizer

logger = logging.getLogger(__name__)


WEIGHTS_FILE = "model.safetensors"


CONFIG_FILE = "config.json"


TRAINING_FILE = "training.json"


def load_tokenizer(name_or_dir: str | Path) -> Any:
    """The tokenizer of an encoder name or a saved model directory."""
    return Tokenizer.from_directory(resolve_encoder(str(name_or_dir)))


def _base_state(config: ExtractorConfig) -> dict[str, torch.Tensor]:
    """The base encoder's parameters, keyed as inside ExtractorModel ("encoder." prefix)."""
    base = _build_encoder(config, pretrained=True)
    return {f"encoder.{k}": v for k, v in base.state_dict().items()}


def save_model(
    model: ExtractorModel,
    directory: Path,
    tokenizer: Any = None,
    training: Mapping[str, Any] | None = None,
) -> None:
    """Write a model directory; encoder tensors equal to the base encoder's are left out."""
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    if model.config.encoder:
        base = _base_state(model.config)
        same = [k for k, v in state.items() if k in base and torch.equal(v, base[k])]
        for k in same:
            del state[k]
        logger.info(
            "saving %d tensors (%d equal to the base encoder left out)", len(state), len(same)
        )
    save_file(state, str(directory / WEIGHTS_FILE), metadata={"format": "pt"})
    config = model.config.to_dict() | {"format": "shopwright-extractor", "version": 1}
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    if tokenizer is None and model.config.encoder:
        tokenizer = load_tokenizer(model.config.encoder)
    if tokenizer is not None:
        tokenizer.save_pretrained(str(directory))
    if training is not None:
        text = json.dumps(dict(training), indent=2, default=str)
        (directory / TRAINING_FILE).write_text(text + "\n", encoding="utf-8")


def load_model(directory: Path, device: str | torch.device = "cpu") -> ExtractorModel:
    """Load a model directory written by save_model, with a clear error when it is not one."""
    if not directory.is_dir():
        raise FileNotFoundError(f"model directory {directory} does not exist")
    config_path, weights_path = directory / CONFIG_FILE, directory / WEIGHTS_FILE
    for path in (config_path, weights_path):
        if not path.is_file():
            raise FileNotFoundError(f"{directory} is not a shopwright model: {path.name} missing")
    try:
        data = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{config_path}: invalid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != "shopwright-extractor":
        raise ValueError(f"{config_path} is not a shopwright extractor config")
    try:
        state = load_file(str(weights_path))
    except Exception as exc:  # safetensors raises its own error types
        raise ValueError(f"{weights_path}: not a valid safetensors file: {exc}") from exc
    config = ExtractorConfig.from_dict(data)
    skeleton = ExtractorModel(dataclasses.replace(config, encoder=""))
    needed = set(skeleton.state_dict())
    missing = needed - set(state)
    if missing and config.encoder:
        if any(not k.startswith("encoder.") for k in missing):
            raise ValueError(f"{weights_path} lacks head parameters: {sorted(missing)[:5]}")
        base = _base_state(config)
        state = {k: base[k] for k in missing if k in base} | state
        missing = needed - set(state)
    unexpected = set(state) - needed
    if missing or unexpected:
        raise ValueError(
            f"{weights_path} does not fit its config: missing {sorted(missing)[:5]}, "
            f"unexpected {sorted(unexpected)[:5]}"
        )
    skeleton.load_state_dict(state)
    skeleton.config = config
    return skeleton.to(device).eval()
