"""The online path, proven without the Internet: every notebook runs on the real Hub ids.

Architecture-faithful tiny repos (``tests/hub/fixtures.py``) are served under the Hub ids by a real
Hub server (PyPI ``olah``, ``instructor_tools.hubserver``) on loopback. ``python -m instructor_tools.classroom prefetch``
downloads every id through it, exactly as an instructor does before class; the server is stopped;
``pack`` and ``unpack`` carry the cache into a fresh Hugging Face home, as onto a learner's machine.
Then each notebook runs top to bottom with ``HF_HUB_OFFLINE=1`` and an EMPTY kit home, so every
``helpers.resolve`` must return the Hub id from the local cache. Outputs are not compared (the
weights are random); a cell error, or a resolve line naming the kit, fails the test.

The seven lessons run on the same prefetched Hub ids in ``tests/test_colab_cell.py``, in the environment their
Colab cell builds, with the same checks; they are not run a second time here (that saved about 220 s of
``make test``). This test runs the solutions notebooks and the deep dives, in the project's own environment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hub.learner import ROOT, notebook_env, run_notebook

pytestmark = pytest.mark.hub
NOTEBOOKS = sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "extras").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_the_hub_ids(notebook: Path, hub_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kit_home = tmp_path / "empty-kit"
    kit_home.mkdir()
    lines = run_notebook(notebook, tmp_path / "run", notebook_env(hub_home, kit_home), "hub-ids run", capsys)
    assert lines, f"{notebook.name} never called helpers.resolve"
    on_kit = [line for line in lines if "offline kit" in line or str(kit_home) in line]
    assert not on_kit, f"{notebook.name} used the kit instead of the Hub id: {on_kit}"
    assert all("local Hugging Face cache" in line for line in lines), lines
    assert not any(kit_home.iterdir()), "a notebook wrote into the kit home"

