"""Reptile through higher: move the initial weights toward the task-adapted ones."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from extractor.adapt.inner_loop import named_fast
from metatrain.algorithms.base import (
    Episode,
    LossFn,
    MetaAlgorithm,
    add_grad,
    backward_into_head,
)


class Reptile(MetaAlgorithm):
    """Reptile: the meta-gradient of a task is (initial - adapted) weights.

    With an SGD outer optimiser of learning rate eps, one step is `theta += eps * (phi - theta)`
    averaged over tasks. Only adapted parameters move; the others get no Reptile gradient.
    """

    name = "reptile"

    def __init__(
        self,
        model: nn.Module,
        loss_fn: LossFn,
        *,
        use_query: bool = False,
        outer_lr: float = 0.1,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("outer_optimizer") is None:
            # Plain SGD makes `outer_lr` the Reptile step size eps.
            trainable = [p for p in model.parameters() if p.requires_grad]
            kwargs["outer_optimizer"] = torch.optim.SGD(trainable, lr=outer_lr)
        super().__init__(model, loss_fn, outer_lr=outer_lr, **kwargs)
        self.use_query = use_query

    def task_gradients(self, episode: Episode, weight: float) -> tuple[float, float]:
        """Adapt on the support (and query, when `use_query`) and return theta - phi as gradient."""
        support = episode.support
        with self.context(track=False) as (fmodel, diffopt):
            head0 = self.initial_head(fmodel, support)
            head = None
            if head0 is not None:
                head = {k: v.detach().requires_grad_() for k, v in head0.items()}
            head, losses = self.run_steps(
                fmodel, diffopt, support, head, self.inner_steps, False, self.head_lr
            )
            if self.use_query:
                head, more = self.run_steps(
                    fmodel, diffopt, episode.query, head, self.inner_steps, False, self.head_lr
                )
                losses += more
            with torch.no_grad():
                query_loss = float(self.loss_fn(fmodel, episode.query, head))
            adapted = set(self.adapted_names())
            for name, param, fast in named_fast(self.model, fmodel):
                if name in adapted:
                    add_grad(param, param.detach() - fast.detach(), weight)
        if head0 is not None and head is not None:
            diffs = {k: head0[k].detach() - head[k].detach() for k in head0}
            backward_into_head(head0, diffs, weight)
        return query_loss, losses[0] if losses else float("nan")
