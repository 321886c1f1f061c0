"""Supervised training: a tiny random model learns a fixture store's layout in a few steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import ExtractorConfig
from extractor.neural.decode import extract_pages
from extractor.neural.model import ExtractorModel
from fixtures.writer import write_dataset
from metatrain.config import TrainConfig
from metatrain.lineage import model_lineage
from metatrain.scoring import ScoredPage, score_pages
from metatrain.supervised import load_labelled_pages, train
from metatrain.tasks import annotate

TINY = {
    "model_type": "bert",
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 128,
    "vocab_size": 30522,
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated fixture store written to disk in the labels.jsonl format."""
    out = tmp_path_factory.mktemp("fixture-store")
    write_dataset(out, stores=1, seed=7, products=24, workers=1, progress=False)
    return out


def test_tiny_model_learns_a_store_layout(store: Path, tmp_path: Path) -> None:
    pages = load_labelled_pages(store)
    annotated = [annotate(p) for p in pages]
    assert len(pages) >= 20 and all(p.spans for p in annotated)
    support, held_out = pages[:16], annotated[16:]
    model_config = ExtractorConfig(
        encoder="", encoder_config=dict(TINY), window=128, max_node_tokens=32, upper_layers=1
    )
    config = TrainConfig(
        out=str(tmp_path / "model"), steps=60, batch_size=8, lr=1e-3, head_lr=3e-3,
        eval_fraction=0.0, checkpoint_every=30, seed=0, progress=False,
    )  # fmt: skip
    train(config, model_config, support)
    model = ExtractorModel.from_pretrained(tmp_path / "model")
    training = json.loads((tmp_path / "model" / "training.json").read_text())
    assert training["config"]["steps"] == 60 and training["metrics"]["final_loss"] < 0.5
    tokenizer = load_tokenizer(tmp_path / "model")
    extractions = extract_pages(model, tokenizer, [p.nodes for p in held_out])
    scored = [
        ScoredPage({a: v for a, v in p.labels.items() if a in model.config.attributes}, e.values)
        for p, e in zip(held_out, extractions, strict=True)
    ]
    report = score_pages(scored, attributes=model.config.attributes)
    f1 = {name: s.f1 for name, s in report.attributes.items()}
    # Chance is ~0 for exact values; a model that learnt the layout gets several attributes right.
    assert report.macro_f1 > 0.3, f1
    assert sum(v >= 0.8 for v in f1.values()) >= 3, f1


def test_resume_continues_from_the_checkpoint(store: Path, tmp_path: Path) -> None:
    pages = load_labelled_pages(store)[:6]
    model_config = ExtractorConfig(
        encoder="", encoder_config=dict(TINY), window=64, max_node_tokens=16, upper_layers=1
    )
    options = dict(out=str(tmp_path / "m"), batch_size=2, eval_fraction=0.0, progress=False)
    train(TrainConfig(steps=4, checkpoint_every=2, **options), model_config, pages)  # type: ignore[arg-type]
    assert (tmp_path / "m" / "checkpoint" / "optimizer.safetensors").is_file()
    torch.manual_seed(0)
    metrics = train(TrainConfig(steps=6, resume=True, **options), None, pages)  # type: ignore[arg-type]
    assert metrics["final_loss"] is not None


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"labels\.jsonl"):
        load_labelled_pages(tmp_path)
    with pytest.raises(ValueError, match="no training data"):
        train(TrainConfig(out=str(tmp_path / "m")))


def test_excluded_industry_never_reaches_training(store: Path) -> None:
    entry = json.loads((store / "labels.jsonl").read_text().splitlines()[0])
    assert load_labelled_pages(store, exclude_industries=set())
    assert load_labelled_pages(store, exclude_industries={entry["industry"]}) == []
    assert TrainConfig(exclude_industries=" books, toys ,").excluded == {"books", "toys"}


def test_train_layers_trains_only_the_top_layers_structure_and_head(
    store: Path, tmp_path: Path
) -> None:
    pages = load_labelled_pages(store)[:4]
    model_config = ExtractorConfig(
        encoder="", encoder_config=dict(TINY), window=64, max_node_tokens=16, upper_layers=1
    )
    torch.manual_seed(0)
    before = {k: v.clone() for k, v in ExtractorModel(model_config).state_dict().items()}
    options = dict(out=str(tmp_path / "m"), batch_size=2, eval_fraction=0.0, progress=False)
    torch.manual_seed(0)
    train(TrainConfig(steps=3, train_layers=1, **options), model_config, pages)  # type: ignore[arg-type]
    after = ExtractorModel.from_pretrained(tmp_path / "m").state_dict()
    changed = {k for k, v in after.items() if not torch.equal(v, before[k])}
    assert not any(
        k.startswith(("encoder.embeddings.", "encoder.encoder.layer.0.")) for k in changed
    )
    assert any(k.startswith("encoder.encoder.layer.1.") for k in changed)
    assert any(k.startswith("structure.") for k in changed)
    assert any(k.startswith("head.") for k in changed)
    with pytest.raises(ValueError, match="train_layers"):
        TrainConfig(train_layers=-1)


def test_training_continues_a_model_with_weighted_folders(store: Path, tmp_path: Path) -> None:
    model_config = ExtractorConfig(
        encoder="", encoder_config=dict(TINY), window=64, max_node_tokens=16, proto_dim=12
    )
    options = dict(batch_size=2, eval_fraction=0.0, progress=False, steps=2)
    first, elsewhere = tmp_path / "first", tmp_path / "elsewhere"
    write_dataset(elsewhere, stores=1, seed=8, products=4, workers=1, progress=False)
    pages = load_labelled_pages(elsewhere)[:4]  # the first model trains on another store
    train(TrainConfig(out=str(first), **options), model_config, pages)  # type: ignore[arg-type]
    second = tmp_path / "second"
    config = TrainConfig(
        data=[str(store), str(store)],
        data_weights=[0.5, 1.0],
        init_model=str(first),
        strip_markup=True,
        max_pages=4,
        out=str(second),
        **options,  # type: ignore[arg-type]
    )
    train(config)
    assert ExtractorModel.from_pretrained(second).config.proto_dim == 12  # continued, not new
    # It has seen the stores the model it continued saw: an evaluation can tell.
    stores = {p.site for p in load_labelled_pages(store)} | {p.site for p in pages}
    recorded = json.loads((second / "training.json").read_text())
    assert len(stores) == 2 and recorded["seen_stores_complete"]
    assert set(recorded["seen_stores"]) == stores == model_lineage(second).stores
    with pytest.raises(ValueError, match="data_weights"):
        TrainConfig(data=[str(store)], data_weights=[1.0, 2.0])
