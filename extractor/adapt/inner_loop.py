"""The inner loop of adaptation: SGD steps on a task's support set through `higher`.

The product adapts a store with it (`extractor.adapt.store`); meta-training
(`metatrain.algorithms`) runs the same loop inside its outer loop, so that a store is adapted
exactly as the model was meta-trained to be adapted.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import higher
import torch
from torch import Tensor, nn

#: A task-specific head: named tensors built from the support set (prototypes), or None.
Head = dict[str, Tensor] | None
#: `loss_fn(learner, batch, head) -> scalar loss`; the learner may be a higher functional module.
LossFn = Callable[[nn.Module, Any, Head], Tensor]


def sgd_groups(groups: Mapping[float, list[nn.Parameter]]) -> torch.optim.SGD:
    """`torch.optim.SGD` over one parameter group per learning rate, as `higher` reads it (its
    groups with SGD's defaults, an empty state), built without calling SGD's constructor: that
    imports `torch._dynamo` on its first call (1.3 s of every `shopwright adapt` on 2 cores) only
    to keep `add_param_group` out of compilation."""
    signature = inspect.signature(torch.optim.SGD.__init__).parameters
    defaults = {k: p.default for k, p in signature.items() if k not in ("self", "params")}
    optimizer = torch.optim.SGD.__new__(torch.optim.SGD)
    optimizer.defaults = defaults | {"lr": 1.0}
    optimizer.state = defaultdict(dict)
    optimizer.param_groups = [defaults | {"params": ps, "lr": lr} for lr, ps in groups.items()]
    return optimizer


@runtime_checkable
class PrototypeLearner(Protocol):
    """A learner that builds its task head from support examples (Proto-MAML, generation)."""

    # The learner's root must not be a container (nn.Sequential, nn.ModuleDict): higher takes an
    # empty container for "no root" when a submodule is called directly.

    def prototypes_from_support(self, support: Any) -> dict[str, Tensor]:
        """Head tensors (e.g. class prototypes) computed from a support batch, differentiably."""
        ...


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


class InnerLoop:
    """SGD steps on a support set over one learner's adapted parameters (through `higher`).

    Parameters are of three kinds: frozen (`requires_grad=False`, never touched), learned
    (every other parameter), and adapted (the learned ones whose names start with one of
    `adapt_prefixes`; the inner loop's SGD steps change them).
    """

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
        init_head: bool = True,
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
        if self.uses_inner_loop and not self.adapted_names():
            raise ValueError(f"no trainable parameter matches adapt_prefixes={adapt_prefixes}")

    # -- parameter sets -------------------------------------------------------------------

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
        return sgd_groups(groups)

    # -- the inner loop -------------------------------------------------------------------

    def initial_head(self, fmodel: nn.Module, support: Any) -> Head:
        if not self.init_head:
            return None
        return dict(fmodel.prototypes_from_support(support))  # type: ignore[operator]

    def run_steps(
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

    def context(self, track: bool, lr_scale: float = 1.0, copy_initial: bool = False) -> Any:
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
        if support is None:  # zero-shot: the learned default head, no step
            return Adapted(module=self.model)
        with self.context(track=False, lr_scale=lr_scale, copy_initial=True) as (fmodel, diffopt):
            training = fmodel.training
            fmodel.eval()  # prototypes without dropout: a store's head does not depend on a seed
            with torch.no_grad():
                head = self.initial_head(fmodel, support)
            fmodel.train(training)
            if head is not None:
                head = {k: v.detach().requires_grad_() for k, v in head.items()}
            head, losses = self.run_steps(
                fmodel, diffopt, support, head, steps, False, self.head_lr * lr_scale
            )
        names = [n for n, _ in self.model.named_parameters()]
        fast = fast_params(fmodel)
        adapted = set(self.adapted_names())
        params = {n: t.detach() for n, t in zip(names, fast, strict=True) if n in adapted}
        if head is not None:
            head = {k: v.detach() for k, v in head.items()}
        return Adapted(module=fmodel, head=head, params=params, support_losses=losses)


def named_fast(model: nn.Module, fmodel: nn.Module) -> Iterator[tuple[str, nn.Parameter, Tensor]]:
    """(name, original parameter, fast tensor) triples, in the model's parameter order."""
    named = model.named_parameters()
    yield from ((n, p, f) for (n, p), f in zip(named, fast_params(fmodel), strict=True))


def fast_params(fmodel: nn.Module) -> list[Tensor]:
    """The current fast weights of a higher functional module, in parameter order."""
    return list(fmodel.fast_params)  # type: ignore[arg-type]
