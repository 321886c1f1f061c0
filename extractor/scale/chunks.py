"""One store's extraction as independent chunks of pages: what a chunk is, and one chunk's records.

One process hands the model 32 pages at a time (template pruning and the store's title segments
look across them); a worker of a pool or a cluster gets the same chunks and returns their
records, which, put back in chunk order, are the records one process writes. Each worker process
loads the page dataset and the model once (`_loaded`), on its first chunk.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datasets

    from extractor.extract import Extractor

#: Pages handed to the model at once (template pruning looks across them).
CHUNK = 32


@dataclass(frozen=True)
class ExtractJob:
    """What every worker needs to extract chunks of one store (it travels to other machines)."""

    #: the page dataset: a local path or any fsspec URL the workers can read
    pages: str
    #: the model directory (None: the shipped model, as each worker's installation has it)
    model: str | None
    device: str = "cpu"
    precision: str = "auto"
    page_tokens: int | None = None
    #: torch threads per worker process (0: leave torch's default)
    threads: int = 0
    #: options of the fsspec file system `pages` is on (credentials, endpoints)
    storage_options: tuple[tuple[str, Any], ...] = ()


def product_rows(pages: datasets.Dataset, all_pages: bool) -> list[int]:
    """The rows to extract: product pages, or every page."""
    if all_pages:
        return list(range(len(pages)))
    # no `filter`: it would write cache files into the dataset folder
    return [i for i, product in enumerate(pages["is_product"]) if product]


def chunked(rows: Sequence[int], size: int = CHUNK) -> list[list[int]]:
    """The rows in the chunks one process extracts them in."""
    return [list(rows[start : start + size]) for start in range(0, len(rows), size)]


def extract_rows(extractor: Extractor, pages: datasets.Dataset, rows: Sequence[int]) -> list[dict]:
    """The records of one chunk of rows."""
    return extractor.extract([pages[i] for i in rows])


def extract_chunk(job: ExtractJob, rows: list[int]) -> list[dict[str, Any]]:
    """The records of one chunk, in a worker (the dataset and model loaded once per process)."""
    pages, extractor = _loaded(job)
    return extract_rows(extractor, pages, rows)


def warm_up(job: ExtractJob) -> None:
    """Load the dataset and the model now (a pool's initializer)."""
    _loaded(job)


@functools.cache
def _loaded(job: ExtractJob) -> tuple[datasets.Dataset, Extractor]:
    from extractor.data.pages import load_pages
    from extractor.extract import Extractor

    if job.threads:
        import torch

        torch.set_num_threads(job.threads)
    pages = load_pages(job.pages, storage_options=dict(job.storage_options) or None)
    extractor = Extractor.load(
        job.model, device=job.device, precision=job.precision, page_tokens=job.page_tokens
    )
    return pages, extractor
