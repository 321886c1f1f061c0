"""Extraction in one place: model predictions + the page's structured data -> values -> records.

Used by `shopwright extract`, the crawler's extraction pipeline and the evaluation harness's
model methods, so that all three produce the same values:

    extractor = Extractor.load()                    # the shipped model (or load(model_dir))
    records = extractor.extract(rows)               # page-dataset rows, or (url, html) pairs
    values, confidence = extractor.extract_values(rows)[0]

The model's spans (`extractor.neural.decode`) are fused with the page's markup, checked
against its titles, completed from the page's buy button and labelled rows, and the price with
or without VAT that the page puts forward chosen (`extractor.values.fusion`), then built into
zyte `Product` records (`extractor.values.records`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from extractor.adapt.support import SUPPORT_FILE, SupportIndex, load_support
from extractor.adapt.wrapper import WrapperPage
from extractor.modeldir import (  # noqa: F401 - re-exported: the facade's model directories
    DEFAULT_MODEL_DIR,
    ModelError,
    ModelNotFoundError,
    check_model_dir,
    load_model,
    load_model_tokenizer,
    model_dir_or_default,
)
from extractor.page.dom import Node
from extractor.page.input import PageInput, PageLike, as_page
from extractor.values.equality import values_equal
from extractor.values.fusion import (
    Confidence,
    FusionSettings,
    Markup,
    Values,
    confirm_title_name,
    fill_from_page,
    fuse,
    markup_values,
    prefer_rules,
    price_beside_name,
    put_forward_price,
    store_template_texts,
    store_title_segments,
)
from extractor.values.records import build_record
from extractor.values.schema import attribute_type, kind_of

if TYPE_CHECKING:
    import torch

    from extractor.neural.decode import Extraction
    from extractor.neural.model import ExtractorModel

logger = logging.getLogger(__name__)

#: `page_tokens` 0 ("all") reads at most this many tokens of a huge page (its most promising
#: nodes first), so that a page of megabytes takes seconds, not minutes (`--page-tokens` help).
ALL_TOKENS = 16_384
#: A page whose text is longer than this many characters counts as huge for `ALL_TOKENS`.
HUGE_PAGE_CHARS = 4 * ALL_TOKENS


def _text_size(nodes: Sequence[Node]) -> int:
    return sum(len(node["text"]) for node in nodes)


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
        support: SupportIndex | None = None,
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
        #: the store's annotated values (a store-adapted model's support.json)
        self.support = support

    @classmethod
    def load(
        cls,
        model_dir: str | Path | None = None,
        device: str | torch.device = "auto",
        precision: str = "auto",
        **kwargs: Any,
    ) -> Extractor:
        """Load a model directory (None: the shipped default model) for inference at `precision`
        (`extractor.neural.precision.PRECISIONS`: auto = bf16 on a CPU with native bf16, else
        fp32; int8 = dynamic quantization, CPU only); an unknown precision fails before the model
        loads."""
        from extractor.neural.precision import resolve_device, resolve_precision, with_precision

        path = check_model_dir(model_dir)
        target = resolve_device(device)
        chosen = resolve_precision(precision, target)
        tokenizer = load_model_tokenizer(path)
        model = load_model(path, device=target)
        model.set_attention("sdpa")  # eager attention is only needed for second-order MAML
        if "support" not in kwargs and (path / SUPPORT_FILE).is_file():
            kwargs["support"] = load_support(path)
        return cls(with_precision(model, chosen, copy=False), tokenizer, **kwargs)

    def predict(
        self, pages: Sequence[PageInput], rule_values: Sequence[Mapping[str, Any]] | None = None
    ) -> list[Extraction]:
        """The model's spans per page (template pruning looks across the pages and the context);
        `rule_values`: what the store's wrapper rules read on each page."""
        from extractor.neural.decode import extract_pages

        def run(chosen: list[int], page_tokens: int | None) -> list[Extraction]:
            return extract_pages(
                self.model,
                self.tokenizer,
                [pages[i].nodes for i in chosen],
                self.attributes,
                batch_size=self.batch_size,
                page_tokens=page_tokens,
                context=self.context,
                forward=self.forward,
                support=self.support,
                rule_values=None if rule_values is None else [rule_values[i] for i in chosen],
            )

        everything = list(range(len(pages)))
        chosen = self.page_tokens if self.page_tokens is not None else self.model.config.page_tokens
        if chosen != 0:
            return run(everything, self.page_tokens)
        # "All" tokens, except of huge pages: those get the most promising ALL_TOKENS.
        huge = [i for i in everything if _text_size(pages[i].nodes) > HUGE_PAGE_CHARS]
        if not huge:
            return run(everything, 0)
        logger.warning(
            "%d huge pages read in part (the most promising %d tokens), first %s",
            len(huge),
            ALL_TOKENS,
            pages[huge[0]].url,
        )
        rest = [i for i in everything if i not in set(huge)]
        found = dict(zip(rest, run(rest, 0) if rest else [], strict=True))
        found |= dict(zip(huge, run(huge, ALL_TOKENS), strict=True))
        return [found[i] for i in everything]

    def rule_values(self, page: PageInput) -> dict[str, Any]:
        """What the store's wrapper rules (induced from its support) read on a page."""
        if self.support is None or self.support.wrapper is None:
            return {}
        return self.support.rule_values(WrapperPage(page.nodes, page.parsed_root(), page.url))

    def extract_values(
        self, pages: Sequence[PageLike | PageInput]
    ) -> list[tuple[Values, Confidence]]:
        """Per page, `({attribute: value or [values]}, {attribute: confidence})` after fusion.

        Attributes the model cannot tag (images: no text node) come from the store's wrapper
        rules when its support shows them; the rules' values then pass the rule gate
        (`prefer_rules`)."""
        return [fused for fused, _ in self.values_and_rules(pages)]

    def values_and_rules(
        self, pages: Sequence[PageLike | PageInput]
    ) -> list[tuple[tuple[Values, Confidence], dict[str, Any]]]:
        """Per page, `extract_values`' values and confidences and what the store's wrapper rules
        read on it (`{}` without rules or text)."""
        result: list[tuple[tuple[Values, Confidence], dict[str, Any]]] = []
        for fused, rules, markup in self._pipeline_values(pages):
            if rules is not None and self.support is not None and self.support.wrapper is not None:
                prefer_rules(
                    *fused,
                    rules,
                    self.support.gated,
                    self.fusion,
                    self.support.kinds,
                    markup,
                    self.support.rules_win,
                )
            result.append((fused, rules or {}))
        return result

    def check_support(
        self, pages: Sequence[PageInput], values: Sequence[Mapping[str, Any]]
    ) -> None:
        """What the support `pages` and their annotated `values` say of the pipeline's own ways,
        checked on the support itself before the gate, in place on the support index:

        - `rules_win`: the text attributes whose store rules read the values at least as often
          as the pipeline does without them, and at least once (a name the page's titles shorten
          where the store's values keep the heading). A tie goes to the rules: on its own support
          page the adapted model reads in-sample, the rules are the store's layout. Where the
          page's heuristics stand as sure as a rule (a name the titles confirm) the support tells
          which to trust; the other types' thresholds were chosen across stores
          (`FusionSettings.gate_by_kind`);
        - `captions_refuted`: the image the pipeline reads (the one captioned with the name,
          where no rule reads one) is another than the annotated image on more support pages
          than it is the same (a recipe site's values name its featured image, not the photo
          its post captions with the title): no captioned image for this store."""
        if self.support is None or self.support.wrapper is None:
            return
        self.support.captions_refuted = False  # the pipeline as it reads without this check
        right: dict[str, list[int]] = {}  # per attribute: pages the rules, the pipeline read
        images = [0, 0]  # support pages whose pipeline image is the annotated one, another one
        kinds = self.support.kinds
        for ((found, _), rules, _), (page, gold) in zip(
            self._pipeline_values(pages), zip(pages, values, strict=True), strict=True
        ):
            read = rules or {}
            image, shown = gold.get("image"), found.get("image")
            if image and shown:
                images[not values_equal("image", shown, image, page_url=page.url)] += 1
            for name, value in gold.items():
                # prices, codes, tokens: the gate's thresholds per type hold
                if name not in read or value in (None, "", []) or kind_of(name, kinds) != "text":
                    continue
                pipeline, rule = (
                    candidate is not None
                    and values_equal(name, candidate, value, page_url=page.url, kind="text")
                    for candidate in (found.get(name), read[name])
                )
                counts = right.setdefault(name, [0, 0])
                counts[0] += int(rule)
                counts[1] += int(pipeline)
        self.support.rules_win = frozenset(
            name for name, (rules, model) in right.items() if rules and rules >= model
        )
        self.support.captions_refuted = images[1] > images[0]

    def _pipeline_values(
        self, pages: Sequence[PageLike | PageInput]
    ) -> Iterator[tuple[tuple[Values, Confidence], dict[str, Any] | None, Markup]]:
        """Per page, the fused values before the rule gate, what the store's rules read on it
        (None on a page without text) and the page's markup."""
        inputs = [as_page(p) for p in pages]
        with_nodes = [i for i, p in enumerate(inputs) if p.nodes]
        rules = [self.rule_values(inputs[i]) for i in with_nodes]
        found_pages = self.predict([inputs[i] for i in with_nodes], rules)
        predictions = dict(zip(with_nodes, found_pages, strict=True))
        rules_of = dict(zip(with_nodes, rules, strict=True))
        shared = store_title_segments(inputs) if self.structured else frozenset()
        template = store_template_texts(inputs) if self.structured else frozenset()
        page_settings = self._page_settings()
        for i, page in enumerate(inputs):
            found = predictions.get(i)
            values = dict(found.values) if found else {}
            confidence = dict(found.confidence) if found else {}
            for name, value in rules_of.get(i, {}).items():
                if name not in values and attribute_type(name) == "url":
                    values[name], confidence[name] = value, self.fusion.shown_markup
            markup = markup_values(page) if self.structured else Markup()
            fused: tuple[Values, Confidence] = (
                fuse(values, confidence, markup, page.url, page.lang, self.fusion)
                if values or markup.values
                else ({}, {})
            )
            if self.structured:
                confirm_title_name(*fused, page, markup, shared, self.fusion, template)
            if not (rules_of.get(i) or {}).get("price"):
                price_beside_name(*fused, page, page_settings)
            fill_from_page(*fused, page, markup, page_settings)
            put_forward_price(*fused, page, markup, self.fusion)
            self._leave_out(*fused)
            self._write(fused[0])
            yield fused, rules_of.get(i), markup

    def _page_settings(self) -> FusionSettings:
        """The fusion settings `fill_from_page` reads this store's pages with: no captioned
        image where the support refuted it (`check_support`)."""
        if self.support is not None and self.support.captions_refuted:
            return dataclasses.replace(self.fusion, captioned_image=0.0)  # below any record's
        return self.fusion

    def _leave_out(self, values: Values, confidence: Confidence) -> None:
        """Drop what the store's annotation says its pages do not have (a recipe site's price:
        `SupportIndex.left_out`)."""
        for name in self.support.left_out if self.support is not None else ():
            values.pop(name, None)
            confidence.pop(name, None)

    def _write(self, values: Values) -> None:
        """Texts and lists as the store's values write them (`1/2` for `½`), where its support
        tells (`extractor.values.writing`)."""
        if self.support is None or self.support.wrapper is None:
            return
        kinds = {name: kind_of(name, self.support.kinds) for name in values}
        self.support.wrapper.writing.write_values(values, kinds)

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
