"""Timing a call per example (notebook 01: batched vs one-at-a-time pipelines; notebook 07: tokens per second
of greedy decoding with and without the KV cache). Comparisons and repeated timings: ``performance.timing``.

The notebook keeps the pipeline call in view::

    single = measure(lambda: [classifier(t) for t in texts], n=len(texts), label="one at a time")

Timings vary from run to run; their printed form is fixed so that tests/sanitize.cfg can mask
the numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """How long ``n`` examples took."""

    label: str
    n: int
    seconds: float
    result: Any = None

    @property
    def ms_per_example(self) -> float:
        return 1000.0 * self.seconds / self.n

    @property
    def examples_per_second(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else float("inf")

    def __str__(self) -> str:
        return f"{self.label}: {self.ms_per_example:.2f} ms/example ({self.n} examples in {self.seconds:.2f} s)"


def measure(run: Callable[[], Any], n: int, label: str = "run") -> Timing:
    """Call ``run()`` once and time it; ``n`` is how many examples it handles (must be > 0).

    The returned Timing keeps ``run()``'s result in ``.result``.
    """
    if not callable(run):
        raise TypeError(f"measure() wants a function to call, not {type(run).__name__}")
    if not isinstance(n, int) or n <= 0:
        raise ValueError(f"measure() needs the number of examples (> 0), got {n!r}: is the batch empty?")
    start = time.perf_counter()
    result = run()
    return Timing(label=label, n=n, seconds=time.perf_counter() - start, result=result)
