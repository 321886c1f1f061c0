"""shopwright's own crawl signals, between the page dataset pipeline and the shared frontier."""

from __future__ import annotations

#: Pages that are now in a listed shard of their store's page dataset, or were there already
#: (arguments: `urls`, a list). The shared frontier releases the requests that fetched them.
pages_stored = object()

#: Asks the page dataset pipeline to write the pages it buffers as a shard now (no arguments):
#: sent by the shared frontier when the worker is idle, before it releases its requests.
flush_pages = object()
