"""Tests of ``instructor_tools.kit.parts``: the kit's training profile keeps the classifier in float32 on any
machine."""

from __future__ import annotations


def test_the_kit_trains_in_float32_everywhere(monkeypatch):
    from instructor_tools.kit.parts import KIT_PROFILE
    from performance.profiles import training_precision

    monkeypatch.setenv("QUICKTOUR_CPU_BF16", "1")  # even where bfloat16 would be used
    assert training_precision(KIT_PROFILE, "cpu")[0] is None
