"""Plain supervised training of the extractor (the first baseline) from labels.jsonl folders."""

from __future__ import annotations

import logging
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from tqdm import tqdm

from extractor.neural.checkpoint import load_tokenizer
from extractor.neural.config import PACKAGED_ENCODER, ExtractorConfig
from extractor.neural.decode import extract_pages
from extractor.neural.features import Window, collate, encode_page
from extractor.neural.model import ExtractorModel
from extractor.neural.precision import resolve_device
from extractor.page.template import prune_template_nodes
from metatrain.checkpoint import CHECKPOINT_DIR, has_checkpoint, load_checkpoint, save_checkpoint
from metatrain.config import TrainConfig
from metatrain.lineage import model_lineage
from metatrain.scoring import ScoredPage, score_pages
from metatrain.tasks import (
    AnnotatedPage,
    LabelledPage,
    annotate,
    group_by_site,
    read_labels,
    split_stores,
)

logger = logging.getLogger(__name__)


def load_labelled_pages(
    directory: str | Path,
    max_pages: int = 0,
    exclude_industries: Collection[str] = (),
    strip_markup: bool = False,
) -> list[LabelledPage]:
    """The pages of a labels.jsonl folder (`metatrain.tasks.read_labels`), without those whose
    `industry` (written by the fixture generator) is in `exclude_industries`, so that a held-out
    industry never reaches training."""
    labels = Path(directory) / "labels.jsonl"
    if not labels.is_file():
        raise FileNotFoundError(f"{directory} has no labels.jsonl")
    read = read_labels(labels, strip_markup=strip_markup)
    pages = [p for p in read if p.industry not in exclude_industries]
    return pages[:max_pages] if max_pages else pages


def store_windows(
    pages: Sequence[AnnotatedPage], tokenizer: Any, model_config: ExtractorConfig
) -> list[Window]:
    """Training windows of one store's annotated pages (template pruning protects the spans'
    nodes)."""
    attributes = model_config.attributes
    protect = [{s["xpath"] for items in p.spans.values() for s in items} for p in pages]
    kept = prune_template_nodes([p.nodes for p in pages], protect)
    windows: list[Window] = []
    for page, nodes in zip(pages, kept, strict=True):
        windows.extend(encode_page(nodes, tokenizer, model_config.features, page.spans, attributes))
    return windows


def evaluate(
    model: ExtractorModel, tokenizer: Any, stores: Sequence[Sequence[AnnotatedPage]]
) -> dict[str, Any]:
    """Zero-shot scores (macro F1 and per attribute) of the model on the given stores."""
    scored: list[ScoredPage] = []
    for pages in stores:
        extractions = extract_pages(model, tokenizer, [p.nodes for p in pages])
        for page, extraction in zip(pages, extractions, strict=True):
            gold = {a: v for a, v in page.labels.items() if a in model.config.attributes}
            url = page.page.url
            scored.append(ScoredPage(gold, extraction.values, page_url=url, partial=True))
    return score_pages(scored, attributes=model.config.attributes).to_dict()


def freeze_encoder_below(model: ExtractorModel, train_layers: int) -> None:
    """Freeze the encoder except its top `train_layers` layers (structure and head stay trained).

    Unlike `ExtractorModel.freeze_lower`, the structure embedding keeps learning: its output
    projection starts at zero, so a frozen one would never carry layout.
    """
    layers = model.layers
    if not 0 < train_layers <= len(layers):
        raise ValueError(f"train_layers must be in 1..{len(layers)}, got {train_layers}")
    model.encoder.requires_grad_(False)
    for i in range(len(layers) - train_layers, len(layers)):
        layers[i].requires_grad_(True)


def _batches(
    windows: list[Window], size: int, rng: random.Random, weights: list[float] | None = None
) -> Iterator[list[Window]]:
    if weights is not None:  # drawn with replacement by weight
        while True:
            yield rng.choices(windows, weights, k=size)
    while True:
        order = list(range(len(windows)))
        rng.shuffle(order)
        for b in range(0, len(order) - size + 1 if len(order) >= size else 1, size):
            yield [windows[i] for i in order[b : b + size]]


def _optimizer(model: ExtractorModel, config: TrainConfig) -> torch.optim.AdamW:
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    encoder = [p for n, p in named if n.startswith("encoder.")]
    rest = [p for n, p in named if not n.startswith("encoder.")]
    return torch.optim.AdamW(
        [{"params": encoder, "lr": config.lr}, {"params": rest, "lr": config.head_lr}],
        weight_decay=config.weight_decay,
    )


def train(
    config: TrainConfig,
    model_config: ExtractorConfig | None = None,
    pages: Sequence[LabelledPage] | None = None,
) -> dict[str, Any]:
    """Train, evaluate on held-out stores, and write the model directory; returns the metrics."""
    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    rng = random.Random(config.seed)
    device = resolve_device(config.device)
    out = Path(config.out)
    checkpoint = out / CHECKPOINT_DIR
    source_of: dict[str, int] = {}  # store -> data folder, for data_weights
    if pages is None:
        if not config.data:
            raise ValueError("no training data: give at least one labels.jsonl folder")
        pages = []
        for i, folder in enumerate(config.data):
            found = load_labelled_pages(
                folder, config.max_pages, config.excluded, config.strip_markup
            )
            pages += found
            if config.data_weights:
                source_of.update({p.site: i for p in found})
    splits = split_stores(
        group_by_site(pages), val_fraction=config.eval_fraction, test_fraction=0.0,
        seed=config.seed, min_pages=1,
    )  # fmt: skip
    train_names, eval_names = [t.site for t in splits.train], [t.site for t in splits.val]
    stores = {t.site: [annotate(p) for p in t.pages] for t in [*splits.train, *splits.val]}
    eval_stores = [stores[s] for s in eval_names]
    if config.resume and has_checkpoint(checkpoint):
        model = ExtractorModel.from_pretrained(checkpoint)
    elif config.init_model:
        model = ExtractorModel.from_pretrained(config.init_model)
    else:
        model_config = model_config or ExtractorConfig(
            encoder=config.encoder, window=config.window, hint_dropout=config.hint_dropout
        )
        model = ExtractorModel(model_config)
    tokenizer = load_tokenizer(model.config.encoder or PACKAGED_ENCODER)
    if config.train_layers:
        freeze_encoder_below(model, config.train_layers)
    model.to(device).train()
    tagged = [
        (w, source_of.get(s, 0))
        for s in train_names
        for w in store_windows(stores[s], tokenizer, model.config)
    ]
    has_span = [any(label > 0 for label in w.labels or []) for w, _ in tagged]
    positive = [t for t, pos in zip(tagged, has_span, strict=True) if pos]
    negative = [
        t
        for t, pos in zip(tagged, has_span, strict=True)
        if not pos and rng.random() < config.negative_keep
    ]
    windows = [w for w, _ in positive + negative]
    weights = None
    if config.data_weights:
        sizes = Counter(source for _, source in positive + negative)
        weights = [config.data_weights[s] / sizes[s] for _, s in positive + negative]
        if not sum(weights):
            raise ValueError("data_weights leave no training window")
    if not positive:
        raise ValueError("no training window carries a span: check the labels and the matcher")
    logger.info(
        "%d train stores, %d eval stores, %d windows (%d with spans)",
        len(train_names), len(eval_names), len(windows), len(positive),
    )  # fmt: skip
    opt = _optimizer(model, config)
    resuming = config.resume and has_checkpoint(checkpoint)
    start = load_checkpoint(opt, checkpoint) if resuming else 0
    warm = max(1, int(config.warmup * config.steps))

    def schedule(s: int) -> float:
        return (
            min(1.0, (s + 1) / warm)
            * 0.5
            * (1 + math.cos(math.pi * min(s, config.steps) / config.steps))
        )

    base_lrs = [group["lr"] for group in opt.param_groups]
    history: list[dict[str, Any]] = []
    batches = _batches(windows, config.batch_size, rng, weights)
    steps = range(start, config.steps)
    bar = tqdm(steps, disable=not config.progress, desc="train", file=sys.stderr)
    running = None
    t0 = time.time()
    for step in bar:
        batch = {k: v.to(device) for k, v in collate(next(batches)).items()}
        logits = model(batch)
        loss = F.cross_entropy(logits.flatten(0, 1), batch["labels"].flatten(), ignore_index=-100)
        for group, base_lr in zip(opt.param_groups, base_lrs, strict=True):
            group["lr"] = base_lr * schedule(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        value = loss.item()
        running = value if running is None else 0.95 * running + 0.05 * value
        bar.set_postfix(loss=f"{running:.4f}")
        done = step + 1
        if (
            eval_names
            and config.eval_every
            and done % config.eval_every == 0
            and done < config.steps
        ):
            metrics = evaluate(model, tokenizer, eval_stores)
            history.append({"step": done, "loss": running, "macro_f1": metrics["macro_f1"]})
            logger.info(
                "step %d: loss %.4f, eval macro F1 %.3f", done, running, metrics["macro_f1"]
            )
            model.train()
        if config.checkpoint_every and done % config.checkpoint_every == 0 and done < config.steps:
            save_checkpoint(model, opt, checkpoint, done, tokenizer)
    final = evaluate(model, tokenizer, eval_stores) if eval_names else {}
    metrics = {
        "final_loss": running,
        "eval": final,
        "history": history,
        "seconds": round(time.time() - t0, 1),
    }
    training = {
        "config": asdict(config),
        "command": " ".join(sys.argv),
        "train_stores": train_names,
        "eval_stores": eval_names,
        "windows": len(windows),
        "metrics": metrics,
    } | model_lineage(config.init_model or None).record(train_names)
    model.save_pretrained(out, tokenizer, training)
    logger.info("model written to %s (eval macro F1 %s)", out, final.get("macro_f1"))
    return metrics
