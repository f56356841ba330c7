"""The notebooks' chrome (navigation, Colab badge, Colab set-up cell) is what scripts/notebook_chrome.py writes."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("notebook_chrome", ROOT / "scripts" / "notebook_chrome.py")
chrome = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chrome)


def test_every_lesson_has_the_chrome_the_script_writes():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "notebook_chrome.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_navigation_links_the_neighbours_and_the_badge_opens_this_notebook():
    lessons = chrome.lessons()
    second = chrome.chrome_block(lessons[1], lessons)
    assert f"Previous: [{chrome.title(lessons[0])}]({lessons[0].name})" in second
    assert f"Next: [{chrome.title(lessons[2])}]({lessons[2].name})" in second
    assert f"github/{chrome.REPOSITORY}/blob/main/notebooks/{lessons[1].name}" in second
    assert "Previous" not in chrome.chrome_block(lessons[0], lessons)
    assert "Next" not in chrome.chrome_block(lessons[-1], lessons)


def test_the_colab_cell_is_plain_python_installing_from_the_shared_lists():
    cell = chrome.colab_cell()
    compile(cell, "colab-cell", "exec")  # no IPython magics: it fails loudly instead of `!pip` carrying on
    assert "install-system-deps.sh" in cell and '"-e", HOME' in cell and "torch=={torch.__version__}" in cell
    assert chrome.REPOSITORY in cell
    assert 'install-system-deps.sh", "--notebooks")' in cell  # Colab's Ubuntu has no Debian `chromium` package
    assert 'os.environ.setdefault("QUICKTOUR_MODE", "hub")' in cell


def test_the_notebooks_section_of_the_system_packages_is_what_the_notebooks_need():
    script = str(ROOT / "scripts" / "install-system-deps.sh")

    def listed(*options):
        done = subprocess.run(["bash", script, "--list", *options], capture_output=True, text=True, check=True)
        return done.stdout.split()

    everything, notebooks = listed(), listed("--notebooks")
    assert notebooks == ["espeak-ng"]
    assert set(notebooks) < set(everything) and {"chromium", "chromium-driver", "git", "make"} <= set(everything)
    bad = subprocess.run(["bash", script, "--nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown option" in bad.stderr


def test_a_hand_edit_is_caught_and_rewriting_is_idempotent(tmp_path, monkeypatch):
    copy = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", copy, ignore=shutil.ignore_patterns("outputs", "solutions"))
    monkeypatch.setattr(chrome, "NOTEBOOKS", copy)
    lessons = chrome.lessons()
    nb = nbformat.read(lessons[2], as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace("Next:", "Nxet:")
    nbformat.write(nb, lessons[2])
    assert chrome.main(["--check"]) == 1
    assert chrome.main([]) == 0 and chrome.main(["--check"]) == 0
    before = [p.read_bytes() for p in lessons]
    assert chrome.main([]) == 0
    assert [p.read_bytes() for p in lessons] == before  # a second run changes nothing
