"""Adaptation to a store from its annotated pages, as `shopwright adapt` and the annotator's
Adapt button both run it: the support from annotations.jsonl, the store's other pages for its
template, and the adapted model installed as the store's model in one step."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from extractor.adapt.store import AdaptedExtractor, StoreAdapter, annotation_example, save_adapted
from extractor.data.store import StoreDir
from extractor.page.input import as_page

#: Pages of the store read to tell its template from its data at adaptation (and to
#: self-train on, `extractor.adapt.transductive`).
STORE_PAGES = 50


def adapt_to_annotations(
    adapter: StoreAdapter,
    annotations: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
) -> AdaptedExtractor:
    """Adapt to the annotated pages (`{url, spans, values?, images?}`) of a store whose
    page-dataset rows are `rows`; ValueError when an annotated page is not among them."""
    by_url = {str(row["url"]): row for row in rows}
    missing = [a["url"] for a in annotations if a["url"] not in by_url]
    if missing:
        raise ValueError(f"annotated pages not in the store's page dataset: {missing[:3]}")
    nodes = [list(by_url[a["url"]]["nodes"]) for a in annotations]
    examples = [
        annotation_example(n, by_url[a["url"]].get("html"), a["url"], a)
        for n, a in zip(nodes, annotations, strict=True)
    ]
    # the store's other pages tell its template from its data (a sample is enough)
    others = [as_page(row) for row in rows[:STORE_PAGES]]
    return adapter.adapt(nodes, [a["spans"] for a in annotations], others, examples)


def install_adapted(store: StoreDir, extractor: AdaptedExtractor, info: dict[str, Any]) -> Path:
    """Write the adapted model as a new version of the store's model and make it the store's
    model in one rename: a failed run leaves the old model in place."""
    folder = store.new_model_folder()
    try:
        save_adapted(extractor, folder, info)
        return store.install_model(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
