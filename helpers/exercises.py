"""``check``: the checking cell after each exercise (used by every notebook).

A check passes quietly with one line, or fails with an AssertionError that carries a hint,
so a learner knows what to look at next.
"""

from __future__ import annotations


def check(name: str, passed: bool, hint: str) -> None:
    """Print that exercise ``name`` passed, or raise AssertionError with ``hint``."""
    if not isinstance(passed, bool):
        raise TypeError(f"check() wants a True/False answer for {name!r}, got {type(passed).__name__}")
    if not passed:
        raise AssertionError(f"{name}: not yet. Hint: {hint}")
    print(f"✔ {name}: correct")
