"""The extractor as a meta-learner: upper layers + prototype head on cached lower hidden states."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from extractor.adapt.inner_loop import Head
from extractor.neural.features import attribute_classes, pad_relations
from extractor.neural.model import ExtractorModel, stack_prototypes


@dataclass
class WindowBatch:
    """Windows of one task as the upper part sees them: cached lower states, mask, BIO labels."""

    hidden: Tensor  #: [B, T, H] lower hidden states (frozen part, cached)
    mask: Tensor  #: [B, T] attention mask
    labels: Tensor  #: [B, T] class ids over `attribute_classes(attributes)`, -100 ignored
    attributes: list[str]
    #: [B, T, len(attributes), N_RELATIONS] relations to the task's support values (query only)
    relations: Tensor | None = None

    def to(self, device: torch.device) -> WindowBatch:
        """The batch on a device."""
        relations = self.relations.to(device) if self.relations is not None else None
        return WindowBatch(
            self.hidden.to(device),
            self.mask.to(device),
            self.labels.to(device),
            self.attributes,
            relations,
        )


def stack_windows(
    hidden: Sequence[Tensor],
    labels: Sequence[Tensor],
    attributes: Sequence[str],
    relations: Sequence[Tensor] | None = None,
) -> WindowBatch:
    """Pad per-window [T_i, H] states, [T_i] labels (and [T_i, A, K] relations) into a batch."""
    if not hidden:
        raise ValueError("a batch needs at least one window")
    t = max(h.shape[0] for h in hidden)
    dim = hidden[0].shape[-1]
    out = torch.zeros(len(hidden), t, dim, dtype=torch.float32)
    mask = torch.zeros(len(hidden), t, dtype=torch.long)
    lab = torch.full((len(hidden), t), -100, dtype=torch.long)
    for i, (h, y) in enumerate(zip(hidden, labels, strict=True)):
        out[i, : h.shape[0]] = h.float()
        mask[i, : h.shape[0]] = 1
        lab[i, : y.shape[0]] = y
    stacked = pad_relations(relations, t) if relations else None
    return WindowBatch(out, mask, lab, list(attributes), stacked)


class UpperLearner(nn.Module):
    """Wraps an ExtractorModel so that `higher` sees one module whose forward runs the upper part.

    Everything goes through `forward` (also the projections for prototypes), so that a functional
    copy always uses its current fast weights.
    """

    def __init__(self, model: ExtractorModel) -> None:
        super().__init__()
        self.model = model

    def encode_upper(self, hidden: Tensor, mask: Tensor) -> Tensor:
        """The top layers, indexed one by one: slicing an nn.ModuleList inside a higher functional
        copy builds a new patched container and fails, so `ExtractorModel.encode_upper` cannot
        be used here."""
        model = self.model
        layers = model.layers
        attention = model.attention_bias(hidden, mask)
        for i in range(model.n_lower, len(layers)):
            out = layers[i](hidden, attention)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    def forward(
        self,
        hidden: Tensor,
        mask: Tensor,
        attributes: Sequence[str] | None = None,
        prototypes: Tensor | None = None,
        bias: Tensor | None = None,
        project: bool = False,
        relations: Tensor | None = None,
    ) -> Tensor:
        """Logits [B, T, C] (or unit projections [B, T, P] with `project`)."""
        top = self.encode_upper(hidden, mask)
        if project:
            return self.model.head.project(top)
        attrs = self.model.config.attributes if attributes is None else attributes
        return self.model.head(top, attrs, prototypes, bias, relations)

    def prototypes_from_support(self, support: WindowBatch) -> dict[str, Tensor]:
        """Prototypes and biases of the support's classes (learned defaults where it has none)."""
        proj = self(support.hidden, support.mask, project=True)
        head = self.model.head
        defaults = {name: i for i, name in enumerate(head.class_names)}
        classes = attribute_classes(support.attributes)
        protos: list[Tensor | None] = []
        bias: list[Tensor] = []
        for c, name in enumerate(classes):
            sel = support.labels == c
            mean = proj[sel].mean(0) if name != "O" and bool(sel.any()) else None
            if mean is None and name in defaults:
                mean = head.prototypes[defaults[name]]
            protos.append(mean)
            bias.append(head.bias[defaults[name]] if name in defaults else head.bias.new_zeros(()))
        return {
            "prototypes": stack_prototypes(protos, classes),
            "bias": torch.stack(bias),
        }


def task_logits(learner: nn.Module, batch: WindowBatch, head: Head) -> Tensor:
    """BIO logits of the task's attributes on a batch (with the task's head when given)."""
    protos, bias = (head["prototypes"], head["bias"]) if head else (None, None)
    return learner(
        batch.hidden, batch.mask, batch.attributes, protos, bias, relations=batch.relations
    )


def logits_loss(logits: Tensor, batch: WindowBatch) -> Tensor:
    """Token cross-entropy of `logits` against the batch's BIO labels."""
    return F.cross_entropy(logits.flatten(0, 1), batch.labels.flatten(), ignore_index=-100)


def task_loss(learner: nn.Module, batch: WindowBatch, head: Head) -> Tensor:
    """Token cross-entropy of the BIO classes (the task's attributes) on a batch."""
    return logits_loss(task_logits(learner, batch, head), batch)


def remap_labels(labels: torch.Tensor, old: Sequence[str], new: Sequence[str]) -> torch.Tensor:
    """Labels over `attribute_classes(old)` -> over `attribute_classes(new)` (dropped -> O)."""
    table = torch.zeros(len(attribute_classes(old)), dtype=torch.long)
    for j, name in enumerate(old):
        if name in new:
            i = list(new).index(name)
            table[1 + 2 * j], table[2 + 2 * j] = 1 + 2 * i, 2 + 2 * i
    out = labels.clone()
    valid = labels >= 0
    out[valid] = table[labels[valid]]
    return out


def adapted_names(learner: UpperLearner) -> list[str]:
    """Names of the parameters the inner loop adapts: the upper layers and the head."""
    model = learner.model
    upper = {id(p) for layer in model.layers[model.n_lower :] for p in layer.parameters()}
    return [
        n
        for n, p in learner.named_parameters()
        if id(p) in upper or (n.startswith("model.head.") and ".relate." not in n)
    ]
