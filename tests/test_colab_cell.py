"""The Colab set-up cell, the first cell a Colab learner runs: its logic, and the lessons in the environment it builds.

Colab itself cannot be reached from here. What can be checked is what the cell does with what Colab gives it:

- the unit tests run the cell's own source with a stand-in ``google.colab`` module and a recording
  ``subprocess.run``: off Colab it does nothing; on Colab it clones, installs the apt list, pins the
  runtime's torch, picks the online mode unless the learner chose one, and stops with pip's error;
- the end-to-end test gives the cell a fresh Python environment holding only a kernel and what Colab brings
  (its own torch build, numpy 2.0.2, ipywidgets 7.7.1), a stand-in ``google.colab`` imported before the first
  cell (as Colab's runtime has it), and the repository served from a local git repo in place of GitHub
  (``url.<base>.insteadOf``). Every lesson then runs top to bottom from ``content/`` (Colab's working folder,
  outside the clone), its own Colab cell cloning again (the clone is removed before each lesson, as each
  Colab notebook gets a new runtime) and installing the project; the dependencies lesson 01's cell installed
  stay for the others. They run on the Hub ids prefetched through a real Hub server (as in
  ``tests/test_hub_path.py``). What the cell installs must be enough, and it must change no package the
  runtime already had.

The one change to the lessons: the clone's folder, ``/content/quicktour-notebooks`` on Colab, is moved into
the test's temporary folder. Not checked here: Colab's own image (its package versions, its CUDA torch, its
Python), GitHub, and the real Hub. The lessons run in ``QUICKTOUR_MODE=auto`` on the prefetched cache with
``HF_HUB_OFFLINE=1``, not in the ``hub`` mode the cell picks on Colab, which needs a Hub server that
``from_pretrained`` works through (olah does not: docs/testing.md). The stand-in ``google.colab`` is an empty
module: huggingface_hub recognises Colab by its IPython shell, so its Colab-only paths (a token from Colab's
secrets) are not taken either.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

from tests.hub.learner import ROOT, notebook_env, run, run_notebook

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
COLAB_HOME = "/content/quicktour-notebooks"
GITHUB = "https://github.com/quicktour-notebooks/quicktour-notebooks"


def colab_cell(notebook: Path) -> nbformat.NotebookNode:
    """The lesson's Colab set-up cell (written by scripts/notebook_chrome.py)."""
    nb = nbformat.read(notebook, as_version=4)
    cells = [cell for cell in nb.cells if cell.get("metadata", {}).get("quicktour", {}).get("chrome") == "colab"]
    assert len(cells) == 1, f"{notebook.name}: {len(cells)} Colab set-up cells"
    return cells[0]


class Recorder:
    """Stands in for ``subprocess.run``: records each command; the one containing ``fail`` exits 1."""

    def __init__(self, fail: str | None = None) -> None:
        self.commands: list[tuple[str, ...]] = []
        self.fail = fail

    def __call__(self, command, capture_output=False, text=False):  # noqa: ANN001 (subprocess.run's signature)
        self.commands.append(tuple(command))
        failed = self.fail is not None and self.fail in " ".join(command)
        return subprocess.CompletedProcess(command, 1 if failed else 0, stdout="pip's output",
                                           stderr="ERROR: pip's own message" if failed else "")


def exec_cell(monkeypatch: pytest.MonkeyPatch, *, on_colab: bool, mode: str | None = None,
              fail: str | None = None) -> tuple[Recorder, dict[str, str], list[str]]:
    """Run notebook 01's Colab cell in this process; returns the recorder, the environment and sys.path after."""
    environment = {k: v for k, v in os.environ.items() if k != "QUICKTOUR_MODE"}
    if mode is not None:
        environment["QUICKTOUR_MODE"] = mode
    monkeypatch.setattr(os, "environ", environment)
    monkeypatch.setattr(sys, "path", list(sys.path))
    recorder = Recorder(fail)
    monkeypatch.setattr(subprocess, "run", recorder)
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(colab_cell(LESSONS[0]).source, "colab-cell", "exec"), {})
    return recorder, environment, sys.path


def test_every_lesson_has_the_same_colab_cell() -> None:
    sources = {colab_cell(notebook).source for notebook in LESSONS}
    assert len(sources) == 1
    assert sources.pop().count(f'HOME = "{COLAB_HOME}"') == 1


def test_off_colab_the_cell_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    before = list(sys.path)
    recorder, environment, path = exec_cell(monkeypatch, on_colab=False)
    assert recorder.commands == []
    assert "QUICKTOUR_MODE" not in environment
    assert path == before


def test_on_colab_it_clones_installs_and_keeps_the_runtime_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    recorder, environment, path = exec_cell(monkeypatch, on_colab=True)
    clone, apt, pip = recorder.commands
    assert clone[:2] == ("bash", "-c") and f"git clone --quiet --depth 1 {GITHUB} {COLAB_HOME}" in clone[2]
    assert clone[2].startswith(f"[ -d {COLAB_HOME} ] ||"), "a second lesson in the same runtime must not clone again"
    assert apt == ("bash", f"{COLAB_HOME}/scripts/install-system-deps.sh", "--notebooks")
    assert pip == (sys.executable, "-m", "pip", "install", "--quiet", "-e", COLAB_HOME, f"torch=={torch.__version__}")
    assert environment["QUICKTOUR_MODE"] == "hub"
    assert path[0] == COLAB_HOME


def test_on_colab_a_mode_the_learner_chose_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    _, environment, _ = exec_cell(monkeypatch, on_colab=True, mode="offline")
    assert environment["QUICKTOUR_MODE"] == "offline"


def test_on_colab_a_failed_install_stops_with_pips_message(monkeypatch: pytest.MonkeyPatch) -> None:
    before = list(sys.path)
    with pytest.raises(RuntimeError, match="(?s)pip install.*failed.*ERROR: pip's own message"):
        exec_cell(monkeypatch, on_colab=True, fail="pip")
    assert sys.path == before, "a failed install must not put the clone on sys.path"


# ---- end to end: a fresh environment, set up by the cell alone ---------------------------------------------------

STAND_IN = '''# Colab's runtime has google.colab imported before the first cell runs; this stand-in is only that module.
import importlib.machinery
import sys
import types

colab = types.ModuleType("google.colab")
colab.__spec__ = importlib.machinery.ModuleSpec("google.colab", None)
sys.modules["google.colab"] = colab
'''


# What the fresh environment holds besides a kernel, as a Colab runtime does: torch (this environment's version;
# Colab brings its own build), numpy at the version Colab had in August 2025 (tulip-lab/sit742#80; torch binds to
# numpy when imported, which the cell does before its install, so an upgrade then would be a broken runtime), and
# ipywidgets 7.7.1, Colab's default for years (manzt/anywidget#48, googlecolab/colabtools#4525): Colab's front end
# long lagged on ipywidgets 8. The cell must leave each of them, and every other package, as it found it. This is
# the lessons' only run on the Hub ids; ipywidgets 8 and the newest numpy are covered by nbval over the lessons
# (offline kit) and by the Hub-ids run of the solutions notebooks and deep dives (tests/test_hub_path.py).
COLAB_PACKAGES = {"numpy": "2.0.2", "ipywidgets": "7.7.1"}

# pip writes no .pyc files for what it installs here: Python compiles what a lesson imports when it first imports
# it. That makes this run faster and checks nothing less. (pip reads PIP_NO_COMPILE=0 as
# --no-compile, its spelling of a negative option.)
NO_PYC = {"PIP_NO_COMPILE": "0"}


def fresh_python(folder: Path) -> Path:
    """A new virtual environment with only a kernel and what a Colab runtime brings (above).

    torch is this environment's build (``2.13.0+cpu`` here, from the machine's wheel folder); where it came from
    another index, set ``TORCH_INDEX`` to that index (as for ``make setup``).
    """
    made = run([sys.executable, "-m", "venv", str(folder)], dict(os.environ), timeout=300)
    assert made.returncode == 0, made.stderr
    python = folder / "bin" / "python"
    index = ["--extra-index-url", os.environ["TORCH_INDEX"]] if os.environ.get("TORCH_INDEX") else []
    wanted = [f"torch=={importlib.metadata.version('torch')}", *(f"{n}=={v}" for n, v in COLAB_PACKAGES.items())]
    installed = run([str(python), "-m", "pip", "install", "--quiet", *index, *wanted, "ipykernel"],
                    {**os.environ, **NO_PYC}, timeout=900)
    assert installed.returncode == 0, f"set TORCH_INDEX if torch came from another index:\n{installed.stderr[-3000:]}"
    return python


def installed_versions(python: Path) -> dict[str, str]:
    """{distribution name: version} of every package in ``python``'s environment."""
    listed = run([str(python), "-m", "pip", "list", "--format", "json"], dict(os.environ))
    assert listed.returncode == 0, listed.stderr
    return {row["name"].lower(): row["version"] for row in json.loads(listed.stdout)}


def served_repository(folder: Path) -> Path:
    """This working tree's files (tracked, and new ones git does not ignore) committed into a local repository."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    for name in filter(None, listed.stdout.split("\0")):
        if (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost"]
    for command in (["init", "--quiet", "--initial-branch", "main"], ["add", "--all"], ["commit", "--quiet", "-m", "served"]):
        subprocess.run(git + command, cwd=folder, check=True, capture_output=True)
    return folder


@pytest.mark.hub
def test_lessons_run_in_a_fresh_environment_set_up_by_their_colab_cell(
        hub_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    python = fresh_python(tmp_path / "colab-python")
    before = installed_versions(python)
    assert all(before[name] == version for name, version in COLAB_PACKAGES.items()), before
    upstream = served_repository(tmp_path / "github")
    content = tmp_path / "content"
    clone = content / "quicktour-notebooks"

    lessons = tmp_path / "lessons"
    lessons.mkdir()
    for notebook in LESSONS:
        nb = nbformat.read(notebook, as_version=4)
        cell = colab_cell(notebook)
        index = nb.cells.index(cell)
        assert cell.source.count(COLAB_HOME) == 1
        nb.cells[index].source = cell.source.replace(COLAB_HOME, str(clone))
        nbformat.write(nb, lessons / notebook.name)

    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text(STAND_IN)
    kernel = tmp_path / "jupyter" / "kernels" / "colab"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab (simulated)", "language": "python"}))

    kit_home = tmp_path / "empty-kit"
    kit_home.mkdir()
    env = notebook_env(hub_home, kit_home)
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(name, None)
    venv_bin = str(ROOT / ".venv" / "bin")
    env.update(
        # HF_HUB_OFFLINE=1 (the prefetched cache, as in test_hub_path) rules out the cell's default of
        # QUICKTOUR_MODE=hub, so the learner's own choice is set first, which the cell keeps.
        QUICKTOUR_MODE="auto",
        IPYTHONDIR=str(tmp_path / "ipython"),
        JUPYTER_PATH=str(tmp_path / "jupyter"),
        PATH=os.pathsep.join([str(python.parent)] + [p for p in env["PATH"].split(os.pathsep) if p != venv_bin]),
        GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0=f"url.file://{upstream}.insteadOf", GIT_CONFIG_VALUE_0=GITHUB,
        **NO_PYC,
    )
    for notebook in LESSONS:
        # On Colab each notebook gets a runtime of its own, with an empty /content: so no clone is left for the
        # next lesson's cell, which clones and installs again (its dependencies, installed by lesson 01's cell,
        # stay in this environment).
        shutil.rmtree(clone, ignore_errors=True)
        lines = run_notebook(lessons / notebook.name, content, env, "colab-cell run", capsys, kernel="colab")
        assert (clone / ".git").is_dir(), f"{notebook.name}: the cell did not clone the repository"
        assert lines and all("local Hugging Face cache" in line for line in lines), (notebook.name, lines)

    where = run([str(python), "-c", "import helpers; print(helpers.__file__)"], env, cwd=tmp_path).stdout.strip()
    assert Path(where).is_relative_to(clone), f"helpers comes from {where}, not from the clone"
    after = installed_versions(python)
    changed = {name: (version, after.get(name)) for name, version in before.items() if after.get(name) != version}
    assert not changed, f"the cell's install changed packages the runtime already had (before, after): {changed}"
    consistent = run([str(python), "-m", "pip", "check"], env)
    assert consistent.returncode == 0, consistent.stdout
    assert not any(kit_home.iterdir()), "a lesson wrote into the kit home"
