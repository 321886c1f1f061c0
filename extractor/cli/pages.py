"""`shopwright import-pages`: build a page dataset from saved HTML files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from extractor.cli.command import Subparsers, add_command
from extractor.data.store import StoreDir


def register(subparsers: Subparsers) -> None:
    """Add the import-pages subcommand."""
    parser = add_command(
        subparsers,
        "import-pages",
        summary="build a page dataset from saved HTML files",
        description="Build data/STORE/pages from a folder of .html files, or from a labels.jsonl "
        "file in the realpages format (its `file` and `url` keys; one store per site, or all "
        "under --store), the same dataset a crawl writes.",
        examples=[
            "shopwright import-pages saved/example --store example   # -> data/example/pages",
            "shopwright import-pages ../shared/realpages/labels.jsonl  # one store per site",
        ],
    )
    parser.add_argument("source", type=Path, help="a folder of .html files, or a labels.jsonl")
    parser.add_argument("--store", help="store name (default: the folder name / each site)")
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="default: data/")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Import the pages and print how many each store got."""
    from extractor.data.pages import import_html_files

    source: Path = args.source
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist")
    groups: dict[str, list[tuple[str, Path]]] = {}
    if source.is_file():
        for line in source.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            path = source.parent / entry["file"]
            if not path.exists():
                raise FileNotFoundError(f"{source}: page {entry['file']} is missing")
            store = args.store or entry["site"]
            groups.setdefault(store, []).append((entry.get("url") or entry["file"], path))
    else:
        files = sorted(source.rglob("*.htm*"))
        if not files:
            raise ValueError(f"{source} holds no .html files")
        store = args.store or source.name
        groups[store] = [(path.relative_to(source).as_posix(), path) for path in files]
    for store, pages in groups.items():
        target = StoreDir(args.data_dir, store).pages_dir
        added = import_html_files(pages, store, target)
        print(f"{store}: {added} pages -> {target}")
    return 0
