"""One store's folder, `<data dir>/<store>/`: its page dataset, annotations and adapted model.

    data/<store>/pages/             page dataset (crawl, `shopwright import-pages`)
    data/<store>/annotations.jsonl  annotated pages (`shopwright annotate`)
    data/<store>/model              the store's adapted model (`shopwright adapt`): a symbolic
                                    link to a folder of data/<store>/.models/, replaced in one
                                    rename, so that a reader finds the old model or the new one

A store's name is a folder name: letters, digits, `.`, `-` and `_`, never a path. Importable
without `datasets` or torch: the loaders are imported where they are used.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: What a store name may be: a folder name that cannot leave the data directory.
STORE_NAME = re.compile(r"\w[\w.-]*")
#: Files a model folder must have (`extractor.neural.checkpoint`).
MODEL_FILES = ("config.json", "model.safetensors")
#: Where the versions of a store's adapted model live; `model` links to one of them.
MODEL_VERSIONS = ".models"
#: Model versions kept: the current one and the one before it (a reader may still load it).
KEPT_VERSIONS = 2


class StoreError(ValueError):
    """A store name that is not a folder name, or a store model that is incomplete."""


def check_store_name(name: str) -> str:
    """The name, or StoreError when it is not a plain folder name (`../x`, `a/b`, empty)."""
    if not isinstance(name, str) or not STORE_NAME.fullmatch(name) or len(name) > 200:
        raise StoreError(
            f"invalid store name {name!r}: a store name is a folder name of letters, digits, "
            "'.', '-' and '_' that starts with a letter or digit"
        )
    return name


@dataclass(frozen=True)
class StoreDir:
    """The paths of one store's folder under a data directory, and the checks made on them."""

    data_dir: Path
    name: str

    def __post_init__(self) -> None:
        check_store_name(self.name)

    @property
    def path(self) -> Path:
        """`<data dir>/<store>`."""
        return Path(self.data_dir) / self.name

    @property
    def pages_dir(self) -> Path:
        """The page dataset's folder."""
        return self.path / "pages"

    @property
    def annotations_file(self) -> Path:
        """The store's annotations (JSON Lines)."""
        from extractor.data.annotations import ANNOTATIONS_FILE

        return self.path / ANNOTATIONS_FILE

    @property
    def model_dir(self) -> Path:
        """Where `shopwright adapt` writes the store's model."""
        return self.path / "model"

    @classmethod
    def all(cls, data_dir: Path) -> Iterator[StoreDir]:
        """Every store folder of a data directory that holds a page dataset, by name (folders of
        other kinds, such as a labels.jsonl folder with its pages/ of HTML files, are left out)."""
        for path in sorted(Path(data_dir).iterdir()):
            store = cls(Path(data_dir), path.name)
            if store.has_page_dataset():
                yield store

    def has_pages(self) -> bool:
        """Whether the store has a page dataset folder."""
        return self.pages_dir.is_dir()

    def has_page_dataset(self) -> bool:
        """Whether pages/ is a page dataset (it has the shard list a crawl or import writes)."""
        from extractor.data.pages import STATE_FILE

        return (self.pages_dir / STATE_FILE).is_file()

    def require_pages(self) -> StoreDir:
        """This store, or a clear error when it has no page dataset."""
        if not self.has_pages():
            raise FileNotFoundError(
                f"no page dataset for store {self.name!r} at {self.pages_dir}: crawl it "
                f"(`shopwright crawl URL --store {self.name}`) or `shopwright import-pages` first"
            )
        return self

    def has_no_pages_yet(self) -> bool:
        """Whether the page dataset exists but no page has reached a shard yet."""
        from extractor.data.pages import STATE_FILE

        state = self.pages_dir / STATE_FILE
        return state.is_file() and not json.loads(state.read_text(encoding="utf-8")).get(
            "_data_files"
        )

    def load_pages(self) -> Any:
        """The store's page dataset (a `datasets.Dataset`), with clear errors when it is missing
        or holds no pages."""
        from extractor.data.pages import load_pages

        self.require_pages()
        if self.has_no_pages_yet():
            raise ValueError(f"store {self.name!r} has no pages yet ({self.pages_dir} is empty)")
        return load_pages(self.pages_dir)

    def adapted_model(self) -> Path | None:
        """The store's adapted model folder (the version `model` links to, resolved once, so
        that a load reads one version), or None when `shopwright adapt` wrote none; StoreError
        when there is one but it is incomplete: extraction must not fall back to the shipped
        model in silence."""
        path = self.model_dir
        if not path.exists():
            if path.is_symlink():
                raise StoreError(
                    f"the store's model {path} links to a folder that is gone: adapt again "
                    f"(`shopwright adapt {self.name}`), or remove {path} to use the shipped model"
                )
            return None
        missing = [name for name in MODEL_FILES if not (path / name).is_file()]
        if missing:
            raise StoreError(
                f"the store's model {path} is incomplete ({', '.join(missing)} missing): adapt "
                f"again (`shopwright adapt {self.name}`), or remove {path} to use the shipped "
                "model"
            )
        return path.resolve()

    def new_model_folder(self) -> Path:
        """An empty folder to write a new version of the store's model to (`install_model`)."""
        versions = self.path / MODEL_VERSIONS
        versions.mkdir(parents=True, exist_ok=True)
        path = versions / f"model-{_timestamp()}-{secrets.token_hex(3)}"
        path.mkdir()
        return path

    def install_model(self, folder: Path) -> Path:
        """Make a complete model folder from `new_model_folder` the store's model: `model`
        becomes a link to it in one rename (a model folder of earlier versions is exchanged
        for the link atomically where the system can, and kept among the versions); versions
        older than the previous one are removed."""
        missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
        if missing:
            raise StoreError(f"{folder} is not a complete model ({', '.join(missing)} missing)")
        target = self.model_dir
        link = self.path / f".model.link.{secrets.token_hex(4)}"
        os.symlink(os.path.relpath(folder, self.path), link)
        try:
            if target.is_dir() and not target.is_symlink():  # a model folder, not a link
                legacy = self.path / MODEL_VERSIONS / f"model-0-{secrets.token_hex(3)}"
                if _exchange(link, target):
                    os.rename(link, legacy)  # `link` is now the old folder
                else:
                    os.rename(target, legacy)
                    os.replace(link, target)
            else:
                os.replace(link, target)
        finally:
            if link.is_symlink():
                link.unlink()
        self._remove_old_versions(folder)
        return target

    def _remove_old_versions(self, current: Path) -> None:
        versions = sorted(
            (p for p in (self.path / MODEL_VERSIONS).iterdir() if p.is_dir()),
            key=lambda p: p.stat().st_mtime_ns,
        )
        old = [p for p in versions if p.resolve() != current.resolve()]
        for path in old[: max(0, len(old) - (KEPT_VERSIONS - 1))]:
            shutil.rmtree(path, ignore_errors=True)

    def model(self, override: Path | None = None) -> Path | None:
        """The model to use: `override` (--model), else the store's adapted model, else None
        (the shipped one)."""
        return override if override is not None else self.adapted_model()

    def model_attributes(self) -> list[str]:
        """The attributes of the store's adapted model (read from its config.json, no torch)."""
        model = self.adapted_model()
        if model is None:
            return []
        config = json.loads((model / "config.json").read_text(encoding="utf-8"))
        return [str(a) for a in config.get("attributes", [])]

    def annotated_pages(self) -> int:
        """How many pages the store's annotations file lists (0 without one)."""
        if not self.annotations_file.is_file():
            return 0
        with self.annotations_file.open(encoding="utf-8") as lines:
            return sum(1 for line in lines if line.strip())


def _timestamp() -> str:
    import time

    return f"{time.time_ns():020d}"


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system
    cannot."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    if done != 0:
        logger.debug("renameat2 failed: %s", os.strerror(ctypes.get_errno()))
    return done == 0
