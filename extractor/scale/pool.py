"""`shopwright extract --workers N`: a store's chunks on N processes of this machine."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from extractor.scale.chunks import ExtractJob, extract_chunk, warm_up


def extract_in_processes(
    job: ExtractJob,
    chunks: list[list[int]],
    workers: int,
    done: Callable[[int], None] = lambda pages: None,
) -> list[dict[str, Any]]:
    """The records of every chunk, in chunk order, from `workers` fresh processes (spawned, so
    none inherits torch's threads); `done(pages)` after each chunk."""
    records: list[dict[str, Any]] = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=warm_up, initargs=(job,)
    ) as pool:
        found_chunks = pool.map(extract_chunk, [job] * len(chunks), chunks)
        for chunk, found in zip(chunks, found_chunks, strict=True):
            records += found
            done(len(chunk))
    return records
