"""Token-level progress metrics of meta-training (a cheap signal, not the evaluation metric)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from extractor.adapt.inner_loop import Head
from extractor.adapt.learner import WindowBatch, logits_loss, task_logits


def token_counts(logits: Tensor, labels: Tensor) -> tuple[int, int, int]:
    """(correct, predicted, gold) counts of the non-O tokens."""
    pred = logits.argmax(-1)
    valid = labels != -100
    tp = int(((pred == labels) & (labels > 0) & valid).sum().item())
    predicted = int(((pred > 0) & valid).sum().item())
    gold = int(((labels > 0) & valid).sum().item())
    return tp, predicted, gold


def f1_of_counts(tp: float, predicted: float, gold: float) -> float:
    """Micro F1 from (correct, predicted, gold) token counts."""
    if not predicted or not gold:
        return 0.0
    p, r = tp / predicted, tp / gold
    return 2 * p * r / (p + r) if p + r else 0.0


def token_f1(logits: Tensor, labels: Tensor) -> float:
    """Micro F1 of the non-O tokens (a cheap progress signal, not the evaluation metric)."""
    return f1_of_counts(*token_counts(logits, labels))


class QueryF1:
    """A task loss that also counts the tokens of the query batches it scores, so that the
    progress bar can show a running query F1 at no extra forward pass.

    `watch(episodes)` names the query batches of the next meta-step; support batches pass
    through uncounted.
    """

    def __init__(self, decay: float = 0.9) -> None:
        self.decay = decay
        #: running (correct, predicted, gold) token counts, decayed once per meta-step
        self.counts: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self._queries: set[int] = set()

    def watch(self, queries: Sequence[WindowBatch]) -> None:
        """Count these batches (the query sets of the next meta-step); older counts decay."""
        self._queries = {id(q) for q in queries}
        tp, predicted, gold = self.counts
        self.counts = (tp * self.decay, predicted * self.decay, gold * self.decay)

    def __call__(self, learner: nn.Module, batch: WindowBatch, head: Head) -> Tensor:
        logits = task_logits(learner, batch, head)
        if id(batch) in self._queries:
            tp, predicted, gold = token_counts(logits.detach(), batch.labels)
            old_tp, old_predicted, old_gold = self.counts
            self.counts = (old_tp + tp, old_predicted + predicted, old_gold + gold)
        return logits_loss(logits, batch)

    @property
    def f1(self) -> float:
        """The running query token F1."""
        return f1_of_counts(*self.counts)
