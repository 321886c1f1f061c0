"""`shopwright extract --cluster ADDRESS`: a store's chunks on the workers of a Dask cluster.

Dask rather than Ray: Dask's workers are plain Python processes that read the page dataset's
Arrow shards through fsspec, as `datasets` does, so a shared mount or a bucket is all the
cluster needs; it starts with `dask scheduler` and `dask worker ADDRESS` (no object store or
raylet beside them), and `distributed.LocalCluster` is the same engine on one machine, which is
what the tests run. Each worker process loads the model once (`extractor.scale.chunks`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from extractor.scale.chunks import ExtractJob, extract_chunk

#: `--cluster local`: a Dask cluster of worker processes on this machine.
LOCAL = "local"


def extract_on_dask(
    job: ExtractJob,
    chunks: list[list[int]],
    address: str,
    workers: int = 1,
    done: Callable[[int], None] = lambda pages: None,
) -> list[dict[str, Any]]:
    """The records of every chunk, in chunk order, from the Dask scheduler at `address` (or a
    local cluster of `workers` processes, one thread each); `done(pages)` after each chunk."""
    from dask.distributed import Client, LocalCluster

    if address == LOCAL:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        cluster, client = None, Client(address)
    try:
        futures = client.map(extract_chunk, [job] * len(chunks), chunks, pure=False)
        records: list[dict[str, Any]] = []
        for chunk, future in zip(chunks, futures, strict=True):
            records += future.result()
            done(len(chunk))
        return records
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
