"""Device, precision and seeds (used by every notebook through ``helpers.setup``).

Order of preference: CUDA, then Apple MPS, then the CPU, which always works.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


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


def cpu_bf16() -> tuple[bool, str]:
    """Whether this CPU computes bfloat16 natively (Intel AMX or AVX512-BF16: recent Xeons, AMD Zen 4 and
    later), with the reason in words. Without those units, bfloat16 on a CPU is emulated and slower than float32.

    Set ``QUICKTOUR_CPU_BF16=0`` to say no regardless (to compare, or to reproduce float32 numbers).
    """
    import os

    import torch

    if os.environ.get("QUICKTOUR_CPU_BF16", "").strip() == "0":
        return False, "QUICKTOUR_CPU_BF16=0 turns it off"
    cpu = getattr(torch, "cpu", None)
    amx = bool(getattr(cpu, "_is_amx_tile_supported", lambda: False)())
    avx512_bf16 = bool(getattr(cpu, "_is_avx512_bf16_supported", lambda: False)())
    if amx or avx512_bf16:
        units = " and ".join(name for name, has in (("AMX", amx), ("AVX512-BF16", avx512_bf16)) if has)
        return True, f"this CPU has bfloat16 units ({units})"
    return False, "this CPU has no bfloat16 units (AMX, AVX512-BF16): bfloat16 would be emulated, slower than float32"


def _to_dtype(value: Any, dtype: Any) -> Any:
    """``value`` with its floating-point tensors (also inside tuples, lists, dicts) converted to ``dtype``."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.to(dtype) if value.is_floating_point() else value
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_to_dtype(v, dtype) for v in value)
    if isinstance(value, dict):  # ModelOutput is a dict too: update it in place, keeping its class
        for key in list(value.keys()):
            value[key] = _to_dtype(value[key], dtype)
        return value
    return value


@contextmanager
def in_bfloat16(module: Any) -> Iterator[Any]:
    """Inside the ``with`` block, ``module`` holds its weights in bfloat16 and computes in bfloat16; what goes in
    is converted to bfloat16 and what comes out back to float32, so the modules around it never notice.
    Afterwards it holds exactly its old weights again (kept aside, not converted back).

    Notebook 01 runs only Whisper's encoder this way: its decoder, which picks the words, stays in float32.
    Worth it only where bfloat16 is fast: a GPU, or a CPU with bfloat16 units (``cpu_bf16``).
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"in_bfloat16 wants a torch.nn.Module (e.g. model.get_encoder()), not {type(module).__name__}")
    tensors = dict(module.named_parameters())
    tensors.update(module.named_buffers())
    kept = {name: tensor.detach().clone() for name, tensor in tensors.items()}
    module.to(torch.bfloat16)
    before = module.register_forward_pre_hook(
        lambda _, args, kwargs: (_to_dtype(args, torch.bfloat16), _to_dtype(kwargs, torch.bfloat16)), with_kwargs=True
    )
    after = module.register_forward_hook(lambda _, args, output: _to_dtype(output, torch.float32))
    try:
        yield module
    finally:
        before.remove()
        after.remove()
        for name, tensor in tensors.items():  # the same Parameter objects, their old dtype and values
            tensor.data = kept[name]


def fix_seeds(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) so reruns give the same numbers."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, not {seed!r}")
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA and MPS generators too
