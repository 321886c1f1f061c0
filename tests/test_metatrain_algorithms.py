"""Meta-gradients of MAML (both orders), Reptile and generation against hand-computed references."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor, nn

from metatrain.algorithms import (
    FOMAML,
    MAML,
    Episode,
    Generation,
    Head,
    Reptile,
    make_algorithm,
)


@pytest.fixture(autouse=True)
def float64() -> Any:
    """Exact closed-form comparisons need double precision (restored after each test)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


class Quadratic(nn.Module):
    """Two adapted vectors (`top.w`, `head.w`), a meta-learned `body.v` and a frozen `frozen.c`."""

    def __init__(self) -> None:
        super().__init__()
        self.top = nn.ParameterDict({"w": nn.Parameter(torch.tensor([0.5, -1.0, 2.0]))})
        self.head = nn.ParameterDict({"w": nn.Parameter(torch.tensor([1.0, 0.3]))})
        self.body = nn.ParameterDict({"v": nn.Parameter(torch.tensor([0.2]))})
        self.frozen = nn.ParameterDict(
            {"c": nn.Parameter(torch.tensor([7.0]), requires_grad=False)}
        )


def quad(w: Tensor, a_mat: Tensor, a: Tensor) -> Tensor:
    """0.5 (w - a)^T A (w - a)."""
    d = w - a
    return 0.5 * d @ a_mat @ d


def quadratic_loss(model: nn.Module, batch: Any, head: Head) -> Tensor:
    """Separate quadratics in top.w and head.w; body.v, frozen.c enter with weight 0."""
    (a_top, top), (a_head, hd) = batch
    return (
        quad(model.top["w"], a_top, top)
        + quad(model.head["w"], a_head, hd)
        + 0 * (model.body["v"].sum() * model.frozen["c"].sum())
    )


def spd(n: int, seed: int) -> Tensor:
    """A random symmetric positive definite matrix."""
    g = torch.Generator().manual_seed(seed)
    m = torch.randn(n, n, generator=g)
    return m @ m.T / n + torch.eye(n)


def batch(seed: int) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """A random pair of quadratics (top: 3-d, head: 2-d)."""
    g = torch.Generator().manual_seed(seed + 100)
    return (spd(3, seed), torch.randn(3, generator=g)), (
        spd(2, seed + 1),
        torch.randn(2, generator=g),
    )


def unroll(w: Tensor, a_mat: Tensor, a: Tensor, lr: float, steps: int) -> tuple[Tensor, Tensor]:
    """Closed-form inner loop: w_K and the Jacobian dw_K/dw = (I - lr A)^K."""
    jac = torch.eye(len(w))
    for _ in range(steps):
        w = w - lr * a_mat @ (w - a)
        jac = (torch.eye(len(w)) - lr * a_mat) @ jac
    return w, jac


LRS = {"top.": 0.1, "head.": 0.3}
STEPS = 2


def reference(model: Quadratic, episode: Episode, order: int) -> dict[str, Tensor]:
    """Hand-computed MAML meta-gradient of one task (order 1 or 2)."""
    out = {}
    for key, idx in (("top", 0), ("head", 1)):
        w0 = model.get_submodule(key)["w"].detach()
        a_s, s = episode.support[idx]
        a_q, q = episode.query[idx]
        w_k, jac = unroll(w0, a_s, s, LRS[key + "."], STEPS)
        g = a_q @ (w_k - q)
        out[key] = jac.T @ g if order == 2 else g
    return out


def algo(cls: type, model: nn.Module, **kw: Any) -> Any:
    """An algorithm on the quadratic model with per-prefix inner rates."""
    return cls(
        model,
        quadratic_loss,
        inner_steps=STEPS,
        inner_lr=0.05,
        inner_lr_by_prefix=LRS,
        adapt_prefixes=("top.", "head."),
        **kw,
    )


@pytest.mark.parametrize(("cls", "order"), [(MAML, 2), (FOMAML, 1)])
def test_maml_gradients_match_closed_form(cls: type, order: int) -> None:
    model = Quadratic()
    episodes = [Episode(batch(1), batch(2)), Episode(batch(3), batch(4))]
    alg = algo(cls, model)
    alg.outer_optimizer.zero_grad()
    alg.accumulate(episodes)
    refs = [reference(model, e, order) for e in episodes]
    for key in ("top", "head"):
        expected = sum(r[key] for r in refs) / len(refs)
        torch.testing.assert_close(model.get_submodule(key)["w"].grad, expected)
    assert model.frozen["c"].grad is None


def test_second_and_first_order_differ() -> None:
    model = Quadratic()
    e = Episode(batch(5), batch(6))
    assert not torch.allclose(reference(model, e, 1)["top"], reference(model, e, 2)["top"])


def test_meta_step_applies_outer_optimizer_and_keeps_frozen() -> None:
    model = Quadratic()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    alg = algo(MAML, model, outer_optimizer=None, outer_lr=0.5)
    alg.outer_optimizer = torch.optim.SGD(alg.meta_parameters(), lr=0.5)
    e = Episode(batch(1), batch(2))
    ref = reference(model, e, 2)
    metrics = alg.meta_step([e])
    torch.testing.assert_close(model.top["w"].detach(), before["top.w"] - 0.5 * ref["top"])
    torch.testing.assert_close(model.frozen["c"].detach(), before["frozen.c"])
    assert metrics.tasks == 1 and metrics.query_loss > 0 and metrics.seconds >= 0


def test_reptile_moves_toward_adapted_weights() -> None:
    model = Quadratic()
    eps = 0.25
    alg = algo(Reptile, model, outer_lr=eps)
    episodes = [Episode(batch(1), batch(2)), Episode(batch(3), batch(4))]
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    adapted = [alg.adapt(e.support).params for e in episodes]
    alg.meta_step(episodes)
    for name in ("top.w", "head.w"):
        phi = sum(a[name] for a in adapted) / len(adapted)
        torch.testing.assert_close(
            model.get_parameter(name).detach(), before[name] + eps * (phi - before[name])
        )
    # Parameters outside the inner loop, frozen or not, get no Reptile update.
    torch.testing.assert_close(model.body["v"].detach(), before["body.v"])
    torch.testing.assert_close(model.frozen["c"].detach(), before["frozen.c"])


def test_adapt_builds_no_graph_and_leaves_model_unchanged() -> None:
    model = Quadratic()
    alg = algo(MAML, model)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    adapted = alg.adapt(batch(1), steps=3)
    assert set(adapted.params) == {"top.w", "head.w"}
    for tensor in adapted.params.values():
        assert tensor.grad_fn is None
    for tensor in adapted.module.fast_params:  # type: ignore[attr-defined]
        assert tensor.grad_fn is None
    w_k, _ = unroll(before["top.w"], *batch(1)[0], LRS["top."], 3)
    torch.testing.assert_close(adapted.params["top.w"], w_k)
    for n, p in model.named_parameters():
        torch.testing.assert_close(p.detach(), before[n])
        assert p.grad is None
    assert len(adapted.support_losses) == 3
    assert adapted.support_losses[-1] < adapted.support_losses[0]


class ProtoLearner(nn.Module):
    """Head = enc * mean(support points); loss = 0.5 ||head - target||^2 (+ unused `top.b`)."""

    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Parameter(torch.tensor([0.5, 2.0]))
        self.top = nn.ParameterDict({"b": nn.Parameter(torch.zeros(2))})

    def prototypes_from_support(self, support: Any) -> dict[str, Tensor]:
        """The prototype: the encoded mean of the support points."""
        points, _ = support
        return {"h": self.enc * points.mean(0)}


def proto_loss(model: nn.Module, batch: Any, head: Head) -> Tensor:
    """0.5 ||h + top.b - target||^2."""
    assert head is not None
    _, target = batch
    return 0.5 * (head["h"] + model.top["b"] - target).pow(2).sum()


def proto_episode() -> Episode:
    """Support points with a target, and a query target."""
    pts = torch.tensor([[1.0, 2.0], [3.0, -1.0]])
    return Episode((pts, torch.tensor([0.4, -0.2])), (pts, torch.tensor([1.5, 0.7])))


def test_generation_gradient_through_prototypes() -> None:
    model = ProtoLearner()
    alg = Generation(model, proto_loss)
    e = proto_episode()
    alg.outer_optimizer.zero_grad()
    alg.accumulate([e])
    m = e.support[0].mean(0)
    h = model.enc.detach() * m
    torch.testing.assert_close(model.enc.grad, (h - e.query[1]) * m)
    assert alg.adapt(e.support).head is not None


def test_generation_requires_hook() -> None:
    with pytest.raises(TypeError):
        Generation(Quadratic(), quadratic_loss)


@pytest.mark.parametrize(("cls", "order"), [(MAML, 2), (FOMAML, 1)])
def test_proto_maml_head_gradient(cls: type, order: int) -> None:
    model = ProtoLearner()
    beta = 0.2
    alg = cls(model, proto_loss, inner_steps=1, inner_lr=0.1, head_lr=beta, adapt_prefixes=["top."])
    e = proto_episode()
    alg.outer_optimizer.zero_grad()
    alg.accumulate([e])
    m = e.support[0].mean(0)
    h0 = model.enc.detach() * m
    b1 = -0.1 * (h0 - e.support[1])  # top.b after one step (starts at 0)
    h1 = h0 - beta * (h0 - e.support[1])
    g = h1 + b1 - e.query[1]
    # Second order: d h1/d h0 = (1 - beta), d b1/d h0 = -0.1; first order: identity, zero.
    expected = ((1 - beta) - 0.1) * g * m if order == 2 else g * m
    torch.testing.assert_close(model.enc.grad, expected)


def test_make_algorithm_and_errors() -> None:
    model = Quadratic()
    assert make_algorithm("fomaml", model, quadratic_loss, adapt_prefixes=["top."]).name == "fomaml"
    with pytest.raises(ValueError, match="unknown algorithm"):
        make_algorithm("nope", model, quadratic_loss)
    with pytest.raises(ValueError, match="adapt_prefixes"):
        MAML(model, quadratic_loss, adapt_prefixes=["missing."])
    with pytest.raises(ValueError, match="at least one"):
        MAML(model, quadratic_loss).accumulate([])


class Tiny(nn.Module):
    """One transformer layer and a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.head = nn.Linear(8, 1)


def test_second_order_through_attention() -> None:
    """Double backward through scaled-dot-product attention works (math kernel)."""
    torch.manual_seed(0)
    model = Tiny()
    layer = model.enc

    def loss_fn(m: nn.Module, x: Any, head: Head) -> Tensor:
        return m.head(m.enc(x)).pow(2).mean()

    x = torch.randn(2, 4, 8)
    alg = MAML(model, loss_fn, inner_steps=1, inner_lr=0.1, adapt_prefixes=["enc.linear2", "head"])
    metrics = alg.meta_step([Episode(x, x)])
    assert metrics.grad_norm == metrics.grad_norm  # not NaN
    assert layer.self_attn.in_proj_weight.grad is not None
