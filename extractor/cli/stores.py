"""`shopwright stores`: what the data directory holds, one line per store."""

from __future__ import annotations

import argparse
from pathlib import Path

from extractor.cli.command import Subparsers, add_command
from extractor.data.store import StoreDir


def register(subparsers: Subparsers) -> None:
    """Add the stores subcommand."""
    parser = add_command(
        subparsers,
        "stores",
        summary="list the stores of the data directory",
        description="List every store folder of the data directory, one line per store: its "
        "pages (product pages among them), its annotated pages, and whether it has an adapted "
        "model (with the model's attributes) or `extract` uses the shipped one.",
        examples=[
            "shopwright stores",
            "shopwright stores --data-dir out/demo/data",
        ],
    )
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="default: data/")
    parser.set_defaults(func=run)


def describe(store: StoreDir) -> str:
    """One store's line, without its name: pages, annotations, model."""
    if store.has_no_pages_yet():
        pages = "no pages yet"
    else:
        dataset = store.load_pages()
        products = sum(1 for product in dataset["is_product"] if product)
        pages = f"{len(dataset)} pages ({products} product pages)"
    try:
        model = (
            f"adapted model: {', '.join(store.model_attributes())}"
            if store.adapted_model() is not None
            else "no adapted model (extract uses the shipped one)"
        )
    except (OSError, ValueError) as exc:  # an incomplete model: say so, list the other stores
        model = f"broken adapted model: {exc}"
    return f"{pages}, {store.annotated_pages()} annotated, {model}"


def run(args: argparse.Namespace) -> int:
    """Print one line per store."""
    data_dir: Path = args.data_dir
    if not data_dir.is_dir():
        raise FileNotFoundError(
            f"no data directory {data_dir}: crawl a store first (`shopwright crawl URL`) "
            "or pass --data-dir"
        )
    stores = list(StoreDir.all(data_dir))
    if not stores:
        print(
            f"no stores in {data_dir}: crawl one (`shopwright crawl URL --store NAME`) or "
            "import saved pages (`shopwright import-pages DIR`)"
        )
        return 0
    width = max(len(store.name) for store in stores)
    for store in stores:
        print(f"{store.name:<{width}}  {describe(store)}")
    return 0
