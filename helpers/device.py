"""Device, precision and seeds (used by every notebook through ``helpers.setup``).

Order of preference: CUDA, then Apple MPS, then the CPU, which always works.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any


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
    forced = _forced_cpu_bf16()
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


def _forced_cpu_bf16() -> tuple[bool, str] | None:
    """What ``QUICKTOUR_CPU_BF16`` says for a CPU, with the reason, or None when it is not set to 0 or 1."""
    import os

    setting = os.environ.get("QUICKTOUR_CPU_BF16", "").strip()
    if setting == "0":
        return False, "QUICKTOUR_CPU_BF16=0 turns it off"
    if setting == "1":
        return True, f"QUICKTOUR_CPU_BF16=1 turns it on ({bf16_units() or 'no bfloat16 units: emulated'})"
    return None


def bf16_hardware(device: str) -> tuple[bool, str]:
    """Whether ``device`` has hardware made for bfloat16, so that timing it is worth it, and why, in words:
    a CUDA GPU that computes it natively (``mixed_precision``), or a CPU with bfloat16 units (``bf16_units``;
    whether they also *pay* is ``cpu_bf16``'s question). ``QUICKTOUR_CPU_BF16=1`` / ``=0`` answer for a CPU,
    as they do for ``cpu_bf16``. Used by notebooks 01 and 05 to decide whether to measure bfloat16 at all.
    """
    if device == "cuda":
        native = mixed_precision(device) == "bf16"
        return native, ("this GPU computes bfloat16 natively" if native
                        else "this GPU only emulates bfloat16 (fp16 is its 16-bit format)")
    if device != "cpu":
        return False, f"bfloat16 is not measured on {device}"
    forced = _forced_cpu_bf16()
    if forced is not None:
        return forced
    units = bf16_units()
    if units:
        return True, f"this CPU has bfloat16 units ({units})"
    return False, "this CPU has no bfloat16 units (AMX or AVX512-BF16): it would only emulate bfloat16"


def _to_dtype(value: Any, dtype: Any, memo: _ConversionMemo | None = None) -> Any:
    """``value`` with its floating-point tensors (also inside tuples, lists, dicts) converted to ``dtype``
    (through ``memo`` when given)."""
    import torch

    if isinstance(value, torch.Tensor):
        if not value.is_floating_point():
            return value
        return memo.convert(value, dtype) if memo is not None else value.to(dtype)
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_to_dtype(v, dtype, memo) for v in value)
    if isinstance(value, dict):  # ModelOutput is a dict too: update it in place, keeping its class
        for key in list(value.keys()):
            value[key] = _to_dtype(value[key], dtype, memo)
        return value
    return value


class _ConversionMemo:
    """The converted copies of the last few tensors, so that a tensor passed unchanged to several modules
    (Whisper's encoder output goes into every decoder layer at every step) is converted once, not each time.

    A copy is reused only for the very same tensor object when neither it nor the copy has been changed in place
    since (their version counters), and never for a tensor that requires a gradient (a reused copy would tie one
    autograd graph to several steps) or one made under ``torch.inference_mode`` (it counts no versions, so a
    change could not be seen). Holding the tensor itself keeps its ``id`` from being reused by another one while
    it is remembered. Writes that bypass version counters (through ``.data``, or a NumPy array sharing the
    memory) are not seen: nothing in a model's forward pass does that.
    """

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self.entries: OrderedDict[int, tuple[Any, int, Any, int]] = OrderedDict()

    def convert(self, tensor: Any, dtype: Any) -> Any:
        if tensor.requires_grad or tensor.is_inference():  # inference tensors have no version counter
            return tensor.to(dtype)
        key = id(tensor)
        hit = self.entries.get(key)
        if (hit is not None and hit[0] is tensor and hit[1] == tensor._version and hit[2].dtype == dtype
                and hit[3] == hit[2]._version):
            self.entries.move_to_end(key)
            return hit[2]
        converted = tensor.to(dtype)
        self.entries[key] = (tensor, tensor._version, converted, converted._version)
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return converted


@contextmanager
def in_bfloat16(*modules: Any) -> Iterator[Any]:
    """Inside the ``with`` block, each of ``modules`` holds its weights in bfloat16 and computes in bfloat16; what
    goes in is converted to bfloat16 and what comes out back to float32, so the modules around them never notice.
    Afterwards each holds exactly its old weights again (kept aside, not converted back). Yields the first module.
    A tensor that goes unchanged into several of the modules, or into one several times, is converted once
    (the last few such tensors are remembered; see ``_ConversionMemo`` for when a conversion is redone).

    Notebook 01 runs Whisper's encoder and its decoder's layers this way (``decoder_layers``): the token embeddings
    and the output projection, which scores every token of the vocabulary for beam search, stay in float32.
    Worth it only where bfloat16 is fast: a GPU, or a CPU where ``cpu_bf16`` measures that it pays.
    Raises TypeError for something that is not a module, ValueError when none is given or one contains another.
    """
    import torch

    if not modules:
        raise ValueError("in_bfloat16 needs at least one module, e.g. in_bfloat16(model.get_encoder())")
    for module in modules:
        if not isinstance(module, torch.nn.Module):
            raise TypeError(
                f"in_bfloat16 wants torch.nn.Module objects (e.g. model.get_encoder()), not {type(module).__name__}"
            )
    for i, outer in enumerate(modules):
        inside = {id(m) for m in outer.modules()}
        for j, other in enumerate(modules):
            if i != j and id(other) in inside:
                raise ValueError(
                    f"in_bfloat16: module {j + 1} ({type(other).__name__}) is part of module {i + 1} "
                    f"({type(outer).__name__}): pass one or the other"
                )
    memo = _ConversionMemo()  # shared by the modules: one conversion of what goes into several of them
    with ExitStack() as stack:
        for module in modules:
            stack.enter_context(_one_in_bfloat16(module, memo))
        yield modules[0]


@contextmanager
def _one_in_bfloat16(module: Any, memo: _ConversionMemo) -> Iterator[Any]:
    """``in_bfloat16`` for one module."""
    import torch

    # Module.to() converts a parameter in place (the same Parameter object) but replaces a buffer with a new
    # tensor: keep each buffer with the module that owns it, to put the very same tensor back afterwards.
    parameters = {name: p for name, p in module.named_parameters()}
    kept = {name: p.detach().clone() for name, p in parameters.items()}
    buffers = [(owner, name, buffer) for owner in module.modules() for name, buffer in owner._buffers.items()
               if buffer is not None]
    hooks = []
    try:
        module.to(torch.bfloat16)
        hooks.append(module.register_forward_pre_hook(
            lambda _, args, kwargs: (_to_dtype(args, torch.bfloat16, memo), _to_dtype(kwargs, torch.bfloat16, memo)),
            with_kwargs=True,
        ))
        hooks.append(module.register_forward_hook(lambda _, args, output: _to_dtype(output, torch.float32)))
        yield module
    finally:
        for hook in hooks:
            hook.remove()
        for name, parameter in parameters.items():  # the same Parameter objects, their old dtype and values
            parameter.data = kept[name]
        for owner, name, buffer in buffers:
            owner._buffers[name] = buffer


def decoder_layers(model: Any) -> list[Any]:
    """The blocks of an encoder-decoder model's decoder (Whisper: ``model.get_decoder().layers``), without its
    token embeddings or output projection: what ``in_bfloat16`` may run in 16 bits while the scores stay in 32.

    Raises TypeError for a model that is not an encoder-decoder (``config.is_encoder_decoder``), or whose
    decoder does not keep its blocks in a ``layers`` list.
    """
    config = getattr(model, "config", None)
    get_decoder = getattr(model, "get_decoder", None)
    # Transformers 5's get_decoder() returns the model itself when there is no separate decoder: ask the config.
    is_encoder_decoder = bool(getattr(config, "is_encoder_decoder", False)) and callable(get_decoder)
    decoder = get_decoder() if is_encoder_decoder else None
    layers = getattr(decoder, "layers", None)
    if decoder is None or layers is None:
        raise TypeError(
            f"decoder_layers wants an encoder-decoder model whose decoder keeps its blocks in `.layers` (Whisper, "
            f"Bart, Speech2Text), not {type(model).__name__}: pass only its encoder to in_bfloat16 instead"
        )
    return list(layers)


def fix_seeds(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) so reruns give the same numbers."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, not {seed!r}")
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds CUDA and MPS generators too
