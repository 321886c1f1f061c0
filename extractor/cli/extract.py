"""`shopwright extract STORE`: product records from a store's page dataset."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from extractor.cli.command import (
    Subparsers,
    add_command,
    device_arg,
    non_negative_int,
    positive_int,
)
from extractor.data.store import StoreDir
from extractor.neural.precision import PRECISIONS

logger = logging.getLogger(__name__)


def register(subparsers: Subparsers) -> None:
    """Add the extract subcommand."""
    parser = add_command(
        subparsers,
        "extract",
        summary="extract product records from a store's pages",
        description="Extract product records from data/STORE/pages (product pages unless "
        "--all-pages) with the store's adapted model (data/STORE/model) when there is one, else "
        "the shipped model; the format follows the output's extension (.json, .jsonl, .csv).",
        examples=[
            "shopwright extract example -o example.json          # -> example.json",
            "shopwright extract example -o example.csv --precision int8 --all-pages",
            "shopwright extract example --workers 2              # two processes",
            "shopwright extract example --cluster tcp://10.0.0.5:8786 \\",
            "    --pages-url /mnt/shared/data/example/pages      # Dask (docs/SCALING.md)",
        ],
    )
    parser.add_argument("store", help="store name (its folder under --data-dir)")
    parser.add_argument("-o", "--output", type=Path, help="default: STORE.json")
    parser.add_argument("--model", type=Path, help="model directory (default: see above)")
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="default: data/")
    parser.add_argument("--all-pages", action="store_true", help="not only product pages")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda... (default: auto)")
    parser.add_argument(
        "--threads", type=non_negative_int, default=0, help="torch threads (0: all cores)"
    )
    parser.add_argument(
        "--page-tokens",
        type=non_negative_int,
        default=None,
        help="tokens encoded per page, its most promising nodes first (0: all, but at most "
        "16,384 of a huge page; default: the model's setting)",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="inference precision (default: auto = bf16 on a CPU with native bf16 instructions, "
        "about 40%% less CPU per page, else fp32; int8 = dynamic quantization, CPU only, may lose "
        "a little accuracy)",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="processes on this machine, each loading the model once (default: 1); with "
        "--cluster local, the local cluster's worker processes",
    )
    parser.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="extract on the workers of a Dask cluster: its scheduler's address "
        "(tcp://host:8786), or `local` for a cluster of --workers processes here",
    )
    parser.add_argument(
        "--pages-url",
        metavar="URL",
        help="where --cluster workers read the store's page dataset (a path on a shared mount "
        "or an fsspec URL; default: its local path)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Extract and write the records."""
    from tqdm import tqdm

    from extractor.data.atomic import check_writable
    from extractor.data.catalog import export_format, write_records
    from extractor.extract import DEFAULT_MODEL_DIR, Extractor, check_model_dir
    from extractor.neural.precision import resolve_precision
    from extractor.scale.chunks import ExtractJob, chunked, extract_rows, product_rows
    from extractor.scale.cluster import extract_on_dask
    from extractor.scale.pool import extract_in_processes

    output: Path = args.output or Path(f"{args.store}.json")
    export_format(output)  # an unknown extension or a place that cannot be written fails
    check_writable(output)  # before any work
    store = StoreDir(args.data_dir, args.store).require_pages()
    model_dir = check_model_dir(store.model(args.model))
    device = device_arg(args.device)
    precision = resolve_precision(args.precision, device)
    pages = store.load_pages()
    chosen = product_rows(pages, args.all_pages)
    if not chosen:
        kind = "pages" if args.all_pages else "product pages (try --all-pages)"
        raise ValueError(f"store {args.store!r} has no {kind}")
    chunks = chunked(chosen)
    logger.info(
        "extracting %d pages of %s with %s on %s at %s precision",
        len(chosen),
        args.store,
        model_dir,
        device,
        precision,
    )
    cores = os.cpu_count() or 1
    job = ExtractJob(
        pages=args.pages_url or str(store.pages_dir.resolve()),
        model=None if model_dir == DEFAULT_MODEL_DIR else str(model_dir.resolve()),
        device=str(device),
        precision=precision,
        page_tokens=args.page_tokens,
        threads=args.threads or max(1, cores // args.workers),
    )
    extractor = None
    if not (args.cluster or args.workers > 1):  # one process: the model loads here, first
        if args.threads or os.environ.get("OMP_NUM_THREADS") is None:
            import torch

            torch.set_num_threads(args.threads or cores)
        extractor = Extractor.load(
            model_dir, device=device, precision=precision, page_tokens=args.page_tokens
        )
    with tqdm(total=len(chosen), unit="page", disable=args.no_progress) as bar:
        if args.cluster:
            records = extract_on_dask(job, chunks, args.cluster, args.workers, bar.update)
        elif extractor is None:
            records = extract_in_processes(job, chunks, args.workers, bar.update)
        else:
            records = []
            for rows in chunks:
                records += extract_rows(extractor, pages, rows)
                bar.update(len(rows))
    write_records(records, output)
    print(f"{len(records)} records -> {output}")
    return 0
