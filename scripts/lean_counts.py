"""Print the counts the lean quicktour is measured by: README lines, words of markdown per lesson, distinct helper
names the core lessons use, lines of the learner package, and import cycles.

    .venv/bin/python scripts/lean_counts.py
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_imports import cycles, graph  # noqa: E402  (the same graph the test checks)

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHROME = re.compile(r"<!-- chrome -->.*?<!-- /chrome -->", re.S)


def markdown_words(notebook: Path) -> int:
    """Words in the lesson's markdown cells, without the navigation and badge block."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = "\n".join(CHROME.sub("", "".join(c["source"])) for c in cells if c["cell_type"] == "markdown")
    return len(re.findall(r"\S+", text))


def helper_names(notebook: Path) -> set[str]:
    """``helpers.<name>`` and ``from helpers.<module> import <name>`` in the lesson's code cells."""
    names: set[str] = set()
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        lines = "".join(cell["source"]).splitlines()
        source = "\n".join(line for line in lines if not line.lstrip().startswith(("!", "%")))  # shell and magics
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "helpers":
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "helpers" \
                    and not node.attr.startswith("__"):  # helpers.__file__ locates the repository: not a helper
                names.add(f"helpers.{node.attr}")
    return names


def main() -> int:
    print(f"README.md: {len((ROOT / 'README.md').read_text(encoding='utf-8').splitlines())} lines")
    used: set[str] = set()
    for lesson in LESSONS:
        names = helper_names(lesson)
        used |= names
        print(f"{lesson.name}: {markdown_words(lesson):,} words of markdown, {len(names)} helper names")
    print(f"distinct helper names in the core lessons: {len(used)}")
    for name in sorted(used):
        print(f"  {name}")
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "helpers").rglob("*.py"))
    print(f"helpers (the learner package): {lines:,} lines")
    print(f"import cycles: {len(cycles(graph()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
