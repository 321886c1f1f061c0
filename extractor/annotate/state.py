"""`data/<store>/annotations.jsonl` behind the annotator: one edit at a time, nothing lost.

Every edit takes a lock (a thread lock, and an `flock` on a file beside the annotations so that
two annotators on one store wait for each other), reads the file again when it changed on disk,
applies its operations to the latest annotation of its page and writes the whole file
atomically. Two tabs on one store therefore never lose each other's edits; each tab polls the
`version` (a hash of the file) to show the other's. A file that cannot be read (bad JSON, a bad
span) is reported with its line number and never overwritten.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from extractor.annotate.edits import PageTargets, apply_edits
from extractor.data.annotations import Annotation, read_annotations, write_annotations

try:
    import fcntl
except ImportError:  # Windows: one annotator process per store
    fcntl = None  # type: ignore[assignment]

#: The version of a store without annotations.
EMPTY_VERSION = "0"


class AnnotationStore:
    """The annotations of one store, read from and saved to its annotations.jsonl."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(f".{self.path.name}.lock")
        self._lock = threading.Lock()
        self._signature: tuple[int, int, int] | None = None
        self._pages: dict[str, Annotation] = {}
        self.version = EMPTY_VERSION
        with self._lock:
            self._reload()  # a file that cannot be read fails here, with its line number

    def snapshot(self) -> tuple[str, list[Annotation]]:
        """The version and every page's annotation, in file order (copies)."""
        with self._lock:
            self._reload()
            return self.version, copy.deepcopy(list(self._pages.values()))

    def page(self, url: str) -> tuple[str, Annotation | None]:
        """The version and one page's annotation (None when the page has none)."""
        with self._lock:
            self._reload()
            return self.version, copy.deepcopy(self._pages.get(url))

    def edit(
        self, page: PageTargets, ops: Sequence[Mapping[str, Any]], lists: set[str]
    ) -> tuple[str, Annotation | None]:
        """Apply an edit (`extractor.annotate.edits`) to the page's latest annotation and save;
        the new version and the page's annotation."""
        with self._locked():
            updated = apply_edits(self._pages.get(page.url), page, ops, lists)
            if updated is None:
                self._pages.pop(page.url, None)
            else:
                self._pages[page.url] = updated
            self._save()
            return self.version, copy.deepcopy(updated)

    def replace(self, annotations: Sequence[Annotation]) -> str:
        """Replace the annotations of the pages given (an import) and save; the new version."""
        with self._locked():
            for annotation in annotations:
                self._pages[str(annotation["url"])] = copy.deepcopy(annotation)
            self._save()
            return self.version

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.lock_path, "a", encoding="utf-8") as handle:
                if fcntl is not None:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                try:
                    self._reload()
                    yield
                finally:
                    if fcntl is not None:
                        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _reload(self) -> None:
        """Read the file again when it changed on disk (another annotator, an editor)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._signature, self._pages, self.version = None, {}, EMPTY_VERSION
            return
        signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if signature == self._signature:
            return
        data = self.path.read_bytes()
        pages = {a["url"]: a for a in read_annotations(self.path)} if data.strip() else {}
        self._pages, self._signature = pages, signature
        self.version = _version(data)

    def _save(self) -> None:
        write_annotations(self.path, list(self._pages.values()))
        stat = os.stat(self.path)
        self._signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        self.version = _version(self.path.read_bytes())


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16] if data.strip() else EMPTY_VERSION
