"""Extraction spread over processes and machines, writing the same catalog as one process.

`chunks` cuts a store's pages into the chunks one process reads them in (template pruning looks
across a chunk, so the chunk, not the shard, is the unit of work) and extracts one chunk with the
model each process loads once; `pool` runs chunks on a process pool (`shopwright extract
--workers N`), `cluster` on a Dask cluster (`--cluster tcp://host:8786`, or `local`).
"""
