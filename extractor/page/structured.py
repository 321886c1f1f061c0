"""Structured data (JSON-LD, microdata, Open Graph via extruct) -> standard attribute values.

A page's own markup is a zero-shot source of values and free annotation. Markup can disagree with
what the page shows (a regular price in the markup, the discount on the page): every candidate
is kept, best source first, and fusion (`extractor.extract.markup_values`) asks the value matcher
which of them the page shows.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import extruct
import jstyleson
import lxml.html

from extractor.page.dom import PageError, parse_html, repair_text
from extractor.values.normalize.availability import normalize_availability
from extractor.values.normalize.currencies import pick_currency
from extractor.values.normalize.identifiers import normalize_gtin
from extractor.values.normalize.prices import format_price, normalize_number, normalize_price
from extractor.values.normalize.text import normalize_text
from extractor.values.normalize.urls import normalize_url

logger = logging.getLogger(__name__)

#: Sources in order of trust: JSON-LD is the most deliberate markup, Open Graph the sparsest.
#: RDFa is left out: extruct's RDFa parser needs its own re-parse of the page (it rejects lxml
#: trees), and no label of the real pages comes from it.
SOURCES = ("json-ld", "microdata", "opengraph")
_COMMENT_LINE = re.compile(r"^\s*(//.*|<!--.*-->)", re.M)
_PRODUCT_TYPE = re.compile(
    r"(^|[/:#])(Product|ProductGroup|ProductModel|IndividualProduct|Book|Vehicle|Car)$"
)
_GTIN_KEYS = ("gtin13", "gtin", "gtin12", "gtin14", "gtin8", "ean", "isbn")


@dataclass
class Candidate:
    """A value read from the page's markup, with where it came from."""

    value: Any
    source: str


@dataclass
class Structured:
    """Every candidate value per attribute, best source first."""

    candidates: dict[str, list[Candidate]] = field(default_factory=dict)

    def add(self, attribute: str, value: Any, source: str) -> None:
        """Keep a normalised, non-empty value not seen before for the attribute."""
        if value in (None, "", []):
            return
        found = self.candidates.setdefault(attribute, [])
        if all(c.value != value for c in found):
            found.append(Candidate(value, source))

    def values(self) -> dict[str, Any]:
        """The first candidate per attribute."""
        return {name: found[0].value for name, found in self.candidates.items() if found}


# --- reading markup ---------------------------------------------------------------------------


def json_ld_items(root: lxml.html.HtmlElement) -> list[Any]:
    """Every JSON-LD block, each parsed on its own so that one malformed block loses only itself."""
    items: list[Any] = []
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = script.text_content() if len(script) else (script.text or "")
        if not text.strip():
            continue
        try:
            items.append(json.loads(text, strict=False))
        except ValueError:
            try:  # comments and trailing commas, as hand-written blocks often have
                items.append(jstyleson.loads(_COMMENT_LINE.sub("", text), strict=False))
            except ValueError as exc:
                logger.info("malformed JSON-LD block skipped: %s", exc)
    return items


def _extruct(root: lxml.html.HtmlElement, url: str, syntax: str) -> list[Any]:
    try:
        data = extruct.extract(
            root, base_url=url or None, syntaxes=[syntax], uniform=True, errors="strict"
        )
    except Exception as exc:  # extruct raises whatever its parsers raise; a source is optional
        logger.info("%s: %s markup skipped: %s", url, syntax, exc)
        return []
    return list(data.get(syntax, []))


def _walk(data: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a structure (lists, @graph, nested entities), depth first."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            stack.extend(reversed([v for v in item.values() if isinstance(v, dict | list)]))


def _types(item: Mapping[str, Any]) -> list[str]:
    kind = item.get("@type") or item.get("type") or []
    return [str(k) for k in (kind if isinstance(kind, list) else [kind])]


def _is_product(item: Mapping[str, Any]) -> bool:
    return any(_PRODUCT_TYPE.search(t) for t in _types(item))


def _is(item: Mapping[str, Any], name: str) -> bool:
    return any(t.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == name for t in _types(item))


def _first(value: Any) -> Any:
    while isinstance(value, list):
        value = value[0] if value else None
    return value


def _text(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("value")
        value = _first(value)
    if value is None or isinstance(value, dict | list):
        return None
    text = normalize_text(repair_text(str(value)))  # repaired before NFKC splits "Ã¼" into "Ã1⁄4"
    return text or None


def _offers(product: Mapping[str, Any]) -> list[dict[str, Any]]:
    offers = product.get("offers") or []
    found = [
        o for o in _walk(offers) if "price" in o or "lowPrice" in o or "priceSpecification" in o
    ]
    return found or [o for o in _walk(offers) if isinstance(o, dict)]


def _price_specs(offer: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _walk(offer.get("priceSpecification") or []) if "price" in s]


def _add_product(out: Structured, product: Mapping[str, Any], url: str, source: str) -> None:
    out.add("name", _text(product.get("name")), source)
    description = _text(product.get("description"))
    if description and "<" in description:  # markup inside the value: keep the text
        description = _text(
            lxml.html.fragment_fromstring(description, create_parent="div").text_content()
        )
    out.add("description", description, source)
    out.add("sku", _text(product.get("sku") or product.get("productID")), source)
    out.add("mpn", _text(product.get("mpn")), source)
    for key in _GTIN_KEYS:
        raw = _text(product.get(key))
        if raw:
            out.add("gtin", normalize_gtin(raw) or raw, source)
    out.add("brand", _text(product.get("brand") or product.get("manufacturer")), source)
    category = product.get("category")
    out.add("category", _text(category), source)
    for image in _images(product.get("image"), url):
        out.add("image", image, source)
    rating = _first(product.get("aggregateRating"))
    if isinstance(rating, dict):
        out.add("rating", normalize_number(_text(rating.get("ratingValue"))), source)
        count = _text(rating.get("reviewCount")) or _text(rating.get("ratingCount"))
        out.add("review_count", normalize_number(count), source)
    for offer in _offers(product):
        _add_offer(out, offer, url, source)


def _images(value: Any, url: str) -> list[str]:
    found = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = _first(item.get("url") or item.get("contentUrl") or item.get("@id"))
        if isinstance(item, str):
            image = normalize_url(item, url or None)
            if image:
                found.append(image)
    return found


def markup_price(value: str | None) -> str | None:
    """A price from markup: schema.org writes a decimal point, so "224.904" is 224.90, not 224904.

    Float noise ("210.852001") is rounded to cents; other formats go through `normalize_price`.
    """
    if not value:
        return None
    text = value.strip()
    if re.fullmatch(r"-?\d+\.\d+|-?\d+", text):
        amount = Decimal(text)
        if amount.as_tuple().exponent < -2:  # type: ignore[operator]
            amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return format_price(amount)
    if re.fullmatch(r"\d+,\d{1,2}", text):
        text = text.replace(",", ".")
    return normalize_price(text)


def _add_offer(out: Structured, offer: Mapping[str, Any], url: str, source: str) -> None:
    price = _text(offer.get("price")) or _text(offer.get("lowPrice"))
    currency = _text(offer.get("priceCurrency"))
    for spec in _price_specs(offer):
        kind = str(_text(spec.get("priceType")) or "")
        if re.search(r"Strikethrough|ListPrice|MSRP|SRP", kind, re.I):
            out.add("regular_price", markup_price(_text(spec.get("price"))), source)
        else:
            price = price or _text(spec.get("price"))
            currency = currency or _text(spec.get("priceCurrency"))
    if price:
        out.add("price", markup_price(price), source)
    if currency:
        out.add("currency", pick_currency(currency, url=url) or currency, source)
    availability = _text(offer.get("availability"))
    if availability:
        out.add("availability", normalize_availability(availability), source)


def _add_breadcrumbs(out: Structured, item: Mapping[str, Any], source: str) -> None:
    elements = [
        e
        for e in _walk(item.get("itemListElement") or [])
        if "position" in e or "name" in e or "item" in e
    ]
    elements = [e for e in elements if not _is(e, "BreadcrumbList")]

    def position(element: Mapping[str, Any]) -> float:
        try:
            return float(_text(element.get("position")) or 0)
        except ValueError:
            return 0.0

    names = []
    for element in sorted((e for e in elements if "position" in e), key=position) or elements:
        name = _text(element.get("name")) or _text(element.get("item"))
        if name and not re.match(r"https?://", name):
            names.append(name)
    out.add("breadcrumb", names, source)


def _add_opengraph(out: Structured, items: Sequence[Mapping[str, Any]], url: str) -> None:
    for item in items:

        def get(*keys: str, item: Mapping[str, Any] = item) -> str | None:
            return next((v for v in (_text(item.get(k)) for k in keys) if v), None)

        kind = (get("og:type") or "").lower()
        if kind and "product" not in kind and not get("product:price:amount", "og:price:amount"):
            # A non-product og:title is the page title, not a product name.
            out.add("description", get("og:description"), "opengraph")
            continue
        out.add("name", get("og:title"), "opengraph")
        out.add("description", get("og:description"), "opengraph")
        out.add(
            "image",
            normalize_url(get("og:image", "og:image:url", "og:image:secure_url"), url or None),
            "opengraph",
        )
        out.add("price", markup_price(get("product:price:amount", "og:price:amount")), "opengraph")
        currency = get("product:price:currency", "og:price:currency")
        out.add("currency", pick_currency(currency, url=url) if currency else None, "opengraph")
        out.add(
            "availability",
            normalize_availability(get("product:availability", "og:availability")),
            "opengraph",
        )
        out.add("brand", get("product:brand", "og:brand"), "opengraph")
        out.add("sku", get("product:retailer_item_id"), "opengraph")


def structured_candidates(html: bytes | str | lxml.html.HtmlElement, url: str = "") -> Structured:
    """Every standard attribute value the page's markup states, normalised, best source first."""
    if isinstance(html, lxml.html.HtmlElement):
        root = html
    else:
        try:
            root = parse_html(html)
        except PageError:
            return Structured()
    out = Structured()
    sources: dict[str, list[Any]] = {
        "json-ld": json_ld_items(root),
        "microdata": _extruct(root, url, "microdata"),
    }
    for source in SOURCES[:2]:
        items = list(_walk(sources[source]))
        products = [item for item in items if _is_product(item)]
        # The product with offers is the page's own; related products come after it.
        products.sort(key=lambda p: not p.get("offers"))
        for product in products[:1]:
            _add_product(out, product, url, source)
        if not products:
            for offer in (i for i in items if _is(i, "Offer") or _is(i, "AggregateOffer")):
                _add_offer(out, offer, url, source)
        for item in items:
            if _is(item, "BreadcrumbList"):
                _add_breadcrumbs(out, item, source)
                break
    _add_opengraph(out, _extruct(root, url, "opengraph"), url)
    return out


def structured_values(html: bytes | str | lxml.html.HtmlElement, url: str = "") -> dict[str, Any]:
    """One value per standard attribute from the page's markup (JSON-LD first)."""
    return structured_candidates(html, url).values()
