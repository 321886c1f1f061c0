"""Any other Hugging Face encoder (RoBERTa, XLM-R, ELECTRA...) behind the interface of
`extractor.neural.bert.BertEncoder`, through `transformers` (imported only here, only when such an
encoder is asked for: BERT-shaped encoders, the packaged MiniLM among them, never import it).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from extractor.neural.bert import ATTENTION

#: Architectures whose unused pooler is left out.
_POOLED = frozenset({"bert", "roberta", "xlm-roberta", "camembert"})


class HuggingFaceEncoder(nn.Module):
    """A `transformers` AutoModel with the encoder interface the extractor uses: `config`,
    `embeddings(inputs_embeds=...)`, `get_input_embeddings()`, `layers`, `attention_mask`,
    `set_attention`. Its parameters are named `model.<the AutoModel's names>`."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model
        self.config = model.config
        self.attention = str(model.config._attn_implementation or "eager")

    @classmethod
    def pretrained(cls, path: str) -> HuggingFaceEncoder:
        """The encoder at `path` (offline)."""
        from transformers import AutoConfig, AutoModel
        from transformers.utils import logging as hf_logging

        model_type = AutoConfig.from_pretrained(path).model_type
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # the pooler we skip is reported as "unexpected"
        try:
            model = AutoModel.from_pretrained(
                path, attn_implementation="eager", **_no_pooler(model_type)
            )
        finally:
            hf_logging.set_verbosity(verbosity)
        return cls(model)

    @classmethod
    def random(cls, config: dict[str, Any]) -> HuggingFaceEncoder:
        """A randomly initialised encoder of a config.json dict (its `model_type` names it)."""
        from transformers import AutoConfig, AutoModel

        fields = dict(config)
        model_type = fields.pop("model_type")
        auto = AutoConfig.for_model(model_type, **fields)
        auto._attn_implementation = "eager"
        return cls(AutoModel.from_config(auto, **_no_pooler(model_type)))

    @property
    def embeddings(self) -> nn.Module:
        """The embedding block (takes `inputs_embeds=`)."""
        return self.model.embeddings

    @property
    def layers(self) -> nn.ModuleList:
        """The transformer layers."""
        n = getattr(self.config, "num_hidden_layers", None)
        for name in ("encoder.layer", "transformer.layer", "encoder.layers", "layers"):
            module: Any = self.model
            for part in name.split("."):
                module = getattr(module, part, None)
            if isinstance(module, nn.ModuleList) and (n is None or len(module) == n):
                return module
        raise ValueError(f"cannot find the transformer layers of {type(self.model).__name__}")

    def get_input_embeddings(self) -> nn.Module:
        """The word embeddings."""
        return self.model.get_input_embeddings()

    def set_attention(self, attention: str) -> None:
        """Switch the attention kernel ("eager" or "sdpa")."""
        if attention not in ATTENTION:
            raise ValueError(f"attention must be one of {ATTENTION}, not {attention!r}")
        self.model.set_attn_implementation(attention)
        self.attention = attention

    def attention_mask(self, padding: torch.Tensor, like: torch.Tensor) -> Any:
        """The layers' mask argument for a [B, T] padding mask and hidden states `like`."""
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(
            config=self.config, inputs_embeds=like, attention_mask=padding
        )


def _no_pooler(model_type: str) -> dict[str, Any]:
    return {"add_pooling_layer": False} if model_type in _POOLED else {}
