"""Inference precisions of the extractor model, importable without torch (command-line help).

`auto` runs the encoder layers in bfloat16 on a CPU with native bf16 instructions (about 40 %
less CPU per page, the same F1 on real pages) and in fp32 elsewhere; `int8` quantizes the linear
layers dynamically (CPU only, faster still, a little less accurate). Training is always fp32.
"""

from __future__ import annotations

from typing import Any

#: The choices of `--precision` and `SHOPWRIGHT_PRECISION`.
PRECISIONS = ("auto", "fp32", "bf16", "int8")


def cpu_has_bf16() -> bool:
    """Whether this CPU runs bfloat16 matrix products natively (AVX512-BF16 or AMX)."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_precision(precision: str, device: Any = "cpu") -> str:
    """`auto` -> `bf16` on a bf16-capable CPU, else `fp32`; other values are checked and kept."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    return "bf16" if str(device).split(":")[0] == "cpu" and cpu_has_bf16() else "fp32"
