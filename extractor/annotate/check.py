"""The Adapt button: adapt as `shopwright adapt` does, then show whether the annotated pages
were enough: a leave-one-out check over them (each page read by the model adapted to the
others, per attribute found or missed) and a preview of the catalog on the store's other pages
(values and confidence)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from extractor.adapt.annotated import adapt_to_annotations
from extractor.adapt.store import AdaptedExtractor, StoreAdapter
from extractor.page.input import as_page
from extractor.values.equality import values_equal
from extractor.values.matching.result import item_texts
from extractor.values.normalize.text import join_texts
from extractor.values.schema import AttributeType

#: Pages of the store previewed after adapting.
PREVIEW_PAGES = 12

Progress = Callable[[str], None]


def gold_values(annotation: Mapping[str, Any], lists: set[str]) -> dict[str, Any]:
    """What an annotated page says each attribute is: its `values`, else the marked texts (a
    list's items), else the marked images' URLs."""
    values = dict(annotation.get("values") or {})
    for name, spans in (annotation.get("spans") or {}).items():
        if name in values or not spans:
            continue
        if name in lists or any("item" in s for s in spans):
            values[name] = item_texts(spans)
        else:
            values[name] = join_texts([str(s["text"]) for s in spans])
    for name, images in (annotation.get("images") or {}).items():
        if name not in values and images:
            values[name] = images[0]["url"]
    return values


def leave_one_out(
    adapter: StoreAdapter,
    annotations: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    types: Mapping[str, AttributeType],
    progress: Progress = lambda _: None,
) -> dict[str, dict[str, Any]]:
    """Per attribute, `{found, missed, pages: [{url, expected, got, ok}]}`: each annotated page
    read by the model adapted to the other annotated pages (needs two pages or more)."""
    by_url = {str(row["url"]): row for row in rows}
    lists = {name for name, kind in types.items() if kind == "list"}
    report: dict[str, dict[str, Any]] = {}
    for held, annotation in enumerate(annotations):
        progress(f"leave-one-out: page {held + 1} of {len(annotations)}")
        others = [a for i, a in enumerate(annotations) if i != held]
        extractor = adapt_to_annotations(adapter, others, rows)
        url = str(annotation["url"])
        got, _ = extractor.extract_values([as_page(by_url[url])])[0]
        for name, expected in gold_values(annotation, lists).items():
            entry = report.setdefault(name, {"found": 0, "missed": 0, "pages": []})
            ok = values_equal(name, got.get(name), expected, page_url=url, kind=types.get(name))
            entry["found" if ok else "missed"] += 1
            entry["pages"].append(
                {"url": url, "expected": expected, "got": got.get(name), "ok": ok}
            )
    return dict(sorted(report.items()))


def preview(
    extractor: AdaptedExtractor,
    rows: Sequence[Mapping[str, Any]],
    annotated: set[str],
    limit: int = PREVIEW_PAGES,
) -> list[dict[str, Any]]:
    """The catalog on up to `limit` pages nobody annotated (product pages first): per page
    `{url, values: {attribute: {value, confidence}}}`."""
    others = [r for r in rows if str(r["url"]) not in annotated]
    others.sort(key=lambda r: not r.get("is_product", True))
    chosen = others[:limit]
    found = extractor.extract_values([as_page(r) for r in chosen]) if chosen else []
    return [
        {
            "url": str(row["url"]),
            "values": {
                name: {"value": value, "confidence": round(float(confidence.get(name, 0.0)), 3)}
                for name, value in values.items()
            },
        }
        for row, (values, confidence) in zip(chosen, found, strict=True)
    ]


def adapt_and_check(
    adapter: StoreAdapter,
    annotations: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    types: Mapping[str, AttributeType],
    progress: Progress = lambda _: None,
) -> tuple[AdaptedExtractor, dict[str, Any]]:
    """The store's adapted extractor, and the report the annotator shows: `leave_one_out`
    (empty with fewer than two pages), `preview`, `attributes`, `seconds`."""
    start = time.perf_counter()
    checked = (
        leave_one_out(adapter, annotations, rows, types, progress) if len(annotations) > 1 else {}
    )
    progress(f"adapting to {len(annotations)} annotated pages")
    extractor = adapt_to_annotations(adapter, annotations, rows)
    progress("reading the store's other pages")
    shown = preview(extractor, rows, {str(a["url"]) for a in annotations})
    report = {
        "pages": len(annotations),
        "leave_one_out": checked,
        "preview": shown,
        "attributes": list(extractor.attributes),
        "seconds": round(time.perf_counter() - start, 1),
    }
    return extractor, report
