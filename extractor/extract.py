"""Extraction in one place: model predictions + the page's structured data -> values -> records.

Used by `shopwright extract`, the crawler's extraction pipeline and the evaluation harness's
model methods, so that all three produce the same values:

    extractor = Extractor.load()                    # the shipped model (or load(model_dir))
    records = extractor.extract(rows)               # page-dataset rows, or (url, html) pairs
    values, confidence = extractor.extract_values(rows)[0]

Fusion per attribute (`fuse`): a markup value (JSON-LD, microdata, Open Graph) that the page
shows wins over the model (on real pages the model's disagreeing price is far more often a
carousel price or a fragment than a discount the markup missed); a markup value the page does not
show (a regular price in the markup, a discounted one on the page) loses to the model's span and
only fills a gap the model leaves. Currency: the symbol or code inside the
model's price span, else the markup's, else the model's currency span, else the page
language/top-level-domain hint. Name: after fusion, the page's titles (`<title>`, `og:title`)
confirm or replace it (`confirm_title_name`, `extractor.page.titles`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extractor.page.dom import Node, PageError, parse_html
from extractor.page.structured import structured_candidates
from extractor.page.titles import (
    Source,
    choose_name,
    shared_segments,
    title_segments,
    title_signals,
)
from extractor.values.equality import values_equal
from extractor.values.matching import match_values
from extractor.values.normalize import usable_span
from extractor.values.normalize.currencies import (
    currency_codes,
    currency_hints,
    find_currencies,
    pick_currency,
)
from extractor.values.normalize.prices import normalize_price
from extractor.values.price_rules import MIN_CONFIDENCE
from extractor.values.records import build_record

if TYPE_CHECKING:
    import lxml.html
    import torch

    from extractor.neural.decode import Extraction
    from extractor.neural.model import ExtractorModel

logger = logging.getLogger(__name__)

#: The model that ships with the package (`make model` writes it).
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"
PRICE_ATTRIBUTES = frozenset({"price", "regular_price"})

Values = dict[str, Any]
Confidence = dict[str, float]
PageLike = Mapping[str, Any] | tuple[str, Any]


class ModelNotFoundError(FileNotFoundError):
    """No model directory where one was expected."""


@dataclass
class PageInput:
    """One page to extract: its URL and text nodes, and its HTML when known (structured data)."""

    url: str
    nodes: list[Node]
    html: str | bytes | None = None
    lang: str | None = None
    root: lxml.html.HtmlElement | None = field(default=None, repr=False)

    def parsed_root(self) -> lxml.html.HtmlElement | None:
        """The lxml root of the HTML (parsed once), None without HTML."""
        if self.root is None and self.html:
            try:
                self.root = parse_html(self.html)
            except PageError as exc:
                logger.info("%s: no structured data: %s", self.url, exc)
        return self.root


def as_page(item: PageLike | PageInput) -> PageInput:
    """A PageInput from a page-dataset row (`url, html, nodes, lang`), or a `(url, html)` or
    `(url, nodes)` pair."""
    if isinstance(item, PageInput):
        return item
    if isinstance(item, tuple):
        url, content = item
        if isinstance(content, str | bytes):
            return _from_html(str(url), content, None)
        return PageInput(str(url), list(content))
    url = str(item.get("url") or "")
    nodes = item.get("nodes")
    if nodes is None:
        return _from_html(url, item.get("html") or "", item.get("lang"))
    return PageInput(url, list(nodes), item.get("html"), item.get("lang") or None)


def _from_html(url: str, html: str | bytes, lang: str | None) -> PageInput:
    from extractor.page.dom import iter_text_nodes

    try:
        root = parse_html(html)
    except PageError as exc:
        logger.warning("%s: no text nodes: %s", url, exc)
        return PageInput(url, [], html, lang)
    if lang is None:
        from extractor.page.signals import page_language

        lang = page_language(root) or None
    return PageInput(url, list(iter_text_nodes(root)), html, lang, root)


# --- fusion -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FusionSettings:
    """Confidences and thresholds of the model / structured data fusion."""

    shown_markup: float = 0.95  #: confidence of a markup value the page shows
    unshown_markup: float = 0.5  #: confidence of a markup value the page does not show
    #: values less confident than this are left out of the record: on held-out fixture stores
    #: (zero-shot) a 0.5 cut removed 121 wrong model values and 19 right ones
    min_confidence: float = MIN_CONFIDENCE


@dataclass
class Markup:
    """A page's markup values (one per attribute, a shown candidate first) and which are shown."""

    values: Values = field(default_factory=dict)
    shown: dict[str, bool] = field(default_factory=dict)


def markup_values(page: PageInput) -> Markup:
    """Markup values of a page, each checked against the text the page shows (one matcher pass
    over the first candidates, one more for alternatives of values not shown)."""
    root = page.parsed_root()
    if root is None:
        return Markup()
    structured = structured_candidates(root, page.url)
    if not structured.candidates:
        return Markup()
    url = page.url or None
    first = {name: found[0].value for name, found in structured.candidates.items() if found}
    result = match_values(page.nodes, first, url, root=root)
    markup = Markup(dict(first), {name: result.found(name) for name in first})
    for name, found in structured.candidates.items():
        if markup.shown[name]:
            continue
        for candidate in found[1:]:
            if match_values(page.nodes, {name: candidate.value}, url, root=root).found(name):
                markup.values[name], markup.shown[name] = candidate.value, True
                break
    return markup


def _price_currency(text: str, lang: str | None, url: str) -> str | None:
    for _, _, codes in find_currencies(text):
        if codes:
            hints = [h for h in currency_hints(lang, url) if h in codes]
            return hints[0] if hints else codes[0]
    return None


def fuse(
    model_values: Mapping[str, Any],
    model_confidence: Mapping[str, float],
    markup: Markup,
    url: str = "",
    lang: str | None = None,
    settings: FusionSettings | None = None,
) -> tuple[Values, Confidence]:
    """One value per attribute from the model's spans and the page's markup (module docstring)."""
    settings = settings or FusionSettings()
    model = dict(model_values)
    conf = {k: float(v) for k, v in model_confidence.items()}
    for name, raw in list(model.items()):
        cleaned = usable_span(name, raw)
        if cleaned is None:
            del model[name]
            conf.pop(name, None)
        else:
            model[name] = cleaned
    values: Values = {}
    confidence: Confidence = {}
    for name in dict.fromkeys([*model, *markup.values]):
        if name == "currency":
            continue
        ours, theirs = model.get(name), markup.values.get(name)
        shown = markup.shown.get(name, False)
        mark_conf = settings.shown_markup if shown else settings.unshown_markup
        if theirs is None:
            values[name], confidence[name] = ours, conf.get(name, 0.0)
        elif ours is None:
            values[name], confidence[name] = theirs, mark_conf
        elif values_equal(name, ours, theirs, page_url=url or None):
            values[name], confidence[name] = theirs, max(conf.get(name, 0.0), mark_conf)
        elif shown and not _discount(name, model, markup):
            values[name], confidence[name] = theirs, mark_conf
        else:
            values[name], confidence[name] = ours, conf.get(name, 0.0)
    for name in PRICE_ATTRIBUTES & set(values):
        values[name] = normalize_price(values[name]) or values[name]
    unsure = [name for name in values if confidence.get(name, 0.0) < settings.min_confidence]
    for name in unsure:
        del values[name], confidence[name]
    code, code_conf = _currency(model, conf, markup, values, url, lang, settings)
    if code and code_conf >= settings.min_confidence:
        values["currency"], confidence["currency"] = code, code_conf
    return values, confidence


def _discount(name: str, model: Mapping[str, Any], markup: Markup) -> bool:
    """Whether the page shows the markup's price as the regular (struck-through) price next to
    the model's price: a discount the markup does not state, so the page's price wins."""
    regular = model.get("regular_price")
    return (
        name == "price"
        and regular is not None
        and values_equal("price", regular, markup.values.get("price"))
    )


def _currency(
    model: Mapping[str, Any],
    conf: Mapping[str, float],
    markup: Markup,
    values: Mapping[str, Any],
    url: str,
    lang: str | None,
    settings: FusionSettings,
) -> tuple[str | None, float]:
    """The ISO currency: price span, markup, model currency span, then language/TLD hint."""
    price_text = model.get("price")
    if isinstance(price_text, str) and (code := _price_currency(price_text, lang, url)):
        return code, conf.get("price", 0.0)
    if markup.values.get("currency"):
        code = pick_currency(str(markup.values["currency"]), lang, url)
        if code:
            return code, settings.shown_markup if "price" in values else settings.unshown_markup
    raw = model.get("currency")
    if isinstance(raw, str) and currency_codes(raw):
        return pick_currency(raw, lang, url), conf.get("currency", 0.0)
    hints = currency_hints(lang, url)
    if "price" in values and hints:
        return hints[0], settings.unshown_markup
    return None, 0.0


def store_title_segments(pages: Sequence[PageInput]) -> frozenset[str]:
    """Title segments that the pages of one store share (its name, not a product's)."""
    roots = [page.parsed_root() for page in pages]
    return shared_segments([title_segments(root) for root in roots if root is not None])


def confirm_title_name(
    values: Values,
    confidence: Confidence,
    page: PageInput,
    markup: Markup,
    shared: frozenset[str] = frozenset(),
    settings: FusionSettings | None = None,
) -> None:
    """Replace the fused name (in place) by the shown node that the page's titles confirm, when
    the name shares no word with an informative title, is missing, or only adds the site's or
    brand's name or a price to it (`extractor.page.titles`); a page whose titles say nothing keeps
    its name. The confirmed name is as confident as a shown markup value."""
    root = page.parsed_root()
    signals = title_signals(root, page.url, shared) if root is not None else None
    if signals is None:
        return
    settings = settings or FusionSettings()
    current = values.get("name")
    current = current if isinstance(current, str) else None
    theirs = markup.values.get("name")
    source: Source = "model"
    if current is not None and theirs is not None and values_equal("name", current, theirs):
        source = "shown markup" if markup.shown.get("name") else "unshown markup"
    brand = markup.values.get("brand") or values.get("brand")
    name = choose_name(current, source, signals, page.nodes, str(brand) if brand else None)
    if name is not None:
        values["name"], confidence["name"] = name, settings.shown_markup


# --- the extractor ------------------------------------------------------------------------------


def resolve_device(device: str = "auto") -> str:
    """`auto` -> cuda when available, else cpu; anything else is returned as is."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def model_dir_or_default(model_dir: str | Path | None) -> Path:
    """The model directory to load: the given one, else the shipped default; a clear error when
    there is none."""
    path = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
    if not (path / "config.json").is_file():
        hint = "run `make model` or pass --model DIR" if model_dir is None else "pass --model DIR"
        raise ModelNotFoundError(f"no model at {path}; {hint}")
    return path


class Extractor:
    """A model (shipped, store-adapted or in memory) with fusion and record building."""

    def __init__(
        self,
        model: ExtractorModel,
        tokenizer: Any,
        attributes: Sequence[str] | None = None,
        *,
        forward: Callable[[Mapping[str, torch.Tensor]], torch.Tensor] | None = None,
        context: Sequence[Sequence[Node]] = (),
        structured: bool = True,
        batch_size: int = 16,
        page_tokens: int | None = None,
        fusion: FusionSettings | None = None,
    ) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.attributes = list(model.config.attributes if attributes is None else attributes)
        self.forward = forward
        self.context = [list(nodes) for nodes in context]
        self.structured = structured
        self.batch_size = batch_size
        self.page_tokens = page_tokens
        self.fusion = fusion or FusionSettings()

    @classmethod
    def load(
        cls,
        model_dir: str | Path | None = None,
        device: str = "auto",
        precision: str = "auto",
        **kwargs: Any,
    ) -> Extractor:
        """Load a model directory (None: the shipped default model) for inference at `precision`
        (`extractor.neural.precision.PRECISIONS`: auto = bf16 on a CPU with native bf16, else fp32;
        int8 =
        dynamic quantization, CPU only); an unknown precision fails before the model loads."""
        from extractor.neural.checkpoint import load_tokenizer
        from extractor.neural.model import ExtractorModel
        from extractor.neural.precision import resolve_precision, with_precision

        path = model_dir_or_default(model_dir)
        target = resolve_device(device)
        chosen = resolve_precision(precision, target)
        model = ExtractorModel.from_pretrained(path, device=target)
        model.set_attention("sdpa")  # eager attention is only needed for second-order MAML
        return cls(with_precision(model, chosen, copy=False), load_tokenizer(path), **kwargs)

    def predict(self, pages: Sequence[PageInput]) -> list[Extraction]:
        """The model's spans per page (template pruning looks across the pages and the context)."""
        from extractor.neural.decode import extract_pages

        return extract_pages(
            self.model,
            self.tokenizer,
            [p.nodes for p in pages],
            self.attributes,
            batch_size=self.batch_size,
            page_tokens=self.page_tokens,
            context=self.context,
            forward=self.forward,
        )

    def extract_values(
        self, pages: Sequence[PageLike | PageInput]
    ) -> list[tuple[Values, Confidence]]:
        """Per page, `({attribute: value or [values]}, {attribute: confidence})` after fusion."""
        inputs = [as_page(p) for p in pages]
        with_nodes = [i for i, p in enumerate(inputs) if p.nodes]
        predictions = dict(
            zip(with_nodes, self.predict([inputs[i] for i in with_nodes]), strict=True)
        )
        shared = store_title_segments(inputs) if self.structured else frozenset()
        result: list[tuple[Values, Confidence]] = []
        for i, page in enumerate(inputs):
            found = predictions.get(i)
            values = dict(found.values) if found else {}
            confidence = dict(found.confidence) if found else {}
            markup = markup_values(page) if self.structured else Markup()
            fused: tuple[Values, Confidence] = (
                fuse(values, confidence, markup, page.url, page.lang, self.fusion)
                if values or markup.values
                else ({}, {})
            )
            if self.structured:
                confirm_title_name(*fused, page, markup, shared, self.fusion)
            result.append(fused)
        return result

    def extract(self, pages: Sequence[PageLike | PageInput]) -> list[dict[str, Any]]:
        """Product records (zyte `Product` fields plus `_confidence`), one per page."""
        inputs = [as_page(p) for p in pages]
        return [
            build_record(page.url, values, confidence, lang=page.lang)
            for page, (values, confidence) in zip(inputs, self.extract_values(inputs), strict=True)
        ]

    def extract_iter(
        self, pages: Iterable[PageLike | PageInput], chunk: int = 32
    ) -> Iterable[dict[str, Any]]:
        """Records of a stream of pages of one store, `chunk` pages at a time."""
        buffer: list[PageLike | PageInput] = []
        for page in pages:
            buffer.append(page)
            if len(buffer) >= chunk:
                yield from self.extract(buffer)
                buffer = []
        if buffer:
            yield from self.extract(buffer)
