"""Export trained model directories as the shipped model: compact float16 weights, one card.

`python -m metatrain.export --meta RUN --joint RUN --out extractor/default_model` writes the
meta-trained model to `--out` and the jointly trained baseline to `--out/joint` (where the `joint`
evaluation method looks for it). Only the tensors that differ from the packaged encoder are kept
(the model's `save_pretrained` does that); they are stored as float16 and load back as float32.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from extractor.neural.checkpoint import TRAINING_FILE, WEIGHTS_FILE, load_tokenizer
from extractor.neural.model import ExtractorModel

logger = logging.getLogger(__name__)

#: Where the jointly trained baseline goes inside the shipped model directory.
JOINT_SUBDIR = "joint"


def to_half(directory: Path) -> int:
    """Rewrite a model directory's weights as float16; returns the file size in bytes."""
    path = directory / WEIGHTS_FILE
    state = load_file(str(path))
    half = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    save_file({k: v.contiguous() for k, v in half.items()}, str(path), metadata={"format": "pt"})
    return path.stat().st_size


def _read_training(directory: Path) -> dict[str, Any]:
    path = directory / TRAINING_FILE
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def export_model(
    source: Path,
    target: Path,
    training: Mapping[str, Any] | None = None,
    half: bool = True,
) -> Path:
    """Load `source`, write it to `target` (float16 by default) with `training` as training.json."""
    model = ExtractorModel.from_pretrained(source)
    has_tokenizer = (source / "tokenizer_config.json").is_file()
    tokenizer = load_tokenizer(source) if has_tokenizer else None
    if target.exists():
        shutil.rmtree(target)
    info = _read_training(source) | dict(training or {})
    model.save_pretrained(target, tokenizer, training=info)
    size = to_half(target) if half else (target / WEIGHTS_FILE).stat().st_size
    logger.info("exported %s -> %s (%.1f MB weights)", source, target, size / 1e6)
    return target


def export_shipped(
    meta: Path,
    joint: Path | None,
    out: Path,
    build: Mapping[str, Any] | None = None,
    half: bool = True,
    adapt_steps: int | None = None,
) -> Path:
    """The shipped model directory: the meta-trained model, the joint baseline in `joint/`.

    `adapt_steps`: the SGD steps `shopwright adapt` takes by default (training.json's
    `adaptation`); None keeps the meta-training's inner loop.
    """
    if out.exists():
        shutil.rmtree(out)
    extra: dict[str, Any] = {"build": dict(build or {})}
    shipped = extra | {"role": "meta-trained (shipped default)"}
    if adapt_steps is not None:
        if adapt_steps < 0:
            raise ValueError("adapt_steps must be >= 0")
        shipped["adaptation"] = {"steps": adapt_steps}
    export_model(meta, out, shipped, half)
    if joint is not None:
        export_model(joint, out / JOINT_SUBDIR, extra | {"role": "joint baseline"}, half)
    # Check that what was written loads back, in float32.
    reloaded = ExtractorModel.from_pretrained(out)
    if any(p.dtype != torch.float32 for p in reloaded.parameters()):
        raise RuntimeError(f"{out} did not load back as float32")
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m metatrain.export", description=__doc__)
    parser.add_argument("--meta", type=Path, required=True, help="meta-trained model directory")
    parser.add_argument("--joint", type=Path, default=None, help="jointly trained model directory")
    parser.add_argument("--out", type=Path, required=True, help="shipped model directory")
    parser.add_argument("--build", type=Path, default=None, help="JSON file of build facts")
    parser.add_argument("--fp32", action="store_true", help="keep float32 weights")
    parser.add_argument(
        "--adapt-steps",
        type=int,
        default=None,
        help="SGD steps of the model's default adaptation (default: its meta-training inner loop)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    build = json.loads(args.build.read_text(encoding="utf-8")) if args.build else {}
    export_shipped(
        args.meta, args.joint, args.out, build, half=not args.fp32, adapt_steps=args.adapt_steps
    )
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
