"""Generation-based meta-learning: the task head comes from the support set, no inner loop."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from extractor.adapt.inner_loop import Adapted, LossFn, PrototypeLearner
from metatrain.algorithms.base import Episode, MetaAlgorithm


class Generation(MetaAlgorithm):
    """Prototype head (and any learned generator inside the learner's hook), no SGD steps.

    The learner must implement `prototypes_from_support(support)`; the query loss trains the
    encoder (and generator) end to end through the generated head.
    """

    name = "generation"
    uses_inner_loop = False

    def __init__(self, model: nn.Module, loss_fn: LossFn, **kwargs: Any) -> None:
        if not isinstance(model, PrototypeLearner):
            raise TypeError(f"{type(model).__name__} has no prototypes_from_support(support)")
        kwargs["inner_steps"] = 0
        super().__init__(model, loss_fn, **kwargs)

    def task_gradients(self, episode: Episode, weight: float) -> tuple[float, float]:
        """Query loss through the generated head, straight into the learner's parameters."""
        head = dict(self.model.prototypes_from_support(episode.support))  # type: ignore[operator]
        query_loss = self.loss_fn(self.model, episode.query, head)
        (query_loss * weight).backward()
        return float(query_loss.detach()), float("nan")

    def adapt(self, support: Any, steps: int | None = None, lr_scale: float = 1.0) -> Adapted:
        """Generate the head from the support set; the module itself is not changed."""
        if support is None:  # zero-shot: the learned default head
            return Adapted(module=self.model)
        with torch.no_grad():
            head = dict(self.model.prototypes_from_support(support))  # type: ignore[operator]
        return Adapted(module=self.model, head=head)
