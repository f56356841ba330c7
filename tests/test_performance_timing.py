"""Tests of ``performance.timing``: speed-ups between two timings (also of timings too short to compare), the
spread of repeated runs, and ``measure_repeated``."""

from __future__ import annotations

import pytest

from helpers.timing import Timing
from performance.timing import measure_repeated, speedup, spread


def test_speedup_ratio():
    slow, fast = Timing("single", 10, 2.0), Timing("batched", 10, 0.5)
    assert "×4.00" in speedup(slow, fast)
    assert "the examples per second" in speedup(slow, fast)


def test_speedup_names_the_unit_counted():
    slow, fast = Timing("without the cache", 64, 0.4), Timing("with the cache", 64, 0.1)
    line = speedup(slow, fast, unit="tokens")
    assert "×4.00 the tokens per second" in line and "examples" not in line


def test_speedup_of_zero_timings_says_they_were_too_short():
    from helpers.timing import Timing
    from performance.timing import speedup

    line = speedup(Timing("one at a time", 8, 0.0), Timing("batched", 8, 0.0))
    assert "nan" not in line and "inf" not in line and "too short" in line
    line = speedup(Timing("one at a time", 8, 1.0), Timing("batched", 8, 0.0))  # one side zero: no ×inf either
    assert "nan" not in line and "inf" not in line and "too short" in line


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
