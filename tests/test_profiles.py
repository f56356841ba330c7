"""Tests of ``performance.profiles``: the quicktour's own recipe, the CPU profile's head-first phase, and the mixed
precision each profile trains in."""

from __future__ import annotations

from performance.profiles import CPU_FAST, QUICKTOUR


def test_quicktour_profile_is_the_quicktour_recipe():
    assert (QUICKTOUR.learning_rate, QUICKTOUR.batch_size, QUICKTOUR.epochs) == (2e-5, 8, 2)
    assert QUICKTOUR.max_length is None


def test_only_the_cpu_profile_trains_the_head_first():
    assert QUICKTOUR.head_first_rows == 0  # the quicktour's recipe, unchanged
    assert CPU_FAST.head_first_rows > 0 and CPU_FAST.head_first_lr > CPU_FAST.learning_rate


def test_training_precision_follows_device_profile_and_cpu(monkeypatch):
    import helpers.device
    from performance.profiles import training_precision

    monkeypatch.setattr(helpers.device, "cpu_bf16", lambda: (True, "units"))
    assert training_precision(CPU_FAST, "cpu") == ("bf16", "units")
    assert training_precision(QUICKTOUR, "cpu")[0] is None  # the quicktour recipe stays float32 on a CPU
    assert training_precision(CPU_FAST, "mps")[0] is None
    monkeypatch.setattr(helpers.device, "cpu_bf16", lambda: (False, "no units"))
    assert training_precision(CPU_FAST, "cpu") == (None, "no units")
    monkeypatch.setattr(helpers.device, "mixed_precision", lambda device: "fp16")
    assert training_precision(QUICKTOUR, "cuda")[0] == "fp16"
