"""`shopwright import-pages`: build a page dataset from saved HTML files."""

from __future__ import annotations

import argparse
from pathlib import Path, PurePosixPath

from extractor.cli.command import Subparsers, add_command
from extractor.data.store import StoreDir, StoreError, check_store_name


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


class LabelsError(ValueError):
    """A labels file line that cannot be imported."""


def _labels_pages(source: Path, store: str | None) -> dict[str, list[tuple[str, Path]]]:
    """(url, path) of the pages a labels file names, by store; every `file` is checked to be
    a page under the labels file's folder, every `site` to be a store name."""
    from extractor.data.jsonl import read_objects

    groups: dict[str, list[tuple[str, Path]]] = {}
    for number, entry in read_objects(source, LabelsError):
        where = f"{source}:{number}"
        file = entry.get("file")
        if not isinstance(file, str) or not file.strip():
            raise LabelsError(
                f"{where}: needs `file`, the page's HTML file relative to {source.parent}"
            )
        relative = PurePosixPath(file.replace("\\", "/"))
        if relative.is_absolute() or ".." in relative.parts:
            raise LabelsError(
                f"{where}: `file` {file!r} leaves the labels file's folder; name pages inside "
                f"{source.parent}"
            )
        site = store or entry.get("site")
        if not isinstance(site, str) or not site:
            raise LabelsError(f"{where}: needs `site` (the store the page goes to), or --store")
        try:
            check_store_name(site)
        except StoreError as exc:
            raise LabelsError(f"{where}: {exc}") from None
        path = source.parent / relative
        if not path.is_file():
            raise FileNotFoundError(f"{source}: page {file} is missing")
        url = entry.get("url")
        groups.setdefault(site, []).append((url if isinstance(url, str) and url else file, path))
    if not groups:
        raise LabelsError(f"{source} names no pages")
    return groups


def _html_only(pages: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """The pages whose files can be HTML; the others are reported and left out."""
    from extractor.page.dom import binary_kind

    kept = []
    for url, path in pages:
        with path.open("rb") as handle:
            why = binary_kind(handle.read(4096))
        if why is None:
            kept.append((url, path))
        else:
            print(f"  not imported: {path} is {why}")
    return kept


def run(args: argparse.Namespace) -> int:
    """Import the pages and print how many each store got."""
    from extractor.data.pages import import_html_files

    source: Path = args.source
    if args.store is not None:
        check_store_name(args.store)
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist")
    groups: dict[str, list[tuple[str, Path]]] = {}
    if source.is_file():
        groups = _labels_pages(source, args.store)
    else:
        files = sorted(path for path in source.rglob("*.htm*") if path.is_file())
        if not files:
            raise ValueError(f"{source} holds no .html files")
        store = args.store or source.resolve().name
        try:
            check_store_name(store)
        except StoreError:
            raise StoreError(f"{source}: its folder name is no store name; pass --store") from None
        groups[store] = [(path.relative_to(source).as_posix(), path) for path in files]
    chosen = {store: _html_only(pages) for store, pages in groups.items()}
    if not any(chosen.values()):
        raise ValueError(f"{source}: no file to import is an HTML page")
    for store, pages in chosen.items():
        target = StoreDir(args.data_dir, store).pages_dir
        added = import_html_files(pages, store, target) if pages else 0
        print(f"{store}: {added} pages -> {target}")
    return 0
