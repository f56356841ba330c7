"""Write each lesson's solutions notebook from the lesson and its answers file (``make solutions``).

A lesson (``notebooks/NN_name.ipynb``) marks its cells in their metadata, under ``quicktour``:

- ``{"role": "setup"}``: a cell the exercises need (the set-up, the model, the data);
- ``{"role": "prompt" | "stub" | "check", "exercise": N}``: exercise N's question, the learner's cell
  (with exactly one ``answer = ...  # your code`` line) and the checking cell.

``notebooks/solutions/answers/NN_name.py`` holds, for each exercise, a solution (the whole cell) and a plausible
mistake (what a learner might write in place of the ``answer = ...`` line)::

    # %% exercise 1 solution
    all_scores = classifier(sentence, top_k=None)
    # %% exercise 1 mistake
    all_scores = classifier(sentence)

The solutions notebook (``notebooks/solutions/NN_name_solutions.ipynb``) holds only the set-up cells,
then per exercise: the question, the mistake run through the check inside ``helpers.refused`` (so a
check that cannot fail fails the suite), the solution and the check. Regenerating it from the same
lesson and answers gives the same cells, which tests/test_exercises.py checks, so the two never drift.
Outputs come from ``make refresh``.
"""

from __future__ import annotations

import copy
import re
import sys
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
ANSWERS = SOLUTIONS / "answers"
BLOCK = re.compile(r"^# %% exercise (\d+) (solution|mistake)\s*$", re.MULTILINE)
STUB_LINE = re.compile(r"^\w+ = \.\.\.(  # .*)?$", re.MULTILINE)  # the line the learner replaces


def role(cell: nbformat.NotebookNode) -> dict:
    """The cell's ``quicktour`` metadata ({} for an ordinary cell)."""
    return dict(cell.get("metadata", {}).get("quicktour", {}))


def lessons() -> list[Path]:
    """Every lesson that has exercises."""
    return [path for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if (ANSWERS / f"{path.stem}.py").is_file()]


def read_answers(path: Path) -> dict[int, dict[str, str]]:
    """{exercise number: {"solution": code, "mistake": code}} from an answers file."""
    text = path.read_text(encoding="utf-8")
    parts = BLOCK.split(text)
    answers: dict[int, dict[str, str]] = {}
    for number, kind, code in zip(parts[1::3], parts[2::3], parts[3::3]):
        answers.setdefault(int(number), {})[kind] = code.strip("\n")
    return answers


def exercises(lesson: nbformat.NotebookNode) -> dict[int, dict[str, str]]:
    """{exercise number: {"prompt", "stub", "check": source}} from a lesson's marked cells."""
    found: dict[int, dict[str, str]] = {}
    for cell in lesson.cells:
        meta = role(cell)
        if meta.get("role") in ("prompt", "stub", "check"):
            found.setdefault(int(meta["exercise"]), {})[meta["role"]] = cell.source
    return found


def _title(lesson: nbformat.NotebookNode) -> str:
    first = lesson.cells[0].source.splitlines()[0]
    return first.lstrip("# ").strip()


def solutions_notebook(lesson_path: Path) -> nbformat.NotebookNode:
    """The solutions notebook for ``lesson_path`` (cells only, no outputs)."""
    lesson = nbformat.read(lesson_path, as_version=4)
    answers = read_answers(ANSWERS / f"{lesson_path.stem}.py")
    asked = exercises(lesson)
    if set(asked) != set(answers):
        raise ValueError(f"{lesson_path.name}: exercises {sorted(asked)} but answers for {sorted(answers)}")
    cells = [nbformat.v4.new_markdown_cell(
        f"# Solutions · {_title(lesson)}\n\n"
        f"[Back to the lesson](../{lesson_path.name})\n\n"
        "Try each exercise in the lesson first. Here, for each one: the question, a plausible mistake and what the "
        "check says about it, then a solution and its check. The set-up cells are the lesson's own, only those the "
        "exercises need.\n\n"
        f"*Written by `scripts/make_solutions.py` from the lesson and `answers/{lesson_path.stem}.py`: edit those, "
        "not this notebook.*"
    )]
    cells.append(nbformat.v4.new_markdown_cell("## Set-up (from the lesson)"))
    cells += [nbformat.v4.new_code_cell(cell.source) for cell in lesson.cells if role(cell).get("role") == "setup"]
    for number in sorted(asked):
        parts, answer = asked[number], answers[number]
        for needed in ("prompt", "stub", "check"):
            if needed not in parts:
                raise ValueError(f"{lesson_path.name}: exercise {number} has no {needed} cell")
        for needed in ("solution", "mistake"):
            if needed not in answer:
                raise ValueError(f"answers/{lesson_path.stem}.py: exercise {number} has no {needed}")
        cells.append(nbformat.v4.new_markdown_cell(parts["prompt"]))
        cells.append(nbformat.v4.new_markdown_cell("A plausible mistake: the check must refuse it."))
        body = textwrap.indent(with_answer(parts["stub"], answer["mistake"]) + "\n" + parts["check"], "    ")
        cells.append(nbformat.v4.new_code_cell(f'with helpers.refused("exercise {number}"):\n{body}'))
        cells.append(nbformat.v4.new_markdown_cell("A solution:"))
        cells.append(nbformat.v4.new_code_cell(answer["solution"]))
        cells.append(nbformat.v4.new_code_cell(parts["check"]))
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=lesson.metadata)
    return notebook


def with_answer(stub: str, code: str) -> str:
    """The learner's cell with its ``answer = ...`` line replaced by ``code``."""
    if len(STUB_LINE.findall(stub)) != 1:
        raise ValueError(f"a stub needs exactly one `answer = ...  # your code` line:\n{stub}")
    return STUB_LINE.sub(lambda _: code, stub)


def target(lesson_path: Path) -> Path:
    return SOLUTIONS / f"{lesson_path.stem}_solutions.ipynb"


def write(lesson_path: Path) -> Path:
    """Write the solutions notebook, keeping stored outputs of cells whose source did not change."""
    fresh = solutions_notebook(lesson_path)
    path = target(lesson_path)
    if path.is_file():
        old = nbformat.read(path, as_version=4)
        kept = {(c.cell_type, c.source): c for c in old.cells}
        fresh.cells = [copy.deepcopy(kept.get((c.cell_type, c.source), c)) for c in fresh.cells]
    for index, cell in enumerate(fresh.cells):
        cell["id"] = f"cell-{index:03d}"  # stable ids: regenerating changes nothing
    nbformat.write(fresh, path)
    return path


def main() -> int:
    SOLUTIONS.mkdir(exist_ok=True)
    for lesson_path in lessons():
        print(f"wrote {write(lesson_path).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
