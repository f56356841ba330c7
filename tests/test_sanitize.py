"""The nbval sanitizers in tests/sanitize.cfg: each hides only what varies between runs or machines."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

CONFIG = Path(__file__).with_name("sanitize.cfg")


def sanitize(text: str) -> str:
    """``text`` as nbval compares it: sanitize.cfg read by nbval's own parser, each regex applied in order."""
    from nbval.plugin import get_sanitize_patterns

    for regex, replace in get_sanitize_patterns(CONFIG.read_text(encoding="utf-8")):
        text = re.sub(regex, replace, text)
    return text


def test_the_bf16_verdict_of_either_kind_of_cpu_compares_equal(monkeypatch):
    import torch

    import helpers.device
    from performance.profiles import CPU_FAST, training_precision

    monkeypatch.delenv("QUICKTOUR_CPU_BF16", raising=False)
    lines = []
    for amx, ratio in ((True, 3.4), (False, 0.66)):
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda amx=amx: amx)
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
        monkeypatch.setattr(helpers.device, "bf16_matmul_speedup", lambda repeats=5, ratio=ratio: ratio)
        precision, why = training_precision(CPU_FAST, "cpu")
        lines.append(f"mixed precision: {precision or 'off (float32)'}: {why}\n")
    assert lines[0] != lines[1]
    assert sanitize(lines[0]) == sanitize(lines[1])
    assert "mixed precision" not in sanitize(lines[0])  # the whole verdict, and nothing after the line
    assert sanitize(lines[0] + "epoch 1: accuracy 0.815") == sanitize(lines[1] + "epoch 1: accuracy 0.815")
    assert sanitize(lines[0] + "epoch 1: accuracy 0.815") != sanitize(lines[1] + "epoch 1: accuracy 0.795")


def test_bf16_forced_on_compares_equal_to_a_measured_verdict(monkeypatch):
    import torch

    import helpers.device
    from performance.profiles import CPU_FAST, training_precision

    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    monkeypatch.setattr(helpers.device, "bf16_matmul_speedup", lambda repeats=5: 0.54)
    lines = []
    for forced in (None, "1"):
        if forced:
            monkeypatch.setenv("QUICKTOUR_CPU_BF16", forced)
        else:
            monkeypatch.delenv("QUICKTOUR_CPU_BF16", raising=False)
        precision, why = training_precision(CPU_FAST, "cpu")
        lines.append(f"mixed precision: {precision or 'off (float32)'}: {why}\n")
        lines.append(why + "\n")  # notebook 01 prints the verdict alone
    assert "QUICKTOUR_CPU_BF16=1 turns it on" in lines[2], lines
    assert sanitize(lines[0]) == sanitize(lines[2]) and sanitize(lines[1]) == sanitize(lines[3]), lines
    # turning it off stays visible: notebook 06 pins its script run to float32 and says so
    assert "QUICKTOUR_CPU_BF16=0" in sanitize("mixed precision: off (float32): QUICKTOUR_CPU_BF16=0 turns it off")


@pytest.mark.parametrize(
    ("stored", "fresh"),
    [("label: NEGATIVE, with score: 0.681", "label: NEGATIVE, with score: 0.6812"),
     ("{'loss': '0.6559', 'grad_norm': '0.512'}", "{'loss': '0.6561', 'grad_norm': '0.5116'}"),
     ("214 optimizer steps, mean training loss over the run 0.458", "214 optimizer steps, mean training loss over the run 0.4585"),
     ("epoch 1: validation loss 0.408, accuracy 0.815, f1 0.814", "epoch 1: validation loss 0.4077, accuracy 0.8148, f1 0.8139"),
     ("853 test sentences: accuracy 0.830 ± 0.013", "853 test sentences: accuracy 0.8301 ± 0.013"),
     ("likely (95%) between 0.804 and 0.856", "likely (95%) between 0.8043 and 0.8567")],
)
def test_float_noise_keeps_two_decimals_where_the_kernels_move_the_third(stored, fresh):
    assert sanitize(stored) == sanitize(fresh)


@pytest.mark.parametrize(
    ("stored", "fresh"),
    [("'score': 0.50", "'score': 0.51"), ("accuracy 0.815", "accuracy 0.825"), ("'label': 'NEGATIVE'", "'label': 'POSITIVE'"),
     ("WER 0.082", "WER 0.089"), ("learning rate 0.001", "learning rate 0.005"), ("difference: 0.023", "difference: 0.029"),
     ("out accuracy 0.830", "out accuracy 0.839"), ("validation accuracy 0.703", "validation accuracy 0.709"),
     ("epoch 1: validation loss 0.408, accuracy 0.815", "epoch 1: validation loss 0.408, accuracy 0.825"),
     ("214 optimizer steps", "215 optimizer steps"),],
)
def test_real_differences_still_fail(stored, fresh):
    assert sanitize(stored) != sanitize(fresh)


@pytest.mark.parametrize(
    ("stored", "fresh"),
    [("wrote /root/.cache/huggingface/quicktour-kit/v8/sentiment", "wrote /tmp/ci/main/.kit/v8/sentiment"),
     ("PosixPath('/root/.cache/quicktour-kit/v8')", "PosixPath('/home/ana/kit/v8')"),
     ("  warnings.warn( /work/main/.venv/lib/python3.11/site-packages/x.py:3",
      "  warnings.warn( /tmp/ci/main/.venv/lib/python3.11/site-packages/x.py:3"),
     ("/root/.cache/huggingface/quicktour-kit/v8/whisper: 24 clips", "/tmp/ci/main/.kit/v8/whisper: 24 clips"),
     ("model=/root/.cache/kit/v8/sentiment", "model=/home/ana/kit/v8/sentiment"),
     ("file:///root/.cache/kit/v8/speech", "file:///tmp/ci/main/.kit/v8/speech"),
     ("('/root/.cache/kit/v8', 3)", "('/home/ana/kit/v8', 3)"),
     ('<a href="/root/.cache/kit/v8">the kit</a>', '<a href="/home/ana/kit/v8">the kit</a>'),
     ("File /work/main/.venv/lib/python3.11/site-packages/torch/nn/modules/module.py:1782, in _call_impl",
      "File /usr/lib/python3/site-packages/torch/nn/modules/module.py:1782, in _call_impl")],
)
def test_paths_of_this_machine_compare_equal(stored, fresh):
    assert sanitize(stored) == sanitize(fresh)


def test_a_base64_audio_player_is_sanitized_in_linear_time():
    """Notebook 01's audio player is ~105 kB of base64 with a '/' every ~64 characters: the path rules once
    tried a match from each of them and took 3 s each on it (12 s of nbval's time for one cell)."""
    import base64
    import random

    blob = base64.b64encode(random.Random(0).randbytes(80_000)).decode()
    player = f'<audio controls="controls"><source src="data:audio/wav;base64,{blob}" type="audio/wav" /></audio>'
    assert player.count("/") > 1000
    sanitize("")  # imports nbval and compiles the rules outside the clock
    start = time.perf_counter()
    assert sanitize(player) == player  # nothing in it varies between runs
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("markup", [",/a" * 20_000, "</b>" * 10_000])
def test_markup_without_spaces_is_sanitized_in_linear_time(markup):
    sanitize("")
    start = time.perf_counter()
    sanitize(markup)
    assert time.perf_counter() - start < 0.5


def test_a_hardware_branch_prints_lines_that_compare_equal_to_the_other_branchs():
    measured = ("bfloat16 · timing: 2 beams, encoder and decoder layers in bfloat16: 227.08 ms/example (8 examples in "
                "1.82 s), real-time factor: 0.07, WER 0.082\n"
                "bfloat16 · speed-up: 2 beams, encoder and decoder layers in bfloat16 handles ×2.35 the examples per "
                "second of one clip at a time\n"
                "bfloat16 · verdict: bfloat16 pays on this CPU (AMX; a matrix product measured ×6.51 the speed of "
                "float32, ×1.2 needed)\n"
                "16-bit compute · group_by_length: float32 279.2 ms per step, bf16 171.5 ms per step\n")
    skipped = ("bfloat16 · timing: not measured (this CPU has no bfloat16 units (AMX or AVX512-BF16): it would only "
               "emulate bfloat16)\n"
               "bfloat16 · speed-up: not measured\n"
               "bfloat16 · verdict: bfloat16 does not pay on this CPU (no AMX or AVX512-BF16 units: it would be "
               "emulated)\n"
               "16-bit compute · group_by_length: not measured (this CPU has no bfloat16 units)\n")
    assert sanitize(measured) == sanitize(skipped)
    # the labels and the number of lines still count: a missing line or another label is a difference
    assert sanitize(measured) != sanitize(skipped.replace("bfloat16 · speed-up: not measured\n", ""))
    assert sanitize(measured) != sanitize(skipped.replace("· verdict:", "· pays:"))
    # and only lines that start with such a label are masked
    assert sanitize("WER 0.082 · timing: 1") != sanitize("WER 0.095 · timing: 1")


def test_sampled_text_is_masked_but_the_checks_beside_it_are_not():
    here = "seed 0:  a movie that makes you've had on the movie's ticked .\nseed 0 again, same tokens: True\n"
    there = "seed 0:  a movie that makes you've had .\nseed 0 again, same tokens: True\n"
    assert sanitize(here) == sanitize(there)
    assert sanitize(here) != sanitize(there.replace("True", "False"))
    assert sanitize("assistant: the best thing") == sanitize("assistant: a film")
    assert sanitize("     user: Write a positive movie review.") != sanitize("     user: Write a negative movie review.")
    assert sanitize("temperature 0.5: ' a' 0.80") == sanitize("temperature 0.5: ' the' 0.71")
    assert sanitize("temperature 0.5: ' a' 0.80") != sanitize("temperature 1.5: ' a' 0.80")
