"""`shopwright annotate STORE --values FILE` and `shopwright adapt STORE`: few-shot adaptation."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

from extractor.annotate import cli as annotator
from extractor.cli.command import Subparsers, add_command, int_between
from extractor.data.store import StoreDir

logger = logging.getLogger(__name__)

#: Most pages `adapt --self-train` fills the support to (each is read and adapted on).
MAX_SELF_TRAINING = 50
#: Most SGD steps `adapt --steps` takes (a few are what adaptation needs; 10 for a model that
#: was not meta-trained).
MAX_STEPS = 1000


def register(subparsers: Subparsers) -> None:
    """Add the annotate and adapt subcommands."""
    annotate = add_command(
        subparsers,
        "annotate",
        summary="annotate a store's pages in the browser, or from a values file",
        description="Without --values: open the browser annotator on the store (a local web "
        "app on 127.0.0.1: click the values on suggested pages, adapt, see the check and a "
        "catalog preview; saved to data/STORE/annotations.jsonl on every change; "
        "docs/ANNOTATE.md). "
        'With --values: turn a values file (JSON Lines of {"file" or "url", "labels": '
        "{attribute: value}}) into data/STORE/annotations.jsonl with the value matcher; "
        "reports per attribute what it could not find. A page on which no value is found is "
        "left out; when none is found at all nothing is written (--force writes it anyway).",
        examples=[
            "shopwright annotate example                        # the browser annotator",
            "shopwright annotate example --values values.jsonl  # values -> annotations.jsonl",
            "shopwright annotate example --export-label-studio tasks.json",
        ],
    )
    annotate.add_argument("store", help="store name (its folder under --data-dir)")
    annotate.add_argument("--values", type=Path, help="values file (JSON Lines)")
    annotate.add_argument("--data-dir", type=Path, default=Path("data"), help="default: data/")
    annotate.add_argument(
        "--force", action="store_true", help="write the annotations even when no value is found"
    )
    annotator.add_arguments(annotate)
    annotate.set_defaults(func=run_annotate)

    adapt = add_command(
        subparsers,
        "adapt",
        summary="adapt the model to a store from a few annotated pages",
        description="Adapt the shipped (or --model) extractor to a store from "
        "data/STORE/annotations.jsonl, or from a values file (which is also saved as the "
        "store's annotations), and write data/STORE/model. Attributes the model does not know "
        "are learnt from the annotated spans. Everything is checked first (the annotations "
        "against the stored pages, the model) and written last: the store's model is replaced in "
        "one step, and never by one adapted from no annotated value unless --force.",
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
        type=int_between(0, MAX_STEPS),
        default=None,
        help="SGD steps after the head is built from the support (default: the model's own "
        "choice, 0 for the shipped model; else its meta-training inner loop; 10 for a model "
        f"that was not meta-trained; at most {MAX_STEPS})",
    )
    adapt.add_argument(
        "--self-train",
        type=int_between(0, MAX_SELF_TRAINING),
        default=None,
        metavar="N",
        help="fill the support to N pages with the store's pages the adapted model reads surely, "
        "and adapt again on them (default: 0, off; it did not help on the real stores measured, "
        "docs/RESULTS.md)",
    )
    adapt.add_argument("--data-dir", type=Path, default=Path("data"), help="default: data/")
    adapt.add_argument("--device", default="auto", help="auto, cpu, cuda... (default: auto)")
    adapt.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    adapt.add_argument(
        "--force",
        action="store_true",
        help="adapt even when the annotations mark no value (the model then learns nothing "
        "from the store)",
    )
    adapt.set_defaults(func=run_adapt)


def _store_rows(store: StoreDir) -> list[dict[str, Any]]:
    pages = store.load_pages()
    if len(pages) == 0:
        raise ValueError(f"{store.pages_dir} holds no pages")
    return [dict(row) for row in pages]


def _from_values(
    store: StoreDir, values: Path, rows: list[dict[str, Any]], force: bool
) -> list[dict[str, Any]]:
    """Annotations made from a values file (not written yet), with the matcher's report
    printed; pages on which no value was found are left out. AnnotationError when no value
    was found at all (unless `force`)."""
    from extractor.data.annotations import AnnotationError, annotations_from_values

    annotations, report = annotations_from_values(values, rows)
    for line in report.lines():
        print(f"  {line}")
    found = [a for a in annotations if any(a["spans"].values())]
    empty = [a["url"] for a in annotations if not any(a["spans"].values())]
    if not found and not force:
        kept = f"; {store.annotations_file} is kept" if store.annotations_file.exists() else ""
        raise AnnotationError(
            f"no value of {values} was found on its pages: nothing written{kept}; check the "
            "values against what the pages show, or pass --force"
        )
    if empty and found:
        print(f"  left out, no value found: {len(empty)} pages, first {empty[0]}")
        return found
    return annotations


def _write_annotations(store: StoreDir, annotations: list[dict[str, Any]]) -> None:
    from extractor.data.annotations import write_annotations

    target = write_annotations(store.annotations_file, annotations)
    print(f"{len(annotations)} annotated pages -> {target}")


def run_annotate(args: argparse.Namespace) -> int:
    """Write the store's annotations from a values file, or open the browser annotator."""
    if args.values is None:
        return annotator.run(args)
    store = StoreDir(args.data_dir, args.store).require_pages()
    annotations = _from_values(store, args.values, _store_rows(store), args.force)
    _write_annotations(store, annotations)
    return 0


def run_adapt(args: argparse.Namespace) -> int:
    """Adapt the model to the store and write data/STORE/model: everything checked first (the
    model, the annotations against the stored pages), written last."""
    import torch

    from extractor.adapt.annotated import adapt_to_annotations, install_adapted
    from extractor.adapt.settings import AdaptSettings
    from extractor.adapt.store import StoreAdapter
    from extractor.adapt.transductive import SelfTraining
    from extractor.cli.command import device_arg
    from extractor.data.annotations import AnnotationError, check_spans, read_annotations
    from extractor.extract import check_model_dir, load_model

    start = time.perf_counter()
    store = StoreDir(args.data_dir, args.store).require_pages()
    model_dir = check_model_dir(args.model)
    device = device_arg(args.device)
    rows = _store_rows(store)
    by_url = {str(row["url"]): row for row in rows}
    if args.values is not None:
        source = args.values
        annotations = _from_values(store, args.values, rows, args.force)
    else:
        source = args.annotations or store.annotations_file
        if not source.is_file():
            raise FileNotFoundError(
                f"no annotations at {source}: run `shopwright annotate {args.store} --values "
                "FILE` or pass --values"
            )
        annotations = read_annotations(source)
    if not check_spans(annotations, by_url, source) and not args.force:
        kept = f"; the model at {store.model_dir} is kept" if store.model_dir.exists() else ""
        raise AnnotationError(
            f"{source} marks no value on its {len(annotations)} pages: nothing adapted{kept}; "
            "annotate values the pages show, or pass --force"
        )
    torch.manual_seed(args.seed)
    model = load_model(model_dir, device=device)
    self_training = None if args.self_train is None else SelfTraining(fill_to=args.self_train)
    settings = AdaptSettings.for_model(model_dir, steps=args.steps, self_training=self_training)
    if settings.steps > 100:
        print(f"adapting with {settings.steps} SGD steps: this takes a while")
    adapter = StoreAdapter(model, settings)
    loaded = time.perf_counter()
    extractor = adapt_to_annotations(adapter, annotations, rows)
    adapted = time.perf_counter()
    info = {
        "adapted_from": str(model_dir),
        "annotated_pages": [a["url"] for a in annotations],
        "steps": settings.steps,
        "self_training_pages": settings.self_training.fill_to,
        "seed": args.seed,
        "command": f"shopwright adapt {args.store}",
    }
    previous = _previous_attributes(store)
    target = install_adapted(store, extractor, info)
    if args.values is not None:
        _write_annotations(store, annotations)
    total = time.perf_counter() - start
    learnt = [a for a in extractor.attributes if a not in model.config.attributes]
    joined = len(extractor.context) - len(annotations)  # the support pages, pseudo-annotated too
    print(
        f"adapted to {len(annotations)} pages"
        + (f" and {joined} of the store's pages it read surely" if joined > 0 else "")
        + f" in {adapted - loaded:.1f} s "
        f"({total:.1f} s with loading and saving); attributes: {', '.join(extractor.attributes)}"
        + (f" (new: {', '.join(learnt)})" if learnt else "")
    )
    gone = [a for a in previous if a not in extractor.attributes]
    if gone:
        print(f"the previous model's attributes {', '.join(gone)} are not in the new one")
    print(f"model -> {target}")
    return 0


def _previous_attributes(store: StoreDir) -> list[str]:
    try:
        return store.model_attributes()
    except (OSError, ValueError):
        return []
