"""The page dataset: its schema, building rows from HTML, an append-only writer, and loading."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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
    iter_text_nodes,
    parse_html,
    sniff_encoding,
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
        # what `html` was decoded from: `raw_html` gives the page's bytes back ("" or missing:
        # the HTML came as text, e.g. the DOM Chromium rendered)
        "encoding": datasets.Value("string"),
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
#: The journal of a writer of earlier versions (one writer per directory).
JOURNAL_FILE = "journal.jsonl"
#: Every writer's journal: `journal-<pid>-<random>.jsonl` (and the old `journal.jsonl`).
JOURNAL_GLOB = "journal*.jsonl"
#: Held (flock) while shards and the state are written.
LOCK_FILE = ".lock"


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
    encoding: str | None = None,
) -> dict[str, Any]:
    """Build one dataset row from a fetched page; a page with no text gets no nodes. Bytes are
    decoded by `extractor.page.dom.sniff_encoding` (what they declare, else what they are
    written in), losslessly; text comes with the `encoding` it was decoded from, if any."""
    nodes: list[Node] = []
    is_product = False
    lang = ""
    if isinstance(html, bytes):
        encoding, text = sniff_encoding(html, content_type)
    else:
        text = html
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
        "encoding": encoding or "",
        "nodes": nodes,
        "is_product": is_product,
        "lang": lang,
    }


def raw_html(row: dict[str, Any]) -> bytes:
    """The bytes a stored page was fetched as (after a byte-order mark): its text encoded back
    with the encoding it was read with; UTF-8 for a page that came as text."""
    return str(row["html"]).encode(row.get("encoding") or "utf-8")


class PageDatasetWriter:
    """Append-only writer of a page dataset directory that `datasets.load_from_disk` reads.

    Every row goes to the writer's own line-buffered journal first, so a killed process loses
    only pages that were still being fetched; every `shard_size` rows become one Arrow shard, and
    `state.json` is replaced atomically to list it. Reopening a directory recovers the journals
    of writers that died and skips URLs that are already stored, so a resumed crawl stores each
    page once.

    Several writers may write one directory at once (two crawls into one store, a crawl and an
    import): each keeps its own journal, locked while it lives, and shards are written and listed
    under a lock on the directory, after reading the shards the others listed meanwhile, so no
    writer overwrites or unlists another's pages and a URL is stored once.

    A page stored as fetched statically (`rendered` false) is replaced by a rendered row of the
    same URL: a crawl whose browser failed stores JavaScript shells unrendered, and the next crawl
    that renders them must not drop the rendered pages as "already stored".

    A `worker` name (a crawler process of a shared frontier) goes into the names of the shards
    this writer writes (`data-<worker>-00000.arrow`); `on_shard` is called with the URLs of the
    buffered rows each time they are in a listed shard (written here, or by another writer).
    """

    def __init__(
        self,
        directory: str | Path,
        shard_size: int = 64,
        *,
        worker: str | None = None,
        on_shard: Callable[[list[str]], None] | None = None,
    ) -> None:
        if shard_size < 1:
            raise ValueError(f"shard size must be >= 1, got {shard_size}")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.shard_size = shard_size
        self.worker = worker
        self.on_shard = on_shard
        #: URLs stored in listed shards or buffered here
        self.urls: set[str] = set()
        #: URLs stored unrendered -> the shard that holds them (None: still in the buffer)
        self._unrendered: dict[str, str | None] = {}
        #: listed shards whose URLs are in `urls`
        self._known: set[str] = set()
        #: rows not yet in a shard (also in the journal), by URL
        self._buffer: dict[str, dict[str, Any]] = {}
        #: URL -> shard whose unrendered row a buffered rendered row replaces
        self._replacing: dict[str, str] = {}
        self._journal_path = self.directory / f"journal-{os.getpid()}-{secrets.token_hex(4)}.jsonl"
        with self._locked():
            shards = _read_shard_names(self.directory)
            self._remove_orphan_shards(shards)
            upgraded = _upgrade_shards(self.directory, shards)
            self._read_shards(shards)
            self._recover_journals(shards)
            if upgraded or not (self.directory / STATE_FILE).exists():
                self._write_state(shards)
            # Created and locked under the directory lock: no other writer can take it for a
            # dead writer's journal.
            self._journal = open(self._journal_path, "a", encoding="utf-8")  # noqa: SIM115
            fcntl.flock(self._journal.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def __enter__(self) -> PageDatasetWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self.urls)

    def wants(self, url: str, rendered: bool = False) -> bool:
        """Whether a page would be stored: its URL is new, or it is rendered and the stored one
        is not."""
        return url not in self.urls or (rendered and url in self._unrendered)

    def add(self, row: dict[str, Any]) -> bool:
        """Store a row; returns False (and stores nothing) when its URL is already stored (and
        the row does not replace an unrendered one with a rendered one)."""
        if not self._accept(row):
            return False
        self._journal.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._journal.flush()
        if len(self._buffer) >= self.shard_size:
            self.flush()
        return True

    def flush(self) -> None:
        """Turn buffered rows into a shard and empty the journal."""
        if not self._buffer:
            return
        urls = list(self._buffer)
        with self._locked():
            self._flush_locked(_read_shard_names(self.directory))
        self._journal.truncate(0)
        self._journal.seek(0)
        if self.on_shard is not None:
            self.on_shard(urls)

    def close(self) -> None:
        """Flush and close; the directory is a complete dataset afterwards."""
        if self._journal.closed:
            return
        self.flush()
        self._journal.close()  # releases its lock
        self._journal_path.unlink(missing_ok=True)

    # --- rows ----------------------------------------------------------------------------------

    def _accept(self, row: dict[str, Any]) -> bool:
        """Buffer a row that is new, or that replaces an unrendered row by a rendered one."""
        url, rendered = row["url"], bool(row["rendered"])
        if not self.wants(url, rendered):
            return False
        if url in self.urls:
            shard = self._unrendered.pop(url)
            if shard is not None:
                self._replacing[url] = shard
            logger.info("%s: the rendered page replaces the one stored unrendered", url)
        self.urls.add(url)
        if not rendered:
            self._unrendered[url] = None
        self._buffer[url] = row
        return True

    def _read_shards(self, shards: list[str]) -> None:
        """Take note of the URLs of listed shards not read yet (other writers' new shards); a
        buffered row that another writer stored first is dropped, unless it replaces theirs."""
        for name in shards:
            if name in self._known:
                continue
            self._known.add(name)
            for url, rendered in _shard_pages(self.directory / name):
                mine = self._buffer.get(url)
                if mine is not None and url not in self._replacing:
                    if mine["rendered"] and not rendered:
                        self._replacing[url] = name
                        continue
                    logger.debug("%s: stored meanwhile by another writer", url)
                    del self._buffer[url]
                    self._unrendered.pop(url, None)
                elif rendered and url in self._replacing:  # another writer replaced it first
                    del self._buffer[url], self._replacing[url]
                self.urls.add(url)
                if rendered:
                    self._unrendered.pop(url, None)
                elif url not in self._buffer:
                    self._unrendered.setdefault(url, name)

    def _recover_journals(self, shards: list[str]) -> None:
        """Store the journalled rows of writers that died (their journals are not locked)."""
        recovered: list[Path] = []
        for path in sorted(self.directory.glob(JOURNAL_GLOB)):
            with open(path, "a+", encoding="utf-8") as handle:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live writer's journal
                handle.seek(0)
                for line in handle:
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        logger.warning("dropping a torn journal line (a page in flight at a kill)")
                        continue
                    self._accept(row)
            recovered.append(path)
        if self._buffer:
            logger.info("recovered %d journalled pages in %s", len(self._buffer), self.directory)
            self._flush_locked(shards)
        for path in recovered:
            path.unlink(missing_ok=True)

    # --- shards (under the directory lock) -----------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the directory's lock (briefly: while shards and the state are written)."""
        with open(self.directory / LOCK_FILE, "a", encoding="utf-8") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _flush_locked(self, shards: list[str]) -> None:
        """Write the buffer as a new shard, remove the rows it replaces, list the shards."""
        self._read_shards(shards)
        shards = list(shards)
        if self._buffer:
            name = _free_shard_name(shards, self.worker)
            _write_table(self.directory / name, list(self._buffer.values()))
            shards.append(name)
            self._known.add(name)
            for url, row in self._buffer.items():
                if not row["rendered"]:
                    self._unrendered[url] = name
        by_shard: dict[str, set[str]] = {}
        for url, shard in self._replacing.items():
            by_shard.setdefault(shard, set()).add(url)
        for shard, urls in by_shard.items():
            if shard in shards and not _drop_rows(self.directory / shard, urls):
                shards.remove(shard)
                (self.directory / shard).unlink(missing_ok=True)
        self._write_state(shards)
        self._buffer = {}
        self._replacing = {}

    def _write_state(self, shards: list[str]) -> None:
        digest = hashlib.sha1()
        for name in shards:
            digest.update(f"{name}:{(self.directory / name).stat().st_size};".encode())
        state: dict[str, Any] = {
            "_data_files": [{"filename": name} for name in shards],
            "_fingerprint": f"shopwright-{digest.hexdigest()[:16]}",
            "_format_columns": None,
            "_format_kwargs": {},
            "_format_type": None,
            "_output_all_columns": False,
            "_split": None,
        }
        info = {"description": "shopwright page dataset", "features": FEATURES.to_dict()}
        write_text_atomic(self.directory / INFO_FILE, json.dumps(info, indent=2))
        write_text_atomic(self.directory / STATE_FILE, json.dumps(state, indent=2))

    def _remove_orphan_shards(self, shards: list[str]) -> None:
        for path in self.directory.glob("data-*.arrow*"):
            if path.name not in shards:
                logger.warning("removing %s: written but never listed (killed mid-write)", path)
                path.unlink()


def _read_shard_names(directory: Path) -> list[str]:
    state = directory / STATE_FILE
    if not state.exists():
        return []
    return [entry["filename"] for entry in json.loads(state.read_text())["_data_files"]]


def _upgrade_shards(directory: Path, shards: list[str]) -> bool:
    """Give shards written before a column was added to FEATURES that column, empty, so that
    old and new shards load as one dataset; whether any shard changed."""
    schema = FEATURES.arrow_schema
    changed = False
    for name in shards:
        path = directory / name
        with pa.memory_map(str(path)) as source:
            names = pa.ipc.open_stream(source).schema.names
        if names == schema.names:
            continue
        table = _read_table(path)
        columns = [
            table.column(field.name)
            if field.name in names
            else pa.nulls(table.num_rows, type=field.type)
            for field in schema
        ]
        _write_table(path, pa.Table.from_arrays(columns, schema=schema))
        logger.info("%s: shard %s given the columns it lacked", directory, name)
        changed = True
    return changed


def _read_table(path: Path) -> pa.Table:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_stream(source).read_all()


def _shard_pages(path: Path) -> list[tuple[str, bool]]:
    """(url, rendered) of every row of a shard."""
    table = _read_table(path).select(["url", "rendered"])
    urls, rendered = table.column("url").to_pylist(), table.column("rendered").to_pylist()
    return list(zip(urls, rendered, strict=True))


def _write_table(path: Path, rows: list[dict[str, Any]] | pa.Table) -> None:
    """Write rows (or a table) as an Arrow stream shard: a temporary file, then a rename."""
    table = (
        rows
        if isinstance(rows, pa.Table)
        else pa.Table.from_pylist(
            [FEATURES.encode_example(row) for row in rows], schema=FEATURES.arrow_schema
        )
    )
    tmp = path.with_name(path.name + ".tmp")
    with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    os.replace(tmp, path)


def _drop_rows(path: Path, urls: set[str]) -> int:
    """Rewrite a shard without the rows of `urls`; the rows it keeps (0: remove the shard)."""
    table = _read_table(path)
    keep = [url not in urls for url in table.column("url").to_pylist()]
    kept = table.filter(pa.array(keep, type=pa.bool_()))
    if kept.num_rows:
        _write_table(path, kept)
    return kept.num_rows


def _free_shard_name(shards: list[str], worker: str | None = None) -> str:
    prefix = f"data-{worker}-" if worker else "data-"
    index = sum(name.startswith(prefix) for name in shards) if worker else len(shards)
    while f"{prefix}{index:05d}.arrow" in shards:
        index += 1
    return f"{prefix}{index:05d}.arrow"


def load_pages(
    directory: str | Path, storage_options: dict[str, Any] | None = None
) -> datasets.Dataset:
    """Load a page dataset (a path, or an fsspec URL such as `s3://bucket/data/shop/pages` with
    the file system's `storage_options`), with a clear error when the directory is not one."""
    if isinstance(directory, str) and "://" in directory:
        import fsspec

        fs, root = fsspec.core.url_to_fs(directory, **(storage_options or {}))
        if not fs.exists(f"{root.rstrip('/')}/{STATE_FILE}"):
            raise FileNotFoundError(
                f"{directory} is not a page dataset (no {STATE_FILE}); crawl or import pages first"
            )
        return datasets.load_from_disk(directory, storage_options=storage_options)
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
