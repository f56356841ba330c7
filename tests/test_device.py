"""Tests of ``helpers.device``: seeds, the device and its mixed precision (also under torchrun), and whether
bfloat16 pays on this CPU (its units, a measured matrix-product ratio, the ``QUICKTOUR_CPU_BF16`` switch).
``_cpu_with`` is shared with test_bfloat16.py."""

from __future__ import annotations

import pytest

from helpers.device import fix_seeds, local_gpu, mixed_precision, pick_device


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


@pytest.mark.parametrize(
    "local_rank, count, expected", [(None, 1, 0), ("0", 4, 0), ("3", 4, 3), ("5", 4, 1), ("-1", 2, 0), ("", 2, 0)]
)
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


def test_cpu_bf16_can_be_switched_off(monkeypatch):
    from helpers.device import cpu_bf16

    monkeypatch.setenv("QUICKTOUR_CPU_BF16", "0")
    assert cpu_bf16() == (False, "QUICKTOUR_CPU_BF16=0 turns it off")
    monkeypatch.delenv("QUICKTOUR_CPU_BF16")
    from helpers.device import MIN_BF16_SPEEDUP, bf16_matmul_speedup, bf16_units

    native, why = cpu_bf16()  # unset: this machine's own verdict, by its units and its measured ratio
    assert native is (bool(bf16_units()) and bf16_matmul_speedup() >= MIN_BF16_SPEEDUP), why
    assert ("does not pay" in why) is not native


def _cpu_with(monkeypatch, amx: bool, avx512_bf16: bool, speedup: float | None = None):
    """Pretend this CPU has the given bfloat16 units and measures ``speedup``."""
    import torch

    import helpers.device

    monkeypatch.delenv("QUICKTOUR_CPU_BF16", raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)

    def measured(repeats: int = 5) -> float:
        if speedup is None:
            raise AssertionError("a CPU without bfloat16 units must not be measured")
        return speedup

    monkeypatch.setattr(helpers.device, "bf16_matmul_speedup", measured)


def test_cpu_bf16_measures_instead_of_trusting_the_units(monkeypatch):
    from helpers.device import cpu_bf16

    _cpu_with(monkeypatch, amx=False, avx512_bf16=True, speedup=0.66)  # seen on this project's machine
    native, why = cpu_bf16()
    assert native is False
    assert why == ("bfloat16 does not pay on this CPU (AVX512-BF16; a matrix product measured ×0.66 the speed "
                   "of float32, ×1.2 needed)")
    _cpu_with(monkeypatch, amx=False, avx512_bf16=True, speedup=1.17)  # rounds to 1.2 at one decimal: not enough
    assert cpu_bf16()[0] is False and "×1.17 the speed" in cpu_bf16()[1]
    _cpu_with(monkeypatch, amx=True, avx512_bf16=True, speedup=3.4)
    native, why = cpu_bf16()
    assert native is True and why.startswith("bfloat16 pays on this CPU (AMX and AVX512-BF16; ")
    _cpu_with(monkeypatch, amx=False, avx512_bf16=False)
    assert cpu_bf16()[0] is False
    assert "emulated" in cpu_bf16()[1]


def test_cpu_bf16_can_be_forced_on_with_or_without_units(monkeypatch):
    from helpers.device import cpu_bf16

    _cpu_with(monkeypatch, amx=False, avx512_bf16=True, speedup=0.5)
    monkeypatch.setenv("QUICKTOUR_CPU_BF16", "1")
    assert cpu_bf16() == (True, "QUICKTOUR_CPU_BF16=1 turns it on (AVX512-BF16)")
    _cpu_with(monkeypatch, amx=False, avx512_bf16=False)  # another machine's branch, emulated here
    monkeypatch.setenv("QUICKTOUR_CPU_BF16", "1")
    assert cpu_bf16() == (True, "QUICKTOUR_CPU_BF16=1 turns it on (no bfloat16 units: emulated)")


def test_bf16_matmul_speedup_is_a_measured_positive_ratio(monkeypatch):
    import time

    import torch

    import helpers.device

    monkeypatch.setattr(helpers.device, "_measured", {})  # a fresh cache, the module's own one restored afterwards
    # A scripted clock: float32 products take 3 s then 2 s, bfloat16 ones 1 s then 1.5 s: the best of each, 2 / 1.
    ticks = iter([0.0, 3.0, 10.0, 12.0, 20.0, 21.0, 30.0, 31.5])
    with monkeypatch.context() as clock:
        clock.setattr(time, "perf_counter", lambda: next(ticks))
        ratio = helpers.device.bf16_matmul_speedup(repeats=2)
    assert ratio == 2.0
    assert helpers.device.bf16_matmul_speedup(repeats=2) == ratio  # measured once per process
    assert set(helpers.device._measured) == {(torch.get_num_threads(), 2)}
    with pytest.raises(ValueError, match="positive int"):
        helpers.device.bf16_matmul_speedup(repeats=0)


def test_bf16_units_names_what_torch_reports(monkeypatch):
    import torch

    from helpers.device import bf16_units

    for amx, avx, words in ((True, True, "AMX and AVX512-BF16"), (False, True, "AVX512-BF16"), (False, False, "")):
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda amx=amx: amx)
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda avx=avx: avx)
        assert bf16_units() == words


def test_training_precision_follows_the_device(monkeypatch):
    import helpers.device
    from helpers.device import training_precision

    monkeypatch.setattr(helpers.device, "cpu_bf16", lambda: (True, "units that pay"))
    assert training_precision("cpu") == ("bf16", "units that pay")
    monkeypatch.setattr(helpers.device, "cpu_bf16", lambda: (False, "no units"))
    assert training_precision("cpu") == (None, "no units")
    assert training_precision("mps") == (None, "float32 on mps")
    for native in ("bf16", "fp16"):
        monkeypatch.setattr(helpers.device, "mixed_precision", lambda device, native=native: native)
        mode, why = training_precision("cuda")
        assert mode == native and f"{native} autocast" in why and "weights stay float32" in why
