"""Fusion of the model's values with the page's structured data, and the name check by titles.

Per attribute (`fuse`): a markup value (JSON-LD, microdata, Open Graph) that the page shows wins
over the model (a disagreeing model price is more often a carousel price or a fragment than a
discount the markup missed); a markup value the page does not show (a regular price in the
markup, a discounted one on the page) loses to the model's span and only fills a gap the model
leaves (a span too unsure for the record is a gap). Currency: the symbol or code inside the
model's price span, else the markup's, else the model's currency span, else the page
language/top-level-domain hint. Name: after fusion, the page's own statements of its name (its
titles, first `<h1>`, breadcrumb, the heading of the product's block) confirm or replace it, and a
model span that cannot be a name is dropped (`confirm_title_name`, `extractor.page.titles`).
Then the page as a shopper reads it (`fill_from_page`): availability from the product's buy
button (`extractor.page.buy_button`), else in stock for a product offered at a price; sku, mpn,
gtin and brand from the rows that labels such as "Art.-Nr.", "EAN" or "Marke" name
(`extractor.values.labels`), less confident than shown markup; and where the page shows the
price with and without VAT, the one it puts forward (`put_forward_price`), the other kept as
`price_excluding_vat` or `price_including_vat`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from extractor.page.buy_button import buy_button_availability
from extractor.page.input import PageInput
from extractor.page.main_image import main_image
from extractor.page.structured import structured_candidates
from extractor.page.titles import (
    TITLE_RANKS,
    Source,
    choose_name,
    page_names,
    recurring_texts,
    refused_name,
    shared_segments,
    title_segments,
    title_signals,
)
from extractor.values.equality import values_equal
from extractor.values.labels import ROW_LABELS, RowValue, plausible_value, row_values
from extractor.values.matching import match_values
from extractor.values.normalize import usable_span
from extractor.values.normalize.currencies import (
    currency_codes,
    currency_hints,
    find_currencies,
    pick_currency,
)
from extractor.values.normalize.prices import normalize_price, parse_price
from extractor.values.normalize.text import text_key
from extractor.values.price_rules import (
    MIN_CONFIDENCE,
    fallback_price,
    find_amount,
    put_forward,
    secondary_price,
    vat_label,
    vat_twin,
    vat_twins,
)
from extractor.values.schema import PRICE_ATTRIBUTES, AttributeType, kind_of

Values = dict[str, Any]


Confidence = dict[str, float]


@dataclass(frozen=True)
class FusionSettings:
    """Confidences and thresholds of the model / structured data fusion."""

    shown_markup: float = 0.95  #: confidence of a markup value the page shows
    unshown_markup: float = 0.5  #: confidence of a markup value the page does not show
    #: values less confident than this are left out of the record
    min_confidence: float = MIN_CONFIDENCE
    #: confidence of the availability the product's buy button says (`fill_from_page`)
    buy_button: float = 0.7
    #: confidence of InStock for a product the page offers at a price and says nothing else of
    #: (no markup, model span or buy button gives its availability: `fill_from_page`)
    offered: float = 0.5
    #: confidence of the image captioned with the product's name (`fill_from_page`)
    captioned_image: float = 0.6
    #: confidence of a value read from a labelled row ("EAN: ...", `fill_from_page`)
    labelled_row: float = 0.8
    #: whether `fill_from_page` reads buttons and labelled rows at all
    page_rules: bool = True
    #: confidence of a name the page states without its titles' confirmation (its first `<h1>`,
    #: its product block's heading: `confirm_title_name`)
    page_name: float = 0.8
    #: the store's wrapper rules (induced from its support) read an attribute: their value wins
    #: over one the pipeline is less sure of than this (`prefer_rules`)
    rules_over: float = 0.95
    #: the store's rules read nothing for an attribute they have rules for: a value less sure
    #: than this is left out (`prefer_rules`)
    unruled_min: float = 0.8
    #: `(attribute type, rules_over, unruled_min)`: the gate's thresholds for the attributes of
    #: that type (`AttributeType`), in place of the two above; the store's rules always win for
    #: tokens (availability, currency), the model's prices and codes need less to stand
    gate_by_kind: tuple[tuple[str, float, float], ...] = (
        ("identifier", 0.7, 0.8),
        ("price", 0.5, 0.5),
        ("token", 1.01, 0.5),
    )
    #: `(attribute type, least confidence)`: where the store's rules read nothing for an
    #: attribute of that type on a page (no rule for it, or one that finds nothing there), a
    #: value less sure than this is left out (`prefer_rules`; chosen by cross-validation over
    #: stores, `scripts/unruled_floor.py`: a list the model reads alone, a breadcrumb of
    #: another page's shape)
    unruled_floor: tuple[tuple[str, float], ...] = (("identifier", 0.6), ("list", 0.75))

    def gate(self, kind: str) -> tuple[float, float]:
        """`(rules_over, unruled_min)` for the attributes of one type."""
        for name, over, least in self.gate_by_kind:
            if name == kind:
                return over, least
        return self.rules_over, self.unruled_min


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
        # A span too unsure for the record leaves a gap that a markup value may fill.
        gap = name in markup.values and conf.get(name, 0.0) < settings.min_confidence
        if cleaned is None or gap:
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


def store_template_texts(pages: Sequence[PageInput]) -> frozenset[str]:
    """The texts that (nearly) every page of one store shows (`recurring_texts`): never a name."""
    return recurring_texts([page.nodes for page in pages])


def confirm_title_name(
    values: Values,
    confidence: Confidence,
    page: PageInput,
    markup: Markup,
    shared: frozenset[str] = frozenset(),
    settings: FusionSettings | None = None,
    template: frozenset[str] = frozenset(),
) -> None:
    """Check the fused name (in place) against the page's own statements of its name
    (`extractor.page.titles`): a missing name, an unshown markup name and a model span that is not
    one of them give way to the best candidate (as confident as a shown markup value when the
    titles confirm it, `page_name` otherwise); a shown markup name only loses the site's or
    brand's name or a price it adds; a model span that no candidate replaces and that cannot be a
    name (a label, a navigation link, the store's `template`...) is dropped."""
    root = page.parsed_root()
    if root is None:
        return
    settings = settings or FusionSettings()
    signals = title_signals(root, page.url, shared)
    current = values.get("name")
    current = current if isinstance(current, str) else None
    theirs = markup.values.get("name")
    source: Source = "model"
    if current is not None and theirs is not None and values_equal("name", current, theirs):
        source = "shown markup" if markup.shown.get("name") else "unshown markup"
    brand = markup.values.get("brand") or values.get("brand")
    brand = str(brand) if brand else None
    names = page_names(root, page.nodes, signals, brand, template)
    name = choose_name(current, source, names, brand)
    if name is not None:
        best = names.best
        titled = best is not None and best.rank in TITLE_RANKS
        values["name"] = name
        confidence["name"] = settings.shown_markup if titled else settings.page_name
    elif (
        source == "model"
        and current is not None
        and refused_name(current, page.nodes, names, template, root) is not None
    ):
        del values["name"]
        confidence.pop("name", None)


def _name_node(page: PageInput, name: object) -> int | None:
    """The node that shows the product's name (its first whole occurrence), else the first
    `<h1>`: where the product's own block is."""
    key = text_key(name) if isinstance(name, str) else ""
    h1 = None
    for i, node in enumerate(page.nodes):
        # Only a node about as long as the name can show it (text_key is slow on every node).
        near = abs(len(node["text"]) - len(key)) <= 8
        if key and near and text_key(node["text"]) == key:
            return i
        if h1 is None and node["tag"] == "h1":
            h1 = i
    return h1


def price_beside_name(
    values: Values,
    confidence: Confidence,
    page: PageInput,
    settings: FusionSettings | None = None,
) -> None:
    """Where neither the model nor the markup gives a price, the page's price beside the
    product's name (`fallback_price`), in place: the model's spans looked near its own name or
    the first heading (`decode.with_fallback_price`), the page's titles may have found the name
    elsewhere. Call it only where the store's rules read no price: their value is surer."""
    settings = settings or FusionSettings()
    if "price" in values or "name" not in values or not settings.page_rules or not page.nodes:
        return
    anchor = _name_node(page, values["name"])
    found = fallback_price(page.nodes, [anchor]) if anchor is not None else None
    if found is not None and found.confidence >= settings.min_confidence:
        values["price"], confidence["price"] = found.amount, found.confidence


def fill_from_page(
    values: Values,
    confidence: Confidence,
    page: PageInput,
    markup: Markup | None = None,
    settings: FusionSettings | None = None,
) -> None:
    """Fill (in place) the attributes that neither the model nor the markup gives from what the
    page shows a shopper: availability from the product's buy button (a working add-to-cart
    button is in stock, a disabled or notify-me one out of stock), else InStock for a product
    offered at a price (the least sure value a record keeps), on a page without markup the
    image captioned with the product's name (`main_image`), sku, mpn, gtin (with a valid check
    digit) and brand from the row whose label names them.

    The model's identifier or brand gives way to the row's value when it cannot be one (a GTIN
    without a valid check digit, a code without a digit: `plausible_value`; without a row it is
    dropped), when the page labels it as another attribute (the model's sku is the code beside
    "Herstellernummer"), or when the model is less sure of it than of a labelled row. Markup
    values are never replaced."""
    settings = settings or FusionSettings()
    markup = markup or Markup()
    product = "name" in values or "price" in values  # a page with nothing else is no product
    if not settings.page_rules or not page.nodes or not product:
        return
    anchor = _name_node(page, values.get("name"))
    least = settings.min_confidence
    if "availability" not in values and settings.buy_button >= least:
        button = buy_button_availability(page.parsed_root(), page.nodes, anchor)
        if button is not None:
            values["availability"] = button.availability
            confidence["availability"] = settings.buy_button
    if "availability" not in values and "price" in values and settings.offered >= least:
        # A shopper takes a product offered at a price, and not marked otherwise, as in stock.
        values["availability"], confidence["availability"] = "InStock", settings.offered
    if "image" not in values and "name" in values and not markup.values:
        image = main_image(page.parsed_root(), str(values["name"]), page.url or None)
        if image is not None and settings.captioned_image >= least:
            values["image"], confidence["image"] = image, settings.captioned_image
    if settings.labelled_row < least:
        return
    rows = row_values(page.nodes, anchor)
    for name in ROW_LABELS:
        row = rows.get(name)
        current = values.get(name)
        if current is not None and not _model_value_fails(name, current, rows, markup):
            unsure = confidence.get(name, 0.0) < settings.labelled_row
            if row is None or not unsure or _from_markup(name, current, markup):
                continue
        if row is not None:
            values[name], confidence[name] = row.value, settings.labelled_row
        elif current is not None and not plausible_value(name, str(current)):
            del values[name]
            confidence.pop(name, None)


def _shown_markup(name: str, value: object, markup: Markup) -> bool:
    return markup.shown.get(name, False) and _from_markup(name, value, markup)


def _from_markup(name: str, value: object, markup: Markup) -> bool:
    theirs = markup.values.get(name)
    return theirs is not None and values_equal(name, value, theirs)


def _model_value_fails(
    name: str, value: object, rows: Mapping[str, RowValue], markup: Markup
) -> bool:
    """Whether a fused identifier or brand is the model's and cannot be the attribute's value
    (`fill_from_page`)."""
    if _from_markup(name, value, markup):
        return False
    if not plausible_value(name, str(value)):
        return True
    own = rows.get(name)
    if own is None or values_equal(name, value, own.value):
        return False
    return any(
        other != name and values_equal(other, value, row.value) for other, row in rows.items()
    )


def put_forward_price(
    values: Values,
    confidence: Confidence,
    page: PageInput,
    markup: Markup,
    settings: FusionSettings | None = None,
) -> None:
    """Where the page shows the price with and without VAT ("inkl. MwSt." / "zzgl. MwSt.",
    "TTC" / "HT"), make the price (in place) the one the page puts forward (the one not in
    parentheses or small print, else the emphasised or first one) and keep the other as
    `price_excluding_vat` or `price_including_vat`. A price the page labels as excluding VAT,
    in small print, gives way to a markup price that is it plus VAT when the page shows that one
    some other way (an image of digits)."""
    settings = settings or FusionSettings()
    amount = parse_price(values["price"]) if values.get("price") else None
    if not settings.page_rules or amount is None or not page.nodes:
        return
    found = find_amount(page.nodes, amount, _name_node(page, values.get("name")))
    if found is None:
        return
    twin = vat_twin(page.nodes, *found)
    other: object = None
    if twin is not None:
        other = twin.amount
        if put_forward(page.nodes, *found, twin):
            values["price"], other = normalize_price(str(twin.amount)), amount
    else:
        theirs = parse_price(markup.values["price"]) if markup.values.get("price") else None
        if (
            theirs is not None
            and not markup.shown.get("price")
            and vat_twins(float(theirs), float(amount))
            and vat_label(page.nodes, *found) == "excl"
            and secondary_price(page.nodes, *found)
        ):
            values["price"], other = normalize_price(theirs), amount
    forward = parse_price(values["price"])
    other_amount = parse_price(str(other)) if other is not None else None
    if forward is None or other_amount is None:
        return
    name = "price_excluding_vat" if other_amount < forward else "price_including_vat"
    values[name] = normalize_price(other_amount)
    confidence[name] = confidence.get("price", settings.min_confidence)


def prefer_rules(
    values: Values,
    confidence: Confidence,
    rules: Mapping[str, Any],
    ruled: Collection[str],
    settings: FusionSettings,
    kinds: Mapping[str, AttributeType] | None = None,
    markup: Markup | None = None,
    rules_win: Collection[str] = (),
) -> None:
    """The store's wrapper rules against the pipeline's values, in place: where the rules read an
    attribute, their value replaces one the pipeline is less sure of than `rules_over` (any
    value, for the attributes of `rules_win`: those the rules read right on the support pages
    at least as often as the pipeline, `Extractor.check_support`); where
    they have rules for it (`ruled`: `SupportIndex.gated`, which adds the text attributes the
    support shows) but read nothing on this page, a value less sure than `unruled_min` is left
    out; where the rules read nothing for it at all, a value less sure than its type's
    `unruled_floor` is left out. The thresholds, per attribute type (`kinds`: the store's, else
    the schema's), were chosen by cross-validation over real stores (`scripts/rule_gate.py`,
    `scripts/unruled_floor.py`: chosen on one fold of stores, checked on the other). A value of
    the page's own `markup` that the page shows stays: the page states it, the rules guess it
    from other pages."""
    markup = markup or Markup()
    for name, value in rules.items():
        if value in (None, "", []) or _shown_markup(name, values.get(name), markup):
            continue
        over, least = settings.gate(kind_of(name, kinds))
        if name not in values or name in rules_win or confidence.get(name, 0.0) < over:
            values[name] = value
            confidence[name] = max(confidence.get(name, 0.0), least)
    # What the rules do not read: how sure the pipeline's value must be to stand alone.
    floors = dict(settings.unruled_floor)
    for name in [n for n in values if rules.get(n) in (None, "", [])]:
        kind = kind_of(name, kinds)
        least = settings.gate(kind)[1] if name in ruled and name not in rules else 0.0
        if not _shown_markup(name, values[name], markup):
            least = max(least, floors.get(kind, 0.0))
        if confidence.get(name, 0.0) < least:
            del values[name]
            confidence.pop(name, None)
