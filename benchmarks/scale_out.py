"""Scale-out: pages/s of 1, 2 and 3 crawler processes sharing a Redis frontier, and of extraction
on 1, 2 and 3 worker processes, with memory per worker.

    python benchmarks/scale_out.py [--products 1500] [--extract-pages 768] [--max-workers 3]

Crawl: a static fixture store (`--products` products plus their category and listing pages:
1500 give 2,004 pages) served by `python -m fixtures serve` in a process of its own, whose CPU
time is printed beside each row (the server is not the bottleneck while it stays well below the
crawl's wall time). Each row crawls the store afresh into a new data directory: `1 (no frontier)`
is `scrapy crawl` as before; the others start N `scrapy crawl` processes with one
`SHOPWRIGHT_FRONTIER` on a redis-server started here, with `SHOPWRIGHT_FRONTIER_RATE=0` (no
global rate cap: this measures the crawler, not politeness). pages/s = pages stored / wall
seconds from the first start to the last exit (process start-up included).

Extraction: `python -m extractor.cli extract` of the first `--extract-pages` product pages of
the crawled store (a store of their own) with the shipped model, as one process with torch on
all cores (as before), as one process on one thread, and with `--workers N` (N processes of one
thread each; `--cluster local` for Dask's local cluster too). The catalogs are compared with the
one-process catalog. Memory: the peak proportional set size (PSS) of each process, largest
worker shown; the whole tree's peak beside it.
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
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from crawl_speed import process_memory  # noqa: E402 - benchmarks/ on the path
from redis_server import running_redis  # noqa: E402 - tests/ on the path

from extractor.data.pages import PageDatasetWriter, load_pages  # noqa: E402


@dataclass
class Run:
    """One measured row."""

    label: str
    workers: int
    pages: int
    wall_s: float
    worker_mb: float
    total_mb: float
    server_cpu_s: float = 0.0
    note: str = ""


class Sampler:
    """Peak PSS per process of the process trees under some roots, sampled every 100 ms."""

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots
        self.peak: dict[int, int] = {}
        self.total = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop.is_set():
            pids = descendants(self.roots)
            sizes = {pid: process_memory(pid) for pid in pids}
            for pid, size in sizes.items():
                self.peak[pid] = max(self.peak.get(pid, 0), size)
            self.total = max(self.total, sum(sizes.values()))
            self.stop.wait(0.1)

    def finish(self) -> tuple[float, float]:
        """(largest process's peak MB, whole trees' peak MB)."""
        self.stop.set()
        self.thread.join()
        return max(self.peak.values(), default=0) / 2**20, self.total / 2**20


def descendants(roots: list[int]) -> list[int]:
    """The roots and every process below them (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, stack = [], list(roots)
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def crawl(
    start_url: str, store: str, workers: int, out: Path, frontier: str | None, server: int
) -> Run:
    """Crawl the store with `workers` processes (sharing `frontier`, if any) into `out`."""
    argv = [sys.executable, "-m", "scrapy", "crawl", "store", "-a", f"start_url={start_url}"]
    argv += ["-a", f"store={store}", "-a", "js=never", "-s", f"SHOPWRIGHT_DATA_DIR={out}"]
    argv += ["-s", "LOG_LEVEL=WARNING"]
    if frontier:
        argv += ["-s", f"SHOPWRIGHT_FRONTIER={frontier}", "-s", "SHOPWRIGHT_FRONTIER_RATE=0"]
    out.mkdir(parents=True, exist_ok=True)
    server_cpu = cpu_seconds(server)
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [*argv, "-s", f"SHOPWRIGHT_WORKER=w{n}", "-s", f"LOG_FILE={out / f'w{n}.log'}"],
            cwd=REPO,
        )
        for n in range(workers)
    ]
    sampler = Sampler([p.pid for p in processes])
    codes = [p.wait() for p in processes]
    wall = time.monotonic() - started
    worker_mb, total_mb = sampler.finish()
    if any(codes):
        raise SystemExit(f"a crawl failed ({codes}); see {out}/w*.log")
    urls = list(load_pages(out / store / "pages")["url"])
    if len(urls) != len(set(urls)):
        raise SystemExit(f"{len(urls) - len(set(urls))} pages stored twice")
    label = f"{workers} (frontier)" if frontier else "1 (no frontier)"
    return Run(
        label, workers, len(urls), wall, worker_mb, total_mb, cpu_seconds(server) - server_cpu
    )


def extract(data: Path, store: str, label: str, workers: int, out: Path, *extra: str) -> Run:
    """`shopwright extract` of the store, measured."""
    argv = [sys.executable, "-m", "extractor.cli", "extract", store, "--data-dir", str(data)]
    argv += ["-o", str(out), "--no-progress", *extra]
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL)
    sampler = Sampler([process.pid])
    code = process.wait()
    wall = time.monotonic() - started
    worker_mb, total_mb = sampler.finish()
    if code:
        raise SystemExit(f"extraction failed ({code}): {' '.join(argv)}")
    pages = len(out.read_text().splitlines())
    return Run(label, workers, pages, wall, worker_mb, total_mb)


def extraction_store(crawled: Path, data: Path, store: str, pages: int) -> None:
    """The first `pages` product pages of the crawled store, as a store of their own."""
    rows = load_pages(crawled)
    chosen = [i for i, product in enumerate(rows["is_product"]) if product][:pages]
    with PageDatasetWriter(data / store / "pages") as writer:
        for i in chosen:
            writer.add(rows[i])


def table(title: str, runs: list[Run], crawl_rows: bool) -> None:
    """Print one table and its scaling ratios."""
    print(title)
    server = f" {'server CPU s':>12}" if crawl_rows else ""
    header = (
        f"{'processes':<22} {'pages':>6} {'wall s':>7} {'pages/s':>8} {'x one':>6} "
        f"{'MB/worker':>9} {'MB all':>7}{server}"
    )
    print(header)
    print("-" * len(header))
    base = next(r for r in runs if r.workers == 1 and r.label.startswith("1"))
    for r in runs:
        rate = r.pages / r.wall_s
        server_cell = f" {r.server_cpu_s:>12.1f}" if crawl_rows else ""
        print(
            f"{r.label:<22} {r.pages:>6} {r.wall_s:>7.1f} {rate:>8.1f} "
            f"{rate / (base.pages / base.wall_s):>6.2f} {r.worker_mb:>9.0f} {r.total_mb:>7.0f}"
            f"{server_cell}{'  ' + r.note if r.note else ''}"
        )
    print()


def main() -> None:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1500, help="products of the store")
    parser.add_argument("--extract-pages", type=int, default=768, help="pages extracted")
    parser.add_argument("--max-workers", type=int, default=3, help="most processes per path")
    parser.add_argument("--seed", type=int, default=0, help="fixture generator seed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scale-out-") as name:
        tmp = Path(name)
        serve = [sys.executable, "-m", "fixtures", "serve", "--port", "0", "--stores", "1"]
        serve += ["--products", str(args.products), "--seed", str(args.seed)]
        server = subprocess.Popen(serve, cwd=REPO, stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            base = server.stdout.readline().split()[-1].rstrip("/")
            with urllib.request.urlopen(f"{base}/stores.json") as answer:
                stores = json.load(answer)
            slug, start = stores[0]["slug"], stores[0]["start_url"]
            crawls = [crawl(start, slug, 1, tmp / "c-plain", None, server.pid)]
            with running_redis(tmp) as frontier:
                for workers in range(1, args.max_workers + 1):
                    out = tmp / f"c{workers}"
                    crawls.append(crawl(start, slug, workers, out, frontier, server.pid))
        finally:
            server.terminate()
            server.wait()
        data = tmp / "x"
        extraction_store(tmp / "c1" / slug / "pages", data, "shop", args.extract_pages)
        runs = [
            extract(data, "shop", "1 (all cores)", 1, tmp / "one.jsonl"),
            extract(data, "shop", "1 (1 thread)", 1, tmp / "t1.jsonl", "--threads", "1"),
        ]
        for workers in range(2, args.max_workers + 1):
            out = tmp / f"w{workers}.jsonl"
            runs.append(
                extract(
                    data, "shop", f"--workers {workers}", workers, out, "--workers", str(workers)
                )
            )
        out = tmp / "dask.jsonl"
        runs.append(
            extract(
                data, "shop", "--cluster local (2)", 2, out, "--cluster", "local", "--workers", "2"
            )
        )
        one = (tmp / "one.jsonl").read_text()
        for run, path in zip(
            runs[1:],
            ["t1", *[f"w{n}" for n in range(2, args.max_workers + 1)], "dask"],
            strict=True,
        ):
            run.note = "same catalog" if (tmp / f"{path}.jsonl").read_text() == one else "DIFFERENT"
    print(f"scale-out benchmark ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    print()
    table(f"crawl: {crawls[0].pages} pages of one static fixture store", crawls, True)
    table(f"extraction: {args.extract_pages} product pages, shipped model", runs, False)
    rate = {r.label: r.pages / r.wall_s for r in crawls + runs}
    for n in range(2, args.max_workers + 1):
        crawl_ratio = rate[f"{n} (frontier)"] / rate["1 (frontier)"]
        extract_ratio = rate[f"--workers {n}"] / rate["1 (1 thread)"]
        print(
            f"{n} processes / 1, pages/s: crawl {crawl_ratio:.2f} (frontier), extraction "
            f"{extract_ratio:.2f} (against one process on one thread)"
        )


if __name__ == "__main__":
    main()
