"""The encoder and tokenizer in plain torch / `tokenizers`, against Hugging Face's `BertModel` and
fast tokenizer (`transformers`, the reference): the same parameters, the same hidden states, the
same tokens; another architecture through `transformers`; clear errors for what they cannot
read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from tiny_encoder import TINY

from extractor.neural.bert import BertConfig, BertEncoder, load_bert
from extractor.neural.config import PACKAGED_ENCODER, resolve_encoder
from extractor.neural.tokenizer import Tokenizer, TokenizerError

transformers = pytest.importorskip("transformers")

TEXTS = [
    "Preis: 1.299,00 € inkl. MwSt.",
    "积木套装 Plus X1",
    "Auf Lager – sofort lieferbar",
    "ÄÖÜ ß naïve café, don't",
    "Art.-Nr. K3V8M57 · EAN 4711121603488",
    "   ",
    "🎉 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
]


def _padded(batch: int = 3, length: int = 24) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, 20000, (batch, length), generator=generator)
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[1, length // 2 :] = 0
    mask[2, 3:] = 0
    return ids, mask


@pytest.mark.parametrize("attention", ["eager", "sdpa"])
def test_a_random_encoder_has_hugging_faces_parameters_and_outputs(attention: str) -> None:
    torch.manual_seed(0)
    config = transformers.BertConfig(**TINY)
    config._attn_implementation = attention
    reference = transformers.BertModel(config, add_pooling_layer=False).eval()
    encoder = BertEncoder(BertConfig.from_dict(TINY), attention).eval()
    assert sorted(encoder.state_dict()) == sorted(reference.state_dict())
    encoder.load_state_dict(reference.state_dict())
    ids, mask = _padded()
    with torch.no_grad():
        expected = reference(input_ids=ids, attention_mask=mask).last_hidden_state
        torch.testing.assert_close(encoder(ids, mask), expected)
    # The extractor's way: word embeddings in, layers one by one.
    with torch.no_grad():
        hidden = encoder.embeddings(inputs_embeds=encoder.get_input_embeddings()(ids))
        bias = encoder.attention_mask(mask, hidden)
        for layer in encoder.layers:
            hidden = layer(hidden, bias)
    torch.testing.assert_close(hidden, expected)


def test_second_order_gradients_flow_through_eager_attention() -> None:
    torch.manual_seed(0)
    encoder = BertEncoder(BertConfig.from_dict(TINY), "eager")
    ids, mask = _padded()
    weight = encoder.encoder.layer[1].attention.self.query.weight
    loss = encoder(ids, mask).pow(2).mean()
    (grad,) = torch.autograd.grad(loss, weight, create_graph=True)
    (second,) = torch.autograd.grad(grad.pow(2).sum(), weight)
    assert second.abs().sum() > 0


@pytest.mark.slow
def test_the_packaged_encoder_reads_as_hugging_face_reads_it() -> None:
    path = resolve_encoder(PACKAGED_ENCODER)
    for attention in ("eager", "sdpa"):
        reference = transformers.AutoModel.from_pretrained(
            path, add_pooling_layer=False, attn_implementation=attention
        ).eval()
        encoder = load_bert(path, attention).eval()
        ids, mask = _padded(length=40)
        with torch.no_grad():
            expected = reference(input_ids=ids, attention_mask=mask).last_hidden_state
            torch.testing.assert_close(encoder(ids, mask), expected)


def test_what_the_encoder_cannot_read_is_said(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="BERT-shaped"):
        BertConfig.from_dict(TINY | {"model_type": "roberta"})
    with pytest.raises(ValueError, match="position_embedding_type"):
        BertConfig.from_dict(TINY | {"position_embedding_type": "relative_key"})
    with pytest.raises(ValueError, match="multiple"):
        BertConfig.from_dict(TINY | {"num_attention_heads": 3})
    with pytest.raises(FileNotFoundError, match="config"):
        load_bert(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(TINY), encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        load_bert(tmp_path)
    with pytest.raises(ValueError, match="attention"):
        BertEncoder(BertConfig.from_dict(TINY), "flash")


def test_the_tokenizer_gives_hugging_faces_tokens_and_offsets(tmp_path: Path) -> None:
    path = resolve_encoder(PACKAGED_ENCODER)
    reference = transformers.AutoTokenizer.from_pretrained(path, use_fast=True)
    tokenizer = Tokenizer.from_directory(path)
    expected = reference(TEXTS, add_special_tokens=False, return_offsets_mapping=True)
    found = tokenizer.backend_tokenizer.encode_batch(TEXTS, add_special_tokens=False)
    assert [e.ids for e in found] == expected["input_ids"]  # not padded to the file's 128
    assert [e.offsets for e in found] == [list(map(tuple, o)) for o in expected["offset_mapping"]]
    assert (tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id) == (
        reference.cls_token_id,
        reference.sep_token_id,
        reference.pad_token_id,
    )
    assert tokenizer.vocab_size == reference.vocab_size
    assert tokenizer.convert_ids_to_tokens(2000) == reference.convert_ids_to_tokens(2000)

    # Saved and read back; and from a BERT vocabulary alone.
    tokenizer.save_pretrained(tmp_path / "saved")
    again = Tokenizer.from_directory(tmp_path / "saved")
    assert [e.ids for e in again.backend_tokenizer.encode_batch(TEXTS)] == [
        e.ids for e in tokenizer.backend_tokenizer.encode_batch(TEXTS)
    ]
    (tmp_path / "vocab").mkdir()
    shutil.copy(Path(path) / "vocab.txt", tmp_path / "vocab")
    from_vocab = Tokenizer.from_directory(tmp_path / "vocab")
    plain = [
        e.ids for e in from_vocab.backend_tokenizer.encode_batch(TEXTS, add_special_tokens=False)
    ]
    assert plain == expected["input_ids"]


def test_what_the_tokenizer_cannot_read_is_said(tmp_path: Path) -> None:
    with pytest.raises(TokenizerError, match=r"no tokenizer.json or vocab.txt"):
        Tokenizer.from_directory(tmp_path)
    (tmp_path / "tokenizer.json").write_text("{not a tokenizer", encoding="utf-8")
    with pytest.raises(TokenizerError, match="cannot be read"):
        Tokenizer.from_directory(tmp_path)
    shutil.copy(Path(resolve_encoder(PACKAGED_ENCODER)) / "tokenizer.json", tmp_path)
    (tmp_path / "tokenizer_config.json").write_text('{"cls_token": "[NOPE]"}', encoding="utf-8")
    with pytest.raises(TokenizerError, match="cls_token"):
        Tokenizer.from_directory(tmp_path)


@pytest.mark.parametrize("attention", ["eager", "sdpa"])
def test_another_hugging_face_architecture_runs_through_transformers(
    tmp_path: Path, attention: str
) -> None:
    """A RoBERTa encoder (any `transformers` architecture with `embeddings(inputs_embeds=)` and
    a layer list): the extractor's split forward equals its whole forward, and the saved model
    reads back to the same logits."""
    from test_model import batch_for

    from extractor.neural.checkpoint import load_tokenizer
    from extractor.neural.config import ExtractorConfig
    from extractor.neural.hf_encoder import HuggingFaceEncoder
    from extractor.neural.model import ExtractorModel

    torch.manual_seed(0)
    roberta = TINY | {"model_type": "roberta", "pad_token_id": 1, "max_position_embeddings": 520}
    config = ExtractorConfig(encoder="", encoder_config=roberta, window=64, max_node_tokens=16)
    model = ExtractorModel(config).eval()
    assert isinstance(model.encoder, HuggingFaceEncoder)
    model.set_attention(attention)
    tokenizer = load_tokenizer(PACKAGED_ENCODER)
    batch = batch_for(tokenizer, model.config.attributes)
    with torch.no_grad():
        logits = model(batch)
        split = model.forward_upper(model.encode_lower(batch), batch["attention_mask"])
    torch.testing.assert_close(split, logits)
    model.save_pretrained(tmp_path / "m", tokenizer)
    loaded = ExtractorModel.from_pretrained(tmp_path / "m")
    loaded.set_attention(attention)
    with torch.no_grad():
        torch.testing.assert_close(loaded(batch), logits)
