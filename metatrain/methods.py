"""Extraction methods behind one interface: `Method.adapt(support) -> Extractor`, `extract(page)`.

Baselines live here (XPath wrapper induction, structured data). The model-based methods (`meta`,
`pretrained`, `joint`) plug in through `register_model_method` once the adaptation code exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from extractor.page.structured import shown_values
from metatrain.tasks import AnnotatedPage, Page
from metatrain.wrapper import induce

logger = logging.getLogger(__name__)

Prediction = tuple[dict[str, Any], dict[str, float]]


class Extractor(Protocol):
    """A method adapted to one store: reads values from a page it has never seen labelled."""

    def extract(self, page: Page) -> Prediction:
        """`({attribute: value or [values]}, {attribute: confidence})` for one page."""
        ...


class Method(Protocol):
    """An extraction method: adapts to a store from k annotated pages (k may be 0)."""

    name: str

    def adapt(self, support: Sequence[AnnotatedPage]) -> Extractor:
        """An extractor for the store of the support pages (no support: zero-shot)."""
        ...


class WrapperMethod:
    """XPath wrapper induction from the support pages; extracts nothing without support."""

    name = "wrapper"

    def adapt(self, support: Sequence[AnnotatedPage]) -> Extractor:
        """Learn rules from the annotated spans of the support pages."""
        return induce(support)


class StructuredExtractor:
    """Values from the page's JSON-LD / microdata / Open Graph, preferring ones the page shows."""

    def extract(self, page: Page) -> Prediction:
        """Markup values; confidence 1 where the page shows the value, 0.5 where it does not."""
        values, shown = shown_values(page.parsed().html, page.url or "")
        confidence = {name: 1.0 if shown.get(name) else 0.5 for name in values}
        return values, confidence


class StructuredMethod:
    """Zero-shot structured data: the support pages are not used."""

    name = "structured"

    def adapt(self, support: Sequence[AnnotatedPage]) -> Extractor:
        """The same extractor for every store."""
        return StructuredExtractor()


#: Model-based methods: name -> factory(model_dir) building the Method (filled in by the model
#: adaptation code: `meta` = the shipped meta-trained model with its default adaptation,
#: `meta-steps` = the same model with its meta-training inner loop, `pretrained` = the same model
#: adapted from the plain pretrained encoder, `joint` = trained jointly on all stores, then
#: fine-tuned, `joint-prototypes` = the joint model with the head from the support prototypes
#: and no step).
#: Each factory takes the model directory, the precision to extract at, and whether extraction
#: fuses the model's spans with the page's structured data.
ModelFactory = Callable[[Path | None, str, bool], Method]
MODEL_METHODS: dict[str, ModelFactory] = {}
MODEL_METHOD_NAMES = ("meta", "meta-steps", "pretrained", "joint", "joint-prototypes")
BASELINES: dict[str, Callable[[], Method]] = {
    "wrapper": WrapperMethod,
    "structured": StructuredMethod,
}


def register_model_method(name: str, factory: ModelFactory) -> None:
    """Make a model-based method available to `evaluate` (`meta`, `pretrained`, `joint`)."""
    MODEL_METHODS[name] = factory


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
    run instead (any of `MODEL_METHOD_NAMES` and `BASELINES`).
    `precision`: what model-based methods extract at (`extractor.neural.precision.PRECISIONS`;
    adaptation runs in fp32). `markup=False`: model-based methods extract without the page's
    structured data (their spans and the price rules alone), which compares the models themselves.
    """
    import metatrain.adapt  # noqa: F401 - registers the model-based methods

    if only is not None:
        known = [*MODEL_METHOD_NAMES, *BASELINES]
        unknown = [m for m in only if m not in known]
        if unknown:
            raise ValueError(f"unknown methods {unknown}; known: {known}")
        chosen = [MODEL_METHODS[m](model, precision, markup) for m in only if m in MODEL_METHODS]
        return chosen + [BASELINES[m]() for m in only if m in BASELINES]
    methods: list[Method] = []
    wanted = ["meta"] + (list(MODEL_METHOD_NAMES[1:]) if baselines else [])
    for name in wanted:
        factory = MODEL_METHODS.get(name)
        if factory is None:
            raise RuntimeError(f"method {name!r} is not registered")
        try:
            methods.append(factory(model, precision, markup))
        except FileNotFoundError as exc:
            if not baselines:
                raise
            logger.warning("method %r skipped: %s", name, exc)
    if baselines:
        methods += [factory() for factory in BASELINES.values()]
    return methods
