"""Crawl speed: pages/s and peak memory of `scrapy crawl store` on a static and a JS fixture store.

    python benchmarks/crawl_speed.py [--products 30] [--seed 0]

Starts the fixture server in this process, crawls each store in a `python -m scrapy crawl store`
subprocess, and prints a table: pages stored, rendered pages, crawl seconds (spider open to close,
from the crawl's stats) and wall seconds (process start to exit, imports included), pages/s over
both, and the peak memory of the crawl's whole process tree (Scrapy, the Playwright driver,
Chromium) as proportional set size (PSS: shared pages counted once), sampled from /proc every
50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fixtures.generator import DEFAULT_SEED, generate_store  # noqa: E402
from fixtures.server import start_server, stop_server  # noqa: E402

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Result:
    """One benchmarked crawl."""

    store: str
    kind: str
    pages: int
    rendered: int
    crawl_s: float
    wall_s: float
    peak_mb: float


def process_memory(pid: int) -> int:
    """A process's proportional set size (shared pages split among their users), else its RSS.

    Chromium's processes share most of their pages: summing RSS would count them many times.
    """
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    except OSError:
        return 0


def tree_memory(root: int) -> int:
    """Memory of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += process_memory(pid)
        stack.extend(children.get(pid, []))
    return total


def crawl(start_url: str, slug: str, kind: str, out: Path) -> Result:
    """Crawl one store to completion while sampling the memory of its process tree."""
    stats_file = out / f"{slug}.stats.json"
    command = [sys.executable, "-m", "scrapy", "crawl", "store", "-a", f"start_url={start_url}"]
    command += ["-a", f"store={slug}", "-s", f"SHOPWRIGHT_DATA_DIR={out}"]
    command += ["-s", f"SHOPWRIGHT_STATS_FILE={stats_file}", "-s", "LOG_LEVEL=WARNING"]
    command += ["-s", f"LOG_FILE={out / (slug + '.log')}"]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_memory(process.pid))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    wall = time.monotonic() - started
    stop.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"crawl of {slug} failed ({code}); see {out / (slug + '.log')}")
    stats = json.loads(stats_file.read_text())
    return Result(
        store=slug,
        kind=kind,
        pages=stats.get("shopwright/pages_stored", 0),
        rendered=stats.get("shopwright/pages_stored/rendered", 0),
        crawl_s=float(stats["elapsed_time_seconds"]),
        wall_s=wall,
        peak_mb=peak / 2**20,
    )


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=30, help="products per store")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="fixture generator seed")
    args = parser.parse_args()
    stores = [
        ("static", generate_store(args.seed, 0, args.products, js=False, faults=False)),
        ("js", generate_store(args.seed, 1, args.products, js=True, faults=False)),
    ]
    server, base = start_server([store for _, store in stores])
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="crawl-speed-") as tmp:
            for kind, store in stores:
                start_url = base.rstrip("/") + store.start_url
                results.append(crawl(start_url, store.slug, kind, Path(tmp)))
    finally:
        stop_server(server)
    print(f"crawl speed ({os.cpu_count()} CPUs, {args.products} products per store)")
    header = (
        f"{'store':<22} {'kind':<6} {'pages':>5} {'render':>6} {'crawl s':>8} "
        f"{'pages/s':>8} {'wall s':>7} {'pages/s':>8} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.store:<22} {r.kind:<6} {r.pages:>5} {r.rendered:>6} {r.crawl_s:>8.1f} "
            f"{r.pages / r.crawl_s:>8.1f} {r.wall_s:>7.1f} {r.pages / r.wall_s:>8.1f} "
            f"{r.peak_mb:>8.0f}"
        )


if __name__ == "__main__":
    main()
