"""`shopwright annotate STORE` without `--values`: the browser annotator, or Label Studio export
and import. Registering the options imports nothing heavy (`shopwright --help` stays fast)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The annotator's options of `shopwright annotate`."""
    group = parser.add_argument_group("the browser annotator (without --values)")
    group.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    group.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    group.add_argument(
        "--allow-remote",
        action="store_true",
        help="listen on an address other machines reach (--host); off by default",
    )
    group.add_argument("--no-browser", action="store_true", help="print the URL only")
    group.add_argument(
        "--model", type=Path, help="model that pre-labels (default: the store's, else shipped)"
    )
    group.add_argument(
        "--export-label-studio",
        type=Path,
        metavar="FILE",
        help="write Label Studio tasks (JSON) of the annotated and suggested pages, and the "
        "labelling config beside it (FILE.xml), then exit",
    )
    group.add_argument(
        "--import-label-studio",
        type=Path,
        metavar="FILE",
        help="read a Label Studio JSON export into data/STORE/annotations.jsonl, then exit",
    )


def run(args: argparse.Namespace) -> int:
    """Serve the annotator, or export or import Label Studio tasks."""
    from extractor.annotate.server import check_bind
    from extractor.annotate.session import Session
    from extractor.data.store import StoreDir

    if args.export_label_studio and args.import_label_studio:
        raise ValueError("give --export-label-studio or --import-label-studio, not both")
    interop = args.export_label_studio or args.import_label_studio
    if interop is None:
        check_bind(args.host, args.allow_remote)  # before minutes of loading
        if not 0 <= args.port <= 65535:
            raise ValueError(f"--port {args.port}: a port is 0 to 65535")
    store = StoreDir(args.data_dir, args.store).require_pages()
    session = Session(store, model=args.model)
    if args.export_label_studio:
        from extractor.annotate.labelstudio import export_tasks

        counts = export_tasks(session, args.export_label_studio)
        print(
            f"{counts['tasks']} Label Studio tasks ({counts['annotated']} annotated) -> "
            f"{args.export_label_studio}; labelling config -> {args.export_label_studio}.xml"
        )
        return 0
    if args.import_label_studio:
        from extractor.annotate.labelstudio import import_tasks

        counts = import_tasks(session, args.import_label_studio)
        print(
            f"{counts['imported']} annotated pages of {counts['tasks']} tasks -> "
            f"{store.annotations_file}"
        )
        return 0
    from extractor.annotate.server import serve

    serve(
        session,
        host=args.host,
        port=args.port,
        allow_remote=args.allow_remote,
        open_browser=not args.no_browser,
    )
    return 0
