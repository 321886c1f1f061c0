"""The tiny randomly initialised BERT config that training-logic tests build models from."""

from __future__ import annotations

#: Two layers of 32 units over the packaged MiniLM tokenizer's vocabulary: fast on a CPU.
TINY = {
    "model_type": "bert",
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "vocab_size": 30522,
    "max_position_embeddings": 512,
}
