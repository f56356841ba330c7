"""Tests of ``helpers.timing``: ``measure`` times a call per example, keeps its result, and refuses bad counts."""

from __future__ import annotations

import pytest

from helpers.timing import measure


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
