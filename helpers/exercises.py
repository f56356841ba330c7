"""Exercises: ``check`` (the checking cell after each exercise in every lesson) and ``refused``
(the solutions notebooks' proof that each check rejects a plausible wrong answer).

A lesson's exercise is a prompt, a stub cell (``answer = ...  # your code``) and a checking cell::

    helpers.check("exercise 1", all_scores, lambda a: <is a right?>, "a hint")

On the untouched stub (``...``) the check says "not attempted yet" and the lesson runs on; on a
right answer it prints one line; on a wrong one it raises AssertionError with the hint. The
solutions live in ``notebooks/solutions/`` (written by ``scripts/make_solutions.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def check(name: str, answer: Any, test: Callable[[Any], Any], hint: str) -> None:
    """Check the learner's ``answer`` to exercise ``name`` with ``test(answer)``.

    - ``answer`` is ``...`` (the stub, untouched): print "not attempted yet" and return;
    - ``test(answer)`` is true (a NumPy bool counts): print that it is correct;
    - it is false, or raises (a wrong type, a missing key), or gives an array of verdicts (an array or tensor
      answer where the check compares one value): AssertionError with ``hint``.

    Otherwise ``test`` must return True or False: anything else is a bug in the check (TypeError).
    """
    if answer is Ellipsis:
        print(f"… {name}: not attempted yet. Replace the ... in the cell above with your code, then run this cell.")
        return
    try:
        verdict = test(answer)
    except Exception as exc:  # noqa: BLE001 (a wrong answer may fail in any way; the hint says what to do)
        raise AssertionError(f"{name}: not yet ({type(exc).__name__}: {exc}). Hint: {hint}") from None
    passed = _as_bool(verdict)
    if passed is None and hasattr(verdict, "shape") and hasattr(verdict, "all"):
        # an array or tensor answer compared element by element where the check wants one value: the answer's
        # type is what is wrong, so the learner gets "not yet" and the hint, not an error of the check
        raise AssertionError(f"{name}: not yet (the answer is a {_type_name(answer)}, which the check compares "
                             f"element by element: is it the kind of value the exercise asks for?). Hint: {hint}")
    if passed is None:
        raise TypeError(f"the check of {name!r} must give True or False, got {_type_name(verdict)}")
    if not passed:
        raise AssertionError(f"{name}: not yet. Hint: {hint}")
    print(f"✔ {name}: correct")


@contextmanager
def refused(name: str) -> Iterator[None]:
    """Run a plausible wrong answer and its check; pass only if the check refuses it.

    Used by the solutions notebooks, so that a check that cannot fail fails the test suite.
    """
    try:
        yield
    except AssertionError as exc:
        print(f"✘ refused, as it should be: {exc}")
        return
    raise AssertionError(f"the check of {name} accepted a plausible wrong answer: it cannot catch that mistake")
