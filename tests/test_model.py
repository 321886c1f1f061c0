"""The extractor model: split forward, prototype head, save/load round trip, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import higher
import pytest
import torch
import torch.nn.functional as F
from tiny_encoder import TINY as TINY_ENCODER

from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import PACKAGED_ENCODER, ExtractorConfig
from extractor.neural.features import N_RELATIONS, RELATION_FEATURES, collate, encode_page
from extractor.neural.model import ExtractorModel
from extractor.neural.precision import resolve_precision, with_precision
from extractor.page.dom import Node

#: The shared tiny config without dropout, so that two forward passes give the same logits.
TINY = {**TINY_ENCODER, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}


def tiny_config(**kwargs: object) -> ExtractorConfig:
    """A tiny random encoder config for fast tests."""
    options: dict[str, object] = {
        "encoder": "",
        "encoder_config": dict(TINY),
        "window": 64,
        "max_node_tokens": 16,
        "upper_layers": 1,
        "dropout": 0.0,
    }
    return ExtractorConfig(**(options | kwargs))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def tokenizer():  # noqa: ANN201
    """The packaged MiniLM tokenizer."""
    return load_tokenizer(PACKAGED_ENCODER)


def nodes_and_spans(author: str) -> tuple[list[Node], dict[str, list[dict[str, object]]]]:
    """A small book page with a name, a price and an author span."""
    attrs = {"class": "", "id": "", "itemprop": "", "aria-label": ""}
    nodes = [
        Node(xpath="/html/body/h1", text="The Long Book", tag="h1", attrs=dict(attrs)),  # type: ignore[typeddict-item]
        Node(xpath="/html/body/p[1]", text=f"by {author}", tag="p", attrs=dict(attrs)),  # type: ignore[typeddict-item]
        Node(xpath="/html/body/p[2]", text="12.50 EUR", tag="p", attrs=dict(attrs)),  # type: ignore[typeddict-item]
    ]
    spans: dict[str, list[dict[str, object]]] = {
        "name": [{"xpath": "/html/body/h1", "start": 0, "end": 13}],
        "author": [{"xpath": "/html/body/p[1]", "start": 3, "end": 3 + len(author)}],
        "price": [{"xpath": "/html/body/p[2]", "start": 0, "end": 5}],
    }
    return nodes, spans


def batch_for(tokenizer, attributes, author: str = "Ann Smith") -> dict[str, torch.Tensor]:  # noqa: ANN001
    """A one-window batch with labels over `attributes`."""
    nodes, spans = nodes_and_spans(author)
    return collate(encode_page(nodes, tokenizer, tiny_config().features, spans, attributes))


def test_split_forward_equals_forward_and_structure_starts_at_zero(tokenizer) -> None:  # noqa: ANN001
    torch.manual_seed(0)
    model = ExtractorModel(tiny_config()).eval()
    batch = batch_for(tokenizer, model.config.attributes)
    logits = model(batch)
    assert logits.shape == (*batch["input_ids"].shape, 1 + 2 * len(model.config.attributes))
    hidden = model.encode_lower(batch)
    upper = model.forward_upper(hidden, batch["attention_mask"])
    assert torch.allclose(logits, upper, atol=1e-6)
    assert torch.allclose(model(hidden=hidden, attention_mask=batch["attention_mask"]), logits)
    struct = model.structure(batch["xpath_tags"], batch["xpath_subs"], batch["hints"])
    assert torch.count_nonzero(struct) == 0  # the pretrained encoder is undisturbed at start
    model.freeze_lower()
    model.train()
    assert not model.encode_lower(batch).requires_grad


def test_save_load_round_trip_gives_the_same_logits(tmp_path: Path, tokenizer) -> None:  # noqa: ANN001
    torch.manual_seed(0)
    model = ExtractorModel(tiny_config()).eval()
    with torch.no_grad():
        model.structure.out.weight.normal_()  # non-zero so that structure takes part
    batch = batch_for(tokenizer, model.config.attributes)
    model.save_pretrained(tmp_path / "m", tokenizer, {"command": "test"})
    loaded = ExtractorModel.from_pretrained(tmp_path / "m")
    assert torch.allclose(model(batch), loaded(batch), atol=1e-6)
    assert json.loads((tmp_path / "m" / "training.json").read_text())["command"] == "test"
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["attributes"] == model.config.attributes
    assert load_tokenizer(tmp_path / "m").vocab_size == tokenizer.vocab_size


def test_from_pretrained_errors_are_clear(tmp_path: Path, tokenizer) -> None:  # noqa: ANN001
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ExtractorModel.from_pretrained(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="config.json missing"):
        ExtractorModel.from_pretrained(tmp_path / "empty")
    ExtractorModel(tiny_config()).save_pretrained(tmp_path / "m", tokenizer)
    (tmp_path / "m" / "model.safetensors").write_bytes(b"\x80\x04not safetensors")
    with pytest.raises(ValueError, match="safetensors"):
        ExtractorModel.from_pretrained(tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text("{broken")
    with pytest.raises(ValueError, match="invalid JSON"):
        ExtractorModel.from_pretrained(tmp_path / "m")


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        tiny_config(attributes=["name", "name"])
    with pytest.raises(ValueError):
        tiny_config(attributes=["B-name"])
    with pytest.raises(ValueError):
        ExtractorConfig(encoder="")
    with pytest.raises(ValueError, match="upper_layers"):
        ExtractorModel(tiny_config(upper_layers=5))


def test_ignored_relations_are_read_as_zero_and_saved(tmp_path: Path, tokenizer) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="ignored_relations"):
        tiny_config(relation_hidden=4, ignored_relations=["has_support"])
    torch.manual_seed(0)
    model = ExtractorModel(tiny_config(relation_hidden=4, ignored_relations=["template", "slot"]))
    relate = model.head.relate
    assert relate is not None
    with torch.no_grad():
        relate.out.weight.normal_()
    relations = torch.rand(1, 3, 2, N_RELATIONS)
    relations[..., 0] = 1.0
    changed = relations.clone()
    changed[..., RELATION_FEATURES.index("template")] = 0.0
    changed[..., RELATION_FEATURES.index("slot")] = 0.0
    assert torch.equal(relate(relations), relate(changed))
    changed[..., RELATION_FEATURES.index("xpath")] += 1.0
    assert not torch.equal(relate(relations), relate(changed))
    model.save_pretrained(tmp_path / "m", tokenizer)
    loaded = ExtractorModel.from_pretrained(tmp_path / "m")
    assert loaded.config.ignored_relations == ["template", "slot"]
    assert loaded.head.relate is not None
    assert torch.equal(loaded.head.relate(relations), relate(relations))


def test_new_attribute_from_support_prototypes(tmp_path: Path, tokenizer) -> None:  # noqa: ANN001
    torch.manual_seed(0)
    model = ExtractorModel(tiny_config()).eval()
    attributes = ["name", "author"]
    with pytest.raises(KeyError, match="author"):
        model(batch_for(tokenizer, attributes), attributes)
    support = batch_for(tokenizer, attributes, "Ann Smith")
    with torch.no_grad():
        protos, bias = model.prototypes_from_support(support, attributes)
    assert protos.shape == (5, model.config.proto_dim) and bias.shape == (5,)
    query = batch_for(tokenizer, attributes, "Bob Jones")
    logits = model(query, attributes, protos, bias)
    assert logits.shape[-1] == 5
    # Register it as a learned attribute; it survives save/load.
    model.add_attributes(attributes, protos)
    assert "author" in model.config.attributes
    model.save_pretrained(tmp_path / "m", tokenizer)
    loaded = ExtractorModel.from_pretrained(tmp_path / "m")
    assert torch.allclose(loaded(query, attributes), model(query, attributes), atol=1e-6)


def test_upper_part_adapts_inside_higher(tokenizer) -> None:  # noqa: ANN001
    torch.manual_seed(0)
    model = ExtractorModel(tiny_config())
    model.freeze_lower()
    batch = batch_for(tokenizer, model.config.attributes)
    hidden = model.encode_lower(batch)  # cached once, no graph
    upper = [p for p in model.parameters() if p.requires_grad]
    inner = torch.optim.SGD(upper, lr=0.5)
    with higher.innerloop_ctx(model, inner, copy_initial_weights=False) as (fmodel, diffopt):
        for _ in range(2):
            logits = fmodel(hidden=hidden, attention_mask=batch["attention_mask"])
            loss = F.cross_entropy(logits.flatten(0, 1), batch["labels"].flatten())
            diffopt.step(loss)
        query = fmodel(hidden=hidden, attention_mask=batch["attention_mask"])
        meta_loss = F.cross_entropy(query.flatten(0, 1), batch["labels"].flatten())
        meta_loss.backward()  # second order through eager attention
    assert model.head.prototypes.grad is not None
    top: Any = model.layers[-1]
    assert top.attention.self.query.weight.grad is not None


@pytest.mark.slow
def test_packaged_encoder_saves_only_what_changed(tmp_path: Path, tokenizer) -> None:  # noqa: ANN001
    model = ExtractorModel(ExtractorConfig(window=64, max_node_tokens=16)).eval()
    with torch.no_grad():
        top: Any = model.layers[-1]
        top.output.dense.bias.add_(0.01)
    model.save_pretrained(tmp_path / "m")
    from safetensors.torch import load_file

    saved = load_file(str(tmp_path / "m" / "model.safetensors"))
    encoder_keys = [k for k in saved if k.startswith("encoder.")]
    assert encoder_keys == ["encoder.encoder.layer.5.output.dense.bias"]
    batch = batch_for(tokenizer, model.config.attributes)
    loaded = ExtractorModel.from_pretrained(tmp_path / "m")
    assert torch.allclose(model(batch), loaded(batch), atol=1e-5)


def test_bf16_inference_is_close_to_fp32_and_leaves_training_alone(tokenizer: Any) -> None:
    torch.manual_seed(0)
    model = ExtractorModel(tiny_config()).eval()
    nodes, _ = nodes_and_spans("Ann Author")
    batch = collate(encode_page(nodes, tokenizer, model.config.features))
    fast = with_precision(model, "bf16")
    assert fast is not model and fast.bf16_inference and not model.bf16_inference
    with torch.no_grad():
        expected = model(batch).softmax(-1)
        got = fast(batch)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got.softmax(-1), expected, atol=0.05, rtol=0.0)
    assert not torch.equal(got.softmax(-1), expected)  # it did run in bf16
    loss = fast(batch).sum()  # with gradients: fp32 as in training
    loss.backward()
    assert fast.head.prototypes.grad is not None


def test_precision_choices() -> None:
    assert resolve_precision("fp32") == "fp32" and resolve_precision("int8") == "int8"
    assert resolve_precision("auto") in {"fp32", "bf16"}
    assert resolve_precision("auto", "cuda") == "fp32"
    with pytest.raises(ValueError, match="unknown precision"):
        resolve_precision("fp8")
    model = ExtractorModel(tiny_config())
    assert with_precision(model, "fp32") is model


def test_hint_dropout_acts_in_training_only() -> None:
    """Hint words are dropped at random while training, never when extracting."""
    torch.manual_seed(0)
    model = ExtractorModel(tiny_config(hint_dropout=0.5))
    structure = model.structure
    torch.nn.init.normal_(structure.out.weight)  # the zero start would hide every hint
    tags = torch.zeros(1, 4, model.config.max_depth, dtype=torch.long)
    subs = torch.zeros_like(tags)
    hints = torch.randint(1, model.config.hint_buckets, (1, 4, model.config.hints_per_node))
    structure.eval()
    assert torch.equal(structure(tags, subs, hints), structure(tags, subs, hints))
    structure.train()
    assert not torch.equal(structure(tags, subs, hints), structure(tags, subs, hints))
    with pytest.raises(ValueError):
        tiny_config(hint_dropout=1.0)
