"""Comparing timings and repeating them (the deep dives and ``make bench``); one timing is ``helpers.timing.measure``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from helpers.timing import Timing, measure


def speedup(slow: Timing, fast: Timing, unit: str = "examples") -> str:
    """One line comparing two timings: how many times more examples per second ``fast`` handles.

    ``unit`` names what the timings counted (``n``), e.g. ``"tokens"`` for text generation.

    A timing of zero seconds (too fast for the clock) cannot be compared: the line says so
    instead of printing a meaningless ratio.
    """
    too_short = [t for t in (slow, fast) if not t.seconds > 0]
    if too_short:
        took = ", ".join(f"{t.label} {t.seconds:.2f} s" for t in (slow, fast))
        return (
            f"cannot compare {fast.label} with {slow.label}: the timings were too short to measure ({took}); "
            "time more examples"
        )
    ratio = fast.examples_per_second / slow.examples_per_second
    return f"{fast.label} handles ×{ratio:.2f} the {unit} per second of {slow.label}"


@dataclass(frozen=True)
class Spread:
    """The median of repeated measurements and how far they strayed from it (``make bench``)."""

    median: float
    low: float
    high: float
    count: int

    @property
    def relative(self) -> float:
        """Half the range as a fraction of the median: 0.05 means the runs spread ±5%."""
        return (self.high - self.low) / 2 / self.median if self.median else float("inf")

    def __str__(self) -> str:
        return f"{self.median:.3g} ({self.low:.3g}–{self.high:.3g}, {self.count} runs)"


def spread(values: Sequence[float]) -> Spread:
    """Median, lowest and highest of repeated measurements. Raises ValueError for no values or a
    value that is not a finite number (a failed run must not become a fast one)."""
    numbers = list(values)
    if not numbers:
        raise ValueError("spread() needs at least one measurement")
    bad = [v for v in numbers if not isinstance(v, (int, float)) or v != v or v in (float("inf"), float("-inf"))]
    if bad:
        raise ValueError(f"spread() got values that are not finite numbers: {bad!r}")
    return Spread(median=statistics.median(numbers), low=min(numbers), high=max(numbers), count=len(numbers))


def measure_repeated(run: Callable[[], Any], n: int, label: str = "run", repeats: int = 3) -> list[Timing]:
    """``measure(run, n, label)`` ``repeats`` times (at least 1); the caller takes the spread of what it needs."""
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a whole number >= 1, got {repeats!r}")
    return [measure(run, n, label) for _ in range(repeats)]
