"""One store's folder, `<data dir>/<store>/`: its page dataset, annotations and adapted model.

    data/<store>/pages/             page dataset (crawl, `shopwright import-pages`)
    data/<store>/annotations.jsonl  annotated pages (`shopwright annotate`)
    data/<store>/model/             the store's adapted model (`shopwright adapt`)

Importable without `datasets` or torch: the loaders are imported where they are used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class StoreDir:
    """The paths of one store's folder under a data directory, and the checks made on them."""

    data_dir: Path
    name: str

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
        """The store's adapted model folder, if `shopwright adapt` wrote one."""
        return self.model_dir if (self.model_dir / "config.json").is_file() else None

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
