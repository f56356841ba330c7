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

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.hubserver import HubServer, client_env, olah_installed
from helpers.mode import OFFLINE_QUIET_ENVIRONMENT

pytestmark = pytest.mark.hub
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))


def _run(args: list[str], env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def hub_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Hugging Face home holding every Hub id the notebooks name, prefetched through olah."""
    if not olah_installed():
        pytest.fail("olah is not installed: run `make hub-server` (bash scripts/install-hub-server.sh)")
    from tests.hub.fixtures import build_fixtures

    work = tmp_path_factory.mktemp("hub")
    build_fixtures(work / "mirror")
    with HubServer(work / "mirror") as server:
        env = client_env(server.endpoint, work / "unused-home")
        env.pop("QUICKTOUR_MODE", None)
        fetched = _run([sys.executable, "-m", "helpers.classroom", "prefetch", "--cache", str(work / "cache")], env)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    print(fetched.stdout)
    packed = _run([sys.executable, "-m", "helpers.classroom", "pack", "--cache", str(work / "cache"),
                   "--output", str(work / "classroom.tar")], env)
    assert packed.returncode == 0, packed.stdout + packed.stderr
    home = work / "learner-hf-home"
    unpacked = _run([sys.executable, "-m", "helpers.classroom", "unpack", str(work / "classroom.tar"),
                     "--hf-home", str(home)], env)
    assert unpacked.returncode == 0, unpacked.stdout + unpacked.stderr
    return home


def notebook_env(hf_home: Path, kit_home: Path) -> dict[str, str]:
    """A learner's machine after `unpack`, with no network: auto mode, HF_HUB_OFFLINE=1, no kit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "QUICKTOUR_"))}
    # quiet (no progress bars) and HF_HUB_OFFLINE=1; helpers.setup() must export the other offline switches itself
    env.update({k: v for k, v in OFFLINE_QUIET_ENVIRONMENT.items() if k not in ("QUICKTOUR_MODE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE")})
    env.update(HF_HOME=str(hf_home), QUICKTOUR_KIT_HOME=str(kit_home))
    return env


def resolve_lines(notebook: Path) -> list[str]:
    """Every line that ``helpers.resolve`` printed in an executed notebook."""
    nb = json.loads(notebook.read_text())
    lines: list[str] = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", "")) if output.get("output_type") == "stream" else ""
            lines += [row for row in text.splitlines() if row.startswith("resolve:")]
    return lines


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_the_hub_ids(notebook: Path, hub_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kit_home = tmp_path / "empty-kit"
    kit_home.mkdir()
    result = _run([sys.executable, str(ROOT / "tests" / "hub" / "run_notebooks.py"), str(tmp_path / "run"), str(notebook)],
                  notebook_env(hub_home, kit_home), timeout=1500)
    report = json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else {}
    with capsys.disabled():  # the CI log shows each notebook's run on the Hub ids
        print(f"\n  hub-ids run: {notebook.name} {'ok' if result.returncode == 0 else 'FAILED'} in {report.get('seconds')} s")
    assert result.returncode == 0, f"{notebook.name} failed on the Hub ids:\n{report.get('error') or result.stderr[-3000:]}"
    lines = resolve_lines(tmp_path / "run" / notebook.name)
    assert lines, f"{notebook.name} never called helpers.resolve"
    on_kit = [line for line in lines if "offline kit" in line or str(kit_home) in line]
    assert not on_kit, f"{notebook.name} used the kit instead of the Hub id: {on_kit}"
    assert all("local Hugging Face cache" in line for line in lines), lines
    assert not any(kit_home.iterdir()), "a notebook wrote into the kit home"

