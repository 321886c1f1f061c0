"""Zero-shot extraction speed (pages/s) and peak memory with the real MiniLM model on realpages.

Run: `.venv/bin/python benchmarks/extract_speed.py [--realpages ../shared/realpages]`. Also prints
how many tokens node pruning and the per-node token cap remove; `--coverage` the share of matched
gold spans still encoded under the page budget; `--end-to-end` times `Extractor.extract` (HTML ->
records, structured-data fusion included) as `shopwright extract` runs it; with `--workers N`
also on N processes of one torch thread each, as `shopwright extract --workers N` runs it (the
stores shared out, the models loaded before the clock starts).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from extractor.extract import Extractor
from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import ExtractorConfig
from extractor.neural.decode import extract_pages
from extractor.neural.features import tokenize_nodes
from extractor.neural.model import ExtractorModel
from extractor.neural.precision import PRECISIONS, resolve_precision, with_precision
from extractor.page.dom import text_nodes
from extractor.page.template import prune_template_nodes


def print_coverage(
    root: Path, entries: list[dict], tokenizer: object, config: ExtractorConfig
) -> None:
    """Per attribute, the share of gold spans (from the matcher) whose node is still encoded."""
    from extractor.neural.features import encode_page
    from extractor.values.matching import match_values

    stores: dict[str, list[dict]] = {}
    for entry in entries:
        stores.setdefault(entry["site"], []).append(entry)
    total: dict[str, list[int]] = {}
    for group in stores.values():
        node_lists = [text_nodes((root / e["file"]).read_bytes()) for e in group]
        kept = prune_template_nodes(node_lists)
        for entry, nodes, pruned in zip(group, node_lists, kept, strict=True):
            spans = match_values(nodes, entry["labels"], entry.get("url")).spans
            windows = encode_page(
                pruned, tokenizer, config.features, page_tokens=config.page_tokens
            )
            encoded = {pruned[i]["xpath"] for w in windows for i in w.node_ids}
            pruned_xpaths = {n["xpath"] for n in pruned}
            for attribute, items in spans.items():
                if not items:
                    continue
                counts = total.setdefault(attribute, [0, 0, 0])
                counts[0] += 1
                counts[1] += any(s["xpath"] in pruned_xpaths for s in items)
                counts[2] += any(s["xpath"] in encoded for s in items)
    print("gold spans kept: attribute, matched pages, after pruning, after page budget")
    for attribute, (n, after_prune, after_budget) in sorted(total.items()):
        print(f"  {attribute:14s} {n:4d} {after_prune / n:6.1%} {after_budget / n:6.1%}")


_WORKER: dict[str, Extractor] = {}


def _load_worker(model: str, precision: str, batch_size: int) -> None:
    """A worker process's extractor, loaded once (the pool's initializer), on one torch thread."""
    torch.set_num_threads(1)
    _WORKER["extractor"] = Extractor.load(model, precision=precision, batch_size=batch_size)


def _ready(seconds: float) -> int:
    """Hold a worker a moment (so that every worker starts and loads before the clock)."""
    time.sleep(seconds)
    return os.getpid()


def _extract_store(pages: list[tuple[str, bytes]]) -> int:
    """Records of one store's pages in a worker; the number of pages."""
    _WORKER["extractor"].extract(pages)
    return len(pages)


def _peak_mb(_: int) -> tuple[int, float]:
    """A worker's pid and peak memory (maxrss, MB)."""
    time.sleep(0.2)
    return os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_workers(
    model: str, precision: str, batch_size: int, stores: list[list[tuple[str, bytes]]], workers: int
) -> tuple[float, float]:
    """Seconds for `Extractor.extract` over every store on `workers` spawned processes, and the
    sum of their peak memory in MB (each worker's largest, as `shopwright extract --workers`)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_load_worker,
        initargs=(model, precision, batch_size),
    ) as pool:
        list(pool.map(_ready, [2.0] * workers))
        t0 = time.perf_counter()
        pages = sum(pool.map(_extract_store, stores))
        seconds = time.perf_counter() - t0
        peaks = dict(pool.map(_peak_mb, range(4 * workers)))
    assert pages == sum(map(len, stores))
    return seconds, sum(peaks.values())


def _cpu_seconds() -> float:
    """User + system CPU time of this process, all threads."""
    times = os.times()
    return times.user + times.system


def main() -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--realpages", type=Path, default=REPO.parent / "shared" / "realpages")
    parser.add_argument("--model", help="a saved model directory (default: untrained head)")
    parser.add_argument("--window", type=int, default=256)
    parser.add_argument("--max-node-tokens", type=int, default=48)
    parser.add_argument(
        "--page-tokens", type=int, default=None, help="tokens per page (0: all; default: config)"
    )
    parser.add_argument("--page-budget", choices=("priors", "title"), default=None)
    parser.add_argument("--budget-node-tokens", type=int, default=None)
    parser.add_argument("--attention", choices=("sdpa", "eager"), default="sdpa")
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="inference precision (default: auto = bf16 on a CPU with native bf16, else fp32)",
    )
    parser.add_argument(
        "--end-to-end", action="store_true", help="also time Extractor.extract from HTML"
    )
    parser.add_argument("--max-windows", type=int, default=None, help="windows kept per page")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--threads", type=int, default=2, help="torch threads (1 is faster on a busy machine)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="with --end-to-end and --model: also on this many processes, one thread each",
    )
    parser.add_argument(
        "--coverage", action="store_true", help="also: share of matched gold spans still encoded"
    )
    parser.add_argument("--limit", type=int, default=0, help="pages (0: all)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    entries = [json.loads(line) for line in (args.realpages / "labels.jsonl").open()]
    entries = entries[: args.limit] if args.limit else entries
    if args.model:
        model = ExtractorModel.from_pretrained(args.model)
        tokenizer = load_tokenizer(args.model)
    else:
        model = ExtractorModel(
            ExtractorConfig(window=args.window, max_node_tokens=args.max_node_tokens)
        ).eval()
        tokenizer = load_tokenizer(model.config.encoder)
    overrides = {
        "page_tokens": args.page_tokens,
        "page_budget": args.page_budget,
        "budget_node_tokens": args.budget_node_tokens,
    }
    for name, value in overrides.items():
        if value is not None:
            setattr(model.config, name, value)
    model.set_attention(args.attention)
    precision = resolve_precision(args.precision, model.device)
    model = with_precision(model, precision)
    stores: dict[str, list[dict]] = {}
    for entry in entries:
        stores.setdefault(entry["site"], []).append(entry)

    # Warm-up (first-call allocations) outside the timing.
    extract_pages(
        model, tokenizer, [text_nodes((args.realpages / entries[0]["file"]).read_bytes())]
    )
    parse_s = model_s = model_cpu = 0.0
    raw_tokens = kept_tokens = capped_tokens = 0
    nodes_before = nodes_after = 0
    pages = 0
    for group in stores.values():
        t0 = time.perf_counter()
        node_lists = [text_nodes((args.realpages / e["file"]).read_bytes()) for e in group]
        t1 = time.perf_counter()
        c1 = _cpu_seconds()
        extract_pages(
            model, tokenizer, node_lists, batch_size=args.batch_size, max_windows=args.max_windows
        )
        t2 = time.perf_counter()
        model_cpu += _cpu_seconds() - c1
        parse_s += t1 - t0
        model_s += t2 - t1
        pages += len(group)
        kept = prune_template_nodes(node_lists)
        for before, after in zip(node_lists, kept, strict=True):
            nodes_before += len(before)
            nodes_after += len(after)
            if before:
                ids = tokenize_nodes([n["text"] for n in before], tokenizer, 1 << 30)["input_ids"]
                raw_tokens += sum(map(len, ids))
            if after:
                ids = tokenize_nodes([n["text"] for n in after], tokenizer, 1 << 30)["input_ids"]
                kept_tokens += sum(map(len, ids))
                capped_tokens += sum(min(len(i), model.config.max_node_tokens) for i in ids)
    e2e_s = 0.0
    if args.end_to_end:
        extractor = Extractor(model, tokenizer, batch_size=args.batch_size)
        for group in stores.values():
            t0 = time.perf_counter()
            extractor.extract(
                [(e.get("url") or "", (args.realpages / e["file"]).read_bytes()) for e in group]
            )
            e2e_s += time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_s = workers_mb = 0.0
    if args.end_to_end and args.workers and args.model:
        groups = [
            [(e.get("url") or "", (args.realpages / e["file"]).read_bytes()) for e in group]
            for group in stores.values()
        ]
        groups.sort(key=len, reverse=True)  # the biggest stores first: the workers end together
        workers_s, workers_mb = time_workers(
            args.model, args.precision, args.batch_size, groups, args.workers
        )
    print(
        f"pages: {pages} from {len(stores)} stores, threads={args.threads}, "
        f"window={model.config.window}, page_tokens={model.config.page_tokens}, "
        f"page_budget={model.config.page_budget}, budget_node_tokens="
        f"{model.config.budget_node_tokens}, attention={args.attention}, precision={precision}"
    )
    print(f"text nodes: {nodes_before} -> {nodes_after} after pruning")
    removed = 1 - kept_tokens / max(raw_tokens, 1)
    capped = 1 - capped_tokens / max(raw_tokens, 1)
    cap = model.config.max_node_tokens
    print(f"tokens: {raw_tokens} raw -> {kept_tokens} after pruning ({removed:.1%} removed)")
    print(f"  -> {capped_tokens} after the {cap}-token node cap ({capped:.1%} removed in all)")
    print(f"  mean per page after pruning and cap: {capped_tokens / max(pages, 1):.0f} tokens")
    if args.coverage:
        print_coverage(args.realpages, entries, tokenizer, model.config)
    print(f"parse HTML -> nodes: {pages / parse_s:.1f} pages/s")
    print(f"extract from nodes (prune, features, model, decode): {pages / model_s:.1f} pages/s")
    print(f"end to end from HTML: {pages / (parse_s + model_s):.1f} pages/s")
    # CPU time is what a busy shared machine distorts least: on 2 idle cores the wall time is
    # at best half of it.
    print(
        f"extract from nodes: {model_cpu / pages * 1000:.0f} CPU-ms/page "
        f"(<= {2 * pages / model_cpu:.1f} pages/s on 2 idle cores)"
    )
    if args.end_to_end:
        print(f"Extractor.extract (HTML -> records, with fusion): {pages / e2e_s:.1f} pages/s")
    if workers_s:
        print(
            f"Extractor.extract on {args.workers} processes of 1 thread: {pages / workers_s:.1f} "
            f"pages/s, {workers_mb:.0f} MB in all (the workers' peaks)"
        )
    print(f"peak memory (maxrss): {peak_mb:.0f} MB")
    print(f"load average during the run (other jobs share the CPU): {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
