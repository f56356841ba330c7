"""A learner's machine for the Hub-ids tests: a Hugging Face home prefetched through a real Hub server.

Shared by ``tests/test_hub_path.py`` (every notebook on the Hub ids) and ``tests/test_colab_cell.py`` (the lessons
in a fresh environment set up by their Colab cell).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from instructor_tools.hubserver import HubServer, client_env
from helpers.mode import OFFLINE_QUIET_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], env: dict[str, str], timeout: float = 900, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run a command with ``env``, capturing its output as text."""
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def classroom_archive(work: Path) -> Path:
    """Build the fixture repos, prefetch every Hub id through olah and pack the cache: the classroom archive.

    Exactly an instructor's ``instructor_tools.classroom prefetch`` / ``pack`` before class.
    """
    from tests.hub.fixtures import build_fixtures

    build_fixtures(work / "mirror")
    with HubServer(work / "mirror") as server:
        env = client_env(server.endpoint, work / "unused-home")
        env.pop("QUICKTOUR_MODE", None)
        fetched = run([sys.executable, "-m", "instructor_tools.classroom", "prefetch", "--cache", str(work / "cache")], env)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    print(fetched.stdout)
    packed = run([sys.executable, "-m", "instructor_tools.classroom", "pack", "--cache", str(work / "cache"),
                  "--output", str(work / "classroom.tar")], env)
    assert packed.returncode == 0, packed.stdout + packed.stderr
    return work / "classroom.tar"


def unpacked_home(archive: Path, home: Path) -> Path:
    """A learner's ``instructor_tools.classroom unpack`` of ``archive`` into the new Hugging Face home ``home``."""
    unpacked = run([sys.executable, "-m", "instructor_tools.classroom", "unpack", str(archive), "--hf-home", str(home)],
                   dict(os.environ))
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


def run_notebook(notebook: Path, out_dir: Path, env: dict[str, str], label: str, capsys: Any,
                 kernel: str = "python3") -> list[str]:
    """Run ``notebook`` top to bottom in ``out_dir`` (``tests/hub/run_notebooks.py``, in ``kernel``), print one
    line for the CI log ("<label>: <name> ok in <seconds> s"), fail with the cell's error (without its colours),
    and return the ``resolve:`` lines of the executed copy."""
    result = run([sys.executable, str(ROOT / "tests" / "hub" / "run_notebooks.py"), "--kernel", kernel, str(out_dir),
                  str(notebook)], env, timeout=1500)
    lines = result.stdout.strip().splitlines()
    report = json.loads(lines[-1]) if lines else {}  # {"notebook", "seconds", "error"}
    with capsys.disabled():  # the CI log shows each run
        print(f"\n  {label}: {notebook.name} {'ok' if result.returncode == 0 else 'FAILED'} in {report.get('seconds')} s")
    error = report.get("error") or result.stderr[-3000:]
    assert result.returncode == 0, f"{notebook.name} failed ({label}):\n" + re.sub(r"\x1b\[[0-9;]*m", "", error)
    return resolve_lines(out_dir / notebook.name)
