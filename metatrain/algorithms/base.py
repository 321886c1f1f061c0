"""The one interface of the meta-learning algorithms: episodes, learners, adaptation, meta-steps."""

from __future__ import annotations

import logging
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import higher
import torch
from torch import Tensor, nn

logger = logging.getLogger(__name__)

#: A task-specific head: named tensors built from the support set (prototypes), or None.
Head = dict[str, Tensor] | None
#: `loss_fn(learner, batch, head) -> scalar loss`; the learner may be a higher functional module.
LossFn = Callable[[nn.Module, Any, Head], Tensor]


@runtime_checkable
class PrototypeLearner(Protocol):
    """A learner that builds its task head from support examples (Proto-MAML, generation)."""

    # The learner's root must not be a container (nn.Sequential, nn.ModuleDict): higher takes an
    # empty container for "no root" when a submodule is called directly.

    def prototypes_from_support(self, support: Any) -> dict[str, Tensor]:
        """Head tensors (e.g. class prototypes) computed from a support batch, differentiably."""
        ...


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


@dataclass
class Adapted:
    """A learner adapted to one task: the (functional) module, its head, the adapted tensors."""

    module: nn.Module
    head: Head = None
    params: dict[str, Tensor] = field(default_factory=dict)
    support_losses: list[float] = field(default_factory=list)

    def loss(self, loss_fn: LossFn, batch: Any) -> Tensor:
        """The task loss of a batch under the adapted learner."""
        return loss_fn(self.module, batch, self.head)


def matches(name: str, prefixes: Sequence[str] | None) -> bool:
    """Whether a parameter name starts with one of the prefixes (None matches everything)."""
    return prefixes is None or any(name.startswith(p) for p in prefixes)


def sdpa_math_kernel() -> AbstractContextManager[object]:
    """Force the math SDPA kernel: the fused CPU/flash kernels have no double backward."""
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:  # pragma: no cover - older torch
        return nullcontext()
    return sdpa_kernel([SDPBackend.MATH])


class MetaAlgorithm(ABC):
    """A meta-learning algorithm over one learner: `adapt` to a task, `meta_step` over tasks.

    Parameters are of three kinds: frozen (`requires_grad=False`, never touched), meta-learned
    (every other parameter; the outer optimiser updates them), and adapted (the meta-learned ones
    whose names start with one of `adapt_prefixes`; the inner loop's SGD steps change them).
    """

    name: str = "base"
    #: Whether the method takes inner-loop steps (the generation method does not).
    uses_inner_loop: bool = True

    def __init__(
        self,
        model: nn.Module,
        loss_fn: LossFn,
        *,
        inner_steps: int = 3,
        inner_lr: float = 1e-2,
        inner_lr_by_prefix: Mapping[str, float] | None = None,
        head_lr: float | None = None,
        adapt_prefixes: Sequence[str] | None = None,
        outer_optimizer: torch.optim.Optimizer | None = None,
        outer_lr: float = 1e-3,
        init_head: bool = True,
        max_grad_norm: float | None = None,
    ) -> None:
        if inner_steps < 0:
            raise ValueError(f"inner_steps must be >= 0, got {inner_steps}")
        if inner_lr <= 0:
            raise ValueError(f"inner_lr must be > 0, got {inner_lr}")
        self.model = model
        self.loss_fn = loss_fn
        self.inner_steps = inner_steps
        self.inner_lr = inner_lr
        self.inner_lr_by_prefix = dict(inner_lr_by_prefix or {})
        self.head_lr = inner_lr if head_lr is None else head_lr
        self.adapt_prefixes = None if adapt_prefixes is None else tuple(adapt_prefixes)
        self.init_head = init_head and isinstance(model, PrototypeLearner)
        self.max_grad_norm = max_grad_norm
        adapted = self.adapted_names()
        if self.uses_inner_loop and not adapted:
            raise ValueError(f"no trainable parameter matches adapt_prefixes={adapt_prefixes}")
        self.outer_optimizer = outer_optimizer or torch.optim.Adam(self.meta_parameters(), outer_lr)

    # -- parameter sets -------------------------------------------------------------------

    def meta_parameters(self) -> list[nn.Parameter]:
        """The parameters the outer loop learns (every parameter that requires grad)."""
        return [p for p in self.model.parameters() if p.requires_grad]

    def adapted_names(self) -> list[str]:
        """Names of the parameters the inner loop adapts."""
        return [
            n
            for n, p in self.model.named_parameters()
            if p.requires_grad and matches(n, self.adapt_prefixes)
        ]

    def lr_for(self, name: str) -> float:
        """The inner learning rate of one parameter: the longest matching prefix's, else default."""
        best = ""
        for prefix in self.inner_lr_by_prefix:
            if name.startswith(prefix) and len(prefix) > len(best):
                best = prefix
        return self.inner_lr_by_prefix[best] if best else self.inner_lr

    def inner_optimizer(self, lr_scale: float = 1.0) -> torch.optim.SGD:
        """Plain SGD over the adapted parameters, one parameter group per learning rate."""
        groups: dict[float, list[nn.Parameter]] = {}
        named = dict(self.model.named_parameters())
        for name in self.adapted_names():
            groups.setdefault(self.lr_for(name) * lr_scale, []).append(named[name])
        return torch.optim.SGD([{"params": ps, "lr": lr} for lr, ps in groups.items()], lr=1.0)

    # -- the inner loop -------------------------------------------------------------------

    def _initial_head(self, fmodel: nn.Module, support: Any) -> Head:
        if not self.init_head:
            return None
        return dict(fmodel.prototypes_from_support(support))  # type: ignore[operator]

    def _inner_loop(
        self,
        fmodel: nn.Module,
        diffopt: higher.optim.DifferentiableOptimizer,
        support: Any,
        head: Head,
        steps: int,
        track: bool,
        head_lr: float,
    ) -> tuple[Head, list[float]]:
        """SGD steps on the support loss: diffopt for module parameters, plain SGD for the head."""
        losses: list[float] = []
        for _ in range(steps):
            loss = self.loss_fn(fmodel, support, head)
            losses.append(float(loss.detach()))
            if head:
                keys = list(head)
                grads = torch.autograd.grad(
                    loss, [head[k] for k in keys], create_graph=track, retain_graph=True
                )
                head = {k: head[k] - head_lr * g for k, g in zip(keys, grads, strict=True)}
                if not track:
                    head = {k: v.detach().requires_grad_() for k, v in head.items()}
            diffopt.step(loss)
        return head, losses

    def _ctx(self, track: bool, lr_scale: float = 1.0, copy_initial: bool = False) -> Any:
        # copy_initial_weights=False keeps the fast weights on the tape of the model's own
        # parameters (what meta-gradients need); evaluation copies them and keeps no tape.
        return higher.innerloop_ctx(
            self.model,
            self.inner_optimizer(lr_scale),
            copy_initial_weights=copy_initial,
            track_higher_grads=track,
        )

    def adapt(self, support: Any, steps: int | None = None, lr_scale: float = 1.0) -> Adapted:
        """Adapt to one task's support set for evaluation (no graph kept; the model is unchanged).

        `steps` defaults to the training inner steps; `lr_scale` multiplies every inner rate.
        """
        steps = self.inner_steps if steps is None else steps
        if not self.uses_inner_loop:
            steps = 0
        with self._ctx(track=False, lr_scale=lr_scale, copy_initial=True) as (fmodel, diffopt):
            training = fmodel.training
            fmodel.eval()  # prototypes without dropout: a store's head does not depend on a seed
            with torch.no_grad():
                head = self._initial_head(fmodel, support)
            fmodel.train(training)
            if head is not None:
                head = {k: v.detach().requires_grad_() for k, v in head.items()}
            head, losses = self._inner_loop(
                fmodel, diffopt, support, head, steps, False, self.head_lr * lr_scale
            )
        names = [n for n, _ in self.model.named_parameters()]
        fast = fast_params(fmodel)
        adapted = set(self.adapted_names())
        params = {n: t.detach() for n, t in zip(names, fast, strict=True) if n in adapted}
        if head is not None:
            head = {k: v.detach() for k, v in head.items()}
        return Adapted(module=fmodel, head=head, params=params, support_losses=losses)

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
            q, s = self.task_gradients(episode, weight)
            query += q * weight
            support += s * weight
        return query, support

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


def named_fast(model: nn.Module, fmodel: nn.Module) -> Iterator[tuple[str, nn.Parameter, Tensor]]:
    """(name, original parameter, fast tensor) triples, in the model's parameter order."""
    named = model.named_parameters()
    yield from ((n, p, f) for (n, p), f in zip(named, fast_params(fmodel), strict=True))


def fast_params(fmodel: nn.Module) -> list[Tensor]:
    """The current fast weights of a higher functional module, in parameter order."""
    return list(fmodel.fast_params)  # type: ignore[arg-type]
