"""Crawl speed: pages/s and peak memory of `scrapy crawl store` on a static and a JS fixture store.

    python benchmarks/crawl_speed.py [--products 30] [--seed 0] [--kinds static,js,extract]
                                     [--model DIR] [--page-tokens N] [--precision P]

Starts the fixture server in this process, crawls each store in a `python -m scrapy crawl store`
subprocess, and prints a table: pages stored, rendered pages, product records written, crawl
seconds (spider open to close, from the crawl's stats) and wall seconds (process start to exit,
imports and model loading included), pages/s over both, and the peak memory of the crawl's whole
process tree (Scrapy, the Playwright driver, Chromium) as proportional set size (PSS: shared pages
counted once), sampled from /proc every 50 ms.

The `static + extraction` row crawls the static store again with the extraction pipeline on
(`SHOPWRIGHT_MODEL`, records to `-O catalog.jsonl`) and the ratio of its pages/s to the plain
static crawl is printed (target: >= 0.5). Its model: `--model DIR`, else the shipped
`extractor/default_model` when it exists, else the packaged MiniLM encoder with an untrained head
saved to a temporary directory (same size and speed as a trained model, values meaningless).
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

from fixtures.generator import DEFAULT_SEED, generate_store
from fixtures.server import start_server, stop_server

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Result:
    """One benchmarked crawl."""

    store: str
    kind: str
    pages: int
    rendered: int
    records: int
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


def crawl(
    start_url: str, slug: str, kind: str, out: Path, model: Path | None = None, *extra: str
) -> Result:
    """Crawl one store to completion while sampling the memory of its process tree; with a
    model, extract product records to `out/catalog.jsonl` as the crawl goes."""
    out.mkdir(parents=True, exist_ok=True)
    stats_file = out / f"{slug}.stats.json"
    command = [sys.executable, "-m", "scrapy", "crawl", "store", "-a", f"start_url={start_url}"]
    command += ["-a", f"store={slug}", "-s", f"SHOPWRIGHT_DATA_DIR={out}"]
    command += ["-s", f"SHOPWRIGHT_STATS_FILE={stats_file}", "-s", "LOG_LEVEL=WARNING"]
    command += ["-s", f"LOG_FILE={out / (slug + '.log')}"]
    if model is not None:
        command += ["-s", f"SHOPWRIGHT_MODEL={model}", "-O", str(out / "catalog.jsonl"), *extra]
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
        records=stats.get("shopwright/records", 0),
        crawl_s=float(stats["elapsed_time_seconds"]),
        wall_s=wall,
        peak_mb=peak / 2**20,
    )


def extraction_model(given: Path | None, tmp: Path) -> tuple[Path, str]:
    """The model of the extraction row and how to describe it (module docstring)."""
    if given is not None:
        return given, f"model {given}"
    from extractor.extract import DEFAULT_MODEL_DIR

    if (DEFAULT_MODEL_DIR / "config.json").is_file():
        return DEFAULT_MODEL_DIR, f"shipped model {DEFAULT_MODEL_DIR.relative_to(REPO)}"
    from extractor.neural.config import PACKAGED_ENCODER, ExtractorConfig
    from extractor.neural.model import ExtractorModel

    directory = tmp / "untrained-model"
    ExtractorModel(ExtractorConfig(encoder=PACKAGED_ENCODER)).save_pretrained(directory)
    return directory, f"packaged {PACKAGED_ENCODER} with an untrained head (no shipped model)"


def main() -> None:
    """Run the benchmark and print its table."""
    from extractor.neural.precision import PRECISIONS, resolve_device, resolve_precision

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=30, help="products per store")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="fixture generator seed")
    parser.add_argument(
        "--kinds", default="static,js,extract", help="rows to run: static, js, extract"
    )
    parser.add_argument("--model", type=Path, help="model of the extraction row (module doc)")
    parser.add_argument(
        "--page-tokens", type=int, help="SHOPWRIGHT_PAGE_TOKENS of the extraction row"
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="SHOPWRIGHT_PRECISION of the extraction row (default: auto)",
    )
    args = parser.parse_args()
    kinds = {k.strip() for k in args.kinds.split(",") if k.strip()}
    if unknown := kinds - {"static", "js", "extract"}:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    static = generate_store(args.seed, 0, args.products, js=False, faults=False)
    js = generate_store(args.seed, 1, args.products, js=True, faults=False)
    server, base = start_server([static, js])
    results: list[Result] = []
    model: Path | None = None
    model_note = ""
    try:
        with tempfile.TemporaryDirectory(prefix="crawl-speed-") as name:
            tmp = Path(name)
            if "extract" in kinds:
                model, model_note = extraction_model(args.model, tmp)
            for kind, store in (("static", static), ("js", js), ("extract", static)):
                if kind not in kinds:
                    continue
                start_url = base.rstrip("/") + store.start_url
                out = tmp / kind  # a fresh page dataset per row: stored URLs are not crawled again
                with_model = model if kind == "extract" else None
                extra = ["-s", f"SHOPWRIGHT_PRECISION={args.precision}"]
                if args.page_tokens is not None:
                    extra += ["-s", f"SHOPWRIGHT_PAGE_TOKENS={args.page_tokens}"]
                results.append(crawl(start_url, store.slug, kind, out, with_model, *extra))
    finally:
        stop_server(server)
    print(f"crawl speed ({os.cpu_count()} CPUs, {args.products} products per store)")
    header = (
        f"{'store':<22} {'kind':<19} {'pages':>5} {'render':>6} {'records':>7} {'crawl s':>8} "
        f"{'pages/s':>8} {'wall s':>7} {'pages/s':>8} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    labels = {"static": "static", "js": "js", "extract": "static + extraction"}
    for r in results:
        print(
            f"{r.store:<22} {labels[r.kind]:<19} {r.pages:>5} {r.rendered:>6} {r.records:>7} "
            f"{r.crawl_s:>8.1f} {r.pages / r.crawl_s:>8.1f} {r.wall_s:>7.1f} "
            f"{r.pages / r.wall_s:>8.1f} {r.peak_mb:>8.0f}"
        )
    by_kind = {r.kind: r for r in results}
    if "extract" in by_kind:
        budget = "the model's" if args.page_tokens is None else str(args.page_tokens)
        print(
            f"extraction model: {model_note}; page tokens: {budget}; precision: "
            f"{resolve_precision(args.precision, resolve_device())}"
        )
    if "static" in by_kind and "extract" in by_kind:
        alone, extracting = by_kind["static"], by_kind["extract"]
        crawl_ratio = (extracting.pages / extracting.crawl_s) / (alone.pages / alone.crawl_s)
        wall_ratio = (extracting.pages / extracting.wall_s) / (alone.pages / alone.wall_s)
        print(
            f"static + extraction / static alone, pages/s: {crawl_ratio:.2f} over crawl s, "
            f"{wall_ratio:.2f} over wall s (model loading included; target >= 0.5)"
        )


if __name__ == "__main__":
    main()
