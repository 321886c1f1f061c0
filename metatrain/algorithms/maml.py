"""MAML through higher: second order (exact meta-gradient) and first order (FOMAML)."""

from __future__ import annotations

import torch

from extractor.adapt.inner_loop import named_fast
from metatrain.algorithms.base import (
    Episode,
    MetaAlgorithm,
    add_grad,
    backward_into_head,
    sdpa_math_kernel,
)


class MAML(MetaAlgorithm):
    """Second-order MAML: the query loss is differentiated through the unrolled inner loop."""

    name = "maml"

    def task_gradients(self, episode: Episode, weight: float) -> tuple[float, float]:
        """Backpropagate the query loss through the inner SGD steps into the initial weights."""
        with sdpa_math_kernel(), self.context(track=True) as (fmodel, diffopt):
            head = self.initial_head(fmodel, episode.support)
            head, losses = self.run_steps(
                fmodel, diffopt, episode.support, head, self.inner_steps, True, self.head_lr
            )
            query_loss = self.loss_fn(fmodel, episode.query, head)
            (query_loss * weight).backward()
        return float(query_loss.detach()), losses[0] if losses else float("nan")


class FOMAML(MetaAlgorithm):
    """First-order MAML: the query gradient at the adapted weights updates the initial ones."""

    name = "fomaml"

    def task_gradients(self, episode: Episode, weight: float) -> tuple[float, float]:
        """Query gradient w.r.t. the adapted tensors, added to the matching initial parameters."""
        with self.context(track=False) as (fmodel, diffopt):
            head0 = self.initial_head(fmodel, episode.support)
            head = None
            if head0 is not None:
                head = {k: v.detach().requires_grad_() for k, v in head0.items()}
            head, losses = self.run_steps(
                fmodel, diffopt, episode.support, head, self.inner_steps, False, self.head_lr
            )
            query_loss = self.loss_fn(fmodel, episode.query, head)
            triples = [(p, f) for _, p, f in named_fast(self.model, fmodel) if p.requires_grad]
            head_keys = list(head) if head else []
            targets = [f for _, f in triples] + [head[k] for k in head_keys]  # type: ignore[index]
            grads = torch.autograd.grad(query_loss, targets, allow_unused=True)
        for (param, _), grad in zip(triples, grads, strict=False):
            add_grad(param, grad, weight)
        backward_into_head(head0, dict(zip(head_keys, grads[len(triples) :], strict=True)), weight)
        return float(query_loss.detach()), losses[0] if losses else float("nan")
