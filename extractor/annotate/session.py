"""One store opened in the annotator: its pages, annotations, attributes, pre-labels and the
Adapt job, behind the methods the web app's routes call."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from extractor.annotate.attributes import (
    ATTRIBUTES_FILE,
    add_attribute,
    attribute_list,
    list_attributes,
    load_schema,
)
from extractor.annotate.edits import PageTargets
from extractor.annotate.prelabel import Prelabeler, ValueReader
from extractor.annotate.render import RenderedPage, render_page
from extractor.annotate.state import AnnotationStore
from extractor.annotate.suggest import TARGET_PAGES, layout_key, suggest, template_groups
from extractor.data.store import StoreDir

logger = logging.getLogger(__name__)

#: Pages pre-labelled in the background after start (product pages first).
WARM_PAGES = 200
#: Store pages the pre-labelling model looks across to tell the store's template.
CONTEXT_PAGES = 20


class StorePages:
    """A store's page dataset: light rows (url, nodes, is_product) of every page in memory,
    whole rows (with the HTML) read when needed."""

    def __init__(self, dataset: Any) -> None:
        self._dataset = dataset
        columns = [c for c in ("url", "nodes", "is_product") if c in dataset.column_names]
        self.meta: list[dict[str, Any]] = dataset.select_columns(columns).to_list()
        self.urls = [str(m["url"]) for m in self.meta]
        self.index = {url: i for i, url in enumerate(self.urls)}

    def __len__(self) -> int:
        return len(self.meta)

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one StorePages per session
    def row(self, index: int) -> dict[str, Any]:
        """The page's whole row (url, html, nodes...)."""
        if not 0 <= index < len(self.meta):
            raise IndexError(f"no page {index}")
        return dict(self._dataset[index])

    def targets(self, index: int, rendered: RenderedPage) -> PageTargets:
        """What can be marked on a page: its nodes' texts and its images' URLs by XPath."""
        nodes = self.meta[index]["nodes"]
        return PageTargets(
            url=self.urls[index],
            texts={str(n["xpath"]): str(n["text"]) for n in nodes},
            images={i["xpath"]: i["url"] for i in rendered.images},
        )

    def with_html(self, urls: set[str]) -> list[dict[str, Any]]:
        """Every page's light row, whole rows for the pages named (what adaptation reads)."""
        return [self.row(i) if url in urls else self.meta[i] for i, url in enumerate(self.urls)]


class AdaptJob:
    """The Adapt button's work in a background thread: its state, progress and report."""

    def __init__(self) -> None:
        self.state = "idle"  #: idle, running, done or error
        self.message = ""
        self.report: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def start(self, work: Callable[[Callable[[str], None]], dict[str, Any]]) -> bool:
        """Run `work(progress)` in a thread unless a run is going on (then False)."""
        with self._lock:
            if self.state == "running":
                return False
            self.state, self.message, self.report = "running", "starting", None
        threading.Thread(target=self._run, args=(work,), daemon=True, name="adapt").start()
        return True

    def _run(self, work: Callable[[Callable[[str], None]], dict[str, Any]]) -> None:
        def progress(message: str) -> None:
            self.message = message

        try:
            report = work(progress)
        except Exception as exc:  # shown to the person, who can fix the annotations and retry
            logger.exception("adaptation failed")
            self.state, self.message = "error", f"{type(exc).__name__}: {exc}"
            return
        self.report, self.state, self.message = report, "done", "done"

    def status(self) -> dict[str, Any]:
        """`{state, message, report}`."""
        return {"state": self.state, "message": self.message, "report": self.report}


class Session:
    """The annotator's view of one store."""

    def __init__(self, store: StoreDir, model: Path | None = None) -> None:
        from extractor.extract import model_dir_or_default

        self.store = store
        self.pages = StorePages(store.load_pages())
        self.annotations = AnnotationStore(store.annotations_file)
        self.attributes_file = store.path / ATTRIBUTES_FILE
        load_schema(self.attributes_file)  # a bad file fails at start, not at the first click
        self.base_model = model_dir_or_default(model)
        self.groups = template_groups([layout_key(m["nodes"]) for m in self.pages.meta])
        self.prelabels = Prelabeler(self.pages.row, len(self.pages), self._load_reader)
        self.adapt_job = AdaptJob()
        self._stop = threading.Event()

    # -- what the app shows ----------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The store at a glance: pages (annotated attributes, template), attributes,
        suggestions, progress, the pre-labelling model and the annotations' version."""
        version, annotations = self.annotations.snapshot()
        by_url = {a["url"]: a for a in annotations}
        annotated = {self.pages.index[u] for u in by_url if u in self.pages.index}
        pages = [
            {
                "index": i,
                "url": url,
                "product": bool(self.pages.meta[i].get("is_product", True)),
                "template": self.groups[i],
                "marked": sorted(
                    {*by_url.get(url, {}).get("spans", {}), *by_url.get(url, {}).get("images", {})}
                ),
            }
            for i, url in enumerate(self.pages.urls)
        ]
        suggestions = suggest(
            self.groups, self._candidates(), annotated, self.prelabels.mean_confidence
        )
        return {
            "store": self.store.name,
            "version": version,
            "pages": pages,
            "attributes": self.attributes(annotations),
            "suggestions": [
                {"index": s.index, "url": self.pages.urls[s.index], "reason": s.reason}
                for s in suggestions
            ],
            "target": TARGET_PAGES,
            "annotated": len(annotated),
            "outside": sorted(u for u in by_url if u not in self.pages.index),
            "model": self.prelabels.model_name or "loading",
            "prelabelled": len(self.prelabels.done()),
            "adapt": self.adapt_job.status(),
        }

    def attributes(self, annotations: Sequence[Mapping[str, Any]] | None = None) -> list[Any]:
        """The attribute list (`extractor.annotate.attributes.attribute_list`)."""
        if annotations is None:
            annotations = self.annotations.snapshot()[1]
        return attribute_list(load_schema(self.attributes_file), annotations)

    def page(self, index: int) -> dict[str, Any]:
        """One page: url, nodes (xpath, text), images, which nodes are shown, its annotation."""
        rendered = self.frame(index)
        url = self.pages.urls[index]
        version, annotation = self.annotations.page(url)
        nodes = self.pages.meta[index]["nodes"]
        return {
            "index": index,
            "url": url,
            "version": version,
            "nodes": [{"xpath": n["xpath"], "text": n["text"]} for n in nodes],
            "shown": len(rendered.marked),
            "images": rendered.images,
            "error": rendered.error,
            "annotation": annotation,
        }

    @functools.lru_cache(maxsize=16)  # noqa: B019 - one Session per server
    def frame(self, index: int) -> RenderedPage:
        """The page made safe for the frame (`extractor.annotate.render`)."""
        return render_page(self.pages.row(index))

    def prelabel(self, index: int) -> dict[str, Any]:
        """The current model's values on the page, with confidence and marks."""
        labels = self.prelabels.labels(index)
        return {"index": index, "model": self.prelabels.model_name, "labels": labels}

    # -- what the person changes --------------------------------------------------------------

    def edit(self, index: int, ops: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Apply an edit to the page's annotation and save; the new version and annotation."""
        targets = self.pages.targets(index, self.frame(index))
        lists = list_attributes(self.attributes())
        version, annotation = self.annotations.edit(targets, ops, lists)
        return {"version": version, "annotation": annotation}

    def add_attribute(self, name: str, kind: str) -> list[Any]:
        """Declare a custom attribute; the new attribute list."""
        add_attribute(self.attributes_file, name, kind)
        return self.attributes()

    def start_adapt(self) -> bool:
        """Start the Adapt button's work (False while it runs already)."""
        return self.adapt_job.start(self._adapt)

    # -- background work ----------------------------------------------------------------------

    def start_background(self) -> None:
        """Pre-label pages in the background, product pages first."""
        order = self._candidates()[:WARM_PAGES]
        threading.Thread(
            target=self.prelabels.warm, args=(order, self._stop), daemon=True, name="prelabel"
        ).start()

    def close(self) -> None:
        """Stop background work."""
        self._stop.set()

    def _candidates(self) -> list[int]:
        products = [i for i, m in enumerate(self.pages.meta) if m.get("is_product", True)]
        return products or list(range(len(self.pages)))

    def _load_reader(self) -> ValueReader:
        from extractor.extract import Extractor

        adapted = self.store.adapted_model()
        path = adapted or self.base_model
        sample = [m["nodes"] for m in self.pages.meta[:CONTEXT_PAGES]]
        reader = Extractor.load(path, context=sample)
        self.prelabels.model_name = (
            "the store's adapted model" if adapted else f"zero-shot ({path.name})"
        )
        return reader

    def _adapt(self, progress: Callable[[str], None]) -> dict[str, Any]:
        import torch

        from extractor.adapt.annotated import install_adapted
        from extractor.adapt.settings import AdaptSettings
        from extractor.adapt.store import StoreAdapter
        from extractor.annotate.check import PREVIEW_PAGES, adapt_and_check
        from extractor.neural.model import ExtractorModel

        start = time.perf_counter()
        version, annotations = self.annotations.snapshot()
        annotations = [a for a in annotations if a["url"] in self.pages.index]
        if not annotations:
            raise ValueError("annotate a page first: nothing to adapt to")
        progress(f"loading {self.base_model}")
        torch.manual_seed(0)
        model = ExtractorModel.from_pretrained(self.base_model)
        settings = AdaptSettings.for_model(self.base_model)
        adapter = StoreAdapter(model, settings)
        # whole rows (with the HTML: structured data, images) for the annotated pages and the
        # pages the preview reads, as `shopwright extract` reads them
        urls = {a["url"] for a in annotations}
        others = [self.pages.urls[i] for i in self._candidates()]
        previewed = [u for u in others if u not in urls][:PREVIEW_PAGES]
        rows = self.pages.with_html(urls | set(previewed))
        types = {a["name"]: a["type"] for a in self.attributes(annotations)}
        extractor, report = adapt_and_check(adapter, annotations, rows, types, progress)
        progress("saving the store's model")
        info = {
            "adapted_from": str(self.base_model),
            "annotated_pages": [a["url"] for a in annotations],
            "steps": settings.steps,
            "seed": 0,
            "command": f"shopwright annotate {self.store.name} (Adapt)",
        }
        target = install_adapted(self.store, extractor, info)
        self.prelabels.use(extractor, "the store's adapted model")
        new = [a for a in extractor.attributes if a not in model.config.attributes]
        return {
            **report,
            "model": str(target),
            "version": version,
            "new_attributes": new,
            "seconds": round(time.perf_counter() - start, 1),
        }
