"""The page dataset: its schema, building rows from HTML, an append-only writer, and loading."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa

from extractor.data.atomic import write_text_atomic
from extractor.page.dom import (
    HINT_ATTRIBUTES,
    Node,
    PageError,
    decode_html,
    iter_text_nodes,
    parse_html,
)
from extractor.page.signals import looks_like_product, page_language

logger = logging.getLogger(__name__)

FEATURES = datasets.Features(
    {
        "store": datasets.Value("string"),
        "url": datasets.Value("string"),
        "fetched_at": datasets.Value("string"),
        "status": datasets.Value("int32"),
        "rendered": datasets.Value("bool"),
        "html": datasets.Value("large_string"),
        "nodes": datasets.List(
            {
                "xpath": datasets.Value("string"),
                "text": datasets.Value("string"),
                "tag": datasets.Value("string"),
                "attrs": {name: datasets.Value("string") for name in HINT_ATTRIBUTES},
            }
        ),
        "is_product": datasets.Value("bool"),
        "lang": datasets.Value("string"),
    }
)

STATE_FILE = "state.json"
INFO_FILE = "dataset_info.json"
JOURNAL_FILE = "journal.jsonl"


def now_iso() -> str:
    """The current UTC time as an ISO 8601 string."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def page_row(
    store: str,
    url: str,
    html: bytes | str,
    *,
    status: int = 200,
    rendered: bool = False,
    content_type: str | None = None,
    fetched_at: str | None = None,
) -> dict[str, Any]:
    """Build one dataset row from a fetched page; a page with no text gets no nodes."""
    nodes: list[Node] = []
    is_product = False
    lang = ""
    text = decode_html(html, content_type)
    try:
        root = parse_html(text)
        nodes = list(iter_text_nodes(root))
        is_product = looks_like_product(root, nodes, url)
        lang = page_language(root)
    except PageError as exc:
        logger.warning("%s: stored without text nodes: %s", url, exc)
    return {
        "store": store,
        "url": url,
        "fetched_at": fetched_at or now_iso(),
        "status": status,
        "rendered": rendered,
        "html": text,
        "nodes": nodes,
        "is_product": is_product,
        "lang": lang,
    }


class PageDatasetWriter:
    """Append-only writer of a page dataset directory that `datasets.load_from_disk` reads.

    Every row goes to a line-buffered journal first, so a killed process loses only pages that
    were still being fetched; every `shard_size` rows become one Arrow shard, and `state.json` is
    replaced atomically to list it. Reopening a directory recovers its journal and skips URLs
    that are already stored, so a resumed crawl stores each page once.
    """

    def __init__(self, directory: str | Path, shard_size: int = 64) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.shard_size = shard_size
        self._shards: list[str] = _read_shard_names(self.directory)
        self._remove_orphan_shards()
        self.urls: set[str] = set(_shard_urls(self.directory, self._shards))
        self._buffer: list[dict[str, Any]] = []
        self._recover_journal()
        self._journal = open(self.directory / JOURNAL_FILE, "a", encoding="utf-8")  # noqa: SIM115
        if not self._shards:
            self._write_state()

    def __enter__(self) -> PageDatasetWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self.urls)

    def add(self, row: dict[str, Any]) -> bool:
        """Store a row; returns False (and stores nothing) when its URL is already stored."""
        if row["url"] in self.urls:
            return False
        self.urls.add(row["url"])
        self._journal.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._journal.flush()
        self._buffer.append(row)
        if len(self._buffer) >= self.shard_size:
            self.flush()
        return True

    def flush(self) -> None:
        """Turn buffered rows into a shard and empty the journal."""
        if not self._buffer:
            return
        self._write_shard(self._buffer)
        self._buffer = []
        self._journal.truncate(0)
        self._journal.seek(0)

    def close(self) -> None:
        """Flush and close; the directory is a complete dataset afterwards."""
        self.flush()
        self._journal.close()
        (self.directory / JOURNAL_FILE).unlink(missing_ok=True)

    def _recover_journal(self) -> None:
        journal = self.directory / JOURNAL_FILE
        if not journal.exists():
            return
        rows = []
        with open(journal, encoding="utf-8") as handle:
            for line in handle:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    logger.warning("dropping a torn journal line (a page in flight at a kill)")
                    continue
                if row["url"] not in self.urls:
                    self.urls.add(row["url"])
                    rows.append(row)
        if rows:
            logger.info("recovered %d journalled pages in %s", len(rows), self.directory)
            self._write_shard(rows)
        journal.unlink()

    def _write_shard(self, rows: list[dict[str, Any]]) -> None:
        name = f"data-{len(self._shards):05d}.arrow"
        table = pa.Table.from_pylist(
            [FEATURES.encode_example(row) for row in rows], schema=FEATURES.arrow_schema
        )
        tmp = self.directory / (name + ".tmp")
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, self.directory / name)
        self._shards.append(name)
        self._write_state()

    def _write_state(self) -> None:
        state: dict[str, Any] = {
            "_data_files": [{"filename": name} for name in self._shards],
            "_fingerprint": f"shopwright-{len(self._shards)}-{len(self.urls)}",
            "_format_columns": None,
            "_format_kwargs": {},
            "_format_type": None,
            "_output_all_columns": False,
            "_split": None,
        }
        info = {"description": "shopwright page dataset", "features": FEATURES.to_dict()}
        write_text_atomic(self.directory / INFO_FILE, json.dumps(info, indent=2))
        write_text_atomic(self.directory / STATE_FILE, json.dumps(state, indent=2))

    def _remove_orphan_shards(self) -> None:
        for path in self.directory.glob("data-*.arrow*"):
            if path.name not in self._shards:
                logger.warning("removing %s: written but never listed (killed mid-write)", path)
                path.unlink()


def _read_shard_names(directory: Path) -> list[str]:
    state = directory / STATE_FILE
    if not state.exists():
        return []
    return [entry["filename"] for entry in json.loads(state.read_text())["_data_files"]]


def _shard_urls(directory: Path, shards: list[str]) -> Iterator[str]:
    for name in shards:
        with pa.memory_map(str(directory / name)) as source:
            table = pa.ipc.open_stream(source).read_all()
        yield from table.column("url").to_pylist()


def load_pages(directory: str | Path) -> datasets.Dataset:
    """Load a page dataset, with a clear error when the directory is not one."""
    path = Path(directory)
    if not (path / STATE_FILE).exists():
        raise FileNotFoundError(
            f"{path} is not a page dataset (no {STATE_FILE}); crawl or import pages first"
        )
    return datasets.load_from_disk(str(path))


def import_html_files(files: Iterable[tuple[str, Path]], store: str, directory: str | Path) -> int:
    """Write saved HTML files (pairs of URL and path) as a page dataset; returns pages added."""
    added = 0
    with PageDatasetWriter(directory) as writer:
        for url, path in files:
            row = page_row(store, url, path.read_bytes(), status=200, rendered=False)
            added += writer.add(row)
    return added
