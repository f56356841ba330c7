"""What the lessons say to a learner: nothing about how this repository is tested or where it was made.

Every lesson and solutions notebook, markdown and code, is scanned for the maintainers' words: test files, CI,
"this project's machines", what was or was not "checked here". (The one comment nbval itself reads,
``# NBVAL_IGNORE_OUTPUT``, is not a sentence to the learner and is left out.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (ROOT / "notebooks" / "solutions").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "extras").glob("*.ipynb"))
MAINTAINERS_WORDS = re.compile(
    r"\btests?/|\bCI\b|notebook_chrome|\bnbval\b|this project|project's machine|\b(?:tested|checked|measured) here\b"
    r"|(?:cannot|could not|can't) be (?:checked|tested)|\bnot (?:checked|tested|measured) (?:here|by)",
    re.IGNORECASE)
NBVAL_MARKER = "# NBVAL_IGNORE_OUTPUT"


def maintainers_words(text: str) -> list[str]:
    """The lines of ``text`` that speak about the repository's own testing or machines."""
    return [line.strip() for line in text.splitlines()
            if line.strip() != NBVAL_MARKER and MAINTAINERS_WORDS.search(line)]


def test_the_scan_finds_the_words_it_is_for() -> None:
    text = ("checked in `tests/test_generation.py`\nthis project's machines have no GPU\nNot tested here: GPUs\n"
            "the Hub's files cannot be checked from here\n# NBVAL_IGNORE_OUTPUT\nthis machine's answer\n")
    assert len(maintainers_words(text)) == 4


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_lesson_speaks_to_the_learner(notebook: Path) -> None:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    found = [f"cell {i}: {line[:120]}" for i, cell in enumerate(cells)
             for line in maintainers_words("".join(cell["source"]))]
    assert not found, f"{notebook.name} speaks of the repository's own testing or machines:\n" + "\n".join(found)


def lesson_code(name: str) -> str:
    cells = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return "\n".join(source for source in sources if not source.startswith("#"))  # not the Colab cell


def literal_keywords(code: str, function: str, target: str | None = None) -> dict[str, object]:
    """The keyword arguments given as literals to the calls of ``function`` in ``code`` (later calls win); with
    ``target``, only to the call whose result is assigned to that name."""
    import ast

    found: dict[str, object] = {}
    for node in ast.walk(ast.parse(code)):
        if target is not None:
            if not (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [target]):
                continue
            node = node.value
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == function:
            for keyword in node.keywords:
                try:
                    found[keyword.arg] = ast.literal_eval(keyword.value)
                except ValueError:
                    pass
    return found


def test_lesson_05_writes_out_the_numbers_the_kit_trains_with() -> None:
    from instructor_tools.kit.parts import KIT_PROFILE  # the kit's classifier is trained with these numbers

    code = lesson_code("05_trainer.ipynb")
    args = literal_keywords(code, "TrainingArguments", target="training_args")
    assert {key: args.get(key) for key in ("learning_rate", "per_device_train_batch_size", "num_train_epochs",
                                           "warmup_steps", "train_sampling_strategy")} == {
        "learning_rate": KIT_PROFILE.learning_rate, "per_device_train_batch_size": KIT_PROFILE.batch_size,
        "num_train_epochs": KIT_PROFILE.epochs, "warmup_steps": KIT_PROFILE.warmup,
        "train_sampling_strategy": KIT_PROFILE.sampling}
    assert literal_keywords(code, "tokenizer").get("max_length") == KIT_PROFILE.max_length
    head_first = re.search(r"^rows, head_lr = (\S+), (\S+)  #", code, flags=re.M)
    assert head_first
    assert tuple(map(float, head_first.groups())) == (KIT_PROFILE.head_first_rows, KIT_PROFILE.head_first_lr)
    assert "helpers.profiles" not in code, "lesson 05 shows its numbers; the profile is the kit's"


def test_the_core_lessons_use_twelve_helper_names_at_most() -> None:
    """The lessons show the libraries' own calls; ``helpers`` stays a handful of names, each on helpers/README.md."""
    from scripts.lean_counts import LESSONS, helper_names

    used = set().union(*(helper_names(lesson) for lesson in LESSONS))
    assert len(used) <= 12, f"{len(used)} helper names in the core lessons: {sorted(used)}"
    page = (ROOT / "helpers" / "README.md").read_text(encoding="utf-8")
    unlisted = sorted(name for name in used if f"`{name}" not in page)
    assert not unlisted, f"helpers/README.md does not list {unlisted}"


def test_the_helper_name_count_sees_imports_and_attributes(tmp_path: Path) -> None:
    from scripts.lean_counts import helper_names

    code = ("import helpers\nfrom helpers.audio import decode, synthesize\nsession = helpers.setup()\n"
            "print(helpers.__file__)\n!echo helpers.not_a_name\n")
    notebook = tmp_path / "lesson.ipynb"
    notebook.write_text(json.dumps({"cells": [{"cell_type": "code", "source": code}]}), encoding="utf-8")
    assert helper_names(notebook) == {"helpers.audio.decode", "helpers.audio.synthesize", "helpers.setup"}
