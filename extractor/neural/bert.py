"""The encoder: BERT in plain torch, parameter for parameter Hugging Face's `BertModel` without its
pooler, so that its checkpoints (the packaged MiniLM, every saved shopwright model) load as they
are, without importing `transformers` (whose import costs seconds on every command). Encoders of
other architectures go through `extractor.neural.hf_encoder`, behind the same interface.

encoder = load_bert("path/to/encoder")                  # config.json + model.safetensors
hidden = encoder.embeddings(inputs_embeds=words)        # [B, T, hidden]
mask = encoder.attention_mask(attention_mask, hidden)
for layer in encoder.layers: hidden = layer(hidden, mask)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

#: The attention kernels: "eager" (softmax in autograd: second-order MAML needs it) or "sdpa"
#: (torch's fused scaled_dot_product_attention: faster at inference).
ATTENTION = ("eager", "sdpa")

_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gelu": F.gelu,
    "relu": F.relu,
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
}


@dataclass
class BertConfig:
    """The fields of a Hugging Face BERT config.json that shape the network (others ignored)."""

    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    vocab_size: int = 30522
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    initializer_range: float = 0.02
    model_type: str = "bert"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BertConfig:
        """From a config.json dict; a clear error for what this encoder is not."""
        model_type = data.get("model_type", "bert")
        if model_type != "bert":
            raise ValueError(
                f"the encoder must be BERT-shaped (model_type 'bert'), not {model_type!r}"
            )
        embedding = data.get("position_embedding_type", "absolute")
        if embedding != "absolute":
            raise ValueError(f"position_embedding_type {embedding!r} is not supported: 'absolute'")
        names = {f.name for f in dataclasses.fields(cls)}
        config = cls(**{k: v for k, v in data.items() if k in names})
        if config.hidden_act not in _ACTIVATIONS:
            raise ValueError(
                f"hidden_act {config.hidden_act!r} is not one of {sorted(_ACTIVATIONS)}"
            )
        if config.hidden_size % config.num_attention_heads:
            raise ValueError(
                f"hidden_size {config.hidden_size} is not a multiple of "
                f"num_attention_heads {config.num_attention_heads}"
            )
        return config

    def to_dict(self) -> dict[str, Any]:
        """The config.json fields."""
        return dataclasses.asdict(self)


class BertEmbeddings(nn.Module):
    """Word, position and token-type embeddings, layer-normalised."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.word_embeddings = nn.Embedding(
            config.vocab_size, hidden, padding_idx=config.pad_token_id
        )
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, hidden)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self, input_ids: torch.Tensor | None = None, inputs_embeds: torch.Tensor | None = None
    ) -> torch.Tensor:
        """[B, T] ids or [B, T, hidden] word embeddings -> [B, T, hidden] (token type 0)."""
        if inputs_embeds is None:
            if input_ids is None:
                raise ValueError("embeddings need input_ids or inputs_embeds")
            inputs_embeds = self.word_embeddings(input_ids)
        length = inputs_embeds.shape[1]
        positions = torch.arange(length, device=inputs_embeds.device)
        embeddings = (
            inputs_embeds
            + self.token_type_embeddings.weight[0]
            + self.position_embeddings(positions)
        )
        return self.dropout(self.LayerNorm(embeddings))


class BertSelfAttention(nn.Module):
    """Multi-head self-attention, by the kernel `BertEncoder.set_attention` chose."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.kernel = "eager"  #: one of ATTENTION; `BertEncoder.set_attention` sets every layer's
        self.heads = config.num_attention_heads
        self.head_size = config.hidden_size // config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        b, t, _ = hidden.shape
        shape = (b, t, self.heads, self.head_size)
        q = self.query(hidden).view(shape).transpose(1, 2)
        k = self.key(hidden).view(shape).transpose(1, 2)
        v = self.value(hidden).view(shape).transpose(1, 2)
        scale = self.head_size**-0.5
        if self.kernel == "sdpa":
            p = self.dropout.p if self.training else 0.0
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p, scale=scale)
        else:
            scores = torch.matmul(q, k.transpose(2, 3)) * scale
            if mask is not None:
                scores = scores + mask
            out = torch.matmul(self.dropout(F.softmax(scores, dim=-1)), v)
        return out.transpose(1, 2).reshape(b, t, -1)


class BertOutput(nn.Module):
    """A block's projection back to the hidden size, dropout and residual layer norm (after the
    attention: `attention.output`; after the feed-forward expansion: `output`)."""

    def __init__(self, config: BertConfig, inputs: int) -> None:
        super().__init__()
        self.dense = nn.Linear(inputs, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class BertAttention(nn.Module):
    """Self-attention and its output block."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertOutput(config, config.hidden_size)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return self.output(self.self(hidden, mask), hidden)


class BertIntermediate(nn.Module):
    """The feed-forward block's expansion and activation."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.activation = _ACTIVATIONS[config.hidden_act]

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.activation(self.dense(hidden))


class BertLayer(nn.Module):
    """One transformer layer: `layer(hidden, mask)` -> hidden."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config, config.intermediate_size)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        attended = self.attention(hidden, mask)
        return self.output(self.intermediate(attended), attended)


class BertLayers(nn.Module):
    """The layer stack (`encoder.layer.N` in the checkpoints' names)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])


class BertEncoder(nn.Module):
    """Embeddings and layers; `forward` runs them all (the extractor runs them in two parts)."""

    def __init__(self, config: BertConfig, attention: str = "eager") -> None:
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertLayers(config)
        self.apply(self._init_weights)
        self.attention = "eager"  #: the attention kernel in use, one of ATTENTION
        self.set_attention(attention)

    def set_attention(self, attention: str) -> None:
        """Switch every layer's attention kernel."""
        if attention not in ATTENTION:
            raise ValueError(f"attention must be one of {ATTENTION}, not {attention!r}")
        self.attention = attention
        for module in self.modules():
            if isinstance(module, BertSelfAttention):
                module.kernel = attention

    @property
    def layers(self) -> nn.ModuleList:
        """The transformer layers."""
        return self.encoder.layer

    def get_input_embeddings(self) -> nn.Embedding:
        """The word embeddings."""
        return self.embeddings.word_embeddings

    def attention_mask(self, padding: torch.Tensor, like: torch.Tensor) -> torch.Tensor | None:
        """The layers' mask argument for a [B, T] padding mask (1 = token) and hidden states
        `like`: additive [B, 1, 1, T] in their dtype for eager attention, boolean for sdpa, None
        when nothing is padding."""
        if bool(padding.all()):
            return None
        keep = padding.bool()[:, None, None, :]
        if self.attention == "sdpa":
            return keep
        return torch.zeros(keep.shape, dtype=like.dtype, device=padding.device).masked_fill(
            ~keep, torch.finfo(like.dtype).min
        )

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """[B, T] ids and padding mask -> the last layer's hidden states [B, T, hidden]."""
        hidden = self.embeddings(input_ids=input_ids)
        mask = self.attention_mask(attention_mask, hidden)
        for layer in self.layers:
            hidden = layer(hidden, mask)
        return hidden

    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=std)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=std)
            if module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)


#: Checkpoint entries that are not parameters of this encoder.
_NOT_PARAMETERS = ("pooler.", "embeddings.position_ids", "embeddings.token_type_ids")


def encoder_weights(directory: str | Path) -> dict[str, torch.Tensor]:
    """A pretrained encoder's parameters from its model.safetensors (a `bert.` prefix dropped,
    the pooler left out)."""
    from safetensors.torch import load_file

    path = Path(directory) / "model.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"no encoder weights at {path} (model.safetensors)")
    state = load_file(str(path))
    state = {k.removeprefix("bert."): v for k, v in state.items()}
    return {k: v for k, v in state.items() if not k.startswith(_NOT_PARAMETERS)}


def encoder_config(directory: str | Path) -> dict[str, Any]:
    """A pretrained encoder directory's config.json."""
    path = Path(directory) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"no encoder config at {path}")
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not an encoder config")
    return data


def load_bert(directory: str | Path, attention: str = "eager") -> BertEncoder:
    """A pretrained BERT encoder directory (config.json, model.safetensors)."""
    encoder = BertEncoder(BertConfig.from_dict(encoder_config(directory)), attention)
    state = encoder_weights(directory)
    missing, unexpected = encoder.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"{directory} is not a BERT encoder's checkpoint: missing {sorted(missing)[:3]}, "
            f"unexpected {sorted(unexpected)[:3]}"
        )
    return encoder
