"""The exercises: stubs in the lessons, solutions apart, and checks that can fail.

Every check is also run on a plausible wrong answer inside ``helpers.refused`` in the solutions
notebooks, which nbval executes: a check that accepts the mistake fails the suite there.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

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
