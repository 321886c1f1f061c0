"""`shopwright annotate STORE --values FILE` and `shopwright adapt STORE`: few-shot adaptation."""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from extractor.cli.command import Subparsers, add_command
from extractor.data.store import StoreDir

logger = logging.getLogger(__name__)


def register(subparsers: Subparsers) -> None:
    """Add the annotate and adapt subcommands."""
    annotate = add_command(
        subparsers,
        "annotate",
        summary="annotate a store's pages from a values file",
        description='Turn a values file (JSON Lines of {"file" or "url", "labels": '
        "{attribute: value}}) into data/STORE/annotations.jsonl with the value matcher; "
        "reports per attribute what it could not find.",
        examples=[
            "shopwright annotate example --values values.jsonl  # -> data/example/annotations.jsonl"
        ],
    )
    annotate.add_argument("store", help="store name (its folder under --data-dir)")
    annotate.add_argument("--values", type=Path, required=True, help="values file (JSON Lines)")
    annotate.add_argument("--data-dir", type=Path, default=Path("data"), help="default: data/")
    annotate.set_defaults(func=run_annotate)

    adapt = add_command(
        subparsers,
        "adapt",
        summary="adapt the model to a store from a few annotated pages",
        description="Adapt the shipped (or --model) extractor to a store from "
        "data/STORE/annotations.jsonl, or from a values file (which is also saved as the "
        "store's annotations), and write data/STORE/model. Attributes the model does not know "
        "are learnt from the annotated spans.",
        examples=[
            "shopwright adapt example                        # -> data/example/model",
            "shopwright adapt example --values values.jsonl --steps 3",
        ],
    )
    adapt.add_argument("store", help="store name (its folder under --data-dir)")
    source = adapt.add_mutually_exclusive_group()
    source.add_argument("--annotations", type=Path, help="default: data/STORE/annotations.jsonl")
    source.add_argument("--values", type=Path, help="values file (JSON Lines) instead")
    adapt.add_argument("--model", type=Path, help="model to adapt (default: the shipped one)")
    adapt.add_argument(
        "--steps",
        type=int,
        default=None,
        help="SGD steps after the head is built from the support (default: the model's own "
        "choice, 0 for the shipped model; else its meta-training inner loop; 10 for a model "
        "that was not meta-trained)",
    )
    adapt.add_argument("--data-dir", type=Path, default=Path("data"), help="default: data/")
    adapt.add_argument("--device", default="auto", help="auto, cpu, cuda... (default: auto)")
    adapt.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    adapt.set_defaults(func=run_adapt)


#: Pages of the store read to tell its template from its data at adaptation.
STORE_PAGES = 50


def _store_rows(store: StoreDir) -> list[dict[str, Any]]:
    pages = store.load_pages()
    if len(pages) == 0:
        raise ValueError(f"{store.pages_dir} holds no pages")
    return [dict(row) for row in pages]


def _annotate(store: StoreDir, values: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from extractor.data.annotations import annotations_from_values, write_annotations

    annotations, report = annotations_from_values(values, rows)
    target = write_annotations(store.annotations_file, annotations)
    for line in report.lines():
        print(f"  {line}")
    print(f"{len(annotations)} annotated pages -> {target}")
    return annotations


def run_annotate(args: argparse.Namespace) -> int:
    """Write the store's annotations from a values file."""
    store = StoreDir(args.data_dir, args.store).require_pages()
    _annotate(store, args.values, _store_rows(store))
    return 0


def run_adapt(args: argparse.Namespace) -> int:
    """Adapt the model to the store and write data/STORE/model."""
    import torch

    from extractor.adapt.settings import AdaptSettings
    from extractor.adapt.store import StoreAdapter, annotation_example, save_adapted
    from extractor.data.annotations import read_annotations
    from extractor.extract import model_dir_or_default
    from extractor.neural.model import ExtractorModel
    from extractor.neural.precision import resolve_device

    if args.steps is not None and args.steps < 0:
        raise ValueError("--steps must be >= 0")
    start = time.perf_counter()
    store = StoreDir(args.data_dir, args.store).require_pages()
    model_dir = model_dir_or_default(args.model)
    rows = _store_rows(store)
    if args.values is not None:
        annotations = _annotate(store, args.values, rows)
    else:
        path = args.annotations or store.annotations_file
        if not path.is_file():
            raise FileNotFoundError(
                f"no annotations at {path}: run `shopwright annotate {args.store} --values FILE` "
                "or pass --values"
            )
        annotations = read_annotations(path)
    by_url = {str(row["url"]): row for row in rows}
    missing = [a["url"] for a in annotations if a["url"] not in by_url]
    if missing:
        raise ValueError(f"annotated pages not in the store's page dataset: {missing[:3]}")
    torch.manual_seed(args.seed)
    model = ExtractorModel.from_pretrained(model_dir, device=resolve_device(args.device))
    settings = AdaptSettings.for_model(model_dir, steps=args.steps)
    adapter = StoreAdapter(model, settings)
    loaded = time.perf_counter()
    nodes = [list(by_url[a["url"]]["nodes"]) for a in annotations]
    examples = [
        annotation_example(n, by_url[a["url"]].get("html"), a["url"], a)
        for n, a in zip(nodes, annotations, strict=True)
    ]
    # the store's other pages tell its template from its data (a sample is enough)
    others = [list(row["nodes"]) for row in rows[:STORE_PAGES]]
    extractor = adapter.adapt(nodes, [a["spans"] for a in annotations], others, examples)
    adapted = time.perf_counter()
    target = store.model_dir
    info = {
        "adapted_from": str(model_dir),
        "annotated_pages": [a["url"] for a in annotations],
        "steps": settings.steps,
        "seed": args.seed,
        "command": f"shopwright adapt {args.store}",
    }
    # Write next to the target, then swap: a failed run leaves the old model in place.
    tmp = Path(tempfile.mkdtemp(prefix=".model.", dir=store.path))
    try:
        save_adapted(extractor, tmp, info)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - start
    learnt = [a for a in extractor.attributes if a not in model.config.attributes]
    print(
        f"adapted to {len(annotations)} pages in {adapted - loaded:.1f} s "
        f"({total:.1f} s with loading and saving); attributes: {', '.join(extractor.attributes)}"
        + (f" (new: {', '.join(learnt)})" if learnt else "")
    )
    print(f"model -> {target}")
    return 0
