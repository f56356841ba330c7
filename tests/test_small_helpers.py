import pytest

from helpers import check
from helpers.device import fix_seeds, local_gpu, mixed_precision, pick_device
from instructor_tools.envcheck import check_requirements
from helpers.session import Session, setup, versions
from helpers.timing import Timing, measure, measure_repeated, speedup, spread


def test_check_passes_and_fails_with_the_hint(capsys):
    check("exercise 1", 4, lambda a: a == 4, "unused")
    assert "exercise 1: correct" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="Hint: look again"):
        check("exercise 2", 5, lambda a: a == 4, "look again")
    with pytest.raises(TypeError, match="must give True or False"):
        check("exercise 3", 4, lambda a: "yes", "answers are True/False")


def test_check_on_the_stub_says_not_attempted(capsys):
    check("exercise 1", ..., lambda a: a == 4, "unused")  # the stub: answer = ...
    assert "not attempted yet" in capsys.readouterr().out


def test_check_turns_an_error_in_the_test_into_the_hint():
    with pytest.raises(AssertionError, match=r"not yet \(KeyError: 'label'\). Hint: use the label key"):
        check("exercise 1", {}, lambda a: a["label"] == "x", "use the label key")


def test_refused_passes_only_when_the_check_refuses(capsys):
    from helpers import refused

    with refused("exercise 1"):
        check("exercise 1", 5, lambda a: a == 4, "look again")
    assert "refused, as it should be" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="accepted a plausible wrong answer"):
        with refused("exercise 1"):
            check("exercise 1", 4, lambda a: a == 4, "look again")
    with pytest.raises(KeyError):  # a mistake that crashes is a broken mistake, not a refusal
        with refused("exercise 1"):
            {}["x"]


def test_measure_times_and_keeps_the_result():
    import time

    timing = measure(lambda: time.sleep(0.02) or sum(range(1000)), n=10, label="sum")
    assert timing.result == sum(range(1000)) and timing.n == 10
    assert 0.02 <= timing.seconds < 1, timing.seconds
    assert timing.ms_per_example == pytest.approx(1000 * timing.seconds / 10)
    assert "ms/example" in str(timing)


@pytest.mark.parametrize("n", [0, -3, 2.5, None])
def test_measure_rejects_an_empty_or_bad_count(n):
    with pytest.raises(ValueError, match="empty"):
        measure(lambda: None, n=n)


def test_measure_rejects_a_non_callable():
    with pytest.raises(TypeError):
        measure([1, 2], n=2)


def test_speedup_ratio():
    slow, fast = Timing("single", 10, 2.0), Timing("batched", 10, 0.5)
    assert "×4.00" in speedup(slow, fast)
    assert "the examples per second" in speedup(slow, fast)


def test_speedup_names_the_unit_counted():
    slow, fast = Timing("without the cache", 64, 0.4), Timing("with the cache", 64, 0.1)
    line = speedup(slow, fast, unit="tokens")
    assert "×4.00 the tokens per second" in line and "examples" not in line


def test_seeds_make_torch_repeatable():
    import torch

    fix_seeds(7)
    a = torch.rand(3)
    fix_seeds(7)
    assert torch.equal(a, torch.rand(3))
    for bad in (-1, 1.5, "7", True):
        with pytest.raises(ValueError):
            fix_seeds(bad)


def test_device_on_this_machine_is_a_known_one():
    device, why = pick_device()
    assert device in ("cuda", "mps", "cpu") and why
    assert mixed_precision("cpu") is None


@pytest.mark.parametrize("local_rank, count, expected", [(None, 1, 0), ("0", 4, 0), ("3", 4, 3), ("5", 4, 1), ("-1", 2, 0), ("", 2, 0)])
def test_local_gpu_follows_torchrun_local_rank(monkeypatch, local_rank, count, expected):
    if local_rank is None:
        monkeypatch.delenv("LOCAL_RANK", raising=False)
    else:
        monkeypatch.setenv("LOCAL_RANK", local_rank)
    assert local_gpu(count) == expected


def test_local_gpu_rejects_bad_input(monkeypatch):
    for bad in ("one", "²", "1.5"):
        monkeypatch.setenv("LOCAL_RANK", bad)
        with pytest.raises(ValueError, match="LOCAL_RANK"):
            local_gpu(2)
    monkeypatch.setenv("LOCAL_RANK", "0")
    with pytest.raises(ValueError, match="at least one GPU"):
        local_gpu(0)


def test_pick_device_under_torchrun_touches_only_its_own_gpu(monkeypatch):
    """Rank 1 of 2 must not ask GPU 0 anything: that would open a CUDA context there (no GPU needed to check)."""
    import torch

    touched = []
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", lambda index: touched.append(("set", index)))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=None: touched.append(("name", index)) or "GPU")
    assert pick_device() == ("cuda", "GPU")
    assert touched == [("set", 1), ("name", 1)]


@pytest.mark.parametrize("native, expected", [(True, "bf16"), (False, "fp16")])
def test_mixed_precision_on_a_gpu_takes_bf16_only_where_it_is_native(monkeypatch, native, expected):
    import torch

    asked = {}

    def is_bf16_supported(including_emulation: bool = True) -> bool:
        asked["including_emulation"] = including_emulation
        return native or including_emulation  # an emulating GPU (a T4) says yes unless asked for native support

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", is_bf16_supported)
    assert mixed_precision("cuda") == expected
    assert asked == {"including_emulation": False}


def test_setup_prints_one_status_block(fresh_mode, monkeypatch, capsys):
    from importlib import metadata

    import torch

    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE"):
        monkeypatch.setenv(name, "")  # recorded, so that what setup() sets is undone after the test
        monkeypatch.delenv(name)
    monkeypatch.setenv("QUICKTOUR_MODE", "offline")
    torch.manual_seed(99)
    session = setup(seed=3)
    drawn = torch.rand(2)
    out = capsys.readouterr().out
    torch.manual_seed(3)
    assert torch.equal(drawn, torch.rand(2))  # setup fixed the seeds it was given
    assert isinstance(session, Session) and session.offline and session.seed == 3
    lines = out.splitlines()
    assert len(lines) == 4, lines  # libraries, device, mode, and what it set
    assert f"transformers {metadata.version('transformers')}" in lines[0]
    assert lines[1].startswith(f"device: {session.device} (") and lines[1].endswith("seed 3")
    assert lines[2].startswith("mode:   offline (QUICKTOUR_MODE=offline)")
    assert lines[3] == "set:    HF_DATASETS_OFFLINE=1 HF_EVALUATE_OFFLINE=1 HF_HUB_OFFLINE=1", lines[3]
    assert set(versions()) == {"torch", "transformers", "datasets", "evaluate", "accelerate"}


def test_envcheck_reports_ok_and_fail():
    results = check_requirements(["# comment", "", "pytest>=1", "pytest<1", "surely-not-installed-pkg>=1"])
    assert [ok for ok, _ in results] == [True, False, False]
    assert "not installed" in results[2][1]


def test_importing_helpers_leaves_the_hub_client_unimported():
    # huggingface_hub reads HF_HUB_OFFLINE once, at import: helpers.setup() must be able to set it first.
    import subprocess
    import sys

    code = "import sys, helpers; print(sorted(m for m in ('huggingface_hub', 'transformers', 'datasets', 'evaluate') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_spread_is_the_median_with_its_range():
    s = spread([3.0, 1.0, 2.0, 10.0])
    assert (s.median, s.low, s.high, s.count) == (2.5, 1.0, 10.0, 4)
    assert s.relative == pytest.approx(4.5 / 2.5)
    assert "4 runs" in str(s)


@pytest.mark.parametrize("values", [[], [1.0, float("nan")], [float("inf")], ["1"]])
def test_spread_refuses_no_values_or_a_failed_run(values):
    with pytest.raises(ValueError):
        spread(values)


def test_measure_repeated_runs_each_time():
    calls = []
    timings = measure_repeated(lambda: calls.append(1), n=2, label="x", repeats=3)
    assert len(timings) == 3 and len(calls) == 3 and all(t.label == "x" for t in timings)
    with pytest.raises(ValueError, match="repeats"):
        measure_repeated(lambda: None, n=1, repeats=0)


def test_in_bfloat16_is_temporary_and_gives_the_weights_back_exactly():
    import torch

    from helpers.device import in_bfloat16

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
    assert all(torch.equal(block.state_dict()[k], v) and block.state_dict()[k].dtype == v.dtype for k, v in weights.items())
    assert torch.equal(block(x), exact)  # no hooks left behind
    with pytest.raises(TypeError, match="torch.nn.Module"):
        with in_bfloat16("encoder"):
            pass


def test_in_bfloat16_takes_several_modules_and_refuses_overlaps():
    import torch

    from helpers.device import in_bfloat16

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

    from helpers.device import in_bfloat16

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

    from helpers.device import in_bfloat16

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

    from helpers.device import decoder_layers

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


def test_check_says_not_yet_to_an_array_or_tensor_answer():
    import numpy as np
    import torch

    for answer in (np.array([1, 2]), torch.tensor([1, 2]), torch.tensor(4)):
        with pytest.raises(AssertionError, match=r"not yet.*Hint: a list of ints"):  # never a TypeError
            check("exercise 1", answer, lambda a: a == [1, 2] if a.ndim else a == 4, "a list of ints")
    with pytest.raises(AssertionError, match=r"not yet \(the answer is a numpy.ndarray, which the check compares"):
        check("exercise 1", np.array([1, 2]), lambda a: a == [1, 2], "a list of ints")
