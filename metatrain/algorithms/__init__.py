"""Meta-learning algorithms behind one interface: MAML, first-order MAML, Reptile, generation."""

from __future__ import annotations

from typing import Any

from torch import nn

from extractor.adapt.inner_loop import Adapted, Head, LossFn, PrototypeLearner
from metatrain.algorithms.base import Episode, MetaAlgorithm, MetaStepMetrics
from metatrain.algorithms.generation import Generation
from metatrain.algorithms.maml import FOMAML, MAML
from metatrain.algorithms.reptile import Reptile

ALGORITHMS: dict[str, type[MetaAlgorithm]] = {
    "maml": MAML,
    "fomaml": FOMAML,
    "reptile": Reptile,
    "generation": Generation,
}


def make_algorithm(name: str, model: nn.Module, loss_fn: LossFn, **kwargs: Any) -> MetaAlgorithm:
    """Build an algorithm by name (`maml`, `fomaml`, `reptile`, `generation`)."""
    try:
        cls = ALGORITHMS[name]
    except KeyError:
        raise ValueError(f"unknown algorithm {name!r} (one of {sorted(ALGORITHMS)})") from None
    return cls(model, loss_fn, **kwargs)


__all__ = [
    "ALGORITHMS",
    "FOMAML",
    "MAML",
    "Adapted",
    "Episode",
    "Generation",
    "Head",
    "LossFn",
    "MetaAlgorithm",
    "MetaStepMetrics",
    "PrototypeLearner",
    "Reptile",
    "make_algorithm",
]
