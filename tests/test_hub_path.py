"""The online path, proven without the Internet: every notebook runs on the real Hub ids.

Architecture-faithful tiny repos (``tests/hub/fixtures.py``) are served under the Hub ids by a real
Hub server (PyPI ``olah``, ``helpers.hubserver``) on loopback. ``python -m helpers.classroom prefetch``
downloads every id through it, exactly as an instructor does before class; the server is stopped;
``pack`` and ``unpack`` carry the cache into a fresh Hugging Face home, as onto a learner's machine.
Then each notebook runs top to bottom with ``HF_HUB_OFFLINE=1`` and an EMPTY kit home, so every
``helpers.resolve`` must return the Hub id from the local cache. Outputs are not compared (the
weights are random); a cell error, or a resolve line naming the kit, fails the test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.hub.learner import ROOT, last_report, notebook_env, resolve_lines, run

pytestmark = pytest.mark.hub
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_the_hub_ids(notebook: Path, hub_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kit_home = tmp_path / "empty-kit"
    kit_home.mkdir()
    result = run([sys.executable, str(ROOT / "tests" / "hub" / "run_notebooks.py"), str(tmp_path / "run"), str(notebook)],
                 notebook_env(hub_home, kit_home), timeout=1500)
    report = last_report(result)
    with capsys.disabled():  # the CI log shows each notebook's run on the Hub ids
        print(f"\n  hub-ids run: {notebook.name} {'ok' if result.returncode == 0 else 'FAILED'} in {report.get('seconds')} s")
    assert result.returncode == 0, f"{notebook.name} failed on the Hub ids:\n{report.get('error') or result.stderr[-3000:]}"
    lines = resolve_lines(tmp_path / "run" / notebook.name)
    assert lines, f"{notebook.name} never called helpers.resolve"
    on_kit = [line for line in lines if "offline kit" in line or str(kit_home) in line]
    assert not on_kit, f"{notebook.name} used the kit instead of the Hub id: {on_kit}"
    assert all("local Hugging Face cache" in line for line in lines), lines
    assert not any(kit_home.iterdir()), "a notebook wrote into the kit home"

