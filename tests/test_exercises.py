"""The exercises: stubs in the lessons, solutions apart, and checks that can fail (``helpers.exercises``).

Every check is also run on a plausible wrong answer inside ``helpers.refused`` in the solutions
notebooks, which nbval executes: a check that accepts the mistake fails the suite there. The tests of
``helpers.check`` and ``helpers.refused`` themselves, under good and bad answers, are at the end.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

from helpers import check

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("make_solutions", ROOT / "scripts" / "make_solutions.py")
make_solutions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_solutions)

LESSONS = make_solutions.lessons()


def test_every_numbered_lesson_has_exercises_and_answers():
    numbered = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert LESSONS == numbered, "a lesson without notebooks/solutions/answers/<lesson>.py"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_solutions_notebook_is_generated_from_the_lesson(lesson):
    stored = nbformat.read(make_solutions.target(lesson), as_version=4)
    fresh = make_solutions.solutions_notebook(lesson)
    assert [(c.cell_type, c.source) for c in stored.cells] == [(c.cell_type, c.source) for c in fresh.cells], (
        "the solutions notebook drifted from its lesson: run `make solutions` (then `make refresh`)"
    )


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_no_solution_appears_in_the_lesson(lesson):
    nb = nbformat.read(lesson, as_version=4)
    lesson_code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    asked = make_solutions.exercises(nb)
    answers = make_solutions.read_answers(make_solutions.ANSWERS / f"{lesson.stem}.py")
    for number, parts in asked.items():
        assert len(make_solutions.STUB_LINE.findall(parts["stub"])) == 1, f"exercise {number}: no `answer = ...` stub"
        given = {line.strip() for line in parts["stub"].splitlines()}
        variable = make_solutions.STUB_LINE.search(parts["stub"]).group(0).split(" = ")[0]
        solution = [line.strip() for line in answers[number]["solution"].splitlines()]
        new = [line for line in solution if line and not line.startswith("#") and line not in given]
        assert new, f"exercise {number}: the solution adds nothing to the stub"
        # the line that computes the answer appears nowhere in the lesson: an assignment, or for an answer that is a
        # function, its def and return lines
        defined = any(line.startswith(f"def {variable}(") for line in new)
        key = [line for line in new
               if line.startswith(f"{variable} =") or (defined and line.startswith((f"def {variable}(", "return ")))]
        assert key, f"exercise {number}: the solution never assigns {variable}"
        shown = [line for line in key if line in lesson_code]
        assert not shown, f"{lesson.name}, exercise {number}: the solution appears in the lesson: {shown}"
        # nor does the whole solution, in any one cell
        for cell in nb.cells:
            assert not all(line in cell.source for line in new), (
                f"{lesson.name}, exercise {number}: a cell holds the whole solution"
            )
        assert answers[number]["mistake"].strip() != answers[number]["solution"].strip()


def test_the_stub_line_is_replaced_by_the_answer():
    stub = 'words = ["a"]\nsplit_words = ...  # your code: a set of words'
    assert make_solutions.with_answer(stub, "split_words = set()") == 'words = ["a"]\nsplit_words = set()'
    with pytest.raises(ValueError, match="exactly one"):
        make_solutions.with_answer("x = 1", "x = 2")


# ---------------------------------------------------------------------------------------------
# helpers.check and helpers.refused (helpers/exercises.py)


def test_check_passes_and_fails_with_the_hint(capsys):
    check("exercise 1", 4, lambda a: a == 4, "unused")
    assert "exercise 1: correct" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="Hint: look again"):
        check("exercise 2", 5, lambda a: a == 4, "look again")
    with pytest.raises(TypeError, match="must give True or False"):
        check("exercise 3", 4, lambda a: "yes", "answers are True/False")


def test_check_on_the_stub_says_not_attempted(capsys):
    check("exercise 1", ..., lambda a: a == 4, "unused")  # the stub: answer = ...
    assert "not attempted yet" in capsys.readouterr().out


def test_check_turns_an_error_in_the_test_into_the_hint():
    with pytest.raises(AssertionError, match=r"not yet \(KeyError: 'label'\). Hint: use the label key"):
        check("exercise 1", {}, lambda a: a["label"] == "x", "use the label key")


def test_refused_passes_only_when_the_check_refuses(capsys):
    from helpers import refused

    with refused("exercise 1"):
        check("exercise 1", 5, lambda a: a == 4, "look again")
    assert "refused, as it should be" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="accepted a plausible wrong answer"):
        with refused("exercise 1"):
            check("exercise 1", 4, lambda a: a == 4, "look again")
    with pytest.raises(KeyError):  # a mistake that crashes is a broken mistake, not a refusal
        with refused("exercise 1"):
            {}["x"]


def test_check_says_not_yet_to_an_array_or_tensor_answer():
    import numpy as np
    import torch

    for answer in (np.array([1, 2]), torch.tensor([1, 2]), torch.tensor(4)):
        with pytest.raises(AssertionError, match=r"not yet.*Hint: a list of ints"):  # never a TypeError
            check("exercise 1", answer, lambda a: a == [1, 2] if a.ndim else a == 4, "a list of ints")
    with pytest.raises(AssertionError, match=r"not yet \(the answer is a numpy.ndarray, which the check compares"):
        check("exercise 1", np.array([1, 2]), lambda a: a == [1, 2], "a list of ints")


def test_check_accepts_numpy_bools_and_names_other_types(capsys):
    import numpy as np

    from helpers import check

    check("numpy comparison", np.arange(3), lambda a: a[2] == 2, "unused")
    assert "correct" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="Hint"):
        check("numpy comparison", np.float32(1.0), lambda a: a > 2, "look again")
    # an array answer compared element by element is the learner's to fix (issue 31): "not yet" and the hint
    with pytest.raises(AssertionError, match=r"not yet \(the answer is a numpy\.ndarray.*Hint: one number"):
        check("array", np.arange(3), lambda a: a == 2, "one number")
    with pytest.raises(TypeError, match="got str"):
        check("text", "yes", lambda a: a, "unused")
