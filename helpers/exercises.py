"""``check``: the checking cell after each exercise (used by every notebook).

A check passes quietly with one line, or fails with an AssertionError that carries a hint,
so a learner knows what to look at next.
"""

from __future__ import annotations

import sys
from typing import Any


def _as_bool(passed: Any) -> bool | None:
    """``passed`` as a bool when it is one: Python's, or NumPy's (what ``array == value`` gives)."""
    if isinstance(passed, bool):
        return passed
    numpy = sys.modules.get("numpy")  # a numpy.bool_ means numpy is imported already
    if numpy is not None and isinstance(passed, numpy.bool_):
        return bool(passed)
    return None


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def check(name: str, passed: bool, hint: str) -> None:
    """Print that exercise ``name`` passed, or raise AssertionError with ``hint``.

    ``passed`` is True or False (a NumPy bool, as from ``array[0] == 3``, counts too).
    """
    answer = _as_bool(passed)
    if answer is None:
        extra = ""
        if hasattr(passed, "shape") and hasattr(passed, "all"):
            extra = " (an array of answers: use .all() or .any() to get one)"
        raise TypeError(f"check() wants a True/False answer for {name!r}, got {_type_name(passed)}{extra}")
    if not answer:
        raise AssertionError(f"{name}: not yet. Hint: {hint}")
    print(f"✔ {name}: correct")
