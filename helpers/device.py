"""Device, precision and seeds (used by every notebook through ``helpers.setup``).

Order of preference: CUDA, then Apple MPS, then the CPU, which always works.
"""

from __future__ import annotations

import random


def local_gpu(device_count: int) -> int:
    """The GPU this process should use: ``LOCAL_RANK`` under torchrun / ``accelerate launch`` (one GPU per
    process on a machine), else 0. A ``LOCAL_RANK`` at or past ``device_count`` wraps around, as several
    processes sharing the GPUs would; a negative one (``-1``, a common "not distributed" value) means 0.
    Raises ValueError for a ``LOCAL_RANK`` that is not an integer, or a ``device_count`` below 1.
    """
    import os
    import re

    if device_count < 1:
        raise ValueError(f"local_gpu needs at least one GPU, got device_count={device_count}")
    raw = os.environ.get("LOCAL_RANK", "0").strip() or "0"
    if not re.fullmatch(r"-?[0-9]+", raw):
        raise ValueError(f"LOCAL_RANK must be an integer (torchrun sets it; unset it outside a launcher), not {raw!r}")
    return max(int(raw), 0) % device_count


def pick_device() -> tuple[str, str]:
    """Return (device, why): "cuda", "mps" or "cpu", with a short reason for the learner.

    On CUDA it makes this process's GPU (``local_gpu``) the current one before asking its name, so that under
    torchrun each process touches only its own GPU: with GPU 0 current in every process, any CUDA call made before
    Trainer picks the process's GPU can open a context (a few hundred MB) on GPU 0 for each of them (not measured
    here: this project's machines have no GPU). Alone, that GPU is GPU 0 and nothing changes.
    """
    import torch

    if torch.cuda.is_available():
        index = local_gpu(torch.cuda.device_count())
        torch.cuda.set_device(index)
        return "cuda", torch.cuda.get_device_name(index)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps", "Apple GPU"
    return "cpu", "no CUDA or MPS GPU found; everything runs on the CPU, just slower"


def mixed_precision(device: str) -> str | None:
    """The mixed-precision mode Trainer/Accelerate should use on ``device``: "bf16", "fp16" or None.

    bf16 only on a GPU that computes it natively (NVIDIA Ampere or newer). Older GPUs such as Colab's
    free T4 only emulate bfloat16 (``torch.cuda.is_bf16_supported()`` still says yes there, since its
    default counts emulation), so they get fp16, which their tensor cores run.
    """
    if device != "cuda":
        return None
    import torch

    return "bf16" if torch.cuda.is_bf16_supported(including_emulation=False) else "fp16"


#: bfloat16 must be at least this many times faster than float32 on a matrix product for ``cpu_bf16`` to say yes.
MIN_BF16_SPEEDUP = 1.2

_measured: dict[tuple[int, int], float] = {}  # bf16_matmul_speedup() per (thread count, repeats), once per process


def bf16_matmul_speedup(repeats: int = 5) -> float:
    """How many times faster this CPU multiplies matrices in bfloat16 than in float32 (best of ``repeats``
    each, after one warm-up): a [2048 x 384] @ [384 x 1536] product, MiniLM's feed-forward layer on a batch
    of 32 sentences of 64 tokens. Measured once per process, thread count and ``repeats``, in about 0.1-0.3 s.

    Units alone do not decide it: a CPU with AVX512-BF16 but no AMX measured 0.5-0.7 here (slower than
    float32), one with AMX several times faster.
    """
    import time

    import torch

    if not isinstance(repeats, int) or isinstance(repeats, bool) or repeats < 1:
        raise ValueError(f"repeats must be a positive int, not {repeats!r}")
    key = (torch.get_num_threads(), repeats)
    if key not in _measured:
        generator = torch.Generator().manual_seed(0)
        x = torch.randn(2048, 384, generator=generator)
        w = torch.randn(1536, 384, generator=generator)
        best: dict[torch.dtype, float] = {}
        with torch.inference_mode():
            for dtype in (torch.float32, torch.bfloat16):
                a, b = x.to(dtype), w.to(dtype)
                torch.nn.functional.linear(a, b)  # warm-up: the library picks and prepares its kernel
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    torch.nn.functional.linear(a, b)
                    times.append(time.perf_counter() - start)
                best[dtype] = min(times)
        _measured[key] = best[torch.float32] / best[torch.bfloat16]
    return _measured[key]


def bf16_units() -> str:
    """This CPU's bfloat16 units in words ("AMX and AVX512-BF16", "AVX512-BF16", "AMX"), or "" if it has none
    (then bfloat16 is emulated: much slower than float32, not worth measuring)."""
    import torch

    cpu = getattr(torch, "cpu", None)
    amx = bool(getattr(cpu, "_is_amx_tile_supported", lambda: False)())
    avx512_bf16 = bool(getattr(cpu, "_is_avx512_bf16_supported", lambda: False)())
    return " and ".join(name for name, has in (("AMX", amx), ("AVX512-BF16", avx512_bf16)) if has)


def cpu_bf16() -> tuple[bool, str]:
    """Whether bfloat16 pays on this CPU, with the reason in words: the CPU must have bfloat16 units (Intel
    AMX or AVX512-BF16: recent Xeons, AMD Zen 4 and later; without them bfloat16 is emulated) **and** a
    bfloat16 matrix product must measure at least ``MIN_BF16_SPEEDUP`` times faster than float32 here
    (``bf16_matmul_speedup``): with AVX512-BF16 but no AMX it can be slower.

    ``QUICKTOUR_CPU_BF16=0`` says no and ``=1`` says yes, without measuring: to compare, or to take another
    machine's branch on this one (without bfloat16 units, ``=1`` still says yes: bfloat16 is then emulated,
    correct but several times slower than float32).
    """
    forced = forced_cpu_bf16()
    if forced is not None:
        return forced
    units = bf16_units()
    if not units:
        return False, "bfloat16 does not pay on this CPU (no AMX or AVX512-BF16 units: it would be emulated)"
    ratio = bf16_matmul_speedup()
    pays = ratio >= MIN_BF16_SPEEDUP
    verdict = "pays" if pays else "does not pay"
    return pays, (f"bfloat16 {verdict} on this CPU ({units}; a matrix product measured ×{ratio:.2f} "
                  f"the speed of float32, ×{MIN_BF16_SPEEDUP} needed)")


def forced_cpu_bf16() -> tuple[bool, str] | None:
    """What ``QUICKTOUR_CPU_BF16`` says for a CPU, with the reason, or None when it is not set to 0 or 1."""
    import os

    setting = os.environ.get("QUICKTOUR_CPU_BF16", "").strip()
    if setting == "0":
        return False, "QUICKTOUR_CPU_BF16=0 turns it off"
    if setting == "1":
        return True, f"QUICKTOUR_CPU_BF16=1 turns it on ({bf16_units() or 'no bfloat16 units: emulated'})"
    return None


def training_precision(device: str) -> tuple[str | None, str]:
    """The mixed precision to train with on ``device`` ("bf16", "fp16" or None for float32), and why, in words:
    for ``TrainingArguments(bf16=..., fp16=...)`` and ``Accelerator(mixed_precision=...)``.

    A CUDA GPU: ``mixed_precision``. A CPU: bf16 only where ``cpu_bf16`` finds that it pays. Else float32.
    """
    if device == "cpu":
        pays, why = cpu_bf16()
        return ("bf16" if pays else None), why
    mode = mixed_precision(device)
    if mode is None:
        return None, f"float32 on {device}"
    return mode, f"{device}: {mode} autocast, which this GPU computes natively; the weights stay float32"


def fix_seeds(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) so reruns give the same numbers."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, not {seed!r}")
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA and MPS generators too
