"""MetaTrainConfig: validation, JSON round trip, device auto, meta-train's config checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from extractor.cli import main
from extractor.neural.precision import resolve_device
from metatrain.config import CONFIG_FILE, MetaTrainConfig


def test_defaults_are_valid_and_round_trip(tmp_path: Path) -> None:
    config = MetaTrainConfig(data=["a/labels.jsonl"], seed=7)
    path = config.save(tmp_path)
    assert path.name == CONFIG_FILE
    assert MetaTrainConfig.load(tmp_path) == config
    assert MetaTrainConfig.load(path).seed == 7


@pytest.mark.parametrize(
    "bad",
    [
        {"algorithm": "sgd"},
        {"inner_steps": 0},
        {"inner_lr": 0},
        {"meta_batch": 0},
        {"k_support": []},
        {"k_support": [-1]},
        {"relation_hidden": -1},
        {"data": ["a.jsonl"], "data_weights": [1.0, 2.0]},
        {"val_fraction": 0.6, "test_fraction": 0.5},
        {"device": "nonsense"},
    ],
)
def test_invalid_settings_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        MetaTrainConfig(**bad)  # type: ignore[arg-type]


def test_generation_needs_no_inner_steps() -> None:
    assert MetaTrainConfig(algorithm="generation", inner_steps=0).inner_steps == 0


def test_unknown_keys_and_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown config keys"):
        MetaTrainConfig.from_dict({"inner_step": 3})
    path = tmp_path / "c.json"
    path.write_text("[1]", encoding="utf-8")
    with pytest.raises(ValueError, match="JSON object"):
        MetaTrainConfig.load(path)
    with pytest.raises(FileNotFoundError):
        MetaTrainConfig.load(tmp_path / "none.json")


def test_device_auto() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


def test_describe_lists_every_field() -> None:
    text = MetaTrainConfig.describe()
    assert "inner_steps (default 3)" in text and "holdout_attributes" in text


def test_meta_train_checks_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"algorithm": "maml", "steps": 5}), encoding="utf-8")
    assert main(["meta-train", "--config", str(path), "--check"]) == 0
    assert "valid" in capsys.readouterr().out
    path.write_text(json.dumps({"algorithm": "nope"}), encoding="utf-8")
    assert main(["meta-train", "--config", str(path), "--check"]) == 2
    assert main(["meta-train", "--help-config"]) == 0
