"""Device, precision and seeds (used by every notebook through ``helpers.setup``).

Order of preference: CUDA, then Apple MPS, then the CPU, which always works.
"""

from __future__ import annotations

import random


def pick_device() -> tuple[str, str]:
    """Return (device, why): "cuda", "mps" or "cpu", with a short reason for the learner."""
    import torch

    if torch.cuda.is_available():
        return "cuda", torch.cuda.get_device_name(0)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps", "Apple GPU"
    return "cpu", "no CUDA or MPS GPU found; everything runs on the CPU, just slower"


def mixed_precision(device: str) -> str | None:
    """The mixed-precision mode Trainer/Accelerate should use on ``device``: "bf16", "fp16" or None."""
    if device != "cuda":
        return None
    import torch

    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def fix_seeds(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) so reruns give the same numbers."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, not {seed!r}")
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA and MPS generators too
