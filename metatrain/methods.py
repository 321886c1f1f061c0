"""Extraction methods behind one interface: `Method.adapt(support) -> Reader`, `read(page)`.

The evaluation harness runs every method the same way: adapt to a store from k annotated pages,
then read every other page. The baselines (XPath wrapper induction, structured data) and the
model-based methods (the product's `StoreAdapter` with one model and adaptation setting each)
are listed in plain mappings: `MODEL_METHODS` and `BASELINES`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import torch

from extractor.adapt.settings import AdaptSettings
from extractor.adapt.store import AdaptedExtractor, StoreAdapter
from extractor.adapt.transductive import SELF_TRAINING_PAGES, SelfTraining
from extractor.adapt.wrapper import Example, Wrapper, WrapperPage, induce
from extractor.extract import DEFAULT_MODEL_DIR, model_dir_or_default
from extractor.neural.config import PACKAGED_ENCODER, ExtractorConfig
from extractor.neural.model import ExtractorModel
from extractor.page.input import PageInput
from extractor.page.signals import page_language
from extractor.values.fusion import FusionSettings, markup_values
from metatrain.tasks import AnnotatedPage, Page

logger = logging.getLogger(__name__)

Prediction = tuple[dict[str, Any], dict[str, float]]


class Reader(Protocol):
    """A method adapted to one store: reads values from a page it has never seen labelled."""

    def read(self, page: Page) -> Prediction:
        """`({attribute: value or [values]}, {attribute: confidence})` for one page."""
        ...


class Method(Protocol):
    """An extraction method: adapts to a store from k annotated pages (k may be 0)."""

    name: str

    def adapt(self, support: Sequence[AnnotatedPage], store: Sequence[Page] = ()) -> Reader:
        """A reader for the store of the support pages (no support: zero-shot); `store` holds
        the store's pages, unlabelled, as a crawl would (transductive methods read them)."""
        ...


def page_input(page: Page) -> PageInput:
    """What the product's extractor sees of an evaluation page: URL, HTML, nodes, language."""
    parsed = page.parsed()
    lang = page_language(parsed.root) if parsed.root is not None else None
    return PageInput(page.url or "", parsed.nodes, parsed.html, lang or None, parsed.root)


def wrapper_page(page: Page) -> WrapperPage:
    """What the wrapper reads of an evaluation page: its nodes, root and URL."""
    parsed = page.parsed()
    return WrapperPage(parsed.nodes, parsed.root, page.url)


def example(annotated: AnnotatedPage) -> Example:
    """An annotated evaluation page as a wrapper example."""
    return Example(wrapper_page(annotated.page), annotated.labels, annotated.match)


# --- baselines ----------------------------------------------------------------------------------


class WrapperReader:
    """A store's induced wrapper reading evaluation pages."""

    def __init__(self, wrapper: Wrapper) -> None:
        self.wrapper = wrapper

    def read(self, page: Page) -> Prediction:
        """The rules' values and their support accuracy as confidence."""
        return self.wrapper.read(wrapper_page(page))


class WrapperMethod:
    """XPath wrapper induction from the support pages; extracts nothing without support."""

    name = "wrapper"

    def adapt(self, support: Sequence[AnnotatedPage], store: Sequence[Page] = ()) -> Reader:
        """Learn rules from the annotated spans of the support pages."""
        return WrapperReader(induce([example(a) for a in support]))


class StructuredReader:
    """Values from the page's JSON-LD / microdata / Open Graph, preferring ones the page shows."""

    def read(self, page: Page) -> Prediction:
        """Markup values; confidence 1 where the page shows the value, 0.5 where it does not."""
        markup = markup_values(page_input(page))
        confidence = {name: 1.0 if markup.shown.get(name) else 0.5 for name in markup.values}
        return dict(markup.values), confidence


class StructuredMethod:
    """Zero-shot structured data: the support pages are not used."""

    name = "structured"

    def adapt(self, support: Sequence[AnnotatedPage], store: Sequence[Page] = ()) -> Reader:
        """The same reader for every store."""
        return StructuredReader()


# --- model-based methods ------------------------------------------------------------------------


class ModelReader:
    """A model adapted to one store, reading evaluation pages through the product's extractor."""

    def __init__(self, adapted: AdaptedExtractor) -> None:
        self.adapted = adapted

    def read(self, page: Page) -> Prediction:
        """Values and confidences of one page (its HTML only)."""
        item = page_input(page)
        if not item.nodes:
            return {}, {}
        return self.adapted.extract_values([item])[0]


class ModelMethod:
    """A model adapted per store the way `shopwright adapt` adapts it (`StoreAdapter`)."""

    def __init__(
        self, name: str, adapter: StoreAdapter, rules: bool = True, gate: bool = True
    ) -> None:
        self.name = name
        self.adapter = adapter
        #: whether the store's wrapper rules (from the same support) are among the relations
        self.rules = rules
        #: whether the rules' values win over unsure ones (`extractor.values.fusion.prefer_rules`)
        self.gate = gate

    def adapt(self, support: Sequence[AnnotatedPage], store: Sequence[Page] = ()) -> ModelReader:
        """Prototypes from the support spans, then the adapter's SGD steps; the store's pages
        tell its template from its data."""
        nodes = [p.page.parsed().nodes for p in support]
        spans = [{a: s for a, s in p.match.spans.items() if a in p.attributes} for p in support]
        others = [page_input(p) for p in store]
        examples = [example(a) for a in support] if self.rules else []
        adapted = self.adapter.adapt(nodes, spans, others, examples)
        if not self.gate:
            adapted.extractor.fusion = NO_RULE_GATE
        return ModelReader(adapted)


#: Fusion that never lets the store's rules override or silence the pipeline's values (no
#: threshold where they read nothing either: `unruled_floor`).
NO_RULE_GATE = FusionSettings(rules_over=0.0, unruled_min=0.0, gate_by_kind=(), unruled_floor=())


def _joint_model(model: Path | None) -> ExtractorModel:
    path = model_dir_or_default(model) / "joint"
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no jointly trained model at {path}")
    return ExtractorModel.from_pretrained(path)


def _pretrained_model(model: Path | None) -> ExtractorModel:
    """The architecture of `model` on the plain pretrained encoder: structure embedding and head
    untrained (seeded); a random-encoder model (tests) gets a fresh random encoder."""
    config = ExtractorConfig(encoder=PACKAGED_ENCODER)
    path = model if model is not None else DEFAULT_MODEL_DIR
    if (path / "config.json").is_file():
        base = ExtractorModel.from_pretrained(path).config
        config = dataclasses.replace(
            base,
            attributes=list(ExtractorConfig().attributes),
            encoder_config=None if base.encoder else base.encoder_config,
        )
    torch.manual_seed(0)
    return ExtractorModel(config)


def _meta_adapter(
    model: Path | None, precision: str, markup: bool, **settings: Any
) -> StoreAdapter:
    """The meta-trained model (the shipped one unless --model is given) with the adaptation
    `shopwright adapt` gives it by default (`AdaptSettings.for_model`)."""
    path = model_dir_or_default(model)
    loaded = ExtractorModel.from_pretrained(path)
    return StoreAdapter(loaded, AdaptSettings.for_model(path, **settings), precision, markup)


def meta_method(model: Path | None, precision: str = "fp32", markup: bool = True) -> Method:
    """`meta`: the meta-trained model (the shipped one unless --model is given), adapted the way
    `shopwright adapt` adapts it by default (`AdaptSettings.for_model`)."""
    return ModelMethod("meta", _meta_adapter(model, precision, markup))


def meta_no_rules_method(
    model: Path | None, precision: str = "fp32", markup: bool = True
) -> Method:
    """`meta-no-rules`: `meta` without the store's wrapper rules among the relations (and so
    without images from them): what the rules add, for `shopwright choose`."""
    return ModelMethod("meta-no-rules", _meta_adapter(model, precision, markup), rules=False)


def meta_no_gate_method(model: Path | None, precision: str = "fp32", markup: bool = True) -> Method:
    """`meta-no-gate`: `meta` with the store's rules among the relations only, never overriding
    or silencing a value (`prefer_rules` off): what the learned model reads by itself, and the
    predictions `scripts/rule_gate.py` chooses the gate's thresholds on."""
    return ModelMethod("meta-no-gate", _meta_adapter(model, precision, markup), gate=False)


def meta_self_training_method(
    model: Path | None, precision: str = "fp32", markup: bool = True
) -> Method:
    """`meta-self-training`: `meta` with the transductive step (`shopwright adapt --self-train
    5`: the store's surely read pages fill the support to five, `extractor.adapt.transductive`):
    what that step adds."""
    training = SelfTraining(fill_to=SELF_TRAINING_PAGES)
    adapter = _meta_adapter(model, precision, markup, self_training=training)
    return ModelMethod("meta-self-training", adapter)


def meta_steps_method(model: Path | None, precision: str = "fp32", markup: bool = True) -> Method:
    """`meta-steps`: the same model adapted with the inner loop it was meta-trained with (the
    head from the support prototypes, then its SGD steps), whatever default its export chose."""
    path = model_dir_or_default(model)
    settings = AdaptSettings.for_model(path, inner_loop=True)
    loaded = ExtractorModel.from_pretrained(path)
    return ModelMethod("meta-steps", StoreAdapter(loaded, settings, precision, markup))


def pretrained_method(model: Path | None, precision: str = "fp32", markup: bool = True) -> Method:
    """`pretrained`: the same architecture on the plain pretrained encoder, fine-tuned per store
    (`AdaptSettings` defaults)."""
    adapter = StoreAdapter(_pretrained_model(model), None, precision, markup)
    return ModelMethod("pretrained", adapter)


def joint_method(model: Path | None, precision: str = "fp32", markup: bool = True) -> Method:
    """`joint`: a model trained jointly on all training stores (`<model>/joint`), fine-tuned on
    the support (the head from its prototypes, then `AdaptSettings` SGD steps)."""
    return ModelMethod("joint", StoreAdapter(_joint_model(model), None, precision, markup))


def joint_prototypes_method(
    model: Path | None, precision: str = "fp32", markup: bool = True
) -> Method:
    """`joint-prototypes`: the joint model with the head from the support prototypes and no
    fine-tuning step (the adaptation the shipped model defaults to, on the joint weights)."""
    adapter = StoreAdapter(_joint_model(model), AdaptSettings(steps=0), precision, markup)
    return ModelMethod("joint-prototypes", adapter)


#: A model-based method from (model directory or None for the shipped one, the precision to
#: extract at, whether extraction fuses the page's structured data).
ModelFactory = Callable[[Path | None, str, bool], Method]
MODEL_METHODS: dict[str, ModelFactory] = {
    "meta": meta_method,
    "meta-steps": meta_steps_method,
    "meta-no-rules": meta_no_rules_method,
    "meta-no-gate": meta_no_gate_method,
    "meta-self-training": meta_self_training_method,
    "pretrained": pretrained_method,
    "joint": joint_method,
    "joint-prototypes": joint_prototypes_method,
}
BASELINES: dict[str, Callable[[], Method]] = {
    "wrapper": WrapperMethod,
    "structured": StructuredMethod,
}


def build_methods(
    model: Path | None,
    baselines: bool,
    only: Sequence[str] | None = None,
    precision: str = "fp32",
    markup: bool = True,
) -> list[Method]:
    """The methods an evaluation runs: the model's (`meta`), and with `baselines` the others.

    Without `baselines` a missing model is an error; with them, a model-based method whose model
    is missing is skipped with a warning and the others still run. `only` names the methods to
    run instead (any of `MODEL_METHODS` and `BASELINES`).
    `precision`: what model-based methods extract at (`extractor.neural.precision.PRECISIONS`;
    adaptation runs in fp32). `markup=False`: model-based methods extract without the page's
    structured data (their spans and the price rules alone), which compares the models themselves.
    """
    if only is not None:
        known = [*MODEL_METHODS, *BASELINES]
        unknown = [m for m in only if m not in known]
        if unknown:
            raise ValueError(f"unknown methods {unknown}; known: {known}")
        chosen = [MODEL_METHODS[m](model, precision, markup) for m in only if m in MODEL_METHODS]
        return chosen + [BASELINES[m]() for m in only if m in BASELINES]
    methods: list[Method] = []
    wanted = list(MODEL_METHODS) if baselines else ["meta"]
    for name in wanted:
        try:
            methods.append(MODEL_METHODS[name](model, precision, markup))
        except FileNotFoundError as exc:
            if not baselines:
                raise
            logger.warning("method %r skipped: %s", name, exc)
    if baselines:
        methods += [factory() for factory in BASELINES.values()]
    return methods
