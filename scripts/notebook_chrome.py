"""Write every lesson's chrome from one place: navigation, the "Open in Colab" badge, the Colab set-up cell.

    python scripts/notebook_chrome.py           # write (idempotent: a second run changes nothing)
    python scripts/notebook_chrome.py --check   # exit 1 and name the notebooks whose chrome differs

- Navigation and badge go into the lesson's first markdown cell, between ``<!-- chrome -->`` and
  ``<!-- /chrome -->`` (HTML comments: invisible in Jupyter and on GitHub).
- The Colab set-up cell is the code cell whose metadata says ``{"quicktour": {"chrome": "colab"}}``.
  It installs the ``[notebooks]`` section of ``apt-packages.txt`` (Colab runs Ubuntu, where some of the
  development packages have other names) and the Python packages of ``pyproject.toml`` (one list, shared
  with ``pip install -e .``), keeps Colab's own torch, fails loudly with pip's error, and sets
  ``QUICKTOUR_MODE=hub`` unless the learner set a mode: Colab is online, and a slow first Hub check must
  not send a session that has no offline kit into offline mode.

``REPOSITORY`` is the one place that names the repository. Solutions notebooks copy the Colab cell from
their lesson (``scripts/make_solutions.py``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

REPOSITORY = "quicktour-notebooks/quicktour-notebooks"  # github.com/<owner>/<name>
BRANCH = "main"
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
START, END = "<!-- chrome -->", "<!-- /chrome -->"
BLOCK = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)

COLAB_CELL = '''# Set-up for Google Colab. There, this cell fetches the lessons' repository and installs what Colab lacks: the
# Debian package espeak-ng, then the Python packages the lessons need, keeping Colab's own torch; and it picks
# the online mode (Colab has no offline kit). On your own machine (after `make lab`) it does nothing.
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    os.environ.setdefault("QUICKTOUR_MODE", "hub")  # set QUICKTOUR_MODE yourself first to choose otherwise

    HOME = "/content/{name}"

    def run(*command):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{{' '.join(command)}} failed:\\n{{done.stdout[-2000:]}}\\n{{done.stderr[-4000:]}}")

    run("bash", "-c", f"[ -d {{HOME}} ] || git clone --quiet --depth 1 https://github.com/{repository} {{HOME}}")
    run("bash", f"{{HOME}}/scripts/install-system-deps.sh", "--notebooks")
    import torch  # Colab's CUDA build: pinned below so that pip keeps it

    run(sys.executable, "-m", "pip", "install", "--quiet", "-e", HOME, f"torch=={{torch.__version__}}")
    sys.path.insert(0, HOME)'''


def lessons() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def extras() -> list[Path]:
    """The optional deep dives, ``notebooks/extras/NN_*.ipynb``: NN is the lesson they follow."""
    return sorted((NOTEBOOKS / "extras").glob("[0-9][0-9]_*.ipynb"))


def lesson_of(extra: Path, all_lessons: list[Path]) -> Path:
    """The lesson a deep dive follows (the same number)."""
    found = [lesson for lesson in all_lessons if lesson.name[:2] == extra.name[:2]]
    if len(found) != 1:
        raise ValueError(f"{extra.name}: no lesson numbered {extra.name[:2]}")
    return found[0]


def title(path: Path) -> str:
    """"01 · Pipelines" from the lesson's first line."""
    first = nbformat.read(path, as_version=4).cells[0].source.splitlines()[0]
    return first.lstrip("# ").split(":")[0].strip()


def colab_url(path: Path) -> str:
    where = path.relative_to(NOTEBOOKS).as_posix()
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/notebooks/{where}"


def chrome_block(path: Path, all_lessons: list[Path]) -> str:
    """The navigation line and the badge for ``path``, between the markers."""
    badge = f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(path)})"
    if path.parent.name == "extras":
        lesson = lesson_of(path, all_lessons)
        links = ["[Index](../../README.md)", f"Back to: [{title(lesson)}](../{lesson.name})"]
        return f"{START}\n{' · '.join(links)}\n\n{badge}\n{END}"
    index = all_lessons.index(path)
    links = ["[Index](../README.md)"]
    if index > 0:
        links.append(f"Previous: [{title(all_lessons[index - 1])}]({all_lessons[index - 1].name})")
    if index < len(all_lessons) - 1:
        links.append(f"Next: [{title(all_lessons[index + 1])}]({all_lessons[index + 1].name})")
    return f"{START}\n{' · '.join(links)}\n\n{badge}\n{END}"


def colab_cell() -> str:
    return COLAB_CELL.format(name=REPOSITORY.split("/")[1], repository=REPOSITORY)


def apply(path: Path, all_lessons: list[Path]) -> bool:
    """Write the chrome into ``path``; returns whether anything changed."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    head = nb.cells[0]
    if head.cell_type != "markdown" or not BLOCK.search(head.source):
        raise ValueError(f"{path.name}: the first cell must be markdown with {START} … {END} markers")
    new_head = BLOCK.sub(lambda _: chrome_block(path, all_lessons), head.source)
    if new_head != head.source:
        head.source, changed = new_head, True
    cells = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("quicktour", {}).get("chrome") == "colab"]
    if len(cells) != 1:
        raise ValueError(f"{path.name}: needs exactly one code cell with metadata quicktour.chrome = 'colab'")
    if cells[0].source != colab_cell():
        cells[0].source, changed = colab_cell(), True
    if changed:
        nbformat.write(nb, path)
    return changed


def main(argv: list[str]) -> int:
    check = "--check" in argv
    all_lessons = lessons()
    stale = []
    for path in all_lessons + extras():
        if check:
            nb = nbformat.read(path, as_version=4)
            wanted = BLOCK.sub(lambda _: chrome_block(path, all_lessons), nb.cells[0].source)
            colab = [c.source for c in nb.cells if c.metadata.get("quicktour", {}).get("chrome") == "colab"]
            if wanted != nb.cells[0].source or colab != [colab_cell()]:
                stale.append(path.name)
        elif apply(path, all_lessons):
            print(f"wrote the chrome of notebooks/{path.relative_to(NOTEBOOKS).as_posix()}")
    if stale:
        print("chrome differs from scripts/notebook_chrome.py in: " + ", ".join(stale) + "; run: make chrome")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
