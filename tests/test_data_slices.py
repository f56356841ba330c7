"""No code takes the first rows of a rotten_tomatoes split without shuffling it first.

On the Hub, each split of cornell-movie-review-data/rotten_tomatoes lists all its positive sentences before the
negative ones (the Hub-ids fixture is ordered the same way), so ``dataset["test"][:200]`` or
``dataset["validation"].select(range(300))`` is one label only: every accuracy measured on it is the share of
sentences predicted positive. The offline kit shuffles its splits, so the stored outputs cannot show this.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: a split indexed straight into a slice or a select: ["test"][:200], ["validation"]["text"][:256],
#: ["validation"].select(range(300)); a .shuffle(...) in between does not match
HEAD_SLICE = re.compile(r"""\[["'](?:train|validation|test)["']\](?:\[["']\w+["']\])?(?:\[\s*:|\.select\()""")


def sources() -> list[tuple[str, str]]:
    """(name, code) for every notebook code cell and every Python file of the project."""
    found = []
    for notebook in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in notebook.parts:
            continue
        for i, cell in enumerate(json.loads(notebook.read_text())["cells"]):
            if cell["cell_type"] == "code":
                found.append((f"{notebook.relative_to(ROOT)} cell {i}", "".join(cell["source"])))
    for folder in ("helpers", "instructor_tools", "scripts", "benchmarks", "tests", "notebooks/solutions/answers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path != Path(__file__).resolve():  # this file spells the pattern out on purpose
                found.append((str(path.relative_to(ROOT)), path.read_text()))
    return found


def test_the_pattern_finds_head_slices_and_lets_shuffled_ones_pass():
    for head in ('dataset["test"][:200]', 'dataset["validation"]["text"][:256]', "data['validation'].select(range(9))"):
        assert HEAD_SLICE.search(head), head
    for fine in ('dataset["test"].shuffle(seed=42)[:200]', 'dataset["train"].shuffle(seed=42).select(range(512))',
                 'dataset["validation"].features["label"]', 'dataset["validation"][0]'):
        assert not HEAD_SLICE.search(fine), fine


SOURCES = sources()


@pytest.mark.parametrize("name, code", SOURCES, ids=[name for name, _ in SOURCES])
def test_no_split_is_sliced_before_it_is_shuffled(name, code):
    hits = [line.strip() for line in code.splitlines() if HEAD_SLICE.search(line)]
    assert not hits, f"{name}: shuffle a rotten_tomatoes split before taking rows from it (its labels are sorted on the Hub): {hits}"
