"""Few-shot adaptation of an extractor model to a store, and the model-based evaluation methods.

`ModelMethod.adapt(support)` builds the store's head from the support pages' annotated spans
(prototypes), takes a few SGD steps on the top layers and the head (through `higher`, the same
inner loop as meta-training), and returns an extractor that decodes query pages.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from extractor.adapt.learner import UpperLearner, WindowBatch, stack_windows, task_loss
from extractor.extract import DEFAULT_MODEL_DIR, Extractor, PageInput
from extractor.neural.features import Spans, collate, encode_page, prune_template_nodes
from extractor.neural.model import (
    PACKAGED_ENCODER,
    TRAINING_FILE,
    ExtractorConfig,
    ExtractorModel,
    load_tokenizer,
    with_precision,
)
from extractor.neural.precision import resolve_precision
from extractor.page.dom import Node
from extractor.page.signals import page_language
from metatrain.algorithms import Adapted, make_algorithm
from metatrain.meta_train import adapted_names, remap_labels, taggable
from metatrain.methods import Prediction, register_model_method
from metatrain.tasks import AnnotatedPage, Page

logger = logging.getLogger(__name__)

#: Where the shipped meta-trained model lives (package data).
SHIPPED_MODEL = DEFAULT_MODEL_DIR


@dataclass
class AdaptSettings:
    """Test-time adaptation: inner steps and rates. A meta-trained model adapts with the inner
    loop it was meta-trained for (`for_model`); other models are fine-tuned with the defaults."""

    steps: int = 10
    inner_lr: float = 1e-3
    head_lr: float = 1e-2
    max_windows: int = 4  #: labelled windows kept per support page
    batch_size: int = 16
    crop_tokens: int = 96  #: tokens per window the upper layers adapt on (0: whole windows)

    @classmethod
    def for_model(
        cls, model_dir: str | Path, *, inner_loop: bool = False, **overrides: Any
    ) -> AdaptSettings:
        """A model's default adaptation: the steps its export chose (training.json's
        `adaptation`), else the inner loop (steps and rates) of its meta-training (no step after
        `generation`, which trains the head generated from the support as it is), else the
        defaults for a model that was not meta-trained. `inner_loop`: the meta-training's inner
        loop even where the export chose otherwise. More steps than the meta-training's
        overshoot: on a real store, 10 steps instead of 3 took the shipped model's confidence in
        a shown SKU from 0.82 to 0.33."""
        path = Path(model_dir) / TRAINING_FILE
        training = json.loads(path.read_text()) if path.is_file() else {}
        config = training.get("config", {}) if isinstance(training, dict) else {}
        chosen = training.get("adaptation", {}) if isinstance(training, dict) else {}
        learned: dict[str, Any] = {}
        if isinstance(config, dict) and "inner_steps" in config:
            generated = config.get("algorithm") == "generation"  # trained with no inner loop
            learned = {
                "steps": 0 if generated else int(config["inner_steps"]),
                "inner_lr": float(config["inner_lr"]),
                "head_lr": float(config["head_lr"]),
            }
        if not inner_loop and isinstance(chosen, dict) and "steps" in chosen:
            learned["steps"] = int(chosen["steps"])
        return cls(**{**learned, **{k: v for k, v in overrides.items() if v is not None}})


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


class ModelExtractor:
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
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
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
        )

    def extract(self, page: Page) -> Prediction:
        """Values and confidences of one page (its HTML only)."""
        parsed = page.parsed()
        if not parsed.nodes:
            return {}, {}
        lang = page_language(parsed.root) if parsed.root is not None else None
        item = PageInput(page.url or "", parsed.nodes, parsed.html, lang or None, parsed.root)
        return self.extractor.extract_values([item])[0]

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
        )
        return logits


class ModelMethod:
    """A model adapted per store from k annotated pages (k = 0: its learned default prototypes)."""

    def __init__(
        self,
        name: str,
        model: ExtractorModel,
        settings: AdaptSettings | None = None,
        precision: str = "fp32",
        markup: bool = True,
    ) -> None:
        self.name = name
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
        self.algorithm = make_algorithm(
            "fomaml",  # only its `adapt` is used: plain SGD steps, no graph kept
            self.learner,
            task_loss,
            inner_steps=self.settings.steps,
            inner_lr=self.settings.inner_lr,
            head_lr=self.settings.head_lr,
            adapt_prefixes=adapted_names(self.learner),
        )

    @torch.no_grad()
    def _support_batch(
        self, nodes: Sequence[Sequence[Node]], page_spans: Sequence[Spans]
    ) -> WindowBatch | None:
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
        for page_nodes, marked in zip(kept, spans, strict=True):
            windows = encode_page(page_nodes, self.tokenizer, features, marked, attributes)
            chosen = [w for w in windows if any(y > 0 for y in w.labels or [])]
            chosen = chosen[: self.settings.max_windows]
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

    def adapt(self, support: Sequence[AnnotatedPage]) -> ModelExtractor:
        """Prototypes from the support spans, then SGD steps on the top layers and the head."""
        nodes = [p.page.parsed().nodes for p in support]
        spans = [{a: s for a, s in p.match.spans.items() if a in p.attributes} for p in support]
        return self.adapt_spans(nodes, spans)

    def adapt_spans(
        self, nodes: Sequence[Sequence[Node]], spans: Sequence[Spans]
    ) -> ModelExtractor:
        """Adapt from annotated pages given as their text nodes and `{attribute: [spans]}`."""
        context = [list(n) for n in nodes]
        batch = self._support_batch(nodes, spans) if nodes else None
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
            return ModelExtractor(
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
        adapted = self.algorithm.adapt(batch)
        self.learner.eval()
        adapted.module.eval()  # the functional copy keeps the mode it was made in: no dropout
        return ModelExtractor(
            self.model,
            self.tokenizer,
            adapted,
            attributes,
            context,
            precision=self.precision,
            markup=self.markup,
        )


def adapted_model(extractor: ModelExtractor) -> ExtractorModel:
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
    extractor: ModelExtractor, directory: str | Path, training: dict[str, Any] | None = None
) -> Path:
    """Write the store's model directory (`from_pretrained` loads it)."""
    directory = Path(directory)
    model = adapted_model(extractor)
    info = {"store_attributes": extractor.attributes, **(training or {})}
    model.save_pretrained(directory, extractor.tokenizer, info)
    return directory


def shipped_model_dir(model: Path | None) -> Path:
    """The model directory to evaluate: the given one, else the shipped one."""
    path = model or SHIPPED_MODEL
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"no model at {path}: pass --model DIR (a directory written by `python -m metatrain "
            "train` or extractor training)"
        )
    return path


def meta_method(model: Path | None, precision: str = "fp32", markup: bool = True) -> ModelMethod:
    """`meta`: the meta-trained model (the shipped one unless --model is given), adapted the way
    `shopwright adapt` adapts it by default (`AdaptSettings.for_model`)."""
    path = shipped_model_dir(model)
    loaded = ExtractorModel.from_pretrained(path)
    settings = AdaptSettings.for_model(path)
    return ModelMethod("meta", loaded, settings, precision=precision, markup=markup)


def meta_steps_method(
    model: Path | None, precision: str = "fp32", markup: bool = True
) -> ModelMethod:
    """`meta-steps`: the same model adapted with the inner loop it was meta-trained with (the
    head from the support prototypes, then its SGD steps), whatever default its export chose."""
    path = shipped_model_dir(model)
    loaded = ExtractorModel.from_pretrained(path)
    settings = AdaptSettings.for_model(path, inner_loop=True)
    return ModelMethod("meta-steps", loaded, settings, precision=precision, markup=markup)


def pretrained_method(
    model: Path | None, precision: str = "fp32", markup: bool = True
) -> ModelMethod:
    """`pretrained`: the same architecture on the plain pretrained encoder, adapted per store.

    The structure embedding and head start untrained (seeded); a random-encoder model (tests)
    gets a fresh random encoder of the same shape.
    """
    config = ExtractorConfig(encoder=PACKAGED_ENCODER)
    path = model or SHIPPED_MODEL
    if (path / "config.json").is_file():
        base = ExtractorModel.from_pretrained(path).config
        config = dataclasses.replace(
            base,
            attributes=list(ExtractorConfig().attributes),
            encoder_config=None if base.encoder else base.encoder_config,
        )
    torch.manual_seed(0)
    return ModelMethod("pretrained", ExtractorModel(config), precision=precision, markup=markup)


def _joint_model(model: Path | None) -> ExtractorModel:
    path = shipped_model_dir(model) / "joint"
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no jointly trained model at {path}")
    return ExtractorModel.from_pretrained(path)


def joint_method(model: Path | None, precision: str = "fp32", markup: bool = True) -> ModelMethod:
    """`joint`: a model trained jointly on all training stores (`<model>/joint`), fine-tuned on
    the support (the head from its prototypes, then `AdaptSettings` SGD steps)."""
    joint = _joint_model(model)
    return ModelMethod("joint", joint, precision=precision, markup=markup)


def joint_prototypes_method(
    model: Path | None, precision: str = "fp32", markup: bool = True
) -> ModelMethod:
    """`joint-prototypes`: the joint model with the head from the support prototypes and no
    fine-tuning step (the adaptation the shipped model defaults to, on the joint weights)."""
    joint = _joint_model(model)
    settings = AdaptSettings(steps=0)
    return ModelMethod("joint-prototypes", joint, settings, precision=precision, markup=markup)


register_model_method("meta", meta_method)
register_model_method("meta-steps", meta_steps_method)
register_model_method("pretrained", pretrained_method)
register_model_method("joint", joint_method)
register_model_method("joint-prototypes", joint_prototypes_method)
