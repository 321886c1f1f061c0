"""Inference precisions of the extractor model, importable without torch (command-line help).

`auto` runs the encoder layers in bfloat16 on a CPU with native bf16 instructions (less CPU per
page; the README has the figures) and in fp32 elsewhere; `int8` quantizes the linear
layers dynamically (CPU only, faster still, a little less accurate). Training is always fp32.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from extractor.neural.model import ExtractorModel

#: The choices of `--precision` and `SHOPWRIGHT_PRECISION`.
PRECISIONS = ("auto", "fp32", "bf16", "int8")


def cpu_has_bf16() -> bool:
    """Whether this CPU runs bfloat16 matrix products natively (AVX512-BF16 or AMX)."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """`auto` -> cuda when available, else cpu; anything else as torch understands it (a clear
    error when torch does not)."""
    import torch

    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {device!r}: {exc}") from exc


def resolve_precision(precision: str, device: Any = "cpu") -> str:
    """`auto` -> `bf16` on a bf16-capable CPU, else `fp32`; other values are checked and kept."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    return "bf16" if str(device).split(":")[0] == "cpu" and cpu_has_bf16() else "fp32"


def quantize_int8(model: ExtractorModel) -> ExtractorModel:
    """The model with int8 dynamically quantized linear layers (CPU inference only)."""
    import warnings

    import torch
    from torch import nn

    if model.device.type != "cpu":
        raise ValueError("int8 quantization runs on the CPU only")
    with warnings.catch_warnings():
        # torch.ao quantization and quantized tensors are deprecated (moving to torchao); they
        # still work in the pinned torch, and int8 is opt-in.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantiz", category=UserWarning)
        quantized: ExtractorModel = torch.ao.quantization.quantize_dynamic(
            model, {nn.Linear}, dtype=torch.qint8
        )
    return quantized


def with_precision(model: ExtractorModel, precision: str, copy: bool = True) -> ExtractorModel:
    """The model to extract with at `precision` (resolved first): itself for fp32, one whose
    encoder layers run in bf16 at inference (a copy unless `copy` is false), or a copy with int8
    dynamically quantized linear layers (CPU only). Training is never affected: bf16 applies
    only without gradients."""
    import copy as copying

    chosen = resolve_precision(precision, model.device)
    if chosen == "fp32":
        return model
    if chosen == "int8":
        return quantize_int8(model)
    fast = copying.deepcopy(model) if copy else model
    fast.bf16_inference = True
    return fast
