"""The one interface of the meta-learning algorithms: episodes, the outer loop, meta-steps.

Adaptation itself (the inner loop through `higher`) is the product's: `extractor.adapt.inner_loop`.
"""

from __future__ import annotations

import logging
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from extractor.adapt.inner_loop import Head, InnerLoop, LossFn

logger = logging.getLogger(__name__)


@dataclass
class Episode:
    """One task of a meta-batch: a support batch to adapt on and a query batch to score."""

    support: Any
    query: Any


@dataclass
class MetaStepMetrics:
    """What one meta-step measured, averaged over the tasks of the meta-batch."""

    query_loss: float
    support_loss: float
    tasks: int
    seconds: float
    grad_norm: float = math.nan

    def as_dict(self) -> dict[str, float]:
        """The metrics as a plain dict (for logs and progress bars)."""
        return {
            "query_loss": self.query_loss,
            "support_loss": self.support_loss,
            "tasks": float(self.tasks),
            "seconds": self.seconds,
            "grad_norm": self.grad_norm,
        }


def sdpa_math_kernel() -> AbstractContextManager[object]:
    """Force the math SDPA kernel: the fused CPU/flash kernels have no double backward."""
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:  # pragma: no cover - older torch
        return nullcontext()
    return sdpa_kernel([SDPBackend.MATH])


class MetaAlgorithm(InnerLoop, ABC):
    """A meta-learning algorithm over one learner: `adapt` to a task (the inner loop),
    `meta_step` over tasks (the outer loop).

    The outer optimiser learns every parameter that requires grad; the inner loop adapts those
    whose names start with one of `adapt_prefixes` (`InnerLoop`).
    """

    name: str = "base"

    def __init__(
        self,
        model: nn.Module,
        loss_fn: LossFn,
        *,
        outer_optimizer: torch.optim.Optimizer | None = None,
        outer_lr: float = 1e-3,
        max_grad_norm: float | None = None,
        **inner: Any,
    ) -> None:
        super().__init__(model, loss_fn, **inner)
        self.max_grad_norm = max_grad_norm
        self.outer_optimizer = outer_optimizer or torch.optim.Adam(self.meta_parameters(), outer_lr)

    def meta_parameters(self) -> list[nn.Parameter]:
        """The parameters the outer loop learns (every parameter that requires grad)."""
        return [p for p in self.model.parameters() if p.requires_grad]

    # -- the outer loop -------------------------------------------------------------------

    @abstractmethod
    def task_gradients(self, episode: Episode, weight: float) -> tuple[float, float]:
        """Add `weight` x this task's meta-gradient to the `.grad` of the meta-parameters.

        Returns (query loss, first support loss) as floats.
        """

    def accumulate(self, episodes: Sequence[Episode]) -> tuple[float, float]:
        """Sum the meta-gradients of a meta-batch into `.grad` (mean over tasks)."""
        if not episodes:
            raise ValueError("a meta-batch needs at least one episode")
        weight = 1.0 / len(episodes)
        query, support = 0.0, 0.0
        for episode in episodes:
            if episode.support is None:
                q, s = self.zero_shot_gradients(episode, weight)
            else:
                q, s = self.task_gradients(episode, weight)
            query += q * weight
            support += s * weight
        return query, support

    def zero_shot_gradients(self, episode: Episode, weight: float) -> tuple[float, float]:
        """A zero-shot episode (no support): the query loss of the learned default head at the
        initial weights, the same for every algorithm."""
        query_loss = self.loss_fn(self.model, episode.query, None)
        if query_loss.requires_grad:  # nothing to learn when only the relation head trains
            (query_loss * weight).backward()
        return float(query_loss.detach()), float("nan")

    def meta_step(self, episodes: Sequence[Episode]) -> MetaStepMetrics:
        """One outer step: meta-gradients over the episodes, clipping, the outer optimiser step."""
        start = time.perf_counter()
        self.model.train()
        self.outer_optimizer.zero_grad(set_to_none=True)
        query, support = self.accumulate(episodes)
        params = [p for p in self.meta_parameters() if p.grad is not None]
        norm = math.nan
        if params:
            max_norm = self.max_grad_norm if self.max_grad_norm is not None else math.inf
            norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
        self.outer_optimizer.step()
        return MetaStepMetrics(
            query_loss=query,
            support_loss=support,
            tasks=len(episodes),
            seconds=time.perf_counter() - start,
            grad_norm=norm,
        )

    def evaluate(self, episodes: Sequence[Episode], steps: int | None = None) -> float:
        """Mean query loss after adaptation, with no meta-gradient."""
        total = 0.0
        for episode in episodes:
            adapted = self.adapt(episode.support, steps)
            with torch.no_grad():
                total += float(adapted.loss(self.loss_fn, episode.query))
        return total / max(len(episodes), 1)


def add_grad(param: Tensor, grad: Tensor | None, weight: float) -> None:
    """Accumulate `weight * grad` into a parameter's `.grad`."""
    if grad is None:
        return
    grad = grad.detach() * weight
    if param.grad is None:
        param.grad = grad.clone()
    else:
        param.grad.add_(grad)


def backward_into_head(head0: Head, grads: Mapping[str, Tensor | None], weight: float) -> None:
    """Send gradients w.r.t. the initial head back through the prototype computation."""
    if not head0:
        return
    pairs = [(head0[k], g) for k, g in grads.items() if g is not None and head0[k].requires_grad]
    if pairs:
        tensors, gs = zip(*pairs, strict=True)
        torch.autograd.backward(list(tensors), [g.detach() * weight for g in gs])
