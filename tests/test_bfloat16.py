"""Tests of ``performance.bfloat16``: ``in_bfloat16`` (temporary, exact, several modules, inputs converted once),
``decoder_layers``, and ``bf16_hardware``, where bfloat16 is worth timing."""

from __future__ import annotations

import pytest

from tests.test_device import _cpu_with


def test_in_bfloat16_is_temporary_and_gives_the_weights_back_exactly():
    import torch

    from performance.bfloat16 import in_bfloat16

    torch.manual_seed(0)
    block = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.LayerNorm(8))
    outer = torch.nn.Linear(8, 2)  # a float32 module after it, as Whisper's decoder after its encoder
    x = torch.randn(3, 4)
    weights = {k: v.clone() for k, v in block.state_dict().items()}
    exact = block(x)
    with in_bfloat16(block) as inside:
        assert next(inside.parameters()).dtype == torch.bfloat16
        y = inside(x)  # a float32 input is converted on the way in
        assert y.dtype == torch.float32 and outer(y).shape == (3, 2)
        assert torch.allclose(y, exact, atol=0.05) and not torch.equal(y, exact)
    assert all(
        torch.equal(block.state_dict()[k], v) and block.state_dict()[k].dtype == v.dtype for k, v in weights.items()
    )
    assert torch.equal(block(x), exact)  # no hooks left behind
    with pytest.raises(TypeError, match="torch.nn.Module"):
        with in_bfloat16("encoder"):
            pass


def test_in_bfloat16_takes_several_modules_and_refuses_overlaps():
    import torch

    from performance.bfloat16 import in_bfloat16

    torch.manual_seed(0)
    first, second, last = torch.nn.Linear(4, 8), torch.nn.Linear(8, 8), torch.nn.Linear(8, 2)
    x = torch.randn(3, 4)
    exact = last(second(first(x)))
    with in_bfloat16(first, second) as yielded:
        assert yielded is first
        assert first.weight.dtype == second.weight.dtype == torch.bfloat16 and last.weight.dtype == torch.float32
        y = last(second(first(x)))  # float32 between them and after them
        assert y.dtype == torch.float32 and torch.allclose(y, exact, atol=0.05) and not torch.equal(y, exact)
    assert first.weight.dtype == second.weight.dtype == torch.float32
    assert torch.equal(last(second(first(x))), exact)
    both = torch.nn.Sequential(first, second)
    with pytest.raises(ValueError, match="part of module 1"):
        with in_bfloat16(both, second):
            pass
    assert first.weight.dtype == torch.float32  # refused before anything was converted
    with pytest.raises(ValueError, match="at least one"):
        with in_bfloat16():
            pass


def test_in_bfloat16_converts_a_shared_input_once_and_again_after_a_change():
    import torch

    from performance.bfloat16 import in_bfloat16

    class Seen(torch.nn.Linear):
        """A Linear that remembers the tensors it was given."""

        def __init__(self) -> None:
            super().__init__(4, 4)
            self.inputs: list[torch.Tensor] = []

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.inputs.append(x)
            return super().forward(x)

    first, second = Seen(), Seen()
    x = torch.randn(2, 4)
    with in_bfloat16(first, second):
        first(x), second(x), first(x)
        assert first.inputs[0] is second.inputs[0] is first.inputs[1]  # one bfloat16 copy, made once
        assert first.inputs[0].dtype == torch.bfloat16
        x.add_(1)  # changed in place: the old copy must not be used
        second(x)
        assert second.inputs[1] is not second.inputs[0]
        assert torch.equal(second.inputs[1], (x.to(torch.bfloat16)))
        w = torch.randn(2, 4, requires_grad=True)  # a tensor in a gradient's graph: converted every time
        first(w), first(w)
        assert first.inputs[2] is not first.inputs[3]
        y = torch.randn(2, 4)
        second(y)
        second.inputs[-1].mul_(2)  # a module that changes its (converted) input in place
        first(y)
        assert first.inputs[-1] is not second.inputs[-1]  # a fresh copy, not the changed one
        assert torch.equal(first.inputs[-1], y.to(torch.bfloat16))
        for _ in range(6):  # more new tensors than the memo keeps: the oldest one is converted again
            first(torch.randn(2, 4))
        second(y)
        assert second.inputs[-1] is not first.inputs[-7]
        with torch.inference_mode():  # inference tensors count no versions: converted every time, no error
            v = torch.randn(2, 4)
            first(v), first(v)
        assert first.inputs[-2] is not first.inputs[-1]


def test_in_bfloat16_puts_back_the_buffers_too():
    import torch

    from performance.bfloat16 import in_bfloat16

    norm = torch.nn.BatchNorm1d(4).eval()
    norm.running_mean += 1.5  # a buffer with a value to keep
    before = {name: buffer for name, buffer in norm.named_buffers()}
    with in_bfloat16(norm):
        assert norm.running_mean.dtype == torch.bfloat16
    for name, buffer in norm.named_buffers():
        assert buffer is before[name], name  # the very same tensor, not a converted copy
    assert norm.running_mean.dtype == torch.float32 and torch.equal(norm.running_mean, torch.full((4,), 1.5))


def test_decoder_layers_of_whisper_and_a_clear_error_elsewhere():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, WhisperConfig, WhisperForConditionalGeneration

    from performance.bfloat16 import decoder_layers

    config = WhisperConfig(d_model=16, encoder_layers=1, decoder_layers=2, encoder_attention_heads=2,
                           decoder_attention_heads=2, encoder_ffn_dim=16, decoder_ffn_dim=16, vocab_size=100,
                           max_source_positions=10, max_target_positions=10, num_mel_bins=8,
                           pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1)
    model = WhisperForConditionalGeneration(config)
    layers = decoder_layers(model)
    assert len(layers) == 2 and all(layer in list(model.get_decoder().layers) for layer in layers)
    inside = {id(p) for layer in layers for p in layer.parameters()}
    assert id(model.get_decoder().embed_tokens.weight) not in inside  # the token embeddings stay outside
    assert id(model.get_output_embeddings().weight) not in inside  # and so does the output projection
    with pytest.raises(TypeError, match="encoder-decoder"):
        decoder_layers(torch.nn.Linear(2, 2))
    decoder_only = LlamaForCausalLM(LlamaConfig(hidden_size=16, intermediate_size=16, num_hidden_layers=1,
                                                num_attention_heads=2, num_key_value_heads=2, vocab_size=100))
    with pytest.raises(TypeError, match="encoder-decoder"):  # its get_decoder() is not a separate decoder
        decoder_layers(decoder_only)


def test_bf16_hardware_says_where_bfloat16_is_worth_timing(monkeypatch):
    import helpers.device
    from performance.bfloat16 import bf16_hardware

    _cpu_with(monkeypatch, amx=True, avx512_bf16=True)  # never measured: units decide, not the speed
    assert bf16_hardware("cpu") == (True, "this CPU has bfloat16 units (AMX and AVX512-BF16)")
    _cpu_with(monkeypatch, amx=False, avx512_bf16=False)
    native, why = bf16_hardware("cpu")
    assert native is False and "no bfloat16 units" in why
    monkeypatch.setenv("QUICKTOUR_CPU_BF16", "1")
    assert bf16_hardware("cpu") == (True, "QUICKTOUR_CPU_BF16=1 turns it on (no bfloat16 units: emulated)")
    _cpu_with(monkeypatch, amx=True, avx512_bf16=True)
    monkeypatch.setenv("QUICKTOUR_CPU_BF16", "0")
    assert bf16_hardware("cpu") == (False, "QUICKTOUR_CPU_BF16=0 turns it off")
    monkeypatch.delenv("QUICKTOUR_CPU_BF16")
    for precision, native in (("bf16", True), ("fp16", False)):
        monkeypatch.setattr(helpers.device, "mixed_precision", lambda device, precision=precision: precision)
        assert bf16_hardware("cuda")[0] is native
    assert bf16_hardware("mps") == (False, "bfloat16 is not measured on mps")
