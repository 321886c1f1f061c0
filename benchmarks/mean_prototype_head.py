"""Experiment: replace a model's default (zero-shot) prototypes by the mean of support prototypes.

Run: `.venv/bin/python benchmarks/mean_prototype_head.py --model extractor/default_model
--labels data/fixtures-train/labels.jsonl --out /tmp/mean-head`, then evaluate the written model
with `python -m metatrain evaluate ... --model /tmp/mean-head`.

For each training store (the `books` industry left out, as in training) `--pages` pages are
annotated and adapted on the way `shopwright adapt` does (prototypes from the support, no step);
every standard class's default prototype becomes the normalised mean, over stores, of the
stores' prototypes. The biases stay. Results and why it is not used:
docs/history/MODEL_CARD-2026-12-01.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import torch.nn.functional as F
from tqdm import tqdm

from extractor.neural.checkpoint import TRAINING_FILE, load_tokenizer
from extractor.neural.features import attribute_classes
from metatrain.methods import meta_method
from metatrain.tasks import annotate, group_by_site, read_labels


def main() -> int:
    """Write the model with mean-prototype defaults; print how far each class moved."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=REPO / "extractor" / "default_model")
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--pages", type=int, default=5, help="support pages per store")
    parser.add_argument("--exclude-industries", default="books")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    method = meta_method(args.model)
    head = method.model.head
    collected: dict[str, list[torch.Tensor]] = {name: [] for name in head.class_names}
    excluded = set(args.exclude_industries.split(",")) - {""}
    rng = random.Random(args.seed)
    tasks = [
        t for t in group_by_site(read_labels(args.labels)).values() if t.industry not in excluded
    ]
    method.learner.eval()
    for task in tqdm(tasks, desc="stores", unit="store"):
        chosen = rng.sample(task.pages, min(args.pages, len(task.pages)))
        support = [annotate(page) for page in chosen]
        nodes = [p.page.parsed().nodes for p in support]
        spans = [{a: s for a, s in p.match.spans.items() if a in p.attributes} for p in support]
        batch = method._support_batch(nodes, spans)
        if batch is None:
            continue
        with torch.no_grad():
            projected = method.learner(batch.hidden, batch.mask, project=True)
        for c, name in enumerate(attribute_classes(batch.attributes)):
            selected = batch.labels == c
            if name in collected and bool(selected.any()):
                collected[name].append(projected[selected].mean(0))
    with torch.no_grad():
        for i, name in enumerate(head.class_names):
            if not collected[name]:
                continue
            mean = F.normalize(torch.stack(collected[name]).mean(0), dim=0)
            old = head.prototypes[i]
            moved = float(F.normalize(old, dim=0) @ mean)
            print(f"{name:18s} {len(collected[name]):4d} stores  cos(old, mean) {moved:.3f}")
            head.prototypes[i] = mean * old.norm()
    training = json.loads((args.model / TRAINING_FILE).read_text(encoding="utf-8"))
    training["default_prototypes"] = {
        "command": " ".join(sys.argv),
        "stores": len(tasks),
        "pages_per_store": args.pages,
    }
    method.model.save_pretrained(args.out, load_tokenizer(args.model), training=training)
    print(f"model with mean-prototype defaults -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
