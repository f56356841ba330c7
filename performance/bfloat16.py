"""bfloat16 on the hardware at hand: whether it is worth timing, and running chosen modules of a model in it
(the deep dives of notebooks 01 and 05, ``make bench``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from helpers import device as hardware


def bf16_hardware(device: str) -> tuple[bool, str]:
    """Whether ``device`` has hardware made for bfloat16, so that timing it is worth it, and why, in words:
    a CUDA GPU that computes it natively (``mixed_precision``), or a CPU with bfloat16 units (``bf16_units``;
    whether they also *pay* is ``cpu_bf16``'s question). ``QUICKTOUR_CPU_BF16=1`` / ``=0`` answer for a CPU,
    as they do for ``cpu_bf16``. Used by notebooks 01 and 05 to decide whether to measure bfloat16 at all.
    """
    if device == "cuda":
        native = hardware.mixed_precision(device) == "bf16"
        return native, ("this GPU computes bfloat16 natively" if native
                        else "this GPU only emulates bfloat16 (fp16 is its 16-bit format)")
    if device != "cpu":
        return False, f"bfloat16 is not measured on {device}"
    forced = hardware.forced_cpu_bf16()
    if forced is not None:
        return forced
    units = hardware.bf16_units()
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
