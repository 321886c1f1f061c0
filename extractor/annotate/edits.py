"""What a person's edit does to one page's annotation (`{url, spans, values?, images?}`).

An edit is a list of operations, applied in order:

    {"op": "set", "attribute": A, "spans": [{xpath, start, end}]}   the value is these spans
    {"op": "add", "attribute": A, "spans": [...]}      a list: one more item; else more of the value
    {"op": "set" | "add", "attribute": A, "images": [{xpath}]}      the image(s) the value is
    {"op": "remove", "attribute": A, "item": k}        a list's item k (items are renumbered)
    {"op": "remove", "attribute": A, "image": xpath}   one image
    {"op": "clear", "attribute": A}                    the attribute's spans and images

Spans are checked against the page's stored text nodes and get their `text` from them; images
get their URL from the page. The `values` of the attributes an edit touches are made from the
marked texts (a list's items in order), so that adaptation reads them as a values file's.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from extractor.data.annotations import Annotation
from extractor.values.matching.result import item_texts
from extractor.values.normalize.text import join_texts

#: Names an attribute may have (those of the spans' BIO tags are not).
_ATTRIBUTE = re.compile(r"[^\s]{1,80}")


class EditError(ValueError):
    """An edit that does not fit the page (an unknown node or image, offsets outside a node)."""


@dataclass(frozen=True)
class PageTargets:
    """What on one page can be marked: its text nodes by XPath and its images by XPath."""

    url: str
    texts: Mapping[str, str]
    images: Mapping[str, str]


def apply_edits(
    annotation: Annotation | None,
    page: PageTargets,
    ops: Sequence[Mapping[str, Any]],
    lists: set[str],
) -> Annotation | None:
    """The page's annotation after `ops` (None when nothing is marked on it any more); `lists`
    names the list attributes."""
    result: Annotation = copy.deepcopy(annotation) if annotation else {"url": page.url, "spans": {}}
    spans: dict[str, list[dict[str, Any]]] = result.setdefault("spans", {})
    images: dict[str, list[dict[str, str]]] = result.setdefault("images", {})
    touched: set[str] = set()
    for op in ops:
        attribute = op.get("attribute")
        if not isinstance(attribute, str) or not _ATTRIBUTE.fullmatch(attribute):
            raise EditError(f"an edit names no valid attribute: {op!r}"[:200])
        if attribute == "O" or attribute.startswith(("B-", "I-")):
            raise EditError(f"{attribute!r} is not an attribute name")
        kind = op.get("op")
        touched.add(attribute)
        if kind in ("set", "add"):
            _mark(spans, images, attribute, op, page, kind == "add", attribute in lists)
        elif kind == "remove":
            _remove(spans, images, attribute, op)
        elif kind == "clear":
            spans.pop(attribute, None)
            images.pop(attribute, None)
        else:
            raise EditError(f"unknown edit operation {kind!r}")
    for attribute in touched:
        _update_value(result, attribute, attribute in lists)
    for key in ("spans", "images", "values"):
        if isinstance(result.get(key), dict):
            result[key] = {k: v for k, v in result[key].items() if v not in ([], None, "")}
    if not result.get("images"):
        result.pop("images", None)
    if not result["spans"] and not result.get("images"):
        return None
    return result


def _mark(
    spans: dict[str, list[dict[str, Any]]],
    images: dict[str, list[dict[str, str]]],
    attribute: str,
    op: Mapping[str, Any],
    page: PageTargets,
    add: bool,
    is_list: bool,
) -> None:
    new_spans = [_checked_span(page, s) for s in op.get("spans") or []]
    new_images = [_checked_image(page, i) for i in op.get("images") or []]
    if not new_spans and not new_images:
        raise EditError(f"an edit of {attribute!r} marks nothing")
    if new_spans:
        old = spans.get(attribute, []) if add else []
        if is_list:
            item = 1 + max((int(s.get("item", 0)) for s in old), default=-1)
            new_spans = [{**s, "item": item} for s in new_spans]
        spans[attribute] = _unique([*old, *new_spans])
    if new_images:
        kept = images.get(attribute, []) if add else []
        images[attribute] = _unique([*kept, *new_images])


def _remove(
    spans: dict[str, list[dict[str, Any]]],
    images: dict[str, list[dict[str, str]]],
    attribute: str,
    op: Mapping[str, Any],
) -> None:
    if "image" in op:
        images[attribute] = [i for i in images.get(attribute, []) if i["xpath"] != op["image"]]
        return
    item = op.get("item")
    if not isinstance(item, int) or isinstance(item, bool):
        raise EditError(f"removing from {attribute!r} needs an `item` number or an `image`")
    kept = [s for s in spans.get(attribute, []) if s.get("item", 0) != item]
    spans[attribute] = _renumbered(kept) if any("item" in s for s in kept) else kept


def _checked_span(page: PageTargets, span: Any) -> dict[str, Any]:
    if not isinstance(span, Mapping):
        raise EditError("a span must be an object {xpath, start, end}")
    xpath, start, end = span.get("xpath"), span.get("start"), span.get("end")
    text = page.texts.get(xpath) if isinstance(xpath, str) else None
    if text is None:
        raise EditError(f"no text node {xpath!r} on {page.url}")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        raise EditError("a span's start and end must be whole numbers")
    assert isinstance(start, int) and isinstance(end, int)
    if not 0 <= start < end <= len(text):
        raise EditError(f"span {start}-{end} is outside its node's {len(text)} characters")
    return {"xpath": xpath, "start": start, "end": end, "text": text[start:end]}


def _checked_image(page: PageTargets, image: Any) -> dict[str, str]:
    xpath = image.get("xpath") if isinstance(image, Mapping) else None
    url = page.images.get(xpath) if isinstance(xpath, str) else None
    if url is None:
        raise EditError(f"no image {xpath!r} on {page.url}")
    assert isinstance(xpath, str)
    return {"xpath": xpath, "url": url}


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for item in items:
        key = tuple(sorted(item.items()))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _renumbered(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A list's spans with items numbered 0, 1, ... in the order they first appear."""
    numbers: dict[int, int] = {}
    for span in spans:
        numbers.setdefault(int(span.get("item", 0)), len(numbers))
    return [{**s, "item": numbers[int(s.get("item", 0))]} for s in spans]


def _update_value(annotation: Annotation, attribute: str, is_list: bool) -> None:
    """The attribute's value from what is marked: texts joined, a list's items, image URLs."""
    values: dict[str, Any] = annotation.setdefault("values", {})
    marked = annotation["spans"].get(attribute) or []
    pictures = (annotation.get("images") or {}).get(attribute) or []
    if marked and is_list:
        values[attribute] = item_texts(marked)
    elif marked:
        values[attribute] = join_texts([str(s["text"]) for s in marked])
    elif pictures:
        urls = [p["url"] for p in pictures]
        values[attribute] = urls if is_list else urls[0]
    else:
        values.pop(attribute, None)
