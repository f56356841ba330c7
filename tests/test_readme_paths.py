"""Every path under the repository's code folders (helpers/, scripts/, tests/, notebooks/, benchmarks/, .ci/) that
the READMEs name exists, so a renamed module leaves no stale path. Files at the top level and dotted module names
(``helpers.classroom``) are not checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", ROOT / "README.zh-CN.md"]
# A repository path: starts at a top-level folder, not inside a URL or another path (no '/' or word before it).
PATH = re.compile(r"(?<![\w/.-])((?:helpers|scripts|tests|notebooks|benchmarks|\.ci)/[\w./*\[\]-]*)")


def named_paths(text: str) -> list[str]:
    """The repository paths in ``text``, without the punctuation that ends a sentence."""
    return sorted({match.rstrip(".,;:") for match in PATH.findall(text)})


def test_named_paths_finds_paths_and_skips_urls() -> None:
    text = ("see `helpers/kit/paths.py`, then notebooks/solutions/0[156]*.ipynb; "
            "https://github.com/org/notebooks/x and docs/transformers/quicktour are not ours")
    assert named_paths(text) == ["helpers/kit/paths.py", "notebooks/solutions/0[156]*.ipynb"]


@pytest.mark.parametrize("readme", READMES, ids=[p.name for p in READMES])
def test_every_path_a_readme_names_exists(readme: Path) -> None:
    missing = [name for name in named_paths(readme.read_text(encoding="utf-8"))
               if not (any(ROOT.glob(name)) if any(c in name for c in "*[") else (ROOT / name).exists())]
    assert not missing, f"{readme.name} names paths that do not exist: {missing}"
