"""Which stores a model has seen: its own training stores and those of the models it started
from, so that an evaluation on them says so."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from metatrain.lineage import evaluated_stores_seen, model_lineage


def _model(path: Path, training: dict | None) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    if training is not None:
        (path / "training.json").write_text(json.dumps(training))
    return path


def test_the_stores_of_every_model_a_model_started_from_count(tmp_path: Path) -> None:
    base = _model(tmp_path / "base", {"train_stores": ["fixture-1"], "config": {}})
    joint = _model(
        tmp_path / "joint",
        {"train_stores": ["shop.de", "other.at"], "config": {"init_model": str(base)}},
    )
    meta = _model(
        tmp_path / "meta",
        {
            "splits": {"train": ["recipes.com"], "val": ["v.com"]},
            "config": {"init_model": str(joint)},
        },
    )
    lineage = model_lineage(meta)
    assert lineage.stores == {"fixture-1", "shop.de", "other.at", "recipes.com"}
    assert lineage.complete
    assert model_lineage(None).stores == set() and model_lineage(None).complete


def test_a_start_that_left_no_record_makes_the_lineage_incomplete(tmp_path: Path) -> None:
    moved = _model(
        tmp_path / "m", {"train_stores": ["a.de"], "config": {"init_model": str(tmp_path / "gone")}}
    )
    assert model_lineage(moved).stores == {"a.de"} and not model_lineage(moved).complete
    assert not model_lineage(_model(tmp_path / "bare", None)).complete
    recorded = _model(tmp_path / "r", {"seen_stores": ["x.de"], "seen_stores_complete": True})
    assert model_lineage(recorded).stores == {"x.de"} and model_lineage(recorded).complete


def test_an_evaluation_on_stores_a_model_saw_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    start = _model(tmp_path / "shipped-joint", {"train_stores": ["fold.de", "train.at"]})
    meta = _model(
        tmp_path / "meta", {"train_stores": ["train.at"], "config": {"init_model": str(start)}}
    )
    _model(meta / "joint", {"train_stores": ["train.at"]})
    with caplog.at_level(logging.WARNING):
        found = evaluated_stores_seen(meta, {"fold.de", "unseen.fr"})
    assert found["model"] == {"path": str(meta), "stores": ["fold.de"], "complete": True}
    assert found["joint"]["stores"] == []
    assert "1 of the 2 evaluated stores" in caplog.text
