"""Few-shot adaptation of an extractor model to one store: the product's `shopwright adapt`.

adapter = StoreAdapter(ExtractorModel.from_pretrained(model_dir), AdaptSettings.for_model(dir))
adapted = adapter.adapt(nodes_per_page, spans_per_page)    # k annotated pages
values = adapted.extract_values(pages)                     # the store's other pages
save_adapted(adapted, "data/store/model")                  # `from_pretrained` loads it
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from extractor.adapt.inner_loop import Adapted, InnerLoop
from extractor.adapt.learner import (
    UpperLearner,
    WindowBatch,
    adapted_names,
    remap_labels,
    stack_windows,
    task_loss,
)
from extractor.adapt.settings import AdaptSettings
from extractor.adapt.support import SupportIndex, save_support
from extractor.adapt.transductive import pseudo_examples
from extractor.adapt.wrapper import Example, WrapperPage
from extractor.extract import Extractor
from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import PACKAGED_ENCODER
from extractor.neural.features import Spans, collate, encode_page, labelled_windows, taggable
from extractor.neural.model import ExtractorModel
from extractor.neural.precision import resolve_precision, with_precision
from extractor.page.dom import Node, PageError, parse_html
from extractor.page.input import PageInput
from extractor.page.template import prune_template_nodes
from extractor.values.fusion import Confidence, Values
from extractor.values.matching import MatchResult
from extractor.values.normalize.text import join_texts

logger = logging.getLogger(__name__)


def crop_around_labels(
    hidden: torch.Tensor, labels: torch.Tensor, length: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The run of a window's tokens that holds all its labelled tokens, widened to `length`.

    Unlike meta-training's random crop, no support label is ever cut off; the lower states
    already carry the whole window's context.
    """
    n = hidden.shape[0]
    marked = (labels > 0).nonzero().flatten()
    if length <= 0 or n <= length or not len(marked):
        return hidden, labels
    lo, hi = int(marked[0]), int(marked[-1]) + 1
    extra = max(0, length - (hi - lo))
    start = max(0, min(lo - extra // 2, n - max(length, hi - lo)))
    end = max(hi, start + length)
    return hidden[start:end], labels[start:end]


class AdaptedExtractor:
    """An adapted model: extracts a store's attributes through `extractor.extract.Extractor`, the
    code path of `shopwright extract` (model spans fused with the page's structured data).

    At a precision other than fp32, it extracts with `fast`: the zero-shot model at that
    precision, or one built here from the adapted model, as `shopwright adapt` then `extract`
    would.
    """

    def __init__(
        self,
        model: ExtractorModel,
        tokenizer: Any,
        adapted: Adapted | None,
        attributes: list[str],
        context: list[list[Node]],
        batch_size: int = 16,
        fast: ExtractorModel | None = None,
        precision: str = "fp32",
        markup: bool = True,
        support: SupportIndex | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.support = support  #: the store's annotated values, for a model with a relation head
        self.adapted = adapted
        self.attributes = attributes
        self.context = context  #: support pages' nodes: template pruning looks across pages
        self.batch_size = batch_size
        if precision != "fp32" and fast is None:
            fast = with_precision(adapted_model(self).eval(), precision, copy=False)
        forward = self._logits if adapted is not None and fast is None else None
        self.extractor = Extractor(
            fast or model,
            tokenizer,
            attributes,
            forward=forward,
            context=context,
            structured=markup,
            batch_size=batch_size,
            support=support,
        )

    def extract_values(self, pages: Sequence[PageInput]) -> list[tuple[Values, Confidence]]:
        """Values and confidences per page (`Extractor.extract_values`)."""
        return self.extractor.extract_values(pages)

    def _logits(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The adapted functional copy's logits on a batch of windows."""
        assert self.adapted is not None
        hidden = self.model.encode_lower(batch)
        head = self.adapted.head or {}
        logits: torch.Tensor = self.adapted.module(
            hidden,
            batch["attention_mask"],
            self.attributes,
            head.get("prototypes"),
            head.get("bias"),
            relations=batch.get("relations"),
        )
        return logits


class StoreAdapter:
    """Adapts one model to stores from k annotated pages (k = 0: its learned default prototypes).

    `adapt(nodes, spans)` builds the store's head from the support spans' prototypes, takes the
    settings' SGD steps on the top layers and the head (the inner loop of meta-training), and
    returns an `AdaptedExtractor`.
    """

    def __init__(
        self,
        model: ExtractorModel,
        settings: AdaptSettings | None = None,
        precision: str = "fp32",
        markup: bool = True,
    ) -> None:
        #: whether extraction fuses the model's spans with the page's structured data (False: the
        #: model's spans and the price rules alone, to compare models)
        self.markup = markup
        #: the precision extraction runs at (`extractor.neural.precision.PRECISIONS`); adaptation
        #: is fp32
        self.precision = resolve_precision(precision, model.device)
        self._zero_shot_fast: ExtractorModel | None = None
        self.model = model.eval()
        self.model.freeze_lower()
        self.model.set_attention("sdpa")  # first-order steps only: no double backward needed
        self.settings = settings or AdaptSettings()
        self.tokenizer = load_tokenizer(model.config.encoder or PACKAGED_ENCODER)
        self.learner = UpperLearner(self.model)
        self.inner_loop = InnerLoop(
            self.learner,
            task_loss,
            inner_steps=self.settings.steps,
            inner_lr=self.settings.inner_lr,
            head_lr=self.settings.head_lr,
            adapt_prefixes=adapted_names(self.learner),
        )

    @torch.no_grad()
    def _support_batch(
        self, nodes: Sequence[Sequence[Node]], page_spans: Sequence[Spans], pseudo: int = 0
    ) -> WindowBatch | None:
        """The support's labelled windows as the upper layers see them; on the last `pseudo`
        (pseudo-annotated) pages only the marked tokens count: what they leave unmarked may
        still be a value."""
        attributes = taggable([a for sp in page_spans for a, items in sp.items() if items])
        attributes = list(dict.fromkeys(attributes))
        if not attributes:
            return None
        spans = [{a: list(s) for a, s in sp.items() if a in attributes} for sp in page_spans]
        protect = [{s["xpath"] for items in sp.values() for s in items} for sp in spans]
        kept = prune_template_nodes(nodes, protect)
        features = self.model.config.features
        hidden: list[torch.Tensor] = []
        labels: list[torch.Tensor] = []
        first_pseudo = len(kept) - pseudo
        for p, (page_nodes, marked) in enumerate(zip(kept, spans, strict=True)):
            windows = encode_page(page_nodes, self.tokenizer, features, marked, attributes)
            chosen = labelled_windows(windows, self.settings.max_windows)
            for b in range(0, len(chosen), self.settings.batch_size):
                part = chosen[b : b + self.settings.batch_size]
                batch = {k: v.to(self.model.device) for k, v in collate(part).items()}
                states = self.model.encode_lower(batch)
                for i, w in enumerate(part):
                    # As in meta-training: the upper layers see a run around labelled tokens.
                    h, y = crop_around_labels(
                        states[i, : len(w.input_ids)],
                        torch.tensor(w.labels or [], dtype=torch.long),
                        self.settings.crop_tokens,
                    )
                    if p >= first_pseudo:
                        y = y.masked_fill(y == 0, -100)
                    hidden.append(h)
                    labels.append(y)
        # An attribute whose spans all fell outside the kept windows (pruned, cut, or past
        # max_windows) has no labelled token and, when new, no prototype: leave it out.
        present = {(int(c) - 1) // 2 for y in labels for c in y.unique() if int(c) > 0}
        shown = [a for j, a in enumerate(attributes) if j in present]
        if not hidden or not shown:
            return None
        if len(shown) < len(attributes):
            labels = [remap_labels(y, attributes, shown) for y in labels]
        return stack_windows(hidden, labels, shown).to(self.model.device)

    def adapt(
        self,
        nodes: Sequence[Sequence[Node]],
        spans: Sequence[Spans],
        store: Sequence[PageInput] = (),
        examples: Sequence[Example] = (),
    ) -> AdaptedExtractor:
        """Adapt from annotated pages given as their text nodes and `{attribute: [spans]}`;
        `store` (the store's pages, unlabelled, as the crawl holds them) tells its template from
        its data and, with `settings.self_training`, gives pseudo-annotated pages to adapt on
        again (`extractor.adapt.transductive`); `examples` (the annotated pages with their HTML
        roots and values) give the store's wrapper rules, which the model reads beside the
        support values."""
        store_nodes = [p.nodes for p in store]
        extractor = self._adapt_once(nodes, spans, store_nodes, examples)
        training = self.settings.self_training
        wanted = training.wanted(len(nodes))
        support = extractor.support
        if not wanted or not store or not examples or support is None:
            return extractor
        annotated = {e.page.url for e in examples if e.page.url}
        attributes = list(dict.fromkeys(a for sp in spans for a, s in sp.items() if s))
        pseudo = pseudo_examples(
            extractor.extractor, store, annotated, attributes, support.kinds, training, wanted
        )
        if not pseudo:
            return extractor
        logger.info("self-training: %d of the store's pages join the support", len(pseudo))
        more_nodes = [*nodes, *(list(e.page.nodes) for e in pseudo)]
        more_spans = [*spans, *({a: e.match.spans[a] for a in e.labels} for e in pseudo)]
        # the store's rules and the support check stay those of the annotated pages: a rule
        # induced from the pipeline's own values would carry its misses to every page
        return self._adapt_once(more_nodes, more_spans, store_nodes, examples, len(pseudo))

    def _adapt_once(
        self,
        nodes: Sequence[Sequence[Node]],
        spans: Sequence[Spans],
        store_pages: Sequence[Sequence[Node]],
        examples: Sequence[Example],
        pseudo: int = 0,
    ) -> AdaptedExtractor:
        """One adaptation: the support index and rules, the inner loop, the support check; the
        last `pseudo` pages are pseudo-annotated (they speak for the values they mark only)."""
        context = [list(n) for n in nodes]
        support = None
        if nodes and self.model.head.relate is not None:
            support = SupportIndex.build(
                nodes, spans, store_pages, examples=examples, pseudo=pseudo
            )
        batch = self._support_batch(nodes, spans, pseudo) if nodes else None
        if batch is not None:
            logger.info(
                "support: %d windows, %d tokens, attributes %s",
                batch.hidden.shape[0],
                int(batch.mask.sum()),
                batch.attributes,
            )
        defaults = list(self.model.config.attributes)
        if batch is None:
            if self.precision != "fp32" and self._zero_shot_fast is None:
                self._zero_shot_fast = with_precision(self.model, self.precision)
            return AdaptedExtractor(
                self.model,
                self.tokenizer,
                None,
                defaults,
                context,
                fast=self._zero_shot_fast,
                markup=self.markup,
            )
        attributes = list(dict.fromkeys([*batch.attributes, *defaults]))
        batch.attributes = attributes  # labels index the first (support) attributes: unchanged
        self.learner.train()
        adapted = self.inner_loop.adapt(batch)
        self.learner.eval()
        adapted.module.eval()  # the functional copy keeps the mode it was made in: no dropout
        extractor = AdaptedExtractor(
            self.model,
            self.tokenizer,
            adapted,
            attributes,
            context,
            precision=self.precision,
            markup=self.markup,
            support=support,
        )
        if support is not None and examples:
            # the store's rules and the page's heuristics, on the support pages themselves
            pages = [
                PageInput(e.page.url or "", list(e.page.nodes), root=e.page.root) for e in examples
            ]
            extractor.extractor.check_support(pages, [e.labels for e in examples])
        return extractor


def adapted_model(extractor: AdaptedExtractor) -> ExtractorModel:
    """A standalone model of the adapted store: adapted layers, head rows for its attributes.

    Its `forward(batch, extractor.attributes)` gives the adapted extractor's logits; attributes
    new to the model become learned rows of its head (`add_attributes`).
    """
    model = copy.deepcopy(extractor.model)
    adapted = extractor.adapted
    if adapted is None:
        return model
    state = {name.removeprefix("model."): t for name, t in adapted.params.items()}
    missing = set(state) - set(model.state_dict())
    if missing:
        raise ValueError(f"adapted tensors unknown to the model: {sorted(missing)[:3]}")
    model.load_state_dict(state, strict=False)
    head = adapted.head
    if head:
        model.add_attributes(extractor.attributes, head["prototypes"])
        rows = model.head.class_index(extractor.attributes)
        with torch.no_grad():
            model.head.prototypes[rows] = head["prototypes"].to(model.head.prototypes)
            model.head.bias[rows] = head["bias"].to(model.head.bias)
    return model


def save_adapted(
    extractor: AdaptedExtractor, directory: str | Path, training: dict[str, Any] | None = None
) -> Path:
    """Write the store's model directory (`from_pretrained` loads it)."""
    directory = Path(directory)
    model = adapted_model(extractor)
    info = {"store_attributes": extractor.attributes, **(training or {})}
    model.save_pretrained(directory, extractor.tokenizer, info)
    if extractor.support is not None:
        save_support(extractor.support, directory)
    return directory


def annotation_example(
    nodes: Sequence[Node], html: str | bytes | None, url: str, annotation: Mapping[str, Any]
) -> Example:
    """A wrapper example from a stored page and its annotation (`{url, spans, values?,
    images?}`): the values default to the marked texts."""
    spans = annotation.get("spans") or {}
    images = annotation.get("images") or {}
    values = annotation.get("values") or {
        name: join_texts([str(span["text"]) for span in marked]) for name, marked in spans.items()
    }
    try:
        root = parse_html(html) if html else None
    except PageError:
        root = None
    match = MatchResult(spans=dict(spans), images=dict(images))
    return Example(WrapperPage(nodes, root, url), values, match)
