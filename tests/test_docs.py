"""The README is a front door and the docs hold no stale path or broken link.

- Every path under the repository's code folders (helpers/, scripts/, tests/, notebooks/, benchmarks/, .ci/) that
  the READMEs and docs/ name exists, so a renamed module leaves no stale path. Files at the top level and dotted
  module names (``instructor_tools.classroom``) are not checked.
- Every relative Markdown link resolves.
- README.md stays short (at most 200 lines), names the two commands, and lists every lesson with its Colab link;
  README.zh-CN.md has the same outline.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", ROOT / "README.zh-CN.md"]
DOCS = READMES + sorted((ROOT / "docs").glob("*.md")) + [ROOT / "helpers" / "README.md"]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
README_MAX_LINES = 200
# A repository path: starts at a top-level folder, not inside a URL or another path (no '/' or word before it).
PATH = re.compile(r"(?<![\w/.-])((?:helpers|scripts|tests|notebooks|benchmarks|\.ci)/[\w./*\[\]-]*)")
# A Markdown link or image: [text](target) / ![alt](target); the target up to a space or ')'.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
COLAB = "https://colab.research.google.com/github/quicktour-notebooks/quicktour-notebooks/blob/main/notebooks/{}"


def named_paths(text: str) -> list[str]:
    """The repository paths in ``text``, without the punctuation that ends a sentence."""
    found = set()
    for match in PATH.findall(text):
        match = match.rstrip(".,;:")
        while match.count("]") > match.count("["):  # the end of a Markdown link text: [notebooks/x/](...)
            match = match[:-1]
        found.add(match)
    return sorted(found)


def relative_links(text: str) -> list[str]:
    """The link targets in ``text`` that point into the repository (no scheme, no bare anchor), without anchors."""
    targets = (target.split("#", 1)[0] for target in LINK.findall(text))
    return sorted({t for t in targets if t and "://" not in t and not t.startswith("mailto:")})


def test_named_paths_finds_paths_and_skips_urls() -> None:
    text = ("see `helpers/offline_kit.py`, then notebooks/solutions/0[156]*.ipynb; "
            "https://github.com/org/notebooks/x and docs/transformers/quicktour are not ours; [tests/](tests/)")
    assert named_paths(text) == ["helpers/offline_kit.py", "notebooks/solutions/0[156]*.ipynb", "tests/"]


def test_relative_links_keeps_repository_links_only() -> None:
    text = "[a](docs/x.md#part) ![b](images/y.png) [c](https://example.org/z) [d](#top) [e](../README.md)"
    assert relative_links(text) == ["../README.md", "docs/x.md", "images/y.png"]


@pytest.mark.parametrize("doc", DOCS, ids=[p.name for p in DOCS])
def test_every_path_a_doc_names_exists(doc: Path) -> None:
    missing = [name for name in named_paths(doc.read_text(encoding="utf-8"))
               if not (any(ROOT.glob(name)) if any(c in name for c in "*[") else (ROOT / name).exists())]
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=[p.name for p in DOCS])
def test_every_relative_link_resolves(doc: Path) -> None:
    broken = [t for t in relative_links(doc.read_text(encoding="utf-8")) if not (doc.parent / t).exists()]
    assert not broken, f"{doc.relative_to(ROOT)} links to what does not exist: {broken}"


def test_the_readme_is_a_front_door() -> None:
    text = READMES[0].read_text(encoding="utf-8")
    lines = text.splitlines()
    print(f"README.md: {len(lines)} lines")
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; the long reads belong in docs/"
    assert "make lab" in text and "make test" in text
    for lesson in LESSONS:
        assert f"(notebooks/{lesson.name})" in text, f"README.md's lesson table lacks {lesson.name}"
        assert COLAB.format(lesson.name) in text, f"README.md has no Colab link for {lesson.name}"


def test_the_chinese_readme_follows_the_same_outline() -> None:
    english, chinese = (readme.read_text(encoding="utf-8") for readme in READMES)
    sections = [re.findall(r"^## ", text, flags=re.M) for text in (english, chinese)]
    assert len(sections[0]) == len(sections[1]), "README.zh-CN.md has another number of sections than README.md"
    links = [set(relative_links(text)) - {"README.md", "README.zh-CN.md"} for text in (english, chinese)]
    assert links[0] == links[1], f"the two READMEs link to different pages: {links[0] ^ links[1]}"
    assert len(chinese.splitlines()) <= README_MAX_LINES


def test_every_helper_the_helpers_page_names_exists() -> None:
    """helpers/README.md is the learner's list of helper names: each ``helpers.module.name`` in it exists."""
    import importlib

    text = (ROOT / "helpers" / "README.md").read_text(encoding="utf-8")
    names = sorted(set(re.findall(r"`(helpers(?:\.\w+)+)", text)))
    assert len(names) > 10, names
    missing = []
    for name in names:
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):  # the longest importable module, then attributes
            try:
                found = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for attribute in parts[cut:]:
                    found = getattr(found, attribute)
            except AttributeError:
                missing.append(name)
            break
    assert not missing, f"helpers/README.md names what does not exist: {missing}"
